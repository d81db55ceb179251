"""Keep secrets out of everything the tutor shows or writes.

Spans pass through ``redact`` when they are recorded; every event of a check passes
through ``redact_event`` in ``Session.check``, on its way to every face (terminal,
``--json``, JUnit, the app).
"""

from __future__ import annotations

import os
from typing import Any, TypeVar

from tutor.events import Event, event_from_dict

E = TypeVar("E", bound=Event)

REDACTED = "[redacted]"
_SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET")
_SECRET_KEYS = {"api_key", "authorization"}
_MIN_SECRET_LEN = 8  # shorter values ("1", "true") would redact ordinary text


def secret_values() -> list[str]:
    """Values of environment variables that look like credentials, longest first."""
    found = {
        value
        for name, value in os.environ.items()
        if (name.upper().endswith(_SECRET_SUFFIXES) or "PASSWORD" in name.upper())
        and len(value) >= _MIN_SECRET_LEN
    }
    # Longest first, so a secret that contains another is replaced whole.
    return sorted(found, key=len, reverse=True)


def redact(obj: Any, secrets: list[str] | None = None) -> Any:
    """A JSON-like deep copy of ``obj`` with secret values and credential keys replaced."""
    if secrets is None:
        secrets = secret_values()
    if isinstance(obj, str):
        for secret in secrets:
            obj = obj.replace(secret, REDACTED)
        return obj
    if obj is None or isinstance(obj, bool | int | float):
        return obj
    if isinstance(obj, dict):
        return {
            redact(str(key), secrets): (
                REDACTED if str(key).lower() in _SECRET_KEYS else redact(value, secrets)
            )
            for key, value in obj.items()
        }
    if isinstance(obj, list | tuple):
        return [redact(item, secrets) for item in obj]
    return redact(repr(obj), secrets)


def redact_event(event: E, secrets: list[str]) -> E:
    """``event`` with secret values replaced: the same object when it holds none."""
    if not secrets:
        return event
    data = event.to_dict()
    clean = redact(data, secrets)
    return event if clean == data else event_from_dict(clean)  # type: ignore[return-value]
