"""Check for the agent-service step: registry, retries, persistence and logging together,
through AgentService.handle()."""

import json
import threading

import pytest

import agent_service

from tutor import lesson_api

QUESTION = "Refund 5 euros on order A-1042 and tell me when the carrier can collect the return."
ANSWER = "Refunded 5.00 EUR on A-1042; DHL collects the return on 2026-11-25 between 9:00 and 12:00."
POLICY = {"attempts": 3, "base_delay_s": 0.02, "timeout_s": 0.3}


class Carrier:
    """The carrier's API: Ctrl-C on the first call, a dropped connection on the second."""

    def __init__(self, *failures):
        self.failures = list(failures)
        self.calls = 0
        self.release = threading.Event()

    def tool(self):
        def collection_slot(order_id: str) -> str:
            """When the carrier can collect a return for an order."""
            self.calls += 1
            failure = self.failures.pop(0) if self.failures else None
            if failure == "hang":
                self.release.wait(2)
                return "too late"
            if failure is not None:
                raise failure
            return "DHL: 2026-11-25, 9:00-12:00"

        return collection_slot


@pytest.fixture
def carrier():
    made = []
    yield lambda *failures: made.append(Carrier(*failures)) or made[-1]
    for c in made:
        c.release.set()


def needs_script():
    if not lesson_api.in_tutor_run():
        pytest.skip("the conversation is scripted only when the tutor runs this check")


def interrupted_then_resumed(tmp_path, carrier):
    """Run the scripted conversation: interrupted once, then resumed to the end."""
    c = carrier(KeyboardInterrupt(), ConnectionError("connection reset by peer"))
    service = agent_service.AgentService(str(tmp_path), [c.tool()], **POLICY)
    before = len(lesson_api.spans())
    try:
        service.handle("conv-1", QUESTION)
    except KeyboardInterrupt:
        pass
    sources = {s.lm_source for s in lesson_api.spans()[before:] if s.kind == "lm"}
    if sources != {"scripted"}:
        pytest.skip(
            "the interruption follows the step's scripted conversation; a real model chooses "
            "its own steps (run this check with the offline LM)"
        )
    assert c.calls == 1, "the scripted conversation should stop at Ctrl-C in collection_slot"
    first = json.loads((tmp_path / "conv-1.json").read_text()) if (tmp_path / "conv-1.json").exists() else None
    answer = service.handle("conv-1", QUESTION)
    return c, service, first, answer


def log_lines(tmp_path):
    path = tmp_path / "trajectory.jsonl"
    assert path.exists(), "no trajectory.jsonl in the state folder: open the TrajectoryLog in handle()"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_module_registers_the_gil_probe():
    got = [name for name in dir(agent_service) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_an_interrupted_conversation_resumes_and_finishes(tmp_path, carrier):
    needs_script()
    c, _, first, answer = interrupted_then_resumed(tmp_path, carrier)
    assert first is not None and [s["tool"] for s in first["steps"]] == ["refund", "refund"], (
        "after Ctrl-C in collection_slot, conv-1.json should hold the two refund steps: "
        "load and save the AgentState in handle(), after every step"
    )
    state = json.loads((tmp_path / "conv-1.json").read_text())
    got = [s["tool"] for s in state["steps"]], state["answer"], answer
    assert got == (["refund", "refund", "collection_slot", "finish"], ANSWER, ANSWER), (
        "the second handle() should continue after the saved steps and save the answer"
    )
    assert c.calls == 3, (
        f"collection_slot ran {c.calls} times: once interrupted, then a ConnectionError that "
        "call_guarded retries, then the answer (use self.observe for every tool call)"
    )
    assert "unknown field `id`" in state["steps"][0]["observation"], (
        "the first refund names its argument `id`: the registry's serde error should be the observation"
    )


def test_every_step_is_logged_once(tmp_path, carrier):
    needs_script()
    interrupted_then_resumed(tmp_path, carrier)
    lines = log_lines(tmp_path)
    got = [(line["event"], line.get("tool"), line.get("ok")) for line in lines]
    assert got == [
        ("step", "refund", False),
        ("step", "refund", True),
        ("step", "collection_slot", True),
        ("step", "finish", True),
        ("answer", None, None),
    ], "one log line per completed step, across both runs, then the answer line"
    runs = [line["run_id"] for line in lines]
    assert runs[0] == runs[1] != runs[2] == runs[3] == runs[4], (
        "the interrupted run and the resumed run each have their own run_id"
    )
    assert {line["conversation"] for line in lines} == {"conv-1"}, "every line names its conversation"
    assert [line["step"] for line in lines if line["event"] == "step"] == [0, 1, 2, 3], (
        "step numbers continue after a resume (the state's step count)"
    )
    assert lines[-1]["steps"] == 2, "the answer line counts the steps this run ran"


def test_a_finished_conversation_is_answered_from_disk(tmp_path, carrier):
    needs_script()
    _, service, _, _ = interrupted_then_resumed(tmp_path, carrier)
    before = len(lesson_api.spans())
    again = service.handle("conv-1", QUESTION)
    lm_calls = [s for s in lesson_api.spans()[before:] if s.kind == "lm"]
    assert (again, len(lm_calls)) == (ANSWER, 0), "a saved answer is returned without an LM call"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conv-1.json", "trajectory.jsonl"], (
        "the state folder should hold the conversation's state and the log, nothing half-written"
    )


def test_tools_are_guarded_and_ids_are_safe(tmp_path, carrier):
    c = carrier("hang", "hang", "hang")
    service = agent_service.AgentService(str(tmp_path), [c.tool()], **POLICY)
    assert service.tool_names() == ["order_status", "refund", "collection_slot"], (
        "the service's tools are the registry's, then the caller's"
    )
    with pytest.raises(RuntimeError, match="failed after 3 attempts.*did not answer"):
        service.call_tool("collection_slot", {"order_id": "A-1042"})
    with pytest.raises(ValueError, match="must be 1 to 64"):
        service.handle("../outside", QUESTION)
    assert not (tmp_path.parent / "outside.json").exists(), "a conversation id must never leave the state folder"
