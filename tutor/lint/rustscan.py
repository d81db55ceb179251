"""Just enough Rust lexing to search code without false hits in comments or strings.

``scan`` returns the source with comments blanked (and, in ``code``, string contents
blanked too), keeping every offset and newline, plus the string literals themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_RAW_START = re.compile(r'(?:b|c)?r(#*)"')
_STR_START = re.compile(r'(?:b|c)?"')
_CHAR = re.compile(r"b?'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'\n])'")
_IDENT_BEFORE = re.compile(r"[A-Za-z0-9_]$")


@dataclass
class Literal:
    offset: int  # of the first content character
    text: str


@dataclass
class Scanned:
    code: str  # comments and string contents blanked
    no_comments: str  # comments blanked, strings kept
    strings: list[Literal] = field(default_factory=list)

    def line_of(self, offset: int) -> int:
        return self.code.count("\n", 0, offset) + 1


def _blank(text: str) -> str:
    return "".join("\n" if c == "\n" else " " for c in text)


def scan(src: str) -> Scanned:
    code: list[str] = []
    no_comments: list[str] = []
    strings: list[Literal] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            end = src.find("\n", i)
            end = n if end < 0 else end
            code.append(_blank(src[i:end]))
            no_comments.append(_blank(src[i:end]))
            i = end
            continue
        if src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            code.append(_blank(src[i:j]))
            no_comments.append(_blank(src[i:j]))
            i = j
            continue
        prev_ident = bool(_IDENT_BEFORE.search(src[max(0, i - 1) : i]))
        m = None if prev_ident else _RAW_START.match(src, i)
        if m:
            close = '"' + m.group(1)
            start = m.end()
            end = src.find(close, start)
            end = n if end < 0 else end
            strings.append(Literal(start, src[start:end]))
            head, body, tail = src[i:start], src[start:end], src[end : end + len(close)]
            code.append(head + _blank(body) + tail)
            no_comments.append(head + body + tail)
            i = end + len(close)
            continue
        m = None if prev_ident else _STR_START.match(src, i)
        if m:
            start = j = m.end()
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            strings.append(Literal(start, src[start:j]))
            head, body, tail = src[i:start], src[start:j], src[j : j + 1]
            code.append(head + _blank(body) + tail)
            no_comments.append(head + body + tail)
            i = j + 1
            continue
        m = None if prev_ident else _CHAR.match(src, i)
        if c in "b'" and m:  # a char literal, not a lifetime such as 'py
            code.append(src[i] + " " * (m.end() - i - 2) + "'")
            no_comments.append(m.group(0))
            i = m.end()
            continue
        code.append(c)
        no_comments.append(c)
        i += 1
    return Scanned("".join(code), "".join(no_comments), strings)
