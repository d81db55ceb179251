"""Length-prefixed pickle frames over a Unix socket, between a check and its binary.

Pickle, because the frames carry DSPy's own request/response objects whole; both ends
are the same Python, the same dspy, and the learner's own processes (the socket lives in
a folder only this user can open).
"""

from __future__ import annotations

import pickle
import socket
import struct
from typing import Any

_HEADER = struct.Struct("!I")
ENV_VAR = "PYO3DSPY_TUTOR_EMBED"  # the socket's path, set by lesson_api.run_binary


def send(sock: socket.socket, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def receive(sock: socket.socket) -> Any:
    """The next message, or EOFError when the other end has closed."""
    (size,) = _HEADER.unpack(_exactly(sock, _HEADER.size))
    return pickle.loads(_exactly(sock, size))


def _exactly(sock: socket.socket, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
