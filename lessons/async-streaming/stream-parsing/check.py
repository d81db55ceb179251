"""Check for the stream-parsing step: SSE bytes → dspy StreamResponse chunks, errors not panics."""

import asyncio

import dspy

import stream_parsing

STREAM = (
    b": keep-alive\n\n"
    b"event: chunk\ndata: {\"field\": \"answer\", \"chunk\": \"Tokio\"}\n\n"
    b"data: {\"field\": \"answer\", \"chunk\": \" and asyncio\"}\r\n\r\n"
    b"event: chunk\ndata: {\"field\": \"reasoning\", \"chunk\": \"Both are loops.\"}\n\n"
    b"data: {\"field\": \"answer\", \"chunk\": \" \\u2764\\ufe0f each other.\"}\n\n"
    b"data: [DONE]\n\n"
)

EXPECTED = [
    ("answer", "Tokio", False),
    ("answer", " and asyncio", False),
    ("reasoning", "Both are loops.", False),
    ("answer", " ❤️ each other.", False),
    ("answer", "", True),
    ("reasoning", "", True),
]


def parse(pieces):
    async def main():
        return await stream_parsing.parse_sse(pieces)

    return asyncio.run(main())


def outcome(pieces):
    try:
        got = parse(pieces)
    except Exception as e:  # noqa: BLE001 - the type is what we check
        return type(e).__name__, str(e)
    return "parsed", [(c.signature_field_name, c.chunk) for c in got]


def split_every(data: bytes, n: int) -> list[bytes]:
    return [data[i : i + n] for i in range(0, len(data), n)]


def test_module_registers_the_gil_probe():
    got = [name for name in dir(stream_parsing) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_chunks_become_stream_responses():
    got = [(c.signature_field_name, c.chunk, c.is_last_chunk) for c in parse([STREAM])]
    assert got == EXPECTED, (
        "each `data:` JSON {field, chunk} should become one chunk, comments skipped; "
        "[DONE] ends the stream with one empty last chunk per field, in first-seen order"
    )
    kinds = {type(c) for c in parse([STREAM])}
    assert kinds == {dspy.streaming.StreamResponse}, "return dspy.streaming.StreamResponse objects"


def test_pieces_split_anywhere_parse_the_same():
    whole = ("parsed", [(f, c) for f, c, _ in EXPECTED])
    got = [outcome(split_every(STREAM, n)) == whole for n in (1, 3, 7, 64)]
    assert got == [True] * 4, (
        "the same bytes split into 1-, 3-, 7- and 64-byte pieces (mid-line, mid-UTF-8 "
        "character) must parse the same: feed the pieces to eventsource-stream as a stream, "
        "don't parse each piece alone"
    )


def test_bad_json_is_a_malformed_stream_naming_the_event():
    kind, message = outcome([b"data: {\"field\": \"answer\", \"chunk\": \"ok\"}\n\n", b"data: {oops\n\n",
                              b"data: [DONE]\n\n"])
    got = (kind, "event 1" in message, "{oops" in message)
    assert got == ("MalformedStream", True, True), (
        f"got {kind}: {message!r}. A data line that is not a chunk's JSON should raise "
        "MalformedStream (a ValueError) naming the event's index and quoting its data"
    )


def test_a_truncated_stream_is_an_error():
    kind, message = outcome([STREAM[: STREAM.index(b"data: [DONE]")]])
    got = (kind, "[DONE]" in message)
    assert got == ("MalformedStream", True), (
        f"a stream cut off before `data: [DONE]` gave {kind}: {message!r}; half an answer "
        "must not pass for a whole one"
    )


def test_invalid_utf8_and_unknown_events_are_errors_not_panics():
    got = [
        outcome([b"data: {\"field\": \"a\", \"chunk\": \"\xff\xfe\"}\n\n", b"data: [DONE]\n\n"])[0],
        outcome([b"event: surprise\ndata: 1\n\n", b"data: [DONE]\n\n"])[0],
        outcome([b"data: {\"field\": \"a\"}\n\n", b"data: [DONE]\n\n"])[0],
    ]
    assert got == ["MalformedStream"] * 3, (
        f"invalid UTF-8, an unknown event type and a chunk without `chunk` gave {got}: each "
        "should be MalformedStream (PanicException means an unwrap or expect was hit)"
    )


def test_a_server_error_event_is_a_runtime_error():
    kind, message = outcome([b"event: error\ndata: rate limited, retry in 2 s\n\n"])
    got = (kind, "rate limited" in message)
    assert got == ("RuntimeError", True), (
        f"`event: error` gave {kind}: {message!r}; it should raise RuntimeError with the "
        "server's message"
    )
