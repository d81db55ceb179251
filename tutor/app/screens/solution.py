"""The reference solution, read-only; the learner may apply it (their files are backed up)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.theme import Theme
from textual.widgets import Button, Static, TextArea

from tutor.app.themes import syntax_theme_for
from tutor.app.widgets.editor import LANGUAGES, read_text
from tutor.course.model import Step


class SolutionScreen(ModalScreen[bool]):
    """Dismisses with True when the learner asks to apply the solution."""

    BINDINGS: ClassVar = [
        Binding("escape,q", "answer(False)", "Close"),
        Binding("a", "answer(True)", "Apply"),
    ]

    def __init__(self, step: Step) -> None:
        super().__init__(classes="dialog")
        self.step = step

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Static(
                f"{self.step.title}: the reference solution", classes="dialog-title", markup=False
            )
            for rel in self.step.files:
                path = self.step.solution_dir / rel
                view = TextArea(
                    read_text(path),
                    language=LANGUAGES.get(path.suffix),
                    read_only=True,
                    show_line_numbers=True,
                    soft_wrap=False,
                    classes="solution-code",
                )
                view.border_title = escape(rel)
                yield view
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply it to my files (a)", id="apply", variant="warning")
                yield Button("Close (escape)", id="close")

    def on_mount(self) -> None:
        self._theme_changed(self.app.current_theme)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.query_one("#close", Button).focus()

    def _theme_changed(self, theme: Theme) -> None:
        for view in self.query(TextArea):
            view.theme = syntax_theme_for(theme)

    def action_answer(self, apply: bool) -> None:
        self.dismiss(apply)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "apply")
