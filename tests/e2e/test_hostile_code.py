"""Learner code that attacks the tutor, as a real crate (tests/fixtures/hostile).

One crate holds a #[pyfunction] per attack; each check run takes its case from the
first line of ``case.txt`` in the crate folder, so the suite builds one extra crate.
Every attack must end in a verdict that says what happened, leave no process behind,
and leave the runner ready for the next check.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tests.procs import marked, wait_for
from tutor import cli
from tutor.course import load_course
from tutor.events import Event, Output, OutputDropped, TestResult, TimeoutReport, Verdict
from tutor.session import Session
from tutor.workspace.backups import apply_solution
from tutor.workspace.setup import init_workspace

pytestmark = pytest.mark.slow
PACK = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
API_KEY = "sk-hostile-" + "0123456789abcdef" * 2
MEMORY_MIB = 1024


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, shared_target):
    marker = f"HOSTILE_MARKER_{uuid.uuid4().hex}"
    env = pytest.MonkeyPatch()
    env.setenv(marker, "1")  # inherited by the runner, the check and whatever it starts
    env.setenv("HOSTILE_API_KEY", API_KEY)
    course = load_course(PACK)
    ws = workspace_with_shared_target(tmp_path_factory.mktemp("hostile") / "ws", shared_target)
    init_workspace(ws, course)
    step = course.step("hostile")
    apply_solution(ws, step)
    session = Session(course, ws, {"model": "offline", "api_base": None}, memory_mib=MEMORY_MIB)
    yield session, step, marker
    session.close()
    env.undo()


def set_cases(session: Session, step, *cases: str) -> None:
    (session.workspace.crate_dir(step) / "case.txt").write_text("\n".join(cases))


def run(hostile, case: str, emit=None) -> tuple[Verdict, list[Event]]:
    session, step, _ = hostile
    set_cases(session, step, case)
    events: list[Event] = []

    def collect(event: Event) -> None:
        events.append(event)
        if emit is not None:
            emit(event)

    verdict = session.check(step, collect)
    return verdict, events


def cli_check(hostile, capsys, *args: str, cases: list[str]) -> tuple[int, str, str]:
    session, step, _ = hostile
    set_cases(session, step, *cases)
    root = session.workspace.root
    code = cli.main(["--lessons", str(PACK), "--workspace", str(root), "check", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_crate_builds_and_a_calm_case_passes(hostile):
    verdict, _ = run(hostile, "calm")
    assert verdict.verdict == "pass", verdict


# -- the events channel ------------------------------------------------------------------


def test_junk_written_to_low_descriptors_does_not_reach_the_channel(hostile):
    verdict, _ = run(hostile, "write_low_fds")
    assert verdict.verdict == "pass", verdict


def test_junk_in_the_channel_is_an_error_for_that_step_only(hostile, capsys):
    code, out, err = cli_check(
        hostile, capsys, "hostile", "hostile", "--json", cases=["write_every_fd", "calm"]
    )
    assert "Traceback" not in err, err
    report = json.loads(out)
    first, second = report["steps"]
    assert (first["verdict"], first["reason"]) == ("error", "channel"), first
    assert "events channel" in first["summary"]
    assert second["verdict"] == "pass", second
    assert code == 1


# -- processes that detach ---------------------------------------------------------------


def test_detached_processes_die_with_the_check_and_a_pass_stays_a_pass(hostile):
    _, step, marker = hostile
    verdict, _ = run(hostile, "escape")
    assert verdict.verdict == "pass", verdict
    assert verdict.timings["total_s"] < step.timeout_s
    assert wait_for(lambda: not [c for _, c in marked(marker) if "sleep" in c], 2), marked(marker)


# -- output ------------------------------------------------------------------------------


def test_100_mib_of_lines_to_a_slow_face_keeps_the_verdict_and_says_what_was_dropped(hostile):
    _, step, _ = hostile
    verdict, events = run(hostile, "flood_lines", emit=lambda e: time.sleep(0.001))
    assert verdict.verdict == "pass", verdict
    test = next(e for e in events if isinstance(e, TestResult))
    assert test.duration_s < step.timeout_s / 2  # the learner's process was never held up
    dropped = [e for e in events if isinstance(e, OutputDropped)]
    assert [d.stream for d in dropped] == ["stdout"]
    assert dropped[0].bytes > 90 * 2**20 and dropped[0].lines > 900_000
    stdout = [e.text for e in events if isinstance(e, Output) and e.stream == "stdout"]
    assert stdout[0] == "x" * 99 and "x" * 99 in stdout[-4:]  # the head and the tail are kept
    assert len(stdout) < 10_000


def test_100_mib_printed_by_check_v_passes(hostile, capsys):
    code, out, err = cli_check(hostile, capsys, "hostile", "-v", cases=["flood_lines"])
    assert code == 0, out[-2000:] + err
    assert "of stdout not kept" in out and len(out) < 2**20


def test_100_mib_without_a_newline_keeps_the_verdict(hostile):
    verdict, events = run(hostile, "flood_bytes")
    assert verdict.verdict == "pass", verdict
    dropped = next(e for e in events if isinstance(e, OutputDropped))
    assert dropped.stream == "stderr" and dropped.bytes > 90 * 2**20
    kept = sum(len(e.text) for e in events if isinstance(e, Output))
    assert kept < 2**20


# -- memory, stack, time -----------------------------------------------------------------


def test_touching_4_gib_hits_the_memory_limit(hostile):
    verdict, _ = run(hostile, "hog_memory")
    assert (verdict.verdict, verdict.reason) == ("fail", "memory"), verdict
    assert f"more than {MEMORY_MIB} MiB" in verdict.summary
    assert run(hostile, "calm")[0].verdict == "pass"


@pytest.mark.parametrize("case", ["overflow_stack", "overflow_thread_stack"])
def test_a_stack_overflow_is_named_so(hostile, case):
    verdict, _ = run(hostile, case)
    assert (verdict.verdict, verdict.reason) == ("fail", "stack-overflow"), verdict
    assert verdict.summary.startswith("Stack overflow") and "recursion" in verdict.summary
    assert run(hostile, "calm")[0].verdict == "pass"


def test_a_timeout_reports_the_running_test_and_its_python_stack(hostile):
    verdict, events = run(hostile, "spin")
    assert (verdict.verdict, verdict.reason) == ("fail", "timeout"), verdict
    report = next(e for e in events if isinstance(e, TimeoutReport))
    assert report.test == "test_case"
    assert 'check.py", line' in report.stack and "test_case" in report.stack
    assert "_pytest" not in report.stack  # the runner's own frames are left out
    assert any("test_case" in e and "check.py" in e for e in verdict.errors), verdict.errors


# -- secrets -----------------------------------------------------------------------------


def test_an_api_key_is_redacted_from_json_junit_and_verbose_output(hostile, capsys, tmp_path):
    junit = tmp_path / "junit.xml"
    code, out, err = cli_check(
        hostile,
        capsys,
        "hostile",
        "hostile",
        "--json",
        "--junit",
        str(junit),
        cases=["return_secret", "panic_secret"],
    )
    report = json.loads(out)
    assert [s["reason"] for s in report["steps"]] == ["test", "panic"], report
    assert API_KEY not in out + err and "[redacted]" in out
    assert API_KEY not in junit.read_text() and "[redacted]" in junit.read_text()

    code, out, err = cli_check(hostile, capsys, "hostile", "-v", cases=["return_secret"])
    assert code == 1
    assert "stdout: [redacted]" in out and "stderr: [redacted]" in out
    assert API_KEY not in out + err
