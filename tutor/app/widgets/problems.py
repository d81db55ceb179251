"""Core events → the Errors pane's entries: one entry per problem.

A Rust panic reaches the pane several ways: the ``RustPanic`` event of each call that
panicked and, for each, a failed check whose message is "PanicException: <message>".
They are one problem; the entry counts the calls and names the checks. Identical Python
errors fold the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.content import Content

from tutor.events import (
    CoachNote,
    Diagnostic,
    PythonError,
    RustPanic,
    TestResult,
    TimeoutReport,
    Verdict,
)

PANIC_EXCEPTION = "pyo3_runtime.PanicException: "


@dataclass
class Problem:
    severity: str  # error | warning
    title: str  # one line: what and where
    summary: str  # the first line of the message
    details: str  # everything, for the detail view and copying
    file: str | None = None
    line: int | None = None
    column: int | None = None
    key: tuple[str, ...] = ()  # problems with the same non-empty key are one entry
    times: int = 1  # how many times it happened (a failed check only names a panic: 0)
    checks: list[str] = field(default_factory=list)  # the checks it made fail
    coach: str = ""  # the error coach's title for it (tutor/coach/)

    @property
    def where(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")

    def absorb(self, other: Problem) -> None:
        """Fold another report of the same problem into this entry."""
        first_check = bool(other.checks) and not self.checks
        self.times += other.times
        self.checks += [c for c in other.checks if c not in self.checks]
        if other.file and not self.file:  # the panic's own event knows where it was
            self.title, self.file, self.line, self.column = (
                other.title,
                other.file,
                other.line,
                other.column,
            )
            self.details = f"{other.details}\n\n{self.details}"
        elif first_check:  # one traceback shows where the check called the panicking code
            self.details = f"{self.details}\n\n{other.details}"

    def context(self) -> str:
        parts = []
        if self.times > 1:
            parts.append(f"{self.times} times")
        if self.checks:
            n = len(self.checks)
            parts.append(f"failed {n} check{'s' * (n != 1)}: {', '.join(self.checks)}")
        return "; ".join(parts)

    def prompt(self) -> Content:
        mark, style = ("✗", "$text-error") if self.severity == "error" else ("!", "$text-warning")
        head = Content.assemble((mark, f"bold {style}"), " ", (self.title, "bold"))
        if self.where:
            head = Content.assemble(head, "  ", (self.where, "$text-accent"))
        lines = [head]
        if self.summary:
            lines.append(Content.assemble("  ", self.summary))
        if self.context():
            lines.append(Content.assemble("  ", (self.context(), "$text-muted")))
        if self.coach:
            lines.append(Content.assemble("  ", ("coach: ", "bold $text-success"), self.coach))
        return Content("\n").join(lines)

    def full_text(self) -> str:
        context = self.context()
        return f"{self.details}\n\n({context})" if context else self.details


def coached(problem: Problem, note: CoachNote | None) -> Problem:
    """The error coach's explanation under the tool's own text."""
    if note is not None:
        problem.coach = note.title
        problem.details = f"{problem.details}\n\n{note.text()}"
    return problem


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def from_diagnostic(d: Diagnostic) -> Problem:
    code = f"[{d.code}]" if d.code else ""
    severity = "error" if d.level == "error" else "warning"
    problem = Problem(
        severity,
        f"{d.level}{code}",
        first_line(d.message),
        d.rendered.rstrip() or d.message,
        d.file,
        d.line,
        d.column,
    )
    return coached(problem, d.coach)


def from_test(t: TestResult) -> Problem:
    if t.message.startswith(PANIC_EXCEPTION):
        message = t.message.removeprefix(PANIC_EXCEPTION)
        return Problem(
            "error",
            "Rust panic",
            first_line(message),
            t.traceback or t.message,
            key=("panic", message),
            times=0,  # the panic's own RustPanic event counts it
            checks=[t.name],
        )
    summary = first_line(t.message)
    details = [f"{t.name}: {t.outcome}", t.message]
    if t.expected is not None or t.got is not None:
        summary += f"\n  expected: {t.expected}\n  got:      {t.got}"
        details += [f"expected: {t.expected}", f"got:      {t.got}"]
    if t.traceback:
        details += ["", t.traceback]
    problem = Problem("error", f"check failed: {t.name}", summary, "\n".join(details))
    return coached(problem, t.coach)


def from_python_error(e: PythonError) -> Problem:
    problem = Problem(
        "error",
        f"Python {e.exc_type}",
        first_line(e.message),
        f"{e.exc_type}: {e.message}\n\n{e.traceback}".rstrip(),
        key=("python", e.exc_type, e.message),
    )
    return coached(problem, e.coach)


def from_panic(p: RustPanic) -> Problem:
    thread = f" in thread '{p.thread}'" if p.thread and p.thread != "<unnamed>" else ""
    return Problem(
        "error",
        f"Rust panic{thread}",
        first_line(p.message),
        f"Rust panicked{thread} at {p.file}:{p.line}:\n{p.message}"
        if p.file
        else f"Rust panicked{thread}:\n{p.message}",
        p.file,
        p.line,
        p.column,
        key=("panic", p.message),
    )


def from_timeout(t: TimeoutReport) -> Problem:
    """The test that was running when the time ran out, and where (its innermost frame)."""
    test = t.test or "the check"
    frames = [line.strip() for line in t.stack.splitlines() if line.strip().startswith("File ")]
    return Problem(
        "error",
        f"timeout: {test} still running after {t.limit_s:g} s",
        f"at {frames[0]}" if frames else "",  # most recent call first
        t.text(),
    )


VERDICT_TITLES = {
    "timeout": "Time limit reached",
    "crash": "The check crashed",
    "exit": "The program exited",
    "build": "The build failed",
    "import": "The module did not import",
}


def from_verdict(v: Verdict) -> Problem:
    """The verdict itself, when no other entry explains it (a time limit, a crash)."""
    title = VERDICT_TITLES.get(v.reason, "The check failed" if v.verdict == "fail" else "Error")
    return Problem("error", title, v.summary, "\n\n".join([v.summary, *v.errors]))
