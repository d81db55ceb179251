"""Save → verdict, measured the way a learner feels it, against bare cargo in the same run.

    python benchmarks/save_to_verdict.py [--runs 10] [--workspace DIR]

For a step already built once (hello-world, with its solution), each round makes a
one-line edit and times:
  * bare:  `cargo build` of the same crate, same target dir and environment (baseline)
  * save → verdict: the file is written, the real watcher (watchfiles, 50 ms debounce)
    sees it, the Rebuilder builds, places the module, forks a child from the warm
    runner, runs the check with the offline LM, and the Verdict event arrives
  * maturin build: the same crate packed as a wheel by maturin (what a
    `maturin develop` would start from), to show why the tutor calls cargo itself
Also: the first build of a second step (basic-qa) once hello-world is built, and
"start": from the run request to the check's first test line (dspy already imported).
Prints medians, min–max and ratios; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from watched_step import WatchedStep, edit

from tutor.build.cargo import build_command, build_env
from tutor.course import bundled_course_dir, load_course
from tutor.session import Session
from tutor.workspace import Workspace
from tutor.workspace.backups import apply_solution
from tutor.workspace.scaffold import cargo_target_name
from tutor.workspace.setup import init_workspace


def fmt(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):6.3f} s  "
        f"(min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"
    )


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--workspace", type=Path, help="default: a fresh temp dir")
    args = parser.parse_args()
    root = args.workspace or Path(tempfile.mkdtemp(prefix="tutor-bench-"))
    course = load_course(bundled_course_dir())
    ws = Workspace(root)
    init_workspace(ws, course)
    step = course.step("hello-world")
    second = course.step("basic-qa")
    apply_solution(ws, step)
    crate = ws.crate_dir(step)
    lib = crate / "src" / "lib.rs"
    session = Session(course, ws, {"model": "offline", "api_base": None})

    print(f"workspace {root}; python {sys.version.split()[0]}")
    t0 = time.perf_counter()
    session.runner.warm()
    print(f"runner warm-up (import dspy once):      {time.perf_counter() - t0:6.3f} s")
    first = session.check(step, lambda e: None)
    print(
        f"first check of hello-world (cold build): {first.timings['total_s']:6.3f} s "
        f"[{first.verdict}]"
    )
    assert first.verdict == "pass", first

    env = build_env(ws.target_dir())
    bare_cmd = build_command(step, cargo_target_name(step, "learner"))
    maturin_out = Path(tempfile.mkdtemp(prefix="tutor-bench-wheels-"))
    maturin_cmd = [
        sys.executable,
        "-m",
        "maturin",
        "build",
        "--interpreter",
        sys.executable,
        "--out",
        str(maturin_out),
    ]
    maturin = shutil.which("maturin") is not None
    # maturin sets its own PyO3 variables; in the tutor's target dir that would rebuild
    # PyO3 on every switch, so it gets its own target dir, warmed up once here.
    maturin_env = {**env, "CARGO_TARGET_DIR": str(root / "maturin-target")}
    if maturin:
        timed(maturin_cmd, crate, maturin_env)

    bare, save_to_verdict, starts, builds, maturin_builds = [], [], [], [], []
    n = 0
    with WatchedStep(session, step, crate) as watched:
        for _ in range(args.runs):
            n += 1
            edit(lib, n)
            bare.append(timed(bare_cmd, crate, env))
            if maturin:
                n += 1
                edit(lib, n)
                maturin_builds.append(timed(maturin_cmd, crate, maturin_env))
            n += 1
            elapsed, verdict = watched.save_and_wait(n)
            save_to_verdict.append(elapsed)
            starts.append(verdict.timings["start_s"])
            builds.append(verdict.timings["build_s"])
            time.sleep(0.2)

    apply_solution(ws, second)
    init_workspace(ws, course)
    other = session.check(second, lambda e: None)
    session.close()

    print()
    print("one-line edit, hello-world (already built):")
    print(f"  bare `cargo build`            {fmt(bare)}")
    if maturin_builds:
        print(f"  `maturin build` (wheel)       {fmt(maturin_builds)}")
    print(f"  save → verdict                {fmt(save_to_verdict)}")
    print(f"    of which build (tutor)      {fmt(builds)}")
    print(f"    of which start of run       {fmt(starts)}")
    ratio = statistics.median(save_to_verdict) / statistics.median(bare)
    print(f"  ratio save→verdict / bare cargo build (medians): {ratio:.2f}×")
    if maturin_builds:
        ratio = statistics.median(maturin_builds) / statistics.median(bare)
        print(f"  ratio maturin build / bare cargo build (medians): {ratio:.2f}×")
    print()
    print(
        f"first build of a second step (basic-qa): {other.timings['build_s']:.3f} s "
        f"[{other.verdict}]"
    )
    print()
    print(
        "targets: save→verdict median ≤ 1.0 s and ≤ 4× bare; second step first build ≤ 2 s; "
        "start ≤ 150 ms median"
    )


if __name__ == "__main__":
    main()
