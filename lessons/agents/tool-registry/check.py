"""Check for the tool-registry step: Rust tools registered by type, validated by serde,
described by their doc comments."""

import pytest

import tool_registry

from tutor import lesson_api

REFUND_QUESTION = "Refund 5 euros on order A-1042, the box arrived dented."

DESCRIPTIONS = {
    "order_status": "Look up the status of one order by its id.",
    "refund": "Refund part of an order to the customer's card, in cents.",
}
ARGS = {
    "order_status": {"order_id": ("string", "The order id, like A-1042.")},
    "refund": {
        "order_id": ("string", "The order id, like A-1042."),
        "amount_cents": ("integer", "How much to refund, in cents (500 is 5.00 EUR)."),
    },
}


def failure(name, args):
    """(exception type, message) of call_tool(name, args)."""
    try:
        got = tool_registry.call_tool(name, args)
    except Exception as e:  # noqa: BLE001 - the type is what we check
        return type(e).__name__, str(e)
    return f"returned {got!r}", ""


def test_module_registers_the_gil_probe():
    got = [name for name in dir(tool_registry) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_both_tools_are_registered():
    got = tool_registry.tool_names()
    assert got == ["order_status", "refund"], (
        "Registry::shop() should register OrderStatus and Refund (the names come from "
        "RustTool::NAME)"
    )


def test_descriptions_come_from_doc_comments():
    tools = tool_registry.dspy_tools()
    got = {tool.name: tool.desc for tool in tools}
    assert got == DESCRIPTIONS, (
        "each tool's description should be its argument struct's /// doc comment, read from "
        "the schemars schema's \"description\""
    )
    got = {
        tool.name: {k: (v.get("type"), v.get("description")) for k, v in tool.args.items()}
        for tool in tools
    }
    assert got == ARGS, (
        "each tool's args should be the schema's \"properties\": one per struct field, with "
        "its JSON type and its field's /// doc comment"
    )


def test_serde_rejects_bad_arguments_before_the_tool_runs():
    cases = {
        "wrong type": (("order_status", {"order_id": 1042}), "invalid type: integer `1042`"),
        "negative amount": (("refund", {"order_id": "A-1042", "amount_cents": -5}), "expected u32"),
        "unknown field": (("refund", {"id": "A-1042", "amount_cents": 500}), "unknown field `id`"),
        "missing field": (("refund", {"order_id": "A-1042"}), "missing field `amount_cents`"),
    }
    got = {}
    for case, ((name, args), text) in cases.items():
        kind, message = failure(name, args)
        got[case] = (kind, text in message)
    expected = {case: ("ValueError", True) for case in cases}
    assert got == expected, (
        "bad arguments should raise ValueError (ToolError::BadArgs) carrying serde's message: "
        "parse them with serde_json::from_value::<T>() before running the tool, and keep "
        "#[serde(deny_unknown_fields)]"
    )


def test_tool_and_lookup_errors_are_distinct():
    got = {
        "ok": tool_registry.call_tool("refund", {"order_id": "A-1042", "amount_cents": 500}),
        "too much": failure("refund", {"order_id": "A-1042", "amount_cents": 10_000})[0],
        "no such tool": failure("cancel", {"order_id": "A-1042"})[0],
    }
    expected = {
        "ok": "Refunded 500 cents on order A-1042",
        "too much": "RuntimeError",
        "no such tool": "KeyError",
    }
    assert got == expected, (
        "valid arguments run the tool; a tool's own failure is RuntimeError "
        "(ToolError::Failed), an unknown tool name KeyError (ToolError::Unknown)"
    )


def test_the_agent_sees_serdes_error_and_corrects_itself():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans and scripts are recorded only when the tutor runs this check")
    if "refund" not in tool_registry.tool_names():
        pytest.fail("the agent needs the refund tool: register Refund in Registry::shop()")
    before = len(lesson_api.spans())
    answer = tool_registry.ask(REFUND_QUESTION)
    calls = [s for s in lesson_api.spans()[before:] if s.kind == "tool" and s.name != "finish"]
    sources = {s.lm_source for s in lesson_api.spans()[before:] if s.kind == "lm"}
    if sources != {"scripted"}:  # a real LM: it should pass valid arguments to a registered tool
        assert calls and all(s.name in DESCRIPTIONS for s in calls), "the agent should call a registered tool"
        return
    got = [(s.name, s.inputs, "unknown field `id`" in (s.error or ""), s.outputs) for s in calls]
    expected = [
        ("refund", {"id": "A-1042", "amount_cents": 500}, True, None),
        ("refund", {"order_id": "A-1042", "amount_cents": 500}, False, "Refunded 500 cents on order A-1042"),
    ]
    assert got == expected, (
        "the LM's first call names the argument `id`: the registry should refuse it with "
        "serde's `unknown field` error (which ReAct shows the LM), and run the corrected call"
    )
    assert answer == "Refunded 5.00 EUR on order A-1042.", "ask() should return the agent's answer"
