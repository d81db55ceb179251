"""Progress never changes without a word: unreadable files are kept, moves are said."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor import cli
from tutor.course import Course
from tutor.workspace import Workspace
from tutor.workspace.progress import load_progress, save_progress
from tutor.workspace.setup import init_workspace


@pytest.fixture
def ws(tmp_path: Path, course: Course) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    init_workspace(ws, course)
    p = load_progress(ws.state_file)
    p.record_verdict("hello-world", "pass")
    save_progress(ws.state_file, p)
    return ws


@pytest.mark.parametrize(
    "content",
    [b"", b"\n  \n", b'course = "pyo3-dspy"\ncurrent = ', b"\xff\xfe garbage", b"foo = 1\n"],
    ids=["empty", "blank", "truncated", "not-utf8", "no-course"],
)
def test_unreadable_progress_is_kept_and_said(ws: Workspace, course: Course, content: bytes):
    ws.state_file.write_bytes(content)
    progress = init_workspace(ws, course)
    kept = list(ws.meta.glob("state.toml.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == content
    assert len(progress.notices) == 1
    assert "could not be read" in progress.notices[0] and str(kept[0]) in progress.notices[0]
    assert load_progress(ws.state_file).current == "hello-world"  # a readable fresh start


def test_the_cli_says_it(ws: Workspace, capsys):
    ws.state_file.write_text("")
    assert cli.main(["--workspace", str(ws.root), "list"]) == 0
    err = capsys.readouterr().err
    assert "progress file could not be read" in err and "the file is empty" in err


def test_a_vanished_current_step_is_moved_with_a_word(ws: Workspace, course: Course, capsys):
    p = load_progress(ws.state_file)
    p.current = "renamed-step"
    save_progress(ws.state_file, p)
    progress = init_workspace(ws, course)
    assert progress.current == "basic-qa"  # the first step not done yet
    assert any("'renamed-step'" in n and "'basic-qa'" in n for n in progress.notices)
    assert load_progress(ws.state_file).done == ["hello-world"]  # nothing else lost


def test_opening_a_healthy_workspace_writes_nothing(ws: Workspace, course: Course):
    before = ws.state_file.stat().st_mtime_ns
    progress = init_workspace(ws, course)
    assert progress.notices == []
    assert ws.state_file.stat().st_mtime_ns == before


def test_hint_past_the_last_says_so(ws: Workspace, course: Course, capsys):
    step = course.step("hello-world")
    for _ in range(len(step.hints)):
        cli.main(["--workspace", str(ws.root), "hint", "hello-world"])
    assert "last hint" not in capsys.readouterr().out
    cli.main(["--workspace", str(ws.root), "hint", "hello-world"])
    out = capsys.readouterr().out
    assert f"Hint {len(step.hints)}/{len(step.hints)}" in out
    assert "That was the last hint for hello-world" in out and "solution" in out
