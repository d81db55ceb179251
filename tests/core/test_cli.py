"""The CLI's chores, in-process: init, list, hint, goto, reset/solution/restore, doctor."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor import cli
from tutor.course import bundled_course_dir, load_course
from tutor.workspace import Workspace
from tutor.workspace.lock import WorkspaceLock
from tutor.workspace.progress import load_progress, save_progress


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    assert cli.main(["--workspace", str(ws.root), "init"]) == 0
    return ws


def tutor(ws: Workspace, *args: str) -> int:
    return cli.main(["--workspace", str(ws.root), *args])


def test_init_says_where_and_what_next(capsys, tmp_path: Path):
    ws = Workspace(tmp_path / "ws")
    assert cli.main(["--workspace", str(ws.root), "init"]) == 0
    out = capsys.readouterr().out
    assert str(ws.root) in out and "Hello, DSPy" in out
    assert (ws.root / "fundamentals" / "hello-world" / "src" / "lib.rs").is_file()


def test_hints_one_more_per_call_and_remembered(ws: Workspace, capsys):
    step = load_course(bundled_course_dir()).step("hello-world")
    capsys.readouterr()
    tutor(ws, "hint")
    assert capsys.readouterr().out.count("Hint ") == 1
    tutor(ws, "hint")
    out = capsys.readouterr().out
    assert out.count("Hint ") == 2 and f"Hint 2/{len(step.hints)}" in out
    assert load_progress(ws.state_file).steps["hello-world"].hints_shown == 2


def test_goto_scaffolds_and_list_marks_current(ws: Workspace, capsys):
    assert tutor(ws, "goto", "basic-qa") == 0
    assert (ws.root / "fundamentals" / "basic-qa" / "src" / "lib.rs").is_file()
    capsys.readouterr()
    tutor(ws, "list")
    line = next(x for x in capsys.readouterr().out.splitlines() if "basic-qa" in x)
    assert "← current" in line


def test_solution_then_restore_brings_work_back(ws: Workspace, capsys):
    lib = ws.root / "fundamentals" / "hello-world" / "src" / "lib.rs"
    lib.write_text("// my attempt\n")
    assert tutor(ws, "solution") == 0
    assert "restore hello-world" in capsys.readouterr().out
    assert lib.read_text() != "// my attempt\n"
    assert tutor(ws, "restore") == 0
    assert lib.read_text() == "// my attempt\n"


def test_unknown_step_is_a_clear_error(ws: Workspace, capsys):
    assert tutor(ws, "hint", "no-such-step") == 2
    err = capsys.readouterr().err
    assert "no step 'no-such-step'" in err and "hello-world" in err


def test_command_on_locked_workspace_says_who_holds_it(ws: Workspace, capsys):
    with WorkspaceLock(ws.lock_file):
        assert tutor(ws, "goto", "basic-qa") == 2
    err = capsys.readouterr().err
    assert "in use by pyo3dspy-tutor" in err and "Traceback" not in err


def test_read_only_commands_work_while_another_tutor_holds_the_workspace(ws: Workspace, capsys):
    capsys.readouterr()
    with WorkspaceLock(ws.lock_file):  # what `watch` or the app holds
        assert tutor(ws, "hint") == 0
        assert tutor(ws, "hint") == 0
        assert tutor(ws, "list") == 0
        assert tutor(ws, "show") == 0
        # the lock holder saves its own (older) view of the progress meanwhile
        held = load_progress(ws.state_file)
        held.steps["hello-world"].hints_shown = 0
        held.record_verdict("hello-world", "fail")
        save_progress(ws.state_file, held)
    out = capsys.readouterr().out
    assert "Hint 2/" in out and "Hello, DSPy" in out and "Done looks like" in out
    entry = load_progress(ws.state_file).steps["hello-world"]
    assert (entry.hints_shown, entry.attempts) == (2, 1)  # both writers' changes kept


def test_lesson_text_keeps_its_square_brackets(ws: Workspace, capsys):
    capsys.readouterr()
    assert tutor(ws, "hint") == 0
    assert tutor(ws, "show", "hello-world") == 0
    out = capsys.readouterr().out
    assert "A #[pyfunction] that takes" in out  # the first hint
    assert "#[pymodule]" in out  # the lesson text


def test_missing_workspace_says_to_init(tmp_path: Path, capsys):
    assert cli.main(["--workspace", str(tmp_path / "none"), "list"]) == 2
    assert f"pyo3dspy-tutor --workspace {tmp_path / 'none'} init" in capsys.readouterr().err


def test_malformed_config_names_line(tmp_path: Path, monkeypatch, capsys):
    config = tmp_path / "config.toml"
    config.write_text('[lm]\nmodel = "offline"\ncolour = "blue"\n')
    monkeypatch.setenv("PYO3DSPY_TUTOR_CONFIG", str(config))
    assert cli.main(["list"]) == 2
    err = capsys.readouterr().err
    assert "config.toml:3" in err and "unknown key 'colour'" in err


def test_doctor_reports_each_finding(tmp_path: Path, capsys):
    code = cli.main(["--workspace", str(tmp_path / "ws"), "doctor"])
    out = capsys.readouterr().out
    for name in ("Rust", "cargo", "Python headers", "dspy", "LM", "disk", "workspace"):
        assert name in out
    assert code == 0 and "Ready." in out


def test_doctor_explains_a_missing_key(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    code = cli.main(["--workspace", str(tmp_path), "--lm", "anthropic/claude-3-5-haiku", "doctor"])
    out = capsys.readouterr().out
    assert code == 1 and "ANTHROPIC_API_KEY" in out and "fix:" in out


def test_limits_table_sets_the_memory_limit(tmp_path: Path):
    from tutor.config import DEFAULT_MEMORY_MIB, load_settings

    config = tmp_path / "config.toml"
    config.write_text("")  # no [limits] table (a --config file must exist)
    assert load_settings(config).limits.memory_mib == DEFAULT_MEMORY_MIB
    config.write_text("[limits]\nmemory_mib = 512\n")
    assert load_settings(config).limits.memory_mib == 512


def test_a_bad_memory_limit_names_line_and_fix(tmp_path: Path, monkeypatch, capsys):
    config = tmp_path / "config.toml"
    config.write_text('[limits]\nmemory_mib = "lots"\n')
    monkeypatch.setenv("PYO3DSPY_TUTOR_CONFIG", str(config))
    assert cli.main(["list"]) == 2
    err = capsys.readouterr().err
    assert "config.toml:2" in err and "memory_mib" in err and "fix:" in err


def test_the_cli_prints_a_timeouts_stack_and_what_output_was_dropped():
    from io import StringIO

    from rich.console import Console

    from tutor.events import OutputDropped, TimeoutReport
    from tutor.report import Printer

    buf = StringIO()
    printer = Printer(Console(file=buf, width=200), verbose=True)
    printer(TimeoutReport(4, "test_case", '  File "/ws/check.py", line 17 in test_case'))
    printer(OutputDropped(stream="stdout", bytes=2**20, lines=1000))
    text = buf.getvalue()
    assert "timeout: test_case was still running after 4 s" in text
    assert 'File "/ws/check.py", line 17 in test_case' in text
    assert "1,048,576 bytes (1,000 lines) of stdout not kept" in text
