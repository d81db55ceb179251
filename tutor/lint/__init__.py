"""`pyo3dspy-tutor lint`: the course guide (../shared/course-guide.md) as a command.

``lint_course`` loads a course, applies every rule and returns the findings; the
command (``tutor.lint.command``) prints them. Rule ids and meanings: ``findings.RULES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tutor.course import load_course
from tutor.course.model import Course
from tutor.errors import FileError
from tutor.lint.build_rules import WARM_CHECK_LIMIT_S, build_findings
from tutor.lint.check_rules import check_findings
from tutor.lint.deprecated import deprecated_findings
from tutor.lint.findings import RULES, Finding
from tutor.lint.readme_rust import compile_blocks
from tutor.lint.step_rules import hint_findings, readme_findings, todo_findings
from tutor.workspace.layout import Workspace

__all__ = ["RULES", "Finding", "LintOptions", "lint_course", "static_findings"]


@dataclass
class LintOptions:
    build: bool = True  # build and check starters, solutions and README blocks
    workspace: Workspace | None = None  # where builds happen (required when build)
    lm_settings: dict[str, str | None] = field(
        default_factory=lambda: {"model": "offline", "api_base": None}
    )
    warm_limit_s: float = WARM_CHECK_LIMIT_S
    progress: Callable[[str], None] = lambda _m: None


def lint_course(root: Path, options: LintOptions) -> list[Finding]:
    """Every finding for the course at ``root``; raises TutorError only for tool trouble."""
    try:
        course = load_course(root)
    except FileError as e:  # the loader stops at the first format problem
        where = f"{e.path}:{e.line}: " if e.line else f"{e.path}: "
        text = e.message.removeprefix(where)
        return [Finding(e.path, e.line or 1, "format", text + (f"; {e.fix}" if e.fix else ""))]
    findings = static_findings(course)
    if options.build:
        findings += _built_findings(course, options)
    return sorted(findings, key=lambda f: (str(f.path), f.line, f.rule))


def static_findings(course: Course) -> list[Finding]:
    findings: list[Finding] = []
    for step in course.steps():
        findings += hint_findings(step)
        findings += readme_findings(step)
        findings += check_findings(step)
        findings += todo_findings(step)
        findings += deprecated_findings(step)
    return findings


def _built_findings(course: Course, options: LintOptions) -> list[Finding]:
    from tutor.session import Session  # the runner: only when building

    assert options.workspace is not None, "building needs a workspace"
    ws = options.workspace
    options.progress("README code blocks")
    findings = compile_blocks(course, ws)
    session = Session(course, ws, options.lm_settings)
    try:
        for step in course.steps():
            findings += build_findings(step, session, options.warm_limit_s, options.progress)
    finally:
        session.close()
    return findings
