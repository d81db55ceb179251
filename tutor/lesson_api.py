"""The helper API lesson checks may use (and nothing else from the tutor).

Available inside a check run by pyo3dspy-tutor; see lessons/AUTHORING.md.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class _RunContext:
    spans: list[Any] = field(default_factory=list)  # the recorder's finished spans (live)
    answerer: Any = None
    binary: Path | None = None


_context = _RunContext()


def _bind(spans: list[Any], answerer: Any, binary: Path | None) -> None:
    """Called by the runner in the child before the check starts."""
    global _context
    _context = _RunContext(spans=spans, answerer=answerer, binary=binary)


def spans() -> list[Any]:
    """DSPy spans finished so far in this run (``.kind``, ``.name``, ``.lm_source`` …)."""
    return list(_context.spans)


def script(when: str, **fields: Any) -> None:
    """Add a scripted offline-LM answer: used when ``when`` occurs in the prompt."""
    if _context.answerer is None:
        raise RuntimeError("lesson_api.script() works only inside a check run by the tutor")
    _context.answerer.add_script(when, fields)


def binary_path() -> Path:
    """The built program of a ``kind = "binary"`` step."""
    if _context.binary is None:
        raise RuntimeError("this step builds no binary (crate.kind is not 'binary')")
    return _context.binary


def build_dir() -> Path:
    """The folder holding the freshly built module or binary."""
    return Path(os.environ["PYO3DSPY_TUTOR_BUILD_DIR"])


def free_port() -> int:
    """A free TCP port on 127.0.0.1, for steps whose check talks to a service."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
