"""DSPy callbacks become a span tree; nothing secret leaves in an event."""

from __future__ import annotations

import asyncio
import json
import time

import dspy
import pytest

from tutor.events import Event, Span, SpanStarted
from tutor.lm.offline import OFFLINE_MODEL, OfflineAnswerer, make_offline_lm
from tutor.trace.recorder import MAX_TEXT, SpanRecorder
from tutor.trace.redact import REDACTED, redact, secret_values

SECRET = "sk-test-0123456789abcdef"


@pytest.fixture
def answerer() -> OfflineAnswerer:
    return OfflineAnswerer()


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def recorder(answerer, events):
    recorder = SpanRecorder(events.append, time.monotonic(), answerer)
    with dspy.context(lm=make_offline_lm(answerer), callbacks=[recorder], adapter=None):
        yield recorder


def by_kind(spans: list[Span], kind: str) -> list[Span]:
    return [s for s in spans if s.kind == kind]


def test_chain_of_thought_span_tree(recorder, events):
    dspy.ChainOfThought("question -> answer")(question="What is PyO3?")

    spans = sorted(recorder.spans, key=lambda s: s.start)
    assert [(s.kind, s.name) for s in spans] == [
        ("module", "ChainOfThought"),
        ("module", "Predict"),
        ("adapter_format", "ChatAdapter"),
        ("lm", OFFLINE_MODEL),
        ("adapter_parse", "ChatAdapter"),
    ]
    cot, predict, *leaves = spans
    assert cot.parent_id is None
    assert predict.parent_id == cot.span_id
    assert all(s.parent_id == predict.span_id for s in leaves)
    assert all(s.start <= s.end for s in spans)
    assert cot.inputs == {"question": "What is PyO3?"}
    assert set(cot.outputs) == {"reasoning", "answer"}

    lm = by_kind(spans, "lm")[0]
    assert [m["role"] for m in lm.messages] == ["system", "user"]
    assert "What is PyO3?" in lm.messages[-1]["content"]
    assert lm.completion and "[[ ## answer ## ]]" in lm.completion[0]
    assert lm.usage["prompt_tokens"] > 0 and lm.usage["completion_tokens"] > 0
    assert (lm.model, lm.lm_source, lm.error) == (OFFLINE_MODEL, "synthesized", None)

    started = [e for e in events if isinstance(e, SpanStarted)]
    assert {e.span_id for e in started} == {s.span_id for s in spans}
    for event in events:  # every event survives its JSON form
        assert json.loads(event.to_json())["type"] in {"SpanStarted", "Span"}


def test_lm_source_follows_the_answerer(recorder, answerer):
    answerer.add_script("scripted question", {"answer": "yes"})
    dspy.Predict("question -> answer")(question="scripted question")
    assert by_kind(recorder.spans, "lm")[0].lm_source == "scripted"


def test_other_lms_are_providers(recorder):
    with dspy.context(lm=dspy.utils.DummyLM([{"answer": "dummy"}])):
        dspy.Predict("question -> answer")(question="Who answers?")
    assert by_kind(recorder.spans, "lm")[0].lm_source == "provider"


def test_react_tool_call_gives_a_tool_span(recorder, answerer):
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    # Later steps first: scripts are tried in order, and every step's prompt
    # still contains the question.
    answerer.add_script(
        "[[ ## observation_0 ## ]]",
        {"next_thought": "done", "next_tool_name": "finish", "next_tool_args": {}},
    )
    answerer.add_script(
        "2 + 3",
        {"next_thought": "add them", "next_tool_name": "add", "next_tool_args": {"a": 2, "b": 3}},
    )
    dspy.ReAct("question -> answer", tools=[add])(question="What is 2 + 3?")

    react = by_kind(recorder.spans, "module")
    react = next(s for s in react if s.name == "ReAct")
    tools = by_kind(recorder.spans, "tool")
    assert [(t.name, t.inputs, t.outputs) for t in tools] == [
        ("add", {"a": 2, "b": 3}, 5),
        ("finish", {}, "Completed."),
    ]
    assert all(t.parent_id == react.span_id for t in tools)


def test_exception_sets_error(recorder):
    class Broken(dspy.Module):
        def forward(self, question: str):
            raise ValueError("no answer today")

    with pytest.raises(ValueError):
        Broken()(question="Anything?")
    (span,) = recorder.spans
    assert (span.kind, span.name) == ("module", "Broken")
    assert span.error == "ValueError: no answer today"
    assert span.outputs is None


def test_parallel_threads_keep_their_parents(recorder):
    class Fanout(dspy.Module):
        def __init__(self):
            super().__init__()
            self.cot = dspy.ChainOfThought("question -> answer")

        def forward(self, questions: list[str]):
            pairs = [(self.cot, {"question": q}) for q in questions]
            return dspy.Parallel(num_threads=3, disable_progress_bar=True)(pairs)

    Fanout()(questions=["one", "two", "three"])

    spans = {s.span_id: s for s in recorder.spans}
    (fanout,) = [s for s in spans.values() if s.name == "Fanout"]
    cots = [s for s in spans.values() if s.name == "ChainOfThought"]
    assert len(cots) == 3 and all(c.parent_id == fanout.span_id for c in cots)
    for lm in by_kind(recorder.spans, "lm"):
        predict = spans[lm.parent_id]
        question = spans[predict.parent_id].inputs["question"]
        assert f"[[ ## question ## ]]\n{question}" in lm.messages[-1]["content"]
        assert question in predict.inputs["question"]
        assert lm.usage and lm.lm_source == "synthesized"


def test_evaluate_span(recorder):
    devset = [dspy.Example(question=q, answer="x").with_inputs("question") for q in "ab"]
    evaluate = dspy.Evaluate(devset=devset, metric=lambda g, p, t=None: 1.0, num_threads=1)
    evaluate(dspy.Predict("question -> answer"))
    (span,) = by_kind(recorder.spans, "evaluate")
    assert span.name == "Evaluate" and span.parent_id is None
    assert sum(s.parent_id == span.span_id for s in recorder.spans) == 2


def test_without_history_the_answerer_names_the_source(recorder, answerer):
    answerer.add_script("no history", {"answer": "still scripted"})
    with dspy.context(disable_history=True):
        dspy.Predict("question -> answer")(question="no history")
    (lm,) = by_kind(recorder.spans, "lm")
    assert (lm.lm_source, lm.usage) == ("scripted", None)


def test_async_and_streamed_calls_are_traced(recorder):
    program = dspy.streamify(
        dspy.Predict("question -> answer"),
        stream_listeners=[dspy.streaming.StreamListener(signature_field_name="answer")],
    )

    async def run():
        await dspy.Predict("question -> answer").acall(question="awaited")
        return [chunk async for chunk in program(question="streamed")]

    asyncio.run(run())
    predicts = by_kind(recorder.spans, "module")
    lms = by_kind(recorder.spans, "lm")
    assert [p.inputs["question"] for p in predicts] == ["awaited", "streamed"]
    assert [lm.parent_id for lm in lms] == [p.span_id for p in predicts]
    assert all(lm.usage and lm.lm_source == "synthesized" for lm in lms)


def test_compile_span(recorder):
    trainset = [dspy.Example(question=q, answer="x").with_inputs("question") for q in "ab"]
    optimizer = dspy.BootstrapFewShot(metric=lambda g, p, t=None: True, max_bootstrapped_demos=1)
    optimizer.compile(dspy.Predict("question -> answer"), trainset=trainset)
    outer, inner = sorted(by_kind(recorder.spans, "compile"), key=lambda s: s.start)
    assert (outer.name, outer.parent_id, outer.error) == ("BootstrapFewShot", None, None)
    assert (inner.name, inner.parent_id) == ("LabeledFewShot", outer.span_id)  # nested compile
    assert any(s.kind == "module" and s.parent_id == outer.span_id for s in recorder.spans)


def test_long_strings_are_truncated(recorder):
    dspy.Predict("question -> answer")(question="x" * (MAX_TEXT + 50))
    (predict,) = by_kind(recorder.spans, "module")
    assert predict.inputs["question"].endswith("[50 more characters]")


def test_secrets_never_leave_in_events(recorder, events, monkeypatch):
    monkeypatch.setenv("TUTOR_TEST_API_KEY", SECRET)
    dspy.ChainOfThought("question -> answer")(question=f"my key is {SECRET}")
    dumped = [event.to_json() for event in events]
    assert dumped and not any(SECRET in line for line in dumped)
    assert any(REDACTED in line for line in dumped)


# --- redact ---------------------------------------------------------------------------


def test_secret_values(monkeypatch):
    monkeypatch.setenv("TUTOR_TEST_API_KEY", SECRET)
    monkeypatch.setenv("TUTOR_TEST_TOKEN", "tok-abcdefgh")
    monkeypatch.setenv("TUTOR_DB_PASSWORD", "hunter2hunter2")
    monkeypatch.setenv("TUTOR_SHORT_SECRET", "short")
    monkeypatch.setenv("TUTOR_TEST_SETTING", "not-a-secret-value")
    found = secret_values()
    assert {SECRET, "tok-abcdefgh", "hunter2hunter2"} <= set(found)
    assert "short" not in found and "not-a-secret-value" not in found


def test_redact_deep_copies_and_replaces():
    class Opaque:
        def __repr__(self) -> str:
            return f"Opaque({SECRET})"

    data = {
        "messages": [{"role": "user", "content": f"key={SECRET}!"}],
        "api_key": "anything",
        "Authorization": "Bearer xyz",
        "n": 3,
        "ok": True,
        "none": None,
        "pair": (1, SECRET),
        "object": Opaque(),
    }
    assert redact(data, [SECRET]) == {
        "messages": [{"role": "user", "content": f"key={REDACTED}!"}],
        "api_key": REDACTED,
        "Authorization": REDACTED,
        "n": 3,
        "ok": True,
        "none": None,
        "pair": [1, REDACTED],
        "object": f"Opaque({REDACTED})",
    }
    assert data["api_key"] == "anything"  # the input is left alone
