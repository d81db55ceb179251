"""Where things live inside a learner's workspace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tutor.course.model import Step

META = ".pyo3dspy-tutor"


@dataclass(frozen=True)
class Workspace:
    """A learner workspace: one crate per step, plus the tutor's own folder.

    ``root/<module>/<step>/``      the step's crate (the learner's files)
    ``root/.pyo3dspy-tutor/``      state.toml, lock, backups/, target/, build/, crates/
    """

    root: Path

    @property
    def meta(self) -> Path:
        return self.root / META

    @property
    def state_file(self) -> Path:
        return self.meta / "state.toml"

    @property
    def lock_file(self) -> Path:
        return self.meta / "lock"

    @property
    def backups(self) -> Path:
        return self.meta / "backups"

    @property
    def gil_probe(self) -> Path:
        return self.meta / "crates" / "gil-probe"

    def target_dir(self) -> Path:
        # One Cargo target dir for every step of both kinds: PyO3 compiles once
        # (tutor/build/cargo.py keeps their PyO3 configuration identical).
        return self.meta / "target" / "shared"

    def crate_dir(self, step: Step, variant: str = "learner") -> Path:
        """The step's crate; ``starter``/``solution`` variants live in a scratch area."""
        if variant == "learner":
            return self.root / step.module_id / step.id
        return self.meta / "checks" / variant / step.module_id / step.id

    def build_dir(self, step: Step, variant: str = "learner") -> Path:
        """Where the built module (or binary) is placed for the runner."""
        return self.meta / "build" / variant / step.id

    def exists(self) -> bool:
        return self.meta.is_dir()
