"""The offline LM answers real DSPy modules deterministically, with no network."""

from __future__ import annotations

import asyncio
import enum
from typing import Literal

import dspy
import pytest
from pydantic import BaseModel, Field

from tutor.lm.offline import (
    OFFLINE_MODEL,
    CassetteEntry,
    OfflineAnswerer,
    ScriptedAnswer,
    load_cassette,
    make_offline_lm,
)
from tutor.lm.settings import (
    LMSettings,
    build_lm,
    describe,
    missing_key,
    provider_of,
)


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class Address(BaseModel):
    city: str


class Person(BaseModel):
    name: str
    age: int = Field(ge=1)
    height: float = Field(gt=1)
    tags: list[str]
    address: Address
    mood: Mood
    nickname: str | None
    version: Literal["v1"]
    pair: tuple[int, str]
    note: str = "optional"


class Typed(dspy.Signature):
    """Answer with every kind of output."""

    question: str = dspy.InputField()
    score: float = dspy.OutputField()
    count: int = dspy.OutputField()
    ok: bool = dspy.OutputField()
    topics: list[str] = dspy.OutputField()
    counts: dict[str, int] = dspy.OutputField()
    kind: Literal["fact", "opinion"] = dspy.OutputField()
    person: Person = dspy.OutputField()


@pytest.fixture
def answerer() -> OfflineAnswerer:
    return OfflineAnswerer()


@pytest.fixture
def lm(answerer: OfflineAnswerer):
    lm = make_offline_lm(answerer)
    with dspy.context(lm=lm, adapter=None):
        yield lm


def test_predict_synthesizes_a_string_answer(lm, answerer):
    pred = dspy.Predict("question -> answer")(question="What is DSPy?")
    assert pred.answer.startswith("answer-")
    assert answerer.last_source() == "synthesized"
    assert lm.model == OFFLINE_MODEL
    usage = lm.history[-1]["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0


def test_chain_of_thought_gets_reasoning_and_answer(lm):
    pred = dspy.ChainOfThought("question -> answer")(question="Why?")
    assert pred.reasoning.startswith("reasoning-")
    assert pred.answer.startswith("answer-")


@pytest.mark.parametrize("adapter", [dspy.ChatAdapter(), dspy.JSONAdapter()], ids=type)
def test_typed_outputs_are_schema_valid(lm, adapter):
    with dspy.context(adapter=adapter):
        pred = dspy.Predict(Typed)(question="Anything?")
    assert (pred.score, pred.count, pred.ok) == (0.5, 0, True)
    assert len(pred.topics) == 1 and isinstance(pred.topics[0], str)
    assert pred.counts == {"key": 0}
    assert pred.kind == "fact"
    person = pred.person
    assert isinstance(person, Person)
    assert (person.age, person.height, person.mood, person.version) == (1, 1.5, Mood.HAPPY, "v1")
    assert isinstance(person.nickname, str) and person.pair[0] == 0
    assert person.note == "optional"  # not required: left to its default
    assert len(lm.history) == 1  # no parse failure, so no JSONAdapter retry


def test_json_adapter_gets_a_json_object(lm):
    with dspy.context(adapter=dspy.JSONAdapter()):
        dspy.Predict("question -> answer: int")(question="How many?")
    assert lm.history[-1]["outputs"][0].lstrip().startswith("{")


def test_cassette_beats_scripts_beat_synthesis(lm, answerer):
    predict = dspy.Predict("question -> answer, confidence: float")
    answerer.set_step(
        [CassetteEntry("capital of France", {"answer": "Paris (recorded)"})],
        [ScriptedAnswer("capital", {"answer": "scripted", "confidence": 0.9})],
    )
    pred = predict(question="What is the capital of France?")
    assert (pred.answer, answerer.last_source()) == ("Paris (recorded)", "cassette")
    assert pred.confidence == 0.5  # missing from the cassette: synthesized

    pred = predict(question="What is the capital of Peru?")
    assert (pred.answer, pred.confidence) == ("scripted", 0.9)
    assert answerer.last_source() == "scripted"

    answerer.add_script("Peru", {"answer": "added"})  # a check's scripts beat the step's
    assert predict(question="What is the capital of Peru?").answer == "added"

    predict(question="Something else")
    assert answerer.last_source() == "synthesized"

    answerer.set_step([], [])
    assert predict(question="What is the capital of France?").answer.startswith("answer-")


def test_non_string_values_are_json_encoded(lm, answerer):
    answerer.add_script("Anything", {"topics": ["a", "b"], "ok": False, "count": 7})
    pred = dspy.Predict(Typed)(question="Anything?")
    assert (pred.topics, pred.ok, pred.count) == (["a", "b"], False, 7)


def test_synthesis_is_deterministic():
    system = dspy.ChatAdapter().format_system_message(dspy.Signature("question -> answer"))
    first = OfflineAnswerer().answer(system, "[[ ## question ## ]]\nWhy?")
    assert OfflineAnswerer().answer(system, "[[ ## question ## ]]\nWhy?") == first
    assert OfflineAnswerer().answer(system, "[[ ## question ## ]]\nHow?") != first


def test_plain_prompt_without_an_adapter(lm, answerer):
    assert lm("hello") == lm("hello")
    answerer.add_script("hello", {"text": "hi there"})
    assert lm("hello") == ["hi there"]


def test_streamify_with_a_listener(lm):
    program = dspy.streamify(
        dspy.ChainOfThought("question -> answer"),
        stream_listeners=[dspy.streaming.StreamListener(signature_field_name="answer")],
    )

    async def collect():
        return [chunk async for chunk in program(question="Stream it")]

    chunks = asyncio.run(collect())
    streamed = [c for c in chunks if isinstance(c, dspy.streaming.StreamResponse)]
    final = chunks[-1]
    assert isinstance(final, dspy.Prediction)
    assert len(streamed) > 1
    assert "".join(c.chunk for c in streamed) == final.answer


def test_acall(lm, answerer):
    answerer.add_script("async", {"answer": "awaited"})
    pred = asyncio.run(dspy.Predict("question -> answer").acall(question="async?"))
    assert pred.answer == "awaited"


def test_load_cassette(tmp_path):
    path = tmp_path / "cassette.jsonl"
    path.write_text('{"match": "France", "fields": {"answer": "Paris"}}\n\n', encoding="utf-8")
    assert load_cassette(path) == [CassetteEntry("France", {"answer": "Paris"})]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('["match"]', "not a JSON object"),
        ('{"match": "", "fields": {}}', '"match" must be a non-empty string'),
        ('{"match": "x", "fields": "Paris"}', '"fields" must be an object'),
        ('{"match": "x", "fields": {}, "answer": 1}', "unknown keys ['answer']"),
    ],
)
def test_malformed_cassette_line_names_file_and_line(tmp_path, line, problem):
    path = tmp_path / "cassette.jsonl"
    path.write_text(f'{{"match": "ok", "fields": {{}}}}\n\n{line}\n', encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_cassette(path)
    assert f"{path}:3: {problem}" in str(info.value)
    assert '{"match": "<text>", "fields": {...}}' in str(info.value)


# --- settings -------------------------------------------------------------------------


def test_provider_of():
    assert provider_of("offline") == "offline"
    assert provider_of("openai/gpt-4o-mini") == "openai"
    assert provider_of("ollama_chat/llama3.2") == "ollama_chat"
    assert provider_of("gpt-4o-mini") == "openai"


def test_missing_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    message = missing_key(LMSettings("anthropic/claude-sonnet-4-5"))
    assert message is not None and "ANTHROPIC_API_KEY" in message
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    assert missing_key(LMSettings("anthropic/claude-sonnet-4-5")) is None
    assert missing_key(LMSettings("ollama_chat/llama3.2")) is None
    assert missing_key(LMSettings()) is None


def test_build_lm(answerer):
    assert build_lm(LMSettings(), answerer).model == OFFLINE_MODEL
    ollama = build_lm(LMSettings("ollama_chat/llama3.2", "http://localhost:11434/"), answerer)
    assert ollama.kwargs["api_base"] == "http://localhost:11434/v1"
    openai = build_lm(LMSettings("openai/gpt-4o-mini"), answerer)
    assert "api_key" not in openai.kwargs and "api_base" not in openai.kwargs


def test_describe():
    assert describe(LMSettings()) == "offline (built-in)"
    assert describe(LMSettings("openai/gpt-4o-mini")) == "openai/gpt-4o-mini"
