"""The step's Cargo.toml and pyproject.toml: the tutor's keys, plus what the learner added.

The tutor manages every key its template and the lesson set (package and target names,
pyo3 and its features, gil-probe, the lesson's crates, the dev profile). A learner may
add anything else — a dependency, [dev-dependencies], a [features] table — and it is
kept across checks. A managed key the learner changed or removed gets the tutor's value
back; the caller backs the learner's file up first and says which keys and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError


@dataclass
class Merged:
    text: str
    replaced: list[str] = field(default_factory=list)  # dotted keys given the tutor's value
    kept: list[str] = field(default_factory=list)  # dotted keys the learner added
    unreadable: str | None = None  # the learner's file was not valid TOML: why


def merge_manifest(tutor_text: str, learner_text: str | None) -> Merged:
    """The learner's manifest with every managed key set to the tutor's value (their
    layout, comments and additions kept)."""
    if learner_text is None or learner_text == tutor_text:
        return Merged(tutor_text)
    try:
        learner = tomlkit.parse(learner_text)
    except TOMLKitError as e:
        return Merged(tutor_text, unreadable=str(e))
    merged = Merged("")
    _apply(tomlkit.parse(tutor_text), learner, "", merged)
    merged.text = tomlkit.dumps(learner)
    return merged


def _apply(ours: Any, theirs: Any, prefix: str, merged: Merged) -> None:
    """Set ``ours`` (the tutor's keys) into ``theirs``, noting what changed and what is
    the learner's own."""
    for key, value in ours.items():
        path = f"{prefix}{key}"
        if key in theirs and _is_table(theirs[key]) and _is_table(value):
            _apply(value, theirs[key], f"{path}.", merged)
        elif key not in theirs or _plain(theirs[key]) != _plain(value):
            theirs[key] = value
            merged.replaced.append(path)
    merged.kept.extend(f"{prefix}{key}" for key in theirs if key not in ours)


def _is_table(item: Any) -> bool:
    return isinstance(item, dict)


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item


def explain(name: str, merged: Merged, saved: str) -> str:
    """What happened to the learner's manifest, for a notice."""
    if merged.unreadable:
        what = f"your {name} was not valid TOML ({merged.unreadable}), so the tutor wrote its own"
    else:
        keys = ", ".join(merged.replaced)
        what = (
            f"the tutor manages {keys} in {name} (the lesson sets them, and the check "
            "builds with them), so your change there was replaced"
        )
    kept = f"; your additions ({', '.join(merged.kept)}) are kept" if merged.kept else ""
    return (
        f"{what}{kept}. Your version is saved in {saved}. To use another crate, add it "
        "under [dependencies]: additions are kept."
    )
