"""The CLI's face: print events for a person reading a terminal.

Everything goes through :class:`tutor.console.TutorConsole`: plain strings print
literally, and only :func:`tutor.console.markup` templates carry Rich markup.
"""

from __future__ import annotations

from pathlib import Path

from rich.markdown import Markdown

from tutor.console import TutorConsole, markup
from tutor.course import Step
from tutor.events import (
    BuildFinished,
    BuildProgress,
    Diagnostic,
    Event,
    GilStats,
    Notice,
    Output,
    OutputDropped,
    PythonError,
    RustPanic,
    Span,
    TestResult,
    TimeoutReport,
    Verdict,
)
from tutor.run.gil import describe_label
from tutor.trace.describe import span_line, usage_text
from tutor.trace.usage import total_usage

MARKS = {"pass": "[green]✓ pass[/]", "fail": "[red]✗ fail[/]", "error": "[yellow]! error[/]"}


def format_timings(timings: dict[str, float]) -> str:
    names = {
        "build_s": "build",
        "start_s": "start",
        "check_s": "check",
        "run_s": "run",
        "total_s": "total",
    }
    return "  ".join(f"{names.get(k, k)} {v:.2f}s" for k, v in timings.items())


def first_build_note(p: BuildProgress) -> str:
    return (
        f"First build: {p.total} crates to compile (PyO3 and its dependencies, once per "
        "workspace; 20–60 s on 2 cores). Later saves rebuild only your crate."
    )


def format_progress(p: BuildProgress) -> str:
    """``Compiling 12/21 crates (pyo3-ffi), about 30 s left``."""
    about = f", about {p.estimate_s:.0f} s left" if p.estimate_s else ""
    crate = f" ({p.crate})" if p.crate else ""
    return f"Compiling {p.done}/{p.total} crates{crate}{about}"


class Printer:
    """Prints what matters as it happens; ``verbose`` adds the build log and output."""

    def __init__(self, console: TutorConsole, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self._spans: list[Span] = []  # this step's, for the totals (verbose)
        self._progress_shown = False
        self._coached: set[str] = set()  # entries explained in full in this check

    def __call__(self, event: Event) -> None:
        self._print(event)
        note = getattr(event, "coach", None)
        shown = not isinstance(event, Diagnostic) or event.level == "error"
        if note is not None and shown:
            # In full once per check; repeats (one cause, many errors) name it only.
            lines = note.text().splitlines()
            if note.entry in self._coached:
                lines = [f"{lines[0]} (explained above)"]
            self._coached.add(note.entry)
            for line in lines:
                self.console.print(markup("  [cyan]│[/] {}", line))
        if isinstance(event, Verdict):
            self._coached.clear()

    def _print(self, event: Event) -> None:
        c = self.console
        if isinstance(event, BuildProgress):
            self._progress(event)
        elif isinstance(event, Diagnostic) and event.level == "error":
            c.print(event.rendered or event.message, style="red")
        elif isinstance(event, TestResult) and event.outcome in ("failed", "error"):
            c.print(markup("  [red]✗[/] {}: {}", event.name, event.message))
            if event.expected is not None:
                c.print(f"      expected: {event.expected}")
                c.print(f"      got:      {event.got or ''}")
        elif isinstance(event, TestResult) and event.outcome == "passed":
            c.print(markup("  [green]✓[/] {}", event.name))
        elif isinstance(event, TestResult) and event.outcome == "skipped":
            why = f": {event.message}" if event.message else ""
            c.print(markup("  [yellow]-[/] {} skipped{}", event.name, why))
        elif isinstance(event, RustPanic):
            where = f" at {event.file}:{event.line}:{event.column}" if event.file else ""
            c.print(markup("  [red]Rust panic{}:[/] {}", where, event.message))
        elif isinstance(event, PythonError):
            c.print(markup("  [red]{}:[/] {}", event.exc_type, event.message))
        elif isinstance(event, TimeoutReport):
            head, _, stack = event.text().partition("\n")
            c.print(markup("  [red]✗ timeout:[/] {}", head))
            for line in stack.splitlines():
                c.print(f"    {line}", style="dim")
        elif isinstance(event, Output) and self.verbose:
            c.print(event.text, style="dim")
        elif isinstance(event, OutputDropped) and self.verbose:
            c.print(f"  {event.text()}", style="yellow")
        elif isinstance(event, BuildFinished) and self.verbose:
            c.print(f"  build {'ok' if event.ok else 'failed'} in {event.duration_s:.2f}s")
        elif isinstance(event, GilStats) and self.verbose:
            for s in event.labels:
                c.print(f"  GIL {s.label}: {describe_label(s)}")
        elif isinstance(event, Notice):
            c.print(markup("[yellow]note:[/] {}", event.message))
        elif isinstance(event, Span) and self.verbose:
            self._spans.append(event)
            line = span_line(event)
            if line:
                c.print(markup("  [dim]trace[/] {}", line))
        elif isinstance(event, Verdict):
            total = total_usage(self._spans)
            if total["lm_calls"]:
                c.print(markup("  [dim]trace[/] total: {}", usage_text(total)))
            self._spans = []
            c.print(
                markup(
                    MARKS[event.verdict] + " {}  {}  [dim]{}[/]",
                    event.step_id,
                    event.summary,
                    format_timings(event.timings),
                )
            )

    def _progress(self, p: BuildProgress) -> None:
        """The first event says what is coming; then one line per ~10 % of the crates."""
        if not self._progress_shown:
            self._progress_shown = True
            self.console.print(markup("  [dim]{}[/]", first_build_note(p)))
        elif p.done == p.total or p.done % max(1, p.total // 10) == 0:
            self.console.print(markup("  [dim]{}[/]", format_progress(p)))


def print_lesson(console: TutorConsole, step: Step, crate: Path) -> None:
    """A step's title, goal, lesson text and the files to edit (``show``)."""
    console.print(markup("[bold]{}[/] — {}", step.title, step.goal))
    console.print(Markdown(step.readme.read_text(encoding="utf-8")))
    for rel in step.files:
        console.print(f"Edit: {crate / rel}")
