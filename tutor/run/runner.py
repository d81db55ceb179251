"""The tutor's side of running checks: a warm zygote, a child per run, and its limits.

The learner's code never runs in the tutor's process. Each check runs in a child
forked from the zygote, in its own process group and session; a timeout, the memory
limit or a cancel kills it with every process below it, detached or not (procs.py),
and so does the end of the run (nothing is left behind). Its events come over a
framed channel (channel.py), its output through a bounded head and tail (capture.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import selectors
import signal
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
from tutor.events import (
    Event,
    Output,
    OutputDropped,
    PythonError,
    RustPanic,
    TestResult,
    TimeoutReport,
    event_from_dict,
)
from tutor.run import procs
from tutor.run.capture import StreamCapture
from tutor.run.channel import FrameReader, new_nonce

Emit = Callable[[Event], None]
# Rust >= 1.73: "thread 'main' panicked at src/lib.rs:9:5:" + the message on the next
# line; newer releases add the thread id: "thread '<unnamed>' (9806) panicked at ...".
_PANIC_RE = re.compile(
    r"^thread '(?P<thread>[^']*)'(?: \(\d+\))? panicked at "
    r"(?P<file>.+?):(?P<line>\d+):(?P<col>\d+):$"
)
STARTUP_TIMEOUT_S = 60.0
STDERR_TAIL = 200  # lines kept for crash reports (a faulthandler dump is ~50)
POLL_S = 0.1  # how often a run's memory is measured
EXIT_GRACE_S = 1.0  # after the check exits, how long its pipes may take to close
STACK_WAIT_S = 0.5  # at a timeout, how long to wait for the check's Python stack


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
    scripts: list[dict[str, Any]] = field(default_factory=list)  # [[lm.script]] tables
    lm_task: dict[str, Any] | None = None  # [lm.task]
    binary: Path | None = None
    record_to: Path | None = None  # write the run's LM calls here as a cassette
    memory_mib: int | None = None  # resident memory of the check's processes; None: no limit
    env: dict[str, str] = field(default_factory=dict)  # added to the check's environment


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
    python_errors: list[PythonError] = field(default_factory=list)
    stderr_tail: list[str] = field(default_factory=list)
    timeout_report: TimeoutReport | None = None
    memory_exceeded: bool = False
    peak_memory: int = 0  # bytes, as last measured
    channel_junk: int = 0  # bytes on the events channel that were not frames
    channel_sample: bytes = b""


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
        nonce = new_nonce()
        dump = tempfile.NamedTemporaryFile(prefix="tutor-stack-", delete=False)  # noqa: SIM115
        dump.close()
        payload = {
            "module": request.module,
            "check_path": str(request.check_path),
            "build_dir": str(request.build_dir),
            "cwd": str(request.cwd),
            "cassette": str(request.cassette) if request.cassette else None,
            "scripts": request.scripts,
            "lm_task": request.lm_task,
            "binary": str(request.binary) if request.binary else None,
            "record_to": str(request.record_to) if request.record_to else None,
            "env": request.env,
            "origin": outcome.requested_at,
            "nonce": nonce,
            "dump_file": dump.name,
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
        delivery = _Delivery(emit)
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
                pump = _Pump(self, pid, request, outcome, delivery.put, nonce, Path(dump.name))
                pump.run([r for r, _ in pipes])
            finally:
                cancel.unwatch(pid)
                kill_group(pid)  # whatever the check started dies with it
        finally:
            delivery.close()  # every event reaches the face before run() returns
            for name in (f.name, dump.name):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name)
        outcome.cancelled = cancel.cancelled
        return outcome


class _Delivery:
    """Hands events to the face on a thread of its own, in order: a slow face (a
    terminal printing every line) never holds up reading the check's pipes."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="run-events", daemon=True)
        self._thread.start()

    def put(self, event: Event) -> None:
        self._queue.put(event)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _loop(self) -> None:
        while (event := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._emit(event)
                except BaseException as e:  # raised again in the caller's thread
                    self._error = e


class _Pump:
    """Reads one run's pipes and the zygote's replies until the check is over, and
    enforces its limits: time (with a stack taken first), memory, detached processes."""

    def __init__(
        self,
        runner: Runner,
        pid: int,
        request: RunRequest,
        outcome: RunOutcome,
        emit: Emit,
        nonce: str,
        dump_file: Path,
    ) -> None:
        self.runner = runner
        self.pid = pid
        self.request = request
        self.outcome = outcome
        self.emit = emit
        self.frames = FrameReader(nonce)
        self.dump_file = dump_file
        self.panic = _PanicParser(outcome, emit)
        self.memory_limit = (request.memory_mib or 0) * 2**20
        self.current_test: str | None = None
        self._stack_asked_at: float | None = None
        self._dump_size = -1

    def run(self, fds: list[int]) -> None:
        sock = self.runner._sock
        assert sock is not None
        o = self.outcome
        events_fd, out_fd, err_fd = fds
        captures = {
            out_fd: self._capture("stdout"),
            err_fd: self._capture("stderr"),
        }
        sel = selectors.DefaultSelector()
        for fd in fds:
            sel.register(fd, selectors.EVENT_READ)
        sel.register(sock, selectors.EVENT_READ)
        deadline = o.requested_at + self.request.timeout_s
        exited_at: float | None = None
        next_poll = 0.0
        open_fds = set(fds)
        while open_fds or exited_at is None:
            now = time.monotonic()
            if exited_at is not None:
                if now - exited_at > EXIT_GRACE_S:
                    break  # something outside the check's tree holds a pipe: stop waiting
                wait = EXIT_GRACE_S
            else:
                if now >= deadline and not o.timed_out:
                    self._time_is_up(now)
                if now >= next_poll:
                    next_poll = now + POLL_S
                    self._check_memory()
                wait = POLL_S if o.timed_out else min(POLL_S, max(0.02, deadline - now))
            for key, _ in sel.select(timeout=wait):
                if key.fileobj is sock:
                    reply = self.runner._receive(time.monotonic() + 1)
                    if reply is None:  # the zygote died: the child is an orphan now
                        sel.unregister(sock)
                        exited_at = time.monotonic()
                        o.runner_died = True
                        self._kill()  # its child cannot be reported on any more
                    elif reply.get("op") == "exited":
                        exited_at = time.monotonic()
                        o.exit_code = reply.get("code")
                        o.signal = reply.get("signal")
                        o.finished_at = reply.get("t", exited_at)
                        kill_group(self.pid)  # pipes held by leftover grandchildren close now
                    continue
                fd = key.fileobj
                assert isinstance(fd, int)
                chunk = os.read(fd, 65536)
                if chunk and fd == events_fd:
                    for data in self.frames.feed(chunk):
                        self._frame(data)
                elif chunk:
                    captures[fd].feed(chunk)
                else:
                    sel.unregister(fd)
                    open_fds.discard(fd)
        for fd in fds:
            os.close(fd)
        self.frames.close()
        for capture in captures.values():
            capture.close()
        o.channel_junk = self.frames.junk_bytes
        o.channel_sample = self.frames.junk_sample
        if not o.finished_at:
            o.finished_at = time.monotonic()

    def _capture(self, stream: str) -> StreamCapture:
        def line(text: str) -> None:
            self.emit(Output(stream=stream, text=text))  # type: ignore[arg-type]
            if stream == "stderr":
                self.outcome.stderr_tail = (self.outcome.stderr_tail + [text])[-STDERR_TAIL:]
                self.panic.feed(text)

        def dropped(n_bytes: int, n_lines: int) -> None:
            self.emit(OutputDropped(stream=stream, bytes=n_bytes, lines=n_lines))  # type: ignore[arg-type]

        return StreamCapture(line, dropped)

    def _frame(self, data: dict[str, Any]) -> None:
        o = self.outcome
        kind = data["type"]
        if kind == "_marker":
            name = data.get("name")
            if name == "first_test":
                o.first_test_at = data.get("t")
            elif name == "test":
                self.current_test = data.get("test")
            elif name == "done":
                o.pytest_exit = data.get("pytest_exit")
            return
        try:
            event = event_from_dict(data)
        except (KeyError, TypeError, ValueError):
            self.frames.reject(data)
            return
        if kind == "RunStarted":
            o.started_at = time.monotonic()
        elif isinstance(event, TestResult):
            o.tests.append(event)
        elif isinstance(event, PythonError):
            o.python_errors.append(event)
        self.emit(event)

    def _kill(self) -> None:
        """The check and every process below it (detached ones too: see procs.py)."""
        kill_group(self.pid)
        procs.kill_tree(self.pid)

    def _check_memory(self) -> None:
        if not self.memory_limit:
            return
        used = procs.resident_bytes([self.pid, *procs.descendants(self.pid)])
        o = self.outcome
        o.peak_memory = max(o.peak_memory, used)
        if used > self.memory_limit and not o.memory_exceeded:
            o.memory_exceeded = True
            self._kill()

    def _time_is_up(self, now: float) -> None:
        """Ask the check for its Python stack, give it a moment, then stop it."""
        if self._stack_asked_at is None:
            self._stack_asked_at = now
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGUSR1)  # faulthandler writes it to dump_file
            return
        try:
            size = self.dump_file.stat().st_size
        except OSError:
            size = 0
        # Written in one go by a signal handler: done once its size stops changing.
        written = size > 0 and size == self._dump_size
        self._dump_size = size
        if written or now - self._stack_asked_at >= STACK_WAIT_S:
            self.outcome.timed_out = True
            self.outcome.timeout_report = self._timeout_report()
            self._kill()
            self.emit(self.outcome.timeout_report)

    def _timeout_report(self) -> TimeoutReport:
        try:
            text = self.dump_file.read_text(errors="replace")
        except OSError:
            text = ""
        return TimeoutReport(
            limit_s=self.request.timeout_s,
            test=self.current_test,
            stack=python_stack(text.splitlines()),
        )


_RUNNER_FRAMES = ("/_pytest/", "/pluggy/", "/tutor/run/", "<frozen runpy>")


def python_stack(lines: list[str]) -> str:
    """A faulthandler dump without the runner's and pytest's frames (and their noise)."""
    kept = [
        line
        for line in lines
        if line.strip()
        and not line.startswith("Extension modules:")
        and not any(frame in line for frame in _RUNNER_FRAMES)
    ]
    headers = [line for line in kept if line.endswith("(most recent call first):")]
    if len(headers) == 1:  # one thread: its header says nothing
        kept.remove(headers[0])
    return "\n".join(kept[-20:])


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
