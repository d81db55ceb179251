"""Check for the tool-errors step: retries with backoff, timeouts, and errors the agent
reads as observations."""

import threading
import time

import pytest

import tool_errors

from tutor import lesson_api

FAST = {"attempts": 3, "base_delay_s": 0.05, "timeout_s": 0.25}


class Flaky:
    """A tool that fails with the given errors (or hangs, for "hang"), then answers."""

    def __init__(self, *failures):
        self.failures = list(failures)
        self.calls = []
        self.release = threading.Event()  # set at the end: a hung call then returns

    def __call__(self, currency: str) -> str:
        """The live exchange rate from EUR to a currency."""
        self.calls.append(time.monotonic())
        failure = self.failures.pop(0) if self.failures else None
        if failure == "hang":
            self.release.wait(2)  # a hang the check ends: 2 s at most
            return "too late"
        if failure is not None:
            raise failure
        return f"1 EUR = 0.93 {currency}"


@pytest.fixture
def flaky():
    tools = []
    yield lambda *failures: tools.append(Flaky(*failures)) or tools[-1]
    for tool in tools:
        tool.release.set()


def outcome(tool, **policy):
    """(result or exception type, message, seconds) of one guarded call."""
    guarded = tool_errors.guarded(tool, **{**FAST, **policy})
    start = time.monotonic()
    try:
        got = guarded(currency="CHF")
    except Exception as e:  # noqa: BLE001 - the type is what we check
        return type(e).__name__, str(e), time.monotonic() - start
    return got, "", time.monotonic() - start


def test_module_registers_the_gil_probe():
    got = [name for name in dir(tool_errors) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_a_permanent_error_is_not_retried(flaky):
    tool = flaky(ValueError("unknown currency 'XYZ'"))
    got = outcome(tool)[:2], len(tool.calls)
    assert got == (("ValueError", "unknown currency 'XYZ'"), 1), (
        "a ValueError fails the same way every time: raise it at once, unchanged, without a retry"
    )


def test_transient_errors_are_retried_with_backoff(flaky):
    tool = flaky(ConnectionError("reset by peer"), ConnectionError("reset by peer"))
    got = outcome(tool)[0], len(tool.calls)
    assert got == ("1 EUR = 0.93 CHF", 3), (
        "two ConnectionErrors then an answer: the guarded tool should try 3 times and return it"
    )
    gaps = [b - a for a, b in zip(tool.calls, tool.calls[1:])]
    got = [gaps[0] >= 0.05, gaps[1] >= 0.10]
    assert got == [True, True], (
        f"the waits between attempts were {[round(g, 3) for g in gaps]} s: back off "
        "exponentially (base_delay_s, then 2 × base_delay_s) before each retry"
    )


def test_when_retries_run_out_the_error_says_so(flaky):
    tool = flaky(*[ConnectionError("the rates service is unreachable")] * 3)
    kind, message, _ = outcome(tool)
    got = kind, [text in message for text in ("failed after 3 attempts", "ConnectionError", "unreachable")]
    assert got == ("RuntimeError", [True, True, True]), (
        f"got {kind}: {message!r}. After the last attempt raise RuntimeError saying the tool "
        "failed after 3 attempts and naming the last error: the LM reads this message"
    )
    assert len(tool.calls) == 3, "attempts=3 means three calls, no more"


def test_a_hanging_tool_is_timed_out(flaky):
    tool = flaky("hang")
    got, _, seconds = outcome(tool)
    assert (got, len(tool.calls)) == ("1 EUR = 0.93 CHF", 2), (
        "the first call hangs: after timeout_s it should count as a TimeoutError (transient) "
        "and the retry should answer"
    )
    assert seconds < 1.5, (
        f"the call took {seconds:.2f} s: wait for the tool at most timeout_s (0.25 s), with "
        "the GIL released, not until it returns"
    )
    tool = flaky("hang", "hang", "hang")
    kind, message, seconds = outcome(tool)
    assert (kind, "did not answer within" in message) == ("RuntimeError", True), (
        f"got {kind}: {message!r}. A tool that never answers should end as RuntimeError "
        "'… failed after 3 attempts: TimeoutError: … did not answer within …'"
    )


def test_the_agent_reads_the_error_and_uses_another_tool(flaky):
    if not lesson_api.in_tutor_run():
        pytest.skip("spans and scripts are recorded only when the tutor runs this check")
    live = flaky(*[ConnectionError("the rates service is unreachable")] * 3)

    def exchange_rate(currency: str) -> str:
        """The live exchange rate from EUR to a currency."""
        return live(currency)

    def cached_rate(currency: str) -> str:
        """This morning's exchange rate from EUR to a currency (may be a few hours old)."""
        return f"1 EUR = 0.93 {currency} (cached 08:00)"

    tools = [tool_errors.guarded(exchange_rate, **FAST), tool_errors.guarded(cached_rate, **FAST)]
    before = len(lesson_api.spans())
    answer = tool_errors.run_agent("How much is 120 EUR in CHF today?", tools)
    calls = [s for s in lesson_api.spans()[before:] if s.kind == "tool" and s.name != "finish"]
    if {s.lm_source for s in lesson_api.spans()[before:] if s.kind == "lm"} != {"scripted"}:
        assert any(s.name == "cached_rate" for s in calls), "a real LM should fall back to cached_rate"
        return
    got = [(s.name, "failed after 3 attempts" in (s.error or ""), s.outputs) for s in calls]
    expected = [("exchange_rate", True, None), ("cached_rate", False, "1 EUR = 0.93 CHF (cached 08:00)")]
    assert got == expected, (
        "exchange_rate should fail (after its retries) with a message the agent reads as its "
        "observation, and the agent should then use cached_rate"
    )
    assert answer == "About 111.60 CHF (cached rate 0.93 from this morning).", "run_agent returns the answer"
