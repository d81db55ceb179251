"""Where the bundled course, sandbox templates and themes live.

A wheel carries them under ``tutor/_data``; an editable install (or a checkout) reads
them from the repository's top level, next to the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The bundled ``lessons``, ``sandboxes`` or ``themes`` folder."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} not found next to {_PACKAGE}")
