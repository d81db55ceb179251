"""One output stream of a check (stdout or stderr): a bounded head and tail.

Lines pass on as they arrive until the head is full (HEAD_LINES lines or HEAD_BYTES),
or a line runs past LINE_MAX. From then on only the last TAIL_BYTES are kept, in a
buffer that costs O(chunk) per read, so 100 MB of output is read at pipe speed and
never holds the learner's process up. At the end come an ``OutputDropped`` count (if
anything was dropped) and the tail; "…" marks where a line was cut.
"""

from __future__ import annotations

from collections.abc import Callable

HEAD_LINES = 1000
HEAD_BYTES = 256 * 1024
TAIL_BYTES = 64 * 1024
LINE_MAX = TAIL_BYTES  # a longer line in the head is cut (and the tail is no longer)


class StreamCapture:
    def __init__(
        self, on_line: Callable[[str], None], on_dropped: Callable[[int, int], None]
    ) -> None:
        self._on_line = on_line
        self._on_dropped = on_dropped  # (bytes, newlines)
        self._partial = bytearray()
        self._head_lines = 0
        self._head_bytes = 0
        self._tail: bytearray | None = None  # None while the head is still filling
        self._dropped_bytes = 0
        self._dropped_lines = 0
        self._cut = False  # the tail's first line began before the kept bytes

    def feed(self, chunk: bytes) -> None:
        if self._tail is None:
            chunk = self._feed_head(chunk)
            if self._tail is None:
                return
        self._keep_tail(chunk)

    def _feed_head(self, chunk: bytes) -> bytes:
        """Pass complete lines on; once the head is full, return what is left over."""
        self._partial += chunk
        if b"\n" in chunk:
            lines = bytes(self._partial).split(b"\n")
            self._partial = bytearray(lines.pop())
            for i, line in enumerate(lines):
                self._head_line(line)
                if self._tail is not None:
                    rest = b"\n".join([*lines[i + 1 :], bytes(self._partial)])
                    self._partial.clear()
                    return rest
        if len(self._partial) > LINE_MAX:
            line, rest = bytes(self._partial[:LINE_MAX]), bytes(self._partial[LINE_MAX:])
            self._partial.clear()
            self._on_line(line.decode(errors="replace") + " …")
            self._tail = bytearray()
            self._cut = True  # the tail starts inside this line
            return rest
        return b""

    def close(self) -> None:
        if self._tail is None:
            if self._partial:
                self._on_line(self._partial.decode(errors="replace"))
            return
        self._trim(TAIL_BYTES)
        if self._dropped_bytes:
            self._on_dropped(self._dropped_bytes, self._dropped_lines)
        lines = bytes(self._tail).split(b"\n")
        if lines and not lines[-1]:
            lines.pop()  # the output ended with a newline
        for i, line in enumerate(lines):
            text = line.decode(errors="replace")
            self._on_line("… " + text if i == 0 and self._cut else text)

    def _head_line(self, line: bytes) -> None:
        self._on_line(line.decode(errors="replace"))
        self._head_lines += 1
        self._head_bytes += len(line) + 1
        if self._head_lines >= HEAD_LINES or self._head_bytes >= HEAD_BYTES:
            self._tail = bytearray()

    def _keep_tail(self, data: bytes) -> None:
        assert self._tail is not None
        self._tail += data
        if len(self._tail) > 2 * TAIL_BYTES:  # trim in large steps: O(1) per byte
            self._trim(TAIL_BYTES)

    def _trim(self, keep: int) -> None:
        tail = self._tail
        assert tail is not None
        excess = len(tail) - keep
        if excess > 0:
            self._dropped_bytes += excess
            self._dropped_lines += tail.count(b"\n", 0, excess)
            self._cut = tail[excess - 1] != ord("\n")
            del tail[:excess]
