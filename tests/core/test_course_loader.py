"""The course loader: the bundled course loads; every kind of mistake names file, line, fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.course import bundled_course_dir, load_course
from tutor.errors import FileError


def test_bundled_course_loads_with_fundamentals_first():
    course = load_course(bundled_course_dir())
    assert course.modules[0].id == "fundamentals"
    ids = [s.id for s in course.steps()]
    assert ids[:2] == ["hello-world", "basic-qa"]
    for step in course.steps():
        assert step.hints, step.id
        assert step.readme.is_file(), step.id
        for rel in step.files:
            assert (step.starter_dir / rel).is_file()
            assert (step.solution_dir / rel).is_file()


def _error(course_dir: Path) -> FileError:
    with pytest.raises(FileError) as info:
        load_course(course_dir)
    return info.value


def test_bad_toml_names_file_and_line(course_dir: Path):
    step_toml = course_dir / "fundamentals" / "hello-world" / "step.toml"
    lines = step_toml.read_text().splitlines()
    lines[2] = 'goal = "unterminated'
    step_toml.write_text("\n".join(lines) + "\n")
    e = _error(course_dir)
    assert e.path == step_toml
    assert e.line == 3
    assert "invalid TOML" in str(e) and "fix:" in str(e)


def test_missing_starter_file(course_dir: Path):
    (course_dir / "fundamentals" / "hello-world" / "starter" / "src" / "lib.rs").unlink()
    e = _error(course_dir)
    assert "starter/src/lib.rs is missing" in e.message
    assert e.line is not None  # points at the `files = [...]` line


def test_duplicate_step_id(course_dir: Path):
    second = course_dir / "fundamentals" / "basic-qa" / "step.toml"
    second.write_text(second.read_text().replace('id = "basic-qa"', 'id = "hello-world"', 1))
    e = _error(course_dir)
    assert "duplicate step id 'hello-world'" in e.message
    assert e.path == second


def test_step_without_hints(course_dir: Path):
    step_toml = course_dir / "fundamentals" / "hello-world" / "step.toml"
    text = step_toml.read_text()
    start = text.index("hints = [")
    end = text.index("]\n", start) + 2
    step_toml.write_text(text[:start] + "hints = []\n" + text[end:])
    e = _error(course_dir)
    assert "at least one non-empty hint" in e.message
    assert e.line == text[:start].count("\n") + 1


def test_unknown_key_lists_allowed_keys(course_dir: Path):
    step_toml = course_dir / "fundamentals" / "hello-world" / "step.toml"
    step_toml.write_text("titel = 'typo'\n" + step_toml.read_text())
    e = _error(course_dir)
    assert "unknown key 'titel'" in e.message and e.line == 1
    assert "allowed:" in e.fix and "title" in e.fix


def test_module_listed_but_missing(course_dir: Path):
    course_toml = course_dir / "course.toml"
    course_toml.write_text(
        course_toml.read_text().replace('"fundamentals"', '"fundamentals", "nope"')
    )
    e = _error(course_dir)
    assert "module folder 'nope' does not exist" in e.message
    assert e.path == course_toml


def test_wrong_type_is_explained(course_dir: Path):
    step_toml = course_dir / "fundamentals" / "hello-world" / "step.toml"
    text = step_toml.read_text()
    step_toml.write_text(text.replace("estimate_minutes = 10", 'estimate_minutes = "ten"'))
    e = _error(course_dir)
    assert "'estimate_minutes' must be int, not str" in e.message


def test_malformed_script_entry(course_dir: Path):
    step_toml = course_dir / "fundamentals" / "hello-world" / "step.toml"
    step_toml.write_text(step_toml.read_text() + '\n[[lm.script]]\nwhen = "x"\n')
    e = _error(course_dir)
    assert "exactly one of `answer = {…}`" in e.message


def test_a_step_may_set_its_own_memory_limit(course_dir: Path):
    step_toml = course_dir / "fundamentals" / "hello-world" / "step.toml"
    text = step_toml.read_text()
    step_toml.write_text(
        text.replace("timeout_seconds = 20", "timeout_seconds = 20\nmemory_mib = 4096")
    )
    assert load_course(course_dir).step("hello-world").memory_mib == 4096
    step_toml.write_text(
        text.replace("timeout_seconds = 20", "timeout_seconds = 20\nmemory_mib = 0")
    )
    e = _error(course_dir)
    assert e.path == step_toml and "memory_mib must be positive" in str(e)


def test_script_sequences_and_tasks_load(course_dir: Path):
    step_toml = course_dir / "fundamentals" / "hello-world" / "step.toml"
    step_toml.write_text(
        step_toml.read_text()
        + '\n[[lm.script]]\ninputs = { question = "Q" }\n'
        + 'answers = [{ answer = "1" }, { answer = "2" }]\n'
        + '\n[lm.task]\ninput = "question"\noutput = "answer"\nlabels = ["yes", "no"]\n'
        + 'examples = [{ input = "is it?", output = "yes" }]\n'
    )
    step = load_course(course_dir).step("hello-world")
    assert step.scripts[-1].table["answers"] == [{"answer": "1"}, {"answer": "2"}]
    assert step.lm_task == {
        "input": "question",
        "output": "answer",
        "labels": ["yes", "no"],
        "examples": [{"input": "is it?", "output": "yes"}],
    }


def test_a_script_that_can_never_match_is_refused_at_load(course_dir: Path):
    step_toml = course_dir / "fundamentals" / "hello-world" / "step.toml"
    step_toml.write_text(
        step_toml.read_text()
        + '\n[[lm.script]]\noutputs = ["answer"]\nanswer = { reasoning = "x" }\n'
    )
    e = _error(course_dir)
    assert "could never match" in e.message and e.path == step_toml and e.line


def test_malformed_task_names_the_problem(course_dir: Path):
    step_toml = course_dir / "fundamentals" / "hello-world" / "step.toml"
    step_toml.write_text(step_toml.read_text() + '\n[lm.task]\ninput = "q"\noutput = "a"\n')
    e = _error(course_dir)
    assert "`labels` must be a non-empty list" in e.message and e.path == step_toml


def _with_services(course_dir: Path, tables: str) -> tuple[Path, str]:
    step_toml = course_dir / "fundamentals" / "hello-world" / "step.toml"
    text = step_toml.read_text() + "\n" + tables
    step_toml.write_text(text)
    return step_toml, text


def test_services_are_loaded(course_dir: Path):
    _with_services(course_dir, '[[services]]\nname = "redis"\n')
    step = next(s for s in load_course(course_dir).steps() if s.id == "hello-world")
    assert step.services == ("redis",)


def test_unknown_service_names_its_line(course_dir: Path):
    step_toml, text = _with_services(course_dir, '[[services]]\nname = "postgres"\n')
    e = _error(course_dir)
    assert e.path == step_toml and "service 'postgres' is not known" in e.message
    assert e.line == text.splitlines().index('name = "postgres"') + 1
    assert "redis" in e.fix


def test_unknown_service_key_is_named(course_dir: Path):
    step_toml, text = _with_services(course_dir, '[[services]]\nname = "redis"\nprot = 6379\n')
    e = _error(course_dir)
    assert "unknown key 'prot' in services" in e.message
    assert e.line == text.splitlines().index("prot = 6379") + 1


def test_a_service_declared_twice(course_dir: Path):
    _with_services(course_dir, '[[services]]\nname = "redis"\n\n[[services]]\nname = "redis"\n')
    assert "declared twice" in _error(course_dir).message
