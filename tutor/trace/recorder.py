"""Turn DSPy's callbacks into ``SpanStarted`` / ``Span`` events.

Register with ``dspy.configure(callbacks=[recorder])`` or ``dspy.context(callbacks=[...])``:
a per-instance callback does not reach the instance's children.

Parent links come from DSPy's own ``ACTIVE_CALL_ID`` context variable, which still holds
the caller's call id while ``*_start`` runs. DSPy copies it into the threads it starts
(``Parallel``, ``asyncify``, streamify's worker), so the tree stays right across threads.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import dspy
from dspy.utils.callback import BaseCallback
from dspy.utils.callback_context import ACTIVE_CALL_ID
from pydantic import BaseModel

from tutor.events import Event, Span, SpanStarted
from tutor.lm.offline import OFFLINE_MODEL, OfflineAnswerer, OfflineEngine
from tutor.trace.cost import call_cost
from tutor.trace.instrument import CACHE_PROBE, instrument, retriever_classes
from tutor.trace.redact import redact, secret_values
from tutor.trace.usage import add_call

E = TypeVar("E", bound=Event)

MAX_TEXT = 4000  # characters kept of any one string in a span


@dataclass
class _Open:
    """What a start hook knows and the end hook needs (end hooks get no instance)."""

    started: SpanStarted
    inputs: Any
    lm: Any = None
    prompt_key: Any = None  # the messages (or prompt) object the LM call received
    cache_probe: list[bool] | None = None  # Cache.get hits during this LM call


class SpanRecorder(BaseCallback):
    def __init__(
        self,
        emit: Callable[[Event], None],
        origin: float,
        answerer: OfflineAnswerer | None = None,
        root_id: str | None = None,
    ) -> None:
        self.emit = emit
        self.origin = origin  # a time.monotonic() value; spans count seconds from it
        self.answerer = answerer
        self.root_id = root_id  # parent of top-level spans (a binary's run span), if any
        self.spans: list[Span] = []
        self._open: dict[str, _Open] = {}
        self._parents: dict[str, str | None] = {}  # span → parent, for usage totals
        self._totals: dict[str, dict[str, Any]] = {}  # span → LM usage inside it so far
        self._lock = threading.Lock()
        instrument()

    # --- modules, adapters, tools, evaluate, compile ----------------------------------

    def on_module_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        inputs = _call_inputs(inputs)
        if isinstance(instance, retriever_classes()):
            self._start(call_id, "retrieval", type(instance).__name__, _query(instance, inputs))
            return
        self._start(call_id, "module", type(instance).__name__, inputs)

    def on_module_end(self, call_id: str, outputs: Any, exception: BaseException | None = None):
        self._end(call_id, outputs, exception)

    def on_adapter_format_start(self, call_id: str, instance: Any, inputs: dict[str, Any]):
        self._start(call_id, "adapter_format", type(instance).__name__, inputs)

    def on_adapter_format_end(self, call_id: str, outputs: Any, exception=None):
        self._end(call_id, outputs, exception)

    def on_adapter_parse_start(self, call_id: str, instance: Any, inputs: dict[str, Any]):
        self._start(call_id, "adapter_parse", type(instance).__name__, inputs)

    def on_adapter_parse_end(self, call_id: str, outputs: Any, exception=None):
        self._end(call_id, outputs, exception)

    def on_tool_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        name = getattr(instance, "name", None) or type(instance).__name__
        self._start(call_id, "tool", name, _call_inputs(inputs))

    def on_tool_end(self, call_id: str, outputs: Any, exception=None) -> None:
        self._end(call_id, outputs, exception)

    def on_evaluate_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        # Arguments not passed to __call__ come from the Evaluate instance.
        metric = inputs.get("metric") or getattr(instance, "metric", None)
        devset = inputs.get("devset") or getattr(instance, "devset", None) or []
        shown = {
            "program": type(inputs.get("program")).__name__,
            "metric": getattr(metric, "__name__", None) or type(metric).__name__,
            "devset_size": len(devset),
            "num_threads": inputs.get("num_threads") or getattr(instance, "num_threads", None),
        }
        self._start(call_id, "evaluate", type(instance).__name__, shown)

    def on_evaluate_end(self, call_id: str, outputs: Any, exception=None) -> None:
        if hasattr(outputs, "score") and hasattr(outputs, "results"):
            outputs = {"score": outputs.score, "examples": len(outputs.results)}
        self._end(call_id, outputs, exception)

    def on_compile_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        self._start(call_id, "compile", type(instance).__name__, inputs)

    def on_compile_end(self, call_id: str, outputs: Any, exception=None) -> None:
        self._end(call_id, outputs, exception)

    # --- code interpreters (CodeAct, ProgramOfThought, RLM) ---------------------------

    def on_interpreter_execute_start(self, call_id: str, instance: Any, inputs: dict[str, Any]):
        self._start(call_id, "interpreter", f"{type(instance).__name__}.execute", inputs)

    def on_interpreter_execute_end(self, call_id: str, outputs: Any, exception=None):
        self._end(call_id, outputs, exception)

    def on_interpreter_tool_call_start(self, call_id: str, instance: Any, inputs: dict[str, Any]):
        self._start(call_id, "interpreter", f"{type(instance).__name__}.tool_call", inputs)

    def on_interpreter_tool_call_end(self, call_id: str, outputs: Any, exception=None):
        self._end(call_id, outputs, exception)

    def on_interpreter_startup_start(self, call_id: str, instance: Any, inputs: dict[str, Any]):
        self._start(call_id, "interpreter", f"{type(instance).__name__}.startup", inputs)

    def on_interpreter_startup_end(self, call_id: str, outputs: Any, exception=None):
        self._end(call_id, outputs, exception)

    def on_interpreter_shutdown_start(self, call_id: str, instance: Any, inputs: dict[str, Any]):
        self._start(call_id, "interpreter", f"{type(instance).__name__}.shutdown", inputs)

    def on_interpreter_shutdown_end(self, call_id: str, outputs: Any, exception=None):
        self._end(call_id, outputs, exception)

    # --- LM calls ---------------------------------------------------------------------

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        messages, prompt = inputs.get("messages"), inputs.get("prompt")
        rest = {k: v for k, v in inputs.items() if k != "messages" and v}
        name = getattr(instance, "model", type(instance).__name__)
        probe: list[bool] = []
        CACHE_PROBE.set(probe)  # this call's context: Cache.get notes a hit in it
        self._start(
            call_id,
            "lm",
            name,
            rest,
            lm=instance,
            prompt_key=messages if messages is not None else prompt,
            cache_probe=probe,
        )

    def on_lm_end(self, call_id: str, outputs: Any, exception: BaseException | None = None):
        with self._lock:
            span = self._open.pop(call_id, None)
        if span is None:
            return
        key = span.prompt_key
        entry = _history_entry(span.lm, key)
        messages = key if isinstance(key, list) else [{"role": "user", "content": key}]
        usage = _jsonable(entry["usage"]) if entry and entry.get("usage") else None
        model = getattr(span.lm, "model", None)
        cache_hit = bool(span.cache_probe)
        cost, basis = call_cost(model, usage, entry.get("cost") if entry else None, cache_hit)
        if exception is None:
            self._add_usage(span.started.parent_id, usage, cost)
        self._finish(
            span,
            exception=exception,
            messages=_jsonable(messages),
            completion=None if outputs is None else [_completion_text(o) for o in outputs],
            usage=usage,
            model=model,
            lm_source=self._lm_source(span.lm, entry),
            cache_hit=cache_hit,
            cost=cost,
            cost_basis=basis,
        )

    def _add_usage(self, parent: str | None, usage: Any, cost: float | None) -> None:
        """Count one LM call in every enclosing span's total (across threads too)."""
        with self._lock:
            seen = set()
            while parent is not None and parent not in seen:
                seen.add(parent)
                add_call(self._totals.setdefault(parent, {}), usage, cost)
                parent = self._parents.get(parent)

    def _lm_source(self, lm: Any, entry: dict[str, Any] | None) -> str | None:
        response = entry.get("response") if entry else None
        data = getattr(response, "provider_data", None) or {}
        # Set by the offline engine, and by the offline provider (tutor/lm/provider.py),
        # whose replies reach DSPy over HTTP like a real provider's.
        if isinstance(data, dict) and "lm_source" in data:
            return data["lm_source"]
        # A binary's interpreter answers through the check's engine (tutor.embed): same model.
        offline = isinstance(getattr(lm, "engine", None), OfflineEngine)
        if not offline and getattr(lm, "model", None) != OFFLINE_MODEL:
            return "provider"
        # History is off (settings.disable_history): ask the answerer, per thread.
        return self.answerer.last_source() if self.answerer else None

    # --- spans from elsewhere: a binary step's program ---------------------------------

    def open_span(self, kind: str, name: str, inputs: Any) -> str:
        """Start a span of the tutor's own (e.g. a program run by the check); its id."""
        span_id = uuid.uuid4().hex
        self._start(span_id, kind, name, inputs)
        return span_id

    def close_span(self, span_id: str, outputs: Any, error: str | None = None) -> None:
        with self._lock:
            span = self._open.pop(span_id, None)
        if span is not None:
            self._finish(span, exception=None, outputs=_jsonable(outputs), error=error)

    def ingest(self, event: Event) -> None:
        """A span recorded in another process of this run (a binary's interpreter)."""
        event = _redacted(event)
        if isinstance(event, SpanStarted):
            with self._lock:
                self._parents[event.span_id] = event.parent_id
        elif isinstance(event, Span):
            with self._lock:
                self.spans.append(event)
                self._parents.pop(event.span_id, None)
                self._totals.pop(event.span_id, None)  # it carries its own total
            if event.kind == "lm" and not event.error:
                self._add_usage(event.parent_id, event.usage, event.cost)
        self.emit(event)

    # --- shared -----------------------------------------------------------------------

    def _now(self) -> float:
        return time.monotonic() - self.origin

    def _start(self, call_id: str, kind: str, name: str, inputs: Any, **extra: Any) -> None:
        parent = ACTIVE_CALL_ID.get() or self.root_id
        started = SpanStarted(
            span_id=call_id, parent_id=parent, kind=kind, name=name, start=self._now()
        )
        with self._lock:
            self._open[call_id] = _Open(started, _jsonable(inputs), **extra)
            self._parents[call_id] = parent
        self.emit(_redacted(started))

    def _end(self, call_id: str, outputs: Any, exception: BaseException | None) -> None:
        with self._lock:
            span = self._open.pop(call_id, None)
        if span is not None:
            self._finish(span, outputs=_jsonable(outputs), exception=exception)

    def _finish(self, span: _Open, exception: BaseException | None, **fields: Any) -> None:
        s = span.started
        with self._lock:
            self._parents.pop(s.span_id, None)
            total = self._totals.pop(s.span_id, None)
        if total and s.kind != "lm":
            fields["usage_total"] = total
        error = fields.pop("error", None)
        if exception is not None:
            error = f"{type(exception).__name__}: {exception}"
        done = _redacted(
            Span(
                span_id=s.span_id,
                parent_id=s.parent_id,
                kind=s.kind,
                name=s.name,
                start=s.start,
                end=self._now(),
                inputs=span.inputs,
                error=error,
                **fields,
            )
        )
        with self._lock:
            self.spans.append(done)
        self.emit(done)


def _redacted(event: E) -> E:
    secrets = secret_values()
    changes = {f.name: redact(getattr(event, f.name), secrets) for f in dataclasses.fields(event)}
    return dataclasses.replace(event, **changes)


def _query(retriever: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """A retrieval span's inputs: the query and k (the instance's when not passed)."""
    args = inputs.get("args") or ()
    query = inputs.get("query", inputs.get("query_or_queries", args[0] if args else None))
    return {"query": query, "k": inputs.get("k") or getattr(retriever, "k", None)}


def _call_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """``__call__(*args, **kwargs)`` arrives as {'args': ..., 'kwargs': ...}: show the kwargs."""
    if not set(inputs) <= {"args", "kwargs"}:
        return inputs
    flat = dict(inputs.get("kwargs") or {})
    if inputs.get("args"):
        flat["args"] = inputs["args"]
    return flat


def _completion_text(output: Any) -> str:
    """Outputs are strings, or dicts when the call also returned tool calls or logprobs."""
    return output if isinstance(output, str) else json.dumps(_jsonable(output))


def _history_entry(lm: Any, key: Any) -> dict[str, Any] | None:
    """This call's history entry: the one holding the very messages object it was given.

    ``history[-1]`` would do on one thread, but under ``Parallel`` another thread's call
    may have landed after ours.
    """
    if key is None:
        return None
    for entry in reversed(getattr(lm, "history", None) or []):
        if entry.get("messages") is key or entry.get("prompt") is key:
            return entry
    return None


def _jsonable(value: Any) -> Any:
    """A JSON-safe copy: predictions and examples as dicts, long strings cut, others repr."""
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return f"{value[:MAX_TEXT]}… [{len(value) - MAX_TEXT} more characters]"
        return value
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dspy.Example):  # Prediction too
        return _jsonable(value.toDict())
    if isinstance(value, BaseModel):
        return _jsonable(value.model_dump(mode="json"))
    if isinstance(value, type) and issubclass(value, dspy.Signature):
        return value.signature
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return _jsonable(repr(value))
