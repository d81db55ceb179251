"""One full cycle with the real engine: edit in the app's editor → save → watcher →
rebuild → check → verdict in the status line, trace and GIL panes filled."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from snapshot_app import make_app, settle

from tests.conftest import workspace_with_shared_target
from tutor.course import bundled_course_dir
from tutor.workspace.progress import load_progress

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


async def test_edit_save_rebuild_verdict(tmp_path: Path, shared_target: Path) -> None:
    ws = workspace_with_shared_target(tmp_path / "ws", shared_target)
    app = make_app(ws.root, engine=True, course_dir=bundled_course_dir())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.step.id == "hello-world"
        editor = app.main.editor
        editor.text = (app.step.solution_dir / "src/lib.rs").read_text()
        await pilot.press("ctrl+s")
        deadline = time.monotonic() + 300  # a cold PyO3 build is 15–40 s
        status = app.main.status
        while time.monotonic() < deadline:
            await pilot.pause(0.2)
            if status.verdict is not None and status.verdict.reason != "cancelled":
                break
        verdict = status.verdict
        assert verdict is not None, "no verdict within 300 s"
        log = "\n".join(app.main.output.lines[-40:])
        assert verdict.verdict == "pass", f"{verdict}\n{log}"
        assert status.line().plain.startswith("✓ pass")
        assert "hello-world" in load_progress(ws.state_file).done
        assert app.main.trace.span_count > 0
        assert app.main.gil.query_one("#gil-table").row_count >= 1
        assert "── build" in log
        assert str(app.main.lessons.step_tree.root.children[0].children[0].label).startswith("▸✓")
