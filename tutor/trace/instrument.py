"""What DSPy's callbacks do not report on their own: retrievals and cache hits.

* ``dspy.retrievers.Embeddings`` and ``dspy.ColBERTv2`` are called without callbacks
  (``dspy.Retrieve`` and its subclasses have them): their ``__call__`` is wrapped with
  DSPy's own ``with_callbacks``, so every retriever reaches ``on_module_start/end``.
* A cache hit is visible only inside DSPy's call path (the history entry does not say):
  ``Cache.get`` is wrapped to note a hit in a per-call probe the recorder opens in
  ``on_lm_start`` (a ContextVar, which DSPy copies into the threads a call moves to).

Idempotent; patches classes, so it holds for instances made before and after.
"""

from __future__ import annotations

import contextvars
import functools
from typing import Any

_MARK = "_pyo3dspy_tutor_traced"
CACHE_PROBE: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar(
    "pyo3dspy_tutor_cache_probe", default=None
)


def retriever_classes() -> tuple[type, ...]:
    import dspy
    from dspy.retrievers import Embeddings

    return (dspy.Retrieve, Embeddings, dspy.ColBERTv2)


def instrument() -> None:
    import dspy
    from dspy.clients.cache import Cache
    from dspy.retrievers import Embeddings
    from dspy.utils.callback import with_callbacks

    for cls in (Embeddings, dspy.ColBERTv2):
        if not getattr(cls.__call__, _MARK, False):
            traced = with_callbacks(cls.__call__)
            setattr(traced, _MARK, True)
            cls.__call__ = traced  # type: ignore[method-assign]
    if not getattr(Cache.get, _MARK, False):
        Cache.get = _noting_hits(Cache.get)  # type: ignore[method-assign]


def _noting_hits(get: Any) -> Any:
    @functools.wraps(get)
    def noted(self: Any, *args: Any, **kwargs: Any) -> Any:
        found = get(self, *args, **kwargs)
        probe = CACHE_PROBE.get()
        if probe is not None and found is not None:
            probe.append(True)
        return found

    setattr(noted, _MARK, True)
    return noted
