"""Notifications that replace each other instead of piling up.

A new notification replaces any still shown on the same topic: the same title (or text,
when untitled) up to its numbers, so "Hint 2 of 4" replaces "Hint 1 of 4" and a second
"Copied … (120 characters)" the first. At most ``MAX_SHOWN`` are on screen; the oldest
go first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from textual.notifications import Notification

MAX_SHOWN = 3


def topic(n: Notification) -> str:
    return re.sub(r"\d+", "#", n.title or n.message)


def to_drop(shown: Iterable[Notification], new: Notification) -> list[Notification]:
    """The notifications to take down before ``new`` is shown."""
    kept = [n for n in shown if topic(n) != topic(new)]
    dropped = [n for n in shown if topic(n) == topic(new)]
    excess = len(kept) + 1 - MAX_SHOWN
    return dropped + (kept[:excess] if excess > 0 else [])
