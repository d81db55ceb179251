"""One step end to end: scaffold → build → run → verdict, as a stream of events.

The app, the CLI and CI all drive this; none of them builds or runs anything itself.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.build.cargo import BuildResult, build
from tutor.cancel import CancelToken
from tutor.coach import Coach, load_catalogue
from tutor.config import DEFAULT_MEMORY_MIB
from tutor.course.model import Course, Step
from tutor.events import Event, Notice, Verdict
from tutor.fserrors import DiskError
from tutor.lm.settings import LMSettings, missing_key
from tutor.problems import (
    from_diagnostic,
    from_panic,
    from_python_error,
    from_test,
    tutor_problem,
)
from tutor.run.channel import EXIT_CHANNEL_LOST
from tutor.run.runner import Runner, RunnerError, RunOutcome, RunRequest, python_stack
from tutor.services.manager import ServiceError, running
from tutor.trace.redact import redact_event, secret_values
from tutor.workspace.layout import Workspace
from tutor.workspace.scaffold import cargo_target_name, scaffold

Emit = Callable[[Event], None]

_SIGNALS = {
    signal.SIGSEGV: "a segmentation fault (SIGSEGV): memory was read or written through an "
    "invalid pointer, usually in `unsafe` code",
    signal.SIGABRT: "an abort (SIGABRT): a panic that could not unwind, or a failed check in C",
    signal.SIGBUS: "a bus error (SIGBUS): an invalid memory access",
    signal.SIGFPE: "an arithmetic fault (SIGFPE)",
    signal.SIGILL: "an illegal instruction (SIGILL)",
    signal.SIGKILL: "SIGKILL from outside the tutor: usually the system's out-of-memory "
    "killer (the machine ran out of memory before the check reached its limit)",
}


class Session:
    """Checks steps of one course in one workspace, sharing one warm runner."""

    def __init__(
        self,
        course: Course,
        workspace: Workspace,
        lm_settings: dict[str, Any],
        memory_mib: int = DEFAULT_MEMORY_MIB,
    ) -> None:
        self.course = course
        self.workspace = workspace
        self.memory_mib = memory_mib  # per check, unless the step sets its own
        workspace.meta.mkdir(parents=True, exist_ok=True)
        self.runner = Runner(lm_settings, log_path=workspace.meta / "runner.log")
        # A provider without its key would fail inside every check; say so once, up front.
        self.lm_problem = missing_key(LMSettings(**lm_settings))
        self.coach = Coach(load_catalogue(course.root))

    def close(self) -> None:
        self.runner.close()

    def check(
        self,
        step: Step,
        emit: Emit,
        *,
        variant: str = "learner",
        cancel: CancelToken | None = None,
        record_to: Path | None = None,
    ) -> Verdict:
        """Build and check ``step``; emits every event, the Verdict last, and returns it.

        Every event passes through ``redact_event`` here, the one door to every face:
        secret-looking environment values never reach a terminal, a file or the app.
        """
        secrets = secret_values()

        self.coach.reset()

        def emit_redacted(event: Event) -> None:
            emit(self.coach.annotate(redact_event(event, secrets)))

        verdict = self._check(step, emit_redacted, variant, cancel or CancelToken(), record_to)
        verdict = redact_event(verdict, secrets)
        emit(verdict)
        return verdict

    def _check(
        self,
        step: Step,
        emit: Emit,
        variant: str,
        cancel: CancelToken,
        record_to: Path | None,
    ) -> Verdict:
        if self.lm_problem:
            return Verdict(
                step.id, "error", "lm", self.lm_problem, {}, [tutor_problem(self.lm_problem)]
            )
        started = time.monotonic()
        ws = self.workspace
        try:
            crate = scaffold(ws, step, variant, notify=lambda m: emit(Notice(m)))
            result = build(
                step,
                cargo_target_name(step, variant),
                crate,
                ws.target_dir(),
                ws.build_dir(step, variant),
                emit,
                cancel,
            )
        except DiskError as e:
            result = BuildResult(ok=False, disk_error=e)
        timings = {"build_s": round(result.duration_s, 4)}
        if result.disk_error:
            verdict = Verdict(
                step.id,
                "error",
                "disk",
                f"Could not build: {result.disk_error.message}.",
                timings,
                [tutor_problem(str(result.disk_error), "disk")],
            )
        elif result.cancelled:
            verdict = Verdict(
                step.id, "error", "cancelled", "Stopped: a newer save replaced this build.", timings
            )
        elif result.tool_error:
            verdict = Verdict(
                step.id,
                "error",
                "toolchain",
                result.tool_error,
                timings,
                [tutor_problem(result.tool_error)],
            )
        elif not result.ok:
            errors = [from_diagnostic(d) for d in result.diagnostics if d.level == "error"]
            n = len(errors)
            verdict = Verdict(
                step.id,
                "fail",
                "build",
                f"The crate does not compile ({n} error{'s' * (n != 1)}).",
                timings,
                errors,
            )
        else:
            assert result.artifact is not None
            request = RunRequest(
                step_id=step.id,
                module=step.crate_module,
                check_path=step.check_path,
                build_dir=result.artifact.parent,
                cwd=crate,
                timeout_s=step.timeout_s,
                cassette=step.cassette,
                scripts=[s.table for s in step.scripts],
                lm_task=step.lm_task,
                binary=result.artifact if step.kind == "binary" else None,
                record_to=record_to,
                memory_mib=step.memory_mib or self.memory_mib,
            )
            try:
                # Here, not in the child: a check killed on timeout can't leak a service.
                with running(step.services) as request.env:
                    outcome = self.runner.run(request, emit, cancel)
            except ServiceError as e:
                verdict = Verdict(step.id, "error", "service", e.message, timings, [e.message])
            except RunnerError as e:  # the runner, not the learner's code: say how to fix
                verdict = Verdict(
                    step.id, "error", "runner", e.message, timings, [tutor_problem(str(e))]
                )
            else:
                timings.update(_run_timings(outcome))
                crashed = outcome.signal in (signal.SIGSEGV, signal.SIGBUS)
                unsafe_code = crashed and uses_unsafe(crate, step)
                verdict = judge(step, outcome, timings, request.memory_mib, unsafe_code=unsafe_code)
        verdict.timings["total_s"] = round(time.monotonic() - started, 4)
        return verdict


def _run_timings(o: RunOutcome) -> dict[str, float]:
    t: dict[str, float] = {}
    if o.first_test_at is not None:
        t["start_s"] = round(o.first_test_at - o.requested_at, 4)
        t["check_s"] = round(o.finished_at - o.first_test_at, 4)
    else:
        t["run_s"] = round(o.finished_at - o.requested_at, 4)
    return t


def judge(
    step: Step,
    o: RunOutcome,
    timings: dict[str, float],
    memory_mib: int | None = None,
    *,
    unsafe_code: bool = True,
) -> Verdict:
    """Turn what happened in the child into one verdict a learner can act on.

    ``unsafe_code``: whether the learner's files use ``unsafe`` (a segfault without it
    is a stack overflow: see _stack_overflow).
    """
    failed = [t for t in o.tests if t.outcome in ("failed", "error")]
    errors = [from_test(t) for t in failed]
    if o.cancelled:
        return Verdict(step.id, "error", "cancelled", "Stopped before the check finished.", timings)
    if o.runner_died:
        return Verdict(
            step.id,
            "error",
            "runner",
            "The check runner stopped unexpectedly; it restarts with the next check.",
            timings,
            errors,
        )
    if o.channel_junk or (o.exit_code == EXIT_CHANNEL_LOST and o.pytest_exit is None):
        what = (
            f"received {o.channel_junk} bytes it did not send (starting {o.channel_sample!r})"
            if o.channel_junk
            else "was closed"
        )
        return Verdict(
            step.id,
            "error",
            "channel",
            f"The tutor's events channel {what}: something in the check's process "
            "wrote to, or closed, a file descriptor it did not open, so this run's "
            "results can't be trusted. Write only to stdout/stderr or files you open.",
            timings,
            errors,
        )
    if o.memory_exceeded or _allocation_failed(o.stderr_tail):
        used = f" (at least {o.peak_memory // 2**20} MiB)" if o.memory_exceeded else ""
        limit = f"more than {memory_mib} MiB" if memory_mib else "more memory than it could get"
        return Verdict(
            step.id,
            "fail",
            "memory",
            f"The check used {limit}{used} and was stopped. A collection that grows "
            "without end, or one very large allocation?",
            timings,
            errors,
        )
    lm_failure = _lm_failure(o)  # before the time limit: retries of a dead LM use it up
    if lm_failure:
        return Verdict(
            step.id,
            "error",
            "lm",
            f"The LM failed, so the step could not be judged: {lm_failure}",
            timings,
            [
                tutor_problem(
                    f"{lm_failure}\n  fix: check the network, the key and the model "
                    "(`pyo3dspy-tutor doctor` tries it), or use --lm offline",
                    "lm",
                )
            ],
        )
    if o.timed_out:
        report = [tutor_problem(o.timeout_report.text(), "timeout")] if o.timeout_report else []
        return Verdict(
            step.id,
            "fail",
            "timeout",
            f"The check did not finish within {step.timeout_s:g} s and was stopped. "
            "An endless loop, or a wait that never ends (a lock, a channel, a join)?",
            timings,
            report + errors,
        )
    overflow = _stack_overflow(o, unsafe_code)
    if overflow is not None:
        return Verdict(step.id, "fail", "stack-overflow", overflow, timings, errors)
    if o.signal is not None and o.pytest_exit is None:
        what = _SIGNALS.get(o.signal, f"signal {o.signal}")  # type: ignore[call-overload]
        report = crash_report(o.stderr_tail)
        return Verdict(
            step.id,
            "fail",
            "crash",
            f"The step's code crashed the process with {what}.",
            timings,
            [tutor_problem(report, "crash")] if report else [],
        )
    if o.pytest_exit is None:
        return Verdict(
            step.id,
            "fail",
            "exit",
            f"The process ended (exit code {o.exit_code}) before the check finished: "
            "something called std::process::exit, os._exit or sys.exit.",
            timings,
            errors,
        )
    if o.panics and failed:
        p = o.panics[0]
        where = f" at {p.file}:{p.line}" if p.file else ""
        return Verdict(
            step.id,
            "fail",
            "panic",
            f"Rust panicked{where}: {p.message}",
            timings,
            [from_panic(p), *errors],
        )
    skipped = [t for t in o.tests if t.outcome == "skipped"]
    skips = [f"{t.name}: {t.message}" if t.message else t.name for t in skipped]
    skip_note = f", {len(skipped)} skipped" if skipped else ""
    if o.pytest_exit == 0 and o.tests and not failed:
        n, passed = len(o.tests), len(o.tests) - len(skipped)
        if not passed:  # nothing was verified: not a pass
            return Verdict(
                step.id,
                "error",
                "skipped",
                f"All {n} check{'s' * (n != 1)} were skipped: nothing was verified.",
                timings,
                skips,
                skips,
            )
        if skipped:
            summary = f"{passed} of {n} checks passed{skip_note}."
        else:
            summary = f"All {n} check{'s' * (n != 1)} passed."
        return Verdict(step.id, "pass", "", summary, timings, [], skips)
    if o.pytest_exit == 1 and failed:
        return Verdict(
            step.id,
            "fail",
            "test",
            f"{len(failed)} of {len(o.tests)} checks failed{skip_note}.",
            timings,
            errors,
            skips,
        )
    if o.python_errors:
        e = o.python_errors[0]
        problem = from_python_error(e)
        file, line = e.file, e.line
        if file and Path(file).is_relative_to(step.dir):  # the lesson's own Python
            where = f"{file}:{line}" if line else file
            return Verdict(
                step.id,
                "error",
                "lesson",
                f"The step's check cannot load: {problem.message} at {where}. "
                "This is the lesson's fault, not yours.",
                timings,
                [problem],
            )
        return Verdict(
            step.id,
            "fail",
            "import",
            f"The check could not load: {problem.message}",
            timings,
            [problem],
        )
    if o.pytest_exit == 5 or not o.tests:
        return Verdict(
            step.id,
            "error",
            "lesson",
            "The step's check holds no tests.",
            timings,
            [tutor_problem(f"no tests collected from {step.check_path}", "lesson")],
        )
    return Verdict(
        step.id,
        "error",
        "runner",
        f"The check ended oddly (pytest exit {o.pytest_exit}).",
        timings,
        errors,
    )


_OVERFLOW_RE = re.compile(r"thread '(?P<thread>[^']*)'(?: \(\d+\))? has overflowed its stack")


def _stack_overflow(o: RunOutcome, unsafe_code: bool) -> str | None:
    """The summary of a stack overflow, or None.

    Rust binaries (and threads of theirs) print "thread 'x' has overflowed its stack"
    and abort: on the check's stderr, or quoted in a failed test (a step's binary run
    by its check). In an extension module nothing installs Rust's handler, so an overflow
    is a bare SIGSEGV; safe Rust has no other common way to segfault, so a segfault in
    code without ``unsafe`` is reported as a stack overflow too.
    """
    failed = [t for t in o.tests if t.outcome in ("failed", "error")]
    reports = [t.message + "\n" + t.traceback for t in failed]  # a binary's stderr, quoted
    for line in o.stderr_tail + [ln for r in reports for ln in r.splitlines()]:
        m = _OVERFLOW_RE.search(line)
        if m or "fatal runtime error: stack overflow" in line:
            where = f" in thread '{m['thread']}'" if m else ""
            return f"Stack overflow{where}: endless or very deep recursion?"
    if o.signal in (signal.SIGSEGV, signal.SIGBUS) and o.pytest_exit is None and not unsafe_code:
        return (
            "Stack overflow: the process crashed with a segmentation fault, which code "
            "without `unsafe` gets when it runs out of stack. Endless or very deep recursion?"
        )
    return None


def _allocation_failed(stderr: list[str]) -> bool:
    """Rust's allocator aborts with "memory allocation of N bytes failed"."""
    return any(line.startswith("memory allocation of ") for line in stderr)


_UNSAFE_RE = re.compile(r"\bunsafe\s*(\{|fn\b|impl\b|extern\b|trait\b)")


def uses_unsafe(crate: Path, step: Step) -> bool:
    """Whether the learner's files use ``unsafe`` (unreadable files count as yes)."""
    try:
        texts = [(crate / rel).read_text(errors="replace") for rel in step.files]
    except OSError:
        return True
    return any(_UNSAFE_RE.search(text) for text in texts)


# Raised by the LM client when the provider or the network fails (DSPy 3.4's own
# exceptions, and LiteLLM's for its engine): never the learner's doing.
_LM_FAILURE_RE = re.compile(
    r"\b(LMTransportError|LMTimeoutError|LMAuthError|LMBillingError|LMRateLimitError"
    r"|LMServerError|LMNotConfiguredError|LMUnsupportedModelError|APIConnectionError"
    r"|AuthenticationError|RateLimitError|ServiceUnavailableError)\b"
)


def _lm_failure(o: RunOutcome) -> str | None:
    """The first LM failure behind a failed test or a Python error, as one line."""
    texts = [(t.message, t.traceback) for t in o.tests if t.outcome in ("failed", "error")]
    texts += [
        (f"{getattr(e, 'exc_type', '')}: {getattr(e, 'message', '')}", "") for e in o.python_errors
    ]
    for message, traceback in texts:
        for text in (message, traceback):
            match = _LM_FAILURE_RE.search(text)
            if match:
                line = next(ln for ln in text.splitlines() if match.group(0) in ln)
                return line.strip().removeprefix("E").strip()
    return None


def crash_report(stderr: list[str]) -> str:
    """The Python stack faulthandler printed, without the runner's and pytest's frames."""
    start = next((i for i, line in enumerate(stderr) if line.startswith("Fatal Python error")), 0)
    return python_stack(stderr[start:])
