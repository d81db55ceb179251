"""A learner file that is not UTF-8 opens read-only, with a notice, and is never rewritten."""

from __future__ import annotations

from pathlib import Path

import pytest
from snapshot_app import make_app, record_notifications

pytestmark = pytest.mark.anyio

LATIN1 = "// café au lait\nfn main() {}\n".encode("latin-1")


async def test_undecodable_file_is_read_only_and_untouched(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    path = app.workspace.crate_dir(app.step) / app.step.files[0]
    path.write_bytes(LATIN1)
    notes = record_notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = app.main.editor
        assert editor.read_only and editor.undecodable
        assert "line 1, column 7" in editor.undecodable
        editor.focus()
        await pilot.press("x", "y", "ctrl+s")
        await pilot.pause()
        assert path.read_bytes() == LATIN1  # never rewritten
        assert any("not UTF-8" in n and "read-only" in n for n in notes)
        assert "read-only" in str(editor.border_subtitle)

        path.write_text("// café au lait\n", encoding="utf-8")  # fixed in another editor
        editor.reload()
        assert not editor.read_only and editor.text == "// café au lait\n"
