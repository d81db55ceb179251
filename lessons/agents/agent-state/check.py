"""Check for the agent-state step: the agent's state on disk after every step, and a
resumed agent that continues where it stopped."""

import json

import pytest

import agent_state

from tutor import lesson_api

QUESTION = "Book a pickup for order A-1042 with its carrier."


class Shop:
    """The check's tools. book_pickup is interrupted (Ctrl-C) the first time it runs."""

    def __init__(self):
        self.calls = []

    def tools(self):
        def order_status(order_id: str) -> str:
            """Status and carrier of an order."""
            self.calls.append("order_status")
            return f"Order {order_id}: packed, carrier DHL"

        def book_pickup(carrier: str) -> str:
            """Book a pickup slot with a carrier."""
            self.calls.append("book_pickup")
            if self.calls.count("book_pickup") == 1:
                raise KeyboardInterrupt  # the operator stops the service mid-run
            return f"Pickup booked with {carrier} at 14:00"

        return [order_status, book_pickup]


def needs_script():
    if not lesson_api.in_tutor_run():
        pytest.skip("the trajectory is scripted only when the tutor runs this check")


def interrupted(tmp_path):
    """Run the agent until Ctrl-C stops it; return (shop, state file path)."""
    shop, path = Shop(), tmp_path / "agent.json"
    before = len(lesson_api.spans())
    try:
        agent_state.run(QUESTION, str(path), shop.tools())
    except KeyboardInterrupt:
        pass
    sources = {s.lm_source for s in lesson_api.spans()[before:] if s.kind == "lm"}
    if sources != {"scripted"}:
        pytest.skip(
            "the interruption follows the step's scripted trajectory; a real model chooses "
            "its own steps (run this check with the offline LM)"
        )
    assert shop.calls.count("book_pickup") == 1, (
        "the scripted run should stop at Ctrl-C in book_pickup: let a KeyboardInterrupt "
        "from a tool end run() (it is not an Exception)"
    )
    return shop, path


def saved(path):
    assert path.exists(), f"no state file at {path}: save the state after every step"
    return json.loads(path.read_text())


def test_module_registers_the_gil_probe():
    got = [name for name in dir(agent_state) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_an_interrupted_agent_leaves_its_completed_steps_on_disk(tmp_path):
    needs_script()
    _, path = interrupted(tmp_path)
    state = saved(path)
    got = ([s["tool"] for s in state["steps"]], state["memory"], state["answer"])
    assert got == (["order_status", "remember"], {"carrier": "DHL"}, None), (
        "after Ctrl-C in the third tool, the file should hold the two completed steps, the "
        "memory {'carrier': 'DHL'} and no answer: save after each step, not only at the end"
    )
    assert state["steps"][0]["args"] == {"order_id": "A-1042"}, "each step keeps its tool arguments"


def test_a_resumed_agent_continues_where_it_stopped(tmp_path):
    needs_script()
    shop, path = interrupted(tmp_path)
    answer = agent_state.run(QUESTION, str(path), shop.tools())
    state = saved(path)
    got = [s["tool"] for s in state["steps"]]
    assert got == ["order_status", "remember", "recall", "book_pickup", "finish"], (
        "the second run should load the saved steps and continue after them (a fresh start "
        "would call order_status again)"
    )
    assert shop.calls == ["order_status", "book_pickup", "book_pickup"], (
        "order_status ran again after the restart: load the saved state before the loop"
    )
    assert state["steps"][2]["observation"] == "DHL", (
        "recall('carrier') after the restart should find what remember stored: restore "
        "the memory from the state file"
    )
    assert (answer, state["answer"]) == ("DHL picks up order A-1042 today at 14:00.",) * 2, (
        "run() should return the answer and save it in the state"
    )


def test_writes_are_atomic_and_a_finished_agent_is_not_rerun(tmp_path):
    needs_script()
    shop, path = interrupted(tmp_path)
    agent_state.run(QUESTION, str(path), shop.tools())
    got = sorted(p.name for p in tmp_path.iterdir())
    assert got == ["agent.json"], (
        f"the folder holds {got}: write to a temporary file, then rename it over agent.json"
    )
    before = len(lesson_api.spans())
    again = agent_state.run(QUESTION, str(path), shop.tools())
    lm_calls = [s for s in lesson_api.spans()[before:] if s.kind == "lm"]
    assert (again, len(lm_calls)) == ("DHL picks up order A-1042 today at 14:00.", 0), (
        "a state file with an answer should return that answer without asking the LM again"
    )


def test_a_bad_state_file_is_refused_with_its_path(tmp_path):
    cases = {
        "not json": "{ half a file",
        "old version": json.dumps({"version": 0, "question": QUESTION, "steps": [], "memory": {}, "answer": None}),
        "other question": json.dumps({"version": 1, "question": "Refund A-1043", "steps": [], "memory": {}, "answer": None}),
    }
    got = {}
    for case, text in cases.items():
        path = tmp_path / f"{case.replace(' ', '-')}.json"
        path.write_text(text)
        try:
            agent_state.run(QUESTION, str(path), [])
        except ValueError as e:
            got[case] = ("ValueError", str(path) in str(e), path.read_text() == text)
        except Exception as e:  # noqa: BLE001 - the type is what we check
            got[case] = (type(e).__name__, str(path) in str(e), path.read_text() == text)
        else:
            got[case] = ("no error", False, path.read_text() == text)
    expected = {case: ("ValueError", True, True) for case in cases}
    assert got == expected, (
        "a corrupt file, another version or another question's state should raise ValueError "
        "naming the file, and leave the file as it was (never overwrite what you cannot read)"
    )
