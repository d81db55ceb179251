"""A read-only, full or forbidden disk: one message naming the folder, never a traceback.

Real read-only bind mounts where the machine allows them (tests/mounts.py); the write
boundaries are also tested with the error injected, so they hold everywhere.
"""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

import pytest

from tests.mounts import read_only
from tutor import cli
from tutor.atomic import write_text_atomic
from tutor.fserrors import DiskError, disk_problem_in
from tutor.workspace import Workspace
from tutor.workspace.lock import WorkspaceLock


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    assert cli.main(["--workspace", str(ws.root), "init"]) == 0
    return ws


def tutor(ws: Workspace, *args: str) -> int:
    return cli.main(["--workspace", str(ws.root), *args])


def test_read_only_workspace_still_lists_and_hints(ws: Workspace, capsys):
    capsys.readouterr()
    with read_only(ws.root):
        assert tutor(ws, "list") == 0
        assert "hello-world" in capsys.readouterr().out
        assert tutor(ws, "hint") == 0
        out, err = capsys.readouterr()
        assert "Hint 1/" in out
        assert "not remembered" in err and "read-only" in err and str(ws.root) in err


@pytest.mark.parametrize("command", [["check"], ["watch", "--once"], ["goto", "basic-qa"]])
def test_read_only_workspace_writing_commands_say_which_folder(ws: Workspace, capsys, command):
    capsys.readouterr()
    with read_only(ws.root):
        assert tutor(ws, *command) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"cannot write in {ws.root}" in err and "read-only" in err and "fix:" in err


def test_atomic_write_names_the_folder(tmp_path: Path, monkeypatch):
    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / ".x.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", full)
    with pytest.raises(DiskError) as info:
        write_text_atomic(tmp_path / "state.toml", "x")
    assert isinstance(info.value, OSError)  # callers catching OSError still do
    assert f"cannot write in {tmp_path}: the disk is full" in str(info.value)
    assert "cache --clean" in info.value.fix


def test_lock_on_unwritable_folder_names_it(tmp_path: Path, monkeypatch):
    import os

    def denied(path, *_a, **_k):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(DiskError, match="permission denied") as info:
        WorkspaceLock(tmp_path / "ws" / ".meta" / "lock").acquire()
    assert info.value.folder == tmp_path / "ws" / ".meta"


def test_any_disk_oserror_reaching_the_cli_is_one_message(ws: Workspace, capsys, monkeypatch):
    def boom(*_a, **_k):
        raise OSError(errno.EROFS, "Read-only file system", str(ws.meta / "x"))

    monkeypatch.setattr(cli, "load_course", boom)  # any write no boundary wrapped
    assert tutor(ws, "list") == 2
    err = capsys.readouterr().err
    assert f"cannot write in {ws.meta}: the file system is read-only" in err


@pytest.mark.parametrize(
    "line",
    [
        "error: failed to write /ws/.pyo3dspy-tutor/target/x.rmeta: No space left on device "
        "(os error 28)",
        "  = note: /usr/bin/ld: final link failed: No space left on device",
        "error: could not create directory: Read-only file system (os error 30)",
    ],
)
def test_disk_errors_in_build_output_are_recognised(line: str, tmp_path: Path):
    assert isinstance(disk_problem_in(["   Compiling pyo3 v0.29.3", line], tmp_path), DiskError)


def test_a_compile_error_is_not_a_disk_error(tmp_path: Path):
    lines = ["error[E0308]: mismatched types", "expected `String`"]
    assert disk_problem_in(lines, tmp_path) is None


def test_a_linker_killed_on_a_full_disk_is_a_disk_error(tmp_path: Path):
    from tests.mounts import tiny_disk

    with tiny_disk(tmp_path / "target", "1m") as target:
        (target / "fill").write_bytes(b"\0" * (1024 * 1024 - 4096))
        lines = ["collect2: fatal error: ld terminated with signal 7 [Bus error]"]
        assert isinstance(disk_problem_in(lines, target / "debug"), DiskError)
