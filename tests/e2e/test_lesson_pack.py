"""A third-party pack from outside lessons/, with a Rust binary that embeds Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tutor.course import load_course
from tutor.events import GilStats
from tutor.session import Session

pytestmark = pytest.mark.slow
PACK = Path(__file__).resolve().parent.parent / "fixtures" / "pack"


@pytest.fixture(scope="module")
def session(tmp_path_factory, shared_target):
    course = load_course(PACK)
    ws = workspace_with_shared_target(tmp_path_factory.mktemp("pack") / "ws", shared_target)
    s = Session(course, ws, {"model": "offline", "api_base": None})
    yield course, s
    s.close()


def test_binary_solution_passes_with_gil_timings(session):
    course, s = session
    events = []
    verdict = s.check(course.step("embed-hello"), events.append, variant="solution")
    assert verdict.verdict == "pass", verdict
    gil = [e for e in events if isinstance(e, GilStats)]
    assert gil and [label.label for label in gil[0].labels] == ["import"]
    # The program's first attach started Python: start-up, kept apart from the waits.
    (imported,) = gil[0].labels
    assert len(imported.init_us) == 1 and imported.init_us[0] > 0
    assert (imported.count, imported.wait_count, imported.wait_p50_us) == (1, 0, None)


def test_binary_starter_fails_with_expected_and_got(session):
    course, s = session
    verdict = s.check(course.step("embed-hello"), lambda e: None, variant="starter")
    assert (verdict.verdict, verdict.reason) == ("fail", "test")
    assert "DSPy ?" in verdict.errors[0]
