"""`pyo3dspy-tutor` with no arguments: the app, on a locked, created-if-needed workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor import cli
from tutor.app.app import TutorApp
from tutor.workspace import Workspace
from tutor.workspace.lock import WorkspaceLock


def test_no_arguments_opens_the_app_on_a_new_workspace(tmp_path: Path, monkeypatch) -> None:
    seen: dict[str, object] = {}

    def fake_run(self: TutorApp, **kwargs) -> None:
        seen["created"] = self.created
        seen["step"] = self.step.id
        seen["root"] = self.workspace.root
        # While the app runs, the workspace is ours.
        with pytest.raises(Exception, match="in use by pyo3dspy-tutor"):
            WorkspaceLock(self.workspace.lock_file).acquire()

    monkeypatch.setattr(TutorApp, "run", fake_run)
    ws = Workspace(tmp_path / "ws")
    assert cli.main(["--workspace", str(ws.root)]) == 0
    assert seen == {"created": True, "step": "hello-world", "root": ws.root}
    assert (ws.root / "README.txt").exists()  # created, not just locked
    assert (ws.root / "fundamentals" / "hello-world" / "src" / "lib.rs").exists()
    with WorkspaceLock(ws.lock_file):  # released on exit
        pass
    assert cli.main(["--workspace", str(ws.root)]) == 0
    assert seen["created"] is False


def test_a_second_tutor_gets_a_clear_message_and_exit_2(tmp_path: Path, capsys) -> None:
    ws = Workspace(tmp_path / "ws")
    assert cli.main(["--workspace", str(ws.root), "init"]) == 0
    capsys.readouterr()
    with WorkspaceLock(ws.lock_file):
        assert cli.main(["--workspace", str(ws.root)]) == 2
    err = capsys.readouterr().err
    assert "is in use by pyo3dspy-tutor" in err
    assert "close the other tutor first" in err


def test_keymap_ids_may_be_written_as_dotted_keys(tmp_path: Path) -> None:
    from tutor.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text('[keymap]\nstep.next = "ctrl+j"\n"step.hint" = "f12"\n')
    assert load_settings(config).keymap == {"step.next": "ctrl+j", "step.hint": "f12"}
