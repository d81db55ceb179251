"""Every text file of a lesson pack must be UTF-8; the first that is not is named exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor import cli
from tutor.course import load_course
from tutor.errors import FileError


@pytest.mark.parametrize(
    "rel",
    [
        "fundamentals/hello-world/README.md",
        "fundamentals/hello-world/check.py",
        "fundamentals/hello-world/starter/src/lib.rs",
        "fundamentals/module.toml",
    ],
)
def test_a_non_utf8_file_is_named_with_line_and_column(course_dir: Path, rel: str):
    path = course_dir / rel
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.encode("utf-8") + "# déjà vu\n".encode("latin-1"))
    line = text.count("\n") + 1
    with pytest.raises(FileError) as info:
        load_course(course_dir)
    assert info.value.path == path and info.value.line == line
    assert f"byte 0xe9 at line {line}, column 4" in str(info.value)
    assert "UTF-8" in info.value.fix


def test_the_cli_says_it_without_a_traceback(course_dir: Path, capsys):
    readme = course_dir / "fundamentals" / "hello-world" / "README.md"
    readme.write_bytes("Caf\xe9\n".encode("latin-1"))
    assert cli.main(["--lessons", str(course_dir), "list"]) == 2
    err = capsys.readouterr().err
    assert f"{readme}:1: not UTF-8 text" in err and "Traceback" not in err
