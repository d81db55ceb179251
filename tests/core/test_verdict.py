"""judge(): what happened in the child → one verdict a learner can act on."""

from __future__ import annotations

import signal

from tutor.course.model import Course
from tutor.events import PythonError, RustPanic, TestResult
from tutor.run.runner import RunOutcome
from tutor.session import crash_report, judge


def outcome(**kw) -> RunOutcome:
    return RunOutcome(requested_at=0.0, **kw)


def passed(name="t"):
    return TestResult(name=name, outcome="passed")


def failed(name="t", message="assert 1 == 2"):
    return TestResult(name=name, outcome="failed", message=message)


def test_all_passed(course: Course):
    v = judge(course.steps()[0], outcome(pytest_exit=0, tests=[passed(), passed("u")]), {})
    assert (v.verdict, v.summary) == ("pass", "All 2 checks passed.")


def test_failed_tests(course: Course):
    v = judge(course.steps()[0], outcome(pytest_exit=1, tests=[passed(), failed()]), {})
    assert (v.verdict, v.reason) == ("fail", "test")
    assert v.errors == ["t: assert 1 == 2"]


def test_panic_names_location(course: Course):
    o = outcome(
        pytest_exit=1,
        tests=[failed(message="PanicException: boom")],
        panics=[RustPanic(message="boom", file="src/lib.rs", line=9, column=5)],
    )
    v = judge(course.steps()[0], o, {})
    assert (v.verdict, v.reason) == ("fail", "panic")
    assert "src/lib.rs:9" in v.summary and "boom" in v.summary


def test_segfault(course: Course):
    v = judge(course.steps()[0], outcome(signal=signal.SIGSEGV), {})
    assert (v.verdict, v.reason) == ("fail", "crash")
    assert "segmentation fault" in v.summary


def test_timeout_mentions_limit(course: Course):
    step = course.steps()[0]
    v = judge(step, outcome(timed_out=True, signal=signal.SIGKILL), {})
    assert (v.verdict, v.reason) == ("fail", "timeout")
    assert f"{step.timeout_s:g} s" in v.summary


def test_exit_before_check_finished(course: Course):
    v = judge(course.steps()[0], outcome(exit_code=3), {})
    assert (v.verdict, v.reason) == ("fail", "exit")
    assert "exit code 3" in v.summary


def test_import_failure(course: Course):
    o = outcome(pytest_exit=2, python_errors=[PythonError("ImportError", "no PyInit_x")])
    v = judge(course.steps()[0], o, {})
    assert (v.verdict, v.reason) == ("fail", "import")


def test_no_tests_is_a_lesson_error(course: Course):
    v = judge(course.steps()[0], outcome(pytest_exit=5), {})
    assert (v.verdict, v.reason) == ("error", "lesson")


def test_crash_report_keeps_learner_frames():
    lines = [
        "noise before",
        "Fatal Python error: Segmentation fault",
        "",
        '  File "/x/site-packages/_pytest/python.py", line 157 in pytest_pyfunc_call',
        '  File "/ws/check.py", line 3 in test_crash',
        "Extension modules: a, b",
    ]
    assert crash_report(lines) == (
        'Fatal Python error: Segmentation fault\n  File "/ws/check.py", line 3 in test_crash'
    )


def test_provider_without_key_is_one_clear_error(tmp_path, course: Course, monkeypatch):
    from tutor.session import Session
    from tutor.workspace import Workspace

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    session = Session(
        course, Workspace(tmp_path), {"model": "openai/gpt-4o-mini", "api_base": None}
    )
    events = []
    v = session.check(course.steps()[0], events.append)
    assert (v.verdict, v.reason) == ("error", "lm")
    assert "OPENAI_API_KEY" in v.summary
    assert events == [v]  # nothing was built or run
    session.close()


def test_runner_that_cannot_start_is_an_error_verdict(tmp_path, course: Course, monkeypatch):
    from tutor.run.runner import Runner, RunnerError
    from tutor.session import Session
    from tutor.workspace import Workspace

    def broken(self, request, emit, cancel=None):
        raise RunnerError(
            "the check runner could not start: ImportError: dspy", fix="run `pyo3dspy-tutor doctor`"
        )

    monkeypatch.setattr(Runner, "run", broken)
    monkeypatch.setattr("tutor.session.build", _fake_build)
    session = Session(course, Workspace(tmp_path), {"model": "offline", "api_base": None})
    v = session.check(course.steps()[0], lambda e: None)
    assert (v.verdict, v.reason) == ("error", "runner")
    assert "doctor" in v.errors[0]


def _fake_build(step, target, crate, target_dir, out_dir, emit, cancel):
    from tutor.build.cargo import BuildResult

    out_dir.mkdir(parents=True, exist_ok=True)
    return BuildResult(ok=True, artifact=out_dir / "module.so")
