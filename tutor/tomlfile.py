"""Reading TOML files with errors that name the file, the line and the fix.

Shared by the course loader, the config, the theme loader and the progress store.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.errors import FileError
from tutor.textfile import read_utf8

_LINE_RE = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_toml(path: Path) -> TomlDoc:
    try:
        text = read_utf8(path)
    except FileNotFoundError:
        raise FileError(
            path, "file not found", fix="create it or remove the entry that lists it"
        ) from None
    except IsADirectoryError:
        raise FileError(
            path, "this is a folder, not a TOML file", fix="name the file itself"
        ) from None
    except OSError as e:
        raise FileError(
            path, f"cannot read it: {e.strerror}", fix="check its permissions"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = _LINE_RE.search(str(e))
        line = int(m.group(1)) if m else None
        msg = _LINE_RE.sub("", str(e)).strip()
        raise FileError(
            path,
            f"invalid TOML: {msg}",
            line=line,
            fix="check quotes, brackets and '=' on that line (https://toml.io)",
        ) from None
    return TomlDoc(path, text, data)


@dataclass
class TomlDoc:
    """A parsed TOML file plus its text, for pointing at lines in errors."""

    path: Path
    text: str
    data: dict[str, Any]

    def line_of(self, key: str) -> int | None:
        """Best-effort line of ``key = ...`` or ``[key]`` (TOML keeps no positions)."""
        pattern = re.compile(rf"^\s*(\[\[?\s*)?([\w.-]*\.)?{re.escape(key)}\s*(=|\]|\.)", re.M)
        m = pattern.search(self.text)
        return self.text.count("\n", 0, m.start()) + 1 if m else None

    def error(self, message: str, *, key: str | None = None, fix: str = "") -> FileError:
        return FileError(self.path, message, line=self.line_of(key) if key else None, fix=fix)

    def check_keys(self, table: dict[str, Any], allowed: set[str], where: str = "") -> None:
        for key in table:
            if key not in allowed:
                raise self.error(
                    f"unknown key {key!r}{' in ' + where if where else ''}",
                    key=key,
                    fix=f"remove it or fix the spelling (allowed: {', '.join(sorted(allowed))})",
                )

    def get(
        self,
        table: dict[str, Any],
        key: str,
        kind: type | tuple[type, ...],
        default: Any = ...,
        where: str = "",
    ) -> Any:
        if key not in table:
            if default is ...:
                raise self.error(
                    f"missing required key {key!r}{' in ' + where if where else ''}",
                    fix=f"add `{key} = ...`" + (f" under [{where}]" if where else ""),
                )
            return default
        value = table[key]
        # bool is an int in Python; TOML keeps them apart, so do we.
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            names = " or ".join(t.__name__ for t in _as_tuple(kind))
            raise self.error(
                f"{key!r} must be {names}, not {type(value).__name__}",
                key=key,
                fix=f"give {key} a {names} value",
            )
        return value

    def get_str_list(self, table: dict[str, Any], key: str, default: Any = ...) -> list[str]:
        value = self.get(table, key, list, default)
        if any(not isinstance(v, str) for v in value):
            raise self.error(
                f"{key!r} must be a list of strings",
                key=key,
                fix=f'write it as {key} = ["...", "..."]',
            )
        return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)
