"""Deterministic TutorApp instances for snapshots and Pilot tests.

The fixture course (tests/app/fixtures/course) is frozen, the engine is off (events are
fed by hand), the clock is fake, the cursor does not blink, nothing is watched and the
doctor does not run: the same input always draws the same screen.
"""

from __future__ import annotations

from pathlib import Path

from tutor.app.app import AppOptions, TutorApp
from tutor.config import Settings
from tutor.course import load_course
from tutor.events import (
    BuildFinished,
    BuildOutput,
    BuildStarted,
    Diagnostic,
    Event,
    GilLabelStats,
    GilStats,
    Output,
    Problem,
    RunStarted,
    RustPanic,
    Span,
    SpanStarted,
    TestResult,
    Verdict,
)
from tutor.resources import data_dir
from tutor.workspace import Workspace
from tutor.workspace.setup import init_workspace

FIXTURE_COURSE = Path(__file__).parent / "fixtures" / "course"
THEMES = ("tutor-dark", "tutor-light", "tutor-high-contrast")
NOW = 1000.0


def fake_clock() -> float:
    return NOW


def make_app(
    workspace: Path,
    *,
    theme: str = "tutor-dark",
    watch: str = "auto",
    keymap: dict[str, str] | None = None,
    theme_dirs: list[Path] | None = None,
    engine: bool = False,
    watch_files: bool | None = None,
    doctor: bool = False,
    course_dir: Path = FIXTURE_COURSE,
    config_path: Path | None = None,
    editor: str | None = None,
) -> TutorApp:
    course = load_course(course_dir)
    settings = Settings(
        workspace=workspace,
        theme=theme,
        watch=watch,
        keymap=keymap or {},
        providers=["openai/gpt-4o-mini"],
        config_path=config_path,
        editor=editor,
    )
    ws = Workspace(workspace)
    progress = init_workspace(ws, course)
    options = AppOptions(
        engine=engine,
        watch_files=engine if watch_files is None else watch_files,
        check_on_start=False,
        doctor=doctor,
        doctor_delay_s=0.01,
        cursor_blink=False,
        clock=fake_clock,
        theme_dirs=theme_dirs or [data_dir("themes")],
    )
    app = TutorApp(settings, course, ws, progress, options=options)
    app.animation_level = "none"
    return app


def _span(span_id, parent, kind, name, start, end, **extra) -> list[Event]:
    return [
        SpanStarted(span_id=span_id, parent_id=parent, kind=kind, name=name, start=start),
        Span(
            span_id=span_id, parent_id=parent, kind=kind, name=name, start=start, end=end, **extra
        ),
    ]


def failing_run(step_id: str = "hello-world") -> list[Event]:
    """A check that builds (one warning), runs DSPy and fails one test."""
    return [
        BuildStarted(step_id=step_id, command=["cargo", "build", "--message-format=json", "--lib"]),
        BuildOutput(line="   Compiling step-hello-world v0.1.0"),
        Diagnostic(
            level="warning",
            message="unused variable: `kwargs`",
            code="unused_variables",
            file="src/lib.rs",
            line=14,
            column=9,
            rendered="warning: unused variable: `kwargs`\n  --> src/lib.rs:14:9",
        ),
        BuildOutput(line="    Finished `dev` profile [unoptimized + debuginfo] target(s) in 1.23s"),
        BuildFinished(ok=True, duration_s=1.234, artifact="hello_world.so"),
        RunStarted(pid=4242),
        *_span(
            "m1",
            None,
            "module",
            "Predict",
            0.010,
            0.0452,
            inputs={"question": "capital?"},
            outputs={"answer": "Paris"},
        ),
        *_span("a1", "m1", "adapter_format", "ChatAdapter", 0.011, 0.0121),
        *_span(
            "l1",
            "m1",
            "lm",
            "offline",
            0.0125,
            0.0401,
            messages=[
                {"role": "system", "content": "Your input fields are: `question` (str)."},
                {"role": "user", "content": "[[ ## question ## ]]\nWhat is the capital of France?"},
            ],
            completion=["[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"],
            usage={"prompt_tokens": 61, "completion_tokens": 9},
            model="offline",
            lm_source="scripted",
        ),
        *_span("p1", "m1", "adapter_parse", "ChatAdapter", 0.0402, 0.0410),
        Output(stream="stdout", text="asking: What is the capital of France?"),
        Output(stream="stderr", text="note: the offline LM answered from the lesson script"),
        TestResult(name="test_module_registers_the_gil_probe", outcome="passed", duration_s=0.001),
        TestResult(
            name="test_ask_returns_the_answer_as_a_string",
            outcome="failed",
            duration_s=0.002,
            message="ask() should return the `answer` field of the Prediction",
            expected="'Paris'",
            got="'TODO: ask DSPy'",
        ),
        GilStats(
            labels=[
                # Called from Python: nested attaches, which wait for nothing.
                GilLabelStats("predict", 3, None, None, None, 9650.0, 12100.0, 12100.0, nested=3),
                # Detach only: no hold; a wait for the GIL after each release.
                GilLabelStats("tidy", 0, 1.1, 3.5, 3.9, None, None, None, 3, 35.0, wait_count=3),
            ],
            switch_interval_s=0.005,
            gil_enabled=True,
            note="Measured from Rust by the gil-probe crate around gil_probe::attach / detach.",
        ),
        Verdict(
            step_id=step_id,
            verdict="fail",
            reason="test",
            summary="1 of 2 checks failed.",
            timings={"build_s": 1.234, "start_s": 0.05, "check_s": 0.12, "total_s": 1.45},
            problems=[
                Problem(
                    "error",
                    "test",
                    "test_ask_returns_the_answer_as_a_string: ask() should return ...",
                )
            ],
        ),
    ]


def panic_run() -> list:
    """What one panicking ask() produces when three checks call it (as seen for real)."""
    events: list = [
        BuildStarted("hello-world", ["cargo", "build"]),
        Diagnostic("warning", "unreachable statement", "unreachable_code", "src/lib.rs", 11, 5),
        BuildFinished(ok=True, duration_s=0.4),
        RunStarted(pid=1),
    ]
    for name in ("test_ask_returns", "test_ask_passes_the_question_on", "test_a_module_ran"):
        events += [
            RustPanic("the answer is lost", "src/lib.rs", 9, 5, "<unnamed>"),
            TestResult(
                name,
                "failed",
                message="pyo3_runtime.PanicException: the answer is lost",
                traceback=f"def {name}():\n>       hello_world.ask('q')\nE       PanicException",
            ),
        ]
    events.append(
        Verdict(
            "hello-world",
            "fail",
            "panic",
            "Rust panicked at src/lib.rs:9: the answer is lost",
            {"total_s": 0.5},
            ["test_ask_returns: pyo3_runtime.PanicException: the answer is lost"] * 3,
        )
    )
    return events


async def settle(pilot) -> None:
    """Render fed events and let the screen catch up."""
    while not pilot.app.ready:
        await pilot.pause(0.01)
    pilot.app.drain_events()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()  # e.g. the tab underline follows a relabelled tab one frame late
    await pilot.pause()


async def settle_screen(pilot) -> None:
    """``settle``, then wait until the screen has looked the same for three frames in a
    row: some widgets (the tab underline, the editor's line padding) follow a change a
    frame or two late, later still on a loaded machine."""
    await settle(pilot)
    previous, same = pilot.app.export_screenshot(), 0
    for _ in range(60):
        await pilot.pause(0.05)
        current = pilot.app.export_screenshot()
        same = same + 1 if current == previous else 0
        if same == 3:
            return
        previous = current


def record_notifications(app) -> list[str]:
    """Every notification the app shows, as text (run_test hides the toasts)."""
    seen: list[str] = []
    original = app.notify

    def notify(message, *args, **kwargs):
        title = kwargs.get("title", "")
        seen.append(f"{title}: {message}" if title else str(message))
        return original(message, *args, **kwargs)

    app.notify = notify
    return seen


def screen_text(app) -> str:
    """The screen as plain text, line by line (what a learner reads)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


BRACKETS = "#[pyfunction] [[lm.script]] [b]not bold[/b]"


def bracket_course(dest: Path) -> Path:
    """The fixture course with brackets in every text a learner reads: titles, goal,
    hints and the lesson (a PyO3 course is full of them)."""
    import shutil

    shutil.copytree(FIXTURE_COURSE, dest)
    module = dest / "fundamentals" / "module.toml"
    module.write_text(module.read_text().replace('"Fundamentals"', '"Fundamentals [b]mod[/b]"'))
    step = dest / "fundamentals" / "hello-world" / "step.toml"
    step.write_text(
        step.read_text()
        .replace('title = "Hello, DSPy"', 'title = "Hello #[pyfunction]"')
        .replace("First hint", f"First hint {BRACKETS}")
    )
    readme = dest / "fundamentals" / "hello-world" / "README.md"
    readme.write_text(f"A lesson line with {BRACKETS} in it.\n\n" + readme.read_text())
    return dest
