"""The error coach: explains PyO3's hard errors under the compiler's (or Python's) own text.

The catalogue is data (``catalogue/*.toml`` here, plus a course's ``coach/*.toml``); this
module loads it and matches it against Diagnostic, TestResult and PythonError events,
attaching a :class:`~tutor.events.CoachNote`. Headless: the faces only render the note.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from tutor.events import CoachNote, Diagnostic, Event, PythonError, TestResult
from tutor.tomlfile import TomlDoc, read_toml

BUNDLED = Path(__file__).parent / "catalogue"
KEYS = {"id", "title", "meaning", "fix", "link", "source", "codes", "message", "text"}
SOURCES = ("compiler", "runtime")


@dataclass(frozen=True)
class Entry:
    id: str
    note: CoachNote
    source: str  # compiler: Diagnostic events; runtime: Python errors and failed tests
    codes: tuple[str, ...]  # any of these rustc codes (empty: any code, or none)
    message: re.Pattern[str] | None  # searched in the diagnostic's message
    text: re.Pattern[str] | None  # searched in the full text (rendered, or the traceback)

    def matches(self, source: str, code: str | None, message: str, text: str) -> bool:
        return (
            source == self.source
            and (not self.codes or code in self.codes)
            and (self.message is None or self.message.search(message) is not None)
            and (self.text is None or self.text.search(text) is not None)
        )


def load_file(path: Path) -> list[Entry]:
    doc = read_toml(path)
    doc.check_keys(doc.data, {"entry"})
    tables = doc.get(doc.data, "entry", list, [])
    return [_entry(doc, table) for table in tables]


def _entry(doc: TomlDoc, table: dict) -> Entry:
    if not isinstance(table, dict):
        raise doc.error("each entry must be a [[entry]] table", key="entry")
    doc.check_keys(table, KEYS, "[[entry]]")
    entry_id = doc.get(table, "id", str, where="[[entry]]")
    where = f"entry {entry_id!r}"
    source = doc.get(table, "source", str, "compiler", where)
    if source not in SOURCES:
        raise doc.error(
            f"{where}: unknown source {source!r}",
            key="source",
            fix=f"use one of: {', '.join(SOURCES)}",
        )
    message, text = (_regex(doc, table, key, where) for key in ("message", "text"))
    if message is None and text is None:
        raise doc.error(
            f"{where} matches everything", key=entry_id, fix="give it a `message` or `text` regex"
        )
    note = CoachNote(
        entry=entry_id,
        **{k: doc.get(table, k, str, where=where).strip() for k in ("title", "meaning", "fix")},
        link=doc.get(table, "link", str, where=where),
    )
    codes = tuple(doc.get_str_list(table, "codes", []))
    return Entry(entry_id, note, source, codes, message, text)


def _regex(doc: TomlDoc, table: dict, key: str, where: str) -> re.Pattern[str] | None:
    pattern = doc.get(table, key, str, None, where)
    if pattern is None:
        return None
    try:
        return re.compile(pattern, re.S)
    except re.error as e:
        raise doc.error(
            f"{where}: {key} is not a valid regex: {e}",
            key=key,
            fix="check brackets and escapes (Python `re` syntax)",
        ) from None


def load_catalogue(course_root: Path | None = None) -> list[Entry]:
    """The course's ``coach/*.toml`` first (an entry with a bundled id replaces it), then
    the bundled catalogue; files in name order, entries in file order: first match wins."""
    course = sorted((course_root / "coach").glob("*.toml")) if course_root else []
    entries = [e for path in course for e in load_file(path)]
    own = {e.id for e in entries}
    bundled = [e for path in sorted(BUNDLED.glob("*.toml")) for e in load_file(path)]
    return entries + [e for e in bundled if e.id not in own]


class Coach:
    """Attaches notes to events. One per build: places already explained (rustc often
    reports several errors at one span) reuse their note, so all of them read the same."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self._by_place: dict[tuple, CoachNote] = {}

    def reset(self) -> None:
        self._by_place.clear()

    def find(self, source: str, code: str | None, message: str, text: str) -> CoachNote | None:
        entry = next((e for e in self.entries if e.matches(source, code, message, text)), None)
        return entry.note if entry else None

    def annotate(self, event: Event) -> Event:
        note: CoachNote | None = None
        if isinstance(event, Diagnostic) and event.level in ("error", "warning"):
            place = (event.file, event.line, event.column) if event.file else None
            note = self._by_place.get(place) or self.find(
                "compiler", event.code, event.message, event.rendered
            )
            if note and place:
                self._by_place[place] = note
        elif isinstance(event, TestResult) and event.outcome in ("failed", "error"):
            text = f"{event.message}\n{event.traceback}"
            note = self.find("runtime", None, event.message, text)
        elif isinstance(event, PythonError):
            message = f"{event.exc_type}: {event.message}"
            note = self.find("runtime", None, message, f"{message}\n{event.traceback}")
        return dataclasses.replace(event, coach=note) if note else event


class NoteLog:
    """Collects the coach's notes from a stream of events (``check --json``, per step)."""

    def __init__(self) -> None:
        self.notes: list[dict] = []

    def __call__(self, event: Event) -> None:
        note = getattr(event, "coach", None)
        if note is not None:
            where = {"file": getattr(event, "file", None), "line": getattr(event, "line", None)}
            self.notes.append({**dataclasses.asdict(note), **where})

    def take(self) -> list[dict]:
        notes, self.notes = self.notes, []
        return notes
