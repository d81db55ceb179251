"""The one way the CLI prints: tutor markup stays markup, everything else is literal text.

Lesson text, hints, paths, compiler errors and panics are full of square brackets
(``#[pyfunction]``, ``[[lm.script]]``, ``Vec<[u8; 4]>``) that Rich would read as markup
and drop. :class:`TutorConsole` prints every plain ``str`` literally; only a
:class:`Markup` made by :func:`markup` — the tutor's own template, with every value
escaped — is rendered as markup. Forgetting to escape is therefore impossible: an
f-string passed to ``print`` comes out exactly as written.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text


class Markup(str):
    """Rich markup the tutor wrote itself (build it with :func:`markup`)."""


def markup(template: str, *values: object) -> Markup:
    """``template`` with each ``{}`` filled by a value printed literally.

    ``markup("[bold]{}[/] — {}", step.title, step.goal)``: the brackets of the template
    are markup; those in the title or goal are text."""
    return Markup(template.format(*(escape(str(v)) for v in values)))


class TutorConsole(Console):
    """A Rich console that renders only :class:`Markup` as markup."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("highlight", False)
        kwargs.setdefault("soft_wrap", True)
        super().__init__(**kwargs)

    def print(self, *objects: Any, **kwargs: Any) -> None:  # type: ignore[override]
        super().print(*(_literal(o) for o in objects), **kwargs)


def _literal(obj: Any) -> Any:
    if isinstance(obj, str) and not isinstance(obj, Markup):
        return Text(obj)
    return obj
