"""The app's two speed figures (issue 3), on this machine:

1. first frame: from launching `pyo3dspy-tutor` (no arguments: settings, course,
   workspace lock, TutorApp with engine, watcher and doctor) to the first frame of the
   main screen with the step's file in the editor, headless, in a fresh process each
   run; and whether dspy was imported by then. Target: ≤ 0.6 s median on a 2-core
   machine, dspy not imported.
2. save → verdict: a one-line edit of hello-world (solution applied, already built),
   written from outside as a learner's own editor would, timed
     * headless: the engine alone (Rebuilder + watcher thread, as `watch` runs it),
     * in the app: the real TutorApp (headless terminal), until the verdict is painted
       in the status line,
   in the same workspace, alternately. Target: app ≤ engine + 50 ms (medians).

    python benchmarks/app_speed.py [--frames 5] [--runs 10] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from watched_step import WatchedStep, edit

from tutor.app.app import AppOptions, TutorApp
from tutor.config import Settings
from tutor.course import Course, bundled_course_dir, load_course
from tutor.events import Verdict
from tutor.session import Session
from tutor.workspace import Workspace
from tutor.workspace.backups import apply_solution
from tutor.workspace.setup import init_workspace

CHILD = r"""
import sys, time, json
launched = float(sys.argv[1])
from textual.app import App
from tutor.app.app import TutorApp
from tutor import cli

# The app fills the screen (show_step) once its widgets are mounted, and starts the
# engine, the watcher and the doctor right after the next frame: that frame is the one
# timed here, and it must show the step's file in the editor.
filled = {}
original_show = TutorApp.show_step
def show_step(self):
    original_show(self)
    filled.setdefault("at", time.time())
def after_first_frame(self):
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"ready": filled["at"] - launched, "painted": time.time() - launched,
                      "cpu": usage.ru_utime + usage.ru_stime,
                      "editor_filled": bool(self.main.editor.text),
                      "dspy_imported": "dspy" in sys.modules}), flush=True)
    self.exit()
TutorApp.show_step = show_step
TutorApp._start_background = after_first_frame
TutorApp.run = lambda self, **kw: App.run(self, headless=True, size=(120, 40))
sys.exit(cli.main([]))
"""


def fmt(values: list[float]) -> str:
    return (
        f"median {statistics.median(values) * 1000:7.1f} ms  "
        f"(min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f}, n={len(values)})"
    )


def first_frame(runs: int, tmp: Path) -> None:
    env = dict(os.environ)
    env["PYO3DSPY_TUTOR_WORKSPACE"] = str(tmp / "frame-ws")
    env.setdefault("PYO3DSPY_TUTOR_CONFIG", str(tmp / "config.toml"))
    painted: list[float] = []
    cpu: list[float] = []
    for i in range(runs):
        launched = time.time()
        done = subprocess.run(
            [sys.executable, "-c", CHILD, repr(launched)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        lines = [x for x in done.stdout.splitlines() if x.startswith("{")]
        if not lines:
            raise SystemExit(f"the app did not start:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        result = json.loads(lines[-1])
        painted.append(result["painted"])
        cpu.append(result["cpu"])
        print(
            f"  run {i + 1}: screen filled {result['ready']:.3f} s, first frame "
            f"{result['painted']:.3f} s (CPU {result['cpu']:.3f} s; editor filled: "
            f"{result['editor_filled']}), "
            f"dspy imported: {result['dspy_imported']}"
            + ("  (creates the workspace)" if i == 0 else "")
        )
    print(f"first frame: {fmt(painted)} ({os.cpu_count()} CPUs); target ≤ 600 ms")
    # CPU time is what the app itself spends; wall time also counts waiting for a CPU
    # when other processes share the machine.
    print(f"  CPU time of the app's process to that frame: {fmt(cpu)}")


def headless_round(session: Session, course: Course, ws: Workspace, n0: int, runs: int):
    """The engine alone: save → Verdict event, with the same watcher settings."""
    step = course.step("hello-world")
    times = []
    with WatchedStep(session, step, ws.crate_dir(step)) as watched:
        for n in range(n0, n0 + runs):
            times.append(watched.save_and_wait(n)[0])
            time.sleep(0.3)
    return times


async def app_round(root: Path, course: Course, n0: int, runs: int) -> list[float]:
    """The real app: save → verdict painted in the status line."""
    ws = Workspace(root)
    progress = init_workspace(ws, course)
    step = course.step(progress.current)
    lib = ws.crate_dir(step) / step.files[0]
    options = AppOptions(doctor=False, check_on_start=True, cursor_blink=False)
    app = TutorApp(Settings(workspace=root), course, ws, progress, options=options)
    painted: list[float] = []
    on_verdict = app._on_verdict

    def timed_verdict(v: Verdict) -> None:
        on_verdict(v)
        if v.reason != "cancelled":
            app.call_after_refresh(lambda: painted.append(time.perf_counter()))

    app._on_verdict = timed_verdict  # type: ignore[method-assign]
    times = []
    async with app.run_test(size=(120, 40)):
        while not painted:  # the check on open
            await asyncio.sleep(0.05)
        for n in range(n0, n0 + runs):
            before = len(painted)
            await asyncio.sleep(0.3)
            saved = time.perf_counter()
            edit(lib, n)
            while len(painted) == before:
                await asyncio.sleep(0.005)
                if time.perf_counter() - saved > 60:
                    raise SystemExit("no verdict within 60 s")
            verdict = app.main.status.verdict
            assert verdict is not None and verdict.verdict == "pass", verdict
            times.append(painted[-1] - saved)
    return times


def save_to_verdict(root: Path, runs: int) -> None:
    course = load_course(bundled_course_dir())
    ws = Workspace(root)
    init_workspace(ws, course)
    step = course.step("hello-world")
    apply_solution(ws, step)
    session = Session(course, ws, {"model": "offline", "api_base": None})
    session.runner.warm()
    t0 = time.perf_counter()
    first = session.check(step, lambda e: None)
    print(f"first check of hello-world: {time.perf_counter() - t0:.2f} s [{first.verdict}]")
    headless: list[float] = []
    in_app: list[float] = []
    n = 0
    for _ in range(2):  # alternate, so both see the same machine state
        headless += headless_round(session, course, ws, n, runs // 2 or 1)
        n += runs
        in_app += asyncio.run(app_round(root, course, n, runs // 2 or 1))
        n += runs
    session.close()
    added = statistics.median(in_app) - statistics.median(headless)
    print("save → verdict, one-line edit of hello-world (already built):")
    print(f"  engine alone (headless)       {fmt(headless)}")
    print(f"  in the app, verdict on screen {fmt(in_app)}")
    verdict = "met" if added <= 0.05 else "NOT met"
    print(f"  the app adds {added * 1000:.0f} ms (medians); target ≤ 50 ms: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=5, help="first-frame runs")
    parser.add_argument("--runs", type=int, default=10, help="save → verdict rounds")
    parser.add_argument("--workspace", type=Path, help="default: a fresh temp dir")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tutor-app-bench-"))
    print(f"python {sys.version.split()[0]}; scratch {tmp}")
    if args.frames:
        first_frame(args.frames, tmp)
    if args.runs:
        save_to_verdict(args.workspace or tmp / "ws", args.runs)


if __name__ == "__main__":
    main()
