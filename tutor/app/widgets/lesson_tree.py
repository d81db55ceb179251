"""The course as a tree: modules with their progress, steps with their state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Tree
from textual.widgets.tree import TreeNode

from tutor.app.messages import StepChosen
from tutor.course.model import Course, Module, Step
from tutor.workspace.progress import Progress

State = Literal["done", "failing", "todo"]
SYMBOLS: dict[str, str] = {"done": "✓", "failing": "✗", "todo": "·"}
CURRENT = "▸"


def step_state(progress: Progress, step: Step) -> State:
    if step.id in progress.done:
        return "done"
    entry = progress.steps.get(step.id)
    if entry and entry.last_verdict in ("fail", "error"):
        return "failing"
    return "todo"


@dataclass
class StepNode:
    step_id: str
    state: State
    current: bool


class StepTree(Tree[StepNode | Module | None]):
    """A tree whose step labels carry a state symbol coloured by the theme."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "step-tree--done",
        "step-tree--failing",
        "step-tree--todo",
        "step-tree--current",
    }
    BINDINGS: ClassVar = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def render_label(
        self, node: TreeNode[StepNode | Module | None], base_style: Style, style: Style
    ) -> Text:
        text = super().render_label(node, base_style, style)
        data = node.data
        if isinstance(data, StepNode):
            if data.current:
                text.stylize(self._state_style("current"), 0, 1)
                text.stylize("bold", 2)
            text.stylize(self._state_style(data.state), 1, 2)
        return text

    def _state_style(self, state: str) -> Style:
        # Not partial: muted colours have alpha, which only the full style blends.
        full = self.get_component_rich_style(f"step-tree--{state}", partial=False)
        return Style(color=full.color, bold=full.bold)


class LessonTree(Vertical):
    """Filter box + tree; picking a step posts StepChosen."""

    HELP = """\
## Lessons

Every module of the course with its progress, and every step with its state:

- `✓` done (its check passed)
- `✗` failing (its last check did not pass)
- `·` not started
- `▸` the step you are on

**Enter** on a step goes there. **/** filters the list by title; **Escape** clears the
filter. **j**/**k** move down and up.
"""

    BINDINGS: ClassVar = [
        Binding("slash", "focus_filter", "Filter", show=False, id="lessons.filter"),
    ]

    def __init__(self, course: Course, progress: Progress, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.course = course
        self.progress = progress
        self.filter_text = ""
        self._current_shown = ""  # the current step when the tree was last built

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ filter steps", id="lesson-filter")
        tree: StepTree = StepTree("course", id="lesson-steps")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree

    def on_mount(self) -> None:
        self.rebuild()

    @property
    def step_tree(self) -> StepTree:
        return self.query_one(StepTree)

    def update_progress(self, progress: Progress) -> None:
        """New states in place: the learner's place in the tree stays where it is."""
        self.progress = progress
        moved = progress.current != self._current_shown
        if moved or not self.step_tree.root.children:
            self.rebuild()
            return
        for module_node in self.step_tree.root.children:
            module = module_node.data
            if isinstance(module, Module):
                module_node.set_label(self._module_label(module))
            for leaf in module_node.children:
                if isinstance(leaf.data, StepNode):
                    leaf.data = self._step_node(self.course.step(leaf.data.step_id))
                    leaf.set_label(self._step_label(self.course.step(leaf.data.step_id)))

    def _module_label(self, module: Module) -> Text:
        done = sum(1 for s in module.steps if s.id in self.progress.done)
        mark = " ✓" if done == len(module.steps) else ""
        # Text, not str: a Tree reads a str label as markup ("[b]", "#[pymodule]").
        return Text(f"{module.title}  {done}/{len(module.steps)}{mark}")

    def _step_node(self, step: Step) -> StepNode:
        return StepNode(step.id, step_state(self.progress, step), step.id == self.progress.current)

    def _step_label(self, step: Step) -> Text:
        data = self._step_node(step)
        return Text(f"{CURRENT if data.current else ' '}{SYMBOLS[data.state]} {step.title}")

    def rebuild(self) -> None:
        self._current_shown = self.progress.current
        tree = self.step_tree
        tree.clear()
        needle = self.filter_text.lower()
        cursor_line = None
        for module in self.course.modules:
            steps = [
                s
                for s in module.steps
                if not needle
                or needle in s.title.lower()
                or needle in s.id
                or needle in module.title.lower()
            ]
            if not steps:
                continue
            node = tree.root.add(self._module_label(module), module, expand=True)
            for step in steps:
                leaf = node.add_leaf(self._step_label(step), self._step_node(step))
                if step.id == self.progress.current:
                    cursor_line = leaf
        if cursor_line is not None:
            self.call_after_refresh(self._move_cursor, cursor_line)

    def _move_cursor(self, node: TreeNode[StepNode | Module | None]) -> None:
        if node.tree is self.step_tree and node.line >= 0:
            self.step_tree.cursor_line = node.line

    def action_focus_filter(self) -> None:
        self.query_one("#lesson-filter", Input).focus()

    @on(Input.Changed, "#lesson-filter")
    def _filter(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.rebuild()

    @on(Input.Submitted, "#lesson-filter")
    def _filter_done(self) -> None:
        self.step_tree.focus()

    def key_escape(self) -> None:
        box = self.query_one("#lesson-filter", Input)
        if box.value:
            box.value = ""
        self.step_tree.focus()

    @on(Tree.NodeSelected, "#lesson-steps")
    def _chosen(self, event: Tree.NodeSelected[StepNode | Module | None]) -> None:
        event.stop()
        data = event.node.data
        if isinstance(data, StepNode):
            self.post_message(StepChosen(data.step_id))
