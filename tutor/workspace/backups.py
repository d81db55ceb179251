"""Backups of a learner's files, taken before anything overwrites them."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from tutor.course.model import Step
from tutor.fserrors import writing
from tutor.workspace.layout import Workspace

Notify = Callable[[str], None]


def backup(ws: Workspace, step: Step, reason: str) -> Path | None:
    """Copy the step's learner files to ``backups/<step>/<time>-<reason>/``."""
    return backup_files(ws, step, step.files, reason)


def backup_files(ws: Workspace, step: Step, files: Iterable[str], reason: str) -> Path | None:
    """Copy ``files`` (crate-relative) of the step's crate to a new backup folder."""
    crate = ws.crate_dir(step)
    present = [rel for rel in files if (crate / rel).exists()]
    if not present:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    dest = ws.backups / step.id / f"{stamp}-{reason}"
    n = 1
    while dest.exists():
        n += 1
        dest = ws.backups / step.id / f"{stamp}-{reason}-{n}"
    with writing(ws.backups):
        for rel in present:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(crate / rel, dest / rel)
    return dest


def list_backups(ws: Workspace, step: Step) -> list[Path]:
    """Backups that hold learner files (not the manifests scaffolding saved), oldest first."""
    folder = ws.backups / step.id
    if not folder.exists():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_dir() and any((p / rel).exists() for rel in step.files)
    )


def _replace_files(
    ws: Workspace, step: Step, source: Path, reason: str, notify: Notify | None
) -> Path | None:
    from tutor.workspace.scaffold import scaffold  # here: scaffold backs up with this module

    saved = backup(ws, step, reason)
    crate = scaffold(ws, step, notify=notify)
    for rel in step.files:
        if (source / rel).exists():
            (crate / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, crate / rel)
    return saved


def reset_step(ws: Workspace, step: Step, notify: Notify | None = None) -> Path | None:
    """Put the starter files back; returns the backup of the learner's work."""
    return _replace_files(ws, step, step.starter_dir, "reset", notify)


def apply_solution(ws: Workspace, step: Step, notify: Notify | None = None) -> Path | None:
    """Put the reference solution in place; returns the backup of the learner's work."""
    return _replace_files(ws, step, step.solution_dir, "solution", notify)


def restore(ws: Workspace, step: Step, saved: Path, notify: Notify | None = None) -> Path | None:
    """Bring back a backup (the current files are backed up first)."""
    return _replace_files(ws, step, saved, "before-restore", notify)
