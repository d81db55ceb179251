"""What lint reports: one finding per problem, with the rule that found it."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

# Rule id → what it checks (AUTHORING.md lists the same, with how to fix each).
RULES: dict[str, str] = {
    "format": "course.toml / module.toml / step.toml / cassette problems the loader finds",
    "few-hints": "a step has fewer than three hints",
    "no-done-section": 'a README has no "Done looks like" section',
    "rust-block": "a ```rust block in a README is a fragment, or does not compile, "
    "and is not marked ```rust,ignore",
    "few-tests": "a check has fewer than three tests",
    "reads-source": "a check reads the learner's source text instead of testing behaviour",
    "no-todo": "no starter file of the step holds a TODO marker",
    "starter-passes": "the starter passes its check",
    "starter-import-error": "the starter fails with an import error, not a message that "
    "points the way",
    "solution-fails": "the solution does not pass its check",
    "deprecated-api": "a solution uses a deprecated or removed PyO3 or DSPy API",
    "slow-check": "a step's warm check takes longer than the limit (5 s)",
}


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    rule: str
    message: str  # what is wrong and what to do

    def __post_init__(self) -> None:
        assert self.rule in RULES, self.rule

    def text(self) -> str:
        return f"{_shown(self.path)}:{self.line}: {self.rule} {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "path": str(self.path)}


def _shown(path: Path) -> str:
    """Relative to the current folder when inside it (shorter, still clickable)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel
