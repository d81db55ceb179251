"""Check for the streaming step: dspy.streamify chunks forwarded over a tokio channel."""

import asyncio
import re
import time

import dspy
import pytest
from dspy._vendor.lm15.types import StreamDeltaEvent, TextDelta
from dspy.lm15 import Message, Response, Usage, response_to_events

import streaming

from tutor import lesson_api

QUESTION = "Explain backpressure in one sentence."
ANSWER = "A slow consumer tells a fast producer to wait, so queues stay small."
WORD_DELAY = 0.03  # seconds between two words of the slow LM below


REPLY = f"[[ ## answer ## ]]\n{ANSWER}\n\n[[ ## completed ## ]]"


def reply(request) -> Response:
    return Response(id=None, model=request.model, message=Message.assistant(REPLY),
                    finish_reason="stop", usage=Usage(input_tokens=1, output_tokens=1))


class SlowWords:
    """An engine that sends ANSWER one word every WORD_DELAY seconds, the way a provider
    streams tokens (the offline LM sends all words at once). streamify runs a sync
    program in a worker thread, which streams through the sync `stream`; the async one
    serves async programs."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def _events(self, request):
        """Start, one text delta per word, end: what a provider's stream looks like."""
        if self.fail:
            raise ConnectionError("the provider closed the stream")
        for event in response_to_events(reply(request)):
            if event.type == "delta" and event.delta.type == "text":
                for word in re.findall(r"\s*\S+", event.delta.text):
                    yield True, StreamDeltaEvent(TextDelta(text=word, part_index=0))
            else:
                yield False, event

    def complete(self, request):
        return reply(request)

    def stream(self, request):
        for is_word, event in self._events(request):
            if is_word:
                time.sleep(WORD_DELAY)
            yield event


class AsyncSlowWords(SlowWords):
    async def complete(self, request):
        return reply(request)

    async def stream(self, request):
        for is_word, event in self._events(request):
            if is_word:
                await asyncio.sleep(WORD_DELAY)
            yield event


def slow_lm(fail: bool = False) -> dspy.LM:
    return dspy.LM("check/slow-words", engine=SlowWords(fail), async_engine=AsyncSlowWords(fail), cache=False)


async def collect(question, lm=None):
    """[(seconds since start, kind, field, text)] as the Python side receives them."""
    start = time.perf_counter()
    events = []
    with dspy.context(lm=lm) if lm else dspy.context():
        async for kind, field, text in streaming.stream_answer(question):
            events.append((time.perf_counter() - start, kind, field, text))
    return events



def test_module_registers_the_gil_probe():
    got = [name for name in dir(streaming) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_chunks_then_one_final_prediction():
    before = len(lesson_api.spans())
    events = asyncio.run(collect(QUESTION))
    kinds = [kind for _, kind, _, _ in events]
    enough = 5 if lesson_api.answered_by(before) == "script" else 1  # the offline answer has 13 words
    got = (kinds.count("final"), kinds[-1:], kinds.count("chunk") >= enough)
    assert got == (1, ["final"], True), (
        f"the stream gave {kinds}: send a Chunk for every StreamResponse (one per word) and "
        "one Final for the Prediction, which streamify yields last"
    )


def test_chunks_add_up_to_the_answer():
    before = len(lesson_api.spans())
    events = asyncio.run(collect(QUESTION))
    chunks = "".join(text for _, kind, _, text in events if kind == "chunk")
    final = [text for _, kind, _, text in events if kind == "final"]
    expected = ANSWER if lesson_api.answered_by(before) == "script" else (final or [""])[0]
    got = (chunks.strip(), final, {field for _, _, field, _ in events})
    assert got == (expected.strip(), [expected], {"answer"}), (
        "the chunks (StreamResponse.chunk, field StreamResponse.signature_field_name) "
        "joined should equal the final Prediction's answer"
    )


def test_chunks_arrive_before_the_final_prediction():
    events = asyncio.run(collect(QUESTION, slow_lm()))
    chunk_times = [t for t, kind, _, _ in events if kind == "chunk"]
    final_time = next((t for t, kind, _, _ in events if kind == "final"), None)
    assert chunk_times and final_time is not None, (
        f"the stream gave {[kind for _, kind, _, _ in events]}: it needs chunks and a final"
    )
    # The LM takes ≈ 16 words × 30 ms; a chunk forwarded as it arrives is seen long
    # before the end, a stream collected first and sent at the end is not.
    got = round(final_time - chunk_times[0], 2) >= 0.15
    assert got is True, (
        f"the first chunk reached Python {final_time - chunk_times[0]:.3f} s before the "
        "final prediction: send each event into the channel as soon as Forwarder gets "
        "it, don't collect the stream first"
    )


def test_an_lm_failure_ends_the_stream_with_the_error():
    async def main():
        try:
            await collect(QUESTION, slow_lm(fail=True))
        except Exception as e:  # noqa: BLE001 - the type is what we check
            return type(e).__name__, str(e)
        return "no error", ""

    kind, message = asyncio.run(asyncio.wait_for(main(), timeout=10))
    got = (kind != "no error", "closed the stream" in message)
    assert got == (True, True), (
        f"the LM failed mid-stream but the Python side saw {kind}: {message!r}. Send the "
        "error forward() returns over the channel (Event::Failed) so ChunkStream.__anext__ "
        "raises it"
    )


def test_a_predict_ran_under_streamify():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    before = len(lesson_api.spans())
    asyncio.run(collect(QUESTION))
    modules = [s.name for s in lesson_api.spans()[before:] if s.kind == "module"]
    assert modules == ["Predict"], f"one dspy.Predict should run (module spans: {modules})"
