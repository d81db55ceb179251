"""What an LM call cost: the provider's figure, or a nominal one for the offline LM.

The offline LM costs nothing. To let a learner compare programs by what they would
cost, each offline call is priced from a small table, always labelled "nominal".
"""

from __future__ import annotations

from typing import Any

# USD per million tokens (input, output): a small hosted model's list price, for scale.
NOMINAL_PRICES: dict[str, tuple[float, float]] = {"tutor/offline": (0.15, 0.60)}
NOMINAL_NOTE = "nominal: offline tokens priced at $0.15 in / $0.60 out per million"


def call_cost(
    model: str | None, usage: dict[str, Any] | None, provider_cost: Any, cache_hit: bool
) -> tuple[float | None, str | None]:
    """(cost in USD, basis): basis is "provider", "nominal", "cache" (nothing billed)
    or None when neither the provider nor the table gives a price."""
    if cache_hit:
        return 0.0, "cache"
    if isinstance(provider_cost, int | float):
        return float(provider_cost), "provider"
    prices = NOMINAL_PRICES.get(model or "")
    if prices is None or not usage:
        return None, None
    tokens_in = usage.get("prompt_tokens") or usage.get("input_tokens") or 0
    tokens_out = usage.get("completion_tokens") or usage.get("output_tokens") or 0
    return (tokens_in * prices[0] + tokens_out * prices[1]) / 1e6, "nominal"
