"""Square brackets in lesson text, hints and errors print as written in every CLI path."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tutor import cli
from tutor.console import TutorConsole, markup
from tutor.doctor import Finding
from tutor.events import Diagnostic, PythonError, RustPanic, TestResult, Verdict
from tutor.report import Printer

BRACKETS = "A #[pyfunction] with [[lm.script]], [red]not red[/] and Vec<[u8; 4]>"


def printed(emit) -> str:
    buf = io.StringIO()
    console = TutorConsole(file=buf, width=400)
    emit(console)
    return buf.getvalue()


def test_plain_strings_print_literally_and_markup_escapes_its_values():
    out = printed(lambda c: (c.print(BRACKETS), c.print(markup("[bold]{}[/]", BRACKETS))))
    assert out.splitlines() == [BRACKETS, BRACKETS]


@pytest.mark.parametrize(
    "event",
    [
        Diagnostic(level="error", message=BRACKETS, rendered=f"error[E0308]: {BRACKETS}"),
        TestResult(name="t", outcome="failed", message=BRACKETS, expected=BRACKETS, got="[x]"),
        RustPanic(message=BRACKETS, file="src/lib.rs", line=3, column=1),
        PythonError(exc_type="TypeError", message=BRACKETS),
        Verdict(step_id="s", verdict="fail", summary=BRACKETS),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_event_the_cli_prints_keeps_brackets(event):
    out = printed(lambda c: Printer(c, verbose=True)(event))
    assert BRACKETS in out


def test_error_messages_keep_brackets(tmp_path: Path, capsys):
    ws = tmp_path / "ws"
    assert cli.main(["--workspace", str(ws), "init"]) == 0
    assert cli.main(["--workspace", str(ws), "hint", "[[lm.script]]"]) == 2
    assert "no step '[[lm.script]]'" in capsys.readouterr().err


def test_doctor_findings_keep_brackets(monkeypatch, tmp_path: Path, capsys):
    finding = Finding("rustc", "fail", BRACKETS, fix=f"run `rustup default [stable]` {BRACKETS}")
    monkeypatch.setattr("tutor.doctor.diagnose", lambda settings: [finding])
    assert cli.main(["--workspace", str(tmp_path / "ws"), "doctor"]) == 1
    out = capsys.readouterr().out
    assert BRACKETS in out and "rustup default [stable]" in out


def test_no_cli_module_makes_its_own_rich_console():
    """The CLI prints only through TutorConsole: a plain Console would print markup raw."""
    root = Path(cli.__file__).parent
    makers = [
        p.relative_to(root).as_posix()
        for p in root.rglob("*.py")
        if "app" not in p.relative_to(root).parts
        and re.search(r"(?<!Tutor)Console\(", p.read_text())
    ]
    assert makers == []
