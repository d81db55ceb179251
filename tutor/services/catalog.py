"""The services a step may declare in step.toml (``[[services]] name = "redis"``)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    program: str  # looked up on PATH
    args: Callable[[int], list[str]]  # the command line after the program, for a port
    env_var: str  # how the check and the learner's code find it
    url: Callable[[int], str]
    ready: Callable[[int], bool]  # does it answer on this port yet?
    install: str  # how to get the program, per platform


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


REDIS = ServiceSpec(
    name="redis",
    program="redis-server",
    # No snapshots, no append-only file: nothing is written to disk, nothing outlives the run.
    args=lambda port: [
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
    ],
    env_var="REDIS_URL",
    url=lambda port: f"redis://127.0.0.1:{port}/0",
    ready=_redis_answers,
    install="apt-get install redis-server (Debian/Ubuntu) or brew install redis (macOS)",
)

SERVICES: dict[str, ServiceSpec] = {s.name: s for s in (REDIS,)}
