"""The coach's note under the tool's own text: the CLI printer and the Errors pane entry."""

from __future__ import annotations

import io

from tutor.app.widgets.problems import from_diagnostic, from_python_error, from_test
from tutor.coach import Coach, load_catalogue
from tutor.console import TutorConsole
from tutor.events import Diagnostic, PythonError, TestResult, Verdict
from tutor.report import Printer

WITH_GIL = Diagnostic(
    "error",
    "no function or associated item named `with_gil` found for struct `pyo3::Python<'py>`",
    code="E0599",
    file="src/lib.rs",
    line=9,
    column=22,
    rendered="error[E0599]: no function or associated item named `with_gil` found",
)


def coached(event):
    return Coach(load_catalogue()).annotate(event)


def test_printer_explains_once_per_check_then_names_the_entry() -> None:
    buffer = io.StringIO()
    printer = Printer(TutorConsole(file=buffer, width=200, color_system=None))
    d = coached(WITH_GIL)
    for event in (d, d, Verdict("s", "fail"), d):
        printer(event)
    text = buffer.getvalue()
    assert text.index("error[E0599]") < text.index("coach: Python::with_gil was renamed")
    assert text.count("see: https://pyo3.rs/v0.29.3/migration.html") == 2  # reset per check
    assert text.count("(explained above)") == 1


def test_printer_leaves_uncoached_events_alone() -> None:
    buffer = io.StringIO()
    Printer(TutorConsole(file=buffer, width=200, color_system=None))(
        Diagnostic("error", "mismatched types", code="E0308", rendered="error[E0308]: mismatched")
    )
    assert "coach" not in buffer.getvalue()


def test_errors_pane_entries_carry_the_note_under_the_details() -> None:
    problem = from_diagnostic(coached(WITH_GIL))
    assert problem.coach == "Python::with_gil was renamed Python::attach"
    assert problem.details.startswith("error[E0599]")
    assert problem.details.endswith("see: https://pyo3.rs/v0.29.3/migration.html")
    assert "coach: " in problem.prompt().plain
    test = from_test(coached(TestResult("t", "failed", message="RuntimeError: Already borrowed")))
    error = from_python_error(coached(PythonError("RuntimeError", "Already borrowed")))
    assert test.coach == error.coach != ""
    assert from_diagnostic(WITH_GIL).coach == ""
