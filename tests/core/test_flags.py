"""Flags and the cache: every wrong path is a message, scratch builds go where asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fake_provider import openai_compatible_server
from tutor import cache, cli
from tutor.config import Settings
from tutor.course import bundled_course_dir, load_course
from tutor.doctor import check_lm


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def run(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err


@pytest.mark.parametrize("lessons", ["README.md", "no-such-folder"], ids=["a-file", "missing"])
def test_lessons_not_a_folder_is_a_message(tmp_path: Path, capsys, lessons: str):
    path = Path(__file__).parents[2] / lessons
    code, err = run(capsys, "--lessons", str(path), "list")
    assert code == 2 and "not a course folder" in err and "course.toml" in err


def test_lessons_may_name_course_toml_itself(tmp_path: Path, capsys):
    course_toml = bundled_course_dir() / "course.toml"
    code, _ = run(
        capsys, "--workspace", str(tmp_path / "ws"), "--lessons", str(course_toml), "init"
    )
    assert code == 0


def test_config_naming_a_folder_is_a_message(tmp_path: Path, capsys):
    code, err = run(capsys, "--config", str(tmp_path), "list")
    assert code == 2 and "this is a folder" in err and str(tmp_path / "config.toml") in err


def test_config_naming_a_missing_file_is_a_message(tmp_path: Path, capsys):
    code, err = run(capsys, "--config", str(tmp_path / "typo.toml"), "list")
    assert code == 2 and "does not exist" in err and "typo.toml" in err


def test_lesson_checks_build_in_a_named_workspace(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("PYO3DSPY_TUTOR_WORKSPACE")
    settings = Settings(workspace=tmp_path / "ci-ws", workspace_chosen=True)
    course = load_course(bundled_course_dir())
    assert cli._scratch_workspace(settings, course).root == tmp_path / "ci-ws"


def test_lesson_checks_without_a_workspace_use_the_cache_and_say_so(
    tmp_path: Path, monkeypatch, capsys
):
    course = load_course(bundled_course_dir())
    ws = cli._scratch_workspace(Settings(workspace=tmp_path / "none"), course)
    assert ws.root == tmp_path / "cache" / "pyo3dspy-tutor" / "lesson-checks" / course.id
    err = capsys.readouterr().err
    assert str(ws.root) in err and "cache --clean" in err


def test_cache_shows_its_place_and_cleans(tmp_path: Path, capsys):
    ws = cache.lesson_checks_workspace("pyo3-dspy")
    (ws.meta / "target").mkdir(parents=True)
    (ws.meta / "target" / "libpyo3.rlib").write_bytes(b"x" * 5000)
    assert cli.main(["cache"]) == 0
    out = capsys.readouterr().out
    assert str(cache.cache_root()) in out and "5 KB" in out
    assert cli.main(["cache", "--clean"]) == 0
    assert "Removed 5 KB" in capsys.readouterr().out
    assert not ws.root.exists()


def test_cache_clean_keeps_a_folder_in_use(tmp_path: Path, capsys):
    from tutor.workspace.lock import WorkspaceLock

    ws = cache.lesson_checks_workspace("pyo3-dspy")
    with WorkspaceLock(ws.meta / "lock-solution"):
        assert cli.main(["cache", "--clean"]) == 1
    assert "a lesson check is using it" in capsys.readouterr().out
    assert ws.root.exists()


def test_doctor_shows_the_cache(tmp_path: Path, capsys):
    cli.main(["--workspace", str(tmp_path / "ws"), "doctor"])
    out = capsys.readouterr().out
    assert "cache" in out and str(cache.cache_root()) in out


def test_doctor_tries_the_configured_lm(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    settings = Settings()
    settings.lm.model = "openai/gpt-4o-mini"
    with openai_compatible_server() as (base, paths):
        settings.lm.api_base = base
        [finding] = check_lm(settings)
        assert finding.status == "ok" and "answers" in finding.detail
        assert paths == ["/v1/chat/completions"]  # one request, really sent
    [finding] = check_lm(settings)  # the server is gone: nobody answers
    assert finding.status == "fail" and "did not answer" in finding.detail
    assert "sk-test-not-a-real-key" not in finding.detail
