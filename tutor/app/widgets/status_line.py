"""One line: what the engine is doing (with elapsed time), the verdict, the LM, the mode."""

from __future__ import annotations

from collections.abc import Callable

from textual.content import Content
from textual.widgets import Static

from tutor.events import Verdict

MARKS = {
    "pass": ("✓ pass", "$text-success"),
    "fail": ("✗ fail", "$text-error"),
    "error": ("! error", "$text-warning"),
}


class StatusLine(Static):
    """Plain text first (a symbol and a word for every state), colour second."""

    def __init__(self, clock: Callable[[], float], *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.clock = clock
        self.phase: str | None = None  # "building" | "running" | None
        self.phase_since = 0.0
        self.verdict: Verdict | None = None
        self.note = ""  # shown when there is no verdict (or after it, e.g. "next: F4")
        self.lm = ""
        self.watching = True
        self.check_key = "F5"

    def set_phase(self, phase: str | None) -> None:
        if phase != self.phase:
            self.phase = phase
            self.phase_since = self.clock()
        self.show()

    def set_verdict(self, verdict: Verdict | None, note: str = "") -> None:
        self.verdict = verdict
        self.note = note
        self.show()

    def show(self) -> None:
        self.update(self.line())

    def line(self) -> Content:
        parts: list[Content] = []
        if self.phase:
            elapsed = max(0.0, self.clock() - self.phase_since)
            parts.append(Content.assemble(("● ", "$text-accent"), f"{self.phase} {elapsed:.1f}s"))
        v = self.verdict
        if v is not None:
            mark, style = MARKS[v.verdict]
            text = Content.assemble((mark, f"bold {style}"), f" {v.summary}")
            if "total_s" in v.timings:
                text = Content.assemble(text, (f" ({v.timings['total_s']:.2f}s)", "$text-muted"))
            parts.append(text)
        if self.note:
            parts.append(Content(self.note))
        if not parts:
            parts.append(Content("ready"))
        mode = "watching" if self.watching else f"manual: {self.check_key} checks"
        parts.append(Content(f"LM {self.lm}"))
        parts.append(Content(mode))
        return Content(" │ ").join(parts)
