"""The command palette: every action of the app, named "category: action"."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher
from textual.markup import escape

from tutor.app.keymap import COMMANDS, keys_for

if TYPE_CHECKING:
    from tutor.app.app import TutorApp


class TutorCommands(Provider):
    def _entries(self) -> list[tuple[str, Callable[[], object], str]]:
        app: TutorApp = self.app  # type: ignore[assignment]
        entries: list[tuple[str, Callable[[], object], str]] = []
        for c in COMMANDS:
            keys = keys_for(c, app.settings.keymap)
            entries.append((c.title, partial(app.run_action, c.action), f"{c.help}  ({keys})"))
        for step in app.course.steps():
            entries.append(
                (
                    f"step: go to {step.title}",
                    partial(app.choose_step, step.id),
                    f"{step.module_id} / {step.id}: {step.goal}",
                )
            )
        return entries

    async def discover(self) -> Hits:
        for name, callback, help_text in self._entries():
            yield DiscoveryHit(Content(name), callback, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._entries():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, highlight(matcher, name), callback, help=escape(help_text))


def highlight(matcher: Matcher, name: str) -> Content:
    """``matcher.highlight`` for plain text: it would read step titles ("#[pyfunction]
    basics") as markup."""
    content = Content(name)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, name)
    for offset in offsets:
        if not name[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
