"""The command-line face: the app (default), init, check, doctor, watch and step chores.

Every command goes through the headless core; expected problems print one clear
message (file, line, fix) and exit 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from tutor import __version__
from tutor.advice import after_pass, command
from tutor.cache import announce_new, lesson_checks_workspace, run_cache
from tutor.coach import NoteLog
from tutor.config import APP, Settings, load_settings
from tutor.console import TutorConsole, markup
from tutor.course import Course, Step, bundled_course_dir, load_course
from tutor.errors import TutorError
from tutor.events import Event, Verdict
from tutor.fserrors import disk_error
from tutor.inspect import command as inspect_command
from tutor.junit import json_report, write_junit
from tutor.lint import command as lint_command
from tutor.lm import command as lm_command
from tutor.report import Printer, print_lesson
from tutor.workspace import Workspace
from tutor.workspace.backups import apply_solution, list_backups, reset_step, restore
from tutor.workspace.hints import reveal_hint
from tutor.workspace.lock import WorkspaceLock
from tutor.workspace.progress import Progress, load_progress, save_progress
from tutor.workspace.setup import init_workspace

out = TutorConsole()
err = TutorConsole(stderr=True)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config, args.workspace, args.lessons, args.lm)
        # lint, lm and inspect work without (or on a broken) course: they load what they need
        needs_course = getattr(args, "needs_course", True)
        course = load_course(settings.lessons or bundled_course_dir()) if needs_course else None
        handler: Callable[[argparse.Namespace, Settings, Course | None], int] = args.handler
        return handler(args, settings, course)
    except TutorError as e:
        err.print(markup("[red]error:[/] {}", e))
        return 2
    except OSError as e:  # a write the boundaries above did not name: still one message
        problem = disk_error(e)
        if problem is None:
            raise
        err.print(markup("[red]error:[/] {}", problem))
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=APP,
        description="Learn to drive DSPy from Rust through PyO3. With no command, opens the app.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument(
        "--workspace",
        type=Path,
        help="the learner workspace (default ~/pyo3dspy-tutor; env PYO3DSPY_TUTOR_WORKSPACE)",
    )
    p.add_argument(
        "--lessons",
        type=Path,
        help="a course folder (default: the bundled course; env PYO3DSPY_TUTOR_LESSONS)",
    )
    p.add_argument(
        "--lm",
        help="'offline' (default) or a provider model such as "
        "openai/gpt-4o-mini (env PYO3DSPY_TUTOR_LM); keys come from the environment",
    )
    p.add_argument("--config", type=Path, help="config file (env PYO3DSPY_TUTOR_CONFIG)")
    p.set_defaults(handler=cmd_app)
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    s = sub.add_parser("init", help="create a workspace and scaffold the first step")
    s.add_argument("dir", nargs="?", type=Path, help="where (default: the workspace setting)")
    s.set_defaults(handler=cmd_init)

    s = sub.add_parser(
        "watch", help="rebuild and check the current step on every save, without the app"
    )
    s.add_argument("--once", action="store_true", help="check once and exit")
    s.set_defaults(handler=cmd_watch)

    s = sub.add_parser("check", help="build and check steps; exit 0 only if all pass")
    s.add_argument("steps", nargs="*", metavar="STEP", help="step ids (default: current step)")
    s.add_argument("--all", action="store_true", help="every step of the course")
    which = s.add_mutually_exclusive_group()
    which.add_argument(
        "--solutions", action="store_true", help="check the reference solutions (each must pass)"
    )
    which.add_argument(
        "--starters",
        action="store_true",
        help="check the starter files (each must fail: a lesson test)",
    )
    s.add_argument("--junit", type=Path, metavar="FILE", help="also write a JUnit XML report")
    s.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    s.add_argument("-v", "--verbose", action="store_true", help="show build log and output")
    s.set_defaults(handler=cmd_check)

    s = sub.add_parser(
        "record",
        help="for lesson authors: run a step's solution with the "
        "configured LM (--lm) and save its LM answers as the step's cassette",
    )
    s.add_argument("steps", nargs="+", metavar="STEP")
    s.set_defaults(handler=cmd_record)

    s = sub.add_parser("doctor", help="check the toolchain, Python and LM set-up")
    s.set_defaults(handler=cmd_doctor)

    s = sub.add_parser("cache", help="where lesson checks build, and how big it is")
    s.add_argument("--clean", action="store_true", help="remove the lesson-check builds")
    s.set_defaults(handler=lambda a, _s, _c: run_cache(a.clean, out))

    s = sub.add_parser("list", help="the course's steps and your progress")
    s.set_defaults(handler=cmd_list)

    s = sub.add_parser("hint", help="show the next hint for a step (works while a tutor runs)")
    s.add_argument("step", nargs="?")
    s.set_defaults(handler=cmd_hint)

    s = sub.add_parser("show", help="print a step's lesson text (works while a tutor runs)")
    s.add_argument("step", nargs="?")
    s.set_defaults(handler=cmd_show)

    s = sub.add_parser("goto", help="make STEP the current step")
    s.add_argument("step")
    s.set_defaults(handler=cmd_goto)

    for name, helptext in (
        ("reset", "put the starter files back (your files are backed up)"),
        ("solution", "apply the reference solution (your files are backed up)"),
    ):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("step", nargs="?")
        s.set_defaults(handler=cmd_replace, action=name)

    s = sub.add_parser("restore", help="restore a backup of a step (latest by default)")
    s.add_argument("step", nargs="?")
    s.add_argument("--backup", type=Path, help="a folder listed by `restore --list`")
    s.add_argument("--list", action="store_true", help="list the step's backups")
    s.set_defaults(handler=cmd_restore)

    lint_command.register(sub)
    lm_command.register(sub)
    inspect_command.register(sub)
    return p


# -- helpers --------------------------------------------------------------------------


def _workspace(settings: Settings, course: Course, *, create: bool) -> Workspace:
    ws = Workspace(settings.workspace)
    if not ws.exists():
        if not create:
            raise TutorError(
                f"no workspace at {ws.root}", fix=f"run `{command(settings, 'init')}` first"
            )
        out.print(markup("Creating your workspace in [bold]{}[/]", ws.root))
    _say_notices(init_workspace(ws, course))
    return ws


def _say_notices(progress: Progress) -> None:
    for notice in progress.notices:
        _say(notice)


def _say(notice: str) -> None:
    err.print(markup("[yellow]note:[/] {}", notice))


def _step_arg(course: Course, ws: Workspace, step_id: str | None) -> Step:
    return course.step(step_id or load_progress(ws.state_file).current)


def _scratch_workspace(settings: Settings, course: Course) -> Workspace:
    """Where lesson checks build: the learner's workspace if there is one or one was
    named (its compiled PyO3 is reused; no learner file is touched), else the cache."""
    ws = Workspace(settings.workspace)
    if ws.exists() or settings.workspace_chosen:
        return ws
    ws = lesson_checks_workspace(course.id)
    announce_new(ws, err)
    return ws


def _lm_settings(settings: Settings) -> dict[str, str | None]:
    return {"model": settings.lm.model, "api_base": settings.lm.api_base}


# -- commands -------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, settings: Settings, course: Course) -> int:
    if args.dir:
        settings.workspace = args.dir.expanduser().resolve()
    ws = Workspace(settings.workspace)
    existed = ws.exists()
    with WorkspaceLock(ws.lock_file):
        progress = init_workspace(ws, course)
    _say_notices(progress)
    step = course.step(progress.current)
    verb = "Reopened" if existed else "Created"
    out.print(markup("{} workspace [bold]{}[/] for “{}”.", verb, ws.root, course.title))
    edit = ws.crate_dir(step) / step.files[0]
    out.print(markup("Current step: [bold]{}[/] — edit {}", step.title, edit))
    out.print(markup("Start with: [bold]{}[/]", command(settings)))
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings, course: Course) -> int:
    from tutor.session import Session

    variant = "solution" if args.solutions else "starter" if args.starters else "learner"
    expected = "fail" if args.starters else "pass"
    if variant == "learner":
        ws = _workspace(settings, course, create=False)
        lock = WorkspaceLock(ws.lock_file)
        lock.acquire()
    else:
        ws = _scratch_workspace(settings, course)
        lock = WorkspaceLock(ws.meta / f"lock-{variant}")
        lock.acquire()
    try:
        if args.all:
            steps = course.steps()
        elif args.steps:
            steps = [course.step(s) for s in args.steps]
        else:
            steps = [_step_arg(course, ws, None)]
        coach_log = NoteLog()  # the coach's notes per step, for --json
        printer: Callable[[Event], None] = (
            coach_log if args.json else Printer(out, verbose=args.verbose)
        )
        session = Session(course, ws, _lm_settings(settings), settings.limits.memory_mib)
        results: list[tuple[Verdict, bool]] = []
        coaching: list[list[dict]] = []
        try:
            for step in steps:
                verdict = session.check(step, printer, variant=variant)
                results.append((verdict, verdict.verdict == expected))
                coaching.append(coach_log.take())
                if variant == "learner":
                    progress = load_progress(ws.state_file)
                    progress.record_verdict(step.id, verdict.verdict)
                    save_progress(ws.state_file, progress)
        finally:
            session.close()
    finally:
        lock.release()
    if args.junit:
        write_junit(args.junit, f"{course.id}-{variant}", results)
    ok = all(good for _, good in results)
    if args.json:
        print(json.dumps(json_report(course.id, variant, expected, results, coaching), indent=2))
    elif variant != "learner":
        bad = [v.step_id for v, good in results if not good]
        what = "solutions pass" if expected == "pass" else "starters fail"
        if bad:
            out.print(
                markup(
                    "[red]{} of {} steps broken[/] (every {} must {}): {}",
                    len(bad),
                    len(results),
                    what[:-5],
                    expected,
                    ", ".join(bad),
                )
            )
        else:
            out.print(markup("[green]All {} {}.[/]", len(results), what))
    return 0 if ok else 1


def cmd_record(args: argparse.Namespace, settings: Settings, course: Course) -> int:
    from tutor.session import Session
    from tutor.workspace.cassettes import install_cassette

    if settings.lm.model == "offline":
        out.print(
            markup(
                "[yellow]Recording the offline LM's own answers; use --lm PROVIDER/MODEL "
                "to record a real model.[/]"
            )
        )
    ws = _scratch_workspace(settings, course)
    steps = [course.step(s) for s in args.steps]
    session = Session(course, ws, _lm_settings(settings), settings.limits.memory_mib)
    failures = 0
    try:
        for step in steps:
            recorded = ws.meta / f"recorded-{step.id}.jsonl"
            verdict = session.check(step, Printer(out), variant="solution", record_to=recorded)
            if verdict.verdict != "pass" or not recorded.exists():
                out.print(
                    markup(
                        "[red]Not recorded:[/] the solution of {} did not pass "
                        "with this LM, so its answers would not teach the step.",
                        step.id,
                    )
                )
                failures += 1
                continue
            n = len(recorded.read_text().splitlines())
            target, backup = install_cassette(step, recorded)
            out.print(
                f"Recorded {n} LM answer(s) to {target}"
                + (f" (previous cassette kept as {backup.name})" if backup else "")
            )
    finally:
        session.close()
    return 1 if failures else 0


def cmd_doctor(args: argparse.Namespace, settings: Settings, course: Course) -> int:
    from tutor.doctor import run_doctor

    return run_doctor(settings, course, out)


def cmd_list(args: argparse.Namespace, settings: Settings, course: Course) -> int:
    ws = _workspace(settings, course, create=False)
    progress = load_progress(ws.state_file)
    for module in course.modules:
        done = sum(1 for s in module.steps if s.id in progress.done)
        out.print(markup("[bold]{}[/]  {}/{}", module.title, done, len(module.steps)))
        for step in module.steps:
            state = progress.steps.get(step.id)
            mark = (
                "✓ done"
                if step.id in progress.done
                else "✗ failing"
                if state and state.last_verdict in ("fail", "error")
                else "· to do"
            )
            here = " ← current" if step.id == progress.current else ""
            out.print(f"  {mark:10} {step.id:24} {step.title}{here}")
    return 0


def cmd_hint(args: argparse.Namespace, settings: Settings, course: Course) -> int:
    ws = _workspace(settings, course, create=False)
    step = _step_arg(course, ws, args.step)
    reveal = reveal_hint(ws, step)  # no workspace lock: see tutor/workspace/hints.py
    for i, hint in enumerate(step.hints[: reveal.shown], 1):
        out.print(f"Hint {i}/{reveal.total}: {hint}")
    if reveal.past_last:
        out.print(
            f"That was the last hint for {step.id}. Still stuck? "
            f"`{command(settings, 'solution', step.id)}` puts the answer in place "
            "(your files are backed up first)."
        )
    if reveal.unsaved:
        err.print(markup("[yellow]note:[/] hint shown but not remembered: {}", reveal.unsaved))
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings, course: Course) -> int:
    ws = _workspace(settings, course, create=False)
    step = _step_arg(course, ws, args.step)
    print_lesson(out, step, ws.crate_dir(step))
    return 0


def cmd_goto(args: argparse.Namespace, settings: Settings, course: Course) -> int:
    ws = _workspace(settings, course, create=False)
    step = course.step(args.step)
    with WorkspaceLock(ws.lock_file):
        progress = load_progress(ws.state_file)
        progress.current = step.id
        save_progress(ws.state_file, progress)
        init_workspace(ws, course)
    out.print(markup("Current step: [bold]{}[/] ({})", step.title, ws.crate_dir(step)))
    return 0


def cmd_replace(args: argparse.Namespace, settings: Settings, course: Course) -> int:
    ws = _workspace(settings, course, create=False)
    step = _step_arg(course, ws, args.step)
    with WorkspaceLock(ws.lock_file):
        saved = (reset_step if args.action == "reset" else apply_solution)(ws, step, _say)
    what = "starter files" if args.action == "reset" else "reference solution"
    out.print(f"Put the {what} of {step.id} in place.")
    if saved:
        out.print(
            f"Your previous files are saved in {saved} "
            f"(bring them back with `{command(settings, 'restore', step.id)}`)."
        )
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings, course: Course) -> int:
    ws = _workspace(settings, course, create=False)
    step = _step_arg(course, ws, args.step)
    backups = list_backups(ws, step)
    if args.list:
        for b in backups:
            out.print(str(b))
        return 0
    chosen = args.backup or (backups[-1] if backups else None)
    if chosen is None or not chosen.is_dir():
        raise TutorError(
            f"no backup to restore for {step.id}",
            fix=f"list them with `{command(settings, 'restore', step.id, '--list')}`",
        )
    with WorkspaceLock(ws.lock_file):
        saved = restore(ws, step, chosen, _say)
    out.print(
        f"Restored {chosen.name}." + (f" The files it replaced are in {saved}." if saved else "")
    )
    return 0


def cmd_app(args: argparse.Namespace, settings: Settings, course: Course) -> int:
    """The Textual app on the learner's workspace: the default command."""
    from tutor.app.app import TutorApp
    from tutor.app.keymap_config import validate_keymap

    validate_keymap(settings)  # a key that would silently do nothing is an error, first
    ws = Workspace(settings.workspace)
    created = not ws.state_file.exists()
    lock = WorkspaceLock(ws.lock_file)
    lock.acquire()  # a second tutor on this workspace stops here, with the message
    app: TutorApp | None = None
    try:
        progress = init_workspace(ws, course)
        app = TutorApp(settings, course, ws, progress, created=created)
        app.run()
    finally:
        if app is not None:
            app.shutdown_engine()
        lock.release()
    return app.return_code or 0


def cmd_watch(args: argparse.Namespace, settings: Settings, course: Course) -> int:
    """Headless rustlings-style loop on the current step (the app's engine, printed)."""
    from tutor.rebuilder import Rebuilder, watch_changes
    from tutor.session import Session

    ws = _workspace(settings, course, create=True)
    once = bool(getattr(args, "once", False))
    with WorkspaceLock(ws.lock_file):
        progress = load_progress(ws.state_file)
        step = course.step(progress.current)
        crate = ws.crate_dir(step)
        session = Session(course, ws, _lm_settings(settings), settings.limits.memory_mib)
        printer = Printer(out)

        def on_event(event: Event) -> None:
            printer(event)
            if isinstance(event, Verdict) and event.reason != "cancelled":
                p = load_progress(ws.state_file)
                p.record_verdict(event.step_id, event.verdict)
                save_progress(ws.state_file, p)
                if event.verdict == "pass":
                    out.print(after_pass(settings, course, event.step_id, watching=not once))

        rebuilder = Rebuilder(session, on_event)
        out.print(markup("[bold]{}[/] — {}", step.title, step.goal))
        out.print(f"Lesson: {step.readme}  (or `{command(settings, 'show')}`)")
        for rel in step.files:
            out.print(f"Edit:   {crate / rel}")
        rebuilder.request(step)
        if once:
            try:
                rebuilder.wait()
            finally:  # Ctrl-C included: cancel the build (cargo, rustc) and wait for it
                rebuilder.stop()
                session.close()
            verdict = rebuilder.last_verdict
            return 0 if verdict and verdict.verdict == "pass" else 1
        out.print(
            markup(
                "[dim]Watching for saves. Ctrl-C to quit; `{}` in another terminal for a hint.[/]",
                command(settings, "hint"),
            )
        )
        stop = threading.Event()
        try:
            for _ in watch_changes(crate, step, stop):
                rebuilder.request(step)
        finally:
            stop.set()
            rebuilder.stop()
            session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
