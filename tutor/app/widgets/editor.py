"""The code editor: a Rust TextArea bound to one file of the step's crate.

ctrl+s (the app's ``editor.save``) writes the file atomically. When the file changes on
disk (the learner's own editor, reset, solution) and the buffer has no unsaved edits,
the editor reloads it; with unsaved edits it keeps them and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding
from textual.markup import escape
from textual.theme import Theme
from textual.widgets import TextArea

from tutor.app.messages import FileSaved
from tutor.app.themes import syntax_theme_for
from tutor.atomic import write_text_atomic

LANGUAGES = {".rs": "rust", ".toml": "toml", ".py": "python", ".md": "markdown"}


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


class Editor(TextArea):
    HELP = """\
## Editor

Your file for this step. **ctrl+s** saves it; while watching is on, every save builds
and checks the step (the status line shows the result). Your own editor works too:
the file lives in your workspace, and the tutor reloads it here when it changes on disk.

**ctrl+a** selects all, **ctrl+z**/**ctrl+y** undo and redo, **ctrl+c**/**ctrl+x**/**ctrl+v**
copy, cut and paste. **Tab** indents; to leave the editor use **shift+tab** or the mouse.
"""

    BINDINGS: ClassVar = [Binding("ctrl+a", "select_all", "Select all", show=False)]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            "",
            language="rust",
            soft_wrap=False,
            tab_behavior="indent",
            show_line_numbers=True,
            id=id,
        )
        self.path: Path | None = None
        self.label = ""
        self.context = ""
        self.disk_text = ""
        self._mtime_ns: int | None = None
        # Set when the file changed on disk while this buffer had unsaved edits: saving
        # then overwrites work done elsewhere, so the app backs it up first.
        self.overwrites_disk_change = False
        self.before_overwrite: Callable[[Path], None] | None = None
        self.save_key = "ctrl+s"  # shown in the title; the app sets the remapped key

    def on_mount(self) -> None:
        self.theme = syntax_theme_for(self.app.current_theme)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.set_interval(1.0, self.check_disk)

    def _theme_changed(self, theme: Theme) -> None:
        self.theme = syntax_theme_for(theme)

    @property
    def dirty(self) -> bool:
        return self.path is not None and self.text != self.disk_text

    def open(self, path: Path, label: str, context: str = "") -> None:
        """Show ``path`` (``label``: its crate-relative name; ``context``: the step)."""
        self.path = path
        self.label = label
        self.context = context
        self.language = LANGUAGES.get(path.suffix)
        self.disk_text = read_text(path)
        self._mtime_ns = self._stat()
        self.load_text(self.disk_text)
        self._update_title()

    def save(self) -> Path | None:
        if self.path is None:
            return None
        if self.overwrites_disk_change and self.before_overwrite is not None:
            self.before_overwrite(self.path)
        self.overwrites_disk_change = False
        write_text_atomic(self.path, self.text)
        self.disk_text = self.text
        self._mtime_ns = self._stat()
        self._update_title()
        self.post_message(FileSaved(self.path))
        return self.path

    def reload(self, *, force: bool = False) -> bool:
        """Take the file's text from disk; unsaved edits are kept unless ``force``."""
        if self.path is None:
            return False
        self._mtime_ns = self._stat()
        text = read_text(self.path)
        if text == self.disk_text and not force:
            return False
        if self.dirty and not force:
            self.disk_text = text
            self.overwrites_disk_change = True
            self._update_title()
            self.notify(
                f"{self.label} changed on disk; your unsaved edits here are kept "
                "(saving keeps a backup of the file on disk, or reset the step).",
                severity="warning",
            )
            return False
        row, column = self.cursor_location
        self.disk_text = text
        self.overwrites_disk_change = False
        self.load_text(text)
        last = self.document.line_count - 1
        row = min(row, last)
        self.cursor_location = (row, min(column, len(self.document.get_line(row))))
        self._update_title()
        return True

    def check_disk(self) -> None:
        """Cheap fallback for when file watching is off: compare the file's mtime."""
        if self.path is not None and self._stat() != self._mtime_ns:
            self.reload()

    def go_to(self, line: int, column: int = 1) -> None:
        row = max(0, min(line - 1, self.document.line_count - 1))
        col = max(0, min(column - 1, len(self.document.get_line(row))))
        self.cursor_location = (row, col)
        self.scroll_cursor_visible(center=True, animate=False)
        self.focus()

    def _stat(self) -> int | None:
        try:
            return self.path.stat().st_mtime_ns if self.path else None
        except OSError:
            return None

    def _update_title(self) -> None:
        title = f"{self.context} · {self.label}" if self.context else self.label
        self.border_title = escape(title)  # border titles are markup; step titles are not
        self.border_subtitle = f"● unsaved ({self.save_key})" if self.dirty else ""

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._update_title()
