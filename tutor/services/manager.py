"""Start the services of one run on free loopback ports, hand over their addresses, stop them.

Used as a context manager around a check: the services stop when the block ends however
it ends (a pass, a timeout, a crash of the check child, Ctrl-C). On Linux each service
also gets SIGTERM if the tutor itself dies (``PR_SET_PDEATHSIG``), so none is orphaned.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tutor.services.catalog import SERVICES, ServiceSpec

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 3.0
_PR_SET_PDEATHSIG = 1


class ServiceError(Exception):
    """A service could not be started; ``message`` says what and how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class RunningService:
    spec: ServiceSpec
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return self.spec.url(self.port)


def missing(names: Sequence[str]) -> list[ServiceSpec]:
    """The declared services whose program is not on PATH."""
    return [SERVICES[n] for n in names if shutil.which(SERVICES[n].program) is None]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # runs in the service's process between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def start(spec: ServiceSpec) -> RunningService:
    program = shutil.which(spec.program)
    if program is None:
        raise ServiceError(
            f"This step needs {spec.name}, but `{spec.program}` is not installed "
            f"(not on PATH). Install it: {spec.install}; then check again."
        )
    port = _free_port()
    process = subprocess.Popen(
        [program, *spec.args(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 (only prctl, async-signal-safe)
        start_new_session=True,  # Ctrl-C in the terminal reaches the tutor, not Redis
    )
    service = RunningService(spec, port, process)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not spec.ready(port):
        if process.poll() is not None or time.monotonic() > deadline:
            err = _stop(service)
            why = err or f"it did not answer on port {port} within {START_TIMEOUT_S:g} s"
            raise ServiceError(f"{spec.name} ({program}) did not start: {why}")
        time.sleep(0.02)
    return service


def _stop(service: RunningService) -> str:
    """Stop the service and reap it; returns the last line of its stderr."""
    p = service.process
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    if p.stderr:
        p.stderr.close()
    lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


@contextlib.contextmanager
def running(names: Sequence[str]) -> Iterator[dict[str, str]]:
    """Start ``names`` (none: costs nothing); yields the environment that finds them."""
    started: list[RunningService] = []
    try:
        for name in names:
            started.append(start(SERVICES[name]))
        yield {s.spec.env_var: s.url for s in started}
    finally:
        for service in reversed(started):
            _stop(service)
