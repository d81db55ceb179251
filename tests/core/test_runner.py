"""The runner: every check runs in a forked child; whatever the child does, we survive.

These use plain-Python checks (no Rust) so they run in seconds; tests/e2e does the same
with real Rust crates.
"""

from __future__ import annotations

import os
import signal
import textwrap
import time
from pathlib import Path

import pytest

from tutor.cancel import CancelToken
from tutor.events import Event, Output, OutputDropped, Span, TestResult
from tutor.run.runner import Runner, RunRequest


@pytest.fixture(scope="module")
def runner():
    r = Runner({"model": "offline", "api_base": None})
    r.warm()
    yield r
    r.close()


def run(runner: Runner, tmp_path: Path, body: str, timeout: float = 10, **kw):
    check = tmp_path / "check.py"
    check.write_text(textwrap.dedent(body))
    events: list[Event] = []
    outcome = runner.run(
        RunRequest(
            step_id="t",
            module="fake_module",
            check_path=check,
            build_dir=tmp_path,
            cwd=tmp_path,
            timeout_s=timeout,
            **kw,
        ),
        events.append,
    )
    return outcome, events


def test_passing_check_streams_results_and_output(runner, tmp_path):
    outcome, events = run(
        runner,
        tmp_path,
        """
        def test_ok():
            print("hello from the check")
            assert 1 + 1 == 2
    """,
    )
    assert outcome.pytest_exit == 0
    assert [t.outcome for t in outcome.tests] == ["passed"]
    assert any(isinstance(e, Output) and e.text == "hello from the check" for e in events)
    assert outcome.started_at is not None and outcome.first_test_at is not None


def test_failed_assert_reports_expected_and_got(runner, tmp_path):
    outcome, _ = run(
        runner,
        tmp_path,
        """
        def test_answer():
            got = "Lyon"
            assert got == "Paris", "ask() should return the LM's answer"
    """,
    )
    (result,) = outcome.tests
    assert result.outcome == "failed"
    assert (result.got, result.expected) == ("'Lyon'", "'Paris'")
    assert "ask() should return the LM's answer" in result.message


def test_offline_lm_answers_from_script_and_is_traced(runner, tmp_path):
    outcome, events = run(
        runner,
        tmp_path,
        """
        import dspy
        from tutor import lesson_api

        def test_predict():
            pred = dspy.Predict("question -> answer")(question="What is the capital of France?")
            assert pred.answer == "Paris"
            assert lesson_api.in_tutor_run()
            kinds = {s.kind for s in lesson_api.spans()}
            assert {"module", "lm"} <= kinds
    """,
        scripts=[{"when": "capital of France", "answer": {"answer": "Paris"}}],
    )
    assert [t.outcome for t in outcome.tests] == ["passed"], outcome.tests
    lm_spans = [e for e in events if isinstance(e, Span) and e.kind == "lm"]
    assert lm_spans and lm_spans[0].lm_source == "scripted"


def test_segfault_is_reported_and_runner_survives(runner, tmp_path):
    outcome, _ = run(
        runner,
        tmp_path,
        """
        import ctypes
        def test_crash():
            ctypes.string_at(0)
    """,
    )
    assert outcome.signal == signal.SIGSEGV and outcome.pytest_exit is None
    assert any("Segmentation fault" in line for line in outcome.stderr_tail)
    again, _ = run(runner, tmp_path, "def test_ok():\n    pass\n")
    assert again.pytest_exit == 0


def test_endless_loop_is_killed_at_the_time_limit(runner, tmp_path):
    began = time.monotonic()
    outcome, _ = run(
        runner,
        tmp_path,
        """
        import pathlib, subprocess
        def test_spin():
            child = subprocess.Popen(["sleep", "300"])  # a grandchild must die too
            pathlib.Path("grandchild.pid").write_text(str(child.pid))
            while True:
                pass
    """,
        timeout=1.5,
    )
    assert outcome.timed_out
    assert time.monotonic() - began < 6
    pid = int((tmp_path / "grandchild.pid").read_text())
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie awaiting its reaper counts as gone)."""
    for _ in range(20):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except FileNotFoundError:
            return False
        if state == "Z":
            return False
        time.sleep(0.05)
    return True


def test_exit_from_learner_code_is_not_a_verdict(runner, tmp_path):
    outcome, _ = run(
        runner,
        tmp_path,
        """
        import os
        def test_exit():
            os._exit(3)
    """,
    )
    assert outcome.exit_code == 3 and outcome.pytest_exit is None


def test_collection_error_is_a_python_error(runner, tmp_path):
    outcome, _ = run(runner, tmp_path, "import module_that_is_not_built\n")
    assert outcome.python_errors
    assert "module_that_is_not_built" in outcome.python_errors[0].message


def test_cancel_kills_the_run(runner, tmp_path):
    import threading

    check = tmp_path / "check.py"
    check.write_text("import time\ndef test_slow():\n    time.sleep(60)\n")
    cancel = CancelToken()
    threading.Timer(0.5, cancel.cancel).start()
    outcome = runner.run(
        RunRequest("t", "m", check, tmp_path, tmp_path, 30), lambda e: None, cancel
    )
    assert outcome.cancelled and outcome.pytest_exit is None


def test_secrets_never_reach_events(runner, tmp_path, monkeypatch):
    # The zygote inherited its environment at start; a fresh runner sees the variable.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-very-secret-value")
    fresh = Runner({"model": "offline", "api_base": None})
    try:
        check = tmp_path / "check.py"
        check.write_text(
            textwrap.dedent("""
            import os, dspy
            def test_leak():
                key = os.environ["OPENAI_API_KEY"]
                dspy.Predict("question -> answer")(question="my key is " + key)
        """)
        )
        events: list[Event] = []
        fresh.run(RunRequest("t", "m", check, tmp_path, tmp_path, 20), events.append)
        spans = [e.to_json() for e in events if isinstance(e, Span)]
        assert spans and not any("sk-test-very-secret-value" in s for s in spans)
        assert [e.outcome for e in events if isinstance(e, TestResult)] == ["passed"]
    finally:
        fresh.close()


def test_a_dead_runner_is_reported_and_restarted(tmp_path):
    import threading

    r = Runner({"model": "offline", "api_base": None})
    try:
        r.warm()
        zygote = r._proc.pid
        threading.Timer(0.5, lambda: os.kill(zygote, signal.SIGKILL)).start()
        check = tmp_path / "check.py"
        check.write_text("import time\ndef test_slow():\n    time.sleep(30)\n")
        outcome = r.run(RunRequest("t", "m", check, tmp_path, tmp_path, 20), lambda e: None)
        assert outcome.runner_died and outcome.pytest_exit is None
        check.write_text("def test_ok():\n    pass\n")
        again = r.run(RunRequest("t", "m", check, tmp_path, tmp_path, 20), lambda e: None)
        assert again.pytest_exit == 0 and r._proc.pid != zygote
    finally:
        r.close()


def test_outside_a_tutor_run_the_lesson_api_says_so():
    from tutor import lesson_api

    assert not lesson_api.in_tutor_run()


def test_junk_written_to_every_pipe_is_counted_not_fatal(runner, tmp_path):
    outcome, _ = run(
        runner,
        tmp_path,
        """
        import os, stat
        def test_junk():
            for fd in map(int, os.listdir("/proc/self/fd")):
                try:
                    if fd > 2 and stat.S_ISFIFO(os.fstat(fd).st_mode):
                        os.write(fd, b"not a frame\\n")
                except OSError:
                    pass
    """,
    )
    assert outcome.channel_junk >= len(b"not a frame\n")
    assert outcome.pytest_exit == 0  # the real frames still arrived
    assert run(runner, tmp_path, "def test_ok():\n    pass\n")[0].channel_junk == 0


def test_detached_processes_die_with_the_check_and_do_not_hold_it_up(runner, tmp_path):
    began = time.monotonic()
    outcome, _ = run(
        runner,
        tmp_path,
        """
        import pathlib, subprocess
        def test_escape():
            a = subprocess.Popen(["sleep", "300"], start_new_session=True)
            b = subprocess.Popen(["sleep", "300"], process_group=0)
            subprocess.run(["sh", "-c", "(setsid sleep 300 & echo $! > double.pid)"])
            pathlib.Path("pids").write_text(f"{a.pid} {b.pid}")
    """,
        timeout=10,
    )
    assert outcome.pytest_exit == 0 and not outcome.timed_out
    assert time.monotonic() - began < 5
    pids = [*map(int, (tmp_path / "pids").read_text().split())]
    pids.append(int((tmp_path / "double.pid").read_text()))
    assert not any(_alive(pid) for pid in pids)


def test_memory_beyond_the_limit_stops_the_check(runner, tmp_path):
    outcome, _ = run(
        runner,
        tmp_path,
        """
        def test_hog():
            blocks = [bytearray(b"x" * 2**26) for _ in range(64)]  # 4 GiB, touched
    """,
        memory_mib=600,
    )
    assert outcome.memory_exceeded and outcome.pytest_exit is None
    assert 600 * 2**20 < outcome.peak_memory < 2**32


def test_a_timeout_reports_the_test_and_its_python_stack(runner, tmp_path):
    outcome, events = run(
        runner,
        tmp_path,
        """
        def spin():
            while True:
                pass

        def test_spins():
            spin()
    """,
        timeout=1.5,
    )
    report = outcome.timeout_report
    assert outcome.timed_out and report is not None and report.test == "test_spins"
    assert "in spin" in report.stack and "in test_spins" in report.stack
    assert report in events


def test_a_flood_of_output_is_read_at_pipe_speed_and_bounded(runner, tmp_path):
    outcome, events = run(
        runner,
        tmp_path,
        """
        import os
        def test_flood():
            block = b"y" * 2**20
            for _ in range(100):
                os.write(1, block)
    """,
    )
    assert outcome.pytest_exit == 0 and outcome.tests[0].duration_s < 3
    dropped = [e for e in events if isinstance(e, OutputDropped)]
    assert dropped and dropped[0].bytes > 90 * 2**20


def test_frames_forged_without_the_runs_nonce_are_junk_not_a_pass(runner, tmp_path):
    outcome, _ = run(
        runner,
        tmp_path,
        """
        import json, os, stat
        FORGED = [
            {"type": "TestResult", "name": "test_forged", "outcome": "passed"},
            {"type": "_marker", "name": "done", "pytest_exit": 0, "t": 0},
        ]
        def test_forge():
            for fd in map(int, os.listdir("/proc/self/fd")):
                try:
                    if fd > 2 and stat.S_ISFIFO(os.fstat(fd).st_mode):
                        os.write(fd, "".join(json.dumps(f) + "\\n" for f in FORGED).encode())
                except OSError:
                    pass
            os._exit(0)
    """,
    )
    assert outcome.pytest_exit is None and outcome.tests == []
    assert outcome.channel_junk > 0
