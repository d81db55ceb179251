"""cargo's ``--message-format=json`` output → Diagnostic events."""

from __future__ import annotations

from typing import Any

from tutor.events import Diagnostic


def diagnostic_from_cargo(message: dict[str, Any]) -> Diagnostic | None:
    """A ``compiler-message`` record → Diagnostic; other records → None."""
    if message.get("reason") != "compiler-message":
        return None
    msg = message.get("message") or {}
    code = (msg.get("code") or {}).get("code")
    spans = msg.get("spans") or []
    primary = next((s for s in spans if s.get("is_primary")), spans[0] if spans else None)
    return Diagnostic(
        level=msg.get("level", "error"),
        message=msg.get("message", ""),
        code=code,
        file=primary.get("file_name") if primary else None,
        line=primary.get("line_start") if primary else None,
        column=primary.get("column_start") if primary else None,
        rendered=(msg.get("rendered") or "").rstrip(),
    )


def is_summary(d: Diagnostic) -> bool:
    """rustc's closing "aborting due to N previous errors" / "N warnings emitted" lines."""
    return d.file is None and (
        d.message.startswith("aborting due to")
        or "warning emitted" in d.message
        or "warnings emitted" in d.message
    )
