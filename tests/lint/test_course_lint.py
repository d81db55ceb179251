"""`pyo3dspy-tutor lint` on the bundled course (must be clean) and its exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit

from tests.conftest import workspace_with_shared_target
from tutor.course import bundled_course_dir, load_course
from tutor.lint.readme_rust import compile_blocks, rust_blocks


def lint(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("pyo3dspy-tutor")
    assert exe, "the console script is not installed (pip install -e .)"
    return subprocess.run(
        [exe, "lint", *args], capture_output=True, text=True, timeout=900, env=env
    )


def test_bundled_course_is_clean_statically():
    done = lint("--no-build")
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr
    assert "clean (static rules only" in done.stderr


def test_findings_exit_1_one_line_each(course_dir: Path):
    toml = course_dir / "fundamentals" / "hello-world" / "step.toml"
    doc = tomlkit.parse(toml.read_text())
    doc["hints"] = ["only one"]
    toml.write_text(tomlkit.dumps(doc))
    line = next(n for n, t in enumerate(toml.read_text().splitlines(), 1) if t.startswith("hints"))
    done = lint("--no-build", "--lessons", str(course_dir))
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{toml}:{line}: few-hints 1 hint; give at least 3, "
        "from a nudge, to the API to use, to nearly the answer"
    ]


def test_json_for_ci(course_dir: Path):
    (course_dir / "fundamentals" / "basic-qa" / "check.py").write_text("def test_one(): pass\n")
    done = lint("--no-build", "--json", "--lessons", str(course_dir))
    report = json.loads(done.stdout)
    assert done.returncode == 1 and report["ok"] is False and report["built"] is False
    assert [(f["rule"], Path(f["path"]).name, f["line"]) for f in report["findings"]] == [
        ("few-tests", "check.py", 1)
    ]


def test_a_broken_course_file_is_a_finding_not_a_crash(course_dir: Path):
    (course_dir / "course.toml").write_text('format_version = 1\nid = "x"\ntitle = \n')
    done = lint("--lessons", str(course_dir))  # nothing to build: the format finding only
    assert done.returncode == 1
    assert done.stdout.startswith(f"{course_dir / 'course.toml'}:3: format invalid TOML")


def test_tool_trouble_exits_2(tmp_path: Path):
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no cargo here
    assert shutil.which("cargo", path=env["PATH"]) is None
    exe = shutil.which("pyo3dspy-tutor")
    done = subprocess.run(
        [exe, "--workspace", str(tmp_path / "ws"), "lint"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cargo was not found" in done.stderr


@pytest.mark.slow
def test_readme_rust_blocks_compile(tmp_path_factory, shared_target):
    """Every complete ```rust block of every README builds against PyO3 0.29."""
    course = load_course(bundled_course_dir())
    assert rust_blocks(course), "the course should hold at least one complete Rust block"
    ws = workspace_with_shared_target(tmp_path_factory.mktemp("readme") / "ws", shared_target)
    assert compile_blocks(course, ws) == []


@pytest.mark.slow
def test_bundled_course_is_clean_with_builds(tmp_path_factory, shared_target):
    ws = workspace_with_shared_target(tmp_path_factory.mktemp("lint") / "ws", shared_target)
    exe = shutil.which("pyo3dspy-tutor")
    done = subprocess.run(
        [exe, "--workspace", str(ws.root), "lint", "--json"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    report = json.loads(done.stdout)
    assert report["findings"] == [] and report["built"] is True
    assert done.returncode == 0
