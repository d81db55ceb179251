"""TutorApp: the Textual face on the headless core.

The app owns the learner's session: the current step, progress and the engine
(``EngineLink``). The engine's events wait in a queue; a timer on the UI thread hands them
to the ``EventFeed`` in time-boxed batches (every 50 ms, every 250 ms while a check runs;
at once for a build start or a verdict), so 50,000 lines of output never become 50,000
messages.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, SuspendNotSupported, SystemCommand
from textual.content import Content
from textual.markup import escape
from textual.notifications import Notification, Notify, SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Tab, Tabs
from textual.worker import Worker, WorkerState

from tutor.app.commands import TutorCommands
from tutor.app.engine_link import EngineLink
from tutor.app.event_feed import EventFeed
from tutor.app.keymap import BINDINGS, COMMANDS, action_name, check_keymap, keys_for
from tutor.app.messages import EngineMilestone, FileSaved, JumpTo, StepChosen
from tutor.app.screens.confirm import ConfirmScreen
from tutor.app.screens.main import MainScreen
from tutor.app.themes import DEFAULT_THEME, load_themes, theme_dirs
from tutor.app.toasts import to_drop
from tutor.app.widgets.lesson_tree import step_state
from tutor.app.widgets.lesson_view import lesson_markdown
from tutor.app.widgets.problems import from_verdict
from tutor.config import ENV_CONFIG, Settings, default_config_path, update_config_file
from tutor.course.model import Course, Step
from tutor.errors import TutorError
from tutor.events import Event, Verdict
from tutor.lm.settings import OFFLINE, LMSettings, describe, missing_key, provider_of
from tutor.workspace import Workspace
from tutor.workspace.backups import apply_solution, backup, reset_step
from tutor.workspace.progress import Progress, save_progress
from tutor.workspace.setup import init_workspace

DRAIN_INTERVAL_S = 0.05
# While a check runs, streamed output is drawn 4× a second: every repaint takes the GIL
# from the engine's thread, and drawing at 20 Hz made a 0.25 s check ~65 ms slower.
BUSY_DRAIN_INTERVAL_S = 0.25
DRAIN_BUDGET_S = 0.03  # UI time per tick for rendering events; the rest wait for the next
DRAIN_CHUNK = 500


@dataclass
class AppOptions:
    """Switches for tests and benchmarks; the defaults are what a learner gets."""

    engine: bool = True  # create the Session and Rebuilder (False: feed events by hand)
    watch_files: bool = True  # watch the step's files (rebuild on save)
    check_on_start: bool = True  # check the step when it opens (while watching)
    doctor: bool = True  # run the doctor in the background at start
    # …this long after the first frame: the runner's warm-up (a dspy import in a child)
    # goes first, so the two do not starve the UI of CPU together on a 2-core machine.
    doctor_delay_s: float = 2.0
    cursor_blink: bool = True
    clock: Callable[[], float] = time.monotonic
    theme_dirs: list[Path] | None = None  # default: bundled + the user's themes folder


class TutorApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "pyo3dspy-tutor"
    BINDINGS = BINDINGS
    COMMANDS = App.COMMANDS | {TutorCommands}

    def __init__(
        self,
        settings: Settings,
        course: Course,
        workspace: Workspace,
        progress: Progress,
        *,
        options: AppOptions | None = None,
        created: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.course = course
        self.workspace = workspace
        self.progress = progress
        self.options = options or AppOptions()
        self.created = created
        self.step: Step = course.step(progress.current)
        self.watching = settings.watch == "auto"
        self.lm = LMSettings(model=settings.lm.model, api_base=settings.lm.api_base)
        self._events: deque[Event] = deque()  # from the engine or feed(), not drawn yet
        self.engine = EngineLink(self, self._events)
        self.phase: str | None = None
        self.file_index = 0
        self._tabs_generation = 0
        self.ready = False  # the main screen's widgets are mounted and filled
        self._check_wanted = False
        self._quiet_check = False
        self._last_drain = 0.0
        self._watch_stop: threading.Event | None = None
        self._ticker: Timer | None = None
        self._notes = [(m, "warning") for m in check_keymap(settings.keymap)]  # shown on mount
        self._notes += [(m, "warning") for m in progress.notices]
        self._load_themes()
        self.set_keymap(settings.keymap)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Always plain text, whoever asks (``Widget.notify`` passes ``markup=True``): hints,
        paths and errors are full of brackets ("#[pyfunction]", "[[lm.script]]")."""
        del markup
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def on_notify(self, event: Notify) -> None:
        """Runs before Textual shows the toast: take down the ones it replaces."""
        for old in to_drop(list(self._notifications), event.notification):
            self._unnotify(old, refresh=False)

    def _unnotify(self, notification: Notification, refresh: bool = True) -> None:
        super()._unnotify(notification, refresh)
        # Repaint once the toast is gone, so no character of it stays behind on a pane
        # that did not change meanwhile.
        self.set_timer(0.05, self.screen.refresh)

    # -- set-up ------------------------------------------------------------------------

    def _load_themes(self) -> None:
        loaded = load_themes(self.options.theme_dirs or theme_dirs())
        for theme in loaded.themes:
            self.register_theme(theme)
        for problem in loaded.problems:
            self._notes.append((f"Theme file skipped: {problem}", "warning"))
        wanted = self.settings.theme
        if wanted not in self.available_themes:
            fallback = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
            self._notes.append(
                (
                    f"Theme {wanted!r} is not available; using {fallback}. "
                    f"Themes: {', '.join(self.theme_names())}.",
                    "warning",
                )
            )
            wanted = fallback
        self.theme = wanted

    def theme_names(self) -> list[str]:
        return sorted(n for n in self.available_themes if n.startswith("tutor-")) + sorted(
            n for n in self.available_themes if not n.startswith("tutor-")
        )

    def get_default_screen(self) -> MainScreen:
        self._main = MainScreen(self.course, self.progress, self.options.clock)
        # Bound at run time, not in __init__: benchmarks wrap `_on_verdict` before running.
        self._feed = EventFeed(self._main, set_phase=self._set_phase, on_verdict=self._on_verdict)
        return self._main

    @property
    def main(self) -> MainScreen:
        return self._main

    @on(MainScreen.Ready)
    def _main_ready(self) -> None:
        main = self.main
        status = main.status
        status.lm = describe(self.lm)
        status.watching = self.watching
        status.check_key = self.key_label("check.run")
        main.editor.save_key = self.key_label("editor.save")
        main.editor.before_overwrite = self._back_up_disk_version
        if not self.options.cursor_blink:
            main.editor.cursor_blink = False
            main.query_one("#lesson-filter").cursor_blink = False  # type: ignore[attr-defined]
        self.show_step()
        self.set_interval(DRAIN_INTERVAL_S, self._tick)
        self._ticker = self.set_interval(0.2, status.show, pause=True)
        for message, severity in self._notes:
            self.notify(message, severity=severity, timeout=12)  # type: ignore[arg-type]
        if self.created:
            self.notify(
                f"Created your workspace in {self.workspace.root}: each step's files live "
                "there, so your own editor works too.",
                title="Welcome",
                timeout=12,
            )
        main.set_lesson_width(self.settings.lesson_width)
        main.editor.focus()
        self.ready = True
        # The runner's fork, the watcher and the doctor's dspy import would compete with
        # the first frame for the GIL: start them once it is on screen.
        self.call_after_refresh(self._start_background)

    def _start_background(self) -> None:
        if self.options.engine:
            self._start_engine(opening=True)
        if self.watching and self.options.watch_files:
            self._start_watching()
        if self.options.doctor:
            self.set_timer(self.options.doctor_delay_s, lambda: self._run_doctor(startup=True))

    def key_label(self, binding_id: str) -> str:
        """The first key of a binding, as the learner should press it (after remapping)."""
        command = next(c for c in COMMANDS if c.id == binding_id)
        key = keys_for(command, self.settings.keymap).split(",")[0].strip()
        return key.upper() if key.startswith("f") and key[1:].isdigit() else key

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Ours replace Textual's theme picker (ours saves the choice) and quit.
        for command in super().get_system_commands(screen):
            if command.title not in ("Theme", "Quit"):
                yield command

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Our keys are priority bindings: under a dialog they must fall through to it.
        if action == "quit" or not any(action_name(c.action) == action for c in COMMANDS):
            return True
        return isinstance(self.screen, MainScreen)

    # -- the engine ----------------------------------------------------------------------

    def _start_engine(self, *, opening: bool = False) -> None:
        """A session and rebuilder; on opening, check the step (after an LM switch, only
        if the learner asked meanwhile: a real provider's calls cost money)."""
        self.engine.start(self.course, self.workspace, self.lm, self.settings.limits.memory_mib)
        auto = opening and self.watching and self.options.check_on_start
        if self._check_wanted or auto:
            self._quiet_check = not self._check_wanted
            self._check_wanted = False
            self.engine.request(self.step)

    def feed(self, events: list[Event]) -> None:
        """Hand events to the app as the engine would (tests, snapshots, benchmarks)."""
        self._events.extend(events)

    def request_check(self, *, quiet: bool = False) -> None:
        """Check the current step; ``quiet``: the automatic check of a step as it opens,
        whose verdict does not switch a narrow screen away from the lesson."""
        self._quiet_check = quiet
        if not self.engine.request(self.step):
            self._check_wanted = True
            if not self.options.engine:
                self.notify("The engine is off in this session.", severity="warning")

    def shutdown_engine(self) -> None:
        """Stop watching, cancel any check, close the runner. Safe to call twice."""
        if self._watch_stop is not None:
            self._watch_stop.set()
        self.engine.shutdown()

    def on_unmount(self) -> None:
        self.shutdown_engine()
        self._save_progress()  # a write deferred past the last frame is not lost

    def _save_progress(self) -> None:
        try:
            save_progress(self.workspace.state_file, self.progress)
        except OSError as e:
            self.notify(f"Progress not saved: {e}", severity="error")

    # -- events → panes ----------------------------------------------------------------

    def _tick(self) -> None:
        busy = self.phase is not None
        if not busy or time.perf_counter() - self._last_drain >= BUSY_DRAIN_INTERVAL_S:
            self.drain_events()

    def drain_events(self, budget_s: float = DRAIN_BUDGET_S) -> None:
        """Render queued events in chunks until the tick's time budget is spent."""
        if not self.ready:
            return
        self._last_drain = time.perf_counter()
        deadline = self._last_drain + budget_s
        while self._events:
            chunk: list[Event] = []
            while self._events and len(chunk) < DRAIN_CHUNK:
                chunk.append(self._events.popleft())
            self._render(chunk)
            if time.perf_counter() > deadline:
                break

    @on(EngineMilestone)
    def _milestone(self) -> None:
        self.drain_events()

    def _render(self, events: list[Event]) -> None:
        verdict = self._feed.render(events)
        if verdict is not None and verdict.reason != "cancelled":
            self._feed.reveal_pane(verdict, quiet=self._quiet_check)
            self._quiet_check = False

    def _set_phase(self, phase: str | None) -> None:
        self.phase = phase
        self.main.status.set_phase(phase)
        if self._ticker is not None:
            (self._ticker.resume if phase else self._ticker.pause)()

    def _on_verdict(self, v: Verdict) -> None:
        main = self.main
        self._set_phase(None)
        if v.reason == "cancelled":
            main.output.add_lines(["── check cancelled: a newer save replaced it"])
            return
        first_pass = v.verdict == "pass" and v.step_id not in self.progress.done
        step = next((s for s in self.course.steps() if s.id == v.step_id), None)
        before = step_state(self.progress, step) if step else None
        self.progress.record_verdict(v.step_id, v.verdict)
        if step is None or step_state(self.progress, step) != before:
            self._save_progress()
            main.lessons.update_progress(self.progress)
        else:  # only the attempt count changed: paint the verdict first, write after
            self.call_after_refresh(self._save_progress)
        if v.step_id != self.step.id:
            return
        if v.verdict != "pass" and not main.errors.error_count:
            main.errors.add([from_verdict(v)])  # e.g. a time limit: say so, not "no problems"
        note = ""
        nxt = self.course.next_step(v.step_id)
        if v.verdict == "pass":
            note = (
                f"step done — {self.key_label('step.next')}: next step"
                if nxt
                else "the course is complete!"
            )
        if first_pass:  # later passes only update the status line: no pile of toasts
            self.notify(
                f"✓ “{self.step.title}” passed. "
                + (
                    f"Press {self.key_label('step.next')} for “{nxt.title}”, or keep experimenting."
                    if nxt
                    else "That was the last step: well done!"
                ),
                title="Step done",
                timeout=10,
            )
        main.status.set_verdict(v, note)

    # -- the current step ----------------------------------------------------------------

    @property
    def current_file(self) -> str:
        return self.step.files[min(self.file_index, len(self.step.files) - 1)]

    def show_step(self) -> None:
        main = self.main
        step = self.step
        self._show_lesson()
        tabs = main.file_tabs
        tabs.clear()  # removal finishes later: new tabs need new ids
        self._tabs_generation += 1
        for i, rel in enumerate(step.files):
            tabs.add_tab(Tab(Content(rel), id=self._tab_id(i)))
        tabs.display = len(step.files) > 1
        self.file_index = 0
        self._open_current_file()
        main.lessons.update_progress(self.progress)
        main.status.set_verdict(None, f"{step.title}: {self._how_to_check()}")

    def _show_lesson(self, *, at_end: bool = False) -> None:
        if not self.ready:  # opening: paint the first frame first, then lay out the lesson
            self.call_after_refresh(self._show_lesson, at_end=at_end)
            return
        hints = self.progress.step(self.step.id).hints_shown
        source = lesson_markdown(self.step, hints, self.key_label("step.hint"))
        self.main.show_lesson(source, at_end=at_end)

    def _tab_id(self, index: int) -> str:
        return f"file-{self._tabs_generation}-{index}"

    def _how_to_check(self) -> str:
        if self.watching:
            return f"edit {self.current_file} and save ({self.key_label('editor.save')})"
        return f"edit {self.current_file}, save, then {self.key_label('check.run')} to check"

    def _open_current_file(self) -> None:
        rel = self.current_file
        self.main.editor.open(self.workspace.crate_dir(self.step) / rel, rel, self.step.title)

    @on(Tabs.TabActivated, "#file-tabs")
    def _file_tab(self, event: Tabs.TabActivated) -> None:
        index = int((event.tab.id or "0").rsplit("-", 1)[-1])
        if index != self.file_index:
            self._save_if_dirty()
            self.file_index = index
            self._open_current_file()

    def _back_up_disk_version(self, path: Path) -> None:
        """Saving over a change made outside the app: keep that version first."""
        saved = backup(self.workspace, self.step, "changed-outside")
        if saved is not None:
            self.notify(f"The version of {path.name} changed outside the app is in {saved}.")

    def _save_if_dirty(self) -> None:
        editor = self.main.editor
        if editor.dirty:
            editor.save()
            self.notify(f"Saved {editor.label}.")

    def go_to_step(self, step_id: str) -> None:
        if step_id == self.step.id:
            return
        self._save_if_dirty()
        self.progress.current = step_id
        try:
            save_progress(self.workspace.state_file, self.progress)
            self.progress = init_workspace(self.workspace, self.course)
        except (TutorError, OSError) as e:
            self.notify(f"Could not open the step: {e}", severity="error", timeout=12)
            return
        self.step = self.course.step(step_id)
        main = self.main
        main.errors.clear()
        self._feed.update_errors_tab()
        self.show_step()
        if self.watching and self.options.watch_files:
            self._start_watching()
        if self.watching and self.options.check_on_start:
            self.request_check(quiet=True)

    def choose_step(self, step_id: str) -> None:
        """Go to a step picked in the tree or the palette (asks before skipping ahead)."""
        steps = [s.id for s in self.course.steps()]
        target = self.course.step(step_id)
        ahead = steps.index(step_id) > steps.index(self.step.id)
        done = self.progress.done
        if not ahead or self.step.id in done or step_id in done:
            self.go_to_step(step_id)
            return
        self._confirm_skip(target)

    def _confirm_skip(self, target: Step) -> None:
        def answer(go: bool | None) -> None:
            if go:
                self.go_to_step(target.id)

        self.push_screen(
            ConfirmScreen(
                "Skip ahead?",
                f"“{self.step.title}” has not passed yet. Go to “{target.title}” anyway? "
                "Your work here stays as it is; come back any time.",
                yes="Go",
                no="Stay",
            ),
            answer,
        )

    @on(StepChosen)
    def _step_chosen(self, event: StepChosen) -> None:
        self.choose_step(event.step_id)

    @on(JumpTo)
    def _jump(self, event: JumpTo) -> None:
        if event.file in self.step.files and event.file != self.current_file:
            self.main.file_tabs.active = self._tab_id(self.step.files.index(event.file))
            self._save_if_dirty()
            self.file_index = self.step.files.index(event.file)
            self._open_current_file()
        elif event.file not in self.step.files:
            self.notify(f"{event.file} is not one of this step's files.", severity="warning")
            return
        self.main.editor.go_to(event.line, event.column)

    @on(FileSaved)
    def _saved(self, event: FileSaved) -> None:
        if not self.watching:
            self.main.status.set_verdict(
                self.main.status.verdict, f"saved — {self.key_label('check.run')} checks it"
            )

    # -- file watching -------------------------------------------------------------------

    def _start_watching(self) -> None:
        if self._watch_stop is not None:
            self._watch_stop.set()  # the old watcher returns within `step` ms
        self._watch_stop = threading.Event()
        self._watch(self.step, self._watch_stop)

    def _stop_watching(self) -> None:
        if self._watch_stop is not None:
            self._watch_stop.set()
            self._watch_stop = None

    @work(exclusive=True, group="watch", exit_on_error=False, description="watching files")
    async def _watch(self, step: Step, stop: threading.Event) -> None:
        import watchfiles  # not needed for the first frame

        from tutor.rebuilder import DEBOUNCE_MS, learner_filter

        crate = self.workspace.crate_dir(step)
        try:
            async for _changes in watchfiles.awatch(
                crate,
                debounce=DEBOUNCE_MS,
                step=10,
                rust_timeout=500,
                stop_event=stop,
                watch_filter=learner_filter(crate, step),
            ):
                if stop.is_set():
                    return
                self._files_changed(step)
        except Exception as e:  # inotify limits, NFS, WSL /mnt: offer manual mode
            if not stop.is_set():
                self._watching_failed(e)

    def _files_changed(self, step: Step) -> None:
        if step.id != self.step.id:
            return
        if self.watching:
            self.request_check()  # first: the build starts while the editor reloads
        self.main.editor.reload()

    def _watching_failed(self, error: Exception) -> None:
        self.watching = False
        self._watch_stop = None
        self.main.status.watching = False
        self.main.status.show()
        self.notify(
            f"Watching files failed ({type(error).__name__}: {error}). Switched to manual "
            f"mode: save, then press {self.key_label('check.run')} to check.",
            title="Manual mode",
            severity="warning",
            timeout=15,
        )

    # -- actions ---------------------------------------------------------------------------

    # Dialogs are imported when first opened: none is needed for the first frame.

    def action_help(self) -> None:
        from tutor.app.screens.help import HelpScreen

        self.push_screen(HelpScreen(self._focused_help(), self.settings.keymap))

    def _focused_help(self) -> str:
        node = self.focused
        while node is not None:
            for cls in type(node).__mro__:
                if "HELP" in cls.__dict__ and cls.__module__.startswith("tutor.app"):
                    return cls.__dict__["HELP"]
            node = node.parent if isinstance(node.parent, Widget) else None
        return ""

    def action_hint(self) -> None:
        step = self.step
        entry = self.progress.step(step.id)
        if entry.hints_shown >= len(step.hints):
            self.notify(
                f"No more hints. {self.key_label('step.diff')} compares your file with the "
                f"solution; {self.key_label('step.solution')} shows it.",
                title="Hints",
            )
            return
        entry.hints_shown += 1
        save_progress(self.workspace.state_file, self.progress)
        n = entry.hints_shown
        self._show_lesson(at_end=True)
        self.notify(step.hints[n - 1], title=f"Hint {n} of {len(step.hints)}", timeout=20)

    def action_previous_step(self) -> None:
        steps = self.course.steps()
        i = [s.id for s in steps].index(self.step.id)
        if i == 0:
            self.notify("This is the first step.")
            return
        self.go_to_step(steps[i - 1].id)

    def action_next_step(self) -> None:
        nxt = self.course.next_step(self.step.id)
        if nxt is None:
            self.notify("This is the last step of the course.")
        elif self.step.id in self.progress.done:
            self.go_to_step(nxt.id)
        else:
            self._confirm_skip(nxt)

    def action_run_check(self) -> None:
        editor = self.main.editor
        if editor.dirty and self.watching and self._watch_stop is not None:
            editor.save()  # the watcher sees the save and starts the check
            return
        if editor.dirty:
            editor.save()
        self.request_check()

    def action_toggle_watch(self) -> None:
        self.watching = not self.watching
        status = self.main.status
        status.watching = self.watching
        status.show()
        if self.watching:
            if self.options.watch_files:
                self._start_watching()
            self.notify("Watching: every save starts a check.", title="Watch mode")
        else:
            self._stop_watching()
            self.notify(
                f"Manual: press {self.key_label('check.run')} to check after saving.",
                title="Watch mode",
            )

    def action_reset_step(self) -> None:
        step = self.step

        def answer(yes: bool | None) -> None:
            if yes:
                self._replace_files(
                    reset_step, step, "Reset", f"{step.title}: the starter files are back."
                )

        self.push_screen(
            ConfirmScreen(
                f"Reset “{step.title}”?",
                "This puts the starter files back. Your current files are copied to a "
                "backup folder first (restore them with `pyo3dspy-tutor restore`).",
                yes="Reset",
                no="Cancel",
            ),
            answer,
        )

    def _replace_files(
        self,
        replace: Callable[[Workspace, Step, Callable[[str], None]], Path | None],
        step: Step,
        title: str,
        done: str,
    ) -> None:
        """Reset or apply the solution: the learner's files are backed up first."""
        self._save_if_dirty()
        try:
            saved = replace(self.workspace, step, lambda m: self.notify(m, severity="warning"))
        except OSError as e:
            self.notify(f"{title} failed: {e}", severity="error")
            return
        self.main.editor.reload(force=True)
        where = f" Your previous files are in {saved}." if saved else ""
        self.notify(done + where, title=title, timeout=15)

    def _after_pass_or_confirm(self, what: str, then: Callable[[], None]) -> None:
        if self.step.id in self.progress.done:
            then()
            return

        def answer(yes: bool | None) -> None:
            if yes:
                then()

        self.push_screen(
            ConfirmScreen(
                f"Show {what}?",
                f"“{self.step.title}” has not passed yet, and {what} gives the answer away. "
                f"A hint ({self.key_label('step.hint')}) may be enough. Show it anyway?",
                yes="Show",
                no="Not yet",
            ),
            answer,
        )

    def action_solution(self) -> None:
        from tutor.app.screens.solution import SolutionScreen

        step = self.step

        def show() -> None:
            self.push_screen(SolutionScreen(step), apply)

        def apply(yes: bool | None) -> None:
            if yes:
                self._replace_files(apply_solution, step, "Solution", "The solution is in place.")

        self._after_pass_or_confirm("the solution", show)

    def action_diff(self) -> None:
        from tutor.app.screens.diff import DiffScreen

        step = self.step
        self._after_pass_or_confirm(
            "the diff against the solution",
            lambda: self.push_screen(DiffScreen(step, self.workspace.crate_dir(step))),
        )

    def action_save_file(self) -> None:
        self.main.editor.save()

    def action_open_external(self) -> None:
        command = self.settings.editor or os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not command:
            self.notify(
                'No editor is set: export EDITOR (e.g. EDITOR="nano"), or set editor = "..." '
                "in the config file.",
                severity="warning",
            )
            return
        self._save_if_dirty()
        path = self.main.editor.path
        assert path is not None
        try:
            with self.suspend():
                subprocess.run([*shlex.split(command), str(path)], check=False)
        except SuspendNotSupported:
            self.notify("This terminal cannot hand over to another editor.", severity="warning")
            return
        except OSError as e:
            self.notify(f"Could not start {command!r}: {e.strerror}", severity="error")
            return
        self.main.editor.reload()

    def action_toggle_lessons(self) -> None:
        main = self.main
        if main.has_class("-narrow"):
            main.toggle_class("-show-left")
            shown = main.has_class("-show-left")
        else:
            main.toggle_class("-hide-left")
            shown = not main.has_class("-hide-left")
        main.refresh(layout=True)  # see MainScreen.set_lesson_width
        if shown:
            main.lessons.step_tree.focus()
        else:
            main.editor.focus()

    def action_lesson_width(self) -> None:
        main = self.main
        order = ["normal", "full"] if main.has_class("-narrow") else ["normal", "wide", "full"]
        current = main.lesson_width if main.lesson_width in order else "normal"
        width = order[(order.index(current) + 1) % len(order)]
        main.set_lesson_width(width)
        (main.visible_lesson if width == "full" else main.editor).focus()
        self.settings.lesson_width = width
        self._save_config({"lesson_width": width}, "Lesson width set")

    def action_show_pane(self, name: str) -> None:
        self.main.show_pane(name)

    def action_next_pane(self) -> None:
        self.main.next_pane()

    def action_copy_selected(self) -> None:
        got = None
        node = self.focused
        while node is not None and got is None:
            copy = getattr(node, "copy_text", None)
            if callable(copy):
                got = copy()
            node = node.parent if isinstance(node.parent, Widget) else None
        if got is None:
            active = self.main.side.active_pane
            panes = active.query("TracePane, ErrorsPane") if active else []
            for pane in panes:
                got = pane.copy_text()  # type: ignore[attr-defined]
        if got is None:
            self.notify("Select an error or a trace span first.", severity="warning")
            return
        what, text = got
        self.copy_to_clipboard(text)
        self.notify(f"Copied the {what} ({len(text)} characters).")

    def action_switch_theme(self) -> None:
        self.search_commands(
            [(escape(name), lambda n=name: self.set_theme(n), "") for name in self.theme_names()],
            placeholder="Theme…",
        )

    def set_theme(self, name: str) -> None:
        self.theme = name
        self._save_config({"theme": name}, "Theme set")

    def _save_config(self, updates: dict[str, object], done: str) -> None:
        """Remember a view choice in the config file (written atomically)."""
        try:
            update_config_file(self.config_file(), updates)
        except (OSError, TutorError) as e:
            self.notify(f"{done}, but not saved: {e}", severity="warning")

    def config_file(self) -> Path:
        if self.settings.config_path is not None:
            return self.settings.config_path
        env = os.environ.get(ENV_CONFIG)
        return Path(env) if env else default_config_path()

    def action_switch_lm(self) -> None:
        models = list(dict.fromkeys([OFFLINE, self.settings.lm.model, *self.settings.providers]))
        self.search_commands(
            [
                (escape(m), lambda m=m: self.set_lm(m), "in use" if m == self.lm.model else "")
                for m in models
            ],
            placeholder="LM…",
        )

    def set_lm(self, model: str) -> None:
        if model == self.lm.model:
            return
        same = provider_of(model) == provider_of(self.settings.lm.model)
        lm = LMSettings(model=model, api_base=self.settings.lm.api_base if same else None)
        problem = missing_key(lm)
        if problem:
            self.notify(problem, title="LM not switched", severity="error", timeout=15)
            return
        self.lm = lm
        status = self.main.status
        status.lm = describe(lm)
        status.show()
        self.engine.restart(self._engine_restarted)

    def _engine_restarted(self) -> None:
        if self.options.engine:
            self._start_engine()
        self.notify(
            f"Now using {describe(self.lm)} (for this session; set lm.model in the config "
            "file to keep it).",
            title="LM switched",
        )

    def action_doctor(self) -> None:
        from tutor.app.screens.doctor import DoctorScreen

        self.push_screen(DoctorScreen())
        self._run_doctor(startup=False)

    @work(
        thread=True,
        exclusive=True,
        group="doctor",
        exit_on_error=False,
        description="checking the set-up",
    )
    def _run_doctor(self, startup: bool) -> None:
        from tutor.doctor import diagnose  # imports dspy: never on the UI thread

        findings = diagnose(self.settings)
        self.call_from_thread(self._doctor_done, findings, startup)

    def _doctor_done(self, findings: list[Any], startup: bool) -> None:
        from tutor.app.screens.doctor import DoctorScreen

        if isinstance(self.screen, DoctorScreen):
            self.screen.show_findings(findings)
            return
        bad = [f for f in findings if f.status == "fail"]
        warn = [f for f in findings if f.status == "warn"]
        if startup and bad:
            self.push_screen(DoctorScreen(findings))
        elif startup and warn:
            self.notify(
                "; ".join(f"{f.name}: {f.detail}" for f in warn)
                + f" ({self.key_label('app.doctor')} shows the fixes)",
                title="Set-up warnings",
                severity="warning",
                timeout=12,
            )

    async def action_quit(self) -> None:
        editor = self.main.editor
        if not editor.dirty:
            self._quit()
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._quit()

        self.push_screen(
            ConfirmScreen(
                "Quit without saving?",
                f"{editor.label} has unsaved edits. Quit and lose them? "
                f"(Press n, then {self.key_label('editor.save')} to save.)",
                yes="Quit",
                no="Stay",
            ),
            answer,
        )

    def _quit(self) -> None:
        self._stop_watching()
        self.exit()

    # -- workers -----------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                f"{event.worker.description or event.worker.name} failed: "
                f"{type(error).__name__}: {error}",
                severity="error",
                timeout=15,
            )
