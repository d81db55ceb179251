"""AUTHORING.md's binary-step example is the fixture pack's step, file for file."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PACK = ROOT / "tests" / "fixtures" / "pack"
EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```\w*\n(.*?)```", re.DOTALL)


def test_the_binary_step_example_matches_the_pack():
    text = (ROOT / "lessons" / "AUTHORING.md").read_text(encoding="utf-8")
    examples = EXAMPLE.findall(text)
    assert {path for path, _ in examples} == {
        "embedding/embed-predict/step.toml",
        "embedding/embed-predict/solution/src/main.rs",
        "embedding/embed-predict/starter/src/main.rs",
        "embedding/embed-predict/check.py",
    }
    for path, shown in examples:
        assert shown == (PACK / path).read_text(encoding="utf-8"), f"AUTHORING.md's {path}"
