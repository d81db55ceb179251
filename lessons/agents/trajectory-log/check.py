"""Check for the trajectory-log step: JSON lines written while the agent runs, equal to
the tutor's tool spans, and replayable."""

import json
import time

import pytest

import trajectory_log

from tutor import lesson_api

QUESTION = "Reserve 3 units of SKU-77 if they are in stock."
STEP_FIELDS = {"event", "run_id", "step", "thought", "tool", "args", "observation", "ok", "lm_ms", "tool_ms"}


def stock_level(sku: str) -> str:
    """How many units of a SKU are in stock."""
    time.sleep(0.03)  # a slow warehouse API: the log's tool_ms must show it
    return f"{sku}: 12 in stock"


def reserve(sku: str, quantity: int) -> str:
    """Reserve units of a SKU for an order."""
    return f"Reserved {quantity} x {sku} as R-{quantity}"


TOOLS = [stock_level, reserve]


def logged(tmp_path, question=QUESTION):
    """Run the agent once; return (answer, log lines, spans of the run)."""
    path = tmp_path / "trajectory.jsonl"
    before = len(lesson_api.spans())
    answer = trajectory_log.run_logged(question, TOOLS, str(path))
    assert path.exists(), "run_logged wrote no log file: open log_path for appending and write a line per step"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return answer, lines, lesson_api.spans()[before:]


def needs_tutor():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans and scripts are recorded only when the tutor runs this check")


def test_module_registers_the_gil_probe():
    got = [name for name in dir(trajectory_log) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_one_line_per_step_then_the_answer(tmp_path):
    answer, lines, spans = logged(tmp_path)
    got = [line.get("event") for line in lines]
    steps = [line for line in lines if line.get("event") == "step"]
    assert got[-1:] == ["answer"] and got[:-1] == ["step"] * len(steps) and steps, (
        f"the log's events were {got}: write one 'step' line per agent step as it happens, "
        "then one 'answer' line"
    )
    assert [set(line) for line in steps] == [STEP_FIELDS] * len(steps), (
        f"each step line should have exactly the fields {sorted(STEP_FIELDS)}"
    )
    assert lines[-1]["answer"] == answer and lines[-1]["steps"] == len(steps), (
        "the answer line holds the answer run_logged returned and the number of steps"
    )
    assert len({line["run_id"] for line in lines}) == 1, "every line of one run has the same run_id"
    if {s.lm_source for s in spans if s.kind == "lm"} == {"scripted"}:
        got = [(line["tool"], line["args"], line["ok"]) for line in steps]
        assert got == [
            ("stock_level", {"sku": "SKU-77"}, True),
            ("reserve", {"sku": "SKU-77", "quantity": 3}, True),
            ("finish", {}, True),
        ], "the scripted run's steps, with their arguments, in order"


def test_the_log_matches_the_tutors_trace(tmp_path):
    needs_tutor()
    _, lines, spans = logged(tmp_path)
    steps = [line for line in lines if line.get("event") == "step"]
    tool_spans = [s for s in spans if s.kind == "tool"]
    got = [(line["tool"], line["args"], line["observation"]) for line in steps]
    expected = [(s.name, s.inputs, str(s.outputs)) for s in tool_spans]
    assert got == expected, (
        "the log's (tool, args, observation) should equal the trace's tool spans, one per step"
    )
    slack_ms = 250  # the span is timed inside dspy.Tool, the log around it
    for line, span in zip(steps, tool_spans):
        span_ms = (span.end - span.start) * 1000
        assert span_ms - 1 <= line["tool_ms"] <= span_ms + slack_ms, (
            f"step {line['step']} ({line['tool']}): tool_ms {line['tool_ms']:.1f} but the trace "
            f"measured {span_ms:.1f} ms: time the tool call itself with Instant::now()"
        )
    lm_total = sum((s.end - s.start) * 1000 for s in spans if s.kind == "module" and s.name == "Predict")
    assert sum(line["lm_ms"] for line in steps) <= lm_total + slack_ms and all(line["lm_ms"] > 0 for line in steps), (
        "lm_ms should time the `react` call that chose each step"
    )


def test_replay_finds_what_changed(tmp_path):
    logged(tmp_path)
    path = str(tmp_path / "trajectory.jsonl")
    same = trajectory_log.replay(path, {"stock_level": stock_level, "reserve": reserve})
    assert same == [], f"replaying with the same tools should change nothing, got {same}"

    def reserve_v2(sku: str, quantity: int) -> str:
        return f"Reserved {quantity} x {sku} as RES-{quantity}"

    changed = trajectory_log.replay(path, {"stock_level": stock_level, "reserve": reserve_v2})
    lines = [json.loads(line) for line in (tmp_path / "trajectory.jsonl").read_text().splitlines()]
    reserved = [(line["run_id"], line["step"], "reserve") for line in lines if line.get("tool") == "reserve" and line["ok"]]
    got = [(run_id, step, tool) for run_id, step, tool, before, now in changed if before != now]
    assert got == reserved, (
        f"replay with a changed reserve tool should report exactly the reserve steps {reserved} "
        f"as (run_id, step, tool, logged, now), got {changed}"
    )


def test_runs_append_and_stay_apart(tmp_path):
    logged(tmp_path)
    _, lines, _ = logged(tmp_path, "How many units of SKU-12 are in stock?")
    runs = [line.get("run_id") for line in lines]
    assert runs, "the log is empty after two runs: write a line per step and one for the answer"
    first, second = runs[0], runs[-1]
    assert first != second and runs == sorted(runs, key=lambda r: r != first), (
        "a second run should append its own lines (a new run_id) after the first run's, "
        "never truncate the file or interleave"
    )
