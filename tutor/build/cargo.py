"""Build a step's crate: cargo with the environment maturin would set, cancellable.

Why not ``maturin develop`` on every save: it packs a wheel and pip-installs it, which
costs ~1 s more than the compile itself (../shared/reference/pyo3-maturin.md, and
``benchmarks/save_to_verdict.py`` measures both). We run the same cargo build maturin
runs, with maturin's PyO3 variables, and place the library on the runner's path under
its import name. The sandbox keeps a maturin ``pyproject.toml``, so ``maturin develop``
by hand builds the very same crate.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tutor.atomic import copy_atomic
from tutor.build.diagnostics import diagnostic_from_cargo, is_summary
from tutor.build.progress import BuildProgressTracker
from tutor.cancel import CancelToken, kill_group
from tutor.course.model import Step
from tutor.events import BuildFinished, BuildOutput, BuildStarted, Diagnostic, Event
from tutor.fserrors import DiskError, disk_problem_in

Emit = Callable[[Event], None]


@dataclass
class BuildResult:
    ok: bool
    artifact: Path | None = None  # the module/binary placed for the runner
    diagnostics: list[Diagnostic] = field(default_factory=list)
    duration_s: float = 0.0
    cancelled: bool = False
    tool_error: str | None = None  # cargo missing or unusable: not the learner's fault
    disk_error: DiskError | None = None  # a full or read-only disk, not the learner's code


def build_env(target_dir: Path) -> dict[str, str]:
    """The same for both crate kinds, so one PyO3 build serves extensions and binaries.

    PyO3 rebuilds itself when PYO3_PYTHON or PYO3_BUILD_EXTENSION_MODULE change, and its
    features must match too: binary steps use no ``auto-initialize`` (their ``main``
    calls ``Python::initialize()``) and link libpython from their own build.rs, which
    PyO3 leaves out with the extension-module setting.
    """
    env = dict(os.environ)
    env.update(
        CARGO_TARGET_DIR=str(target_dir),
        # Pinned so a changed PATH never makes PyO3 rebuild itself.
        PYO3_PYTHON=sys.executable,
        PYO3_BUILD_EXTENSION_MODULE="1",  # what maturin >= 1.9.4 sets
        CARGO_TERM_COLOR="never",
    )
    return env


def build_command(step: Step, target_name: str) -> list[str]:
    target = ["--lib"] if step.kind == "extension" else ["--bin", target_name]
    return ["cargo", "build", "--message-format=json", *target]


def module_filename(step: Step) -> str:
    if step.kind == "extension":
        return step.crate_module + sysconfig.get_config_var("EXT_SUFFIX")
    return step.crate_module


def build(
    step: Step,
    target_name: str,
    crate: Path,
    target_dir: Path,
    out_dir: Path,
    emit: Emit,
    cancel: CancelToken | None = None,
) -> BuildResult:
    """Compile ``crate`` and place the module in ``out_dir``; emits Build* events."""
    cancel = cancel or CancelToken()
    lock = threading.Lock()

    def send(event: Event) -> None:
        with lock:
            emit(event)

    command = build_command(step, target_name)
    send(BuildStarted(step_id=step.id, command=command))
    started = time.monotonic()
    result = BuildResult(ok=False)
    if shutil.which("cargo") is None:
        result.tool_error = "cargo was not found on PATH"
        send(BuildOutput(line="error: cargo was not found; install Rust from https://rustup.rs"))
        send(BuildFinished(ok=False, duration_s=0.0))
        return result
    env = build_env(target_dir)
    progress = BuildProgressTracker(crate, env, _package_name(crate), send)
    proc = subprocess.Popen(
        command,
        cwd=crate,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so cancel kills rustc too
    )
    cancel.watch(proc.pid)
    stderr_lines: list[str] = []

    def pump_stderr() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            stderr_lines.append(line)
            send(BuildOutput(line=line))
            progress.status_line(line)

    reader = threading.Thread(target=pump_stderr, daemon=True)
    reader.start()
    built: Path | None = None
    fresh = True
    assert proc.stdout is not None
    try:
        for raw in proc.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                send(BuildOutput(line=raw.decode(errors="replace").rstrip()))
                continue
            diagnostic = diagnostic_from_cargo(message)
            if diagnostic and not is_summary(diagnostic):
                result.diagnostics.append(diagnostic)
                send(diagnostic)
            elif message.get("reason") == "compiler-artifact":
                progress.artifact(message)
                if _is_ours(message, step, target_name):
                    fresh = fresh and bool(message.get("fresh"))
                    built = _artifact_file(message, step)
    except BaseException:
        # Ctrl-C (or any error) here must not leave cargo and rustc running: they are in
        # their own process group, which the terminal's SIGINT does not reach.
        kill_group(proc.pid)
        proc.wait()
        raise
    code = proc.wait()
    reader.join()
    cancel.unwatch(proc.pid)
    result.duration_s = time.monotonic() - started
    result.cancelled = cancel.cancelled
    result.ok = code == 0 and built is not None and not result.cancelled
    if result.ok and built is not None:
        result.artifact = out_dir / module_filename(step)
        copy_atomic(built, result.artifact)
    elif not result.cancelled and (
        problem := disk_problem_in(
            [*stderr_lines, *(d.rendered or d.message for d in result.diagnostics)], target_dir
        )
    ):
        result.disk_error = problem
    elif not result.cancelled and not any(d.level == "error" for d in result.diagnostics):
        # cargo failed before rustc spoke: a bad Cargo.toml, no network for a new crate…
        text = "\n".join(line for line in stderr_lines if line.strip()) or f"cargo exited {code}"
        result.diagnostics.append(Diagnostic(level="error", message=text, rendered=text))
        send(result.diagnostics[-1])
    send(
        BuildFinished(
            ok=result.ok,
            duration_s=result.duration_s,
            artifact=str(result.artifact) if result.artifact else None,
            cancelled=result.cancelled,
            fresh=result.ok and fresh,
        )
    )
    return result


def _package_name(crate: Path) -> str:
    try:
        return str(tomllib.loads((crate / "Cargo.toml").read_text())["package"]["name"])
    except (OSError, ValueError, KeyError):
        return ""  # cargo will report the broken manifest itself


def _is_ours(message: dict, step: Step, target_name: str) -> bool:
    target = message.get("target") or {}
    kinds = set(target.get("kind") or [])
    wanted = {"cdylib"} if step.kind == "extension" else {"bin"}
    return bool(kinds & wanted) and target.get("name") == target_name


def _artifact_file(message: dict, step: Step) -> Path | None:
    if step.kind == "binary" and message.get("executable"):
        return Path(message["executable"])
    for name in message.get("filenames") or []:
        if name.endswith((".so", ".dylib", ".pyd", ".dll")):
            return Path(name)
    return None
