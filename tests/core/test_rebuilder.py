"""Save → verdict plumbing: a newer save cancels the check in progress; the watcher
reacts to the step's own files only, within a fraction of a second."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tutor.cancel import CancelToken
from tutor.course.model import Course
from tutor.events import Verdict
from tutor.rebuilder import Rebuilder, watch_changes


class SlowSession:
    """Stands in for Session: a check takes 2 s unless cancelled."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []

    def check(self, step, emit, *, cancel: CancelToken) -> Verdict:
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and not cancel.cancelled:
            time.sleep(0.01)
        self.calls.append((step, cancel.cancelled))
        verdict = Verdict(
            step_id=step,
            verdict="error" if cancel.cancelled else "pass",
            reason="cancelled" if cancel.cancelled else "",
        )
        emit(verdict)
        return verdict


def test_newer_request_cancels_the_running_check():
    session = SlowSession()
    seen: list[Verdict] = []
    rebuilder = Rebuilder(session, seen.append)  # type: ignore[arg-type]
    rebuilder.request("first")
    time.sleep(0.2)
    rebuilder.request("second")
    rebuilder.request("third")  # replaces "second" before it starts
    rebuilder.wait(10)
    assert session.calls == [("first", True), ("third", False)]
    assert rebuilder.last_verdict is not None and rebuilder.last_verdict.step_id == "third"


def test_watcher_sees_learner_files_only(tmp_path: Path, course: Course):
    step = course.steps()[0]
    crate = tmp_path / "crate"
    (crate / "src").mkdir(parents=True)
    lib = crate / "src" / "lib.rs"
    lib.write_text("// start\n")
    other = crate / "notes.txt"
    changes: list[tuple[float, set[Path]]] = []
    stop = threading.Event()

    def watch() -> None:
        for changed in watch_changes(crate, step, stop):
            changes.append((time.monotonic(), changed))

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    time.sleep(0.5)
    other.write_text("not a learner file\n")
    time.sleep(0.5)
    assert changes == []
    saved = time.monotonic()
    lib.write_text("// edited\n")
    deadline = time.monotonic() + 5
    while not changes and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(5)
    assert changes and changes[0][1] == {lib}
    assert changes[0][0] - saved < 0.5  # debounce is 50 ms, not watchfiles' 1.6 s


class BrokenSession:
    def check(self, step, emit, *, cancel):
        raise OSError("disk full")


def test_an_engine_failure_still_ends_in_a_verdict(course: Course):
    seen: list[Verdict] = []
    rebuilder = Rebuilder(BrokenSession(), seen.append)  # type: ignore[arg-type]
    rebuilder.request(course.steps()[0])
    rebuilder.wait(5)
    assert [(v.verdict, v.reason) for v in seen] == [("error", "internal")]
    assert "disk full" in seen[0].summary


def test_a_symlink_loop_in_the_step_folder_does_not_end_the_watch(tmp_path: Path, course: Course):
    import os

    step = course.steps()[0]
    crate = tmp_path / "crate"
    lib = crate / "src" / "lib.rs"
    lib.parent.mkdir(parents=True)
    lib.write_text("// starter\n")
    os.symlink("loop-b", crate / "loop-a")  # one loop before watching starts
    os.symlink("loop-a", crate / "loop-b")
    stop = threading.Event()
    changes: list[set[Path]] = []
    errors: list[BaseException] = []

    def watch() -> None:
        try:
            changes.extend(watch_changes(crate, step, stop))
        except BaseException as e:  # what would end `watch` with a traceback
            errors.append(e)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    time.sleep(0.5)
    os.symlink("loop-d", crate / "src" / "loop-c")  # and one made while watching
    os.symlink("loop-c", crate / "src" / "loop-d")
    time.sleep(0.3)
    lib.write_text("// edited\n")
    deadline = time.monotonic() + 5
    while not changes and not errors and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(5)
    assert errors == []
    assert changes and changes[0] == {lib}
