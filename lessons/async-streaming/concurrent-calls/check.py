"""Check for the concurrent-calls step: many acalls from tokio, capped by a semaphore."""

import asyncio
import os

import dspy
import pytest
from dspy.lm15 import Message, Response, Usage

import concurrent_calls

from tutor import lesson_api

QUESTIONS = {
    "What caps concurrency in tokio?": "A Semaphore.",
    "What joins many tasks?": "A JoinSet.",
    "What does acquire_owned return?": "An OwnedSemaphorePermit.",
}
LM_DELAY = 0.05  # seconds every call of the slow LM below takes
LEVELS = (1, 8, 64, 512)
MIN_CALLS = 32  # calls per level, and at least as many as the level, so it can fill up


class SlowReply:
    """An LM whose every call takes LM_DELAY seconds (asyncio.sleep: the loop stays free),
    like a provider's latency; the offline LM answers at once."""

    def complete(self, request):
        return self._reply(request)

    def _reply(self, request):
        text = "[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]"
        return Response(id=None, model=request.model, message=Message.assistant(text),
                        finish_reason="stop", usage=Usage(input_tokens=1, output_tokens=1))


class AsyncSlowReply(SlowReply):
    async def complete(self, request):
        await asyncio.sleep(LM_DELAY)
        return self._reply(request)


def batch(questions, max_in_flight, lm=None):
    async def main():
        with dspy.context(lm=lm) if lm else dspy.context():
            return await concurrent_calls.run_batch(questions, max_in_flight)

    return asyncio.run(main())



def slow_lm():
    return dspy.LM("check/slow-reply", engine=SlowReply(), async_engine=AsyncSlowReply(),
                   cache=False)


def test_module_registers_the_gil_probe():
    got = [name for name in dir(concurrent_calls) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_answers_come_back_in_question_order():
    questions = list(QUESTIONS) * 4
    before = len(lesson_api.spans())
    report = batch(questions, 5)
    got = report.answers
    if lesson_api.answered_by(before) == "model":  # a real LM: one string per question
        assert [type(a).__name__ for a in got] == ["str"] * len(questions), "an answer each"
        return
    assert got == [QUESTIONS[q] for q in questions], (
        "BatchReport.answers should hold each question's answer at the question's index, "
        "whatever order the tasks finish in (spawn with the index, store by it)"
    )


def test_the_semaphore_caps_and_fills_the_calls_in_flight():
    report = batch([f"q{i}" for i in range(16)], 4, slow_lm())
    got = report.peak_in_flight
    assert got == 4, (
        f"with 16 slow calls and max_in_flight=4, {got} were in flight at the peak: hold a "
        "permit for the whole call (gauge.enter() after acquiring, gauge.leave() before "
        "dropping it) and spawn the calls instead of awaiting them one by one"
    )


def test_concurrency_divides_the_wall_time():
    serial = batch([f"q{i}" for i in range(8)], 1, slow_lm())
    parallel = batch([f"q{i}" for i in range(8)], 8, slow_lm())
    got = (serial.peak_in_flight, parallel.seconds < serial.seconds / 3)
    assert got == (1, True), (
        f"8 calls of {LM_DELAY * 1000:.0f} ms took {serial.seconds:.2f} s one at a time and "
        f"{parallel.seconds:.2f} s with 8 in flight (peak {parallel.peak_in_flight}): with "
        "max_in_flight=8 they should overlap"
    )


def test_zero_in_flight_is_a_value_error():
    try:
        batch(["q"], 0)
    except ValueError as e:
        got = "max_in_flight" in str(e)
    else:
        got = "no error"
    assert got is True, "max_in_flight=0 would wait forever: raise ValueError naming it"


def test_calls_per_second_by_concurrency():
    """The figures the seed claimed ("30,000+ tasks/s", "1000s of concurrent LM calls"),
    measured here: max(level, MIN_CALLS) calls through the offline LM (it answers at once, so this is the
    cost of DSPy plus the bridge) at each level, and empty tokio tasks for comparison."""
    rows = []
    for level in LEVELS:
        calls = max(level, MIN_CALLS)
        report = batch([list(QUESTIONS)[i % len(QUESTIONS)] for i in range(calls)], level)
        rows.append((level, calls, report.peak_in_flight, report.calls_per_second))
    tasks_per_second = asyncio.run(_spawn_rate(20_000))
    print(f"\ndspy.Predict acalls from tokio tasks, offline LM, {os.cpu_count()} CPUs:")
    print("  in flight  calls   peak   calls/s")
    for level, calls, peak, rate in rows:
        print(f"  {level:>9}  {calls:>5}  {peak:>5}  {rate:>8.0f}")
    print(f"  empty tokio tasks: {tasks_per_second:,.0f} tasks/s (20,000 spawned and joined)")
    got = [peak <= level for level, _, peak, _ in rows]
    assert got == [True] * len(LEVELS), f"peak in flight above the cap: {rows}"
    got = min(r for *_, r in rows) > 0 and tasks_per_second > max(r for *_, r in rows)
    assert got is True, (
        f"an empty tokio task ({tasks_per_second:,.0f}/s) should be far cheaper than a DSPy "
        f"call ({rows}): check that spawn_rate and run_batch both finish their work"
    )


async def _spawn_rate(n):
    return await concurrent_calls.spawn_rate(n)


def test_each_question_ran_a_predict():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    before = len(lesson_api.spans())
    batch(list(QUESTIONS), 3)
    modules = [s.name for s in lesson_api.spans()[before:] if s.kind == "module"]
    assert modules == ["Predict"] * 3, f"one dspy.Predict per question (spans: {modules})"
