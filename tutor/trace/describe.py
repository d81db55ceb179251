"""Short, plain-text facts about a span, shared by the Trace pane and the CLI."""

from __future__ import annotations

from typing import Any

from tutor.trace.cost import NOMINAL_NOTE

COST_BASIS = {
    "provider": "the provider's price",
    "nominal": NOMINAL_NOTE,
    "cache": "a cache hit: nothing billed",
}


def format_cost(cost: float) -> str:
    return f"${cost:.6f}" if cost < 0.01 else f"${cost:.4f}"


def usage_text(total: dict[str, Any]) -> str:
    """'3 LM calls, 318 tokens (250 in, 68 out), $0.000078'."""
    calls = total.get("lm_calls", 0)
    parts = [f"{calls} LM call{'s' * (calls != 1)}"]
    if "total_tokens" in total:
        parts.append(
            f"{total['total_tokens']} tokens ({total.get('prompt_tokens', 0)} in, "
            f"{total.get('completion_tokens', 0)} out)"
        )
    if "cost" in total:
        parts.append(format_cost(total["cost"]))
    return ", ".join(parts)


def span_facts(span: Any) -> list[str]:
    """What the recorder adds beyond inputs and outputs: cache, cost, retrieval, totals."""
    facts = []
    if span.kind == "lm" and span.cache_hit:
        facts.append("cache hit: answered from DSPy's cache")
    if span.cost is not None:
        facts.append(f"cost: {format_cost(span.cost)} ({COST_BASIS.get(span.cost_basis, '?')})")
    if span.kind == "retrieval" and isinstance(span.inputs, dict):
        passages = (span.outputs or {}).get("passages") if isinstance(span.outputs, dict) else None
        got = f", {len(passages)} passages" if isinstance(passages, list) else ""
        facts.append(f"query: {span.inputs.get('query')!r}, k={span.inputs.get('k')}{got}")
    if span.kind == "evaluate" and isinstance(span.inputs, dict):
        score = (span.outputs or {}).get("score") if isinstance(span.outputs, dict) else None
        facts.append(
            f"metric {span.inputs.get('metric')} on {span.inputs.get('devset_size')} "
            f"examples: score {score}"
        )
    if span.usage_total:
        facts.append(f"inside: {usage_text(span.usage_total)}")
    return facts


def span_line(span: Any) -> str | None:
    """One line for the CLI's verbose output, for the spans worth a line; else None."""
    if span.kind not in ("lm", "retrieval", "evaluate", "binary"):
        return None
    head = f"{span.kind} {span.name} {(span.end - span.start) * 1e3:.1f} ms"
    if span.kind == "lm" and span.lm_source:
        head += f" · {span.lm_source}"
    if span.error:
        head += f" · error: {span.error}"
    return " · ".join([head, *span_facts(span)])
