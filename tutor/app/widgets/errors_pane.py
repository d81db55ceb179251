"""What went wrong: compiler diagnostics, failed checks, Python errors, Rust panics.

One entry per problem (see ``problems.py``), errors before warnings. Enter (or a click)
on an entry with a place moves the editor there; the entry's full text (rendered
diagnostic, traceback, expected vs got) shows below the list, unwrapped: compiler
output keeps its columns and scrolls sideways.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tutor.app.messages import JumpTo
from tutor.app.widgets.problems import Problem

EMPTY = "No problems reported."


class ErrorsPane(Vertical):
    HELP = """\
## Errors

Everything the last check reported, one entry per problem, errors first:

- compiler errors (`✗`) and warnings (`!`) with their code (look it up with
  `rustc --explain E0308`) and file:line;
- failed checks, with what was **expected** and what your code returned (**got**);
- Python exceptions, and Rust panics: a panic that failed three checks is one entry
  that says how often it happened and names the checks;
- a time limit: the test that was still running and where it was;
- for PyO3's common errors, the **coach**'s note under the tool's own text: what it
  means, the usual fix and the PyO3 guide page.

Move with the arrow keys to see an entry in full below the list (compiler output keeps
its columns: scroll sideways). **Enter** on an entry with a file:line moves the editor
there. **c** copies the selected entry.
"""

    BINDINGS: ClassVar = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.problems: list[Problem] = []

    def compose(self) -> ComposeResult:
        yield OptionList(Option(EMPTY, disabled=True), id="errors-list")
        with ScrollableContainer(id="errors-detail-scroll"):
            yield Static("", id="errors-detail", markup=False)

    def on_mount(self) -> None:
        # Prompts are cached with the old theme's colours: rebuild them on a switch.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._redraw())

    def _redraw(self) -> None:
        if self.problems:
            self._show_all()

    def _show_all(self) -> None:
        options = self.option_list
        highlighted = options.highlighted
        options.clear_options()
        options.add_options([Option(p.prompt()) for p in self.problems])
        if self.problems:
            options.highlighted = min(highlighted or 0, len(self.problems) - 1)

    @property
    def option_list(self) -> OptionList:
        return self.query_one(OptionList)

    @property
    def error_count(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    def clear(self) -> None:
        self.problems.clear()
        self.option_list.clear_options()
        self.option_list.add_option(Option(EMPTY, disabled=True))
        self.query_one("#errors-detail", Static).update("")

    def add(self, problems: list[Problem]) -> None:
        """New entries, or more of a problem already listed (the same panic again)."""
        if not problems:
            return
        keyed = {p.key: p for p in self.problems if p.key}
        for problem in problems:
            same = keyed.get(problem.key) if problem.key else None
            if same is not None:
                same.absorb(problem)
            else:
                self.problems.append(problem)
                if problem.key:
                    keyed[problem.key] = problem
        self.problems.sort(key=lambda p: p.severity != "error")  # stable: errors first
        self._show_all()
        self._highlighted_changed()

    def action_cursor_down(self) -> None:
        self.option_list.action_cursor_down()

    def action_cursor_up(self) -> None:
        self.option_list.action_cursor_up()

    def _selected(self) -> Problem | None:
        index = self.option_list.highlighted
        if index is None or not self.problems or index >= len(self.problems):
            return None
        return self.problems[index]

    @on(OptionList.OptionHighlighted, "#errors-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._highlighted_changed()

    def _highlighted_changed(self) -> None:
        problem = self._selected()
        if problem is not None:
            self.query_one("#errors-detail", Static).update(Content(problem.full_text()))

    @on(OptionList.OptionSelected, "#errors-list")
    def _selected_entry(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        problem = self._selected()
        if problem is not None and problem.file and problem.line:
            self.post_message(JumpTo(problem.file, problem.line, problem.column or 1))

    def copy_text(self) -> tuple[str, str] | None:
        problem = self._selected()
        if problem is None:
            return None
        where = f"{problem.where}: " if problem.where else ""
        return "error", f"{where}{problem.full_text()}"
