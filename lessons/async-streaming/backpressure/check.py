"""Check for the backpressure step: a bounded channel and adaptive concurrency."""

import asyncio
import re

import dspy
from dspy.lm15 import Message, Response, Usage

import backpressure

FAST, SLOW = 0.005, 0.1  # seconds a "fast-…" / "slow-…" question takes the LM below
TARGET_MS = 60


def delay_for(question: str) -> float:
    return SLOW if question.startswith("slow") else FAST


def question_of(request) -> str:
    found = re.search(r"\[\[ ## question ## \]\]\n(.*?)\n", request.messages[-1].text + "\n")
    return found.group(1) if found else ""


def reply(request, question):
    text = f"[[ ## answer ## ]]\nanswer to {question}\n\n[[ ## completed ## ]]"
    return Response(id=None, model=request.model, message=Message.assistant(text),
                    finish_reason="stop", usage=Usage(input_tokens=1, output_tokens=1))


class EchoLM:
    """Answers 'answer to <question>'; fast or slow as the question says (asyncio.sleep:
    a provider's latency, the event loop stays free)."""

    def complete(self, request):
        return reply(request, question_of(request))


class AsyncEchoLM:
    async def complete(self, request):
        question = question_of(request)
        await asyncio.sleep(delay_for(question))
        return reply(request, question)


def run(questions, capacity=4, max_concurrency=16):
    lm = dspy.LM("check/echo", engine=EchoLM(), async_engine=AsyncEchoLM(), cache=False)

    async def main():
        with dspy.context(lm=lm):
            return await backpressure.process(questions, capacity, TARGET_MS, max_concurrency)

    return asyncio.run(asyncio.wait_for(main(), timeout=30))


def test_module_registers_the_gil_probe():
    got = [name for name in dir(backpressure) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_nothing_is_dropped_or_reordered():
    questions = [f"fast-{i}" for i in range(100)]
    report = run(questions)
    got = report.answers
    assert got == [f"answer to {q}" for q in questions], (
        f"{len(got)} answers for {len(questions)} questions: every question must come out "
        "once, at its index. Use send().await, which waits, never try_send alone, which "
        "drops when the channel is full"
    )


def test_the_channel_stays_within_its_bound():
    report = run([f"fast-{i}" for i in range(100)], capacity=4)
    got = (report.peak_queued <= 4, report.producer_waits > 0)
    assert got == (True, True), (
        f"peak queued {report.peak_queued} (bound 4), producer waited {report.producer_waits} "
        "times: the producer is far faster than the LM, so a bounded channel must fill and "
        "make it wait. The memory the run needs is the bound, not the input size"
    )


def test_concurrency_grows_while_calls_are_fast():
    report = run([f"fast-{i}" for i in range(120)], max_concurrency=16)
    got = (max(report.limits), report.peak_in_flight)
    assert got == (16, 16), (
        f"the limit peaked at {max(report.limits)} and {report.peak_in_flight} calls were in "
        "flight at most: each call under the target latency should raise the limit by one, "
        "up to max_concurrency, and the consumer should use it"
    )


def test_concurrency_backs_off_when_calls_get_slow():
    report = run([f"fast-{i}" for i in range(60)] + [f"slow-{i}" for i in range(6)])
    peak = max(report.limits)
    got = (peak == 16, report.limits[-1] <= peak // 4)
    assert got == (True, True), (
        f"limits went {report.limits[:3]}…{report.limits[-6:]}: after calls slower than "
        f"the {TARGET_MS} ms target the limit should halve each time (multiplicative "
        "decrease), ending far below its peak"
    )


def test_bad_arguments_are_value_errors():
    got = []
    for capacity, concurrency in ((0, 4), (4, 0)):
        try:
            run(["fast-0"], capacity=capacity, max_concurrency=concurrency)
        except ValueError:
            got.append("ValueError")
        else:
            got.append("no error")
    assert got == ["ValueError", "ValueError"], (
        "a channel of 0 or a limit of 0 can never move an item: refuse them with ValueError"
    )
