"""The coach's notes reach `check` (text and --json) on a real learner step, at build time
(a compiler error) and at run time (a PyBorrowMutError raised by real PyO3 code)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import workspace_with_shared_target
from tutor.course import bundled_course_dir, load_course
from tutor.workspace.setup import init_workspace

pytestmark = pytest.mark.slow

ASK = "fn ask(py: Python<'_>, question: &str) -> PyResult<String> {"
OLD_API = "let _v = Python::with_gil(|py| py.version().len());"
# A second &mut borrow of a #[pyclass] while the first is held: PyO3 raises
# RuntimeError("Already borrowed") from PyBorrowMutError.
BORROW_TWICE = """#[pyclass]
    struct Tally { count: u32 }
    let tally = Py::new(py, Tally { count: 0 })?;
    let held = tally.borrow_mut(py);
    let _again = tally.try_borrow_mut(py)?;
    let _ = held.count;"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, shared_target):
    ws = workspace_with_shared_target(tmp_path_factory.mktemp("coach") / "ws", shared_target)
    init_workspace(ws, load_course(bundled_course_dir()))
    return ws


def check_with(workspace, injected: str, *args: str) -> subprocess.CompletedProcess:
    course = load_course(bundled_course_dir())
    step = course.step("hello-world")
    source = (step.solution_dir / "src" / "lib.rs").read_text()
    assert ASK in source
    lib = workspace.crate_dir(step) / "src" / "lib.rs"
    lib.write_text(source.replace(ASK, ASK + "\n    " + injected, 1))
    exe = shutil.which("pyo3dspy-tutor")
    assert exe, "the console script is not installed (pip install -e .)"
    return subprocess.run(
        [exe, "--workspace", str(workspace.root), "check", "hello-world", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_compile_error_gets_its_note_in_json_and_text(workspace):
    report = json.loads(check_with(workspace, OLD_API, "--json").stdout)
    [step] = report["steps"]
    assert step["verdict"] == "fail" and step["reason"] == "build"
    assert [n["entry"] for n in step["coach"]] == ["old-with-gil"]
    assert step["coach"][0]["file"] == "src/lib.rs"
    text = check_with(workspace, OLD_API).stdout
    # The note comes right under the compiler's own text.
    assert text.index("with_gil") < text.index("coach: Python::with_gil was renamed")
    assert "https://pyo3.rs/v0.29.3/migration.html" in text


def test_a_runtime_borrow_error_gets_its_note(workspace):
    report = json.loads(check_with(workspace, BORROW_TWICE, "--json").stdout)
    [step] = report["steps"]
    assert step["verdict"] == "fail", step
    assert any("Already borrowed" in e["message"] for e in step["errors"]), step["errors"]
    assert {n["entry"] for n in step["coach"]} == {"pyclass-already-borrowed"}
