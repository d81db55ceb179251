"""The whole engine on a real Rust step: starter, solution, and every way learner code breaks.

A learner workspace in a temp dir; hello-world is built with cargo (PyO3 compiles once
per test session, ~15 s cold) and checked in a forked child with the offline LM. After
each failure the tutor's runner is still the same process and the learner's file is
byte-for-byte what the learner wrote.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tutor import cli
from tutor.build.cargo import build_command, build_env
from tutor.build.progress import host_triple, unit_count
from tutor.console import TutorConsole
from tutor.course import load_course
from tutor.events import Diagnostic, Event, RustPanic, Verdict
from tutor.junit import json_report
from tutor.report import Printer
from tutor.session import Session
from tutor.workspace.backups import apply_solution
from tutor.workspace.setup import init_workspace

pytestmark = pytest.mark.slow

ASK = "fn ask(py: Python<'_>, question: &str) -> PyResult<String> {"


@pytest.fixture(scope="module")
def engine(tmp_path_factory, shared_target):
    root = tmp_path_factory.mktemp("e2e")
    import shutil

    from tutor.course import bundled_course_dir

    lessons = root / "lessons"
    shutil.copytree(bundled_course_dir(), lessons)
    step_toml = lessons / "fundamentals" / "hello-world" / "step.toml"
    step_toml.write_text(
        step_toml.read_text().replace("timeout_seconds = 20", "timeout_seconds = 4")
    )
    course = load_course(lessons)
    ws = workspace_with_shared_target(root / "ws", shared_target)
    init_workspace(ws, course)
    session = Session(course, ws, {"model": "offline", "api_base": None})
    yield course, ws, session
    session.close()


def printed(events: list[Event]) -> str:
    """What the CLI prints for these events."""
    buf = io.StringIO()
    printer = Printer(TutorConsole(file=buf, width=300))
    for e in events:
        printer(e)
    return buf.getvalue()


def check(session: Session, step) -> tuple[Verdict, list[Event]]:
    events: list[Event] = []
    verdict = session.check(step, events.append)
    assert events[-1] is verdict
    return verdict, events


def write_learner_code(ws, step, injected: str) -> tuple[Path, str]:
    """The solution with ``injected`` as the first statement of ask()."""
    lib = ws.crate_dir(step) / "src" / "lib.rs"
    source = (step.solution_dir / "src" / "lib.rs").read_text()
    assert ASK in source
    text = source.replace(ASK, ASK + "\n    " + injected, 1)
    lib.write_text(text)
    return lib, text


def test_1_starter_fails_with_the_lessons_message(engine):
    course, ws, session = engine
    step = course.step("hello-world")
    before = (ws.crate_dir(step) / "src" / "lib.rs").read_text()
    verdict, events = check(session, step)
    assert (verdict.verdict, verdict.reason) == ("fail", "test")
    assert any("should return the `answer` field" in e for e in verdict.errors), verdict.errors
    assert {"build_s", "start_s", "check_s", "total_s"} <= verdict.timings.keys()
    assert (ws.crate_dir(step) / "src" / "lib.rs").read_text() == before


def test_2_solution_passes_with_trace_and_gil(engine):
    course, ws, session = engine
    step = course.step("hello-world")
    apply_solution(ws, step)
    verdict, events = check(session, step)
    assert verdict.verdict == "pass", verdict
    kinds = {type(e).__name__ for e in events}
    assert {
        "BuildStarted",
        "BuildFinished",
        "RunStarted",
        "Span",
        "GilStats",
        "TestResult",
    } <= kinds
    gil = next(e for e in events if type(e).__name__ == "GilStats")
    assert [s.label for s in gil.labels] == ["predict"] and gil.labels[0].count >= 1


def test_2b_progress_total_is_every_unit_cargo_builds(engine):
    """The count BuildProgress announces is the number of compiler-artifact messages."""
    course, ws, session = engine
    step = course.step("hello-world")
    crate = ws.crate_dir(step)
    env = build_env(ws.target_dir())
    built = subprocess.run(
        build_command(step, "hello_world"), cwd=crate, env=env, capture_output=True, check=True
    )
    artifacts = [
        m for m in map(json.loads, built.stdout.splitlines()) if m["reason"] == "compiler-artifact"
    ]
    command = ["cargo", "metadata", "--format-version", "1", "--filter-platform", host_triple()]
    metadata = json.loads(subprocess.run(command, cwd=crate, env=env, capture_output=True).stdout)
    assert unit_count(metadata) == len(artifacts)


def test_3_compile_error_is_structured(engine):
    course, ws, session = engine
    step = course.step("hello-world")
    lib, text = write_learner_code(ws, step, 'let n: u32 = "not a number";')
    pid = session.runner._proc.pid
    verdict, events = check(session, step)
    assert (verdict.verdict, verdict.reason) == ("fail", "build")
    errors = [e for e in events if isinstance(e, Diagnostic) and e.level == "error"]
    assert errors[0].code == "E0308"
    assert (
        errors[0].file == "src/lib.rs"
        and errors[0].line == text[: text.index("let n")].count("\n") + 1
    )
    assert "mismatched types" in errors[0].message
    assert lib.read_text() == text and session.runner._proc.pid == pid
    # the verdict carries the same fields, for --json and JUnit
    (step_report,) = json_report("c", "learner", "pass", [(verdict, False)])["steps"]
    first = step_report["errors"][0]
    assert {k: first[k] for k in ("level", "kind", "code", "file", "line")} == {
        "level": "error",
        "kind": "compiler",
        "code": "E0308",
        "file": "src/lib.rs",
        "line": errors[0].line,
    }
    assert first["column"] == errors[0].column and "error[E0308]" in first["rendered"]
    # and the CLI prints rustc's brackets
    assert "error[E0308]: mismatched types" in printed(events)


def test_4_rust_panic_names_message_and_line(engine):
    course, ws, session = engine
    step = course.step("hello-world")
    lib, text = write_learner_code(ws, step, 'panic!("the answer [[lm.script]] is lost");')
    verdict, events = check(session, step)
    assert (verdict.verdict, verdict.reason) == ("fail", "panic")
    panic = next(e for e in events if isinstance(e, RustPanic))
    assert panic.message == "the answer [[lm.script]] is lost"
    problem = verdict.problems[0]
    assert (problem.kind, problem.file, problem.line) == ("panic", panic.file, panic.line)
    assert "the answer [[lm.script]] is lost" in printed(events)
    assert panic.file == "src/lib.rs" and panic.line == text[: text.index("panic!")].count("\n") + 1
    assert lib.read_text() == text


def test_5_segfault_is_a_crash_not_a_tutor_death(engine):
    course, ws, session = engine
    step = course.step("hello-world")
    lib, text = write_learner_code(
        ws, step, "unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };"
    )
    pid = session.runner._proc.pid
    verdict, _ = check(session, step)
    assert (verdict.verdict, verdict.reason) == ("fail", "crash")
    assert "segmentation fault" in verdict.summary
    assert lib.read_text() == text and session.runner._proc.pid == pid


def test_6_endless_loop_hits_the_time_limit(engine):
    course, ws, session = engine
    step = course.step("hello-world")
    lib, text = write_learner_code(ws, step, "loop { std::hint::spin_loop(); }")
    verdict, _ = check(session, step)
    assert (verdict.verdict, verdict.reason) == ("fail", "timeout")
    assert "within 4 s" in verdict.summary
    assert lib.read_text() == text


def test_7_process_exit_is_reported(engine):
    course, ws, session = engine
    step = course.step("hello-world")
    write_learner_code(ws, step, "std::process::exit(3);")
    verdict, _ = check(session, step)
    assert (verdict.verdict, verdict.reason) == ("fail", "exit")
    assert "exit code 3" in verdict.summary


def test_8_runner_still_works_after_all_that(engine):
    course, ws, session = engine
    step = course.step("hello-world")
    apply_solution(ws, step)
    verdict, _ = check(session, step)
    assert verdict.verdict == "pass"


def test_9_malformed_lesson_is_one_clear_message(engine, capsys):
    course, ws, _ = engine
    module_toml = course.root / "fundamentals" / "module.toml"
    original = module_toml.read_text()
    module_toml.write_text(original.replace("steps = [", "steps = [[", 1))
    try:
        code = cli.main(["--lessons", str(course.root), "--workspace", str(ws.root), "list"])
    finally:
        module_toml.write_text(original)
    err = capsys.readouterr().err
    assert code == 2
    assert "module.toml:" in err and "invalid TOML" in err and "fix:" in err
    assert "Traceback" not in err
