"""The real `pyo3dspy-tutor` in tmux, driven like a person: edit from outside, read the
verdict off the screen, quit, and nothing is left running."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tests.e2e.test_interrupt import marked, wait_for
from tutor.course import bundled_course_dir, load_course
from tutor.workspace.setup import init_workspace

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def lesson_table(readme: Path) -> list[list[str]]:
    """The cells of the lesson's first table, as the app shows them (no backticks)."""
    rows = []
    for line in readme.read_text().splitlines():
        if not line.startswith("|"):
            if rows:
                break
        elif not set(line.strip()) <= set("|-: "):  # not the |---|---| line
            rows.append([c.strip().replace("`", "") for c in line.strip().strip("|").split("|")])
    return rows


def shows_row(screen: str, cells: list[str]) -> bool:
    """One screen line holds the whole row: every cell, in order, uncut."""
    for line in screen.splitlines():
        at = 0
        for cell in cells:
            at = line.find(cell, at)
            if at < 0:
                break
            at += len(cell)
        else:
            return True
    return False


def test_edit_from_outside_and_read_the_pass_off_the_screen(tmp_path: Path, shared_target):
    course = load_course(bundled_course_dir())
    ws = workspace_with_shared_target(tmp_path / "ws", shared_target)
    init_workspace(ws, course)
    step = course.step("hello-world")
    session = f"tutor-e2e-{uuid.uuid4().hex[:8]}"
    marker = uuid.uuid4().hex
    exe = shutil.which("pyo3dspy-tutor")
    assert exe
    command = (
        # -u COLUMNS/LINES: set in a test run, they would size the app (80x24), not tmux.
        f"env -u COLUMNS -u LINES TUTOR_TEST_MARKER={marker} "
        f"PYO3DSPY_TUTOR_CONFIG={tmp_path}/config.toml "
        f"{exe} --workspace {ws.root}"
    )
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", command)

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", session)

    try:
        assert wait_for(lambda: "✗ fail" in screen(), 180), screen()
        assert "Hello, DSPy" in screen()
        # The lesson read full screen (F10: wider, F10: full): its table is whole.
        rows = lesson_table(step.readme)
        assert len(rows) >= 3, rows
        tmux("send-keys", "-t", session, "F10")
        tmux("send-keys", "-t", session, "F10")
        assert wait_for(lambda: "Goal:" in screen() and "src/lib.rs ─" not in screen(), 10)
        seen = ""
        for _ in range(30):  # scroll down ten lines at a time, reading every screen
            seen += screen()
            if all(shows_row(seen, row) for row in rows):
                break
            tmux("send-keys", "-t", session, *["Down"] * 10)
            time.sleep(0.3)
        missing = [row for row in rows if not shows_row(seen, row)]
        assert not missing, f"rows not shown whole: {missing}\n{screen()}"
        tmux("send-keys", "-t", session, "F10")  # back to the editor
        assert wait_for(lambda: "src/lib.rs" in screen() and "✗ fail" in screen(), 10)
        shutil.copyfile(step.solution_dir / "src" / "lib.rs", ws.crate_dir(step) / "src" / "lib.rs")
        assert wait_for(lambda: "✓ pass" in screen(), 60), screen()
        n = step.check_path.read_text().count("\ndef test_")
        assert f"All {n} checks passed" in screen()
        tmux("send-keys", "-t", session, "C-q")
        assert wait_for(lambda: session not in tmux("list-sessions"), 10), screen()
        assert wait_for(lambda: marked(f"TUTOR_TEST_MARKER={marker}") == [], 10)
    finally:
        tmux("kill-session", "-t", session)
    progress = (ws.state_file).read_text()
    assert 'done = ["hello-world"]' in progress
