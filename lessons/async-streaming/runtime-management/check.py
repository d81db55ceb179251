"""Check for the runtime-management step: one runtime, a bounded service, a clean shutdown,
and Rust work that lets go of the GIL."""

import asyncio
import os
import re
import threading
import time

import dspy
import pytest
from dspy.lm15 import Message, Response, Usage

import runtime_management

from tutor import lesson_api

LM_DELAY = 0.05  # seconds every call of the check's LM takes


def question_of(request) -> str:
    found = re.search(r"\[\[ ## question ## \]\]\n(.*?)\n", request.messages[-1].text + "\n")
    return found.group(1) if found else ""


def reply(request):
    text = f"[[ ## answer ## ]]\nanswer to {question_of(request)}\n\n[[ ## completed ## ]]"
    return Response(id=None, model=request.model, message=Message.assistant(text),
                    finish_reason="stop", usage=Usage(input_tokens=1, output_tokens=1))


class EchoLM:
    def complete(self, request):
        return reply(request)


class AsyncEchoLM:
    """A provider's latency: asyncio.sleep, the loop stays free (the offline LM answers
    at once)."""

    async def complete(self, request):
        await asyncio.sleep(LM_DELAY)
        return reply(request)


def echo_lm():
    return dspy.LM("check/echo", engine=EchoLM(), async_engine=AsyncEchoLM(), cache=False)


def run(main):
    async def wrapped():
        with dspy.context(lm=echo_lm()):
            return await asyncio.wait_for(main(), timeout=20)

    return asyncio.run(wrapped())


def test_module_registers_the_gil_probe():
    got = [name for name in dir(runtime_management) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_the_service_answers_with_bounded_concurrency():
    async def main():
        service = runtime_management.Service(3, 4)
        answers = await asyncio.gather(*(service.ask(f"q{i}") for i in range(12)))
        stats = service.stats()
        await service.shutdown()
        return answers, stats

    answers, (submitted, completed, in_flight, peak) = run(main)
    got = (answers, submitted, completed, in_flight, peak)
    assert got == ([f"answer to q{i}" for i in range(12)], 12, 12, 0, 3), (
        f"12 asks to a Service(max_in_flight=3): stats (submitted, completed, in flight, "
        f"peak) were {(submitted, completed, in_flight, peak)}. Each ask gets its own "
        "answer, at most 3 calls run at once, and with 12 waiting all 3 slots fill"
    )


def test_shutdown_finishes_every_accepted_question():
    async def main():
        service = runtime_management.Service(2, 8)
        asks = [asyncio.ensure_future(service.ask(f"q{i}")) for i in range(8)]
        await asyncio.sleep(0.02)  # all 8 are in: 2 in flight, 6 queued
        counts = await service.shutdown()
        finished = [a.done() for a in asks]
        answers = await asyncio.gather(*asks, return_exceptions=True)
        return counts, finished, answers

    counts, finished, answers = run(main)
    got = (counts, finished, answers)
    assert got == ((8, 8), [True] * 8, [f"answer to q{i}" for i in range(8)]), (
        f"shutdown() returned {counts} with {finished.count(True)} of 8 asks done: it should "
        "close the intake, let the worker drain the queue, join every call it started "
        "(JoinSet::join_next until None) and only then resolve"
    )


def test_a_shut_down_service_refuses_new_questions():
    async def main():
        service = runtime_management.Service(2, 2)
        await service.shutdown()
        try:
            await service.ask("too late")
        except RuntimeError as e:
            return "RuntimeError", str(e)
        return "answered", ""

    kind, message = run(main)
    got = (kind, "shut down" in message)
    assert got == ("RuntimeError", True), (
        f"ask() after shutdown() gave {kind}: {message!r}; raise RuntimeError saying the "
        "service is shut down"
    )


def test_services_share_one_runtime():
    tasks = "/proc/self/task"
    if not os.path.isdir(tasks):
        pytest.skip("counting threads by name needs Linux's /proc")

    def tokio_threads():
        names = []
        for tid in os.listdir(tasks):
            try:
                with open(f"{tasks}/{tid}/comm") as f:
                    names.append(f.read().strip())
            except OSError:
                continue  # the thread ended meanwhile
        return sum(1 for name in names if name.startswith("dspy-tokio"))

    async def main():
        services = [runtime_management.Service(2, 2) for _ in range(5)]
        await asyncio.gather(*(s.ask("hello") for s in services))
        count = tokio_threads()
        for s in services:
            await s.shutdown()
        return count

    got = run(main)
    # 4 workers plus at most 4 blocking-pool threads (init_runtime bounds both); a
    # runtime per Service would be 5 × 4 workers.
    assert 1 <= got <= 8, (
        f"{got} threads named dspy-tokio after 5 Services: all Services should share the "
        "one runtime init_runtime() configures (4 workers, 4 blocking threads), never build "
        "their own"
    )


def test_digest_releases_the_gil():
    texts = ["tokio and asyncio " * 50] * 4
    start = time.perf_counter()
    runtime_management.digest(texts, 20)
    per_round = max((time.perf_counter() - start) / 20, 1e-6)
    rounds = max(20, int(0.3 / per_round))  # about 0.3 s of work

    ticks = 0
    stop = threading.Event()

    def ticker():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    time.sleep(0.02)
    before = ticks
    start = time.perf_counter()
    value = runtime_management.digest(texts, rounds)
    elapsed = time.perf_counter() - start
    during = ticks - before
    stop.set()
    thread.join()
    assert value == runtime_management.digest(texts, rounds), "digest should be deterministic"
    got = during >= elapsed * 1000 * 0.1  # a free thread ticks about once a millisecond
    assert got is True, (
        f"a Python thread ticked {during} times during {elapsed:.2f} s of digest(): the GIL "
        "was held. Run the hashing inside gil_probe::detach(py, \"digest\", move || ...)"
    )
    if lesson_api.in_tutor_run():
        detached = lesson_api.gil_samples(runtime_management).get("digest", {})
        got = sum(detached.get("detached_ns", [])) / 1e9 >= elapsed * 0.5
        assert got is True, (
            "the GIL probe saw no detached `digest` time: use gil_probe::detach with the "
            "label \"digest\" (it is py.detach plus timing)"
        )


def test_the_service_calls_ran_predict():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    before = len(lesson_api.spans())

    async def main():
        service = runtime_management.Service(2, 2)
        await asyncio.gather(service.ask("a"), service.ask("b"))
        await service.shutdown()

    run(main)
    modules = [s.name for s in lesson_api.spans()[before:] if s.kind == "module"]
    assert modules == ["Predict", "Predict"], f"one dspy.Predict per ask (spans: {modules})"
