"""The offline provider: `dspy.LM("offline/<name>")` reaches the offline LM over real HTTP."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request

import dspy
import pytest

from tutor import lesson_api
from tutor.lm.offline import OfflineAnswerer, ScriptedAnswer
from tutor.lm.provider import KEY_ENV, PROVIDER_ID, OfflineProvider
from tutor.trace.recorder import SpanRecorder

QA = "question -> answer"


@pytest.fixture(autouse=True)
def no_cache():
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)


def scripted(*pairs: tuple[str, str]) -> OfflineAnswerer:
    return OfflineAnswerer(scripts=[ScriptedAnswer(when, {"answer": a}) for when, a in pairs])


def ask(lm: dspy.LM, question: str, **inputs) -> str:
    signature = "question, history: dspy.History -> answer" if inputs else QA
    with dspy.context(lm=lm):
        return dspy.Predict(signature)(question=question, **inputs).answer


def post(url: str, body: dict, key: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_model_string_reaches_the_scripts_and_names_the_model():
    with OfflineProvider(scripted(("France", "Paris, says {model}"))) as provider:
        alpha, beta = dspy.LM("offline/alpha"), dspy.LM("offline/beta")
        got = [ask(alpha, "Capital of France?"), ask(beta, "Capital of France?")]
    assert got == ["Paris, says alpha", "Paris, says beta"]
    assert provider.requests == ["alpha", "beta"]
    assert alpha.history[-1]["usage"]["total_tokens"] > 0


def test_the_key_lives_in_the_environment_only_while_serving(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "the-learners-own-value")
    with OfflineProvider(scripted()) as provider:
        assert os.environ[KEY_ENV] == provider.key
        assert PROVIDER_ID in {p.id for p in dspy.lm15.registered_providers()}
    assert os.environ[KEY_ENV] == "the-learners-own-value"
    assert PROVIDER_ID not in {p.id for p in dspy.lm15.registered_providers()}


def test_requests_without_the_key_are_refused_like_a_real_provider():
    with OfflineProvider(scripted()) as provider:
        body = {"model": "alpha", "messages": [{"role": "user", "content": "hi"}]}
        url = provider.url + "/chat/completions"
        got = [post(url, body, key)[0] for key in (None, "wrong", provider.key)]
        assert got == [401, 401, 200]
        assert provider.requests == ["alpha"]


def test_dspy_reports_a_missing_key_at_the_first_request(monkeypatch):
    with OfflineProvider(scripted()):
        monkeypatch.delenv(KEY_ENV)
        lm = dspy.LM("offline/alpha")  # constructing is fine: DSPy looks only when calling
        with pytest.raises(dspy.utils.exceptions.LMError, match=KEY_ENV):
            ask(lm, "anything")


def test_scripts_match_the_whole_conversation():
    answerer = scripted(
        ("Paris", "About 2.1 million live in Paris."),
        ("live there", "Live where?"),
    )
    earlier = dspy.History(messages=[{"question": "Capital of France?", "answer": "Paris"}])
    with OfflineProvider(answerer):
        lm = dspy.LM("offline/chat")
        got = [
            ask(lm, "How many people live there?", history=earlier),
            ask(lm, "How many people live there?", history=dspy.History(messages=[])),
        ]
    assert got == ["About 2.1 million live in Paris.", "Live where?"]


def test_latency_delays_each_reply_but_not_other_threads():
    latency = 0.5
    with OfflineProvider(scripted(), latency_s=latency):
        lm = dspy.LM("offline/slow")
        start = time.perf_counter()
        ask(lm, "one")
        one = time.perf_counter() - start
        threads = [threading.Thread(target=ask, args=(lm, f"q{i}")) for i in range(4)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        four = time.perf_counter() - start
    assert one >= latency
    # One after the other, four replies take at least 4 × latency; the handler sleeps
    # without the GIL, so they overlap (the bound leaves room for a loaded machine).
    assert four < 3 * latency


def test_spans_say_which_source_answered():
    spans = []
    recorder = SpanRecorder(spans.append, time.monotonic())
    with OfflineProvider(scripted(("France", "Paris"))):
        lm = dspy.LM("offline/alpha")
        with dspy.context(callbacks=[recorder]):
            ask(lm, "Capital of France?")
            ask(lm, "Something unscripted")
    got = [(s.name, s.lm_source) for s in recorder.spans if s.kind == "lm"]
    assert got == [("offline/alpha", "scripted"), ("offline/alpha", "synthesized")]


class _Probe:
    """Stands in for a built step module: a drain that empties on every call."""

    def __init__(self) -> None:
        self.pending = {"work": {"hold_ns": [5], "wait_ns": [], "nested": 1}}

    def _gil_probe_drain(self):
        taken, self.pending = self.pending, {}
        return taken


def test_gil_samples_reads_the_probe_and_leaves_the_figures_for_the_pane():
    module = _Probe()
    got = lesson_api.gil_samples(module)
    assert got == {"work": {"hold_ns": [5], "wait_ns": [], "nested": 1}}
    module.pending = {"work": {"hold_ns": [7]}, "more": {"detached_ns": [3]}}
    seen = lesson_api.gil_samples(module)
    assert seen == {
        "work": {"hold_ns": [5, 7], "wait_ns": [], "nested": 1},
        "more": {"detached_ns": [3]},
    }
    # What the runner drains at the end of the run still holds everything, once.
    assert module._gil_probe_drain() == seen
    assert module._gil_probe_drain() == {}
