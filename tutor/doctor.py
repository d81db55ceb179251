"""Is this machine ready? Each finding says what is wrong and how to fix it.

``diagnose`` is pure data so the app can show the same findings in a screen.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tutor.config import Settings
from tutor.console import TutorConsole, markup
from tutor.course.model import Course

if TYPE_CHECKING:
    from tutor.lm.settings import LMSettings

Status = Literal["ok", "warn", "fail"]
MIN_RUST = (1, 83)
MIN_FREE_GB = 2.0


@dataclass
class Finding:
    name: str
    status: Status
    detail: str
    fix: str = ""


def _version_of(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def check_rust() -> list[Finding]:
    findings = []
    rustc = _version_of(["rustc", "--version"])
    if rustc is None:
        return [
            Finding(
                "Rust",
                "fail",
                "rustc was not found on PATH",
                "install Rust with rustup (https://rustup.rs), then open a new shell",
            )
        ]
    m = re.search(r"(\d+)\.(\d+)", rustc)
    if m and (int(m[1]), int(m[2])) < MIN_RUST:
        findings.append(
            Finding(
                "Rust",
                "fail",
                f"{rustc} is older than PyO3 0.29 needs",
                "run `rustup update stable`",
            )
        )
    else:
        findings.append(Finding("Rust", "ok", rustc))
    cargo = _version_of(["cargo", "--version"])
    findings.append(
        Finding("cargo", "ok", cargo)
        if cargo
        else Finding(
            "cargo",
            "fail",
            "cargo was not found on PATH",
            "install Rust with rustup (https://rustup.rs)",
        )
    )
    if shutil.which("cc") is None and shutil.which("gcc") is None and shutil.which("clang") is None:
        findings.append(
            Finding(
                "C linker",
                "fail",
                "no cc/gcc/clang: Rust cannot link",
                "install a C toolchain (Debian: apt-get install build-essential; "
                "macOS: xcode-select --install)",
            )
        )
    return findings


def check_python() -> list[Finding]:
    findings = []
    include = Path(sysconfig.get_paths()["include"])
    if (include / "Python.h").exists():
        findings.append(Finding("Python headers", "ok", str(include)))
    else:
        findings.append(
            Finding(
                "Python headers",
                "fail",
                f"Python.h is not in {include}",
                "install the Python development package (Debian: apt-get install python3-dev)",
            )
        )
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        findings.append(
            Finding("shared libpython", "ok", "available (Rust programs can embed Python)")
        )
    else:
        findings.append(
            Finding(
                "shared libpython",
                "warn",
                "this Python has no shared "
                "libpython: steps that embed Python in a Rust binary will fail",
                "use a Python built with --enable-shared (pyenv: "
                "PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 3.11)",
            )
        )
    for package, wanted in (("maturin", None), ("dspy", "3.4")):
        try:
            version = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            findings.append(
                Finding(
                    package,
                    "fail",
                    f"{package} is not installed",
                    "reinstall the tutor: pip install pyo3dspy-tutor",
                )
            )
            continue
        if wanted and not version.startswith(wanted):
            findings.append(
                Finding(
                    package,
                    "fail",
                    f"{package} {version} (the course needs {wanted}.x)",
                    f'pip install "{package}>={wanted},<3.5"',
                )
            )
        else:
            findings.append(Finding(package, "ok", version))
    return findings


def check_lm(settings: Settings) -> list[Finding]:
    from tutor.lm.settings import OFFLINE, LMSettings, describe, missing_key

    lm = LMSettings(model=settings.lm.model, api_base=settings.lm.api_base)
    problem = missing_key(lm)
    if problem:
        return [
            Finding(
                "LM",
                "fail",
                f"{describe(lm)}: {problem}",
                "export the key in your shell, or use --lm offline",
            )
        ]
    if lm.model == OFFLINE:
        return [Finding("LM", "ok", describe(lm))]
    failure = lm_answers(lm)
    if failure:
        return [
            Finding(
                "LM",
                "fail",
                f"{describe(lm)} did not answer a one-word request: {failure}",
                "check your network, the model name, the key and api_base; or use --lm offline",
            )
        ]
    return [Finding("LM", "ok", f"{describe(lm)} answers")]


LM_PROBE_TIMEOUT_S = 10.0
# Run in a child: the app never imports dspy, and a hung provider cannot hang the doctor.
# The LM is built as the runner builds it; one request, no retries, no cache.
_PROBE = """
import sys
from tutor.lm.settings import LMSettings, build_lm
model, api_base, timeout = sys.argv[1], sys.argv[2] or None, float(sys.argv[3])
lm = build_lm(LMSettings(model, api_base), None)
lm.copy(num_retries=0, cache=False, max_tokens=16, timeout=timeout)("Reply with the word OK.")
"""


def lm_answers(lm: LMSettings) -> str | None:
    """None when the provider answers a tiny request in time, else why it did not."""
    import sys

    from tutor.trace.redact import redact

    args = [lm.model, lm.api_base or "", str(LM_PROBE_TIMEOUT_S)]
    limit = LM_PROBE_TIMEOUT_S + 30  # + importing dspy in the child
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=limit
        )
    except subprocess.TimeoutExpired:
        return f"no answer within {limit:g} s"
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return str(redact(lines[-1] if lines else f"exit code {done.returncode}"))


def check_workspace(settings: Settings) -> list[Finding]:
    root = settings.workspace
    probe = root if root.exists() else next(p for p in root.parents if p.exists())
    findings = []
    free_gb = shutil.disk_usage(probe).free / 1e9
    if free_gb < MIN_FREE_GB:
        findings.append(
            Finding(
                "disk",
                "warn",
                f"{free_gb:.1f} GB free at {probe}; a workspace "
                "needs about 1 GB for compiled crates",
                "free some space or choose --workspace elsewhere",
            )
        )
    else:
        findings.append(Finding("disk", "ok", f"{free_gb:.0f} GB free"))
    try:
        with tempfile.NamedTemporaryFile(dir=probe):
            pass
        findings.append(Finding("workspace", "ok", f"{root} is writable"))
    except OSError as e:
        findings.append(
            Finding(
                "workspace",
                "fail",
                f"cannot write in {probe}: {e.strerror}",
                "choose a writable folder with --workspace DIR",
            )
        )
    return findings


def check_cache() -> list[Finding]:
    from tutor.cache import cache_root, human, size_of

    root = cache_root()
    return [
        Finding(
            "cache",
            "ok",
            f"{root} ({human(size_of(root))}; lesson-check builds, "
            "`pyo3dspy-tutor cache --clean` empties it)",
        )
    ]


def check_dspy_import() -> list[Finding]:
    """Import dspy in a child interpreter, the way the runner will: never in this process
    (the app's UI thread would lose the GIL to a second-long import)."""
    fix = 'pip install --force-reinstall "dspy>=3.4.1,<3.5"'
    try:
        done = subprocess.run(
            [sys.executable, "-c", "import dspy"],
            capture_output=True,
            preexec_fn=lambda: os.nice(10),  # a background check: the UI and runner first
            text=True,
            timeout=180,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return [Finding("dspy import", "fail", f"{type(e).__name__}: {e}", fix)]
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return [Finding("dspy import", "fail", lines[-1] if lines else "failed", fix)]
    return [Finding("dspy import", "ok", "imports")]


def check_services(course: Course) -> list[Finding]:
    """The services the course's steps declare, and whether their programs are installed."""
    from tutor.services.catalog import SERVICES

    needs: dict[str, list[str]] = {}
    for step in course.steps():
        for name in step.services:
            needs.setdefault(name, []).append(step.id)
    findings = []
    for name, steps in needs.items():
        spec = SERVICES[name]
        where = shutil.which(spec.program)
        used = f"needed by {', '.join(steps)}"
        if where:
            findings.append(Finding(f"service {name}", "ok", f"{where} ({used})"))
        else:
            findings.append(
                Finding(
                    f"service {name}",
                    "fail",
                    f"`{spec.program}` is not installed ({used})",
                    spec.install,
                )
            )
    return findings


CHECKS: list[Callable[..., list[Finding]]] = [check_rust, check_python, check_dspy_import]


def diagnose(settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check())
    findings.extend(check_lm(settings))
    findings.extend(check_workspace(settings))
    findings.extend(check_cache())
    return findings


def run_doctor(settings: Settings, course: Course, console: TutorConsole) -> int:
    marks = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]"}
    findings = diagnose(settings) + check_services(course)
    for f in findings:
        console.print(markup(marks[f.status] + " {:18} {}", f.name, f.detail))
        if f.fix and f.status != "ok":
            console.print(markup("  [dim]fix:[/] {}", f.fix))
    console.print(
        f"Course: {course.title} ({len(course.steps())} steps), workspace "
        f"{settings.workspace}{'' if settings.workspace.exists() else ' (not created yet)'}"
    )
    bad = [f for f in findings if f.status == "fail"]
    done = markup("[red]{} problem(s) to fix.[/]", len(bad)) if bad else markup("[green]Ready.[/]")
    console.print(done)
    return 1 if bad else 0
