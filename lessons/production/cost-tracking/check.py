"""Check for the cost-tracking step: DSPy's token usage priced per model, and a budget
that refuses calls once spent."""

import dspy
import pytest
from dspy.lm15 import Message, Response, Usage

import cost_tracking

PRICES = {"check/priced": (2.0, 8.0), "check/cheap": (0.1, 0.4)}  # USD per 1M tokens
# One call: 120 prompt + 30 completion tokens. check/priced: (120 * 2.0 + 30 * 8.0) / 1M
# = $0.00048; check/cheap: (120 * 0.1 + 30 * 0.4) / 1M = $0.000024.
PRICED_CALL, CHEAP_CALL = 0.00048, 0.000024


class Metered:
    """An LM engine that reports 120 prompt and 30 completion tokens per call, as a
    provider's usage block does, and counts its calls."""

    def __init__(self):
        self.calls = 0

    def complete(self, request):
        self.calls += 1
        text = "[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]"
        return Response(id=None, model=request.model, message=Message.assistant(text),
                        finish_reason="stop", usage=Usage(input_tokens=120, output_tokens=30))


def lm(name, engine):
    return dspy.LM(name, engine=engine, cache=False)


def ask(tracker, question="How much did that cost?"):
    try:
        return tracker.ask(question)
    except Exception as e:  # noqa: BLE001 - the type is what we check
        return type(e).__name__


def test_module_registers_the_gil_probe():
    got = [name for name in dir(cost_tracking) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_one_call_is_priced_from_dspy_usage():
    tracker = cost_tracking.CostTracker(PRICES, budget_usd=1.0)
    with dspy.context(lm=lm("check/priced", Metered())):
        answer = ask(tracker)
    got = (answer, tracker.tokens, round(tracker.spent_usd, 9))
    assert got == ("ok", (120, 30), PRICED_CALL), (
        "ask() should read the Prediction's get_lm_usage() (with track_usage on for the "
        "call) and add 120 * $2.0/1M + 30 * $8.0/1M = $0.00048 to spent_usd"
    )


def test_each_model_has_its_own_price():
    tracker = cost_tracking.CostTracker(PRICES, budget_usd=1.0)
    for name in ("check/priced", "check/cheap"):
        with dspy.context(lm=lm(name, Metered())):
            ask(tracker)
    got = (tracker.tokens, round(tracker.spent_usd, 9))
    assert got == ((240, 60), round(PRICED_CALL + CHEAP_CALL, 9)), (
        "price each model's tokens with that model's price (the keys of get_lm_usage() "
        "are the LM's model names)"
    )


def test_a_spent_budget_refuses_calls_without_calling_the_lm():
    engine = Metered()
    tracker = cost_tracking.CostTracker(PRICES, budget_usd=0.001)
    with dspy.context(lm=lm("check/priced", engine)):
        got = [ask(tracker) for _ in range(4)]
    assert got == ["ok", "ok", "ok", "BudgetExceededError"], (
        "$0.001 allows three $0.00048 calls (the third overshoots: a cost is known only "
        "after the call); the fourth must raise cost_tracking.BudgetExceededError"
    )
    assert engine.calls == 3, "a refused call must not reach the LM: check the budget first"
    assert tracker.remaining_usd == 0.0, "remaining_usd never goes below 0"


def test_an_unpriced_model_is_an_error_not_free():
    tracker = cost_tracking.CostTracker(PRICES, budget_usd=1.0)
    with dspy.context(lm=lm("check/mystery", Metered())):
        try:
            tracker.ask("Is this one free?")
        except ValueError as e:
            got = "check/mystery" in str(e)
        else:
            got = "no error"
    assert got is True, (
        "a model with no price must raise ValueError naming the model "
        "(CostError::UnknownModel), or its calls would cost nothing"
    )


def test_usage_tracking_does_not_leak_into_the_process():
    tracker = cost_tracking.CostTracker(PRICES, budget_usd=1.0)
    with dspy.context(lm=lm("check/priced", Metered())):
        ask(tracker)
        got = bool(dspy.settings.track_usage)
    assert got is False, (
        "turn track_usage on with dspy.context(...) for the call only, and exit it "
        "after: dspy.configure(track_usage=True) would change every other caller"
    )
