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


DSPY_PROBE = r"""
import sys
from textual.app import App
from tutor.app.app import TutorApp
from tutor import cli

def after_first_frame(self):
    doctor = self._run_doctor(startup=False)  # it checks that dspy imports…
    async def report():
        await doctor.wait()
        print("dspy in the app process:", "dspy" in sys.modules, flush=True)
        self.exit()
    self.run_worker(report())

TutorApp._start_background = after_first_frame
TutorApp.run = lambda self, **kw: App.run(self, headless=True, size=(100, 30))
sys.exit(cli.main([]))
"""


@pytest.mark.slow  # imports dspy in the doctor's child (seconds of CPU)
def test_the_app_never_imports_dspy(tmp_path: Path) -> None:
    """dspy costs a second of GIL: only the runner (a child) and the doctor's child
    import it, never the app's process — not even while the doctor runs."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYO3DSPY_TUTOR_WORKSPACE=str(tmp_path / "ws"))
    done = subprocess.run(
        [sys.executable, "-c", DSPY_PROBE], env=env, capture_output=True, text=True, timeout=300
    )
    assert "dspy in the app process: False" in done.stdout, done.stdout[-2000:] + done.stderr


def test_a_bad_lesson_width_names_the_line_and_the_fix(tmp_path: Path) -> None:
    from tutor.config import load_settings
    from tutor.errors import FileError

    config = tmp_path / "config.toml"
    config.write_text('theme = "tutor-dark"\nlesson_width = "huge"\n')
    with pytest.raises(FileError) as error:
        load_settings(config)
    assert "config.toml:2" in str(error.value) and '"normal", "wide" or "full"' in str(error.value)
