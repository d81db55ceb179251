"""The binary's side: give an embedded interpreter the check's LM and trace.

Runs inside the step's program, once, right after its first ``import dspy`` (see
``site/sitecustomize.py``). It connects to the check's ``Bridge``, then configures DSPy
the way the runner configures it for extension steps: the offline LM (answered by the
check, so the step's scripts and cassette apply) or the learner's provider (its key is
read from the inherited environment by DSPy itself), and a span recorder whose spans
travel back to the check. The program's own ``dspy.configure`` still wins.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from typing import Any

from tutor.embed import wire


class _Link:
    """One connection to the check, shared by the program's threads (a call at a time)."""

    def __init__(self, path: str) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(path)
        self._lock = threading.Lock()

    def call(self, op: str, payload: Any) -> Any:
        with self._lock:
            wire.send(self._sock, (op, payload))
            status, value = wire.receive(self._sock)
        if status == "error":
            raise value
        return value

    def event(self, event: Any) -> None:
        with self._lock:
            wire.send(self._sock, ("event", event.to_dict()))


class RemoteOfflineEngine:
    """A DSPy engine whose answers come from the check's offline LM.

    Like OfflineEngine it carries the ``rollout_id`` of the LM copy it serves
    (OfflineLM.copy binds it), so Refine/BestOfN samples vary in a program too.
    """

    supports_function_calling = True  # as OfflineEngine: adapters may send tools natively

    def __init__(self, link: _Link, rollout: int | None = None) -> None:
        self._link = link
        self.rollout = rollout

    def complete(self, request: Any) -> Any:
        return self._link.call("complete", (request, self.rollout))

    def stream(self, request: Any) -> Any:
        return iter(self._link.call("stream", (request, self.rollout)))

    def with_rollout(self, rollout: int | None) -> RemoteOfflineEngine:
        return RemoteOfflineEngine(self._link, rollout)


class AsyncRemoteOfflineEngine:
    def __init__(self, link: _Link, rollout: int | None = None) -> None:
        self._sync = RemoteOfflineEngine(link, rollout)

    async def complete(self, request: Any) -> Any:
        return self._sync.complete(request)

    async def stream(self, request: Any) -> Any:
        for event in self._sync.stream(request):
            yield event

    def with_rollout(self, rollout: int | None) -> AsyncRemoteOfflineEngine:
        return AsyncRemoteOfflineEngine(self._sync._link, rollout)


def configure() -> None:
    """Connect to the check named by $PYO3DSPY_TUTOR_EMBED and configure DSPy."""
    path = os.environ.get(wire.ENV_VAR)
    if not path:
        return
    try:
        link = _Link(path)
        welcome = link.call("hello", None)
    except OSError as e:  # the check is gone: the program runs on without the tutor's LM
        print(f"pyo3dspy-tutor: could not reach the check ({e}); no LM configured", file=sys.stderr)
        return
    import dspy
    from dspy.dsp.utils import settings as dspy_settings

    from tutor.lm.offline import OFFLINE_MODEL, OfflineLM
    from tutor.lm.settings import OFFLINE, LMSettings, build_lm
    from tutor.trace.recorder import SpanRecorder

    settings = LMSettings(**welcome["settings"])
    if settings.model == OFFLINE:
        lm = OfflineLM(
            OFFLINE_MODEL,
            engine=RemoteOfflineEngine(link),
            async_engine=AsyncRemoteOfflineEngine(link),
            cache=False,
        )
    else:
        lm = build_lm(settings, None)  # type: ignore[arg-type]  (no answerer needed)
    # As in the check's own process: no disk cache (a provider's answers are not kept).
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    recorder = SpanRecorder(link.event, origin=welcome["origin"], root_id=welcome["parent_id"])
    dspy.configure(lm=lm, callbacks=[recorder])
    # This ran on whichever thread imported dspy first; leave the right to call
    # dspy.configure to the program's own first caller, as if we had not been here.
    dspy_settings.config_owner_thread_id = None
    dspy_settings.config_owner_async_task = None
