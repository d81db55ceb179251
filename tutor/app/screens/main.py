"""The main screen: lessons and lesson text | editor over Trace, GIL, Errors, Output."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane, Tabs

from tutor.app.widgets.editor import Editor
from tutor.app.widgets.errors_pane import ErrorsPane
from tutor.app.widgets.gil_pane import GilPane
from tutor.app.widgets.lesson_tree import LessonTree
from tutor.app.widgets.lesson_view import LessonView
from tutor.app.widgets.output_pane import OutputPane
from tutor.app.widgets.status_line import StatusLine
from tutor.app.widgets.trace_pane import TracePane
from tutor.course.model import Course
from tutor.workspace.progress import Progress

NARROW = 100  # columns: below this the left column hides and the lesson becomes a tab
LESSON_WIDTHS = ("normal", "wide", "full")
PANES = ("trace", "gil", "errors", "output")


class MainScreen(Screen[None]):
    class Ready(Message):
        """Every widget is mounted: the app may fill them."""

    def __init__(self, course: Course, progress: Progress, clock) -> None:
        super().__init__(id="main")
        self.course = course
        self.progress = progress
        self.clock = clock
        self._layout_done = False
        self.lesson_shown = False
        self.lesson_width = "normal"

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield LessonTree(self.course, self.progress, id="lessons")
                yield LessonView(id="lesson")
            with Vertical(id="right"):
                yield Tabs(id="file-tabs")
                yield Editor(id="editor")
                with TabbedContent(id="side", initial="tab-trace"):
                    # On narrow terminals the left column hides and the lesson is a tab.
                    with TabPane("Lesson", id="tab-lesson"):
                        yield LessonView(id="lesson-tab")
                    with TabPane("Trace", id="tab-trace"):
                        yield TracePane(id="trace")
                    with TabPane("GIL", id="tab-gil"):
                        yield GilPane(id="gil")
                    with TabPane("Errors", id="tab-errors"):
                        yield ErrorsPane(id="errors")
                    with TabPane("Output", id="tab-output"):
                        yield OutputPane(id="output")
        yield StatusLine(self.clock, id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.post_message(self.Ready())

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW
        if narrow == self.has_class("-narrow") and self._layout_done:
            return
        self._layout_done = True
        self.set_class(narrow, "-narrow")
        side = self.side
        if narrow:
            side.show_tab("tab-lesson")
            side.active = "tab-lesson"
        else:
            if side.active == "tab-lesson":
                side.active = "tab-trace"
            side.hide_tab("tab-lesson")
        if self.lesson_shown:
            self.visible_lesson.render_source()

    def set_lesson_width(self, width: str) -> None:
        """normal: a fair share of the screen; wide: most of it; full: the lesson alone."""
        if width == self.lesson_width:
            return
        self.lesson_width = width
        self.set_class(width == "wide", "-lesson-wide")
        self.set_class(width == "full", "-lesson-full")
        # A class change on the screen restyles it at the next idle moment; in a real
        # terminal that waited for the next timer (up to a second): lay out now.
        self.refresh(layout=True)
        if self.lesson_shown:
            self.visible_lesson.render_source()

    def panes(self) -> list[str]:
        """The result panes in tab order (on narrow screens the lesson tab comes first)."""
        return (["lesson"] if self.has_class("-narrow") else []) + list(PANES)

    def show_pane(self, name: str) -> None:
        """Bring a side pane to the front and focus it (leaving the full-screen lesson)."""
        if self.lesson_width == "full":
            self.set_lesson_width("normal")
        self.side.active = f"tab-{name}"
        target = self.side.get_pane(f"tab-{name}")
        focusable = [w for w in target.query("*") if w.focusable]
        (focusable[0] if focusable else target).focus()

    def next_pane(self) -> None:
        """Editor → the active pane → the next … → after the last, the editor again."""
        panes = self.panes()
        active = (self.side.active or "tab-trace").removeprefix("tab-")
        if not self.side.has_focus_within or self.lesson_width == "full":
            self.show_pane(active if active in panes else panes[0])
        elif active == panes[-1]:
            self.editor.focus()
        else:
            self.show_pane(panes[panes.index(active) + 1] if active in panes else panes[0])

    def show_lesson(self, source: str, *, at_end: bool = False) -> None:
        """Give both lesson views the text; only the one on screen lays it out."""
        self.lesson_shown = True
        visible = self.visible_lesson
        for view in self.query(LessonView):
            view.show(source, at_end=at_end, now=view is visible)

    @property
    def visible_lesson(self) -> LessonView:
        """The left column's view, or on narrow terminals the Lesson tab's (unless the
        lesson is read full screen: then the left column's)."""
        tab = self.has_class("-narrow") and self.lesson_width != "full"
        return self.query_one("#lesson-tab" if tab else "#lesson", LessonView)

    # Typed access for the app.
    @property
    def lessons(self) -> LessonTree:
        return self.query_one(LessonTree)

    @property
    def editor(self) -> Editor:
        return self.query_one(Editor)

    @property
    def file_tabs(self) -> Tabs:
        return self.query_one("#file-tabs", Tabs)

    @property
    def side(self) -> TabbedContent:
        return self.query_one("#side", TabbedContent)

    @property
    def trace(self) -> TracePane:
        return self.query_one(TracePane)

    @property
    def gil(self) -> GilPane:
        return self.query_one(GilPane)

    @property
    def errors(self) -> ErrorsPane:
        return self.query_one(ErrorsPane)

    @property
    def output(self) -> OutputPane:
        return self.query_one(OutputPane)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)
