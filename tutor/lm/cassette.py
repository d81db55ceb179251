"""Cassettes: recorded LM responses a step replays offline (JSON lines).

Light on purpose (no dspy): the course loader validates cassettes, and the runner's
child writes new ones when an author records a step against a real provider.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.errors import FileError


@dataclass
class CassetteEntry:
    """A recorded response: used when ``match`` is a substring of the prompt."""

    match: str
    fields: dict[str, Any]


_CASSETTE_HINT = 'each line must be a JSON object like {"match": "<text>", "fields": {...}}'


class CassetteError(FileError, ValueError):
    """A malformed cassette line (file and line named)."""


def load_cassette(path: str | Path) -> list[CassetteEntry]:
    """Read a JSON-lines cassette; blank lines are skipped."""
    path = Path(path)
    entries = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            entries.append(_cassette_entry(line, path, lineno))
    return entries


def _cassette_entry(line: str, path: Path, lineno: int) -> CassetteEntry:
    def bad(problem: str) -> CassetteError:
        return CassetteError(path, problem, line=lineno, fix=_CASSETTE_HINT)

    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise bad("not a JSON object")
    unknown = sorted(set(data) - {"match", "fields"})
    if unknown:
        raise bad(f"unknown keys {unknown}")
    match, fields = data.get("match"), data.get("fields")
    if not isinstance(match, str) or not match:
        raise bad('"match" must be a non-empty string')
    if not isinstance(fields, dict):
        raise bad('"fields" must be an object of output fields')
    return CassetteEntry(match=match, fields=fields)


def cassette_from_spans(spans: list[Any]) -> list[CassetteEntry]:
    """One entry per LM call: its user prompt → the fields the adapter parsed from it."""
    lm_by_parent: dict[str | None, Any] = {}
    entries: list[CassetteEntry] = []
    for span in sorted(spans, key=lambda s: s.start):
        if span.kind == "lm" and span.messages:
            lm_by_parent[span.parent_id] = span
        elif span.kind == "adapter_parse" and isinstance(span.outputs, dict):
            lm = lm_by_parent.pop(span.parent_id, None)
            user = [
                m.get("content") for m in (lm.messages if lm else []) if m.get("role") == "user"
            ]
            if user and isinstance(user[-1], str):
                entries.append(CassetteEntry(match=user[-1], fields=span.outputs))
    return entries


def dump_cassette(entries: list[CassetteEntry]) -> str:
    return "".join(
        json.dumps({"match": e.match, "fields": e.fields}, ensure_ascii=False) + "\n"
        for e in entries
    )
