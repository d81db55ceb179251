"""Learner progress: a readable TOML file, written atomically after every change."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tomlkit

from tutor.atomic import write_text_atomic
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

    def step(self, step_id: str) -> StepProgress:
        return self.steps.setdefault(step_id, StepProgress())

    def record_verdict(self, step_id: str, verdict: str) -> None:
        entry = self.step(step_id)
        entry.attempts += 1
        entry.last_verdict = verdict
        if verdict == "pass" and step_id not in self.done:
            self.done.append(step_id)


def load_progress(path: Path) -> Progress:
    if not path.exists():
        return Progress()
    doc = read_toml(path)
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
