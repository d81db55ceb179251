"""Every command the CLI tells a learner to run works when run as printed."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tutor import cli
from tutor.advice import after_pass
from tutor.config import Settings
from tutor.course import bundled_course_dir, load_course
from tutor.workspace import Workspace

COURSE = load_course(bundled_course_dir())


def advised(text: str) -> list[list[str]]:
    """The `pyo3dspy-tutor …` commands quoted in ``text``, as argument lists."""
    return [
        shlex.split(c)[1:] for c in re.findall(r"`([^`]+)`", text) if c.startswith("pyo3dspy-tutor")
    ]


def run(argv: list[str]) -> int:
    return cli.main(argv)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    assert run(["--workspace", str(ws.root), "init"]) == 0
    return ws


@pytest.mark.parametrize("step", [s.id for s in COURSE.steps()])
def test_after_a_pass_the_next_command_works(ws: Workspace, step: str):
    text = after_pass(Settings(workspace=ws.root), COURSE, step, watching=False)
    commands = advised(text)
    assert commands, text
    for argv in commands:
        assert argv[:2] == ["--workspace", str(ws.root)], argv
        assert run(argv) == 0, argv


def test_after_the_last_step_there_is_no_goto(ws: Workspace):
    last = COURSE.steps()[-1].id
    text = after_pass(Settings(workspace=ws.root), COURSE, last, watching=True)
    assert "goto" not in text and "complete" in text
    assert [argv[-1] for argv in advised(text)] == ["list"]


def test_while_watching_the_advice_says_to_stop_first(ws: Workspace):
    text = after_pass(Settings(workspace=ws.root), COURSE, "hello-world", watching=True)
    assert text.index("ctrl+c") < text.index("goto basic-qa")
    goto, watch = advised(text)
    assert run(goto) == 0  # runs once the watcher has stopped
    assert watch[-1] == "watch"  # run for real in tests/e2e/test_watch.py
    assert run([*watch[:-1], "list"]) == 0  # same workspace


def test_missing_workspace_fix_works(tmp_path: Path, capsys):
    root = tmp_path / "elsewhere"
    assert run(["--workspace", str(root), "list"]) == 2
    (argv,) = advised(capsys.readouterr().err)
    assert run(argv) == 0 and run(["--workspace", str(root), "list"]) == 0


def test_restore_advice_works(ws: Workspace, capsys):
    assert run(["--workspace", str(ws.root), "restore"]) == 2
    (listing,) = advised(capsys.readouterr().err)
    assert run(listing) == 0
    assert run(["--workspace", str(ws.root), "solution"]) == 0
    (restore,) = advised(capsys.readouterr().out)
    assert run(restore) == 0
