"""The offline LM: deterministic answers for every lesson, with no network and no key.

Each call is answered, in order, by the step's cassette, its scripted answers, or values
synthesized from the output types the adapter prompt declares. The answer is written in
the format the adapter asked for (ChatAdapter blocks or a JSONAdapter object), so DSPy
parses it like a real model's reply.

It plugs into DSPy 3.4 as a custom engine (``dspy.LM(..., engine=...)``), the supported
replacement for subclassing ``BaseLM``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import dspy
from dspy._vendor.lm15.types import StreamDeltaEvent, StreamEvent, TextDelta
from dspy.lm15 import Message, Request, Response, Usage, response_to_events

from tutor.lm.cassette import CassetteEntry, load_cassette

__all__ = ["CassetteEntry", "OfflineAnswerer", "ScriptedAnswer", "load_cassette"]

OFFLINE_MODEL = "tutor/offline"

Source = Literal["cassette", "scripted", "synthesized"]


@dataclass
class ScriptedAnswer:
    """An answer a lesson scripts: used when ``when`` is a substring of the prompt."""

    when: str
    fields: dict[str, Any]


# --- reading the adapter's prompt -----------------------------------------------------

_OUTPUT_LIST = re.compile(
    r"Your output fields are:\n(.*?)\nAll interactions will be structured", re.DOTALL
)
_FIELD_ITEM = re.compile(r"^\d+\. `([^`]+)` \(", re.MULTILINE)
_JSON_OUTPUTS = "Outputs will be a JSON object with the following fields."
_NOTE = "# note: the value you produce "


@dataclass(frozen=True)
class _PromptShape:
    fields: list[tuple[str, str]]  # (output field name, its "# note" text or "")
    json_mode: bool  # JSONAdapter (a JSON object) rather than ChatAdapter blocks


def _prompt_shape(system: str) -> _PromptShape:
    json_mode = _JSON_OUTPUTS in system
    listed = _OUTPUT_LIST.search(system)
    names = _FIELD_ITEM.findall(listed.group(1)) if listed else []
    template = _json_template_text(system) if json_mode else system
    fields = []
    for name in names:
        pattern = r"\{" + re.escape(name) + r"\}\s+" + re.escape(_NOTE) + r"(.*)$"
        note = re.search(pattern, template, re.MULTILINE)
        fields.append((name, note.group(1).strip() if note else ""))
    return _PromptShape(fields, json_mode)


def _json_template_text(system: str) -> str:
    """JSONAdapter writes its output template as a JSON object whose values carry the notes."""
    start = system.find("{", system.find(_JSON_OUTPUTS))
    try:
        template, _ = json.JSONDecoder().raw_decode(system, start)
    except json.JSONDecodeError:
        return system
    return "\n".join(str(v) for v in template.values())


# --- synthesizing values --------------------------------------------------------------


def _synthesize(name: str, note: str, digest: str) -> Any:
    """A schema-valid value for one output field, from the adapter's note about its type."""
    if note == "must be True or False":
        return True
    if note == "must be a single int value":
        return 0
    if note == "must be a single float value":
        return 0.5
    for prefix in ("must exactly match (no extra characters) one of: ", "must be one of: "):
        if note.startswith(prefix):  # Literal / Enum: the first option
            return note[len(prefix) :].split("; ")[0]
    prefix = "must adhere to the JSON schema: "
    if note.startswith(prefix):
        schema = json.loads(note[len(prefix) :])
        return _from_schema(schema, schema, name, digest)
    return f"{name}-{digest}"


def _from_schema(schema: Any, root: dict[str, Any], name: str, digest: str) -> Any:
    if not isinstance(schema, dict):  # `true` / `{}`: anything goes
        return f"{name}-{digest}"
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        return _from_schema(target, root, name, digest)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return _from_schema(options[0], root, name, digest)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _object_from_schema(schema, root, name, digest)
    if kind == "array":
        if "prefixItems" in schema:
            return [_from_schema(s, root, name, digest) for s in schema["prefixItems"]]
        return [_from_schema(schema.get("items", {}), root, name, digest)]
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return f"{name}-{digest}"


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    """0 or 0.5, raised to a lower bound when the schema sets one (``Field(ge=…, gt=…)``)."""
    value: int | float = 0 if integer else 0.5
    if "minimum" in schema:
        value = max(value, schema["minimum"])
    if "exclusiveMinimum" in schema:
        value = max(value, schema["exclusiveMinimum"] + (1 if integer else 0.5))
    return value


def _object_from_schema(schema: dict[str, Any], root: dict[str, Any], name: str, digest: str):
    properties = schema.get("properties", {})
    if properties:
        return {
            key: _from_schema(properties[key], root, key, digest)
            for key in schema.get("required", [])
            if key in properties
        }
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and extra:  # dict[str, T]: one entry
        return {"key": _from_schema(extra, root, "key", digest)}
    return {}


# --- writing the reply ----------------------------------------------------------------


def _format_reply(shape: _PromptShape, values: dict[str, Any]) -> str:
    if shape.json_mode:
        return json.dumps(values, ensure_ascii=False, indent=2)
    blocks = [f"[[ ## {name} ## ]]\n{_as_text(value)}\n\n" for name, value in values.items()]
    return "".join(blocks) + "[[ ## completed ## ]]"


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _raw_reply(given: dict[str, Any] | None, digest: str) -> str:
    """A prompt no adapter wrote (e.g. ``lm("hello")``): plain text."""
    if given is None:
        return f"offline reply {digest}"
    if len(given) == 1:
        return _as_text(next(iter(given.values())))
    return json.dumps(given, ensure_ascii=False)


class OfflineAnswerer:
    """The answering logic, shared by the sync and async engines.

    Thread-safe: a lesson check may add scripts while DSPy answers on worker threads.
    """

    def __init__(
        self,
        cassette: list[CassetteEntry] | None = None,
        scripts: list[ScriptedAnswer] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._cassette = list(cassette or [])
        self._scripts = list(scripts or [])
        self._local = threading.local()  # the tracer reads the source per thread

    def set_step(self, cassette: list[CassetteEntry], scripts: list[ScriptedAnswer]) -> None:
        """Replace the cassette and scripts (one step's run)."""
        with self._lock:
            self._cassette = list(cassette)
            self._scripts = list(scripts)

    def add_script(self, when: str, fields: dict[str, Any]) -> None:
        with self._lock:
            self._scripts.append(ScriptedAnswer(when, dict(fields)))

    def last_source(self) -> Source | None:
        """Which source answered this thread's last call."""
        return getattr(self._local, "source", None)

    def answer(self, system: str, user_text: str) -> tuple[str, Source]:
        """Return (completion text, source) for one rendered prompt."""
        prompt = f"{system}\n{user_text}"
        given, source = self._lookup(prompt)
        digest = hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:8]
        shape = _prompt_shape(system)
        if not shape.fields:
            text = _raw_reply(given, digest)
        else:
            given = given or {}
            values = {
                name: given[name] if name in given else _synthesize(name, note, digest)
                for name, note in shape.fields
            }
            text = _format_reply(shape, values)
        self._local.source = source
        return text, source

    def _lookup(self, prompt: str) -> tuple[dict[str, Any] | None, Source]:
        with self._lock:
            cassette, scripts = list(self._cassette), list(self._scripts)
        for entry in cassette:
            if entry.match in prompt:
                return entry.fields, "cassette"
        for script in scripts:
            if script.when in prompt:
                return script.fields, "scripted"
        return None, "synthesized"


# --- DSPy engines ---------------------------------------------------------------------


def _system_text(request: Request) -> str:
    if request.system is None:
        return ""
    if isinstance(request.system, str):
        return request.system
    return "".join(getattr(part, "text", "") or "" for part in request.system)


class OfflineEngine:
    """Sync engine: ``complete`` for calls, ``stream`` for ``dspy.streamify``."""

    def __init__(self, answerer: OfflineAnswerer) -> None:
        self.answerer = answerer

    def complete(self, request: Request) -> Response:
        system = _system_text(request)
        text, source = self.answerer.answer(system, request.messages[-1].text or "")
        prompt = " ".join([system, *(m.text or "" for m in request.messages)])
        return Response(
            id=None,
            model=request.model,
            message=Message.assistant(text),
            finish_reason="stop",
            usage=Usage(input_tokens=len(prompt.split()), output_tokens=len(text.split())),
            provider_data={"lm_source": source},
        )

    def stream(self, request: Request) -> Iterator[StreamEvent]:
        return _word_events(self.complete(request))


class AsyncOfflineEngine:
    """Async engine for ``acall`` and async streaming; same answers as the sync one."""

    def __init__(self, answerer: OfflineAnswerer) -> None:
        self._sync = OfflineEngine(answerer)

    async def complete(self, request: Request) -> Response:
        return self._sync.complete(request)

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        for event in self._sync.stream(request):
            yield event


def _word_events(response: Response) -> Iterator[StreamEvent]:
    """Stream the text a word at a time.

    A StreamListener emits nothing when the whole reply arrives as one delta, so the
    text is split the way a provider would send it.
    """
    for event in response_to_events(response):
        if event.type == "delta" and event.delta.type == "text":
            text = event.delta.text
            for piece in re.findall(r"\s*\S+|\s+$", text) or [text]:
                yield StreamDeltaEvent(TextDelta(text=piece, part_index=event.delta.part_index))
        else:
            yield event


def make_offline_lm(answerer: OfflineAnswerer) -> dspy.LM:
    # cache=False: DSPy's cache keys on the model string, not the engine, so a cached
    # answer would outlive a change of cassette or script.
    return dspy.LM(
        OFFLINE_MODEL,
        engine=OfflineEngine(answerer),
        async_engine=AsyncOfflineEngine(answerer),
        cache=False,
    )
