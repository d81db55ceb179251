"""Compile every broken snippet in tests/fixtures/coach/ with one cargo run.

Each snippet becomes the lib.rs of its own crate in one scratch Cargo workspace, so one
`cargo check --keep-going` reports every snippet's diagnostics and PyO3 compiles once.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tutor.build.cargo import build_env
from tutor.build.diagnostics import diagnostic_from_cargo, is_summary
from tutor.events import Diagnostic

SNIPPETS = Path(__file__).parent.parent / "fixtures" / "coach"
# The same pyo3 requirement as the step crates (sandboxes/extension/Cargo.toml).
PYO3 = 'pyo3 = { version = "0.29" }'


def snippet_names() -> list[str]:
    return sorted(p.stem for p in SNIPPETS.glob("*.rs"))


def check_snippets(root: Path, target: Path) -> dict[str, list[Diagnostic]]:
    """Diagnostics per snippet name (the crate is named after the snippet)."""
    names = snippet_names()
    root.mkdir(parents=True, exist_ok=True)
    members = ", ".join(f'"{name}"' for name in names)
    (root / "Cargo.toml").write_text(f'[workspace]\nresolver = "2"\nmembers = [{members}]\n')
    for name in names:
        crate = root / name
        (crate / "src").mkdir(parents=True, exist_ok=True)
        (crate / "Cargo.toml").write_text(
            f'[package]\nname = "coach-{name}"\nversion = "0.1.0"\nedition = "2021"\n'
            f"publish = false\n\n[dependencies]\n{PYO3}\n"
        )
        (crate / "src" / "lib.rs").write_text((SNIPPETS / f"{name}.rs").read_text())
    proc = subprocess.run(
        ["cargo", "check", "--workspace", "--keep-going", "--message-format=json"],
        cwd=root,
        env=build_env(target),
        capture_output=True,
        text=True,
        check=False,
    )
    found: dict[str, list[Diagnostic]] = {name: [] for name in names}
    for line in proc.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        d = diagnostic_from_cargo(message)
        package = (message.get("package_id") or "").split("#")[0].rsplit("/", 1)[-1]
        name = package.removeprefix("coach-")
        if d is not None and not is_summary(d) and name in found:
            found[name].append(d)
    missing = [n for n, ds in found.items() if not ds]
    if missing and proc.returncode != 0 and not any(found.values()):
        raise RuntimeError(f"cargo check failed before compiling the snippets:\n{proc.stderr}")
    return found
