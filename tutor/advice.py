"""Commands the CLI tells a learner to run, spelled so that they work as printed.

Advice names the same workspace and course as the command that printed it (a learner who
started with ``--workspace DIR`` gets ``--workspace DIR`` back), and never suggests a
command that the current situation refuses. tests/core/test_advice.py runs each one.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from tutor.config import APP, Settings
from tutor.course import Course


def command(settings: Settings, *words: str) -> str:
    """``pyo3dspy-tutor [--workspace W] [--lessons L] words…`` for these settings."""
    parts = [APP]
    if settings.workspace != Path.home() / APP:
        parts += ["--workspace", str(settings.workspace)]
    if settings.lessons is not None:
        parts += ["--lessons", str(settings.lessons)]
    return shlex.join([*parts, *words])


def after_pass(settings: Settings, course: Course, step_id: str, *, watching: bool) -> str:
    """What to do once ``step_id`` passes. ``watching``: the printer still holds the
    workspace, so moving on needs it stopped first."""
    nxt = course.next_step(step_id)
    if nxt is None:
        return (
            f"Course complete: every step of “{course.title}” is done. "
            f"`{command(settings, 'list')}` shows your progress."
        )
    goto = f"`{command(settings, 'goto', nxt.id)}`"
    if watching:
        return (
            f"Step done. Next: stop watching (ctrl+c), then {goto} and "
            f"`{command(settings, 'watch')}` (or keep experimenting)."
        )
    return f"Step done. Next: {goto} (or keep experimenting)."
