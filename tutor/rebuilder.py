"""Save → verdict: run the latest requested check, cancelling the one in progress.

Headless and thread-based, so the CLI's watch mode, the app and the benchmark share
it. ``request()`` may be called from any thread (a file watcher, a key press).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import watchfiles

from tutor.cancel import CancelToken
from tutor.course.model import Step
from tutor.events import Event, Verdict
from tutor.problems import tutor_problem
from tutor.session import Session

DEBOUNCE_MS = 50  # watchfiles' default of 1600 ms would dominate save → verdict


class Rebuilder:
    def __init__(self, session: Session, emit: Callable[[Event], None]) -> None:
        self.session = session
        self.emit = emit
        self._lock = threading.Lock()
        self._cancel: CancelToken | None = None
        self._pending: Step | None = None
        self._worker: threading.Thread | None = None
        self.last_verdict: Verdict | None = None

    def request(self, step: Step) -> None:
        """Check ``step`` as soon as possible; a check in progress is cancelled."""
        with self._lock:
            self._pending = step
            if self._cancel is not None:
                self._cancel.cancel()
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._loop, name="rebuilder", daemon=True)
                self._worker.start()

    def wait(self, timeout: float | None = None) -> None:
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def stop(self) -> None:
        with self._lock:
            self._pending = None
            if self._cancel is not None:
                self._cancel.cancel()
        self.wait()

    def _loop(self) -> None:
        while True:
            with self._lock:
                step, self._pending = self._pending, None
                if step is None:
                    self._cancel = None
                    return
                cancel = self._cancel = CancelToken()
            try:
                self.last_verdict = self.session.check(step, self.emit, cancel=cancel)
            except Exception as e:  # never leave a face waiting for a verdict that won't come
                self.last_verdict = Verdict(
                    step.id,
                    "error",
                    "internal",
                    f"The tutor failed to check the step: {e}",
                    problems=[tutor_problem(f"{type(e).__name__}: {e}")],
                )
                self.emit(self.last_verdict)


def learner_paths(crate: Path, step: Step) -> set[Path]:
    return {_real(crate / rel) for rel in step.files}


def learner_filter(crate: Path, step: Step) -> Callable[[watchfiles.Change, str], bool]:
    """A watchfiles filter passing only the step's learner files (never raises)."""
    wanted = learner_paths(crate, step)
    return lambda _change, path: _real(path) in wanted


def _real(path: str | Path) -> Path:
    # Not Path.resolve(): it raises on a symlink loop, and a loop anywhere in the step's
    # folder would end the watch. realpath leaves a loop's path as it is.
    return Path(os.path.realpath(path))


def watch_changes(
    crate: Path, step: Step, stop: threading.Event | None = None
) -> Iterable[set[Path]]:
    """Yield the set of changed learner files each time the learner saves."""
    for changes in watchfiles.watch(
        crate,
        debounce=DEBOUNCE_MS,
        step=10,
        stop_event=stop,
        watch_filter=learner_filter(crate, step),
        raise_interrupt=False,
    ):
        yield {Path(p) for _, p in changes}
