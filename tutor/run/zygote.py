"""The pre-warmed runner process: imports dspy once, then forks a child per check.

``import dspy`` costs ~0.7 s; a fork of a process that already did it costs ~15 ms.
Started by ``runner.Runner`` as ``python -m tutor.run.zygote FD SETTINGS_JSON``; talks
JSON lines over the Unix stream socket FD (EOF there means the tutor is gone).
Requests: ``{"op": "run", "id", "request_file"}`` with three file descriptors
attached (events, stdout, stderr); the tutor sends one and waits for ``started``
before the next, so each recv holds exactly one request. Replies: ``ready``,
``started`` (with the child's pid) and ``exited`` (exit code or signal).
No threads may exist here before a fork.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from tutor.cancel import kill_group
from tutor.run import procs


class WarmServices:
    """What every child inherits ready-made: dspy configured with the chosen LM."""

    def __init__(self, settings: dict[str, Any]) -> None:
        import dspy

        from tutor.lm.offline import OfflineAnswerer, make_offline_lm
        from tutor.lm.settings import LMSettings, build_lm

        # No disk cache: the offline LM is never cached anyway (the cache keys on the
        # model string, not the engine), and an open SQLite handle must not cross a fork.
        dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
        self.settings = settings  # model and api_base only: keys stay in the environment
        self.answerer = OfflineAnswerer()
        self.lm = build_lm(LMSettings(**settings), self.answerer)
        dspy.configure(lm=self.lm)
        # Warm the adapter and prompt machinery once, offline, so children start hot.
        with dspy.context(lm=make_offline_lm(self.answerer)):
            dspy.ChainOfThought("question -> answer")(question="warm up")
        import _pytest.python  # noqa: F401  (pytest's collection machinery, pre-imported)

        from tutor.run import child  # noqa: F401

    def prepare(self, request: dict[str, Any], emit: Any) -> None:
        """In the child: per-run LM answers, the trace recorder and the lesson API."""
        import dspy

        from tutor import lesson_api
        from tutor.lm.offline import load_cassette, parse_script
        from tutor.lm.task import parse_task
        from tutor.trace.recorder import SpanRecorder

        cassette = load_cassette(Path(request["cassette"])) if request.get("cassette") else []
        scripts = [
            parse_script(table, f"[[lm.script]] #{i}")
            for i, table in enumerate(request["scripts"], start=1)
        ]
        task = request.get("lm_task")
        self.answerer.set_step(cassette, scripts, parse_task(task, Path()) if task else None)
        recorder = SpanRecorder(emit, origin=request["origin"], answerer=self.answerer)
        dspy.configure(callbacks=[recorder])
        binary = request.get("binary")
        lesson_api._bind(
            recorder.spans,
            self.answerer,
            Path(binary) if binary else None,
            recorder=recorder,
            lm_settings=self.settings,
        )


def serve(sock: socket.socket, services: WarmServices) -> None:
    children: dict[int, str] = {}  # pid → run id
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the tutor decides when we stop
    procs.become_subreaper()  # whatever a check starts, however it detaches, stays ours
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)
    send(sock, op="ready", pid=os.getpid(), threads=threading.active_count())
    try:
        while True:
            for key, _ in sel.select():
                if key.fileobj is sock:
                    data, fds, _, _ = socket.recv_fds(sock, 65536, 3)
                    if not data:
                        return  # the tutor went away
                    message = json.loads(data)
                    if message["op"] == "quit":
                        return
                    ours = [wake_r, wake_w, sel.fileno()]
                    pid = spawn(sock, message, fds, services, ours)
                    children[pid] = message["id"]
                    send(sock, op="started", id=message["id"], pid=pid)
                else:
                    os.read(wake_r, 512)
                    reap(sock, children)
    finally:
        for pid in children:
            kill_group(pid)
        kill_strays(set())  # the checks and all they started


def spawn(
    sock: socket.socket,
    message: dict[str, Any],
    fds: list[int],
    services: Any,
    ours: list[int],
) -> int:
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            sock.close()
            signal.set_wakeup_fd(-1)
            for fd in ours:  # the check has no business with the runner's descriptors
                os.close(fd)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            from tutor.run.child import run_check

            request_file = Path(message["request_file"])
            request = json.loads(request_file.read_text())
            request_file.unlink()  # it holds the run's nonce: the check must not read it
            code = run_check(request, fds, services)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    for fd in fds:
        os.close(fd)
    return pid


def reap(sock: socket.socket, children: dict[int, str]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        run_id = children.pop(pid, None)
        if run_id is None:
            continue  # a stray (see kill_strays), reaped
        # Before saying so: kill what the check left running, so its pipes close now.
        kill_strays(set(children))
        if os.WIFSIGNALED(status):
            send(sock, op="exited", id=run_id, signal=os.WTERMSIG(status), t=time.monotonic())
        else:
            send(
                sock,
                op="exited",
                id=run_id,
                code=os.waitstatus_to_exitcode(status),
                t=time.monotonic(),
            )


def kill_strays(checks: set[int], limit_s: float = 2.0) -> None:
    """Kill every child of ours that is not a running check, with its descendants.

    As a subreaper we adopt what a check leaves behind once the check has exited
    (a running check adopts its own orphans). Killing a stray orphans its children,
    which we then adopt too: repeat until none is left.
    """
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        strays = [p for p in procs.children(os.getpid()) if p not in checks]
        if not strays:
            return
        for pid in strays:
            procs.kill_tree(pid)
        for pid in strays:  # reap them, so their children are handed to us
            while time.monotonic() < deadline:
                try:
                    if os.waitpid(pid, os.WNOHANG)[0]:
                        break
                except ChildProcessError:
                    break
                time.sleep(0.002)


def send(sock: socket.socket, **message: Any) -> None:
    sock.sendall(json.dumps(message).encode() + b"\n")


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    try:
        services = WarmServices(json.loads(sys.argv[2]))
    except Exception as e:  # reported to the tutor, which shows it as a runner error
        send(sock, op="failed", error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc())
        return
    serve(sock, services)


if __name__ == "__main__":
    main()
