"""Check for the benchmarking step: the step's own timings, and the GIL probe's figures.

Relations only, never absolute times: the LM (offline/slow, lesson_api.offline_provider)
waits LATENCY_S before each reply, as a provider's network round trip would, and the
check compares measurements made on the same machine in the same run. Each test prints
its figures (the Output pane).
"""

import statistics
import sys
import threading
import time

import dspy
import pytest

import benchmarking as bench

from tutor import lesson_api

LATENCY_S = 0.1
QUESTIONS = [f"Give me fact number {i} about Rust." for i in range(1, 7)]
PRIMES_BELOW = 100_000  # ~0.1 s of work in a debug build
PRIME_COUNT = 9_592  # primes below 100,000


@pytest.fixture(scope="module")
def slow_lm():
    with lesson_api.offline_provider(latency_s=LATENCY_S) as _provider:
        yield dspy.LM("offline/slow")


@pytest.fixture(scope="module")
def one_by_one(slow_lm):
    with dspy.context(lm=slow_lm):
        return bench.time_one_by_one(QUESTIONS)


def ms(ns):
    return f"{ns / 1e6:.1f} ms"


def needs(one_by_one):
    """This test compares with the one-by-one timings: they must exist first."""
    if len(one_by_one) != len(QUESTIONS):
        pytest.fail("this comparison needs time_one_by_one's timings first (see the test above)")


def test_each_call_is_timed(one_by_one):
    got = len(one_by_one)
    assert got == len(QUESTIONS), (
        f"time_one_by_one returned {got} timings for {len(QUESTIONS)} questions: "
        "time each predict call with Instant::now() / elapsed() and push it"
    )
    print(f"one by one: {len(one_by_one)} calls, median {ms(statistics.median(one_by_one))}, "
          f"total {ms(sum(one_by_one))} (LM latency {LATENCY_S * 1000:.0f} ms each)")
    got = min(one_by_one) >= LATENCY_S * 1e9
    assert got is True, (
        f"a call took {ms(min(one_by_one))}, less than the LM's own {LATENCY_S * 1000:.0f} ms "
        "wait: start the clock before the call and read it after it returned"
    )


def test_a_batch_overlaps_the_lm_waits(slow_lm, one_by_one):
    before = sum(1 for s in lesson_api.spans() if s.kind == "lm")
    with dspy.context(lm=slow_lm):
        batch = bench.time_batch(QUESTIONS, len(QUESTIONS))
    calls = sum(1 for s in lesson_api.spans() if s.kind == "lm") - before
    if lesson_api.in_tutor_run():
        assert calls == len(QUESTIONS), (
            f"time_batch made {calls} LM calls for {len(QUESTIONS)} questions: pass one "
            "dspy.Example(question=...).with_inputs(\"question\") per question to predict.batch"
        )
    needs(one_by_one)
    sequential = sum(one_by_one)
    print(f"batch of {len(QUESTIONS)} on {len(QUESTIONS)} threads: {ms(batch)} "
          f"vs {ms(sequential)} one by one ({batch / sequential:.0%})")
    got = 0 < batch < 0.6 * sequential
    assert got is True, (
        f"the batch took {ms(batch)}, one by one {ms(sequential)}: predict.batch(examples, "
        "num_threads=threads) runs the calls on threads, so their LM waits overlap; time "
        "the whole batch call"
    )


def test_crossing_the_boundary_is_cheap_next_to_an_lm_call(one_by_one):
    needs(one_by_one)
    crossing = bench.crossing_ns(20_000)
    call = statistics.median(one_by_one)
    print(f"Rust → Python call: {crossing:.0f} ns; one LM call: {ms(call)} "
          f"({call / max(crossing, 1):,.0f}×)")
    assert crossing > 0, "crossing_ns returned 0: time n calls of len(text) and divide by n"
    got = crossing * 1000 < call
    assert got is True, (
        f"one crossing took {crossing:.0f} ns, over a thousandth of an LM call: time only "
        "the loop of len.call1((text,)) calls, with the lookup of `len` outside it"
    )


class Ticker:
    """A Python thread that loops as fast as it can and notes every pause over 1 ms.

    It can only run while it has the GIL: a long pause means someone held the GIL.
    """

    def __init__(self):
        self.pauses = []  # (start, end) in time.perf_counter() seconds
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        last = time.perf_counter()
        while not self.stop.is_set():
            now = time.perf_counter()
            if now - last > 0.001:
                self.pauses.append((last, now))
            last = now

    def longest_pause_ns(self, window):
        """The longest pause overlapping ``window`` (start, end), in nanoseconds."""
        start, end = window
        overlaps = [min(b, end) - max(a, start) for a, b in self.pauses]
        return max([0.0, *overlaps]) * 1e9


def timed(work):
    start = time.perf_counter()
    result = work()
    return result, (start, time.perf_counter())


def test_holding_the_gil_stops_python_releasing_it_costs_a_wait():
    ticker = Ticker()
    ticker.thread.start()
    try:
        held, held_window = timed(lambda: bench.busy(PRIMES_BELOW, False))
        released, released_window = timed(lambda: bench.busy(PRIMES_BELOW, True))
    finally:
        ticker.stop.set()
        ticker.thread.join()
    paused_held = ticker.longest_pause_ns(held_window)
    paused_released = ticker.longest_pause_ns(released_window)
    got = [held, released]
    assert got == [PRIME_COUNT, PRIME_COUNT], (
        f"busy({PRIMES_BELOW}, ...) should return count_primes({PRIMES_BELOW}) = {PRIME_COUNT} "
        "whether the GIL is held or released"
    )

    samples = lesson_api.gil_samples(bench)
    held_s, released_s = samples.get("busy_held", {}), samples.get("busy_released", {})
    got = [len(held_s.get("hold_ns", [])), len(released_s.get("detached_ns", []))]
    assert got == [1, 1], (
        "the GIL pane should show one `busy_held` hold and one `busy_released` detached "
        "section: wrap the work in gil_probe::attach(\"busy_held\", ...) and "
        "gil_probe::detach(py, \"busy_released\", ...)"
    )
    hold, detached = held_s["hold_ns"][0], released_s["detached_ns"][0]
    wait = released_s["wait_ns"][0]
    interval = sys.getswitchinterval()
    print(f"GIL held: the work took {ms(hold)}, a Python thread stood still for {ms(paused_held)}")
    print(f"GIL released: the work took {ms(detached)}, the Python thread's longest pause "
          f"{ms(paused_released)}; getting the GIL back took {ms(wait)} "
          f"(switch interval {interval * 1000:.0f} ms)")
    got = paused_released < 0.5 * detached
    assert got is True, (
        f"while busy(..., release_gil=True) ran ({ms(detached)}), a Python thread stood "
        f"still for {ms(paused_released)}: the GIL was not released. Run the work inside "
        "gil_probe::detach(py, \"busy_released\", move || ...)"
    )
    assert wait >= 0.5 * interval * 1e9, (
        f"getting the GIL back after detach took {ms(wait)}: with a busy Python thread it "
        "takes about one switch interval"
    )
