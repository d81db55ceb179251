"""Backups of a learner's files, taken before anything overwrites them."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from tutor.course.model import Step
from tutor.workspace.layout import Workspace
from tutor.workspace.scaffold import scaffold


def backup(ws: Workspace, step: Step, reason: str) -> Path | None:
    """Copy the step's learner files to ``backups/<step>/<time>-<reason>/``."""
    crate = ws.crate_dir(step)
    present = [rel for rel in step.files if (crate / rel).exists()]
    if not present:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    dest = ws.backups / step.id / f"{stamp}-{reason}"
    n = 1
    while dest.exists():
        n += 1
        dest = ws.backups / step.id / f"{stamp}-{reason}-{n}"
    for rel in present:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(crate / rel, dest / rel)
    return dest


def list_backups(ws: Workspace, step: Step) -> list[Path]:
    folder = ws.backups / step.id
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.exists() else []


def _replace_files(ws: Workspace, step: Step, source: Path, reason: str) -> Path | None:
    saved = backup(ws, step, reason)
    crate = scaffold(ws, step)
    for rel in step.files:
        if (source / rel).exists():
            (crate / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, crate / rel)
    return saved


def reset_step(ws: Workspace, step: Step) -> Path | None:
    """Put the starter files back; returns the backup of the learner's work."""
    return _replace_files(ws, step, step.starter_dir, "reset")


def apply_solution(ws: Workspace, step: Step) -> Path | None:
    """Put the reference solution in place; returns the backup of the learner's work."""
    return _replace_files(ws, step, step.solution_dir, "solution")


def restore(ws: Workspace, step: Step, saved: Path) -> Path | None:
    """Bring back a backup (the current files are backed up first)."""
    return _replace_files(ws, step, saved, "before-restore")
