"""Check for the tokio-asyncio step: Rust futures awaited by asyncio, DSPy acall awaited by Rust."""

import asyncio
import time

import pytest

import tokio_asyncio

from tutor import lesson_api

BRIDGE = "Which crate bridges tokio and asyncio?"
ACALL = "What does Module.acall return?"


def run(make_awaitable, *args):
    """Await what the module returns, from inside a running event loop (future_into_py
    needs one: called outside, it raises RuntimeError: no running event loop)."""

    async def main():
        return await make_awaitable(*args)

    return asyncio.run(main())



def test_module_registers_the_gil_probe():
    got = [name for name in dir(tokio_asyncio) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_the_runtime_is_configured_at_import():
    thread = run(tokio_asyncio.rust_sleep, 1)
    got = (tokio_asyncio.runtime_workers(), thread)
    assert got == (4, "dspy-tokio"), (
        "the Rust futures should run on the runtime init_runtime() builds (4 workers named "
        "'dspy-tokio'): call init_runtime() in the #[pymodule], before any future_into_py, "
        "and pass the builder to pyo3_async_runtimes::tokio::init"
    )


def test_rust_futures_run_concurrently_without_blocking_asyncio():
    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        tick_task = asyncio.create_task(ticker())
        start = time.perf_counter()
        await asyncio.gather(*(tokio_asyncio.rust_sleep(200) for _ in range(20)))
        elapsed = time.perf_counter() - start
        tick_task.cancel()
        return elapsed, ticks

    elapsed, ticks = asyncio.run(main())
    got = elapsed >= 0.19
    assert got is True, (
        f"20 × rust_sleep(200) finished in {elapsed:.3f} s: each must await "
        "tokio::time::sleep for `ms` milliseconds inside the async block"
    )
    got = elapsed < 1.0
    assert got is True, (
        f"20 × rust_sleep(200) took {elapsed:.2f} s: they should overlap (≈0.2 s). A "
        "std::thread::sleep blocks a thread; tokio::time::sleep only parks the task"
    )
    got = ticks >= 8
    assert got is True, (
        f"an asyncio task ticked only {ticks} times in {elapsed:.2f} s: the event loop was "
        "blocked. Do the waiting inside the future, never in the #[pyfunction] body"
    )


def test_ask_awaits_dspy_acall():
    before = len(lesson_api.spans())
    got = run(tokio_asyncio.ask, BRIDGE)
    if lesson_api.answered_by(before) == "model":  # a real LM: its own words
        assert (type(got).__name__, bool(got.strip())) == ("str", True), "ask() returns the answer"
        return
    assert got == "pyo3-async-runtimes", (
        "ask() should await dspy.Predict(\"question -> answer\").acall(question=...) and "
        "return the Prediction's `answer` (the offline LM answers 'pyo3-async-runtimes')"
    )


def test_asks_gathered_keep_their_answers():
    async def main():
        return await asyncio.gather(tokio_asyncio.ask(ACALL), tokio_asyncio.ask(BRIDGE))

    before = len(lesson_api.spans())
    got = asyncio.run(main())
    if lesson_api.answered_by(before) == "model":
        assert [type(a).__name__ for a in got] == ["str", "str"], "two answers, two strings"
        return
    assert got == ["A coroutine that resolves to a dspy.Prediction.", "pyo3-async-runtimes"], (
        "two ask() awaited together should each return their own answer: build the "
        "Predict and the coroutine inside the future, per call"
    )


def test_the_call_went_through_acall():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    before = len(lesson_api.spans())
    run(tokio_asyncio.ask, BRIDGE)
    modules = [s.name for s in lesson_api.spans()[before:] if s.kind == "module"]
    assert modules == ["Predict"], (
        f"one dspy.Predict should run per ask() (module spans: {modules})"
    )
