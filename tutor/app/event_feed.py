"""Core events → the main screen's panes: output lines, problems, spans, GIL stats.

The feed draws; phase changes and verdicts go back to the app through callbacks, since
they touch progress, the status line and notifications.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Tabs

from tutor.app.screens.main import MainScreen
from tutor.app.widgets.problems import (
    Problem,
    from_diagnostic,
    from_panic,
    from_python_error,
    from_test,
    from_timeout,
)
from tutor.events import (
    BuildFinished,
    BuildOutput,
    BuildProgress,
    BuildStarted,
    Diagnostic,
    Event,
    GilStats,
    Notice,
    Output,
    OutputDropped,
    PythonError,
    RunStarted,
    RustPanic,
    Span,
    SpanStarted,
    TestResult,
    TimeoutReport,
    Verdict,
)


class EventFeed:
    def __init__(
        self,
        main: MainScreen,
        *,
        set_phase: Callable[[str | None], None],
        on_verdict: Callable[[Verdict], None],
    ) -> None:
        self.main = main
        self._set_phase = set_phase
        self._on_verdict = on_verdict

    def render(self, events: list[Event]) -> Verdict | None:
        """Draw a batch of events (lines and problems in one go each); the last verdict."""
        main = self.main
        lines: list[str] = []
        problems: list[Problem] = []
        verdict: Verdict | None = None
        for e in events:
            if isinstance(e, Output):
                lines.extend(
                    (f"stderr│ {t}" if e.stream == "stderr" else t) for t in e.text.split("\n")
                )
            elif isinstance(e, OutputDropped):
                lines.append(e.text())
            elif isinstance(e, BuildOutput):
                lines.append(e.line)
            elif isinstance(e, BuildProgress):
                main.status.set_progress(e)
            elif isinstance(e, SpanStarted | Span):
                main.trace.add(e)
            elif isinstance(e, Diagnostic):
                problems.append(from_diagnostic(e))
            elif isinstance(e, TestResult):
                mark = {"passed": "✓", "skipped": "-"}.get(e.outcome, "✗")
                lines.append(f"{mark} {e.name} {e.outcome}")
                if e.outcome in ("failed", "error"):
                    problems.append(from_test(e))
            elif isinstance(e, PythonError):
                problems.append(from_python_error(e))
            elif isinstance(e, RustPanic):
                problems.append(from_panic(e))
            elif isinstance(e, TimeoutReport):
                problems.append(from_timeout(e))
            elif isinstance(e, Notice):  # the tutor changed a learner file: say it aloud
                lines.append(f"note: {e.message}")
                main.app.notify(e.message, severity="warning", timeout=15)
            elif isinstance(e, GilStats):
                main.gil.update_stats(e)
            elif isinstance(e, BuildStarted):
                problems.clear()
                main.errors.clear()
                lines.append(f"── build {e.step_id}: {' '.join(e.command)}")
                self._set_phase("building")
            elif isinstance(e, BuildFinished):
                if e.cancelled:
                    lines.append("── build cancelled (a newer save replaced it)")
                else:
                    what = "up to date" if e.fresh else ("ok" if e.ok else "failed")
                    lines.append(f"── build {what} in {e.duration_s:.2f}s")
                self._set_phase("running" if e.ok else None)
            elif isinstance(e, RunStarted):
                main.trace.clear()
                lines.append(f"── run (pid {e.pid})")
                self._set_phase("running")
            elif isinstance(e, Verdict):
                # The verdict's handler reads the Errors pane: fill it first.
                if lines:
                    main.output.add_lines(lines)
                    lines = []
                if problems:
                    main.errors.add(problems)
                    problems = []
                verdict = e
                self._on_verdict(e)
        if lines:
            main.output.add_lines(lines)
        if problems:
            main.errors.add(problems)
        self.update_errors_tab()
        return verdict

    def update_errors_tab(self) -> None:
        main = self.main
        n = main.errors.error_count
        tab = main.side.get_tab("tab-errors")
        label = f"Errors {n}" if n else "Errors"
        if str(tab.label) != label:
            tab.label = label
            # Textual redraws the underline before the relabelled tab is laid out again,
            # so it keeps the old width: redraw it once the layout has caught up.
            tabs = main.side.query_one(Tabs)
            redraw = getattr(tabs, "_highlight_active", None)
            if redraw is not None:
                main.app.call_after_refresh(redraw, animate=False)

    def reveal_pane(self, v: Verdict, *, quiet: bool = False) -> None:
        """Show the pane that explains the verdict: the trace of a pass, or the errors."""
        main = self.main
        if main.side.has_focus_within:
            return  # the learner is reading a pane: leave it alone
        if quiet and main.side.active == "tab-lesson":
            return  # a step just opened on a narrow screen: its lesson comes first
        if v.verdict == "pass":
            main.side.active = "tab-trace"
        elif main.errors.problems:
            main.side.active = "tab-errors"
