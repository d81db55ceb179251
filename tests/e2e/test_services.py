"""Services for checks, end to end: the real multi-level-cache step with a real redis-server.

The tutor starts Redis around the run and stops it after a pass, a timeout, or a failure
to start; no redis-server is left behind (found by scanning /proc).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tutor.course import bundled_course_dir, load_course
from tutor.events import Event, Verdict
from tutor.session import Session
from tutor.workspace.backups import apply_solution
from tutor.workspace.setup import init_workspace

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

STEP = "multi-level-cache"


def our_redis_servers() -> list[int]:
    """Live redis-server processes whose parent is this test process."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            comm = (proc / "comm").read_text().strip()
            fields = (proc / "stat").read_text().split(")")[-1].split()
        except OSError:
            continue
        state, ppid = fields[0], int(fields[1])
        if comm.startswith("redis-server") and ppid == os.getpid() and state != "Z":
            found.append(int(proc.name))
    return found


@pytest.fixture(scope="module")
def engine(tmp_path_factory, shared_target):
    root = tmp_path_factory.mktemp("services")
    lessons = root / "lessons"
    shutil.copytree(bundled_course_dir(), lessons)
    step_dir = lessons / "production" / STEP
    toml = step_dir / "step.toml"
    toml.write_text(toml.read_text().replace("timeout_seconds = 30", "timeout_seconds = 6"))
    # A test that outlives the time limit only when asked to, so one course serves both.
    with (step_dir / "check.py").open("a") as f:
        f.write(
            "\n\ndef test_hang_if_asked():\n"
            "    import os, time\n"
            "    if os.path.exists(os.path.join(os.path.dirname(__file__), 'HANG')):\n"
            "        time.sleep(60)\n"
        )
    course = load_course(lessons)
    ws = workspace_with_shared_target(root / "ws", shared_target)
    init_workspace(ws, course)
    session = Session(course, ws, {"model": "offline", "api_base": None})
    step = course.step(STEP)
    apply_solution(ws, step)
    yield session, step
    session.close()


def check(session: Session, step) -> Verdict:
    events: list[Event] = []
    return session.check(step, events.append)


def test_the_solution_passes_against_the_started_redis(engine):
    session, step = engine
    verdict = check(session, step)
    assert verdict.verdict == "pass", (verdict.summary, verdict.errors)
    assert our_redis_servers() == []


def test_redis_is_stopped_after_a_timeout(engine):
    session, step = engine
    hang = step.dir / "HANG"
    hang.write_text("")
    try:
        verdict = check(session, step)
    finally:
        hang.unlink()
    assert (verdict.verdict, verdict.reason) == ("fail", "timeout"), verdict.summary
    assert our_redis_servers() == []


def test_a_missing_redis_server_is_an_error_that_says_how_to_install(engine, tmp_path, monkeypatch):
    session, step = engine
    # PATH as it is, but with every redis-server hidden: a folder of links to the rest.
    bare = tmp_path / "bin"
    bare.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        for tool in Path(folder).glob("*") if Path(folder).is_dir() else []:
            link = bare / tool.name
            if tool.name != "redis-server" and not link.exists():
                link.symlink_to(tool)
    monkeypatch.setenv("PATH", str(bare))
    verdict = check(session, step)
    assert (verdict.verdict, verdict.reason) == ("error", "service"), verdict.summary
    assert "apt-get install redis-server" in verdict.summary
    assert "brew install redis" in verdict.summary
