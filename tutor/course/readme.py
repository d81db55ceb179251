"""A lesson README's structure: headings and fenced code blocks, with their lines.

Lint reads it to check a step's text; the app uses ``for_display`` so a rustdoc fence
such as ```` ```rust,ignore ```` is still highlighted as Rust.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_HEADING_RE = re.compile(r"^ {0,3}#{1,6}\s+(?P<text>.+?)\s*#*\s*$")
_RUST_ATTRS_RE = re.compile(r"^( {0,3}(?:`{3,}|~{3,})[ \t]*)(rust|rs)[, \t][^`\n]*$", re.M)
RUST_LANGS = {"rust", "rs"}


@dataclass(frozen=True)
class Fence:
    """A fenced code block. ``line`` is the opening fence (1-based); code starts below."""

    line: int
    lang: str  # first word of the info string: "rust" for ```rust,ignore
    attrs: tuple[str, ...]  # the rest: ("ignore",)
    code: str

    @property
    def is_rust(self) -> bool:
        return self.lang in RUST_LANGS

    @property
    def ignored(self) -> bool:
        """rustdoc's convention: ```rust,ignore is a fragment nobody compiles."""
        return "ignore" in self.attrs or "compile_fail" in self.attrs


def fences(text: str) -> list[Fence]:
    found: list[Fence] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE_RE.match(lines[i])
        if not m:
            i += 1
            continue
        marker = m["fence"]
        words = [w for w in re.split(r"[,\s]+", m["info"].strip()) if w]
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not (
            lines[i].strip().startswith(marker[0] * len(marker))
            and set(lines[i].strip()) == {marker[0]}
        ):
            body.append(lines[i])
            i += 1
        found.append(
            Fence(
                line=start + 1,
                lang=words[0].lower() if words else "",
                attrs=tuple(w.lower() for w in words[1:]),
                code="\n".join(body) + "\n",
            )
        )
        i += 1
    return found


def headings(text: str) -> list[tuple[int, str]]:
    """(line, text) of every ATX heading outside code blocks."""
    inside = _fenced_lines(text)
    return [
        (n, m["text"])
        for n, line in enumerate(text.splitlines(), 1)
        if n not in inside and (m := _HEADING_RE.match(line))
    ]


def _fenced_lines(text: str) -> set[int]:
    lines: set[int] = set()
    for f in fences(text):
        lines.update(range(f.line, f.line + f.code.count("\n") + 2))
    return lines


def for_display(text: str) -> str:
    """Drop rustdoc attributes from fence info strings (```rust,ignore → ```rust)."""
    return _RUST_ATTRS_RE.sub(r"\1\2", text)
