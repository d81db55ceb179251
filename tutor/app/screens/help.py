"""F1: help for the pane that has focus, then every key (after remapping)."""

from __future__ import annotations

from textwrap import dedent
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from tutor.app.keymap import COMMANDS, keys_for

GENERAL = """\
## pyo3dspy-tutor

Edit the step's file, save, and the tutor builds it with cargo and runs the step's
check: the status line at the bottom shows **✓ pass** or **✗ fail**. The side panes show
the DSPy trace, GIL timings, errors and the output. **ctrl+p** opens the command
palette, which lists every action.
"""


def keys_markdown(keymap: dict[str, str]) -> str:
    rows = [f"- `{keys_for(c, keymap)}` **{c.title}**: {c.help}" for c in COMMANDS]
    rows.append("- `ctrl+p` **command palette**: search every action.")
    note = (
        "\nRemap any key in the config file, by id:\n\n```toml\n[keymap]\n"
        '"step.next" = "ctrl+j"\n```\n\nIds: ' + ", ".join(f"`{c.id}`" for c in COMMANDS) + "."
    )
    return "## Keys\n\n" + "\n".join(rows) + "\n" + note


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar = [Binding("escape,f1,q", "dismiss", "Close")]

    def __init__(self, pane_help: str, keymap: dict[str, str]) -> None:
        super().__init__(classes="dialog")
        self.pane_help = dedent(pane_help).strip()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Static("Help  (escape closes)", classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Markdown(
                    "\n\n".join([self.pane_help or GENERAL, keys_markdown(self.keymap)]),
                    id="help-text",
                )

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
