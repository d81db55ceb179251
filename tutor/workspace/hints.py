"""Revealing a step's hints one at a time, remembered in the learner's progress."""

from __future__ import annotations

from dataclasses import dataclass

from tutor.course.model import Step
from tutor.fserrors import DiskError, disk_error
from tutor.workspace.layout import Workspace
from tutor.workspace.progress import load_progress, record_hints_shown


@dataclass
class HintReveal:
    shown: int  # how many of the step's hints the learner has now seen
    total: int
    past_last: bool  # asked again after the last one: nothing new to show
    unsaved: DiskError | None = None  # the hint is shown, but could not be remembered


def reveal_hint(ws: Workspace, step: Step) -> HintReveal:
    """One more hint, without the workspace lock: a learner may ask next to the app or
    `watch`. The count goes to the hints journal (see tutor/workspace/progress.py), which
    the lock holder merges; on a read-only or full disk the hint still shows, unremembered.
    """
    total = len(step.hints)
    before = load_progress(ws.state_file).step(step.id).hints_shown
    shown = min(before + 1, total)
    try:
        if shown != before:
            record_hints_shown(ws.state_file, step.id, shown)
    except OSError as e:
        problem = disk_error(e, ws.state_file.parent)
        if problem is None:
            raise
        return HintReveal(shown, total, before >= total, problem)
    return HintReveal(shown, total, before >= total)
