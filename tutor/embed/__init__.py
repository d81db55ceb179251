"""DSPy inside a binary step: the embedded interpreter gets the step's LM and trace.

A ``kind = "binary"`` step is a Rust program that starts its own Python. When a check
runs it with ``lesson_api.run_binary``, that interpreter finds ``site/sitecustomize.py``
on its PYTHONPATH; the first ``import dspy`` then connects back to the check's process
(``bridge.py``), which answers its LM calls with the step's offline LM (scripts and
cassette included) and takes in its spans. ``client.py`` is the binary's side.
"""

from pathlib import Path

SITE_DIR = Path(__file__).resolve().parent / "site"  # put first on the program's PYTHONPATH
