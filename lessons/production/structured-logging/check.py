"""Check for the structured-logging step: JSON lines whose span carries the request id
and the DSPy call id, joined with the tutor's DSPy trace."""

import json

import dspy
import pytest

import structured_logging

from tutor import lesson_api

QUESTION = "Where is the log file written?"


class Down:
    """An LM engine for a provider outage."""

    def complete(self, request):
        raise ConnectionError("provider down")


def read_lines(path):
    lines = path.read_text().splitlines() if path.exists() else []
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a log line is not JSON: {line!r}: build the subscriber with .json()")
    return parsed


def messages(lines):
    return [line.get("fields", {}).get("message") for line in lines]


def predict_span_ids(question):
    return [s.span_id for s in lesson_api.spans()
            if s.kind == "module" and s.name == "Predict"
            and (s.inputs or {}).get("question") == question]


def test_module_registers_the_gil_probe():
    got = [name for name in dir(structured_logging) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_one_request_writes_three_json_lines(tmp_path):
    log = tmp_path / "service.log"
    answer = structured_logging.Service(str(log)).ask(QUESTION, "req-1")
    lines = read_lines(log)
    got = messages(lines)
    assert got == ["dspy call started", "dspy call finished", "answered"], (
        "one ask() should log the hook's 'dspy call started' and 'dspy call finished', "
        "then 'answered' (in that order, one JSON object per line)"
    )
    last = lines[-1]
    got = (last.get("level"), last["fields"].get("answer_chars"))
    assert got == ("INFO", len(answer)), (
        "'answered' is an INFO event with the answer's length in `answer_chars`"
    )


def test_every_line_carries_the_request_id(tmp_path):
    log = tmp_path / "service.log"
    service = structured_logging.Service(str(log))
    service.ask(QUESTION, "req-a")
    service.ask(QUESTION, "req-b")
    got = [line.get("span", {}).get("request_id") for line in read_lines(log)]
    assert got == ["req-a"] * 3 + ["req-b"] * 3, (
        "every line should sit in the `ask` span with the caller's request_id: "
        "info_span!(\"ask\", request_id, ...) entered around the whole request"
    )


def test_the_call_id_is_the_dspy_trace_span_id(tmp_path):
    if not lesson_api.in_tutor_run():
        pytest.skip("the DSPy trace is recorded only when the tutor runs this check")
    log = tmp_path / "service.log"
    question = "Where is the log file kept?"
    structured_logging.Service(str(log)).ask(question, "req-7")
    lines = read_lines(log)
    started = [line["fields"].get("call_id") for line in lines
               if line.get("fields", {}).get("message") == "dspy call started"]
    expected = predict_span_ids(question)
    assert len(expected) == 1, "ask() should run one dspy.Predict module (the trace shows none)"
    assert started == expected, (
        "'dspy call started' should carry `call_id`, the id DSPy passed to "
        "DspyHook::on_module_start: the same id as the Predict span in the trace"
    )
    got = [line.get("span", {}).get("dspy_call_id") for line in lines][-1:]
    assert got == started, (
        "the 'answered' line's span should carry dspy_call_id: declare it "
        "field::Empty in the span and record it in on_module_start"
    )


def test_a_failure_is_a_warning_and_still_raises(tmp_path):
    log = tmp_path / "service.log"
    service = structured_logging.Service(str(log))
    with dspy.context(lm=dspy.LM("check/down", engine=Down(), cache=False)):
        try:
            service.ask(QUESTION, "req-9")
        except Exception as e:  # noqa: BLE001 - the type is what we check
            raised = type(e).__name__
        else:
            raised = "nothing"
    lines = read_lines(log)
    got = (raised, [(line.get("level"), line["fields"].get("message")) for line in lines])
    assert got == ("LMUnexpectedError", [
        ("INFO", "dspy call started"),
        ("WARN", "dspy call failed"),
        ("WARN", "ask failed"),
    ]), (
        "when the LM fails, the hook logs a WARN 'dspy call failed', ask() logs a WARN "
        "'ask failed' with the error, and the LM's error still reaches the caller"
    )
