"""Revealing a step's hints one at a time, remembered in the learner's progress."""

from __future__ import annotations

from dataclasses import dataclass

from tutor.course.model import Step
from tutor.fserrors import DiskError
from tutor.workspace.layout import Workspace
from tutor.workspace.lock import WorkspaceLock
from tutor.workspace.progress import load_progress, save_progress


@dataclass
class HintReveal:
    shown: int  # how many of the step's hints the learner has now seen
    total: int
    past_last: bool  # asked again after the last one: nothing new to show
    unsaved: DiskError | None = None  # the hint is shown, but could not be remembered


def reveal_hint(ws: Workspace, step: Step) -> HintReveal:
    """One more hint; on a read-only or full disk the hints still show, unremembered."""
    total = len(step.hints)
    try:
        with WorkspaceLock(ws.lock_file):
            progress = load_progress(ws.state_file)
            entry = progress.step(step.id)
            before = entry.hints_shown
            entry.hints_shown = min(before + 1, total)
            if entry.hints_shown != before:
                save_progress(ws.state_file, progress)
        return HintReveal(entry.hints_shown, total, before >= total)
    except DiskError as e:
        before = load_progress(ws.state_file).step(step.id).hints_shown
        return HintReveal(min(before + 1, total), total, before >= total, e)
