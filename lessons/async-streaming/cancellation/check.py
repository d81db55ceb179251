"""Check for the cancellation step: timeouts that cancel, and cancels that drop."""

import asyncio
import re
import time

import dspy
import pytest
from dspy.lm15 import Message, Response, Usage

import cancellation

from tutor import lesson_api

FAST = "How do you cancel an asyncio task?"
FAST_ANSWER = "Call task.cancel() on the loop's thread."


class Sleepy:
    """An LM that takes as long as the question says ("… takes 0.5 s"), with
    asyncio.sleep; it records each call's fate. The offline LM answers instantly: this
    slowness is the check's, not DSPy's."""

    def __init__(self):
        self.fates = []  # "answered" or "cancelled", one per call

    def _reply(self, request):
        text = f"[[ ## answer ## ]]\n{FAST_ANSWER}\n\n[[ ## completed ## ]]"
        return Response(id=None, model=request.model, message=Message.assistant(text),
                        finish_reason="stop", usage=Usage(input_tokens=1, output_tokens=1))

    def complete(self, request):
        return self._reply(request)


class AsyncSleepy:
    def __init__(self, record):
        self.record = record

    async def complete(self, request):
        found = re.search(r"takes ([0-9.]+) s", request.messages[-1].text)
        try:
            await asyncio.sleep(float(found.group(1)) if found else 0)
        except asyncio.CancelledError:
            self.record.fates.append("cancelled")
            raise
        self.record.fates.append("answered")
        return self.record._reply(request)


def sleepy_lm():
    sync = Sleepy()
    return sync, dspy.LM("check/sleepy", engine=sync, async_engine=AsyncSleepy(sync),
                         cache=False)



def test_module_registers_the_gil_probe():
    got = [name for name in dir(cancellation) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_a_call_within_the_timeout_answers():
    async def main():
        return await cancellation.ask_within(FAST, 2000)

    before = len(lesson_api.spans())
    got = asyncio.run(main())
    if lesson_api.answered_by(before) == "model":
        assert (type(got).__name__, bool(got.strip())) == ("str", True), "ask_within answers"
        return
    assert got == FAST_ANSWER, "ask_within should return the answer when the call is in time"


def test_a_slow_call_times_out_on_time():
    record, lm = sleepy_lm()

    async def main():
        start = time.perf_counter()
        with dspy.context(lm=lm):
            try:
                await cancellation.ask_within("This question takes 1.0 s to answer.", 100)
            except TimeoutError as e:
                return "TimeoutError", time.perf_counter() - start, str(e)
        return "answered", time.perf_counter() - start, ""

    kind, elapsed, message = asyncio.run(main())
    got = (kind, elapsed < 0.6)
    assert got == ("TimeoutError", True), (
        f"a 1 s call with a 100 ms timeout {kind} after {elapsed:.2f} s: wrap the awaited "
        "call in tokio::time::timeout and turn Elapsed into PyTimeoutError"
    )
    assert "100 ms" in message, f"name the timeout in the message, got {message!r}"


def test_the_timed_out_dspy_task_is_cancelled():
    record, lm = sleepy_lm()

    async def main():
        with dspy.context(lm=lm):
            try:
                await cancellation.ask_within("This question takes 1.0 s to answer.", 100)
            except TimeoutError:
                pass
            await asyncio.sleep(0.1)  # time for the cancel to land, loop still running
            return list(record.fates)

    got = asyncio.run(main())
    assert got == ["cancelled"], (
        f"100 ms after the timeout the LM call's fate was {got or 'still running'}: dropping "
        "the Rust future stops the waiting, not the asyncio task. Keep the task "
        "(asyncio.ensure_future) and cancel it with loop.call_soon_threadsafe(task.cancel)"
    )


def test_cancelling_from_python_drops_the_rust_future():
    async def main():
        before = cancellation.work_counts()
        task = asyncio.ensure_future(cancellation.rust_work(100))  # 1 s of work
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.sleep(0.05)  # the Rust side sees it at its next .await
        after = cancellation.work_counts()
        return tuple(a - b for a, b in zip(after, before)), task.cancelled()

    (started, finished, dropped), cancelled = asyncio.run(main())
    got = (started, finished, dropped, cancelled)
    assert got == (1, 0, 1, True), (
        f"after task.cancel(): started {started}, finished {finished}, dropped {dropped}: the "
        "future is dropped at its next .await; a DropGuard created at its start (finished "
        "= false until the end) must count the drop"
    )


def test_work_left_alone_finishes():
    async def main():
        before = cancellation.work_counts()
        steps = await cancellation.rust_work(3)
        after = cancellation.work_counts()
        return steps, tuple(a - b for a, b in zip(after, before))

    got = asyncio.run(main())
    assert got == (3, (1, 1, 0)), (
        f"rust_work(3) gave {got}: a future that finishes counts as finished, not dropped"
    )


def test_the_traced_call_ran_predict():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    before = len(lesson_api.spans())

    async def main():
        return await cancellation.ask_within(FAST, 2000)

    asyncio.run(main())
    modules = [s.name for s in lesson_api.spans()[before:] if s.kind == "module"]
    assert modules == ["Predict"], f"one dspy.Predict should run (module spans: {modules})"
