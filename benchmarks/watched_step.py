"""Shared by the benchmarks: a one-line edit, and save → Verdict through the real watcher."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import TracebackType

from tutor.course.model import Step
from tutor.events import Event, Verdict
from tutor.rebuilder import Rebuilder, watch_changes
from tutor.session import Session

MARKER = "// benchmark edit"


def edit(lib: Path, n: int) -> None:
    """Replace the benchmark's marker line: a one-line change cargo must recompile."""
    lines = [line for line in lib.read_text().splitlines() if not line.startswith(MARKER)]
    lib.write_text("\n".join(lines) + f"\n{MARKER} {n}\n")


class WatchedStep:
    """The step's crate watched (watchfiles, 50 ms debounce) and checked by a Rebuilder,
    exactly as the CLI and the app do it."""

    def __init__(self, session: Session, step: Step, crate: Path) -> None:
        self.step = step
        self.lib = crate / step.files[0]
        self._arrived = threading.Event()
        self._verdicts: list[Verdict] = []
        self._rebuilder = Rebuilder(session, self._on_event)
        self._stop = threading.Event()
        self._crate = crate

    def _on_event(self, event: Event) -> None:
        if isinstance(event, Verdict) and event.reason != "cancelled":
            self._verdicts.append(event)
            self._arrived.set()

    def _watch(self) -> None:
        for _ in watch_changes(self._crate, self.step, self._stop):
            self._rebuilder.request(self.step)

    def __enter__(self) -> WatchedStep:
        threading.Thread(target=self._watch, daemon=True).start()
        time.sleep(0.5)  # let the watcher start
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._rebuilder.stop()

    def save_and_wait(self, n: int) -> tuple[float, Verdict]:
        """Edit the file; seconds from the write to the (passing) Verdict event."""
        self._arrived.clear()
        saved = time.perf_counter()
        edit(self.lib, n)
        if not self._arrived.wait(60):
            raise SystemExit("no verdict within 60 s")
        elapsed = time.perf_counter() - saved
        verdict = self._verdicts[-1]
        assert verdict.verdict == "pass", verdict
        return elapsed, verdict
