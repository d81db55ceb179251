"""The offline LM: deterministic answers for every lesson, with no network and no key.

Each call is answered, in order, by the step's cassette, a script, the step's task
model, or values synthesized from the call (types, tools, code); see lessons/AUTHORING.md.
The answer is written in the format the adapter asked for (ChatAdapter blocks, a
JSONAdapter object or XMLAdapter tags), so DSPy parses it like a real model's reply.

It plugs into DSPy 3.4 as a custom engine (``dspy.LM(..., engine=...)``), the supported
replacement for subclassing ``BaseLM``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import dspy
from dspy._vendor.lm15.types import StreamDeltaEvent, StreamEvent, TextDelta, tool_call
from dspy.lm15 import Message, Request, Response, Usage, response_to_events

from tutor.lm.cassette import CassetteEntry, load_cassette
from tutor.lm.prompt import Call, as_text, format_reply, read_call
from tutor.lm.scripts import Script, ScriptBook, ScriptError, is_tool_calls, parse_script
from tutor.lm.synth import native_tool_calls, synthesize
from tutor.lm.task import Task

__all__ = [
    "CassetteEntry",
    "OfflineAnswerer",
    "Script",
    "ScriptError",
    "ScriptedAnswer",
    "Task",
    "load_cassette",
    "make_offline_lm",
]

OFFLINE_MODEL = "tutor/offline"

Source = Literal["cassette", "scripted", "task", "synthesized"]


@dataclass
class ScriptedAnswer:
    """The first script form: ``fields`` answer every call whose conversation holds ``when``."""

    when: str
    fields: dict[str, Any]

    def to_script(self, origin: str = "script") -> Script:
        return parse_script({"when": self.when, "answer": dict(self.fields)}, origin)


@dataclass
class Reply:
    text: str
    source: Source
    tool_calls: list[dict[str, Any]]  # native calls: [{"name": …, "args": {…}}]


class OfflineAnswerer:
    """The answering logic, shared by the sync and async engines (see lessons/AUTHORING.md).

    For each call, in order: the step's cassette, a script (the running test's, then the
    step's), the step's task model, then synthesis. Thread-safe: a check may add scripts
    while DSPy answers on worker threads.
    """

    def __init__(
        self,
        cassette: list[CassetteEntry] | None = None,
        scripts: list[ScriptedAnswer | Script] | None = None,
        task: Task | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.scripts = ScriptBook()
        self._cassette: list[CassetteEntry] = []
        self._task: Task | None = None
        self._repeats: Counter[str] = Counter()
        self._local = threading.local()  # the tracer reads the source per thread
        self.set_step(cassette or [], scripts or [], task)

    def set_step(
        self,
        cassette: list[CassetteEntry],
        scripts: list[ScriptedAnswer | Script],
        task: Task | None = None,
    ) -> None:
        """Replace the cassette, scripts and task (one step's run)."""
        book = [
            s if isinstance(s, Script) else s.to_script(f"[[lm.script]] #{i}")
            for i, s in enumerate(scripts, start=1)
        ]
        with self._lock:
            self._cassette = list(cassette)
            self._task = task
            self._repeats.clear()
        self.scripts.set_step(book)

    def add_script(self, when: str, fields: dict[str, Any]) -> None:
        """The first form of ``lesson_api.script``: ``fields`` whenever ``when`` occurs."""
        self.scripts.add(ScriptedAnswer(when, dict(fields)).to_script(f"script({when!r})"))

    def last_source(self) -> Source | None:
        """Which source answered this thread's last call."""
        return getattr(self._local, "source", None)

    def answer(self, system: str, user_text: str) -> tuple[str, Source]:
        """(completion text, source) for a system prompt and one user turn."""
        reply = self.answer_call(read_call(system, [("user", user_text)], None))
        return reply.text, reply.source

    def answer_call(self, call: Call, rollout: int | None = None) -> Reply:
        """The reply to one rendered call."""
        sample = self._sample(call, rollout)
        seed = call.conversation + (f"\n#sample {sample}" if sample else "")
        digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:8]
        given, source = self._lookup(call, sample)
        tool_calls = [] if not call.tools else native_tool_calls(call)
        if not call.adapter_shaped:
            text = _raw_reply(given, digest)
        else:
            values = synthesize(call, digest)
            for key, value in (given or {}).items():
                if key in values:
                    values[key] = value
                elif call.tools and is_tool_calls(value):
                    tool_calls = value["tool_calls"]
            text = format_reply(call, values)
        self._local.source = source
        return Reply(text, source, tool_calls)

    def _sample(self, call: Call, rollout: int | None) -> int:
        """0 (the greedy answer) unless the temperature is above 0. Then a ``rollout_id``
        picks the sample; without one, each repeat of the same call in a test is the
        next sample (``n=3`` asks three times)."""
        if not call.temperature or call.temperature <= 0:
            return 0
        if rollout is not None:
            return rollout
        with self._lock:
            repeat = self._repeats[call.conversation]
            self._repeats[call.conversation] += 1
        return repeat

    def begin_test(self) -> None:
        """Called as each test starts: scripts and samples start over."""
        self.scripts.begin_test()
        with self._lock:
            self._repeats.clear()

    def _lookup(self, call: Call, sample: int) -> tuple[dict[str, Any] | None, Source]:
        with self._lock:
            cassette, task = list(self._cassette), self._task
        conversation = call.conversation
        for entry in cassette:
            if entry.match in conversation:
                return entry.fields, "cassette"
        scripted = self.scripts.answer(call)
        if scripted is not None:
            return scripted[0], "scripted"
        if task is not None:
            writes = task.writes_instructions(call)
            if writes:
                return {name: task.propose(call, sample) for name in writes}, "task"
            if task.applies(call):
                label, why = task.answer(call, sample)
                return {task.output: label, "reasoning": why}, "task"
        return None, "synthesized"


def _raw_reply(given: dict[str, Any] | None, digest: str) -> str:
    """A prompt no adapter wrote (e.g. ``lm("hello")``): plain text."""
    if given is None:
        return f"offline reply {digest}"
    if len(given) == 1:
        return as_text(next(iter(given.values())))
    return json.dumps(given, ensure_ascii=False)


# --- DSPy engines ---------------------------------------------------------------------


def _system_text(request: Request) -> str:
    if request.system is None:
        return ""
    if isinstance(request.system, str):
        return request.system
    return "".join(getattr(part, "text", "") or "" for part in request.system)


class OfflineEngine:
    """Sync engine: ``complete`` for calls, ``stream`` for ``dspy.streamify``.

    ``rollout`` is the ``rollout_id`` of the LM copy it serves: DSPy keeps rollout_id
    out of the Request, so OfflineLM.copy binds it here.
    """

    supports_function_calling = True  # adapters may send tools natively (request.tools)

    def __init__(self, answerer: OfflineAnswerer, rollout: int | None = None) -> None:
        self.answerer = answerer
        self.rollout = rollout

    def complete(self, request: Request) -> Response:
        system = _system_text(request)
        messages = [(m.role, m.text or "") for m in request.messages]
        tools = [
            (t.name, t.description or "", (t.parameters or {}).get("properties", {}))
            for t in request.tools
            if getattr(t, "type", "") == "function"
        ]
        call = read_call(system, messages, request.config.temperature, tools)
        reply = self.answerer.answer_call(call, self.rollout)
        text = reply.text
        prompt = " ".join([system, *(t for _, t in messages)])
        calls = [
            tool_call(f"call_{i}_{c['name']}", c["name"], dict(c.get("args") or {}))
            for i, c in enumerate(reply.tool_calls)
        ]
        return Response(
            id=None,
            model=request.model,
            message=Message.assistant([text, *calls] if calls else text),
            finish_reason="tool_call" if calls else "stop",
            usage=Usage(input_tokens=len(prompt.split()), output_tokens=len(text.split())),
            provider_data={"lm_source": reply.source},
        )

    def stream(self, request: Request) -> Iterator[StreamEvent]:
        return _word_events(self.complete(request))

    def with_rollout(self, rollout: int | None) -> OfflineEngine:
        return OfflineEngine(self.answerer, rollout)


class AsyncOfflineEngine:
    """Async engine for ``acall`` and async streaming; same answers as the sync one."""

    def __init__(self, answerer: OfflineAnswerer, rollout: int | None = None) -> None:
        self._sync = OfflineEngine(answerer, rollout)

    def with_rollout(self, rollout: int | None) -> AsyncOfflineEngine:
        return AsyncOfflineEngine(self._sync.answerer, rollout)

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


class OfflineLM(dspy.LM):
    """dspy.LM whose copies keep their ``rollout_id`` (Refine/BestOfN sample with
    ``lm.copy(rollout_id=i, temperature=1.0)``) by binding it into their engines."""

    def copy(self, **kwargs: Any) -> OfflineLM:
        copied = super().copy(**kwargs)
        # Any engine pair with with_rollout(): these, and a binary step's (tutor/embed).
        engine, async_engine = copied._engine_spec, copied._async_engine_spec
        rollout = copied.kwargs.get("rollout_id")
        if hasattr(engine, "with_rollout") and engine.rollout != rollout:
            copied._engine_spec = engine.with_rollout(rollout)
            copied._async_engine_spec = async_engine.with_rollout(rollout)
        return copied


def make_offline_lm(answerer: OfflineAnswerer) -> dspy.LM:
    # cache=False: DSPy's cache keys on the model string, not the engine, so a cached
    # answer would outlive a change of cassette or script.
    return OfflineLM(
        OFFLINE_MODEL,
        engine=OfflineEngine(answerer),
        async_engine=AsyncOfflineEngine(answerer),
        cache=False,
    )
