"""CI for lesson authors: every solution passes, every starter fails (the real binary)."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import workspace_with_shared_target
from tutor.course import bundled_course_dir, load_course
from tutor.workspace.setup import init_workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, shared_target):
    ws = workspace_with_shared_target(tmp_path_factory.mktemp("checks") / "ws", shared_target)
    init_workspace(ws, load_course(bundled_course_dir()))
    return ws


def run_check(workspace, *args: str) -> tuple[int, dict]:
    exe = shutil.which("pyo3dspy-tutor")
    assert exe, "the console script is not installed (pip install -e .)"
    done = subprocess.run(
        [exe, "--workspace", str(workspace.root), "check", "--all", "--json", *args],
        capture_output=True,
        text=True,
        timeout=900,
    )
    return done.returncode, json.loads(done.stdout)


def test_every_solution_passes(workspace, tmp_path):
    junit = tmp_path / "solutions.xml"
    code, report = run_check(workspace, "--solutions", "--junit", str(junit))
    steps = {s["id"]: s for s in report["steps"]}
    assert set(steps) == {s.id for s in load_course(bundled_course_dir()).steps()}
    broken = {
        k: (v["verdict"], v["summary"], v["errors"])
        for k, v in steps.items()
        if v["verdict"] != "pass"
    }
    assert broken == {}
    assert code == 0 and report["ok"] is True
    for s in steps.values():
        assert {"build_s", "total_s"} <= s["timings"].keys()
    suite = ET.parse(junit).getroot()
    assert suite.get("tests") == str(len(steps)) and suite.get("failures") == "0"


def test_every_starter_fails(workspace):
    code, report = run_check(workspace, "--starters")
    passing = [s["id"] for s in report["steps"] if s["verdict"] != "fail"]
    assert passing == [], "these starters do not fail their check: the lesson is broken"
    assert code == 0 and report["ok"] is True
    assert all(s["errors"] for s in report["steps"]), "a failing starter must say why"


def test_learner_check_exits_nonzero_until_solved(workspace, tmp_path):
    exe = shutil.which("pyo3dspy-tutor")
    junit = tmp_path / "learner.xml"
    done = subprocess.run(
        [exe, "--workspace", str(workspace.root), "check", "--json", "--junit", str(junit)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    assert done.returncode == 1
    assert [s["verdict"] for s in report["steps"]] == ["fail"]
    # each failed check is a structured problem pointing at its assertion in check.py
    errors = report["steps"][0]["errors"]
    assert errors and all(
        (e["kind"], e["level"], e["file"], type(e["line"])) == ("test", "error", "check.py", int)
        for e in errors
    ), errors
    assert {e["code"] for e in errors} >= {"test_ask_returns_the_answer_as_a_string"}
    failure = ET.parse(junit).getroot().find("testcase/failure")
    assert failure is not None and f"check.py:{errors[0]['line']}: error[" in (failure.text or "")
