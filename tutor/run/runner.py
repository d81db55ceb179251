"""The tutor's side of running checks: a warm zygote, a child per run, a time limit.

The learner's code never runs in the tutor's process. Each check runs in a child
forked from the zygote, in its own process group; a timeout or a cancel kills that
whole group, and so does the end of the run (nothing is left behind).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.cancel import CancelToken, kill_group
from tutor.errors import TutorError
from tutor.events import Event, Output, RustPanic, TestResult, event_from_dict

Emit = Callable[[Event], None]
# Rust >= 1.73: "thread 'main' panicked at src/lib.rs:9:5:" + the message on the next
# line; newer releases add the thread id: "thread '<unnamed>' (9806) panicked at ...".
_PANIC_RE = re.compile(
    r"^thread '(?P<thread>[^']*)'(?: \(\d+\))? panicked at "
    r"(?P<file>.+?):(?P<line>\d+):(?P<col>\d+):$"
)
STARTUP_TIMEOUT_S = 60.0
STDERR_TAIL = 200  # lines kept for crash reports (a faulthandler dump is ~50)


class RunnerError(TutorError):
    """The runner itself failed (not the learner's code)."""


@dataclass
class RunRequest:
    step_id: str
    module: str
    check_path: Path
    build_dir: Path
    cwd: Path
    timeout_s: float
    cassette: Path | None = None
    scripts: list[dict[str, Any]] = field(default_factory=list)
    binary: Path | None = None
    record_to: Path | None = None  # write the run's LM calls here as a cassette


@dataclass
class RunOutcome:
    requested_at: float
    started_at: float | None = None  # child running (monotonic)
    first_test_at: float | None = None
    finished_at: float = 0.0
    exit_code: int | None = None
    signal: int | None = None
    timed_out: bool = False
    cancelled: bool = False
    runner_died: bool = False  # the zygote itself went away mid-run
    pytest_exit: int | None = None  # None: the check never finished
    tests: list[TestResult] = field(default_factory=list)
    panics: list[RustPanic] = field(default_factory=list)
    python_errors: list[Event] = field(default_factory=list)
    stderr_tail: list[str] = field(default_factory=list)


class Runner:
    """Owns one zygote process; runs one check at a time (thread-safe)."""

    def __init__(self, lm_settings: dict[str, Any], log_path: Path | None = None) -> None:
        self.lm_settings = lm_settings
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._lock = threading.Lock()
        self._next_id = 0

    # -- zygote lifecycle -------------------------------------------------------------

    def warm(self) -> None:
        """Start the zygote now (it takes ~1 s) so the first check does not wait."""
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self._stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tutor.run.zygote",
                    str(theirs.fileno()),
                    json.dumps(self.lm_settings),
                ],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # Ctrl-C in the terminal reaches the tutor only
            )
        finally:
            theirs.close()
            if log is not subprocess.DEVNULL:
                log.close()
        self._sock = ours
        self._buffer = b""
        reply = self._receive(time.monotonic() + STARTUP_TIMEOUT_S)
        if reply is None or reply.get("op") != "ready":
            detail = (reply or {}).get("error", "it exited during start-up")
            self._stop()
            raise RunnerError(
                f"the check runner could not start: {detail}",
                fix="run `pyo3dspy-tutor doctor`"
                + (f"; see {self.log_path}" if self.log_path else ""),
            )

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.sendall(b'{"op": "quit"}\n')
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                kill_group(self._proc.pid)
                self._proc.wait()
            self._proc = None

    def _receive(self, deadline: float) -> dict[str, Any] | None:
        """Next JSON line from the zygote, or None on EOF / deadline."""
        assert self._sock is not None
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                return None
            except OSError:
                chunk = b""
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    # -- one run ----------------------------------------------------------------------

    def run(self, request: RunRequest, emit: Emit, cancel: CancelToken | None = None) -> RunOutcome:
        cancel = cancel or CancelToken()
        with self._lock:
            self._ensure_started()
            return self._run(request, emit, cancel)

    def _run(self, request: RunRequest, emit: Emit, cancel: CancelToken) -> RunOutcome:
        assert self._sock is not None
        self._next_id += 1
        run_id = str(self._next_id)
        outcome = RunOutcome(requested_at=time.monotonic())
        payload = {
            "module": request.module,
            "check_path": str(request.check_path),
            "build_dir": str(request.build_dir),
            "cwd": str(request.cwd),
            "cassette": str(request.cassette) if request.cassette else None,
            "scripts": request.scripts,
            "binary": str(request.binary) if request.binary else None,
            "record_to": str(request.record_to) if request.record_to else None,
            "origin": outcome.requested_at,
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(payload, f)
        pipes = [os.pipe() for _ in range(3)]  # events, stdout, stderr
        try:
            socket.send_fds(
                self._sock,
                [json.dumps({"op": "run", "id": run_id, "request_file": f.name}).encode() + b"\n"],
                [w for _, w in pipes],
            )
        finally:
            for _, w in pipes:
                os.close(w)
        try:
            reply = self._receive(time.monotonic() + 10)
            if reply is None or reply.get("op") != "started":
                for r, _ in pipes:
                    os.close(r)
                self._stop()
                raise RunnerError(
                    "the check runner stopped answering; it will be restarted",
                    fix="run the check again",
                )
            pid = reply["pid"]
            cancel.watch(pid)
            try:
                self._pump(pid, [r for r, _ in pipes], request, outcome, emit, cancel)
            finally:
                cancel.unwatch(pid)
                kill_group(pid)  # whatever the check started dies with it
        finally:
            os.unlink(f.name)
        outcome.cancelled = cancel.cancelled
        return outcome

    def _pump(
        self,
        pid: int,
        fds: list[int],
        request: RunRequest,
        outcome: RunOutcome,
        emit: Emit,
        cancel: CancelToken,
    ) -> None:
        assert self._sock is not None
        events_fd, out_fd, err_fd = fds
        streams = {events_fd: "events", out_fd: "stdout", err_fd: "stderr"}
        partial = {fd: b"" for fd in fds}
        panic = _PanicParser(outcome, emit)
        sel = selectors.DefaultSelector()
        for fd in fds:
            sel.register(fd, selectors.EVENT_READ)
        sel.register(self._sock, selectors.EVENT_READ)
        deadline = outcome.requested_at + request.timeout_s
        exited = False
        open_fds = set(fds)
        while open_fds or not exited:
            timeout = deadline - time.monotonic()
            if timeout <= 0 and not outcome.timed_out:
                outcome.timed_out = True
                kill_group(pid)
            ready = sel.select(timeout=max(0.05, timeout) if not outcome.timed_out else 0.5)
            if not ready and outcome.timed_out and exited:
                break  # a grandchild outside the group holds a pipe: stop waiting
            for key, _ in ready:
                if key.fileobj is self._sock:
                    reply = self._receive(time.monotonic() + 1)
                    if reply is None:  # the zygote died: the child is an orphan now
                        sel.unregister(self._sock)
                        exited = True
                        outcome.runner_died = True
                        kill_group(pid)  # its child cannot be reported on any more
                        continue
                    if reply.get("op") == "exited":
                        exited = True
                        outcome.exit_code = reply.get("code")
                        outcome.signal = reply.get("signal")
                        outcome.finished_at = reply.get("t", time.monotonic())
                        kill_group(pid)  # pipes held by leftover grandchildren close now
                    continue
                fd = key.fileobj
                assert isinstance(fd, int)
                chunk = os.read(fd, 65536)
                if not chunk:
                    sel.unregister(fd)
                    os.close(fd)
                    open_fds.discard(fd)
                    if partial[fd]:
                        self._line(streams[fd], partial[fd], outcome, emit, panic)
                    continue
                data = partial[fd] + chunk
                *lines, partial[fd] = data.split(b"\n")
                for line in lines:
                    self._line(streams[fd], line, outcome, emit, panic)
        for fd in open_fds:
            os.close(fd)
        if not outcome.finished_at:
            outcome.finished_at = time.monotonic()

    def _line(
        self, stream: str, raw: bytes, outcome: RunOutcome, emit: Emit, panic: _PanicParser
    ) -> None:
        text = raw.decode(errors="replace")
        if stream != "events":
            emit(Output(stream=stream, text=text))  # type: ignore[arg-type]
            if stream == "stderr":
                outcome.stderr_tail = (outcome.stderr_tail + [text])[-STDERR_TAIL:]
                panic.feed(text)
            return
        data = json.loads(text)
        if data["type"] == "_marker":
            if data["name"] == "first_test":
                outcome.first_test_at = data["t"]
            elif data["name"] == "done":
                outcome.pytest_exit = data["pytest_exit"]
            return
        event = event_from_dict(data)
        if data["type"] == "RunStarted":
            outcome.started_at = time.monotonic()
        elif isinstance(event, TestResult):
            outcome.tests.append(event)
        elif data["type"] == "PythonError":
            outcome.python_errors.append(event)
        emit(event)


class _PanicParser:
    """Rust's panic hook prints `thread 'x' panicked at file:line:col:` then the message."""

    def __init__(self, outcome: RunOutcome, emit: Emit) -> None:
        self.outcome = outcome
        self.emit = emit
        self.pending: re.Match[str] | None = None

    def feed(self, line: str) -> None:
        if self.pending is not None:
            m = self.pending
            self.pending = None
            panic = RustPanic(
                message=line,
                file=m["file"],
                line=int(m["line"]),
                column=int(m["col"]),
                thread=m["thread"],
            )
            self.outcome.panics.append(panic)
            self.emit(panic)
            return
        self.pending = _PANIC_RE.match(line)
