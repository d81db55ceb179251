"""One line: what the engine is doing (with elapsed time), the verdict, the LM, the mode."""

from __future__ import annotations

from collections.abc import Callable

from textual.content import Content
from textual.widgets import Static

from tutor.events import BuildProgress, Verdict

MARKS = {
    "pass": ("✓ pass", "$text-success"),
    "fail": ("✗ fail", "$text-error"),
    "error": ("! error", "$text-warning"),
}


SEP = " │ "


def fit(text: str, room: int) -> str:
    """``text`` in ``room`` cells: cut at a word, with an ellipsis (never mid-word when a
    word boundary is near). The Errors pane has the full text."""
    if len(text) <= room:
        return text
    if room < 2:
        return "…"[:room]
    cut = text[: room - 1]
    space = cut.rfind(" ")
    if space >= room // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:—-") + "…"


def crates_line(p: BuildProgress) -> str:
    """``crates 12/21, ~30 s left``: a first build's progress, short enough for 80 columns."""
    left = f", ~{p.estimate_s:.0f} s left" if p.estimate_s else ""
    return f"crates {p.done}/{p.total}{left}"


class StatusLine(Static):
    """Plain text first (a symbol and a word for every state), colour second."""

    def __init__(self, clock: Callable[[], float], *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.clock = clock
        self.phase: str | None = None  # "building" | "running" | None
        self.phase_since = 0.0
        self.verdict: Verdict | None = None
        self.progress: BuildProgress | None = None  # crates of a long build, while it runs
        self.note = ""  # shown when there is no verdict (or after it, e.g. "next: F4")
        self.lm = ""
        self.watching = True
        self.check_key = "F5"

    def set_phase(self, phase: str | None) -> None:
        if phase != self.phase:
            self.phase = phase
            self.phase_since = self.clock()
            self.progress = None
        self.show()

    def set_progress(self, progress: BuildProgress) -> None:
        self.progress = progress
        self.show()

    def set_verdict(self, verdict: Verdict | None, note: str = "") -> None:
        self.verdict = verdict
        self.note = note
        self.show()

    def show(self) -> None:
        self.update(self.line())

    def on_resize(self) -> None:
        self.show()

    def line(self) -> Content:
        """Every state fits one line: the verdict's summary, then the note, give way."""
        fixed: list[Content] = []  # never shortened
        if self.phase:
            elapsed = max(0.0, self.clock() - self.phase_since)
            fixed.append(Content.assemble(("● ", "$text-accent"), f"{self.phase} {elapsed:.1f}s"))
            if self.progress is not None:
                fixed.append(Content(crates_line(self.progress)))
        tail = [Content(f"LM {self.lm}")]
        tail.append(Content("watching" if self.watching else f"manual: {self.check_key} checks"))
        v = self.verdict
        mark = timing = None
        if v is not None:
            mark = Content.styled(MARKS[v.verdict][0], f"bold {MARKS[v.verdict][1]}")
            if "total_s" in v.timings:
                timing = Content.styled(f" ({v.timings['total_s']:.2f}s)", "$text-muted")
        summary = v.summary if v is not None else ""
        note = self.note
        width = self.content_size.width
        if width:
            used = sum(len(c.plain) for c in fixed + tail) + len(SEP) * len(fixed + tail)
            if mark is not None:
                used += len(mark.plain) + 1 + (len(timing.plain) if timing else 0)
            room = max(0, width - used)
            if note:
                room -= len(SEP)
            summary = fit(summary, max(room - len(note), room * 2 // 3)) if summary else ""
            note = fit(note, room - len(summary)) if note else ""
        parts = list(fixed)
        if mark is not None:
            parts.append(Content.assemble(mark, f" {summary}", timing or ""))
        if note:
            parts.append(Content(note))
        if not parts:
            parts.append(Content("ready"))
        return Content(SEP).join(parts + tail)
