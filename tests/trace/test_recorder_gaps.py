"""Spans for what DSPy's callbacks miss: retrieval, cache hits, cost, Evaluate, threads."""

from __future__ import annotations

import time

import dspy
import numpy as np
import pytest

from tutor.events import Event, Span
from tutor.lm.offline import OFFLINE_MODEL, OfflineAnswerer, OfflineEngine, make_offline_lm
from tutor.trace.cost import NOMINAL_PRICES
from tutor.trace.recorder import SpanRecorder
from tutor.trace.usage import total_usage

CORPUS = [
    "PyO3 binds Rust and Python.",
    "DSPy programs language models.",
    "Cargo builds Rust crates.",
]


def embed(texts: list[str]) -> np.ndarray:
    """A tiny deterministic embedder: counts of a few keywords."""
    words = ["rust", "python", "dspy", "cargo", "language"]
    return np.array([[t.lower().count(w) for w in words] for t in texts], dtype=float)


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


def of_kind(spans: list[Span], kind: str) -> list[Span]:
    return [s for s in spans if s.kind == kind]


def test_embeddings_retrieval_makes_a_span(recorder):
    retriever = dspy.retrievers.Embeddings(corpus=CORPUS, embedder=embed, k=2)
    got = retriever("How does Cargo build crates?")
    (span,) = of_kind(recorder.spans, "retrieval")
    assert (span.name, span.inputs) == (
        "Embeddings",
        {"query": "How does Cargo build crates?", "k": 2},
    )
    assert span.outputs["passages"] == got.passages
    assert span.outputs["passages"][0] == "Cargo builds Rust crates."


def test_a_retriever_inside_a_module_is_its_child(recorder):
    class Rag(dspy.Module):
        def __init__(self):
            super().__init__()
            self.retrieve = dspy.retrievers.Embeddings(corpus=CORPUS, embedder=embed, k=1)
            self.answer = dspy.Predict("context, question -> answer")

        def forward(self, question):
            context = self.retrieve(question).passages
            return self.answer(context=context, question=question)

    Rag()(question="What binds Rust and Python?")
    spans = {s.span_id: s for s in recorder.spans}
    (retrieval,) = of_kind(recorder.spans, "retrieval")
    assert spans[retrieval.parent_id].name == "Rag"
    assert retrieval.outputs["passages"] == ["PyO3 binds Rust and Python."]


def test_cache_hits_are_marked(answerer, events):
    recorder = SpanRecorder(events.append, time.monotonic(), answerer)
    cached = dspy.LM(OFFLINE_MODEL, engine=OfflineEngine(answerer), cache=True)
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=True)
    try:
        with dspy.context(lm=cached, callbacks=[recorder], adapter=None):
            predict = dspy.Predict("question -> answer")
            first = predict(question="cache me, test_cache_hits_are_marked")
            second = predict(question="cache me, test_cache_hits_are_marked")
    finally:
        dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    assert first.answer == second.answer
    lms = of_kind(recorder.spans, "lm")
    assert [s.cache_hit for s in lms] == [False, True]
    assert [s.cost_basis for s in lms] == ["nominal", "cache"]
    assert lms[1].cost == 0.0


def test_offline_calls_cost_a_labelled_nominal_price(recorder):
    dspy.Predict("question -> answer")(question="What does it cost?")
    (lm,) = of_kind(recorder.spans, "lm")
    tokens_in, tokens_out = lm.usage["prompt_tokens"], lm.usage["completion_tokens"]
    price_in, price_out = NOMINAL_PRICES[OFFLINE_MODEL]
    assert lm.cost_basis == "nominal"
    assert lm.cost == pytest.approx((tokens_in * price_in + tokens_out * price_out) / 1e6)
    assert lm.cost > 0


def test_a_provider_cost_comes_from_the_history(recorder):
    lm = make_offline_lm(OfflineAnswerer())
    original = lm.update_history

    def with_cost(entry):  # as a real provider's entry: LiteLLM's response_cost
        original({**entry, "cost": 0.0125})

    lm.update_history = with_cost
    with dspy.context(lm=lm):
        dspy.Predict("question -> answer")(question="priced?")
    (span,) = of_kind(recorder.spans, "lm")
    assert (span.cost, span.cost_basis) == (0.0125, "provider")


def test_evaluate_span_names_metric_devset_and_score(recorder):
    def exact_match(gold, pred, trace=None):
        return float(gold.answer == pred.answer)

    devset = [dspy.Example(question=q, answer="x").with_inputs("question") for q in "abc"]
    dspy.Evaluate(devset=devset, metric=exact_match, num_threads=1)(
        dspy.Predict("question -> answer")
    )
    (span,) = of_kind(recorder.spans, "evaluate")
    assert span.inputs == {
        "program": "Predict",
        "metric": "exact_match",
        "devset_size": 3,
        "num_threads": 1,
    }
    assert span.outputs == {"score": 0.0, "examples": 3}
    assert span.usage_total["lm_calls"] == 3


def test_usage_from_parallel_threads_is_on_the_spans(recorder):
    predict = dspy.Predict("question -> answer")
    examples = [dspy.Example(question=q).with_inputs("question") for q in ("one", "two", "three")]
    with dspy.track_usage() as tracker:
        predict.batch(examples, num_threads=3, disable_progress_bar=True)
    lost = tracker.get_total_tokens()  # DSPy's own tracker, for comparison
    lms = of_kind(recorder.spans, "lm")
    assert len(lms) == 3 and all(s.usage["total_tokens"] > 0 for s in lms)
    total = total_usage(recorder.spans)
    assert total["lm_calls"] == 3
    assert total["total_tokens"] == sum(s.usage["total_tokens"] for s in lms)
    assert total["cost"] == pytest.approx(sum(s.cost for s in lms))
    print(f"track_usage saw {lost}; the spans carry {total['total_tokens']} tokens")


def test_enclosing_spans_total_their_calls_across_threads(recorder):
    class Fanout(dspy.Module):
        def __init__(self):
            super().__init__()
            self.predict = dspy.Predict("question -> answer")

        def forward(self, questions):
            pairs = [(self.predict, {"question": q}) for q in questions]
            return dspy.Parallel(num_threads=2, disable_progress_bar=True)(pairs)

    Fanout()(questions=["a", "b"])
    (fanout,) = [s for s in recorder.spans if s.name == "Fanout"]
    lms = of_kind(recorder.spans, "lm")
    assert fanout.usage_total["lm_calls"] == 2
    assert fanout.usage_total["total_tokens"] == sum(s.usage["total_tokens"] for s in lms)


def test_the_cli_and_the_trace_pane_show_the_new_facts(recorder):
    from io import StringIO

    from rich.console import Console

    from tutor.events import Verdict
    from tutor.report import Printer
    from tutor.trace.describe import span_facts

    retriever = dspy.retrievers.Embeddings(corpus=CORPUS, embedder=embed, k=1)
    retriever("cargo")
    dspy.Predict("question -> answer")(question="shown?")
    buffer = StringIO()
    printer = Printer(Console(file=buffer, width=200, color_system=None), verbose=True)
    for span in recorder.spans:
        printer(span)
    printer(Verdict(step_id="s", verdict="pass"))
    printed = buffer.getvalue()
    assert "retrieval Embeddings" in printed and "query: 'cargo', k=1, 1 passages" in printed
    assert "· synthesized · cost: $" in printed and "nominal: offline tokens priced" in printed
    assert "total: 1 LM call, " in printed
    (lm,) = of_kind(recorder.spans, "lm")
    assert span_facts(lm)[0].startswith("cost: $")
