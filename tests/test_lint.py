"""The code base stays ruff-clean (part of the README's test command)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is missing: pip install -e '.[test]'"
    done = subprocess.run(
        [ruff, "check", "tutor", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_core_never_imports_textual():
    """The engine is headless: importing every core module loads no textual (nor dspy)."""
    core = [
        f"tutor.{'.'.join(p.relative_to(ROOT / 'tutor').with_suffix('').parts)}"
        for p in (ROOT / "tutor").rglob("*.py")
        if p.relative_to(ROOT / "tutor").parts[0] not in ("app", "lm", "trace", "run")
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {core!r}: importlib.import_module(name.removesuffix('.__init__'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'dspy')))"
    )
    import sys

    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
