"""The step's lesson: title, goal, the README (Markdown) and the hints shown so far."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding
from textual.containers import VerticalScroll

from tutor.course.model import Step
from tutor.course.readme import for_display


def lesson_markdown(step: Step, hints_shown: int, hint_key: str) -> str:
    try:
        body = step.readme.read_text(encoding="utf-8")
    except OSError as e:
        body = f"*The lesson text could not be read ({step.readme}: {e.strerror}).*"
    lines = body.lstrip().splitlines()
    if lines and lines[0].startswith("# "):
        body = "\n".join(lines[1:])  # the README's own title: the header below has it
    files = ", ".join(f"`{f}`" for f in step.files)
    parts = [
        f"## {step.title}",
        f"**Goal:** {step.goal}",
        f"*About {step.estimate_minutes} min · you edit {files}*",
        body.strip(),
        "### Hints",
    ]
    shown = step.hints[:hints_shown]
    for i, hint in enumerate(shown, 1):
        parts.append(f"**Hint {i} of {len(step.hints)}.** {hint}")
    left = len(step.hints) - len(shown)
    if left:
        parts.append(f"*Press **{hint_key}** for a hint ({left} left).*")
    else:
        parts.append("*That was the last hint.*")
    return "\n\n".join(parts) + "\n"


class LessonView(VerticalScroll):
    """A scrolling Markdown view of the current step's lesson."""

    HELP = """\
## Lesson

The step's lesson text, its goal and the hints you have asked for. Rust code blocks
are highlighted; a code block wider than the column scrolls sideways (**←**/**→**, or
the mouse). Scroll with **↑**/**↓**, **Page Up**/**Page Down**, or the mouse. **F10**
widens the lesson, then shows it full screen, then puts it back (remembered).
"""

    BINDINGS: ClassVar = [
        Binding("left", "scroll_code(-8)", "Code left", show=False),
        Binding("right", "scroll_code(8)", "Code right", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = ""  # the Markdown this view should show
        self._rendered: str | None = None
        self._at_end = False

    def action_scroll_code(self, dx: int) -> None:
        """Scroll every code block sideways together (they are not focusable)."""
        from textual.widgets.markdown import MarkdownFence

        for fence in self.query(MarkdownFence):
            fence.scroll_relative(x=dx, animate=False)

    def show(self, source: str, *, at_end: bool = False, now: bool = True) -> None:
        """Set the lesson text; ``now=False`` (a hidden view) renders it when asked."""
        self.source = source
        self._at_end = at_end
        if now:
            self.render_source()

    def render_source(self) -> None:
        """Render the text if it changed (a long lesson takes ~0.2 s to lay out)."""
        if self._rendered == self.source:
            return
        self._rendered = self.source
        shown = for_display(self.source)
        self.run_worker(self._lay_out(shown, self._at_end), group="lesson", exclusive=True)

    async def _lay_out(self, source: str, at_end: bool) -> None:
        # The Markdown widget (and markdown-it) load with the first lesson, after the
        # first frame: the editor comes first.
        from textual.widgets import Markdown

        found = self.query(Markdown)
        if found:
            await found.first().update(source)
        else:
            await self.mount(Markdown(source, id="lesson-md", open_links=False))
        if at_end:
            self.scroll_end(animate=False)
        else:
            self.scroll_home(animate=False)
