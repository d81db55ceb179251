"""The `inspect` command: run the child, print the modules or the Rust types."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tutor.console import Markup, markup
from tutor.errors import TutorError


def register(sub: Any) -> None:
    s = sub.add_parser(
        "inspect",
        help="list a Python file's DSPy modules, predictors and signatures (--rust: serde types)",
        description="Import PYFILE in a child process and list its DSPy modules, their "
        "predictors and signatures (fields, types, descriptions). PYFILE:NAME picks one "
        "module, module class or Signature class. --rust prints serde structs for the "
        "signatures' inputs and outputs.",
    )
    s.add_argument("target", metavar="PYFILE[:NAME]")
    s.add_argument("--rust", action="store_true", help="print Rust serde types instead")
    s.add_argument("--json", action="store_true", help="print what the child found, as JSON")
    s.add_argument("--timeout", type=float, default=60.0, help="seconds (default 60)")
    s.set_defaults(handler=cmd_inspect, needs_course=False)


def run_child(path: Path, name: str | None, timeout: float) -> dict[str, Any]:
    """Import the file in a child process (its code never runs in the tutor)."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tutor.inspect.child", str(path), name or ""],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            cwd=path.parent,
        )
    except subprocess.TimeoutExpired:
        raise TutorError(
            f"importing {path} took longer than {timeout:g} s",
            fix="does the file run work at import time? Guard it with if __name__ == '__main__'",
        ) from None
    lines = [line for line in done.stdout.splitlines() if line.startswith('{"ok"')]
    if not lines:
        tail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise TutorError(f"could not inspect {path}: {tail}", fix="run the file with python first")
    result = json.loads(lines[-1])
    if not result["ok"]:
        raise TutorError(result["error"], fix="fix the file so that it imports")
    return result


def cmd_inspect(args: argparse.Namespace, _settings: Any, _course: object) -> int:
    from tutor.cli import out
    from tutor.inspect.rust import signatures_to_rust

    file, _, name = args.target.partition(":")
    path = Path(file).expanduser().resolve()
    if not path.is_file() or path.suffix != ".py":
        raise TutorError(f"{file} is not a Python file", fix="give a .py file: inspect app.py:qa")
    result = run_child(path, name or None, args.timeout)
    signatures = result["signatures"] + [
        p["signature"] for m in result["modules"] for p in m["predictors"]
    ]
    if name and not (result["modules"] or result["signatures"]):
        raise TutorError(
            f"{path} has no DSPy module or signature named {name!r}",
            fix=f"run `pyo3dspy-tutor inspect {file}` to list what it has",
        )
    if args.json:
        print(json.dumps(result, indent=2))
    elif args.rust:
        if not signatures:
            raise TutorError(
                f"no DSPy signature in {args.target}", fix="name a module or signature"
            )
        sys.stdout.write(signatures_to_rust(signatures, result["models"], args.target))
    else:
        _print_listing(result, out)
    return 0


def _print_listing(result: dict[str, Any], out: Any) -> None:
    if not result["modules"] and not result["signatures"]:
        out.print(f"No DSPy modules or signatures in {result['file']}.")
    for m in result["modules"]:
        what = "module" if m["kind"] == "instance" else "module class"
        out.print(markup("[bold]{}[/] ({} {})", m["name"], what, m["type"]))
        if m.get("note"):
            out.print(markup("  [dim]{}[/]", m["note"]))
        for p in m["predictors"]:
            out.print(markup("  predictor [bold]{}[/] ({})", p["name"], p["type"]))
            _print_signature(p["signature"], out, indent="    ")
    for sig in result["signatures"]:
        out.print(markup("[bold]{}[/] (Signature)", sig["name"]))
        _print_signature(sig, out, indent="  ")
    for model in result["models"]:
        fields = ", ".join(f["name"] for f in model["fields"])
        out.print(markup("[bold]{}[/] (pydantic model: {})", model["name"], fields))


def _print_signature(sig: dict[str, Any], out: Any, indent: str) -> None:
    if sig["instructions"]:
        out.print(markup("{}[dim]{}[/]", indent, sig["instructions"].splitlines()[0]))
    for side in ("inputs", "outputs"):
        for f in sig[side]:
            arrow = "→" if side == "outputs" else "←"
            line = markup("{}{} {}: {}", indent, arrow, f["name"], f["py"])
            desc = markup("  [dim]{}[/]", f["desc"]) if f["desc"] else ""
            out.print(Markup(line + desc))
