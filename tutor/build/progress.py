"""Progress of a long build: crates compiled so far, of how many, and about how long.

A warm save recompiles only the step's own crate and says nothing here. When cargo starts
compiling another crate (the first build of PyO3 and its dependencies, 20–45 s on two
cores), a thread asks ``cargo metadata`` for the dependency graph and counts the units
the build will produce — one per library and one per build script of every package the
crate needs outside dev-dependencies — so each later ``compiler-artifact`` message is one
step of a known total. The time left is the time so far scaled by what remains.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.events import BuildProgress

_MIN_FOR_ESTIMATE = 3  # crates compiled before the time left is worth saying


def unit_count(metadata: dict[str, Any]) -> int:
    """Compilation units of the root package's build (``cargo metadata`` output)."""
    resolve = metadata["resolve"]
    nodes = {n["id"]: n for n in resolve["nodes"]}
    packages = {p["id"]: p for p in metadata["packages"]}
    seen: set[str] = set()
    stack = [resolve["root"]]
    while stack:
        pkg = stack.pop()
        if pkg in seen:
            continue
        seen.add(pkg)
        for dep in nodes[pkg]["deps"]:
            if any(k.get("kind") in (None, "build") for k in dep["dep_kinds"]):
                stack.append(dep["pkg"])
    build_scripts = sum(
        any("custom-build" in t["kind"] for t in packages[p]["targets"]) for p in seen
    )
    return len(seen) + build_scripts


def package_name(package_id: str) -> str:
    """``registry+https://…#proc-macro2@1.0.95`` (cargo ≥ 1.77) or the older
    ``proc-macro2 1.0.95 (registry+…)`` → ``proc-macro2``."""
    if "#" in package_id:
        tail = package_id.rsplit("#", 1)[1]
        name, at, _ = tail.partition("@")
        return name if at else package_id.rsplit("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return package_id.split(" ", 1)[0]


def host_triple() -> str | None:
    try:
        out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return next((ln.split()[1] for ln in out.stdout.splitlines() if ln.startswith("host:")), None)


class BuildProgressTracker:
    """Fed by the build's stderr and JSON messages; emits BuildProgress while it lasts."""

    def __init__(
        self,
        crate: Path,
        env: dict[str, str],
        own_package: str,
        emit: Callable[[BuildProgress], None],
    ) -> None:
        self.crate = crate
        self.env = env
        self.own = own_package.replace("-", "_")
        self.emit = emit
        self.started = time.monotonic()
        self.done = 0
        self.total: int | None = None
        self._counting = False
        self._lock = threading.Lock()

    def status_line(self, line: str) -> None:
        """cargo's stderr: the first ``Compiling <another crate>`` starts the count."""
        words = line.split()
        if len(words) >= 2 and words[0] == "Compiling" and words[1].replace("-", "_") != self.own:
            with self._lock:
                if self._counting:
                    return
                self._counting = True
            threading.Thread(target=self._count, daemon=True).start()

    def artifact(self, message: dict[str, Any]) -> None:
        name = package_name(message.get("package_id", ""))
        with self._lock:
            self.done += 1
            if self.total is not None:
                self._send(name)

    def _count(self) -> None:
        command = ["cargo", "metadata", "--format-version", "1"]
        host = host_triple()
        if host:
            command += ["--filter-platform", host]
        try:
            done = subprocess.run(
                command, cwd=self.crate, env=self.env, capture_output=True, check=True
            )
            total = unit_count(json.loads(done.stdout))
        except (OSError, subprocess.CalledProcessError, ValueError, KeyError):
            return  # no count: the build goes on, only without a progress bar
        with self._lock:
            self.total = total
            self._send("")

    def _send(self, crate: str) -> None:
        total = max(self.total or 0, self.done)
        left = None
        if self.done >= _MIN_FOR_ESTIMATE and total > self.done:
            elapsed = time.monotonic() - self.started
            left = elapsed / self.done * (total - self.done)
        self.emit(BuildProgress(done=self.done, total=total, crate=crate, estimate_s=left))
