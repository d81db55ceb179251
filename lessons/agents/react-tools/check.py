"""Check for the react-tools step: dspy.ReAct driven from Rust, with Python and Rust tools."""

import pytest

import react_tools

from tutor import lesson_api

ORDER_QUESTION = "Where is my order A-1042?"
ORDER_SCHEMA = {"order_id": {"type": "string", "description": "the order id, like A-1042"}}


def nearest_warehouse(city: str) -> str:
    """The warehouse that ships to a city fastest, and how long it takes."""
    return f"{city} is served from Villeurbanne, delivery next day"


def tool_calls(before):
    """(tool name, arguments, observation) of the tool spans since span number `before`."""
    return [
        (s.name, s.inputs, s.outputs)
        for s in lesson_api.spans()[before:]
        if s.kind == "tool" and s.name != "finish"
    ]


def scripted(before):
    """True when this step's scripted answers drove the agent (exact values are known);
    False for a real provider (only the structure can be checked)."""
    sources = {s.lm_source for s in lesson_api.spans()[before:] if s.kind == "lm"}
    assert sources, "no LM call was made: run the dspy.ReAct module you built"
    return sources <= {"scripted"}


def needs_tutor():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans and scripts are recorded only when the tutor runs this check")


def test_module_registers_the_gil_probe():
    got = [name for name in dir(react_tools) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_react_runs_python_tools():
    needs_tutor()
    before = len(lesson_api.spans())
    answer = react_tools.run_agent("Which warehouse ships to Lyon fastest?", [nearest_warehouse])
    calls = tool_calls(before)
    got = [name for name, _, _ in calls]
    assert got == ["nearest_warehouse"], (
        f"the agent called {got}: run_agent should build dspy.ReAct(SIGNATURE, tools=tools) "
        "with the list it is given and call it with question=..."
    )
    if scripted(before):
        assert answer == "Villeurbanne, next day", (
            "run_agent should return the Prediction's `answer` field"
        )


def test_rust_tool_advertises_its_argument_schema():
    tools = react_tools.order_tools()
    got = {tool.name: tool.args for tool in tools}
    assert got == {"order_status": ORDER_SCHEMA}, (
        "order_tools() should return one dspy.Tool named 'order_status' whose args are "
        f"{ORDER_SCHEMA}; {{'args': {{}}, 'kwargs': {{}}}} means dspy.Tool could not read the "
        "#[pyfunction]'s parameters: give it the schema with args="
    )


def test_the_schema_reaches_the_prompt():
    needs_tutor()
    before = len(lesson_api.spans())
    react_tools.ask(ORDER_QUESTION)
    prompts = [
        m["content"]
        for s in lesson_api.spans()[before:]
        if s.kind == "lm"
        for m in (s.messages or [])
        if m.get("role") == "system"
    ]
    assert prompts, "ask() made no LM call: run the agent with order_tools()"
    got = [
        text in prompts[0]
        for text in ("order_status", "'order_id': {'type': 'string'", "the order id, like A-1042")
    ]
    assert got == [True, True, True], (
        "the system prompt the LM sees should list order_status with its order_id argument "
        "(type string, with its description): pass order_tools() to ReAct"
    )


def test_agent_calls_the_rust_tool_with_the_order_id():
    needs_tutor()
    before = len(lesson_api.spans())
    answer = react_tools.ask(ORDER_QUESTION)
    calls = tool_calls(before)
    got = [(name, sorted(args)) for name, args, _ in calls]
    assert got == [("order_status", ["order_id"])], (
        f"the agent's tool calls were {got}: it should call order_status once, with order_id"
    )
    if scripted(before):
        got = calls[0][1:]
        expected = ({"order_id": "A-1042"}, "Order A-1042: shipped on 2026-11-20 with DHL, tracking JD0142")
        assert got == expected, "order_status(order_id='A-1042') should return the Rust table's status"
        assert answer == "It shipped on 2026-11-20 with DHL, tracking JD0142.", (
            "ask() should return the agent's answer"
        )


def test_an_unknown_order_is_an_error_the_agent_sees():
    with pytest.raises(KeyError, match="A-9999"):
        react_tools.order_status("A-9999")
