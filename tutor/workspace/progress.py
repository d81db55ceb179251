"""Learner progress: a readable TOML file, written atomically after every change.

Only the tutor holding the workspace lock rewrites ``state.toml``. Taking a hint is allowed
while another tutor holds it (``hint`` in a second terminal next to ``watch`` or the
app), so hints go to a journal beside it, ``hints.log``: one ``<step-id> <hints shown>``
line, appended with a single ``O_APPEND`` write. :func:`load_progress` merges the journal
by taking the larger count, which is idempotent: the lock holder may save the merged
value at any time and the journal still agrees with it.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit

from tutor.atomic import write_text_atomic
from tutor.errors import FileError
from tutor.fserrors import writing
from tutor.tomlfile import read_toml

_HEADER = "pyo3dspy-tutor progress: safe to read or copy; edit only while the tutor is closed."


@dataclass
class StepProgress:
    attempts: int = 0
    hints_shown: int = 0
    last_verdict: str = ""


@dataclass
class Progress:
    course: str = ""
    current: str = ""
    done: list[str] = field(default_factory=list)
    steps: dict[str, StepProgress] = field(default_factory=dict)
    # What happened to the learner's progress on opening (never saved): said by each face.
    notices: list[str] = field(default_factory=list, compare=False)

    def step(self, step_id: str) -> StepProgress:
        return self.steps.setdefault(step_id, StepProgress())

    def record_verdict(self, step_id: str, verdict: str) -> None:
        entry = self.step(step_id)
        entry.attempts += 1
        entry.last_verdict = verdict
        if verdict == "pass" and step_id not in self.done:
            self.done.append(step_id)


def hints_journal(state_file: Path) -> Path:
    return state_file.with_name("hints.log")


def record_hints_shown(state_file: Path, step_id: str, shown: int) -> None:
    """Append "``step_id`` has shown ``shown`` hints"; safe without the workspace lock."""
    line = f"{step_id} {shown}\n".encode()
    fd = os.open(hints_journal(state_file), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)  # one short write: appended whole, never interleaved
    finally:
        os.close(fd)


def _merge_hints_journal(state_file: Path, progress: Progress) -> None:
    journal = hints_journal(state_file)
    if not journal.exists():
        return
    for line in journal.read_text(errors="replace").splitlines():
        step_id, _, count = line.partition(" ")
        if step_id and count.isdigit():  # a line cut short by a crash is skipped
            entry = progress.step(step_id)
            entry.hints_shown = max(entry.hints_shown, int(count))


def load_progress(path: Path) -> Progress:
    """Read the progress file; an unreadable one raises FileError (see ``recover``)."""
    progress = _load_state(path)
    _merge_hints_journal(path, progress)
    return progress


def _load_state(path: Path) -> Progress:
    if not path.exists():
        return Progress()
    doc = read_toml(path)
    if not doc.text.strip():
        raise FileError(path, "the file is empty", fix="restore it from a copy")
    d = doc.data
    fix = f"correct that line, or delete {path.name} to start over (your code is untouched)"
    progress = Progress(
        course=doc.get(d, "course", str, ""),
        current=doc.get(d, "current", str, ""),
        done=doc.get_str_list(d, "done", []),
    )
    for step_id, entry in doc.get(d, "steps", dict, {}).items():
        if not isinstance(entry, dict):
            raise doc.error(f"steps.{step_id} must be a table", key=step_id, fix=fix)
        progress.steps[step_id] = StepProgress(
            attempts=doc.get(entry, "attempts", int, 0, f"steps.{step_id}"),
            hints_shown=doc.get(entry, "hints_shown", int, 0, f"steps.{step_id}"),
            last_verdict=doc.get(entry, "last_verdict", str, "", f"steps.{step_id}"),
        )
    if not progress.course or not progress.current:
        missing = "course" if not progress.course else "current"
        raise doc.error(f"no {missing!r} in the file", fix=fix)
    return progress


def recover(path: Path, problem: FileError) -> Progress:
    """A fresh start after an unreadable progress file, keeping a copy of it and saying so.

    The learner's code lives in the step folders and is not touched."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    kept = path.with_name(f"{path.name}.unreadable-{stamp}")
    with writing(path.parent):
        shutil.copy2(path, kept)
    progress = Progress()
    progress.notices.append(
        f"Your progress file could not be read ({problem.message}). A copy is kept at "
        f"{kept}; progress starts over (your code in the step folders is untouched)."
    )
    return progress


def save_progress(path: Path, progress: Progress) -> None:
    doc = tomlkit.document()
    doc.add(tomlkit.comment(_HEADER))
    doc["course"] = progress.course
    doc["current"] = progress.current
    doc["done"] = progress.done
    steps = tomlkit.table(is_super_table=True)
    for step_id, entry in sorted(progress.steps.items()):
        t = tomlkit.table()
        t["attempts"] = entry.attempts
        t["hints_shown"] = entry.hints_shown
        t["last_verdict"] = entry.last_verdict
        steps[step_id] = t
    doc["steps"] = steps
    write_text_atomic(path, tomlkit.dumps(doc))
