"""The headless engine behind the app: the Session (with its warm runner), the Rebuilder,
and the hand-over of their events to the UI thread. No widgets here.

The core's events arrive on the rebuilder's thread; ``emit`` only appends them to the
app's queue, which the UI thread drains in time-boxed batches.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import App

from tutor.app.messages import EngineMilestone
from tutor.course.model import Course, Step
from tutor.events import BuildStarted, Event, Verdict
from tutor.lm.settings import LMSettings
from tutor.workspace import Workspace

if TYPE_CHECKING:  # imported when the engine starts, after the first frame
    from tutor.rebuilder import Rebuilder
    from tutor.session import Session


class EngineLink:
    """Starts, restarts and stops the engine; its workers run on ``app``."""

    def __init__(self, app: App[Any], events: deque[Event]) -> None:
        self._app = app
        self._events = events
        self.session: Session | None = None
        self.rebuilder: Rebuilder | None = None

    def start(self, course: Course, workspace: Workspace, lm: LMSettings, memory_mib: int) -> None:
        from tutor.rebuilder import Rebuilder
        from tutor.session import Session

        lm_settings = {"model": lm.model, "api_base": lm.api_base}
        self.session = Session(course, workspace, lm_settings, memory_mib)
        self.rebuilder = Rebuilder(self.session, self.emit)
        self._app.run_worker(
            self.session.runner.warm,
            name="warm",
            group="warm",
            description="warming the runner",
            exit_on_error=False,
            thread=True,
        )

    def emit(self, event: Event) -> None:
        """Called on the rebuilder's thread: never touches widgets, never waits."""
        self._events.append(event)
        if isinstance(event, Verdict | BuildStarted):
            self._app.post_message(EngineMilestone())  # shown at once, not at the next tick

    def request(self, step: Step) -> bool:
        """Check ``step``; False when no engine is running to do it."""
        if self.rebuilder is None:
            return False
        self.rebuilder.request(step)
        return True

    def shutdown(self) -> None:
        """Cancel any check and close the runner. Safe to call twice."""
        rebuilder, session = self.rebuilder, self.session
        self.rebuilder = self.session = None
        _close(rebuilder, session)

    def restart(self, then: Callable[[], None]) -> None:
        """Drop the engine at once (no new check reaches it), close it on a thread, then
        call ``then`` on the UI thread to start the next one."""
        old = (self.rebuilder, self.session)
        self.rebuilder = self.session = None
        self._app.run_worker(
            partial(self._close_then, *old, then),
            name="restart",
            group="engine",
            description="restarting the runner",
            exclusive=True,
            exit_on_error=False,
            thread=True,
        )

    def _close_then(
        self, rebuilder: Rebuilder | None, session: Session | None, then: Callable[[], None]
    ) -> None:
        _close(rebuilder, session)
        self._app.call_from_thread(then)


def _close(rebuilder: Rebuilder | None, session: Session | None) -> None:
    if rebuilder is not None:
        rebuilder.stop()
    if session is not None:
        session.close()
