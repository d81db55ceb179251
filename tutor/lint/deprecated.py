"""Rule deprecated-api: the solution uses an API from the list in deprecated.toml."""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tutor.course.model import Step
from tutor.lint.findings import Finding
from tutor.lint.rustscan import scan

DATA = Path(__file__).with_name("deprecated.toml")


@dataclass(frozen=True)
class Deprecated:
    name: str
    pattern: re.Pattern[str]
    use: str
    why: str


@cache
def load_list(path: Path = DATA) -> tuple[tuple[Deprecated, ...], tuple[Deprecated, ...]]:
    """(PyO3 entries, DSPy entries)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    pyo3 = tuple(
        Deprecated(
            e["name"],
            re.compile(e.get("pattern", rf"\b{re.escape(e['name'])}\b")),
            e["use"],
            e["why"],
        )
        for e in data["pyo3"]
    )
    dspy = tuple(
        Deprecated(e["name"], re.compile(rf"\bdspy\.{re.escape(e['name'])}\b"), e["use"], e["why"])
        for e in data["dspy"]
    )
    return pyo3, dspy


def deprecated_findings(step: Step) -> list[Finding]:
    findings: list[Finding] = []
    for path in sorted(step.solution_dir.rglob("*")):
        if path.suffix == ".rs":
            findings += rust_findings(path, path.read_text(encoding="utf-8"))
        elif path.suffix == ".py":
            findings += python_findings(path, path.read_text(encoding="utf-8"))
    return findings


def rust_findings(path: Path, src: str) -> list[Finding]:
    pyo3, dspy = load_list()
    s = scan(src)
    hits: list[tuple[int, Deprecated]] = []
    for entry in pyo3:
        hits += [(m.start(), entry) for m in entry.pattern.finditer(s.code)]
    for entry in dspy:
        getattr_re = re.compile(
            r'getattr\(\s*(?:intern!\(\s*\w+\s*,\s*)?"' + re.escape(entry.name) + '"'
        )
        hits += [(m.start(), entry) for m in getattr_re.finditer(s.no_comments)]
        for lit in s.strings:  # Python code run from Rust: py.run(c"dspy.OpenAI(...)")
            hits += [(lit.offset + m.start(), entry) for m in entry.pattern.finditer(lit.text)]
    return [_finding(path, s.line_of(offset), entry) for offset, entry in sorted(hits, key=_key)]


def python_findings(path: Path, src: str) -> list[Finding]:
    _, dspy = load_list()
    by_name = {e.name: e for e in dspy}
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return []
    hits: list[tuple[int, Deprecated]] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "dspy"
            and node.attr in by_name
        ):
            hits.append((node.lineno, by_name[node.attr]))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "dspy":
            hits += [(node.lineno, by_name[a.name]) for a in node.names if a.name in by_name]
    return [_finding(path, line, entry) for line, entry in sorted(hits, key=_key)]


def _key(hit: tuple[int, Deprecated]) -> tuple[int, str]:
    return hit[0], hit[1].name


def _finding(path: Path, line: int, entry: Deprecated) -> Finding:
    return Finding(path, line, "deprecated-api", f"{entry.name}: {entry.why}; use {entry.use}")
