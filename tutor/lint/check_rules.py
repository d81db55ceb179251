"""Rules on a step's check.py, read with the ast module (never imported or run here).

A check must test behaviour through the built module: it may not open the learner's
source files (the check runs with the step's crate as its working folder, so
``open("src/lib.rs")`` would work) nor read code with ``inspect.getsource``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tutor.course.model import Step
from tutor.lint.findings import Finding

MIN_TESTS = 3
_SOURCE_PATH_RE = re.compile(r"(\.rs\b|(^|[/\\])src([/\\]|$)|\bCargo\.toml\b)")
_READERS = {
    "open",
    "read_text",
    "read_bytes",
    "readlines",
    "glob",
    "rglob",
    "iterdir",
    "walk",
    "listdir",
    "scandir",
    "fdopen",
    "check_output",
    "run",
    "Popen",
    "loadtxt",
}
_PATH_MAKERS = {"Path", "PurePath", "join", "joinpath"}
_INSPECT_READERS = {"getsource", "getsourcelines", "getsourcefile", "findsource", "getfile"}


def check_findings(step: Step) -> list[Finding]:
    path = step.check_path
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as e:
        return [Finding(path, e.lineno or 1, "format", f"the check is not valid Python: {e.msg}")]
    findings = _test_count(path, tree)
    findings += _source_reads(path, tree, step)
    return findings


def count_tests(tree: ast.Module) -> int:
    """Tests pytest collects: module-level test_* functions and test_* methods of Test*."""
    n = 0
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            n += 1
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            n += sum(
                1
                for m in node.body
                if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
                and m.name.startswith("test")
            )
    return n


def _test_count(path: Path, tree: ast.Module) -> list[Finding]:
    n = count_tests(tree)
    if n >= MIN_TESTS:
        return []
    return [
        Finding(
            path,
            1,
            "few-tests",
            f"the check has {n} test{'s' * (n != 1)}; write at least {MIN_TESTS} "
            "(each a behaviour the learner can get wrong, with a message that says what to change)",
        )
    ]


def _source_reads(path: Path, tree: ast.Module, step: Step) -> list[Finding]:
    learner_names = {Path(f).name for f in step.files} | set(step.files)
    reads_files = False
    findings: list[Finding] = []
    suspects: dict[int, ast.Constant] = {}  # path-like strings handed to file APIs
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            if name in _INSPECT_READERS and _is_inspect(node.func):
                findings.append(
                    Finding(
                        path,
                        node.lineno,
                        "reads-source",
                        f"inspect.{name} reads source code: test what the built module does "
                        "(call it, check values, spans, GIL timings) instead",
                    )
                )
            if name in _READERS:
                reads_files = True
            if name in _READERS | _PATH_MAKERS:
                for arg in [*node.args, *(k.value for k in node.keywords), node.func]:
                    suspects.update(_path_strings(arg, learner_names))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            suspects.update(_path_strings(node, learner_names))
    if reads_files:
        findings += [
            Finding(
                path,
                node.lineno,
                "reads-source",
                f"the check opens the learner's files ({node.value!r}): test the built "
                "module's behaviour instead of the source text",
            )
            for node in suspects.values()
        ]
    return findings


def _path_strings(node: ast.AST, learner_names: set[str]) -> dict[int, ast.Constant]:
    return {
        id(c): c
        for c in ast.walk(node)
        if isinstance(c, ast.Constant)
        and isinstance(c.value, str)
        and (_SOURCE_PATH_RE.search(c.value) or c.value in learner_names or c.value == "src")
    }


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_inspect(func: ast.expr) -> bool:
    """`inspect.getsource(...)`, or a bare `getsource(...)` imported from inspect."""
    if isinstance(func, ast.Attribute):
        return isinstance(func.value, ast.Name) and func.value.id == "inspect"
    return True
