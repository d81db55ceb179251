"""The forked child: run one step's check with pytest and stream events.

Runs inside a fork of the pre-warmed runner process (dspy and pytest already
imported), so it starts in milliseconds. It owns nothing the tutor needs: a crash
here ends only this process.
"""

from __future__ import annotations

import faulthandler
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tutor.events import Event, PythonError, RunStarted, TestResult
from tutor.run import gil, procs
from tutor.run.channel import EXIT_CHANNEL_LOST, frame, move_out_of_reach

MAX_TRACEBACK = 8000
MAX_REPR = 400


class EventPipe:
    """Frames on the events channel (channel.py); one lock so threads never interleave."""

    def __init__(self, fd: int, nonce: str) -> None:
        self._fd = move_out_of_reach(fd)
        self._nonce = nonce
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        self.write(event.to_dict())

    def write(self, data: dict[str, Any]) -> None:
        view = memoryview(frame(self._nonce, data))
        with self._lock:
            try:
                while view:
                    view = view[os.write(self._fd, view) :]
            except OSError:  # closed or replaced by the step's code: nothing can report
                os._exit(EXIT_CHANNEL_LOST)

    def marker(self, name: str, **data: Any) -> None:
        self.write({"type": "_marker", "name": name, "t": time.monotonic(), **data})


class ReportPlugin:
    """pytest hooks → TestResult / PythonError events, with expected vs got."""

    def __init__(self, pipe: EventPipe) -> None:
        self.pipe = pipe
        self._compare: tuple[str, str] | None = None
        self._first = True

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.pipe.marker("test", test=nodeid.split("::")[-1])  # named if time runs out

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._compare = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        if self._first:
            self._first = False
            self.pipe.marker("first_test")

    def pytest_assertrepr_compare(self, config: Any, op: str, left: Any, right: Any) -> None:
        # Convention for checks: `assert got == expected` (actual on the left).
        if op == "==":
            from _pytest._io.saferepr import saferepr

            self._compare = (saferepr(left, MAX_REPR), saferepr(right, MAX_REPR))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and not report.failed and not report.skipped:
            return
        if report.when == "teardown" and report.skipped:
            return
        if report.when != "call" and report.skipped:
            outcome = "skipped"
        elif report.when != "call":
            outcome = "error"  # a failing fixture or setup, not the test body
        else:
            outcome = report.outcome
        got, expected = self._compare if report.failed and self._compare else (None, None)
        crash = getattr(report.longrepr, "reprcrash", None) if report.failed else None
        self.pipe.emit(
            TestResult(
                name=report.nodeid.split("::")[-1],
                outcome=outcome,
                duration_s=report.duration,
                message=_crash_message(report) if report.failed else _skip_reason(report),
                expected=expected,
                got=got,
                traceback=report.longreprtext[-MAX_TRACEBACK:] if report.failed else "",
                file=Path(crash.path).name if crash else None,
                line=crash.lineno if crash else None,
            )
        )

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = report.longreprtext
            last = next((ln for ln in reversed(text.splitlines()) if ln.startswith("E ")), "")
            exc_type, _, message = last[1:].strip().partition(": ")
            where = _SYNTAX_WHERE_RE.search(text)  # a SyntaxError says its file and line
            self.pipe.emit(
                PythonError(
                    exc_type=exc_type or "CollectionError",
                    message=message or text.strip().splitlines()[-1] if text.strip() else "",
                    traceback=text[-MAX_TRACEBACK:],
                    file=where["file"] if where else None,
                    line=int(where["line"]) if where else None,
                )
            )


_SYNTAX_WHERE_RE = re.compile(r'^E\s+File "(?P<file>[^"]+)", line (?P<line>\d+)', re.M)


def _skip_reason(report: pytest.TestReport) -> str:
    """pytest.skip("why") keeps (file, line, "Skipped: why") as the report's longrepr."""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[-1]).removeprefix("Skipped: ")
    return ""


def _crash_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", "") or report.longreprtext.strip().splitlines()[-1]
    return message.strip()[:2000]


def run_check(request: dict[str, Any], fds: list[int], services: Any) -> int:
    """Entry point in the forked child; returns the process exit code."""
    os.setsid()  # its own process group: the tutor kills the whole group on timeout
    procs.become_subreaper()  # what the check starts stays below it, however it detaches
    events_fd, out_fd, err_fd = fds
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    os.close(out_fd)
    os.close(err_fd)
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    faulthandler.enable(all_threads=True)  # a segfault prints the Python stack
    # On a timeout the runner asks for the stack (SIGUSR1) before it kills the check.
    dump = move_out_of_reach(os.open(request["dump_file"], os.O_WRONLY))
    faulthandler.register(signal.SIGUSR1, file=dump, all_threads=True)
    sys.dont_write_bytecode = True  # never write __pycache__ into lesson folders
    pipe = EventPipe(events_fd, request["nonce"])
    pipe.emit(RunStarted(pid=os.getpid()))

    services.prepare(request, pipe.emit)
    build_dir = request["build_dir"]
    sys.path.insert(0, build_dir)
    os.environ["PYO3DSPY_TUTOR_BUILD_DIR"] = build_dir
    os.environ.update(request.get("env") or {})  # e.g. REDIS_URL of the step's services
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # installed plugins cost ~0.5 s
    os.chdir(request["cwd"])
    check = Path(request["check_path"])
    args = [
        str(check),
        "-q",
        "-s",  # no capture: Rust's println! streams to the Output pane as it happens
        "--no-header",
        "-p",
        "no:cacheprovider",
        # These three end the session with repeated gc.collect() passes over dspy's
        # object graph: ~150 ms per run. faulthandler is already on (above).
        "-p",
        "no:unraisableexception",
        "-p",
        "no:threadexception",
        "-p",
        "no:faulthandler",
        "-c",
        os.devnull,  # ignore any pytest config around the lesson folder
        "--rootdir",
        str(check.parent),
        "-o",
        f"python_files={check.name}",
    ]
    from tutor.lm.scope import ScriptScope

    plugins = [ReportPlugin(pipe), ScriptScope(services.answerer)]
    pytest_exit = int(pytest.main(args, plugins=plugins))
    module = sys.modules.get(request["module"])
    drained = gil.drain_module(module) if module is not None else None
    reports = gil.collect_reports(Path(build_dir))  # from binaries run by the check
    if drained is not None or reports:
        pipe.emit(gil.gil_stats(gil.merge(drained or {}, reports)))
    if request.get("record_to"):
        from tutor import lesson_api
        from tutor.atomic import write_text_atomic
        from tutor.lm.cassette import cassette_from_spans, dump_cassette

        entries = cassette_from_spans(lesson_api.spans())
        write_text_atomic(Path(request["record_to"]), dump_cassette(entries))
    pipe.marker("done", pytest_exit=pytest_exit)
    sys.stdout.flush()
    sys.stderr.flush()
    return 0
