"""The `lint` command: argument registration and output (text or --json)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tutor.console import markup
from tutor.lint.build_rules import WARM_CHECK_LIMIT_S
from tutor.lint.findings import RULES


def register(sub: Any) -> None:
    s = sub.add_parser(
        "lint",
        help="check a course against the course guide (exit 1 on findings)",
        description="Check a course (default: the bundled one, or --lessons) against the "
        "course guide. One line per finding: file:line: RULE-ID what to do. Exit 0 when "
        "clean, 1 on findings, 2 when the tutor itself could not lint. Rules: "
        + "; ".join(f"{k}: {v}" for k, v in RULES.items()),
    )
    s.add_argument(
        "--lessons", dest="lint_lessons", type=Path, metavar="DIR", help="the course to lint"
    )
    s.add_argument("--json", action="store_true", help="print one JSON object (for CI)")
    s.add_argument(
        "--no-build",
        action="store_true",
        help="static rules only (seconds): skip building starters, solutions and README code",
    )
    s.add_argument(
        "--warm-limit",
        type=float,
        default=WARM_CHECK_LIMIT_S,
        metavar="SECONDS",
        help=f"slow-check limit for a step's warm check (default {WARM_CHECK_LIMIT_S:g})",
    )
    s.set_defaults(handler=cmd_lint, needs_course=False)


def cmd_lint(args: argparse.Namespace, settings: Any, _course: object) -> int:
    from tutor.cli import _lm_settings, _scratch_workspace, err
    from tutor.course import bundled_course_dir, load_course
    from tutor.errors import FileError
    from tutor.lint import LintOptions, lint_course
    from tutor.workspace.lock import WorkspaceLock

    root = (args.lint_lessons or settings.lessons or bundled_course_dir()).expanduser().resolve()
    options = LintOptions(build=not args.no_build, warm_limit_s=args.warm_limit)
    locks: list[WorkspaceLock] = []
    if options.build:
        try:
            course = load_course(root)
        except FileError:
            course = None  # reported as a `format` finding below; nothing to build
            options.build = False
        if course is not None:
            ws = _scratch_workspace(settings, course)
            locks = [WorkspaceLock(ws.meta / f"lock-{v}") for v in ("solution", "starter")]
            options.workspace = ws
            options.lm_settings = _lm_settings(settings)
            if not args.json:
                options.progress = lambda m: err.print(markup("[dim]lint: {}[/]", m))
    for lock in locks:
        lock.acquire()
    try:
        findings = lint_course(root, options)
    finally:
        for lock in locks:
            lock.release()
    if args.json:
        print(
            json.dumps(
                {
                    "lessons": str(root),
                    "built": options.build,
                    "ok": not findings,
                    "findings": [f.to_dict() for f in findings],
                },
                indent=2,
            )
        )
    else:
        for f in findings:
            sys.stdout.write(f.text() + "\n")
        sys.stdout.flush()
        summary = f"{len(findings)} finding{'s' * (len(findings) != 1)}" if findings else "clean"
        scope = "" if options.build else " (static rules only: --no-build)"
        err.print(f"lint: {root}: {summary}{scope}")
    return 1 if findings else 0
