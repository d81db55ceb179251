"""Reading the app: brackets survive, the lesson gets room, panes are a key away, one
entry per problem, a status line that fits, notifications that do not pile up."""

from __future__ import annotations

from pathlib import Path

import pytest
from snapshot_app import (
    BRACKETS,
    bracket_course,
    failing_run,
    make_app,
    panic_run,
    record_notifications,
    screen_text,
    settle,
)

from tutor.app.screens.confirm import ConfirmScreen
from tutor.app.screens.help import HelpScreen
from tutor.app.widgets.gil_pane import NOTHING
from tutor.config import load_settings
from tutor.events import (
    GilLabelStats,
    GilStats,
    Span,
    TestResult,
    Verdict,
)

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


async def test_brackets_survive_in_every_widget(tmp_path: Path) -> None:
    course = bracket_course(tmp_path / "course")
    app = make_app(tmp_path / "ws", course_dir=course)
    notes = record_notifications(app)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        app.feed(
            [
                Span("s1", None, "module", f"Predict {BRACKETS}", 0.0, 0.1),
                GilStats(
                    [GilLabelStats("probe[0]", 1, None, None, None, 5.0, 5.0, 5.0)], 0.005, True
                ),
                TestResult("test_x", "failed", message=f"wanted {BRACKETS}"),
                Verdict("hello-world", "fail", "test", f"1 failed: {BRACKETS}", {}),
            ]
        )
        await settle(pilot)
        text = screen_text(app)
        assert "Fundamentals [b]mod[/b]" in text  # the lesson tree's module
        assert "▸✗ Hello #[pyfunction]" in text  # … and step (failing now)
        assert "Hello #[pyfunction] · src/lib.rs" in text  # the editor's title
        assert f"A lesson line with {BRACKETS} in it." in text  # the lesson
        assert f"First hint {BRACKETS}" in text  # the hint in the lesson
        assert f"✗ fail 1 failed: {BRACKETS}" in text  # the status line
        assert f"wanted {BRACKETS}" in text  # the errors pane
        # The notification of the hint, as the toast draws it.
        shown = list(app._notifications)
        assert any(f"First hint {BRACKETS}" in n.message and not n.markup for n in shown)
        assert any(BRACKETS in n for n in notes)
        app.main.side.active = "tab-trace"
        await settle(pilot)
        assert f"Predict {BRACKETS}" in screen_text(app)
        app.main.side.active = "tab-gil"
        await settle(pilot)
        assert "probe[0]" in screen_text(app)
        # Dialogs: skipping ahead names the step as written.
        await pilot.press("f4")
        assert isinstance(app.screen, ConfirmScreen)
        await settle(pilot)
        assert "“Hello #[pyfunction]” has not passed yet" in screen_text(app)
        await pilot.press("n")
        # The command palette lists the step by its real title.
        await pilot.press("ctrl+p")
        await pilot.press(*"pyfunction")
        await pilot.pause(0.3)
        assert "step: go to Hello #[pyfunction]" in screen_text(app)


async def test_the_lesson_gets_a_fair_share_and_f10_widens_it(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    app = make_app(tmp_path / "ws", config_path=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left, right = app.main.query_one("#left"), app.main.query_one("#right")
        assert 45 <= left.size.width <= 50 and right.size.width >= 70
        await pilot.press("f10")
        await settle(pilot)
        assert app.main.lesson_width == "wide" and left.size.width > right.size.width
        await pilot.press("f10")
        await settle(pilot)
        assert app.main.lesson_width == "full" and not right.display
        assert left.size.width == SIZE[0] and app.main.query_one("#lesson").has_focus
        assert "lesson_width = \"full\"" in config.read_text()
        assert load_settings(config).lesson_width == "full"
    # Remembered: the next start reads the lesson full screen.
    again = make_app(tmp_path / "ws", config_path=config)
    again.settings.lesson_width = load_settings(config).lesson_width
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.main.lesson_width == "full"
        assert "Hello, DSPy" in screen_text(again)
        await pilot.press("f10")
        await settle(pilot)
        assert again.main.lesson_width == "normal" and again.main.editor.has_focus


async def test_wide_screens_give_the_lesson_room(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        assert app.main.query_one("#left").size.width >= 78


async def test_narrow_screens_read_the_lesson_full_screen_too(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert app.main.lesson_width == "full"
        assert app.main.query_one("#lesson").outer_size.width == 80
        assert "Hello, DSPy" in screen_text(app)
        await pilot.press("f10")  # narrow: normal ⇄ full (no "wide")
        await settle(pilot)
        assert app.main.lesson_width == "normal"


async def test_code_blocks_scroll_sideways_instead_of_being_cut(tmp_path: Path) -> None:
    import shutil

    from snapshot_app import FIXTURE_COURSE
    from textual.widgets.markdown import MarkdownFence

    course = tmp_path / "course"
    shutil.copytree(FIXTURE_COURSE, course)
    readme = course / "fundamentals" / "hello-world" / "README.md"
    long_line = (
        'let answer = predict.call((), Some(&kwargs))?.getattr("answer")?'
        ".extract::<String>()?; // END"
    )
    readme.write_text(f"```rust\n{long_line}\n```\n")
    app = make_app(tmp_path / "ws", course_dir=course)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fence = app.main.query_one("#lesson").query_one(MarkdownFence)
        assert fence.max_scroll_x > 0 and fence.show_horizontal_scrollbar
        assert "// END" not in screen_text(app)
        app.main.query_one("#lesson").focus()
        for _ in range(8):
            await pilot.press("right")
        await settle(pilot)
        assert fence.scroll_x > 0 and "// END" in screen_text(app)


async def test_every_result_pane_is_one_key_away(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        app.feed(failing_run())
        await settle(pilot)
        main = app.main
        keys = [("alt+2", "gil"), ("alt+3", "errors"), ("alt+4", "output"), ("alt+1", "trace")]
        for key, pane in keys:
            main.editor.focus()
            await pilot.press(key)
            await settle(pilot)
            assert main.side.active == f"tab-{pane}" and main.side.has_focus_within, key
        # F12 cycles: editor → the active pane → the next … → the editor.
        main.editor.focus()
        seen = []
        for _ in range(5):
            await pilot.press("f12")
            await settle(pilot)
            seen.append(main.side.active if main.side.has_focus_within else "editor")
        assert seen == ["tab-trace", "tab-gil", "tab-errors", "tab-output", "editor"]
        assert main.editor.has_focus
        # The keys are listed in F1 and in the palette, with remappable ids.
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        help_text = app.screen.query_one("#help-text").source
        assert "- `alt+2` **pane: gil**" in help_text and "`pane.next`" in help_text


async def test_a_pane_key_leaves_the_full_screen_lesson(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10", "f10")
        await settle(pilot)
        await pilot.press("alt+3")
        await settle(pilot)
        assert app.main.lesson_width == "normal" and app.main.side.active == "tab-errors"


async def test_one_panic_is_one_entry(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        app.feed(panic_run())
        await settle(pilot)
        errors = app.main.errors
        titles = [p.title for p in errors.problems]
        assert titles == ["Rust panic", "warning[unreachable_code]"]
        panic = errors.problems[0]
        assert panic.where == "src/lib.rs:9:5" and panic.times == 3
        assert panic.checks == [
            "test_ask_returns",
            "test_ask_passes_the_question_on",
            "test_a_module_ran",
        ]
        assert str(app.main.side.get_tab("tab-errors").label) == "Errors 1"
        detail = str(errors.query_one("#errors-detail").content)
        assert detail.startswith("Rust panicked at src/lib.rs:9:\nthe answer is lost")
        assert "hello_world.ask('q')" in detail and "\\n" not in detail
        assert "3 times; failed 3 checks" in screen_text(app)


async def test_a_timeout_is_explained_and_the_status_line_fits(tmp_path: Path) -> None:
    summary = (
        "The check did not finish within 20 s and was stopped. An endless loop, or a wait "
        "that never ends (a lock, a channel, a join)?"
    )
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=(80, 24)) as pilot:
        app.feed([Verdict("hello-world", "fail", "timeout", summary, {"total_s": 20.99})])
        await settle(pilot)
        status = app.main.status
        line = status.line().plain
        assert len(line) <= status.content_size.width
        shown = line.split(" (20.99s)")[0].removeprefix("✗ fail ")
        assert shown.endswith("…") and summary.startswith(shown[:-1])
        assert summary[len(shown) - 1] in " ,.", "cut at a word"
        assert line.endswith("watching")
        [problem] = app.main.errors.problems
        assert problem.title == "Time limit reached" and problem.summary == summary
        await pilot.resize_terminal(200, 40)
        await settle(pilot)
        assert summary in status.line().plain  # room enough: the whole sentence


async def test_the_gil_pane_says_when_nothing_was_measured(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        app.feed([GilStats([], 0.005, True)])
        await settle(pilot)
        gil = app.main.gil
        assert gil.query_one("#gil-table").row_count == 0
        assert NOTHING in str(gil.query_one("#gil-summary").content)


async def test_notifications_replace_each_other(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2", "f2", "f2")
        await settle(pilot)
        hints = [n for n in app._notifications if n.title.startswith("Hint")]
        assert [n.title for n in hints] == ["Hint 3 of 3"]
        for i in range(6):
            app.notify(f"Note number {i} about something else", title=f"topic {i % 5} x")
        await settle(pilot)
        assert len(list(app._notifications)) <= 3
        # A step passes once: one "Step done"; passing again only updates the status.
        for _ in range(3):
            app.feed([Verdict("hello-world", "pass", "", "All 2 checks passed.", {})])
            await settle(pilot)
        done = [n for n in app._notifications if n.title == "Step done"]
        assert len(done) == 1


async def test_the_first_frame_shows_the_file(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws")
    seen: list[str] = []
    original = app._start_background

    def after_first_frame() -> None:  # the app calls it right after its first frame
        seen.append(app.main.editor.text)
        original()

    app._start_background = after_first_frame  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert seen and "TODO: ask DSPy" in seen[0]
