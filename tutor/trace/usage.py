"""Token and cost totals over LM spans.

DSPy's ``track_usage`` loses the usage of calls made on ``batch``/``Parallel`` worker
threads; each LM span carries its own call's usage (read from that LM's history by the
recorder, whichever thread made it), so totals built from spans are complete.
"""

from __future__ import annotations

from typing import Any

TOKEN_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens")


def add_call(total: dict[str, Any], usage: dict[str, Any] | None, cost: float | None) -> None:
    """Add one LM call to ``total`` (keys: lm_calls, the token counts, cost)."""
    total["lm_calls"] = total.get("lm_calls", 0) + 1
    for key in TOKEN_KEYS:
        value = (usage or {}).get(key)
        if isinstance(value, int):
            total[key] = total.get(key, 0) + value
    if cost is not None:
        total["cost"] = total.get("cost", 0.0) + cost


def total_usage(spans: list[Any]) -> dict[str, Any]:
    """Totals over the LM spans among ``spans``: {"lm_calls", "prompt_tokens", …, "cost"}."""
    total: dict[str, Any] = {"lm_calls": 0}
    for span in spans:
        if span.kind == "lm":
            add_call(total, span.usage, span.cost)
    return total
