"""Events that stop a check → Problem records (level, kind, code, file, line, column).

One place turns each kind of failure into the structured form that verdicts carry, so the
JSON report, the JUnit report, the CLI and the app all read the same fields.
"""

from __future__ import annotations

from tutor.events import Diagnostic, Problem, PythonError, RustPanic, TestResult


def from_diagnostic(d: Diagnostic) -> Problem:
    return Problem(
        level=d.level,
        kind="compiler",
        message=d.message,
        code=d.code,
        file=d.file,
        line=d.line,
        column=d.column,
        rendered=d.rendered,
    )


def from_test(t: TestResult) -> Problem:
    return Problem(
        level="error",
        kind="test",
        message=f"{t.name}: {t.message}",
        code=t.name,
        file=t.file,
        line=t.line,
    )


def from_panic(p: RustPanic) -> Problem:
    return Problem(
        level="error",
        kind="panic",
        message=p.message,
        code="panic",
        file=p.file,
        line=p.line,
        column=p.column,
    )


def from_python_error(e: PythonError) -> Problem:
    return Problem(
        level="error",
        kind="python",
        message=f"{e.exc_type}: {e.message}",
        code=e.exc_type,
        file=e.file,
        line=e.line,
        rendered=e.traceback,
    )


def tutor_problem(message: str, kind: str = "tutor") -> Problem:
    """A problem with no source location: the toolchain, the runner, a crash report."""
    return Problem(level="error", kind=kind, message=message)
