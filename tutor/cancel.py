"""Cancellation shared by builds and runs: kill a process group from any thread.

Builds and runs start their process groups in new sessions, out of the terminal's
reach, so Ctrl-C never reaches them: every group a token watches is also killed when
the tutor exits, however it exits (an interrupted `watch --once`, a face that crashed).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading

_live: set[int] = set()  # every watched group, across tokens
_live_lock = threading.Lock()


@atexit.register
def _kill_live_groups() -> None:
    with _live_lock:
        for pgid in _live:
            kill_group(pgid)


class Cancelled(Exception):
    pass


class CancelToken:
    """Set once; kills the process group registered with it (now or when registered)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._pgids: set[int] = set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            for pgid in self._pgids:
                kill_group(pgid)

    def watch(self, pgid: int) -> None:
        with self._lock:
            self._pgids.add(pgid)
            with _live_lock:
                _live.add(pgid)
            if self._event.is_set():
                kill_group(pgid)

    def unwatch(self, pgid: int) -> None:
        with self._lock:
            self._pgids.discard(pgid)
            with _live_lock:
                _live.discard(pgid)


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
