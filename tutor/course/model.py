"""The course as loaded: course → modules → steps. Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tutor.errors import TutorError

CrateKind = Literal["extension", "binary"]


@dataclass(frozen=True)
class ScriptedReply:
    """One ``[[lm.script]]`` table, validated (tutor/lm/scripts.py gives its meaning)."""

    table: dict[str, Any]


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    goal: str
    estimate_minutes: int
    files: tuple[str, ...]  # learner-edited, crate-relative
    hints: tuple[str, ...]
    dir: Path
    module_id: str
    kind: CrateKind = "extension"
    crate_module: str = ""  # Python module (extension) or binary name
    pyo3_features: tuple[str, ...] = ()
    dependencies: dict[str, Any] = field(default_factory=dict)
    check_file: str = "check.py"
    timeout_s: float = 20.0
    memory_mib: int | None = None  # None: the user's limit (config [limits])
    cassette: Path | None = None
    scripts: tuple[ScriptedReply, ...] = ()
    lm_task: dict[str, Any] | None = None  # [lm.task], examples inlined (tutor/lm/task.py)
    services: tuple[str, ...] = ()  # [[services]] names, started around the check

    @property
    def readme(self) -> Path:
        return self.dir / "README.md"

    @property
    def starter_dir(self) -> Path:
        return self.dir / "starter"

    @property
    def solution_dir(self) -> Path:
        return self.dir / "solution"

    @property
    def check_path(self) -> Path:
        return self.dir / self.check_file

    @property
    def crate_name(self) -> str:
        """Cargo package name: unique per step so the shared target dir keeps them apart."""
        return f"step-{self.id}"


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    skill: str
    summary: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    root: Path
    modules: tuple[Module, ...]

    def steps(self) -> list[Step]:
        return [step for module in self.modules for step in module.steps]

    def step(self, step_id: str) -> Step:
        for step in self.steps():
            if step.id == step_id:
                return step
        known = ", ".join(s.id for s in self.steps())
        raise TutorError(f"no step {step_id!r} in course {self.id!r}", fix=f"use one of: {known}")

    def next_step(self, step_id: str) -> Step | None:
        steps = self.steps()
        ids = [s.id for s in steps]
        i = ids.index(step_id)
        return steps[i + 1] if i + 1 < len(steps) else None
