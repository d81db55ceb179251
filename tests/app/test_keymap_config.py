"""[keymap]: an unknown binding id or key name stops the app with file:line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor import cli
from tutor.app.keymap import IDS


@pytest.mark.parametrize(
    ("entry", "line", "says"),
    [
        ('step.nxt = "ctrl+j"', 3, ["'step.nxt' is not a binding id", *sorted(IDS)]),
        ('step.next = "ctlr+j"', 3, ["'ctlr' is not a modifier"]),
        ('step.hint = "f12, ctrl+jj"', 3, ["'jj' is not a key name"]),
    ],
)
def test_bad_keymap_entries_are_rejected(tmp_path: Path, capsys, monkeypatch, entry, line, says):
    from tutor.app.app import TutorApp

    monkeypatch.setattr(TutorApp, "run", lambda self: pytest.fail("the app started"))
    config = tmp_path / "config.toml"
    config.write_text(f'theme = "tutor-dark"\n[keymap]\n{entry}\n')
    code = cli.main(["--config", str(config), "--workspace", str(tmp_path / "ws")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"{config}:{line}:" in err
    for text in says:
        assert text in err


def test_good_keymap_is_accepted(tmp_path: Path):
    from tutor.app.keymap_config import validate_keymap
    from tutor.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text('[keymap]\nstep.next = "ctrl+j"\n"step.hint" = "f12,question_mark"\n')
    validate_keymap(load_settings(config))  # no error
