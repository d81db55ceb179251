"""Synthesized answers: schema-valid values, agent steps and runnable code.

Used when no script, cassette or task answers a call. Everything is derived from the
rendered call (its output notes, input values, tool list, trajectory) and a digest of
it, so the same call always gets the same answer.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from tutor.lm.prompt import Call, chat_blocks, content_words

MAX_AGENT_STEPS = 3  # tool calls before a synthesized agent finishes regardless


def synthesize(call: Call, digest: str) -> dict[str, Any]:
    """A value for every output field of the call."""
    names = call.output_names
    if {"next_tool_name", "next_tool_args"} <= set(names):
        return _agent_step(call, digest)
    values = {name: value(name, call.note(name), digest) for name, note in call.outputs}
    for name, note in call.outputs:
        if '"title": "ToolCalls"' in note:
            values[name] = tool_calls(call) or values[name]
        if note:
            continue
        if "code" in name:
            values[name] = python_code(call)
        elif name != "reasoning":
            from_context = _observed_answer(call)
            if from_context is not None:
                values[name] = from_context
    if "finished" in values and any("code" in n for n in names):
        values["finished"] = True
    values.update({k: v for k, v in _code_output(call).items() if k in values})
    return values


# --- one value from the adapter's note about its type -------------------------------------


def value(name: str, note: str, digest: str) -> Any:
    if note == "must be True or False":
        return True
    if note == "must be a single int value":
        return 0
    if note == "must be a single float value":
        return 0.5
    for prefix in ("must exactly match (no extra characters) one of: ", "must be one of: "):
        if note.startswith(prefix):  # Literal / Enum: the first option
            return note[len(prefix) :].split("; ")[0]
    prefix = "must adhere to the JSON schema: "
    if note.startswith(prefix):
        schema = json.loads(note[len(prefix) :])
        return from_schema(schema, schema, name, digest)
    return f"{name}-{digest}"


def from_schema(schema: Any, root: dict[str, Any], name: str, digest: str) -> Any:
    if not isinstance(schema, dict):  # `true` / `{}`: anything goes
        return f"{name}-{digest}"
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        return from_schema(target, root, name, digest)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return from_schema(options[0], root, name, digest)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _object(schema, root, name, digest)
    if kind == "array":
        if "prefixItems" in schema:
            return [from_schema(s, root, name, digest) for s in schema["prefixItems"]]
        return [from_schema(schema.get("items", {}), root, name, digest)]
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return f"{name}-{digest}"


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    """0 or 0.5, raised to a lower bound when the schema sets one (``Field(ge=…, gt=…)``)."""
    number: int | float = 0 if integer else 0.5
    if "minimum" in schema:
        number = max(number, schema["minimum"])
    if "exclusiveMinimum" in schema:
        number = max(number, schema["exclusiveMinimum"] + (1 if integer else 0.5))
    return number


def _object(schema: dict[str, Any], root: dict[str, Any], name: str, digest: str) -> Any:
    properties = schema.get("properties", {})
    if properties:
        return {
            key: from_schema(properties[key], root, key, digest)
            for key in schema.get("required", [])
            if key in properties
        }
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and extra:  # dict[str, T]: one entry
        return {"key": from_schema(extra, root, "key", digest)}
    return {}


# --- agents (ReAct) ------------------------------------------------------------------------

_TOOL = re.compile(  # ReAct's "(1) name, …" list, or a list[dspy.Tool] input's items
    r"(?:\(\d+\) |\[\"|, \")(\w+), whose description is <desc>(.*?)</desc>\.\s*"
    r"It takes arguments ",
    re.S,
)


def tools_in(instructions: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, description, JSON-schema properties) for each tool ReAct lists."""
    found = []
    for m in _TOOL.finditer(instructions):
        args = _balanced(instructions, m.end())
        try:
            schema = ast.literal_eval(args)
        except (ValueError, SyntaxError):
            schema = {}
        found.append((m.group(1), m.group(2), schema if isinstance(schema, dict) else {}))
    return found


def _balanced(text: str, start: int) -> str:
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start : i + 1]
    return text[start:]


def trajectory_steps(call: Call) -> list[tuple[str, str]]:
    """(tool name, observation) of each step so far in the ``trajectory`` input."""
    blocks = chat_blocks(call.inputs.get("trajectory", ""))
    steps = []
    i = 0
    while f"tool_name_{i}" in blocks:
        steps.append((blocks[f"tool_name_{i}"], blocks.get(f"observation_{i}", "")))
        i += 1
    return steps


def _ok(observation: str) -> bool:
    return bool(observation.strip()) and not observation.startswith("Execution error")


def _agent_step(call: Call, digest: str) -> dict[str, Any]:
    """Call the tool that best fits the question; finish once one answered it."""
    steps = trajectory_steps(call)
    tools = [t for t in tools_in(call.instructions) if t[0] != "finish"]
    answered = [obs for _, obs in steps if _ok(obs)]
    if answered or not tools or len(steps) >= MAX_AGENT_STEPS:
        thought = (
            "The last observation answers the question, so I can finish."
            if answered
            else "I cannot get further with the tools, so I finish with what I have."
        )
        return {"next_thought": thought, "next_tool_name": "finish", "next_tool_args": {}}
    question = _question(call)
    ranked = _rank_tools(tools, question)
    failed = sum(1 for _, obs in steps if not _ok(obs))
    name, _, schema = ranked[failed % len(ranked)]
    return {
        "next_thought": f"I will call {name} to find out: {question.strip()[:120]}",
        "next_tool_name": name,
        "next_tool_args": tool_args(schema, question.strip()),
    }


def _question(call: Call) -> str:
    return " ".join(str(v) for k, v in call.inputs.items() if k not in ("trajectory", "tools"))


def _rank_tools(tools: list[tuple[str, str, dict[str, Any]]], question: str) -> list[Any]:
    """Tools ordered by the words their name and description share with the question."""
    words = content_words(question)
    return sorted(
        tools, key=lambda t: -len(words & content_words(f"{t[0].replace('_', ' ')} {t[1]}"))
    )


def native_tool_calls(call: Call) -> list[dict[str, Any]]:
    """Native function calling (the adapter sent ``tools``): a call of the tool that fits."""
    question = _question(call)
    name, _, schema = _rank_tools(call.tools, question)[0]
    return [{"name": name, "args": tool_args(schema, question.strip())}]


def tool_calls(call: Call) -> dict[str, Any] | None:
    """A ``dspy.ToolCalls`` value: one call of the tool (listed in the inputs) that fits."""
    tools = tools_in(call.inputs.get("tools", ""))
    if not tools:
        return None
    question = _question(call)
    name, _, schema = _rank_tools(tools, question)[0]
    return {"tool_calls": [{"name": name, "args": tool_args(schema, question.strip())}]}


def tool_args(properties: dict[str, Any], question: str) -> dict[str, Any]:
    """Arguments valid for a tool's schema: required ones filled from the question."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", question)]
    args: dict[str, Any] = {}
    for key, schema in properties.items():
        if not isinstance(schema, dict) or "default" in schema:
            continue
        kind = schema.get("type")
        if schema.get("enum"):
            args[key] = schema["enum"][0]
        elif kind in ("integer", "number"):
            n = numbers.pop(0) if numbers else 1
            args[key] = int(n) if kind == "integer" else n
        elif kind == "boolean":
            args[key] = True
        elif kind == "array":
            args[key] = [question]
        elif kind == "object":
            args[key] = {}
        else:
            args[key] = question
    return args


def _observed_answer(call: Call) -> str | None:
    """An agent's final answer: the last observation that was not an error."""
    if "trajectory" not in call.inputs:
        return None
    answered = [obs for _, obs in trajectory_steps(call) if _ok(obs) and obs != "Completed."]
    return answered[-1][:500] if answered else None


def _code_output(call: Call) -> dict[str, Any]:
    """ProgramOfThought's last call answers from what the code printed or submitted."""
    raw = call.inputs.get("code_output")
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        data = raw
    if isinstance(data, dict) and set(data) == {"output"}:  # SUBMIT's FinalOutput
        data = data["output"]
    if isinstance(data, dict):
        return data
    fields = [n for n in call.output_names if n != "reasoning"]
    return {fields[0]: data} if len(fields) == 1 else {}


# --- code (ProgramOfThought, CodeAct) -------------------------------------------------------

_EXPR = re.compile(r"[-+(]*\d+(?:\.\d+)?(?:\s*(?:\*\*|[-+*/%])\s*[-+(]*\d+(?:\.\d+)?\)*)+")
_SUBMIT_FIELDS = re.compile(r"value mapping for the field\(s\): (.*?)\.?$", re.MULTILINE)


def python_code(call: Call) -> str:
    """Runnable Python: computes an arithmetic expression from the inputs if there is one,
    and submits it (``SUBMIT({...})``) when the instructions ask for that."""
    text = " ".join(str(v) for k, v in call.inputs.items() if k != "trajectory")
    expr = _EXPR.search(text.replace("×", "*").replace("^", "**"))
    result = expr.group(0).strip() if expr else repr(text.strip()[:200])
    submit = _SUBMIT_FIELDS.search(call.instructions)
    if "SUBMIT(" in call.instructions and submit:
        fields = re.findall(r"`(\w+)`", submit.group(1))
        mapping = ", ".join(f"{name!r}: result" for name in fields)
        return f"result = {result}\nSUBMIT({{{mapping}}})"
    return f"result = {result}\nprint(result)"
