"""The doctor's findings: what is wrong with the set-up, and how to fix it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import LoadingIndicator, Static

from tutor.doctor import Finding

MARKS = {
    "ok": ("✓ ok  ", "$text-success"),
    "warn": ("! warn", "$text-warning"),
    "fail": ("✗ fail", "$text-error"),
}


def findings_content(findings: list[Finding]) -> Content:
    parts: list[Content] = []
    for f in findings:
        mark, style = MARKS[f.status]
        parts.append(
            Content.assemble((mark, f"bold {style}"), " ", (f.name, "bold"), f"  {f.detail}")
        )
        if f.fix and f.status != "ok":
            parts.append(Content.assemble(("       fix: ", "$text-muted"), f.fix))
    bad = sum(1 for f in findings if f.status == "fail")
    parts.append(Content(""))
    parts.append(
        Content("Ready: nothing to fix.")
        if not bad
        else Content(f"{bad} problem{'s' * (bad != 1)} to fix before checks can pass.")
    )
    return Content("\n").join(parts)


class DoctorScreen(ModalScreen[None]):
    BINDINGS: ClassVar = [Binding("escape,q", "close", "Close")]

    def __init__(self, findings: list[Finding] | None = None) -> None:
        super().__init__(classes="dialog")
        self.findings = findings

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Static("Set-up check (doctor)  (escape closes)", classes="dialog-title")
            with VerticalScroll(id="doctor-scroll"):
                if self.findings is None:
                    yield LoadingIndicator()
                yield Static(
                    findings_content(self.findings) if self.findings is not None else "",
                    id="doctor-text",
                )

    def show_findings(self, findings: list[Finding]) -> None:
        self.findings = findings
        self.query(LoadingIndicator).remove()
        self.query_one("#doctor-text", Static).update(findings_content(findings))

    def action_close(self) -> None:
        self.dismiss(None)
