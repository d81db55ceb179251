"""The offline-LM probe pack (tests/fixtures/probes) through the real `check` command.

Each step drives DSPy from Rust and asserts what the offline LM does: ReAct agents,
BestOfN/Refine sampling, every optimizer's gain, Embeddings retrieval, ProgramOfThought
with LocalInterpreter, History, and the three adapters' formats.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tutor.course import load_course
from tutor.workspace.setup import init_workspace

pytestmark = pytest.mark.slow
PROBES = Path(__file__).resolve().parent.parent / "fixtures" / "probes"


def test_every_probe_passes(tmp_path, shared_target):
    course = load_course(PROBES)
    ws = workspace_with_shared_target(tmp_path / "ws", shared_target)
    init_workspace(ws, course)
    exe = shutil.which("pyo3dspy-tutor")
    assert exe, "the console script is not installed (pip install -e .)"
    done = subprocess.run(
        [exe, "--lessons", str(PROBES), "--workspace", str(ws.root)]
        + ["check", "--all", "--solutions", "--json"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = json.loads(done.stdout)
    for step in report["steps"]:
        print(step["id"], step["verdict"], step["timings"])
    failed = {s["id"]: s["errors"] for s in report["steps"] if s["verdict"] != "pass"}
    assert failed == {}
    assert {s["id"] for s in report["steps"]} == {s.id for s in course.steps()}
