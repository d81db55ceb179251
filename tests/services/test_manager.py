"""The service manager with the real redis-server: start, hand over, stop, never orphan."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.procs import wait_for
from tutor.services.catalog import REDIS
from tutor.services.manager import ServiceError, missing, running

needs_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)


def redis_servers(port: int) -> list[int]:
    """Live (non-zombie) redis-server processes listening on ``port``, from /proc."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            comm = (proc / "comm").read_text().strip()
            # redis-server retitles itself "redis-server 127.0.0.1:PORT"
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if state != "Z" and comm.startswith("redis-server") and f":{port}" in cmdline:
            found.append(int(proc.name))
    return found


def ping(url: str) -> bytes:
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64)


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


@needs_redis
def test_redis_answers_on_the_handed_over_port_and_stops_after():
    with running(["redis"]) as env:
        url = env["REDIS_URL"]
        assert url.startswith("redis://127.0.0.1:") and url.endswith("/0")
        assert ping(url) == b"+PONG\r\n"
        assert len(redis_servers(port_of(url))) == 1
    assert redis_servers(port_of(url)) == []


@needs_redis
@pytest.mark.parametrize("raised", [KeyboardInterrupt, RuntimeError])
def test_redis_stops_when_the_run_is_interrupted(raised):
    with pytest.raises(raised), running(["redis"]) as env:
        url = env["REDIS_URL"]
        raise raised()
    assert redis_servers(port_of(url)) == []


@needs_redis
def test_two_runs_get_two_ports():
    with running(["redis"]) as a, running(["redis"]) as b:
        assert a["REDIS_URL"] != b["REDIS_URL"]
        assert ping(a["REDIS_URL"]) == ping(b["REDIS_URL"]) == b"+PONG\r\n"


@needs_redis
def test_redis_dies_with_a_killed_tutor(tmp_path):
    # A tutor killed with SIGKILL runs no cleanup: the kernel's parent-death signal must.
    script = textwrap.dedent(
        """
        import sys, time
        from tutor.services.manager import running
        with running(["redis"]) as env:
            print(env["REDIS_URL"], flush=True)
            time.sleep(60)
        """
    )
    tutor = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert tutor.stdout is not None
    port = port_of(tutor.stdout.readline().strip())
    assert len(redis_servers(port)) == 1
    os.kill(tutor.pid, signal.SIGKILL)
    tutor.wait()
    assert wait_for(lambda: redis_servers(port) == [], 5), "redis-server outlived the tutor"


def test_no_services_start_nothing():
    with running([]) as env:
        assert env == {}


def test_a_missing_program_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: no redis-server on it
    assert missing(["redis"]) == [REDIS]
    with pytest.raises(ServiceError) as e, running(["redis"]):
        pass
    assert "redis-server" in e.value.message
    assert "apt-get install redis-server" in e.value.message
    assert "brew install redis" in e.value.message


def test_a_program_that_exits_at_once_is_a_service_error(tmp_path, monkeypatch):
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\necho 'Fatal error: bad config' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ServiceError) as e, running(["redis"]):
        pass
    assert "did not start" in e.value.message and "bad config" in e.value.message
