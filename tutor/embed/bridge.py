"""The check's side of a binary run: answer its LM calls, take in its spans.

One ``Bridge`` per ``lesson_api.run_binary`` call: a Unix socket in a private temporary
folder, served by one thread for as long as the program runs. The program's interpreter
(``client.py``) says hello, gets the run's LM settings and trace origin, then sends its
offline LM requests (answered here by the step's own answerer, so scripts, a cassette
and scripts the check added all apply, exactly as for an extension step) and its spans
(handed to this run's recorder: the Trace pane and ``lesson_api.spans()`` see them).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from tutor.embed import wire
from tutor.events import event_from_dict

DRAIN_S = 2.0  # after the program ended: how long its last frames may take to arrive


class Bridge:
    def __init__(
        self,
        recorder: Any,
        engine_for: Callable[[int | None], Any],
        lm_settings: dict[str, Any],
        parent_id: str,
    ):
        self.recorder = recorder
        self.engine_for = engine_for  # rollout_id → the step's offline engine (not for providers)
        self.welcome = {
            "settings": lm_settings,
            "origin": recorder.origin,
            "parent_id": parent_id,
        }
        self._folder = tempfile.mkdtemp(prefix="tutor-embed-")  # mode 0700
        self.path = os.path.join(self._folder, "socket")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.path)
        self._listener.listen()
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._serve, name="tutor-embed", daemon=True)

    def __enter__(self) -> Bridge:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Once the program has ended: take in its last frames, then stop (idempotent)."""
        if self._listener.fileno() == -1:
            return
        os.write(self._wake_w, b"x")
        self._thread.join(DRAIN_S + 1)
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._listener.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._listener, selectors.EVENT_READ)
        sel.register(self._wake_r, selectors.EVENT_READ)
        connections: set[socket.socket] = set()
        deadline: float | None = None  # set once the program has ended
        while deadline is None or (connections and time.monotonic() < deadline):
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            for key, _ in sel.select(timeout):
                if key.fileobj is self._listener:
                    conn, _ = self._listener.accept()
                    connections.add(conn)
                    sel.register(conn, selectors.EVENT_READ)
                elif key.fileobj == self._wake_r:
                    sel.unregister(self._wake_r)
                    deadline = time.monotonic() + DRAIN_S
                else:
                    conn = key.fileobj
                    assert isinstance(conn, socket.socket)
                    if not self._handle(conn):
                        sel.unregister(conn)
                        conn.close()
                        connections.discard(conn)
        for conn in connections:
            conn.close()
        sel.close()

    def _handle(self, conn: socket.socket) -> bool:
        """Serve one frame; False when the program closed the connection."""
        try:
            op, payload = wire.receive(conn)
        except (EOFError, OSError):
            return False
        if op == "event":
            self.recorder.ingest(event_from_dict(payload))
            return True
        if op == "hello":
            reply: Any = ("ok", self.welcome)
        else:  # "complete" / "stream": an offline LM request
            request, rollout = payload
            try:
                engine = self.engine_for(rollout)
                if op == "stream":
                    reply = ("ok", list(engine.stream(request)))
                else:
                    reply = ("ok", engine.complete(request))
            except Exception as e:  # the program sees the same error the engine raised
                reply = ("error", _picklable(e))
        with contextlib.suppress(OSError):
            wire.send(conn, reply)
        return True


def _picklable(error: Exception) -> Exception:
    import pickle

    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
