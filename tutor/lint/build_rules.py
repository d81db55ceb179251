"""Rules that need the step built and checked: the same runs as `check --solutions` and
`check --starters`, in a scratch area (no learner file is touched)."""

from __future__ import annotations

from collections.abc import Callable

from tutor.course.model import Step
from tutor.errors import TutorError
from tutor.events import Verdict
from tutor.lint.findings import Finding
from tutor.session import Session

WARM_CHECK_LIMIT_S = 5.0
# Verdicts that say the tutor, not the lesson, could not judge: lint stops (exit 2).
_TUTOR_TROUBLE = {"toolchain", "runner", "lm", "cancelled"}


def warm_check_seconds(verdict: Verdict) -> float:
    """Request → check finished: fork, pytest, the tests (the build is not included)."""
    t = verdict.timings
    return t.get("start_s", 0.0) + t.get("check_s", 0.0) + t.get("run_s", 0.0)


def build_findings(
    step: Step,
    session: Session,
    limit_s: float = WARM_CHECK_LIMIT_S,
    progress: Callable[[str], None] = lambda _m: None,
) -> list[Finding]:
    findings: list[Finding] = []
    progress(f"{step.id}: solution")
    solution = _check(session, step, "solution")
    main_file = step.solution_dir / step.files[0]
    if solution.verdict != "pass":
        why = "; ".join(e.splitlines()[0] for e in solution.errors[:2] if e) or solution.summary
        findings.append(
            Finding(
                main_file,
                1,
                "solution-fails",
                f"the solution does not pass ({solution.reason}: {why}): fix the solution or "
                f"the check (`pyo3dspy-tutor check {step.id} --solutions -v` shows the run)",
            )
        )
    else:
        seconds = warm_check_seconds(solution)
        if seconds > limit_s:  # once more, warm for sure, before blaming the step
            seconds = min(seconds, warm_check_seconds(_check(session, step, "solution")))
        if seconds > limit_s:
            findings.append(
                Finding(
                    step.check_path,
                    1,
                    "slow-check",
                    f"the warm check takes {seconds:.1f} s (limit {limit_s:g} s): make the "
                    "tests cheaper (fewer LM calls, shorter waits, smaller workloads)",
                )
            )
    progress(f"{step.id}: starter")
    starter = _check(session, step, "starter")
    starter_file = step.starter_dir / step.files[0]
    if starter.verdict == "pass":
        findings.append(
            Finding(
                starter_file,
                1,
                "starter-passes",
                "the starter already passes its check: leave the work to the learner "
                "(TODOs where the solution differs), or test what the starter lacks",
            )
        )
    elif starter.reason == "import":
        findings.append(
            Finding(
                starter_file,
                1,
                "starter-import-error",
                f"the starter fails with an import error ({starter.summary}): let it compile "
                "and import, and fail a test whose message points the right way",
            )
        )
    return findings


def _check(session: Session, step: Step, variant: str) -> Verdict:
    verdict = session.check(step, lambda _e: None, variant=variant)
    if verdict.verdict == "error" and verdict.reason in _TUTOR_TROUBLE:
        raise TutorError(
            f"could not check the {variant} of {step.id}: {verdict.summary}",
            fix="run `pyo3dspy-tutor doctor`",
        )
    return verdict
