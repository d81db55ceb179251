"""Ctrl-C on the tutor leaves no build or run process behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tutor.course import bundled_course_dir, load_course
from tutor.workspace import Workspace
from tutor.workspace.backups import apply_solution
from tutor.workspace.setup import init_workspace

pytestmark = pytest.mark.slow


def marked(marker: str) -> list[tuple[int, str]]:
    """(pid, command line) of every live process whose environment carries ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() not in (proc / "environ").read_bytes():
                continue
            state = (proc / "stat").read_text().split(")")[-1].split()[0]
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if state != "Z":
            found.append((int(proc.name), cmdline))
    return found


def start_tutor(ws: Workspace, *args: str) -> tuple[subprocess.Popen, str]:
    marker = f"TUTOR_TEST_MARKER={uuid.uuid4().hex}"
    key, value = marker.split("=")
    proc = subprocess.Popen(
        [
            shutil.which("pyo3dspy-tutor") or "pyo3dspy-tutor",
            "--workspace",
            str(ws.root),
            "check",
            *args,
        ],
        env={**os.environ, key: value},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return proc, marker


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def interrupt_and_check_clean(proc: subprocess.Popen, marker: str) -> None:
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 130
    assert b"Traceback" not in proc.stderr.read()
    assert wait_for(lambda: marked(marker) == [], 5), marked(marker)


def test_ctrl_c_during_a_build(tmp_path):
    course = load_course(bundled_course_dir())
    ws = Workspace(tmp_path / "ws")  # its own empty target dir: a long cold build
    init_workspace(ws, course)
    proc, marker = start_tutor(ws)
    assert wait_for(lambda: any("rustc" in cmd for _, cmd in marked(marker)), 60)
    interrupt_and_check_clean(proc, marker)


def test_ctrl_c_during_a_run(tmp_path, shared_target):
    course = load_course(bundled_course_dir())
    ws = workspace_with_shared_target(tmp_path / "ws", shared_target)
    init_workspace(ws, course)
    step = course.step("hello-world")
    apply_solution(ws, step)
    lib = ws.crate_dir(step) / "src" / "lib.rs"
    ask = "fn ask(py: Python<'_>, question: &str) -> PyResult<String> {"
    lib.write_text(lib.read_text().replace(ask, ask + "\n    loop { std::hint::spin_loop(); }"))
    proc, marker = start_tutor(ws)

    def child_running() -> bool:  # the zygote and a child forked from it
        return sum("tutor.run.zygote" in cmd for _, cmd in marked(marker)) >= 2

    assert wait_for(child_running, 120)
    interrupt_and_check_clean(proc, marker)
