"""`lm test` in a child process: one tiny request to the configured LM, as JSON.

Run as ``python -m tutor.lm.probe SETTINGS_JSON``; prints one JSON line: ``ok``,
``latency_s``, ``input_tokens``, ``output_tokens``, ``answer``, ``answered_by`` or
``error``. The tutor's own process never imports dspy for this. Secrets in the
environment are redacted from anything printed.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

QUESTION = "Reply with the single word: pong"


def probe(settings: dict[str, Any]) -> dict[str, Any]:
    import dspy

    from tutor.lm.offline import OfflineAnswerer
    from tutor.lm.settings import LMSettings, build_lm

    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    answerer = OfflineAnswerer()
    answerer.add_script(QUESTION, {"answer": "pong"})  # offline: a scripted reply
    lm = build_lm(LMSettings(**settings), answerer)
    predict = dspy.Predict("question -> answer")
    started = time.perf_counter()
    try:
        with dspy.context(lm=lm):
            prediction = predict(question=QUESTION)
    except Exception as e:  # any provider error: one line for the person
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return {
            "ok": False,
            "latency_s": round(time.perf_counter() - started, 3),
            "error": f"{type(e).__name__}: {first}"[:400],
        }
    latency = time.perf_counter() - started
    usage = (lm.history[-1].get("usage") or {}) if lm.history else {}
    source = answerer.last_source() if settings.get("model") == "offline" else None
    return {
        "ok": True,
        "latency_s": round(latency, 3),
        "input_tokens": _tokens(usage, "prompt_tokens", "input_tokens"),
        "output_tokens": _tokens(usage, "completion_tokens", "output_tokens"),
        "answer": str(prediction.answer)[:200],
        "answered_by": source,  # offline only: cassette, scripted or synthesized
    }


def _tokens(usage: Any, *names: str) -> int | None:
    for name in names:
        value = usage.get(name) if isinstance(usage, dict) else getattr(usage, name, None)
        if isinstance(value, int):
            return value
    return None


def main() -> None:
    from tutor.trace.redact import redact

    result = probe(json.loads(sys.argv[1]))
    print(json.dumps(redact(result)), flush=True)


if __name__ == "__main__":
    main()
