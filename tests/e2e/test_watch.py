"""`watch` end to end: every command it advises works when run as printed, while it runs."""

from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tutor.course import bundled_course_dir, load_course
from tutor.workspace.backups import apply_solution
from tutor.workspace.setup import init_workspace

pytestmark = pytest.mark.slow
EXE = shutil.which("pyo3dspy-tutor") or "pyo3dspy-tutor"


class Watch:
    """A running `pyo3dspy-tutor watch` whose output is read line by line."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(
            [EXE, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "COLUMNS": "300"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 300) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} never printed; got:\n" + "\n".join(self.seen))

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)


def advised(line: str) -> list[list[str]]:
    return [
        shlex.split(c)[1:] for c in re.findall(r"`([^`]+)`", line) if c.startswith("pyo3dspy-tutor")
    ]


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *argv], capture_output=True, text=True, timeout=300)


def fundamentals_only(tmp_path) -> Path:
    """The bundled course cut to its first two steps, so basic-qa is the last one."""
    lessons = tmp_path / "lessons"
    shutil.copytree(bundled_course_dir(), lessons)
    for path, key, value in (
        (lessons / "course.toml", "modules", '["fundamentals"]'),
        (lessons / "fundamentals" / "module.toml", "steps", '["hello-world", "basic-qa"]'),
    ):
        path.write_text(re.sub(rf"(?ms)^{key} = \[.*?\]$", f"{key} = {value}", path.read_text()))
    return lessons


def test_watch_advice_works_as_printed(tmp_path, shared_target):
    lessons = fundamentals_only(tmp_path)
    course = load_course(lessons)
    assert [s.id for s in course.steps()][-1] == "basic-qa"
    ws = workspace_with_shared_target(tmp_path / "ws", shared_target)
    init_workspace(ws, course)
    apply_solution(ws, course.step("hello-world"))
    base = ["--workspace", str(ws.root), "--lessons", str(lessons)]

    watch = Watch([*base, "watch"])
    try:
        (hint,) = advised(watch.wait_for("Watching for saves"))
        lesson_line = next(line for line in watch.seen if line.startswith("Lesson:"))
        shows = advised(lesson_line)
        assert len(shows) == 1, lesson_line
        (show,) = shows
        done = watch.wait_for("Step done.")
        # read-only advice works while watch holds the workspace
        taken = run(hint)
        assert taken.returncode == 0 and "Hint 1/" in taken.stdout, taken.stderr
        assert "#[pyfunction]" in taken.stdout  # brackets survive
        shown = run(show)
        assert shown.returncode == 0 and "Done looks like" in shown.stdout, shown.stderr
    finally:
        watch.stop()
    goto, again = advised(done)
    assert "ctrl+c" in done and goto[-2:] == ["goto", "basic-qa"]
    assert run(goto).returncode == 0
    watch = Watch(again)
    try:
        watch.wait_for("Typed answers with ChainOfThought")
        watch.wait_for("Watching for saves")
    finally:
        watch.stop()

    apply_solution(ws, course.step("basic-qa"))
    once = run([*base, "watch", "--once"])
    assert once.returncode == 0, once.stdout + once.stderr
    last = next(line for line in once.stdout.splitlines() if "Course complete" in line)
    assert "goto" not in last
    (listing,) = advised(last)
    listed = run(listing)
    assert listed.returncode == 0 and "2/2" in listed.stdout
