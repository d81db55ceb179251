"""Check for the metrics step: scrape /metrics over loopback, parse it with the
prometheus_client OpenMetrics parser, and compare with the calls the check made."""

import time
import urllib.error
import urllib.request

import dspy
import pytest
from dspy.lm15 import Message, Response, Usage
from prometheus_client.openmetrics.parser import text_string_to_metric_families

import metrics

SLOW_S = 0.4  # the "slow" question's latency; the others answer at once


class Timed:
    """An LM engine whose latency and failures the check controls."""

    def complete(self, request):
        text = request.messages[-1].text
        if "fail" in text:
            raise ConnectionError("provider down")
        if "slow" in text:
            time.sleep(SLOW_S)
        reply = "[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]"
        return Response(id=None, model=request.model, message=Message.assistant(reply),
                        finish_reason="stop", usage=Usage(input_tokens=1, output_tokens=1))


@pytest.fixture
def served():
    m = metrics.Metrics()
    port = m.serve(0)
    with dspy.context(lm=dspy.LM("check/timed", engine=Timed(), cache=False)):
        yield m, port
    m.stop()


def scrape(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
        return reply.headers.get("Content-Type", ""), reply.read().decode()


def families(port):
    content_type, body = scrape(port)
    return {f.name: f for f in text_string_to_metric_families(body)}


def family(port, name, kind):
    found = families(port)
    got = found[name].type if name in found else None
    assert got == kind, (
        f"/metrics has no {kind} named {name!r} (it has {sorted(found)}): register it in "
        "Metrics::new with registry.register(...)"
    )
    return found[name]


def ask(m, question):
    try:
        return m.ask(question)
    except Exception as e:  # noqa: BLE001 - the type is what we check
        return type(e).__name__


def test_module_registers_the_gil_probe():
    got = [name for name in dir(metrics) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_the_endpoint_speaks_openmetrics(served):
    _, port = served
    content_type, body = scrape(port)
    got = (content_type.split(";")[0], body.rstrip().endswith("# EOF"))
    assert got == ("application/openmetrics-text", True), (
        "GET /metrics should answer prometheus_client::encoding::text::encode's output "
        "(it ends with '# EOF') with the OpenMetrics content type"
    )
    try:
        scrape(port, "/")
    except urllib.error.HTTPError as e:
        status = e.code
    else:
        status = 200
    assert status == 404, "any path but /metrics should be a 404"


def test_calls_are_counted_by_outcome(served):
    m, port = served
    answers = [ask(m, q) for q in ("What is up?", "Is it up?", "Will this fail?", "Why?")]
    assert answers == ["ok", "ok", "LMUnexpectedError", "ok"], (
        "ask() should return the LM's answer, and pass the LM's error through unchanged"
    )
    counter = family(port, "lm_requests", "counter")
    got = {s.labels.get("outcome"): s.value for s in counter.samples if s.name.endswith("_total")}
    assert got == {"ok": 3.0, "error": 1.0}, (
        "lm_requests_total should have one series per outcome: 3 calls ok, 1 error. "
        "Increment self.calls.get_or_create(&CallLabels { outcome }) after every call"
    )


def test_latency_lands_in_the_right_buckets(served):
    m, port = served
    for q in ("Fast one?", "Fast two?", "A slow one?", "Will this fail fast?"):
        ask(m, q)
    histogram = family(port, "lm_latency_seconds", "histogram")
    samples = {s.name.removeprefix("lm_latency_seconds"): s for s in histogram.samples}
    buckets = sorted(
        (float(s.labels["le"]), s.value)
        for s in histogram.samples if s.name.endswith("_bucket")
    )
    below_slow = max((count for le, count in buckets if le < SLOW_S), default=None)
    got = (samples["_count"].value if "_count" in samples else None, below_slow,
           buckets[-1][1] if buckets else None)
    assert got == (4.0, 3.0, 4.0), (
        "observe every call's wall time (failures too) in lm_latency_seconds: 4 calls, "
        f"3 of them faster than {SLOW_S} s, all 4 in +Inf"
    )
    total = samples["_sum"].value
    assert SLOW_S <= total < SLOW_S + 0.5, (
        f"lm_latency_seconds_sum is {total}: observe seconds (as_secs_f64), not ms"
    )


def test_labels_do_not_grow_with_the_questions(served):
    m, port = served
    for i in range(25):
        ask(m, f"Question number {i}?")
    counter = family(port, "lm_requests", "counter")
    got = sorted(tuple(sorted(s.labels.items())) for s in counter.samples
                 if s.name.endswith("_total"))
    assert got == [(("outcome", "ok"),)], (
        "25 different questions must still be one series, lm_requests_total{outcome=\"ok\"}: "
        "label values come from a small fixed set (the Outcome enum), never from the input"
    )
