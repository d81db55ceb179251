"""The DSPy trace: a tree of spans with durations; the selected span's details below.

Bounded: only the newest ``MAX_SPANS`` spans are kept, so a run that makes thousands of
LM calls cannot slow the app down.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from tutor.events import Span, SpanStarted
from tutor.trace.describe import span_facts

MAX_SPANS = 10_000
KIND_LABELS = {
    "module": "module",
    "lm": "LM",
    "adapter_format": "format",
    "adapter_parse": "parse",
    "tool": "tool",
    "evaluate": "evaluate",
    "compile": "compile",
    "retrieval": "retrieve",
    "interpreter": "interpreter",
    "binary": "program",
}
LM_SOURCES = {
    "cassette": "cassette (a recorded answer)",
    "scripted": "scripted (the lesson's scripted answer)",
    "task": "task (the step's task model, from the prompt's rules and demos)",
    "synthesized": "synthesized (the offline LM made it up from the call)",
    "provider": "a real provider",
}


def format_duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def span_label(span: Span | SpanStarted) -> str:
    kind = KIND_LABELS.get(span.kind, span.kind)
    if isinstance(span, SpanStarted):
        return f"… {span.name} ({kind}) running"
    mark = "✗" if span.error else "✓"
    extra = f" · {span.lm_source}" if span.kind == "lm" and span.lm_source else ""
    if span.kind == "lm" and span.cache_hit:
        extra += " · cached"
    return f"{mark} {span.name} ({kind}) {format_duration(span.end - span.start)}{extra}"


def span_details(span: Span | SpanStarted) -> str:
    """Everything known about a span, as plain text (shown, and copied)."""
    kind = KIND_LABELS.get(span.kind, span.kind)
    if isinstance(span, SpanStarted):
        return f"{span.name} ({kind})\nstarted at {span.start:.3f} s, still running"
    lines = [
        f"{span.name} ({kind})  {format_duration(span.end - span.start)}",
        f"from {span.start:.3f} s to {span.end:.3f} s after the run started",
    ]
    if span.model:
        lines.append(f"model: {span.model}")
    if span.lm_source:
        lines.append(f"answered by: {LM_SOURCES.get(span.lm_source, span.lm_source)}")
    lines += span_facts(span)
    if span.error:
        lines += ["", "error:", span.error]
    sections = [
        ("inputs", span.inputs),
        ("outputs", span.outputs),
    ]
    for title, value in sections:
        if value not in (None, {}, []):
            lines += ["", f"{title}:", _pretty(value)]
    if span.messages:
        lines += ["", "prompt messages:"]
        for m in span.messages:
            lines.append(f"[{m.get('role', '?')}]")
            lines.append(_pretty(m.get("content", "")))
    if span.completion:
        lines += ["", "completion:"]
        lines += [_pretty(c) for c in span.completion]
    if span.usage:
        usage = ", ".join(f"{k} {v}" for k, v in span.usage.items() if v is not None)
        lines += ["", f"token usage: {usage}"]
    return "\n".join(lines)


class SpanTree(Tree[str]):
    BINDINGS: ClassVar = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def get_label_width(self, node: TreeNode[str]) -> int:
        # The default renders every label to measure it, on every rebuild of the lines:
        # with 10,000 spans that alone costs ~0.1 s. Labels are plain text.
        return node.label.cell_len + (2 if node.allow_expand else 0)


class TracePane(Vertical):
    HELP = """\
## Trace

The DSPy calls of the last run, as a tree: modules (Predict, ChainOfThought…), the
adapter formatting the prompt, each LM call and the parsing of its answer, each with
its duration, retrievals (query, k, passages), evaluations (metric, dev-set size,
score) and programs a binary step's check ran (their DSPy calls nest inside).
`✓` finished, `✗` raised an error, `…` still running.

Select a span (arrow keys or **j**/**k**) to see its inputs and outputs, the prompt
messages, the completion, the token usage and which LM answered: a **cassette**
(recorded), **scripted** (written by the lesson), **task** (the step's task model,
answering from the prompt's rules and demos), **synthesized** (made up by the offline LM
from the call) or a real **provider**, whether DSPy's cache answered, and the call's
cost: the provider's, or for the offline LM a **nominal** price from a small table (for
comparison only). Enclosing spans total the LM calls inside them, including calls made
on `Parallel`/`batch` threads. **c** copies the span's details.
"""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._span_nodes: dict[str, TreeNode[str]] = {}
        self._spans: dict[str, Span | SpanStarted] = {}
        self._order: deque[str] = deque()

    def compose(self) -> ComposeResult:
        tree: SpanTree = SpanTree("trace", id="trace-tree")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree
        with VerticalScroll(id="trace-detail-scroll"):
            yield Static(self._empty_text(), id="trace-detail", markup=False)

    def _empty_text(self) -> str:
        if self._span_nodes:
            return "Select a span (↑/↓) to see its inputs, outputs, prompt and LM source."
        return "No trace yet: spans appear when a check runs DSPy code."

    def on_mount(self) -> None:
        self._tree = self.query_one(SpanTree)  # add() is hot: no query per span

    @property
    def span_tree(self) -> SpanTree:
        return self._tree

    @property
    def span_count(self) -> int:
        return len(self._span_nodes)

    def clear(self) -> None:
        self._span_nodes.clear()
        self._spans.clear()
        self._order.clear()
        self.span_tree.clear()
        self.query_one("#trace-detail", Static).update(self._empty_text())

    def add(self, span: Span | SpanStarted) -> None:
        node = self._span_nodes.get(span.span_id)
        if node is not None:
            self._spans[span.span_id] = span
            node.set_label(Text(span_label(span)))
            if self.span_tree.cursor_node is node:
                self._show(span.span_id)
            return
        root = self._tree.root
        parent = self._span_nodes.get(span.parent_id or "") or root
        if parent is not root and not parent.allow_expand:
            parent.allow_expand = True
            parent.expand()
        # Text, not str: no markup parsing (span names may hold brackets), and cheaper.
        node = parent.add_leaf(Text(span_label(span)), span.span_id)
        self._span_nodes[span.span_id] = node
        self._spans[span.span_id] = span
        self._order.append(span.span_id)
        if len(self._span_nodes) == 1:
            self.query_one("#trace-detail", Static).update(self._empty_text())
        while len(self._span_nodes) > MAX_SPANS:
            self._drop(self._order.popleft())

    def _drop(self, span_id: str) -> None:
        node = self._span_nodes.pop(span_id, None)
        if node is None:
            return  # already gone with its parent
        stack = list(node.children)
        while stack:
            child = stack.pop()
            if child.data is not None:
                self._span_nodes.pop(child.data, None)
                self._spans.pop(child.data, None)
            stack.extend(child.children)
        self._spans.pop(span_id, None)
        node.remove()

    @on(Tree.NodeHighlighted, "#trace-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        event.stop()
        if event.node.data is not None:
            self._show(event.node.data)

    def _show(self, span_id: str) -> None:
        span = self._spans.get(span_id)
        if span is not None:
            self.query_one("#trace-detail", Static).update(Content(span_details(span)))

    def copy_text(self) -> tuple[str, str] | None:
        node = self.span_tree.cursor_node
        if node is None or node.data is None or node.data not in self._spans:
            return None
        return "span", span_details(self._spans[node.data])
