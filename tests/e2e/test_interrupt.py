"""Ctrl-C on the tutor leaves no build or run process behind.

The tutor is started with SIGINT at its default action whatever this suite inherited
(a shell starts background jobs, `nohup … &`, with SIGINT ignored, and a program that
starts with SIGINT ignored never sees Ctrl-C).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tests.procs import marked, wait_for
from tutor.course import bundled_course_dir, load_course
from tutor.workspace import Workspace
from tutor.workspace.backups import apply_solution
from tutor.workspace.setup import init_workspace

pytestmark = pytest.mark.slow


def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_tutor(ws: Workspace, *args: str) -> tuple[subprocess.Popen, str]:
    marker = f"TUTOR_TEST_MARKER={uuid.uuid4().hex}"
    key, value = marker.split("=")
    proc = subprocess.Popen(
        [shutil.which("pyo3dspy-tutor") or "pyo3dspy-tutor", "--workspace", str(ws.root), *args],
        env={**os.environ, key: value},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,  # the Ctrl-C these tests send must not be ignored
    )
    return proc, marker


def interrupt_and_check_clean(proc: subprocess.Popen, marker: str, within: float = 5) -> None:
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 130
    assert b"Traceback" not in proc.stderr.read()
    assert wait_for(lambda: marked(marker) == [], within), marked(marker)


def rustc_running(marker: str, crate: str = "") -> bool:
    """rustc compiling ``crate`` (any crate: not cargo's quick `rustc -vV` probe)."""
    name = f"--crate-name {crate}" if crate else "--crate-name"
    return any("rustc" in cmd and name in cmd for _, cmd in marked(marker))


def test_the_tutor_gets_ctrl_c_even_when_this_suite_ignores_it(tmp_path):
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as under `nohup … &`
    try:
        proc, _ = start_tutor(Workspace(tmp_path / "ws"), "--version")
    finally:
        signal.signal(signal.SIGINT, previous)
    status = Path(f"/proc/{proc.pid}/status").read_text()
    proc.wait(timeout=30)
    ignored = int(next(ln for ln in status.splitlines() if ln.startswith("SigIgn:")).split()[1], 16)
    assert not ignored & (1 << (signal.SIGINT - 1))


def test_ctrl_c_during_a_build(tmp_path):
    course = load_course(bundled_course_dir())
    ws = Workspace(tmp_path / "ws")  # its own empty target dir: a long cold build
    init_workspace(ws, course)
    proc, marker = start_tutor(ws, "check")
    assert wait_for(lambda: rustc_running(marker), 60)
    interrupt_and_check_clean(proc, marker)


def test_ctrl_c_during_a_cold_build_under_watch_once_stops_cargo_at_once(tmp_path):
    course = load_course(bundled_course_dir())
    ws = Workspace(tmp_path / "ws")  # its own empty target dir: a long cold build
    init_workspace(ws, course)
    proc, marker = start_tutor(ws, "watch", "--once")
    assert wait_for(lambda: rustc_running(marker, "syn "), 120)  # seconds of work left
    interrupt_and_check_clean(proc, marker, within=1)


def test_ctrl_c_during_a_run(tmp_path, shared_target):
    course = load_course(bundled_course_dir())
    ws = workspace_with_shared_target(tmp_path / "ws", shared_target)
    init_workspace(ws, course)
    step = course.step("hello-world")
    apply_solution(ws, step)
    lib = ws.crate_dir(step) / "src" / "lib.rs"
    ask = "fn ask(py: Python<'_>, question: &str) -> PyResult<String> {"
    lib.write_text(lib.read_text().replace(ask, ask + "\n    loop { std::hint::spin_loop(); }"))
    proc, marker = start_tutor(ws, "check")

    def child_running() -> bool:  # the zygote and a child forked from it
        return sum("tutor.run.zygote" in cmd for _, cmd in marked(marker)) >= 2

    assert wait_for(child_running, 120)
    interrupt_and_check_clean(proc, marker)
