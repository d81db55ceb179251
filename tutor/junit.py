"""Verdicts → a JUnit XML report for CI systems."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tutor.events import Verdict


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
        if not ok:
            failure = ET.SubElement(
                case, "failure", message=f"{verdict.verdict}: {verdict.summary}"
            )
            failure.text = "\n\n".join(verdict.errors)
        if verdict.skipped:  # the step's own tests that did not run, and why
            out = ET.SubElement(case, "system-out")
            out.text = "".join(f"skipped {line}\n" for line in verdict.skipped)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
