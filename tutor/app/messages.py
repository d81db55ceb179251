"""Messages the app's widgets send up to the app (the app owns the engine and state)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message


@dataclass
class StepChosen(Message):
    """The learner picked a step in the lesson tree."""

    step_id: str


@dataclass
class JumpTo(Message):
    """Move the editor to a place in the step's crate (from an error)."""

    file: str  # crate-relative
    line: int
    column: int = 1


@dataclass
class FileSaved(Message):
    """The editor wrote a file to disk."""

    path: Path


class EngineMilestone(Message):
    """A build started or a verdict arrived: render queued events now, not at the next tick.

    Posted from the rebuilder's thread (post_message is thread-safe and never waits).
    """
