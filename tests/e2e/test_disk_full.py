"""A disk that fills up during the build is the disk's fault, not the learner's crate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mounts import tiny_disk
from tutor.course import Course
from tutor.events import Event
from tutor.session import Session
from tutor.workspace import Workspace
from tutor.workspace.setup import init_workspace

pytestmark = pytest.mark.slow


def test_full_disk_while_building_is_an_error_naming_the_folder(tmp_path: Path, course: Course):
    ws = Workspace(tmp_path / "ws")
    init_workspace(ws, course)
    with tiny_disk(ws.meta / "target", "1m"):  # cargo's output fills it within seconds
        session = Session(course, ws, {"model": "offline", "api_base": None})
        events: list[Event] = []
        try:
            verdict = session.check(course.steps()[0], events.append)
        finally:
            session.close()
    assert (verdict.verdict, verdict.reason) == ("error", "disk"), verdict
    assert "the disk is full" in verdict.summary and str(ws.meta / "target") in verdict.summary
    assert "does not compile" not in verdict.summary
    assert "fix:" in verdict.errors[0]
