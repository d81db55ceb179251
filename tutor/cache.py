"""The lesson-check cache: where `check --solutions/--starters` builds when no workspace
is at hand, shown and cleanable (`pyo3dspy-tutor cache [--clean]`).

Compiled PyO3 crates take hundreds of MB; the tutor says where they go the first time,
and `doctor` shows the size.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import platformdirs
from rich.console import Console

from tutor.config import APP
from tutor.workspace.layout import Workspace
from tutor.workspace.lock import WorkspaceLock, WorkspaceLocked

VARIANTS = ("solution", "starter")  # one lock per kind of lesson check


def cache_root() -> Path:
    return Path(platformdirs.user_cache_dir(APP))


def lesson_checks_workspace(course_id: str) -> Workspace:
    return Workspace(cache_root() / "lesson-checks" / course_id)


def size_of(folder: Path) -> int:
    if not folder.exists():
        return 0
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def human(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n:.1f} GB"


def announce_new(ws: Workspace, console: Console) -> None:
    """Say once, when the cache is first made, where the lesson-check builds will go."""
    if not ws.meta.exists():
        console.print(
            f"[dim]Lesson checks build in {ws.root} (several hundred MB, kept so the next "
            "run is fast); `pyo3dspy-tutor cache --clean` removes it.[/]"
        )


def clean(console: Console) -> int:
    """Remove every course's lesson-check builds that no running check is using."""
    base = cache_root() / "lesson-checks"
    busy = []
    freed = 0
    for folder in sorted(base.iterdir()) if base.is_dir() else []:
        ws = Workspace(folder)
        locks = [WorkspaceLock(ws.meta / f"lock-{v}") for v in VARIANTS]
        try:
            for lock in locks:  # held while deleting: no check can start in there meanwhile
                lock.acquire()
            size = size_of(folder)
            shutil.rmtree(folder)
            freed += size
        except WorkspaceLocked:
            busy.append(folder)
        finally:
            for lock in locks:
                lock.release()
    console.print(f"Removed {human(freed)} from {base}.")
    for folder in busy:
        console.print(f"[yellow]Kept {folder}: a lesson check is using it.[/]")
    return 1 if busy else 0


def run_cache(clean_it: bool, console: Console) -> int:
    root = cache_root()
    if clean_it:
        return clean(console)
    console.print(f"{root}  {human(size_of(root))}")
    console.print("[dim]Remove the lesson-check builds with `pyo3dspy-tutor cache --clean`.[/]")
    return 0
