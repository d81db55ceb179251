"""Whose fault, on a real step: a broken check is the lesson's, an unreachable LM the
LM's — neither is reported as the learner's failure."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tutor.course import bundled_course_dir, load_course
from tutor.session import Session
from tutor.workspace.setup import init_workspace

pytestmark = pytest.mark.slow


def _course_and_ws(root: Path, shared_target: Path):
    lessons = root / "lessons"
    shutil.copytree(bundled_course_dir(), lessons)
    course = load_course(lessons)
    ws = workspace_with_shared_target(root / "ws", shared_target)
    init_workspace(ws, course)
    return course, ws


def test_syntax_error_in_check_is_a_lesson_error_with_file_and_line(tmp_path, shared_target):
    course, ws = _course_and_ws(tmp_path, shared_target)
    step = course.steps()[0]
    lines = step.check_path.read_text().splitlines()
    lines.insert(2, "def broken(:")
    step.check_path.write_text("\n".join(lines) + "\n")
    session = Session(course, ws, {"model": "offline", "api_base": None})
    try:
        verdict = session.check(step, lambda _e: None, variant="solution")
    finally:
        session.close()
    assert (verdict.verdict, verdict.reason) == ("error", "lesson"), verdict
    assert f"{step.check_path}:3" in verdict.summary


def test_provider_without_network_is_one_lm_error(tmp_path, shared_target, monkeypatch):
    course, ws = _course_and_ws(tmp_path, shared_target)
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    lm = {"model": "openai/gpt-4o-mini", "api_base": f"http://127.0.0.1:{port}/v1"}
    session = Session(course, ws, lm)
    try:
        verdict = session.check(course.steps()[0], lambda _e: None, variant="solution")
    finally:
        session.close()
    assert (verdict.verdict, verdict.reason) == ("error", "lm"), verdict
    assert "failed to connect" in verdict.summary
    assert len(verdict.errors) == 1
