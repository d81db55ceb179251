"""How long the first binary step takes to build after an extension step (issue 8).

In a fresh workspace (its own empty Cargo target dir) this builds an extension step,
then a binary step, the way the tutor does on a save, and prints each build's wall time
and how many times cargo compiled PyO3's crates. With one shared PyO3 build the binary
step compiles only itself (and gil-probe); with separate builds it compiles PyO3 again.

    python benchmarks/shared_pyo3_build.py [--workspace DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tutor.build.cargo import build
from tutor.course import bundled_course_dir, load_course
from tutor.events import BuildOutput, Event
from tutor.workspace import Workspace
from tutor.workspace.scaffold import cargo_target_name, scaffold

PACK = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pack"


def timed_build(ws: Workspace, step) -> tuple[float, list[str]]:
    lines: list[str] = []

    def keep(event: Event) -> None:
        if isinstance(event, BuildOutput):
            lines.append(event.line)

    crate = scaffold(ws, step, "solution")
    result = build(
        step,
        cargo_target_name(step, "solution"),
        crate,
        ws.target_dir(),
        ws.build_dir(step, "solution"),
        keep,
    )
    if not result.ok:
        raise SystemExit("\n".join(lines))
    return result.duration_s, [line.strip() for line in lines if "Compiling" in line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=None)
    args = parser.parse_args()
    root = args.workspace or Path(tempfile.mkdtemp(prefix="shared-pyo3-"))
    ws = Workspace(root)
    extension = load_course(bundled_course_dir()).step("hello-world")
    binary = load_course(PACK).step("embed-hello")
    for label, step in (("extension step (cold)", extension), ("binary step (first)", binary)):
        seconds, compiled = timed_build(ws, step)
        pyo3 = [c for c in compiled if c.startswith("Compiling pyo3")]
        print(f"{label:24} {seconds:6.1f} s  crates compiled {len(compiled):3}  pyo3*: {pyo3}")
    print(f"target dirs: {sorted(p.name for p in (ws.meta / 'target').iterdir())}")


if __name__ == "__main__":
    main()
