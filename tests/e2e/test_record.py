"""Lesson authors record a step's LM answers into a cassette; replays come from it."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import workspace_with_shared_target
from tutor import cli
from tutor.course import bundled_course_dir, load_course
from tutor.events import Span
from tutor.lm.cassette import load_cassette
from tutor.session import Session

pytestmark = pytest.mark.slow


def test_record_writes_cassette_and_step_toml_then_replays(tmp_path, shared_target, capsys):
    lessons = tmp_path / "lessons"
    shutil.copytree(bundled_course_dir(), lessons)
    step_toml = lessons / "fundamentals" / "hello-world" / "step.toml"
    before = step_toml.read_text()
    ws = workspace_with_shared_target(tmp_path / "ws", shared_target)

    code = cli.main(
        ["--lessons", str(lessons), "--workspace", str(ws.root), "record", "hello-world"]
    )
    assert code == 0, capsys.readouterr()
    assert "Recorded" in capsys.readouterr().out

    after = step_toml.read_text()
    assert after.startswith(before.rstrip()[:200])  # comments and order kept
    course = load_course(lessons)
    step = course.step("hello-world")
    assert step.cassette is not None
    entries = load_cassette(step.cassette)
    assert any(e.fields.get("answer") == "Paris" for e in entries)

    session = Session(course, ws, {"model": "offline", "api_base": None})
    try:
        events = []
        verdict = session.check(step, events.append, variant="solution")
    finally:
        session.close()
    assert verdict.verdict == "pass"
    sources = {e.lm_source for e in events if isinstance(e, Span) and e.kind == "lm"}
    assert sources == {"cassette"}
