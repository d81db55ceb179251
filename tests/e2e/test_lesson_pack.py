"""A third-party pack from outside lessons/, with a Rust binary that embeds Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tutor.build.cargo import build
from tutor.course import bundled_course_dir, load_course
from tutor.events import BuildOutput, GilStats, Span
from tutor.session import Session
from tutor.workspace import Workspace
from tutor.workspace.scaffold import cargo_target_name, scaffold

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
    assert gil and sorted(label.label for label in gil[0].labels) == ["import", "interpreter"]
    # gil_probe::initialize timed the interpreter's start-up, kept apart from the waits.
    started, imported = sorted(gil[0].labels, key=lambda label: label.label != "interpreter")
    assert len(started.init_us) == 1 and started.init_us[0] > 0
    assert (started.count, started.wait_count) == (0, 0)
    assert (imported.count, imported.init_us) == (1, [])


def test_binary_starter_fails_with_expected_and_got(session):
    course, s = session
    verdict = s.check(course.step("embed-hello"), lambda e: None, variant="starter")
    assert (verdict.verdict, verdict.reason) == ("fail", "test")
    assert "DSPy ?" in verdict.errors[0]


def test_binary_dspy_call_is_answered_and_traced(session):
    """No code in the program configures DSPy: the tutor's import hook does."""
    course, s = session
    events = []
    verdict = s.check(course.step("embed-predict"), events.append, variant="solution")
    assert verdict.verdict == "pass", verdict
    spans = [e for e in events if isinstance(e, Span)]
    programs = [sp for sp in spans if sp.kind == "binary"]
    assert len(programs) == 3 and all(p.name == "embed_predict" for p in programs)
    by_id = {sp.span_id: sp for sp in spans}
    lms = [sp for sp in spans if sp.kind == "lm"]
    assert [sp.lm_source for sp in lms] == ["scripted"] * 3
    for lm in lms:  # LM → Predict → the program run
        predict = by_id[lm.parent_id]
        assert predict.name == "Predict" and by_id[predict.parent_id].kind == "binary"
        assert lm.cost_basis == "nominal" and lm.usage["total_tokens"] > 0
    assert all(p.usage_total["lm_calls"] == 1 for p in programs)
    gil = [e for e in events if isinstance(e, GilStats)]
    labels = {label.label: label for label in gil[0].labels}
    assert sorted(labels) == ["interpreter", "predict"]
    assert labels["predict"].count == 3  # written at exit: the program never asks
    assert len(labels["interpreter"].init_us) == 3  # one start-up per program run


def test_binary_dspy_starter_fails(session):
    course, s = session
    verdict = s.check(course.step("embed-predict"), lambda e: None, variant="starter")
    assert (verdict.verdict, verdict.reason) == ("fail", "test")


def test_a_binary_step_reuses_the_extension_steps_pyo3_build(tmp_path):
    """Fresh target dir: an extension step compiles PyO3; the binary step after it must not."""
    ws = Workspace(tmp_path / "ws")
    extension = load_course(bundled_course_dir()).step("hello-world")
    binary = load_course(PACK).step("embed-hello")
    compiled = {}
    for step in (extension, binary):
        lines = []
        crate = scaffold(ws, step, "solution")
        result = build(
            step,
            cargo_target_name(step, "solution"),
            crate,
            ws.target_dir(),
            ws.build_dir(step, "solution"),
            lambda e, lines=lines: lines.append(e.line) if isinstance(e, BuildOutput) else None,
        )
        assert result.ok, "\n".join(lines)
        compiled[step.kind] = [ln.split()[1] for ln in lines if "Compiling " in ln]
    assert "pyo3" in compiled["extension"]
    assert compiled["binary"] == [f"{binary.crate_name}-solution"], compiled["binary"]
