"""Errors a person can act on: which file, which line, what to do."""

from __future__ import annotations

from pathlib import Path


class TutorError(Exception):
    """An expected problem, shown to the user as one clear message (never a traceback)."""

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


class FileError(TutorError):
    """A malformed input file (lesson, theme, config, state)."""

    def __init__(self, path: Path, message: str, *, line: int | None = None, fix: str = "") -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}", fix=fix)
        self.path = path
        self.line = line
