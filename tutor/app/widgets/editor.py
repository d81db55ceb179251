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
from tutor.textfile import utf8_problem

LANGUAGES = {".rs": "rust", ".toml": "toml", ".py": "python", ".md": "markdown"}


def read_file(path: Path) -> tuple[str, str | None]:
    """The file's text and, if it is not UTF-8, why (its bad bytes then show as �)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "", None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as e:
        return data.decode("utf-8", errors="replace"), utf8_problem(path, data, e).message


def read_text(path: Path) -> str:
    return read_file(path)[0]


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
        # Why the file could not be decoded: then it is shown read-only and never saved,
        # since writing the decoded text back would destroy the bytes it could not read.
        self.undecodable: str | None = None

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
        self.disk_text, problem = read_file(path)
        self._mtime_ns = self._stat()
        self.load_text(self.disk_text)
        self._set_undecodable(problem)
        self._update_title()

    def save(self) -> Path | None:
        if self.path is None:
            return None
        if self.undecodable:
            self.notify(f"Not saved: {self.label} is open read-only (not UTF-8).", severity="error")
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
        text, problem = read_file(self.path)
        if problem != self.undecodable:
            self._set_undecodable(problem)
            force = True  # read-only and unsaved edits do not mix: show the file as it is
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

    def _set_undecodable(self, problem: str | None) -> None:
        self.undecodable = problem
        self.read_only = problem is not None
        if problem:
            self.notify(
                f"{self.label} {problem.split(': ', 1)[-1]}. It is open read-only and the "
                "tutor will not rewrite it: save it as UTF-8 in your own editor and it "
                "reloads here.",
                severity="warning",
                timeout=20,
            )

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
        self.border_subtitle = (
            "read-only: not UTF-8"
            if self.undecodable
            else f"● unsaved ({self.save_key})"
            if self.dirty
            else ""
        )

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._update_title()
