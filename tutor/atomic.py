"""Atomic file writes: a crash mid-write leaves the old file, never half a new one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tutor.fserrors import writing


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Raises DiskError (an OSError) naming the folder when the disk refuses the write."""
    with writing(path.parent):
        _write(path, data)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def copy_atomic(src: Path, dst: Path) -> None:
    """Copy to a new inode then rename: a running process keeps its mapping of the old file."""
    write_bytes_atomic(dst, src.read_bytes())
    os.chmod(dst, src.stat().st_mode & 0o777)
