"""Disk problems — read-only, full, no permission — as one message naming the folder.

Raised at the tutor's write boundaries (atomic writes, the workspace lock, scaffolding)
and recognised in cargo's output, so a full disk during linking is never reported as
the learner's crate "not compiling".
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tutor.errors import TutorError

# errno → (what is wrong, what to do); {folder} is the folder that could not be written.
_KINDS: dict[int, tuple[str, str]] = {
    errno.EROFS: (
        "the file system is read-only",
        "make {folder} writable (remount it read-write), or choose a workspace on a "
        "writable disk with --workspace DIR",
    ),
    errno.ENOSPC: (
        "the disk is full",
        "free some space: compiled crates in <workspace>/.pyo3dspy-tutor/target are safe "
        "to delete, `pyo3dspy-tutor cache --clean` empties the lesson-check cache; or "
        "choose a workspace on another disk with --workspace DIR",
    ),
    errno.EDQUOT: (
        "your disk quota is used up",
        "free some space in your quota, or choose a workspace elsewhere with --workspace DIR",
    ),
    errno.EACCES: (
        "permission denied",
        "give yourself write access to {folder} (chown/chmod), or choose another "
        "workspace with --workspace DIR",
    ),
    errno.EPERM: (
        "the operation is not permitted",
        "give yourself write access to {folder} (chown/chmod, or `chattr -i` if it is "
        "immutable), or choose another workspace with --workspace DIR",
    ),
}

# How the same errors read in cargo's, rustc's and the linker's output.
_TEXT = {
    "No space left on device": errno.ENOSPC,
    "os error 28": errno.ENOSPC,
    "Read-only file system": errno.EROFS,
    "os error 30": errno.EROFS,
    "Disk quota exceeded": errno.EDQUOT,
    "os error 122": errno.EDQUOT,
    "Permission denied (os error 13)": errno.EACCES,
}


class DiskError(TutorError, OSError):
    """The tutor could not write ``folder``. Still an OSError, for code that catches those."""

    def __init__(self, code: int, folder: Path) -> None:
        what, fix = _KINDS[code]
        super().__init__(f"cannot write in {folder}: {what}", fix=fix.format(folder=folder))
        self.errno = code
        self.folder = folder


def disk_error(e: OSError, fallback: Path | None = None) -> DiskError | None:
    """``e`` as a DiskError naming the folder, or None when it is another kind of error."""
    if isinstance(e, DiskError):
        return e
    if e.errno not in _KINDS:
        return None
    path = Path(e.filename) if e.filename else fallback
    if path is None:
        return None
    return DiskError(e.errno, path if path.is_dir() else path.parent)


@contextmanager
def writing(folder: Path) -> Iterator[None]:
    """Turn a disk OSError raised inside the block into a DiskError."""
    try:
        yield
    except OSError as e:
        problem = disk_error(e, folder)
        if problem is None:
            raise
        raise problem from None


# Below this, a failed build is the disk's fault whatever the tools said: a linker that
# maps its output file dies of SIGBUS ("ld terminated with signal 7") on a full disk.
NEARLY_FULL_BYTES = 16 * 2**20


def disk_problem_in(lines: Iterable[str], folder: Path) -> DiskError | None:
    """A disk error behind a failed tool run (cargo, rustc, the linker) writing in
    ``folder``: named in its output, or a disk with next to no space left."""
    for line in lines:
        for needle, code in _TEXT.items():
            if needle in line:
                return DiskError(code, folder)
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is not None and shutil.disk_usage(existing).free < NEARLY_FULL_BYTES:
        return DiskError(errno.ENOSPC, folder)
    return None
