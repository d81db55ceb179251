"""One tutor per workspace: an advisory lock with a message for the second one."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from tutor.errors import TutorError
from tutor.fserrors import writing


class WorkspaceLocked(TutorError):
    pass


class WorkspaceLock:
    """``flock`` on ``.pyo3dspy-tutor/lock``; released by the OS if the tutor dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        with writing(self.path.parent):  # a read-only or full disk: say which folder
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise WorkspaceLocked(
                f"the workspace {self.path.parent.parent} is in use by pyo3dspy-tutor ({holder})",
                fix="close the other tutor first, or pick another workspace with --workspace DIR",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WorkspaceLock:
        self.acquire()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
