"""Reading one rendered DSPy call: its format, fields, inputs, demos and instructions.

Everything the offline LM knows about a call comes from here, that is from the text
DSPy's adapter rendered: nothing about the calling program is looked up elsewhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

Format = Literal["chat", "json", "xml"]

_OUTPUT_LIST = re.compile(
    r"Your output fields are:\n(.*?)\nAll interactions will be structured", re.DOTALL
)
_INPUT_LIST = re.compile(r"Your input fields are:\n(.*?)\nYour output fields are:", re.DOTALL)
_FIELD_ITEM = re.compile(r"^\d+\. `([^`]+)` \(", re.MULTILINE)
_JSON_OUTPUTS = "Outputs will be a JSON object with the following fields."
_XML_REQUEST = "Respond with the corresponding output fields wrapped in XML tags"
_NOTE = "# note: the value you produce "
_OBJECTIVE = "In adhering to this structure, your objective is:"
_COMPLETED = re.compile(r"\n*\[\[ ## completed ## \]\]\s*\Z")
_CHAT_HEADER = re.compile(r"\[\[ ## (\w+) ## \]\]\n?")
_RESPOND = re.compile(r"\n*Respond with (the corresponding output fields|a JSON object).*\Z", re.S)


@dataclass
class Call:
    """One LM call as the adapter rendered it."""

    system: str
    messages: list[tuple[str, str]]  # (role, text), in order; the last is the user turn
    fmt: Format = "chat"
    outputs: list[tuple[str, str]] = field(default_factory=list)  # (name, "# note" text)
    input_names: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)  # this turn's input values
    demos: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    instructions: str = ""
    temperature: float | None = None
    tools: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # native tools

    @property
    def adapter_shaped(self) -> bool:
        return bool(self.outputs)

    @property
    def output_names(self) -> list[str]:
        return [name for name, _ in self.outputs]

    @property
    def conversation(self) -> str:
        """System, demos, history and the user turn: what ``when`` is matched against."""
        return "\n".join([self.system, *(text for _, text in self.messages)])

    def note(self, name: str) -> str:
        return dict(self.outputs).get(name, "")


def read_call(
    system: str,
    messages: list[tuple[str, str]],
    temperature: float | None,
    tools: list[tuple[str, str, dict[str, Any]]] | None = None,
) -> Call:
    """``tools``: (name, description, JSON-schema properties) sent natively, if any."""
    call = Call(system=system, messages=messages, temperature=temperature, tools=tools or [])
    listed = _OUTPUT_LIST.search(system)
    if not listed:
        return call
    call.fmt = (
        "json" if _JSON_OUTPUTS in system else "xml" if _is_xml(system, messages) else "chat"
    )
    names = _FIELD_ITEM.findall(listed.group(1))
    template = _json_template_text(system) if call.fmt == "json" else system
    for name in names:
        pattern = r"\{" + re.escape(name) + r"\}\s+" + re.escape(_NOTE) + r"(.*)$"
        note = re.search(pattern, template, re.MULTILINE)
        call.outputs.append((name, note.group(1).strip() if note else ""))
    inputs = _INPUT_LIST.search(system)
    call.input_names = _FIELD_ITEM.findall(inputs.group(1)) if inputs else []
    objective = system.find(_OBJECTIVE)
    if objective >= 0:
        call.instructions = _dedent(system[objective + len(_OBJECTIVE) :])
    user_turns = [i for i, (role, _) in enumerate(messages) if role == "user"]
    if user_turns:
        call.inputs = parse_fields(messages[user_turns[-1]][1], call.fmt, call.input_names)
    for i in user_turns[:-1]:
        if i + 1 < len(messages) and messages[i + 1][0] == "assistant":
            demo_in = parse_fields(messages[i][1], call.fmt, call.input_names)
            demo_out = parse_fields(messages[i + 1][1], call.fmt, call.output_names)
            call.demos.append((demo_in, demo_out))
    return call


def _is_xml(system: str, messages: list[tuple[str, str]]) -> bool:
    last_user = next((text for role, text in reversed(messages) if role == "user"), "")
    return _XML_REQUEST in last_user or "\n</" in system.split(_OBJECTIVE)[0]


def _dedent(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines())


def _json_template_text(system: str) -> str:
    """JSONAdapter writes its output template as a JSON object whose values carry the notes."""
    start = system.find("{", system.find(_JSON_OUTPUTS))
    try:
        template, _ = json.JSONDecoder().raw_decode(system, start)
    except json.JSONDecodeError:
        return system
    return "\n".join(str(v) for v in template.values())


def parse_fields(text: str, fmt: Format, names: list[str]) -> dict[str, Any]:
    """Field values in one message: ``[[ ## f ## ]]`` blocks, a JSON object or XML tags."""
    text = _RESPOND.sub("", text)
    if fmt == "json" and text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k in names}
    if fmt == "xml":
        found = {}
        for name in names:
            m = re.search(rf"<{re.escape(name)}>\n?(.*?)\n?</{re.escape(name)}>", text, re.S)
            if m:
                found[name] = m.group(1).strip()
        if found:
            return found
    return chat_blocks(text, names)


def chat_blocks(text: str, names: list[str] | None = None) -> dict[str, str]:
    """``[[ ## f ## ]]`` blocks; with ``names``, only those headers split the text (a value
    such as ReAct's trajectory holds blocks of its own)."""
    headers = [
        m
        for m in _CHAT_HEADER.finditer(text)
        if (names is None or m.group(1) in names) and m.group(1) != "completed"
    ]
    ends = [m.start() for m in headers[1:]] + [len(text)]
    values = {m.group(1): text[m.end() : end] for m, end in zip(headers, ends, strict=False)}
    return {name: _COMPLETED.sub("", v).strip() for name, v in values.items()}


# --- writing the reply ----------------------------------------------------------------


def format_reply(call: Call, values: dict[str, Any]) -> str:
    """The reply in the format the adapter asked for."""
    if call.fmt == "json":
        return json.dumps(values, ensure_ascii=False, indent=2)
    if call.fmt == "xml":
        return "\n".join(f"<{name}>\n{as_text(value)}\n</{name}>" for name, value in values.items())
    blocks = [f"[[ ## {name} ## ]]\n{as_text(value)}\n\n" for name, value in values.items()]
    return "".join(blocks) + "[[ ## completed ## ]]"


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# --- words ------------------------------------------------------------------------------

_STOP_WORDS = (
    "a an the and or but if of to in on at by for with from into about as is are was were be "
    "been being do does did this that these those it its i you he she we they my your our "
    "what which who whom how when where why can could would should will shall may might "
    "me him her them us not no yes please there here than then so such any some all"
)
_STOP = frozenset(_STOP_WORDS.split())


def content_words(text: str) -> set[str]:
    """Lower-case words of three or more letters that carry meaning (no stop words)."""
    return {w for w in re.findall(r"[a-z0-9]+", str(text).lower()) if len(w) > 2} - _STOP
