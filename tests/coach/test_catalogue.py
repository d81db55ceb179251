"""Loading the coach's catalogue and matching events (no compiler needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.coach import Coach, NoteLog, load_catalogue
from tutor.errors import FileError
from tutor.events import CoachNote, Diagnostic, PythonError, TestResult, event_from_json

ENTRY = """
[[entry]]
id = "{id}"
title = "Own title"
codes = ["E0599"]
message = "frobnicate"
meaning = "m"
fix = "f"
link = "https://pyo3.rs/v0.29.3/"
"""


def test_bundled_catalogue_has_at_least_twelve_entries_with_guide_links() -> None:
    entries = load_catalogue()
    assert len(entries) >= 12
    assert len({e.id for e in entries}) == len(entries)
    assert all(e.note.link.startswith("https://pyo3.rs/v0.29.3/") for e in entries)


def test_course_entries_come_first_and_replace_bundled_ones(tmp_path: Path) -> None:
    (tmp_path / "coach").mkdir()
    (tmp_path / "coach" / "mine.toml").write_text(
        ENTRY.format(id="mine") + ENTRY.format(id="old-with-gil")
    )
    entries = load_catalogue(tmp_path)
    assert [e.id for e in entries[:2]] == ["mine", "old-with-gil"]
    assert [e.id for e in entries].count("old-with-gil") == 1
    d = Diagnostic("error", "no method named `frobnicate` found", code="E0599")
    assert Coach(entries).annotate(d).coach.entry == "mine"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[entry]]\nid = "x"\ntitle = "t"\n', "matches everything"),
        (ENTRY.format(id="x").replace('"frobnicate"', '"(("'), "not a valid regex"),
        (ENTRY.format(id="x") + 'colour = "red"\n', "unknown key 'colour'"),
        (ENTRY.format(id="x").replace('title = "Own title"\n', ""), "missing required key"),
    ],
)
def test_a_bad_coach_file_names_the_file_and_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    (tmp_path / "coach").mkdir()
    (tmp_path / "coach" / "bad.toml").write_text(text)
    with pytest.raises(FileError, match=problem) as info:
        load_catalogue(tmp_path)
    assert "bad.toml" in str(info.value)


# PyO3 0.29.3's own texts (src/pycell.rs: PyBorrowMutError / PyBorrowError Display).
@pytest.mark.parametrize("message", ["Already borrowed", "Already mutably borrowed"])
def test_runtime_borrow_errors_are_coached_in_tests_and_python_errors(message: str) -> None:
    coach = Coach(load_catalogue())
    test = TestResult("test_push", "failed", message=f"RuntimeError: {message}")
    error = PythonError("RuntimeError", message)
    assert coach.annotate(test).coach.entry == "pyclass-already-borrowed"
    assert coach.annotate(error).coach.entry == "pyclass-already-borrowed"
    assert coach.annotate(TestResult("t", "failed", message="assert 1 == 2")).coach is None


def test_a_note_survives_the_json_form_and_the_note_log() -> None:
    coach = Coach(load_catalogue())
    d = Diagnostic(
        "error",
        "cannot find function `prepare_freethreaded_python` in crate `pyo3`",
        code="E0425",
        file="src/lib.rs",
        line=3,
    )
    annotated = coach.annotate(d)
    again = event_from_json(annotated.to_json())
    assert isinstance(again.coach, CoachNote) and again == annotated
    log = NoteLog()
    log(annotated)
    assert log.take() == [{**annotated.to_dict()["coach"], "file": "src/lib.rs", "line": 3}]
    assert log.take() == []


def test_unmatched_and_note_level_diagnostics_get_no_note() -> None:
    coach = Coach(load_catalogue())
    assert coach.annotate(Diagnostic("error", "mismatched types", code="E0308")).coach is None
    note = Diagnostic("failure-note", "For more information about `with_gil`")
    assert coach.annotate(note).coach is None
