"""A learner's edits to Cargo.toml: additions are kept, managed keys come back with a backup."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tutor import cli
from tutor.course.model import Course
from tutor.workspace import Workspace
from tutor.workspace.backups import list_backups
from tutor.workspace.scaffold import scaffold
from tutor.workspace.setup import init_workspace


@pytest.fixture
def ws(tmp_path: Path, course: Course) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    init_workspace(ws, course)
    return ws


def cargo(ws: Workspace, course: Course) -> Path:
    return ws.crate_dir(course.steps()[0]) / "Cargo.toml"


def test_added_dependencies_are_kept_across_checks(ws: Workspace, course: Course):
    path = cargo(ws, course)
    text = path.read_text().replace(
        "[dependencies]\n", '[dependencies]\nserde = { version = "1", features = ["derive"] }\n'
    )
    path.write_text(text + '\n[dev-dependencies]\nanyhow = "1"\n')
    notices: list[str] = []
    for _ in range(2):  # a check scaffolds again every time
        scaffold(ws, course.steps()[0], notify=notices.append)
    manifest = tomllib.loads(path.read_text())
    assert manifest["dependencies"]["serde"] == {"version": "1", "features": ["derive"]}
    assert manifest["dev-dependencies"] == {"anyhow": "1"}
    assert manifest["dependencies"]["pyo3"]["version"] == "0.29"  # the tutor's, untouched
    assert notices == []
    assert not (ws.backups / course.steps()[0].id).exists()  # nothing overwritten


def test_a_changed_managed_key_is_backed_up_and_explained(ws: Workspace, course: Course):
    step = course.steps()[0]
    path = cargo(ws, course)
    mine = path.read_text().replace('version = "0.29"', 'version = "0.22"')
    mine = mine.replace("[dependencies]\n", '[dependencies]\nrand = "0.8"\n')
    path.write_text(mine)
    notices: list[str] = []
    scaffold(ws, step, notify=notices.append)
    manifest = tomllib.loads(path.read_text())
    assert manifest["dependencies"]["pyo3"]["version"] == "0.29"
    assert manifest["dependencies"]["rand"] == "0.8"  # the addition survives
    [saved] = list((ws.backups / step.id).glob("*/Cargo.toml"))
    assert saved.read_text() == mine  # the learner's file, byte for byte
    [notice] = notices
    assert "dependencies.pyo3.version" in notice and str(saved) in notice
    assert "dependencies.rand" in notice and "kept" in notice
    assert list_backups(ws, step) == []  # `restore` still means the learner's own files


def test_a_manifest_that_is_not_toml_is_backed_up_and_explained(ws: Workspace, course: Course):
    step = course.steps()[0]
    path = cargo(ws, course)
    path.write_text("[dependencies\nserde = 1\n")
    notices: list[str] = []
    scaffold(ws, step, notify=notices.append)
    assert tomllib.loads(path.read_text())["lib"]["name"] == step.crate_module
    assert len(list((ws.backups / step.id).glob("*/Cargo.toml"))) == 1
    assert "not valid TOML" in notices[0]


def test_the_cli_says_it_on_reset(ws: Workspace, course: Course, capsys):
    path = cargo(ws, course)
    path.write_text(path.read_text().replace('edition = "2021"', 'edition = "2024"'))
    assert cli.main(["--workspace", str(ws.root), "reset"]) == 0
    err = capsys.readouterr().err
    assert "package.edition" in err and "saved in" in err
