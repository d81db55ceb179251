"""What went wrong: compiler diagnostics, failed checks, Python errors, Rust panics.

Enter (or a click) on an entry with a place moves the editor there; the entry's full
text (rendered diagnostic, traceback, expected vs got) shows below the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tutor.app.messages import JumpTo
from tutor.events import Diagnostic, PythonError, RustPanic, TestResult, TimeoutReport, Verdict

EMPTY = "No problems reported."


@dataclass
class Problem:
    severity: str  # error | warning
    title: str  # one line: what and where
    summary: str  # one more line
    details: str  # everything, for the detail view and copying
    file: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def where(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")

    def prompt(self) -> Content:
        mark, style = ("✗", "$text-error") if self.severity == "error" else ("!", "$text-warning")
        head = Content.assemble((mark, f"bold {style}"), " ", (self.title, "bold"))
        if self.where:
            head = Content.assemble(head, "  ", (self.where, "$text-accent"))
        if self.summary:
            return Content.assemble(head, "\n  ", self.summary)
        return head


def from_diagnostic(d: Diagnostic) -> Problem:
    code = f"[{d.code}]" if d.code else ""
    severity = "error" if d.level == "error" else "warning"
    first = d.message.splitlines()[0] if d.message else ""
    return Problem(
        severity, f"{d.level}{code}", first, d.rendered or d.message, d.file, d.line, d.column
    )


def from_test(t: TestResult) -> Problem:
    summary = t.message.splitlines()[0] if t.message else ""
    details = [f"{t.name}: {t.outcome}", t.message]
    if t.expected is not None or t.got is not None:
        summary += f"\n  expected: {t.expected}\n  got:      {t.got}"
        details += [f"expected: {t.expected}", f"got:      {t.got}"]
    if t.traceback:
        details += ["", t.traceback]
    return Problem("error", f"check failed: {t.name}", summary, "\n".join(details))


def from_python_error(e: PythonError) -> Problem:
    return Problem(
        "error",
        f"Python {e.exc_type}",
        e.message.splitlines()[0] if e.message else "",
        f"{e.exc_type}: {e.message}\n\n{e.traceback}".rstrip(),
    )


def from_panic(p: RustPanic) -> Problem:
    thread = f" in thread '{p.thread}'" if p.thread else ""
    return Problem(
        "error",
        f"Rust panic{thread}",
        p.message,
        f"Rust panicked{thread}: {p.message}",
        p.file,
        p.line,
        p.column,
    )


def from_timeout(t: TimeoutReport) -> Problem:
    test = t.test or "the check"
    stack = t.stack.splitlines()
    last = next((line.strip() for line in stack if line.strip().startswith("File ")), "")
    return Problem(
        "error",
        f"timeout: {test} still running after {t.limit_s:g} s",
        f"at {last}" if last else "",
        t.text(),
    )


def from_verdict(v: Verdict) -> Problem:
    return Problem("error", v.summary, "", "\n\n".join([v.summary, *v.errors]))


class ErrorsPane(Vertical):
    HELP = """\
## Errors

Everything the last check reported, newest check only:

- compiler errors (`✗`) and warnings (`!`) with their code (look it up with
  `rustc --explain E0308`) and file:line;
- failed checks, with what was **expected** and what your code returned (**got**);
- Python exceptions and Rust panics.

Move with the arrow keys to see an entry in full below the list. **Enter** on an entry
with a file:line moves the editor there. **c** copies the selected entry.
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
        with VerticalScroll(id="errors-detail-scroll"):
            yield Static("", id="errors-detail", markup=False)

    def on_mount(self) -> None:
        # Prompts are cached with the old theme's colours: rebuild them on a switch.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._redraw())

    def _redraw(self) -> None:
        if self.problems:
            options = self.option_list
            highlighted = options.highlighted
            options.clear_options()
            options.add_options([Option(p.prompt()) for p in self.problems])
            options.highlighted = highlighted

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
        if not problems:
            return
        options = self.option_list
        if not self.problems:
            options.clear_options()
        self.problems.extend(problems)
        options.add_options([Option(p.prompt()) for p in problems])
        if options.highlighted is None:
            options.highlighted = 0

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
        problem = self._selected()
        if problem is not None:
            self.query_one("#errors-detail", Static).update(Content(problem.details))

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
        return "error", f"{where}{problem.details}"
