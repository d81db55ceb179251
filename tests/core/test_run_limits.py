"""The runner's limits, piece by piece: the events channel's framing and the output's
bounded head and tail (the whole runner is tested in test_runner.py and, with real
crates, in tests/e2e/test_hostile_code.py)."""

from __future__ import annotations

import json
import os

from tutor.run import capture
from tutor.run.capture import StreamCapture
from tutor.run.channel import FrameReader, frame, move_out_of_reach, new_nonce


def test_frames_pass_and_junk_is_counted_not_raised():
    nonce = new_nonce()
    reader = FrameReader(nonce)
    good = frame(nonce, {"type": "TestResult", "name": "t", "outcome": "passed"})
    got = reader.feed(b"not json\n" + good[:10])
    got += reader.feed(good[10:] + b'{"type": "TestResult"}\n' + b"junk before " + good)
    assert [f["type"] for f in got] == ["TestResult", "TestResult"]
    # "not json\n", a frame without the nonce, and the text glued before a real frame
    assert reader.junk_bytes == len(b"not json\n") + len(b'{"type": "TestResult"}\n') + 12
    assert reader.junk_sample == b"not json\n"


def test_a_frame_with_the_nonce_but_no_json_is_junk():
    nonce = new_nonce()
    reader = FrameReader(nonce)
    assert reader.feed(nonce.encode() + b"{oops\n") == []
    assert reader.junk_bytes > 0


def test_a_frame_cut_off_at_the_end_is_junk():
    nonce = new_nonce()
    reader = FrameReader(nonce)
    reader.feed(frame(nonce, {"type": "x"})[:-1])  # no newline
    reader.close()
    assert reader.junk_bytes > 0


def test_the_channel_moves_far_from_the_usual_descriptors_and_closes_on_exec():
    r, w = os.pipe()
    os.set_inheritable(w, True)
    high = move_out_of_reach(w)
    try:
        assert high >= 64 and not os.get_inheritable(high)
        os.write(high, frame("n", {"type": "x"}))
        assert json.loads(os.read(r, 100)[1:]) == {"type": "x"}
    finally:
        os.close(high)
        os.close(r)


def collect(chunks: list[bytes]) -> tuple[list[str], list[tuple[int, int]]]:
    lines: list[str] = []
    dropped: list[tuple[int, int]] = []
    c = StreamCapture(lines.append, lambda b, n: dropped.append((b, n)))
    for chunk in chunks:
        c.feed(chunk)
    c.close()
    return lines, dropped


def test_short_output_passes_whole_lines_through():
    lines, dropped = collect([b"one\ntw", b"o\nthree"])
    assert lines == ["one", "two", "three"] and dropped == []


def test_many_lines_keep_head_and_tail_and_count_the_rest():
    line = b"y" * 49 + b"\n"
    total = 200_000
    lines, dropped = collect([line * 1000] * (total // 1000))
    assert lines[: capture.HEAD_LINES] == ["y" * 49] * capture.HEAD_LINES
    assert lines[-1] == "y" * 49
    ((n_bytes, n_lines),) = dropped
    kept = sum(len(x) + 1 for x in lines if not x.startswith("…"))
    assert n_lines > total - len(lines) - 1
    assert n_bytes + kept >= total * 50 - 50


def test_one_endless_line_is_cut_with_its_end_kept():
    lines, dropped = collect([b"z" * 65536] * 100)
    assert len(lines) == 2 and lines[0].endswith(" …") and lines[1].startswith("… ")
    assert sum(len(x) for x in lines) < 3 * capture.LINE_MAX
    assert dropped[0][0] > 60 * 65536
