"""The build log and the run's stdout/stderr, line by line (bounded)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.binding import Binding
from textual.widgets import Log

MAX_LINES = 20_000


class OutputPane(Log):
    HELP = """\
## Output

The build log (cargo's progress) and everything the run printed. Lines the program
wrote to stderr start with `stderr│`. Only the newest 20,000 lines are kept.
**End** jumps to the newest line; **j**/**k** scroll.
"""

    BINDINGS: ClassVar = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, highlight=False, id=id)

    def section(self, title: str) -> None:
        self.write_line(f"── {title} " + "─" * max(0, 40 - len(title)))

    def add_lines(self, lines: Iterable[str]) -> None:
        self.write_lines(list(lines))
