"""Events keep one JSON form across the pipe."""

from __future__ import annotations

from tutor.events import (
    Diagnostic,
    GilLabelStats,
    GilStats,
    Span,
    TestResult,
    Verdict,
    event_from_json,
)


def test_every_kind_round_trips():
    events = [
        Diagnostic(level="error", message="m", code="E0308", file="src/lib.rs", line=1, column=2),
        TestResult(name="t", outcome="failed", expected="'Paris'", got="''"),
        Span(
            span_id="1",
            parent_id=None,
            kind="lm",
            name="LM",
            start=0.0,
            end=0.1,
            usage={"prompt_tokens": 3},
            lm_source="scripted",
        ),
        GilStats(
            labels=[GilLabelStats("predict", 3, 0.1, 0.2, 0.3, 10, 20, 30)],
            switch_interval_s=0.005,
            gil_enabled=True,
        ),
        Verdict(step_id="s", verdict="pass", timings={"build_s": 0.2}),
    ]
    for e in events:
        assert event_from_json(e.to_json()) == e


def test_json_names_the_type():
    assert Verdict(step_id="s", verdict="fail").to_dict()["type"] == "Verdict"
