"""Cancellation shared by builds and runs: kill a process group from any thread."""

from __future__ import annotations

import contextlib
import os
import signal
import threading


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
            if self._event.is_set():
                kill_group(pgid)

    def unwatch(self, pgid: int) -> None:
        with self._lock:
            self._pgids.discard(pgid)


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
