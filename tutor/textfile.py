"""Text files must be UTF-8: an undecodable byte is named by file, line, column and offset."""

from __future__ import annotations

from pathlib import Path

from tutor.errors import FileError

# What a lesson pack holds as text (everything else, e.g. images, is left alone).
TEXT_SUFFIXES = {".md", ".py", ".rs", ".toml", ".jsonl", ".json", ".txt", ".yaml", ".yml"}
_SKIP = {"target", "__pycache__", ".git"}


def utf8_problem(path: Path, data: bytes, e: UnicodeDecodeError) -> FileError:
    line = data.count(b"\n", 0, e.start) + 1
    column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
    return FileError(
        path,
        f"not UTF-8 text: byte 0x{data[e.start]:02x} at line {line}, column {column} "
        f"(offset {e.start})",
        line=line,
        fix="save it as UTF-8 (your editor's encoding setting, or "
        f"`iconv -f latin1 -t utf-8 {path.name}` if it was Latin-1)",
    )


def read_utf8(path: Path) -> str:
    """The file's text; FileError naming the first undecodable byte if it is not UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise utf8_problem(path, data, e) from None


def check_text_tree(root: Path) -> None:
    """Every text file under ``root`` decodes as UTF-8, or FileError names the first."""
    for path in sorted(root.rglob("*")):
        if (
            path.suffix in TEXT_SUFFIXES
            and not _SKIP.intersection(path.relative_to(root).parts)
            and path.is_file()
        ):
            read_utf8(path)
