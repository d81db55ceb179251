"""Workspace: scaffolding never clobbers learner work; backups; progress; the lock."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tutor.course.model import Course
from tutor.errors import FileError, TutorError
from tutor.workspace import Workspace
from tutor.workspace.backups import apply_solution, list_backups, reset_step, restore
from tutor.workspace.lock import WorkspaceLock, WorkspaceLocked
from tutor.workspace.progress import Progress, load_progress, save_progress
from tutor.workspace.scaffold import scaffold
from tutor.workspace.setup import init_workspace


def test_init_scaffolds_first_step_with_tutor_owned_manifest(tmp_path: Path, course: Course):
    ws = Workspace(tmp_path / "ws")
    progress = init_workspace(ws, course)
    step = course.steps()[0]
    assert progress.current == step.id
    crate = ws.crate_dir(step)
    assert (crate / "src" / "lib.rs").read_text() == (step.starter_dir / "src/lib.rs").read_text()
    manifest = tomllib.loads((crate / "Cargo.toml").read_text())
    assert manifest["package"]["name"] == f"step-{step.id}"
    assert manifest["lib"]["name"] == step.crate_module
    probe = (crate / manifest["dependencies"]["gil-probe"]["path"]).resolve()
    assert probe == ws.gil_probe.resolve() and (probe / "Cargo.toml").is_file()
    pyproject = tomllib.loads((crate / "pyproject.toml").read_text())
    assert pyproject["tool"]["maturin"]["module-name"] == step.crate_module
    assert load_progress(ws.state_file).course == course.id


def test_rescaffold_keeps_learner_edits(tmp_path: Path, course: Course):
    ws = Workspace(tmp_path / "ws")
    init_workspace(ws, course)
    step = course.steps()[0]
    lib = ws.crate_dir(step) / "src" / "lib.rs"
    lib.write_text("// my work\n")
    scaffold(ws, step)
    init_workspace(ws, course)
    assert lib.read_text() == "// my work\n"


def test_step_dependencies_and_features_reach_cargo_toml(tmp_path: Path, course: Course):
    import dataclasses

    step = dataclasses.replace(
        course.steps()[0],
        pyo3_features=("auto-initialize",),
        dependencies={"tokio": {"version": "1", "features": ["rt"]}},
    )
    ws = Workspace(tmp_path / "ws")
    manifest = tomllib.loads((scaffold(ws, step) / "Cargo.toml").read_text())
    assert "auto-initialize" in manifest["dependencies"]["pyo3"]["features"]
    assert manifest["dependencies"]["tokio"] == {"version": "1", "features": ["rt"]}


def test_variants_get_their_own_cargo_names(tmp_path: Path, course: Course):
    """A solution and a starter build in one target dir must not overwrite each other."""
    ws = Workspace(tmp_path / "ws")
    step = course.steps()[0]
    names = set()
    for variant in ("learner", "solution", "starter"):
        manifest = tomllib.loads((scaffold(ws, step, variant) / "Cargo.toml").read_text())
        names.add((manifest["package"]["name"], manifest["lib"]["name"]))
    assert len(names) == 3


def test_reset_and_solution_back_up_and_restore(tmp_path: Path, course: Course):
    ws = Workspace(tmp_path / "ws")
    init_workspace(ws, course)
    step = course.steps()[0]
    lib = ws.crate_dir(step) / "src" / "lib.rs"
    lib.write_text("// attempt 1\n")

    saved = apply_solution(ws, step)
    assert saved is not None and (saved / "src" / "lib.rs").read_text() == "// attempt 1\n"
    assert lib.read_text() == (step.solution_dir / "src/lib.rs").read_text()

    reset_step(ws, step)
    assert lib.read_text() == (step.starter_dir / "src/lib.rs").read_text()
    assert len(list_backups(ws, step)) == 2

    restore(ws, step, saved)
    assert lib.read_text() == "// attempt 1\n"
    assert len(list_backups(ws, step)) == 3  # the starter it replaced was saved too


def test_progress_round_trip_and_readable(tmp_path: Path):
    path = tmp_path / "state.toml"
    p = Progress(course="c", current="b")
    p.record_verdict("a", "fail")
    p.record_verdict("a", "pass")
    p.step("b").hints_shown = 2
    save_progress(path, p)
    text = path.read_text()
    assert text.startswith("# pyo3dspy-tutor progress")
    again = load_progress(path)
    assert again.done == ["a"] and again.current == "b"
    assert again.steps["a"].attempts == 2 and again.steps["a"].last_verdict == "pass"
    assert again.steps["b"].hints_shown == 2
    assert not list(tmp_path.glob(".state.toml.*"))  # no temp file left behind


def test_malformed_progress_names_line_and_fix(tmp_path: Path):
    path = tmp_path / "state.toml"
    path.write_text('course = "c"\ncurrent = \n')
    with pytest.raises(FileError) as info:
        load_progress(path)
    assert info.value.line == 2
    assert "state.toml:2" in str(info.value)


def test_second_tutor_gets_a_clear_message(tmp_path: Path):
    ws = Workspace(tmp_path / "ws")
    with WorkspaceLock(ws.lock_file):
        with pytest.raises(WorkspaceLocked) as info:
            WorkspaceLock(ws.lock_file).acquire()
        assert "in use by pyo3dspy-tutor" in info.value.message
        assert "--workspace" in info.value.fix
    WorkspaceLock(ws.lock_file).acquire()  # released: free again


def test_workspace_of_another_course_is_refused(tmp_path: Path, course: Course):
    ws = Workspace(tmp_path / "ws")
    init_workspace(ws, course)
    p = load_progress(ws.state_file)
    p.course = "another-course"
    save_progress(ws.state_file, p)
    with pytest.raises(TutorError, match="another-course"):
        init_workspace(ws, course)
