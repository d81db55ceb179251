"""One step end to end: scaffold → build → run → verdict, as a stream of events.

The app, the CLI and CI all drive this; none of them builds or runs anything itself.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tutor.build.cargo import build
from tutor.cancel import CancelToken
from tutor.course.model import Course, Step
from tutor.events import Event, Verdict
from tutor.lm.settings import LMSettings, missing_key
from tutor.run.runner import Runner, RunnerError, RunOutcome, RunRequest
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
}


class Session:
    """Checks steps of one course in one workspace, sharing one warm runner."""

    def __init__(self, course: Course, workspace: Workspace, lm_settings: dict[str, Any]) -> None:
        self.course = course
        self.workspace = workspace
        workspace.meta.mkdir(parents=True, exist_ok=True)
        self.runner = Runner(lm_settings, log_path=workspace.meta / "runner.log")
        # A provider without its key would fail inside every check; say so once, up front.
        self.lm_problem = missing_key(LMSettings(**lm_settings))

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
        """Build and check ``step``; emits every event, the Verdict last, and returns it."""
        cancel = cancel or CancelToken()
        if self.lm_problem:
            verdict = Verdict(step.id, "error", "lm", self.lm_problem, {}, [self.lm_problem])
            emit(verdict)
            return verdict
        started = time.monotonic()
        ws = self.workspace
        crate = scaffold(ws, step, variant)
        result = build(
            step,
            cargo_target_name(step, variant),
            crate,
            ws.target_dir(step.kind),
            ws.build_dir(step, variant),
            emit,
            cancel,
        )
        timings = {"build_s": round(result.duration_s, 4)}
        if result.cancelled:
            verdict = Verdict(
                step.id, "error", "cancelled", "Stopped: a newer save replaced this build.", timings
            )
        elif result.tool_error:
            verdict = Verdict(
                step.id, "error", "toolchain", result.tool_error, timings, [result.tool_error]
            )
        elif not result.ok:
            errors = [d.rendered or d.message for d in result.diagnostics if d.level == "error"]
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
                scripts=[asdict(s) for s in step.scripts],
                binary=result.artifact if step.kind == "binary" else None,
                record_to=record_to,
            )
            try:
                outcome = self.runner.run(request, emit, cancel)
            except RunnerError as e:  # the runner, not the learner's code: say how to fix
                verdict = Verdict(step.id, "error", "runner", e.message, timings, [str(e)])
            else:
                timings.update(_run_timings(outcome))
                verdict = judge(step, outcome, timings)
        verdict.timings["total_s"] = round(time.monotonic() - started, 4)
        emit(verdict)
        return verdict


def _run_timings(o: RunOutcome) -> dict[str, float]:
    t: dict[str, float] = {}
    if o.first_test_at is not None:
        t["start_s"] = round(o.first_test_at - o.requested_at, 4)
        t["check_s"] = round(o.finished_at - o.first_test_at, 4)
    else:
        t["run_s"] = round(o.finished_at - o.requested_at, 4)
    return t


def judge(step: Step, o: RunOutcome, timings: dict[str, float]) -> Verdict:
    """Turn what happened in the child into one verdict a learner can act on."""
    failed = [t for t in o.tests if t.outcome in ("failed", "error")]
    errors = [f"{t.name}: {t.message}" for t in failed]
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
    if o.timed_out:
        return Verdict(
            step.id,
            "fail",
            "timeout",
            f"The check did not finish within {step.timeout_s:g} s and was stopped. "
            "An endless loop, or a wait that never ends (a lock, a channel, a join)?",
            timings,
            errors,
        )
    if o.signal is not None and o.pytest_exit is None:
        what = _SIGNALS.get(o.signal, f"signal {o.signal}")  # type: ignore[call-overload]
        report = crash_report(o.stderr_tail)
        return Verdict(
            step.id,
            "fail",
            "crash",
            f"The step's code crashed the process with {what}.",
            timings,
            [report] if report else [],
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
            step.id, "fail", "panic", f"Rust panicked{where}: {p.message}", timings, errors
        )
    if o.pytest_exit == 0 and o.tests and not failed:
        n = len(o.tests)
        return Verdict(step.id, "pass", "", f"All {n} check{'s' * (n != 1)} passed.", timings)
    if o.pytest_exit == 1 and failed:
        return Verdict(
            step.id,
            "fail",
            "test",
            f"{len(failed)} of {len(o.tests)} checks failed.",
            timings,
            errors,
        )
    if o.python_errors:
        e = o.python_errors[0]
        message = f"{getattr(e, 'exc_type', '')}: {getattr(e, 'message', '')}"
        return Verdict(
            step.id, "fail", "import", f"The check could not load: {message}", timings, [message]
        )
    if o.pytest_exit == 5 or not o.tests:
        return Verdict(
            step.id,
            "error",
            "lesson",
            "The step's check holds no tests.",
            timings,
            [f"no tests collected from {step.check_path}"],
        )
    return Verdict(
        step.id,
        "error",
        "runner",
        f"The check ended oddly (pytest exit {o.pytest_exit}).",
        timings,
        errors,
    )


_RUNNER_FRAMES = ("/_pytest/", "/pluggy/", "/tutor/run/", "<frozen runpy>")


def crash_report(stderr: list[str]) -> str:
    """The Python stack faulthandler printed, without the runner's and pytest's frames."""
    start = next((i for i, line in enumerate(stderr) if line.startswith("Fatal Python error")), 0)
    kept = [
        line
        for line in stderr[start:]
        if line.strip()
        and not line.startswith("Extension modules:")
        and not any(frame in line for frame in _RUNNER_FRAMES)
    ]
    return "\n".join(kept[-20:])
