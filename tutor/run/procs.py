"""Process trees on Linux: keep every descendant of a check findable, and kill it.

A process that detaches (``setsid``, a new process group, a double fork) leaves the
check's process group, so killing the group misses it. A *child subreaper*
(``prctl(PR_SET_CHILD_SUBREAPER)``) adopts its orphaned descendants instead of init,
so they stay in its tree, where ``/proc`` lists them. Elsewhere (macOS) these helpers
find nothing and the callers fall back to killing the process group.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36
_PAGE = os.sysconf("SC_PAGE_SIZE")
PROC = Path("/proc")


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux ≥ 3.4); False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (zombies included)."""
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except OSError:
        return []
    found: list[int] = []
    for task in tasks:
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except FileNotFoundError:
            if not (task / "stat").exists():
                continue  # the thread ended
            return _children_by_scan(pid)  # a kernel without CONFIG_PROC_CHILDREN
        except OSError:
            continue
    return found


def _children_by_scan(pid: int) -> list[int]:
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, parents before their children."""
    found: list[int] = []
    todo = children(pid)
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children(p))
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and every descendant (as many as are visible)."""
    for p in [pid, *descendants(pid)]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p, signal.SIGKILL)


def resident_bytes(pids: list[int]) -> int:
    """Summed resident memory of ``pids`` (pages shared after a fork count in each)."""
    total = 0
    for p in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int((PROC / str(p) / "statm").read_text().split()[1]) * _PAGE
    return total
