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


def skipped(name="s", why="needs the LM the tutor configures"):
    return TestResult(name=name, outcome="skipped", message=why)


def test_skipped_tests_are_not_counted_as_passed(course: Course):
    o = outcome(pytest_exit=0, tests=[passed(), passed("u"), skipped()])
    v = judge(course.steps()[0], o, {})
    assert (v.verdict, v.summary) == ("pass", "2 of 3 checks passed, 1 skipped.")
    assert v.skipped == ["s: needs the LM the tutor configures"]


def test_a_check_whose_tests_all_skip_verifies_nothing(course: Course):
    v = judge(course.steps()[0], outcome(pytest_exit=0, tests=[skipped(), skipped("r")]), {})
    assert (v.verdict, v.reason) == ("error", "skipped")
    assert v.summary == "All 2 checks were skipped: nothing was verified."
    assert len(v.skipped) == 2


def test_failures_say_how_many_were_skipped(course: Course):
    o = outcome(pytest_exit=1, tests=[failed(), skipped()])
    v = judge(course.steps()[0], o, {})
    assert v.summary == "1 of 2 checks failed, 1 skipped."


def test_skipped_tests_in_junit_and_the_cli(course: Course, tmp_path):
    import xml.etree.ElementTree as ET
    from io import StringIO

    from rich.console import Console

    from tutor.junit import write_junit
    from tutor.report import Printer

    v = judge(course.steps()[0], outcome(pytest_exit=0, tests=[passed(), skipped()]), {})
    write_junit(tmp_path / "r.xml", "suite", [(v, True)])
    case = ET.parse(tmp_path / "r.xml").getroot().find("testcase")
    assert case.find("system-out").text == "skipped s: needs the LM the tutor configures\n"
    buffer = StringIO()
    printer = Printer(Console(file=buffer, width=120, color_system=None))
    printer(skipped())
    printer(v)
    printed = buffer.getvalue()
    assert "- s skipped: needs the LM the tutor configures" in printed
    assert "1 of 2 checks passed, 1 skipped." in printed


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


def test_junk_on_the_events_channel_is_an_error_not_a_verdict_on_the_learner(course: Course):
    o = outcome(pytest_exit=0, tests=[passed()], channel_junk=12, channel_sample=b"not a frame\n")
    v = judge(course.steps()[0], o, {})
    assert (v.verdict, v.reason) == ("error", "channel")
    assert "12 bytes" in v.summary and "not a frame" in v.summary


def test_a_closed_events_channel_is_an_error(course: Course):
    from tutor.run.channel import EXIT_CHANNEL_LOST

    v = judge(course.steps()[0], outcome(exit_code=EXIT_CHANNEL_LOST), {})
    assert (v.verdict, v.reason) == ("error", "channel") and "was closed" in v.summary


def test_memory_limit_names_the_limit(course: Course):
    o = outcome(memory_exceeded=True, peak_memory=3000 * 2**20, signal=signal.SIGKILL)
    v = judge(course.steps()[0], o, {}, 2048)
    assert (v.verdict, v.reason) == ("fail", "memory")
    assert "more than 2048 MiB" in v.summary and "3000 MiB" in v.summary


def test_a_failed_rust_allocation_is_a_memory_verdict(course: Course):
    tail = ["memory allocation of 1099511627776 bytes failed"]
    v = judge(course.steps()[0], outcome(signal=signal.SIGABRT, stderr_tail=tail), {}, 2048)
    assert (v.verdict, v.reason) == ("fail", "memory")


def test_rusts_stack_overflow_report_is_a_stack_overflow(course: Course):
    tail = ["", "thread 'main' has overflowed its stack", "fatal runtime error: stack overflow"]
    v = judge(course.steps()[0], outcome(signal=signal.SIGABRT, stderr_tail=tail), {})
    assert (v.verdict, v.reason) == ("fail", "stack-overflow")
    assert v.summary.startswith("Stack overflow in thread 'main'")


def test_a_segfault_in_safe_code_is_a_stack_overflow_and_in_unsafe_code_a_crash(course: Course):
    step = course.steps()[0]
    safe = judge(step, outcome(signal=signal.SIGSEGV), {}, unsafe_code=False)
    assert (safe.verdict, safe.reason) == ("fail", "stack-overflow")
    unsafe = judge(step, outcome(signal=signal.SIGSEGV), {}, unsafe_code=True)
    assert unsafe.reason == "crash"


def test_uses_unsafe_reads_code_not_comments(tmp_path, course: Course):
    from tutor.session import uses_unsafe

    step = course.steps()[0]
    (tmp_path / "src").mkdir()
    lib = tmp_path / step.files[0]
    lib.write_text("// no unsafe code here\nfn f() {}\n")
    assert not uses_unsafe(tmp_path, step)
    lib.write_text("fn f() { unsafe { g() } }\n")
    assert uses_unsafe(tmp_path, step)


def test_a_timeout_carries_the_stack_it_was_stopped_in(course: Course):
    from tutor.events import TimeoutReport

    report = TimeoutReport(4, "test_ask", '  File "/ws/check.py", line 9 in test_ask')
    v = judge(course.steps()[0], outcome(timed_out=True, timeout_report=report), {})
    assert v.reason == "timeout"
    assert v.errors == [
        "test_ask was still running after 4 s; its Python stack then:\n"
        '  File "/ws/check.py", line 9 in test_ask'
    ]


def test_secrets_are_redacted_in_build_output_and_the_verdict(tmp_path, course, monkeypatch):
    from tutor.build.cargo import BuildResult
    from tutor.events import BuildOutput, Diagnostic
    from tutor.session import Session
    from tutor.workspace import Workspace

    secret = "sk-build-secret-0123456789"
    monkeypatch.setenv("SOME_SERVICE_TOKEN", secret)

    def leaky_build(step, target, crate, target_dir, out_dir, emit, cancel):
        emit(BuildOutput(line=f"Compiling with {secret}"))
        d = Diagnostic(level="error", message=f"bad literal {secret}", rendered=f"x {secret}")
        emit(d)
        return BuildResult(ok=False, diagnostics=[d])

    monkeypatch.setattr("tutor.session.build", leaky_build)
    session = Session(course, Workspace(tmp_path), {"model": "offline", "api_base": None})
    events = []
    v = session.check(course.steps()[0], events.append)
    assert v.reason == "build" and events[-1] is v
    text = "".join(e.to_json() for e in events)
    # build line, diagnostic message + rendered, the verdict's problem message + rendered
    assert secret not in text and text.count("[redacted]") == 5
    session.close()


def test_a_binarys_stack_overflow_quoted_in_a_failed_test_is_named_so(course: Course):
    message = "AssertionError: \nthread 'main' has overflowed its stack\nfatal runtime error"
    o = outcome(pytest_exit=1, tests=[failed(message=message)])
    v = judge(course.steps()[0], o, {})
    assert (v.verdict, v.reason) == ("fail", "stack-overflow")


def test_a_kill_from_outside_points_at_the_systems_memory(course: Course):
    v = judge(course.steps()[0], outcome(signal=signal.SIGKILL), {})
    assert v.reason == "crash" and "out-of-memory" in v.summary


def test_syntax_error_in_the_lessons_check_is_a_lesson_error(course: Course):
    step = course.steps()[0]
    e = PythonError("SyntaxError", "invalid syntax", file=str(step.check_path), line=3)
    v = judge(step, outcome(pytest_exit=2, python_errors=[e]), {})
    assert (v.verdict, v.reason) == ("error", "lesson")
    assert f"{step.check_path}:3" in v.summary and "not yours" in v.summary


def test_syntax_error_in_a_learner_python_file_stays_the_learners(course: Course):
    e = PythonError("SyntaxError", "invalid syntax", file="/ws/fundamentals/x/helper.py", line=2)
    v = judge(course.steps()[0], outcome(pytest_exit=2, python_errors=[e]), {})
    assert (v.verdict, v.reason) == ("fail", "import")


def test_unreachable_provider_is_one_lm_error(course: Course):
    message = (
        "dspy.utils.exceptions.LMTransportError: [openai/gpt-4o-mini] failed to connect "
        "to 127.0.0.1:9: [Errno 111] Connection refused"
    )
    tests = [failed("test_a", message), failed("test_b", message), passed()]
    v = judge(course.steps()[0], outcome(pytest_exit=1, tests=tests), {})
    assert (v.verdict, v.reason) == ("error", "lm")
    assert "Connection refused" in v.summary
    assert len(v.errors) == 1 and "--lm offline" in v.errors[0]


def test_a_learner_assertion_is_not_an_lm_error(course: Course):
    v = judge(course.steps()[0], outcome(pytest_exit=1, tests=[failed()]), {})
    assert (v.verdict, v.reason) == ("fail", "test")


def test_a_dead_lm_that_used_up_the_time_limit_is_still_the_lms_fault(course: Course):
    message = "dspy.utils.exceptions.LMTransportError: failed to connect to 127.0.0.1:9"
    o = outcome(timed_out=True, signal=signal.SIGKILL, tests=[failed("test_a", message)])
    v = judge(course.steps()[0], o, {})
    assert (v.verdict, v.reason) == ("error", "lm")
