"""The app's behaviour, driven by Pilot with the engine off (events fed by hand)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from snapshot_app import failing_run, make_app, record_notifications, settle
from textual.widgets import Markdown

from tutor.app.screens.confirm import ConfirmScreen
from tutor.app.screens.diff import DiffScreen
from tutor.app.screens.doctor import DoctorScreen
from tutor.app.screens.help import HelpScreen
from tutor.app.widgets.output_pane import MAX_LINES
from tutor.app.widgets.trace_pane import MAX_SPANS
from tutor.events import (
    BuildFinished,
    BuildStarted,
    Diagnostic,
    Output,
    OutputDropped,
    Problem,
    RunStarted,
    Span,
    TimeoutReport,
    Verdict,
)
from tutor.workspace.progress import load_progress

SIZE = (120, 40)
pytestmark = pytest.mark.anyio


def lesson_text(app) -> str:
    return app.main.query_one("#lesson Markdown", Markdown).source


def passing(step_id: str = "hello-world") -> Verdict:
    return Verdict(step_id, "pass", "", "All 4 checks passed.", {"total_s": 0.5})


async def test_opens_on_the_current_step(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main
        assert main.editor.label == "src/lib.rs"
        assert "TODO: ask DSPy" in main.editor.text
        assert main.editor.has_focus
        assert "Hello, DSPy" in lesson_text(app)
        assert "Hello, DSPy: edit src/lib.rs and save" in main.status.line().plain
        labels = [str(n.label) for n in main.lessons.step_tree.root.children[0].children]
        assert labels[0] == "▸· Hello, DSPy"  # current, not started
        assert labels[1] == " · Basic question answering"


async def test_next_needs_a_pass_or_a_confirmation(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    state = app.workspace.state_file
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.step.id == "hello-world"
        await pilot.press("f4")
        await pilot.press("y")
        await settle(pilot)
        assert app.step.id == "basic-qa"
        assert load_progress(state).current == "basic-qa"
        tree = app.main.lessons.step_tree
        assert tree.cursor_node is not None and tree.cursor_node.data.step_id == "basic-qa"
        assert app.main.editor.path == app.workspace.crate_dir(app.step) / "src/lib.rs"
        assert app.main.editor.path.exists()  # the step was scaffolded
        await pilot.press("f3")
        await settle(pilot)
        assert app.step.id == "hello-world"
        assert load_progress(state).current == "hello-world"


async def test_a_pass_is_shown_recorded_and_unlocks_next(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        app.feed([passing()])
        await settle(pilot)
        line = app.main.status.line().plain
        assert line.startswith("✓ pass All 4 checks passed.")
        assert "F4: next step" in line
        assert any("passed" in n and "F4" in n for n in notes)
        progress = load_progress(app.workspace.state_file)
        assert progress.done == ["hello-world"]
        assert progress.steps["hello-world"].last_verdict == "pass"
        first = app.main.lessons.step_tree.root.children[0].children[0]
        assert str(first.label) == "▸✓ Hello, DSPy"
        assert "Fundamentals  1/2" in str(app.main.lessons.step_tree.root.children[0].label)
        await pilot.press("f4")  # no question after a pass
        await settle(pilot)
        assert app.step.id == "basic-qa"


async def test_picking_a_later_step_in_the_tree_asks_first(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        tree = app.main.lessons.step_tree
        tree.focus()
        await settle(pilot)
        await pilot.press("down", "down", "down", "enter")  # → Typed fields
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.step.id == "typed-fields"


async def test_lesson_filter_narrows_the_tree(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        app.main.lessons.step_tree.focus()
        await pilot.press("slash", "t", "y", "p", "e", "d")
        await settle(pilot)
        modules = app.main.lessons.step_tree.root.children
        assert [str(m.label).split()[0] for m in modules] == ["Type"]
        await pilot.press("escape")
        await settle(pilot)
        assert len(app.main.lessons.step_tree.root.children) == 2


async def test_hints_come_one_per_press_and_persist(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        assert "Hint 1 of 3" in lesson_text(app)
        assert "Hint 2 of 3" not in lesson_text(app)
        assert any(n.startswith("Hint 1 of 3: First hint") for n in notes)
        await pilot.press("f2", "f2")
        await settle(pilot)
        assert "Hint 3 of 3" in lesson_text(app)
        assert "That was the last hint" in lesson_text(app)
        await pilot.press("f2")
        assert "No more hints" in notes[-1]
    assert load_progress(app.workspace.state_file).steps["hello-world"].hints_shown == 3
    # Reopened, the hints are still shown.
    again = make_app(tmp_path / "ws")
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Hint 3 of 3" in lesson_text(again)


async def test_reset_asks_then_backs_up_the_learners_file(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.main.editor
        editor.text = "// my own attempt\n"
        await pilot.press("ctrl+s")
        assert editor.path.read_text() == "// my own attempt\n"
        await pilot.press("ctrl+t")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert editor.path.read_text() == "// my own attempt\n"
        await pilot.press("ctrl+t", "y")
        await settle(pilot)
        starter = (app.step.starter_dir / "src/lib.rs").read_text()
        assert editor.path.read_text() == starter
        assert editor.text == starter
        backups = list((app.workspace.backups / "hello-world").iterdir())
        assert len(backups) == 1
        assert (backups[0] / "src/lib.rs").read_text() == "// my own attempt\n"
        assert any(str(backups[0]) in n for n in notes)


async def test_unsaved_edits_are_saved_into_the_reset_backup(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        app.main.editor.text = "// typed, not saved\n"
        await pilot.press("ctrl+t", "y")
        await settle(pilot)
        [backup] = (app.workspace.backups / "hello-world").iterdir()
        assert (backup / "src/lib.rs").read_text() == "// typed, not saved\n"


async def test_theme_switch_restyles_the_editor_and_is_saved(
    tmp_path: Path, isolated_config: Path
) -> None:
    isolated_config.write_text('# my settings\ntheme = "tutor-dark"\n')
    app = make_app(tmp_path / "ws", config_path=isolated_config)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "tutor-dark"
        assert app.main.editor.theme == "vscode_dark"
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press(*"tutor-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "tutor-light"
        assert app.main.editor.theme == "github_light"
        text = isolated_config.read_text()
        assert "# my settings" in text  # comments survive
        assert 'theme = "tutor-light"' in text


async def test_a_broken_theme_file_is_named_and_the_default_used(tmp_path: Path) -> None:
    mine = tmp_path / "themes"
    mine.mkdir()
    (mine / "broken.toml").write_text('name = "broken"\n[colors]\nprimary = "#12345"\n')
    (mine / "mine.toml").write_text('name = "mine"\ndark = false\n[colors]\nprimary = "#0000aa"\n')
    from tutor.resources import data_dir

    app = make_app(tmp_path / "ws", theme="broken", theme_dirs=[data_dir("themes"), mine])
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "tutor-dark"
        assert "mine" in app.available_themes  # the good user theme is there
        problem = next(n for n in notes if "broken.toml" in n)
        assert "broken.toml:3" in problem and "not a colour" in problem
        assert any("'broken' is not available" in n for n in notes)
        app.theme = "mine"
        await settle(pilot)
        assert app.main.editor.theme == "github_light"  # a light theme without syntax_theme


async def test_a_failing_build_is_shown_in_errors_and_jumps_to_the_line(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        app.feed(
            [
                BuildStarted("hello-world", ["cargo", "build"]),
                Diagnostic(
                    level="error",
                    message="mismatched types\nexpected `String`, found `&str`",
                    code="E0308",
                    file="src/lib.rs",
                    line=19,
                    column=8,
                    rendered="error[E0308]: mismatched types\n  --> src/lib.rs:19:8",
                ),
                BuildFinished(ok=False, duration_s=0.8),
                Verdict(
                    "hello-world",
                    "fail",
                    "build",
                    "The crate does not compile (1 error).",
                    {"build_s": 0.8, "total_s": 0.81},
                    [Problem("error", "compiler", "error[E0308]: mismatched types")],
                ),
            ]
        )
        await settle(pilot)
        main = app.main
        assert main.side.active == "tab-errors"
        assert str(main.side.get_tab("tab-errors").label) == "Errors 1"
        [problem] = main.errors.problems
        assert problem.title == "error[E0308]" and problem.where == "src/lib.rs:19:8"
        assert "✗ fail The crate does not compile" in main.status.line().plain
        assert str(main.lessons.step_tree.root.children[0].children[0].label).startswith("▸✗")
        assert load_progress(app.workspace.state_file).steps["hello-world"].last_verdict == "fail"
        main.errors.option_list.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert main.editor.has_focus
        assert main.editor.cursor_location == (18, 7)
        # A new build clears the old problems.
        app.feed([BuildStarted("hello-world", ["cargo", "build"])])
        await settle(pilot)
        assert main.errors.problems == []
        assert str(main.side.get_tab("tab-errors").label) == "Errors"


async def test_a_failing_check_shows_expected_and_got(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        app.feed(failing_run())
        await settle(pilot)
        main = app.main
        titles = [p.title for p in main.errors.problems]
        assert titles == [  # errors first: the thing to fix comes before the warnings
            "check failed: test_ask_returns_the_answer_as_a_string",
            "warning[unused_variables]",
        ]
        failed = main.errors.problems[0]
        assert (
            "expected: 'Paris'" in failed.summary and "got:      'TODO: ask DSPy'" in failed.summary
        )
        assert main.trace.span_count == 4
        assert main.gil.query_one("#gil-table").row_count == 2
        log = "\n".join(main.output.lines)
        assert "stderr│ note: the offline LM answered" in log
        assert "── build ok in 1.23s" in log


async def test_a_timeout_is_one_entry_naming_the_test_and_its_stack(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    stack = '  File "/ws/check.py", line 17 in test_case'
    async with app.run_test(size=SIZE) as pilot:
        app.feed(
            [
                BuildStarted("hello-world", ["cargo", "build"]),
                BuildFinished(ok=True, duration_s=0.1),
                RunStarted(pid=1),
                OutputDropped(stream="stdout", bytes=2**20, lines=1000),
                TimeoutReport(limit_s=4, test="test_case", stack=stack),
                Verdict(
                    "hello-world",
                    "fail",
                    "timeout",
                    "The check did not finish within 4 s.",
                    problems=[
                        Problem(
                            "error",
                            "timeout",
                            "test_case was still running after 4 s; its Python stack then:\n"
                            + stack,
                        )
                    ],
                ),
            ]
        )
        await settle(pilot)
        (problem,) = app.main.errors.problems
        assert problem.title == "timeout: test_case still running after 4 s"
        assert "check.py" in problem.summary and stack in problem.details
        assert any("1,048,576 bytes" in line for line in app.main.output.lines)


async def test_copy_takes_the_selected_error(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        app.feed(failing_run())
        await settle(pilot)
        app.main.errors.option_list.focus()
        await pilot.press("c")
        assert app.clipboard.startswith("test_ask_returns_the_answer_as_a_string: failed")
        app.main.side.active = "tab-trace"
        tree = app.main.trace.span_tree
        tree.focus()
        tree.cursor_line = 0  # Predict
        await settle(pilot)
        await pilot.press("down", "down", "c")  # → ChatAdapter (format) → the LM call
        assert app.clipboard.startswith("offline (LM)")
        assert "answered by: scripted" in app.clipboard
        assert "token usage: prompt_tokens 61" in app.clipboard
        # In the editor, c is just a letter.
        app.main.editor.focus()
        await pilot.press("c")
        assert app.main.editor.text.startswith("cuse pyo3")
        assert app.clipboard.startswith("offline (LM)")


async def test_f1_shows_help_for_the_focused_pane(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws", keymap={"step.hint": "f11"})
    async with app.run_test(size=SIZE) as pilot:
        app.main.side.active = "tab-errors"
        app.main.errors.option_list.focus()
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one("#help-text", Markdown).source
        assert text.startswith("## Errors")
        assert "- `f11` **step: hint**" in text  # the remapped key
        await pilot.press("f4")  # the app's keys wait while a dialog is open
        assert isinstance(app.screen, HelpScreen) and len(app.screen_stack) == 2
        await pilot.press("f1")  # F1 again closes the help
        assert not isinstance(app.screen, HelpScreen)


async def test_keys_can_be_remapped_by_id(tmp_path: Path) -> None:
    app = make_app(
        tmp_path / "ws", keymap={"step.hint": "f11", "nope": "f11", "step.diff": "alt+1"}
    )
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        assert app.progress.step("hello-world").hints_shown == 0
        await pilot.press("f11")
        assert app.progress.step("hello-world").hints_shown == 1
        assert app.main.editor.text.startswith("use pyo3")  # f11 typed nothing
    assert any("unknown binding id nope" in n for n in notes)
    # A key given to two actions is named, with both ids.
    assert any("alt+1 is bound to both pane.trace and step.diff" in n for n in notes), notes


async def test_diff_after_a_pass_shows_the_solution_lines(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8")
        assert isinstance(app.screen, ConfirmScreen)  # not passed yet: asks
        await pilot.press("n")
        app.feed([passing()])
        await settle(pilot)
        await pilot.press("f8")
        assert isinstance(app.screen, DiffScreen)
        assert any(line.startswith("+    let dspy") for line in app.screen.lines)
        assert app.screen.lines[0] == "--- yours/src/lib.rs"


async def test_the_editor_saves_and_follows_the_file_on_disk(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.main.editor
        path = editor.path
        await pilot.press("end", "x")
        assert editor.dirty and "unsaved" in str(editor.border_subtitle)
        await pilot.press("ctrl+s")
        assert path.read_text() == editor.text and not editor.dirty
        path.write_text("// from my own editor\n")
        editor.check_disk()
        assert editor.text == "// from my own editor\n"
        editor.text = "// unsaved here\n"
        time.sleep(0.01)
        path.write_text("// changed again outside\n")
        editor.check_disk()
        assert editor.text == "// unsaved here\n"  # unsaved edits win, with a warning
        assert any("changed on disk" in n for n in notes)
        await pilot.press("ctrl+s")  # overwrites the outside change: it is backed up first
        assert path.read_text() == "// unsaved here\n"
        (saved,) = (tmp_path / "ws" / ".pyo3dspy-tutor" / "backups" / "hello-world").iterdir()
        assert (saved / "src" / "lib.rs").read_text() == "// changed again outside\n"


async def test_watch_errors_switch_to_manual_mode(tmp_path: Path, monkeypatch) -> None:
    import watchfiles  # the app imports it when it starts watching

    async def broken_awatch(*args, **kwargs):
        raise OSError("OS file watch limit reached")
        yield  # pragma: no cover

    monkeypatch.setattr(watchfiles, "awatch", broken_awatch)
    app = make_app(tmp_path / "ws", watch_files=True)
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert app.watching is False
        assert "manual: F5 checks" in app.main.status.line().plain
        assert any("Manual mode" in n and "press F5" in n for n in notes)


async def test_toggle_watch(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws", watch="manual")
    async with app.run_test(size=SIZE) as pilot:
        assert "manual: F5 checks" in app.main.status.line().plain
        assert "then F5 to check" in app.main.status.line().plain
        await pilot.press("f9")
        assert app.watching and "watching" in app.main.status.line().plain


async def test_switching_lm_needs_the_key_and_restarts_the_runner(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app = make_app(tmp_path / "ws")
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        app.set_lm("openai/gpt-4o-mini")
        assert app.lm.model == "offline"
        assert any("OPENAI_API_KEY" in n for n in notes)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        app.set_lm("openai/gpt-4o-mini")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert app.lm.model == "openai/gpt-4o-mini"
        assert "LM openai/gpt-4o-mini" in app.main.status.line().plain
        assert any(n.startswith("LM switched") for n in notes)


async def test_big_runs_stay_bounded_and_fast(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        lines = [Output("stdout", f"line {i}") for i in range(50_000)]
        spans = [
            Span(f"s{i}", None, "lm", "offline", i * 1e-3, i * 1e-3 + 5e-4, lm_source="synthesized")
            for i in range(MAX_SPANS + 2_000)
        ]
        app.feed(lines + spans)
        # CPU time, not wall time: the work the app does, whatever else the machine runs.
        started = time.process_time()
        await settle(pilot)
        while app._events:
            await settle(pilot)
        elapsed = time.process_time() - started
        assert len(app.main.output.lines) <= MAX_LINES
        assert app.main.output.lines[-1] == "line 49999"
        assert app.main.trace.span_count == MAX_SPANS
        # Keys are still answered promptly after the flood.
        started = time.process_time()
        await pilot.press("f2")
        assert app.progress.step("hello-world").hints_shown == 1
        assert time.process_time() - started < 1.0
    assert elapsed < 10, f"rendering 62,000 events took {elapsed:.1f}s of CPU"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_lessons_toggle(tmp_path: Path, size) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        left = app.main.query_one("#left")
        visible = left.display
        assert visible == (size[0] >= 100)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert left.display != visible


async def test_open_in_the_learners_editor(tmp_path: Path, monkeypatch) -> None:
    import contextlib

    script = tmp_path / "fake-editor.sh"
    script.write_text('#!/bin/sh\necho "// edited outside" >> "$1"\n')
    script.chmod(0o755)
    app = make_app(tmp_path / "ws", editor=str(script))
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)  # no real terminal here
    async with app.run_test(size=SIZE) as pilot:
        app.main.editor.text = "// typed here\n"
        await pilot.press("ctrl+o")
        await settle(pilot)
        # Unsaved edits were saved first, then the editor's change was loaded back.
        assert app.main.editor.text == "// typed here\n// edited outside\n"
        assert not app.main.editor.dirty


async def test_no_editor_set_says_how_to_set_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(tmp_path / "ws")
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        assert any("No editor is set" in n for n in notes)


async def test_setup_problems_are_shown_with_their_fix(tmp_path: Path, monkeypatch) -> None:
    import tutor.doctor
    from tutor.doctor import Finding

    findings = [
        Finding("Rust", "ok", "rustc 1.95.0"),
        Finding("C linker", "fail", "no cc/gcc/clang: Rust cannot link", "apt-get install gcc"),
    ]
    monkeypatch.setattr(tutor.doctor, "diagnose", lambda settings: findings)
    app = make_app(tmp_path / "ws", doctor=True)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):  # the doctor starts just after the first frame
            await settle(pilot)
            await app.workers.wait_for_complete()
            if isinstance(app.screen, DoctorScreen):
                break
        assert isinstance(app.screen, DoctorScreen)
        text = str(app.screen.query_one("#doctor-text").render())
        assert "✗ fail C linker" in text and "fix: apt-get install gcc" in text
        assert "1 problem to fix" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, DoctorScreen)


async def test_narrow_screens_keep_the_lesson_while_a_step_opens(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        side = app.main.side
        assert side.active == "tab-lesson"
        app.request_check(quiet=True)  # the automatic check of an opening step
        app.feed(failing_run())
        await settle(pilot)
        assert side.active == "tab-lesson"
        app.feed(failing_run())  # a check the learner asked for (a save)
        await settle(pilot)
        assert side.active == "tab-errors"


async def test_every_key_is_also_in_the_command_palette(tmp_path: Path) -> None:
    from tutor.app.commands import TutorCommands
    from tutor.app.keymap import COMMANDS

    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        provider = TutorCommands(app.screen)
        names = [name for name, _callback, _help in provider._entries()]
        assert all(c.title in names for c in COMMANDS)
        assert "step: go to Typed fields" in names
        await pilot.press("ctrl+p")
        await pilot.press(*"step: hint")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.progress.step("hello-world").hints_shown == 1
