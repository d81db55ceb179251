"""The events channel from a check's child to the runner: framed JSON lines.

Learner code runs in the check's own process (an extension module can't run anywhere
else), so it can write to any descriptor that process holds. The channel is kept out
of the way: a descriptor far above the ones programs pick by habit, closed on exec so
no program the check starts inherits it. And every frame starts with a nonce made for
this run alone, so a stray write can't pass for a frame: whatever else arrives is
counted as junk and makes the run an ``error`` instead of crashing the runner.
A program that reads the nonce out of the check's memory could still forge frames;
only a separate process could prevent that, and the learner's module must be loaded
in the process that runs the check.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
import secrets
from typing import Any

EXIT_CHANNEL_LOST = 86  # the child's exit code when its channel was closed under it
MAX_FRAME = 64 * 2**20  # a frame longer than this is junk, not a span with a long prompt
_FAR = 1000  # descriptors programs open (and loop over) by habit are far below this


def new_nonce() -> str:
    return secrets.token_hex(16)


def move_out_of_reach(fd: int) -> int:
    """Duplicate ``fd`` onto a high, close-on-exec descriptor and close the original."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    floor = max(3, min(_FAR, soft - 64) if soft != resource.RLIM_INFINITY else _FAR)
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, floor)
    os.close(fd)
    return high


def frame(nonce: str, data: dict[str, Any]) -> bytes:
    text = json.dumps(data, default=repr, ensure_ascii=False)  # one line: \n is escaped
    return (nonce + text + "\n").encode()


class FrameReader:
    """Splits the channel's bytes into frames; counts everything else as junk."""

    def __init__(self, nonce: str) -> None:
        self._nonce = nonce.encode()
        self._partial = bytearray()
        self.junk_bytes = 0
        self.junk_sample = b""  # the first junk seen, for the message

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        self._partial += chunk
        if b"\n" not in chunk:
            if len(self._partial) > MAX_FRAME:
                self._junk(bytes(self._partial))
                self._partial.clear()
            return []
        *lines, rest = bytes(self._partial).split(b"\n")
        self._partial = bytearray(rest)
        return [f for f in map(self._frame, lines) if f is not None]

    def close(self) -> None:
        """The stream ended: a last piece without its newline is not a frame."""
        if self._partial:
            self._junk(bytes(self._partial))
            self._partial.clear()

    def _frame(self, line: bytes) -> dict[str, Any] | None:
        start = line.find(self._nonce)
        if start < 0:
            self._junk(line + b"\n")
            return None
        if start:
            self._junk(line[:start])
        try:
            data = json.loads(line[start + len(self._nonce) :])
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            self._junk(line)
            return None
        return data

    def reject(self, data: dict[str, Any]) -> None:
        """A well-formed frame the runner can't use (an unknown event): junk too."""
        self._junk(json.dumps(data).encode())

    def _junk(self, data: bytes) -> None:
        if not self.junk_bytes:
            self.junk_sample = data[:60]
        self.junk_bytes += len(data)
