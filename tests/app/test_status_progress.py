"""The status line shows a first build's progress (crates done of total, time left)."""

from __future__ import annotations

from pathlib import Path

import pytest
from snapshot_app import make_app, settle

from tutor.events import BuildFinished, BuildProgress, BuildStarted

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_first_build_progress_in_the_status_line(tmp_path: Path, size) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=size) as pilot:
        app.feed(
            [
                BuildStarted(step_id="hello-world", command=["cargo", "build"]),
                BuildProgress(done=12, total=21, crate="pyo3-ffi", estimate_s=29.6),
            ]
        )
        await settle(pilot)
        line = app.main.status.line().plain
        assert "building" in line and "crates 12/21, ~30 s left" in line
        shown = "crates 12/21, ~30 s left"
        assert line.index(shown) + len(shown) <= size[0]  # next to the phase, never cut off
        app.feed([BuildFinished(ok=False, duration_s=31.0)])
        await settle(pilot)
        assert "crates" not in app.main.status.line().plain  # gone once the build ends
