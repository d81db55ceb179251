"""Rules that read a step's files without building anything."""

from __future__ import annotations

import re

from tutor.course.model import Step
from tutor.course.readme import Fence, fences, headings
from tutor.lint.findings import Finding
from tutor.lint.rustscan import scan
from tutor.tomlfile import read_toml

MIN_HINTS = 3
DONE_HEADING = "done looks like"
# A statement where only items may stand: `let x = …;`, `x.call()?;`, `return …`.
_TOP_STATEMENT = re.compile(r"^\s*(let\s|return\b|[A-Za-z_][\w.]*\s*(\.|=[^=>]|\())")
_ITEM_START = re.compile(
    r"^\s*(pub(\([^)]*\))?\s+)?(use|mod|fn|struct|enum|impl|trait|type|const|static|"
    r"extern|macro_rules!|async\s+fn|unsafe)\b"
)


def hint_findings(step: Step) -> list[Finding]:
    if len(step.hints) >= MIN_HINTS:
        return []
    doc = read_toml(step.dir / "step.toml")
    return [
        Finding(
            doc.path,
            doc.line_of("hints") or 1,
            "few-hints",
            f"{len(step.hints)} hint{'s' * (len(step.hints) != 1)}; give at least {MIN_HINTS}, "
            "from a nudge, to the API to use, to nearly the answer",
        )
    ]


def readme_findings(step: Step) -> list[Finding]:
    text = step.readme.read_text(encoding="utf-8")
    findings: list[Finding] = []
    if not any(h.lower().startswith(DONE_HEADING) for _, h in headings(text)):
        findings.append(
            Finding(
                step.readme,
                max(1, len(text.splitlines())),  # the end, where the section belongs
                "no-done-section",
                'add a "## Done looks like" section at the end: what the learner sees '
                "when the step passes",
            )
        )
    for fence in fences(text):
        if fence.is_rust and not fence.ignored and (line := fragment_line(fence)) is not None:
            findings.append(
                Finding(
                    step.readme,
                    line,
                    "rust-block",
                    "this ```rust block is a fragment (a statement or `...` outside any fn): "
                    "mark it ```rust,ignore, or make it complete code that compiles",
                )
            )
    return findings


def fragment_line(fence: Fence) -> int | None:
    """README line of the first thing that cannot stand at the top of a Rust file."""
    code = scan(fence.code).code
    depth = 0
    for n, line in enumerate(code.splitlines(), 1):
        if "..." in line or "…" in line:
            return fence.line + n
        if depth == 0 and _TOP_STATEMENT.match(line) and not _ITEM_START.match(line):
            return fence.line + n
        depth += line.count("{") - line.count("}")
    return None


def todo_findings(step: Step) -> list[Finding]:
    """The starter marks where the learner works; one file may be context (e.g. models.py)."""
    texts = [
        (step.starter_dir / rel).read_text(encoding="utf-8", errors="replace") for rel in step.files
    ]
    if any("TODO" in text for text in texts):
        return []
    return [
        Finding(
            step.starter_dir / step.files[0],
            1,
            "no-todo",
            "the starter has no TODO marker: mark each place the learner works with `// TODO: …`",
        )
    ]
