"""Verdicts → machine-readable reports: the ``check --json`` object and JUnit XML."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tutor.events import Problem, Verdict


def problem_dict(p: Problem) -> dict[str, Any]:
    return dataclasses.asdict(p)


def json_report(
    course: str,
    variant: str,
    expected: str,
    results: list[tuple[Verdict, bool]],
    coaching: list[list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The object ``check --json`` prints; ``errors`` are structured problems, ``coach``
    the error coach's notes per step (tutor/coach/ ``NoteLog``)."""
    coaching = coaching or [[] for _ in results]
    return {
        "course": course,
        "variant": variant,
        "expected": expected,
        "ok": all(good for _, good in results),
        "steps": [
            {
                "id": v.step_id,
                "verdict": v.verdict,
                "reason": v.reason,
                "summary": v.summary,
                "timings": v.timings,
                "errors": [problem_dict(p) for p in v.problems],
                "skipped": v.skipped,
                "coach": notes,
                "ok": good,
            }
            for (v, good), notes in zip(results, coaching, strict=True)
        ],
    }


def location(p: Problem) -> str:
    """``file:line:column: level[code]: message`` — the form editors and CI annotators read."""
    where = ":".join(str(x) for x in (p.file, p.line, p.column) if x is not None)
    code = f"[{p.code}]" if p.code else ""
    return f"{where + ': ' if where else ''}{p.level}{code}: {p.message}"


def write_junit(path: Path, suite: str, results: list[tuple[Verdict, bool]]) -> None:
    """``results``: each verdict and whether it is what the run expected."""
    failures = sum(1 for _, ok in results if not ok)
    root = ET.Element("testsuite", name=suite, tests=str(len(results)), failures=str(failures))
    for verdict, ok in results:
        case = ET.SubElement(
            root,
            "testcase",
            classname=suite,
            name=verdict.step_id,
            time=f"{verdict.timings.get('total_s', 0.0):.3f}",
        )
        first = next((p for p in verdict.problems if p.file), None)
        if first is not None:  # GitLab and others link the case to this place
            case.set("file", first.file or "")
            if first.line is not None:
                case.set("line", str(first.line))
        if not ok:
            failure = ET.SubElement(
                case,
                "failure",
                message=f"{verdict.verdict}: {verdict.summary}",
                type=verdict.reason or verdict.verdict,
            )
            failure.text = "\n\n".join(
                location(p) + (f"\n{p.rendered}" if p.rendered else "") for p in verdict.problems
            )
        if verdict.skipped:  # the step's own tests that did not run, and why
            out = ET.SubElement(case, "system-out")
            out.text = "".join(f"skipped {line}\n" for line in verdict.skipped)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
