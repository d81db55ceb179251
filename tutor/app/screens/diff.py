"""Your file against the reference solution, as a coloured unified diff."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tutor.course.model import Step


def _read(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines(keepends=True)
    except OSError:
        return []


def step_diff(step: Step, crate: Path) -> list[str]:
    """Unified diff lines, learner file → solution, for every file of the step."""
    lines: list[str] = []
    for rel in step.files:
        lines += difflib.unified_diff(
            _read(crate / rel),
            _read(step.solution_dir / rel),
            fromfile=f"yours/{rel}",
            tofile=f"solution/{rel}",
            n=3,
        )
    return [line.rstrip("\n") for line in lines]


def styled(lines: list[str]) -> Content:
    if not lines:
        return Content("Your files are the same as the solution.")
    parts: list[Content] = []
    for line in lines:
        if line.startswith(("+++", "---")):
            parts.append(Content.styled(line, "bold"))
        elif line.startswith("@@"):
            parts.append(Content.styled(line, "$text-accent"))
        elif line.startswith("+"):
            parts.append(Content.styled(line, "$text-success"))
        elif line.startswith("-"):
            parts.append(Content.styled(line, "$text-error"))
        else:
            parts.append(Content(line))
    return Content("\n").join(parts)


class DiffScreen(ModalScreen[None]):
    BINDINGS: ClassVar = [Binding("escape,q", "close", "Close")]

    def __init__(self, step: Step, crate: Path) -> None:
        super().__init__(classes="dialog")
        self.lines = step_diff(step, crate)
        self.step = step

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Static(
                f"{self.step.title}: your file (-) against the solution (+)  (escape closes)",
                classes="dialog-title",
                markup=False,
            )
            with VerticalScroll(id="diff-scroll"):
                yield Static(styled(self.lines), id="diff-text")

    def action_close(self) -> None:
        self.dismiss(None)
