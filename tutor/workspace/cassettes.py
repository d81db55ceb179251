"""Installing a freshly recorded cassette into a lesson (for lesson authors)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import tomlkit

from tutor.atomic import write_text_atomic
from tutor.course.model import Step

DEFAULT_NAME = "cassette.jsonl"


def install_cassette(step: Step, recorded: Path) -> tuple[Path, Path | None]:
    """Move ``recorded`` to the step's cassette (backing up an old one) and make sure
    step.toml names it, keeping the file's comments. Returns (cassette, backup)."""
    target = step.cassette or step.dir / DEFAULT_NAME
    backup = None
    if target.exists():
        backup = target.with_name(f"{target.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
        shutil.copy2(target, backup)
    shutil.move(recorded, target)
    if step.cassette is None:
        step_toml = step.dir / "step.toml"
        doc = tomlkit.parse(step_toml.read_text(encoding="utf-8"))
        lm = doc.setdefault("lm", tomlkit.table())
        lm["cassette"] = target.name
        write_text_atomic(step_toml, tomlkit.dumps(doc))
    return target, backup
