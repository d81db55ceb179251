"""The CLI's face: print events for a person reading a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from tutor.events import (
    BuildFinished,
    Diagnostic,
    Event,
    GilStats,
    Notice,
    Output,
    OutputDropped,
    PythonError,
    RustPanic,
    TestResult,
    TimeoutReport,
    Verdict,
)
from tutor.run.gil import describe_label

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


class Printer:
    """Prints what matters as it happens; ``verbose`` adds the build log and output."""

    def __init__(self, console: Console, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose

    def __call__(self, event: Event) -> None:
        c = self.console
        if isinstance(event, Diagnostic) and event.level == "error":
            c.print(escape(event.rendered or event.message), style="red", highlight=False)
        elif isinstance(event, TestResult) and event.outcome in ("failed", "error"):
            c.print(f"  [red]✗[/] {escape(event.name)}: {escape(event.message)}", highlight=False)
            if event.expected is not None:
                c.print(f"      expected: {escape(event.expected)}", highlight=False)
                c.print(f"      got:      {escape(event.got or '')}", highlight=False)
        elif isinstance(event, TestResult) and event.outcome == "passed":
            c.print(f"  [green]✓[/] {escape(event.name)}", highlight=False)
        elif isinstance(event, RustPanic):
            where = f" at {event.file}:{event.line}:{event.column}" if event.file else ""
            c.print(f"  [red]Rust panic{where}:[/] {escape(event.message)}", highlight=False)
        elif isinstance(event, PythonError):
            c.print(f"  [red]{escape(event.exc_type)}:[/] {escape(event.message)}", highlight=False)
        elif isinstance(event, TimeoutReport):
            head, _, stack = event.text().partition("\n")
            c.print(f"  [red]✗ timeout:[/] {escape(head)}", highlight=False)
            for line in stack.splitlines():
                c.print(f"    {escape(line)}", style="dim", highlight=False)
        elif isinstance(event, Output) and self.verbose:
            c.print(escape(event.text), style="dim", highlight=False)
        elif isinstance(event, OutputDropped) and self.verbose:
            c.print(f"  {escape(event.text())}", style="yellow", highlight=False)
        elif isinstance(event, BuildFinished) and self.verbose:
            c.print(f"  build {'ok' if event.ok else 'failed'} in {event.duration_s:.2f}s")
        elif isinstance(event, GilStats) and self.verbose:
            for s in event.labels:
                c.print(f"  GIL {escape(s.label)}: {describe_label(s)}", highlight=False)
        elif isinstance(event, Notice):
            c.print(f"[yellow]note:[/] {escape(event.message)}", highlight=False)
        elif isinstance(event, Verdict):
            c.print(
                f"{MARKS[event.verdict]} {event.step_id}  {escape(event.summary)}  "
                f"[dim]{format_timings(event.timings)}[/]",
                highlight=False,
            )
