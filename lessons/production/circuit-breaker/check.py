"""Check for the circuit-breaker step: closed → open → half-open → closed, on a clock the
check moves, against an LM the check makes fail."""

import dspy
import pytest
from dspy.lm15 import Message, Response, Usage

import circuit_breaker

from tutor import lesson_api

QUESTION = "Is the provider up?"


class Flaky:
    """An LM engine that fails while `down` is True, the way a provider outage does, and
    records what the breaker looked like from inside each call."""

    def __init__(self):
        self.down = False
        self.calls = 0
        self.breaker = None
        self.seen_states = []

    def complete(self, request):
        self.calls += 1
        if self.breaker is not None:
            self.seen_states.append(self.breaker.state)
        if self.down:
            raise ConnectionError("provider down")
        text = "[[ ## answer ## ]]\nyes\n\n[[ ## completed ## ]]"
        return Response(id=None, model=request.model, message=Message.assistant(text),
                        finish_reason="stop", usage=Usage(input_tokens=1, output_tokens=1))


class Clock:
    """A clock the check controls: `breaker.ask` reads it, the test moves it."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def rig():
    engine, clock = Flaky(), Clock()
    breaker = circuit_breaker.Breaker(failure_threshold=3, cooldown_s=30.0, clock=clock)
    engine.breaker = breaker
    with dspy.context(lm=dspy.LM("check/flaky", engine=engine, cache=False)):
        yield breaker, engine, clock


def outcome(breaker):
    """What one ask() did: the answer, or the name of the exception it raised."""
    try:
        return breaker.ask(QUESTION)
    except Exception as e:  # noqa: BLE001 - the type is what we check
        return type(e).__name__


def lm_spans():
    return len([s for s in lesson_api.spans() if s.kind == "lm"])


def test_module_registers_the_gil_probe():
    got = [name for name in dir(circuit_breaker) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_a_closed_breaker_passes_answers_through(rig):
    breaker, engine, _ = rig
    got = (outcome(breaker), breaker.state, engine.calls)
    assert got == ("yes", "closed", 1), (
        "with a healthy LM, ask() should call dspy.Predict once, return its answer and "
        "stay closed"
    )


def test_three_provider_errors_open_the_breaker(rig):
    breaker, engine, _ = rig
    engine.down = True
    got = [(outcome(breaker), breaker.state) for _ in range(3)]
    assert got == [
        ("LMUnexpectedError", "closed"),
        ("LMUnexpectedError", "closed"),
        ("LMUnexpectedError", "open"),
    ], (
        "each failure should reach the caller as DSPy's own LMError, and the third in a "
        "row (failure_threshold=3) should open the breaker: count failures in "
        "Machine::on_failure"
    )


def test_a_success_resets_the_failure_count(rig):
    breaker, engine, _ = rig
    for down in (True, True, False, True, True):
        engine.down = down
        outcome(breaker)
    got = breaker.state
    assert got == "closed", (
        "two failures, a success, two failures: the failures were not consecutive, so "
        "the breaker stays closed (on_success sets failures back to 0)"
    )


def test_an_open_breaker_does_not_call_the_lm(rig):
    breaker, engine, clock = rig
    engine.down = True
    for _ in range(3):
        outcome(breaker)
    calls, spans = engine.calls, lm_spans()
    clock.now += 29.0  # still inside the 30 s cooldown
    got = (outcome(breaker), engine.calls - calls)
    assert got == ("CircuitOpenError", 0), (
        "once open, ask() must raise circuit_breaker.CircuitOpenError before touching "
        "the LM (Machine::admit returns Err while now - since < cooldown)"
    )
    if lesson_api.in_tutor_run():
        assert lm_spans() - spans == 0, "the trace shows an LM call made while the breaker was open"


def test_after_the_cooldown_one_probe_closes_it(rig):
    breaker, engine, clock = rig
    engine.down = True
    for _ in range(3):
        outcome(breaker)
    engine.down = False
    clock.now += 30.0
    engine.seen_states.clear()
    got = (outcome(breaker), engine.seen_states, breaker.state)
    assert got == ("yes", ["half-open"], "closed"), (
        "after cooldown_s the next ask() is the probe: admit() moves Open → HalfOpen, "
        "the LM is called once (it sees state 'half-open'), and a success closes the "
        "breaker. Do not hold the Mutex while the LM runs"
    )


def test_a_failed_probe_opens_it_again_from_now(rig):
    breaker, engine, clock = rig
    engine.down = True
    for _ in range(3):
        outcome(breaker)
    clock.now += 30.0
    probe = (outcome(breaker), breaker.state)
    clock.now += 29.0
    early = outcome(breaker)
    clock.now += 1.0
    engine.down = False
    late = outcome(breaker)
    got = (probe, early, late)
    assert got == (("LMUnexpectedError", "open"), "CircuitOpenError", "yes"), (
        "a failed probe reopens the breaker with a fresh cooldown counted from the "
        "probe's failure: refused 29 s later, probed again at 30 s"
    )


def test_bad_settings_are_a_value_error():
    try:
        circuit_breaker.Breaker(failure_threshold=0)
    except ValueError:
        got = "ValueError"
    else:
        got = "accepted"
    assert got == "ValueError", "failure_threshold=0 would open on nothing: raise ValueError"
