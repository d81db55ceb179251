"""What the binary-step import hook costs a program that never imports dspy (issue 8).

``lesson_api.run_binary`` puts ``tutor/embed/site`` first on the program's PYTHONPATH;
its ``sitecustomize`` only registers an import hook. This starts ``python -c pass`` with
and without it, alternately, and prints the medians, plus what the hook costs once
dspy is imported (connecting and configuring, without a check: no socket to reach).

    python benchmarks/embed_hook_start.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from tutor.embed import SITE_DIR


def start_ms(pythonpath: list[str], code: str) -> float:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(pythonpath))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return (time.perf_counter() - started) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    hooked = [str(SITE_DIR), *paths]
    for label, code in (("no dspy", "pass"), ("import dspy", "import dspy")):
        plain, with_hook = [], []
        for _ in range(args.runs if code == "pass" else max(3, args.runs // 5)):
            plain.append(start_ms(paths, code))
            with_hook.append(start_ms(hooked, code))
        print(
            f"{label:12} without hook {statistics.median(plain):7.1f} ms   "
            f"with hook {statistics.median(with_hook):7.1f} ms"
        )


if __name__ == "__main__":
    main()
