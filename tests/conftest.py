"""Shared fixtures: copies of the course, isolated config, one Cargo target per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tutor.course import bundled_course_dir, load_course
from tutor.course.model import Course
from tutor.workspace import Workspace


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never read the developer's config or workspace."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("PYO3DSPY_TUTOR_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("PYO3DSPY_TUTOR_WORKSPACE", str(home / "workspace"))
    for var in ("PYO3DSPY_TUTOR_LM", "PYO3DSPY_TUTOR_LESSONS", "PYO3DSPY_TUTOR_THEME"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled course that a test may break."""
    dest = tmp_path / "lessons"
    shutil.copytree(bundled_course_dir(), dest)
    return dest


@pytest.fixture
def course(course_dir: Path) -> Course:
    return load_course(course_dir)


@pytest.fixture(scope="session")
def shared_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Cargo target dir for every test that builds, so PyO3 compiles once."""
    return tmp_path_factory.mktemp("cargo-target")


def workspace_with_shared_target(root: Path, target: Path) -> Workspace:
    """A workspace whose target/ is the session's shared one (a symlink)."""
    ws = Workspace(root)
    ws.meta.mkdir(parents=True, exist_ok=True)
    link = ws.meta / "target"
    if not link.exists():
        link.symlink_to(target, target_is_directory=True)
    return ws
