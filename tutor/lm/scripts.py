"""Scripted answers: what a lesson tells the offline LM to say, and when.

A script is the table of one ``[[lm.script]]`` (or one ``lesson_api.add_script`` call):

- matching keys, all optional but at least one: ``when`` (a substring of the whole
  rendered conversation: system, demos, history, user turn), ``inputs`` (exact values of
  this call's input fields) and ``outputs`` (names the call's output fields must include);
- one answer: ``answer`` (used by every call it matches) or ``answers`` (a sequence: each
  matching call takes the next one; once all are used the script stops matching).

Light on purpose (no dspy): the course loader validates scripts with ``parse_script``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from tutor.lm.prompt import Call

SCRIPT_KEYS = {"when", "inputs", "outputs", "answer", "answers"}


class ScriptError(ValueError):
    """A script that cannot be used: malformed, or unable to answer the call it matched."""


@dataclass
class Script:
    when: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    answers: tuple[dict[str, Any], ...] = ()
    repeat: bool = True  # `answer`: every match; `answers`: each once, in order
    origin: str = "script"  # how errors name it, e.g. "step.toml [[lm.script]] #2"
    used: int = 0  # answers taken in this test (sequences start over per test)
    answered: int = 0  # calls answered in the whole run
    misses: list[list[str]] = field(default_factory=list)  # outputs of calls it could not fit

    def matches(self, call: Call) -> bool:
        if not self.repeat and self.used >= len(self.answers):
            return False  # a spent sequence
        if self.when is not None and self.when not in call.conversation:
            return False
        if any(call.inputs.get(k, "").strip() != v.strip() for k, v in self.inputs.items()):
            return False
        return set(self.outputs) <= set(call.output_names)

    def _next(self) -> dict[str, Any]:
        return self.answers[0 if self.repeat else self.used]

    def fits(self, call: Call) -> bool:
        """False when the next answer sets none of the call's fields (another signature)."""
        if not call.adapter_shaped:
            return True
        names = call.output_names
        return any(k in names or (call.tools and is_tool_calls(v)) for k, v in self._next().items())

    def take(self, call: Call) -> dict[str, Any]:
        """The next answer for a call this script matched; ScriptError if it sets some of
        the call's fields and some the call lacks (a misspelt field, most likely)."""
        fields = self._next()
        if call.adapter_shaped:
            native = {k for k, v in fields.items() if call.tools and is_tool_calls(v)}
            unknown = sorted(set(fields) - set(call.output_names) - native)
            if unknown:
                raise ScriptError(
                    f"{self.origin} matched a call whose output fields are "
                    f"{call.output_names}, but its answer sets {unknown}. Narrow the match "
                    "(`outputs = [...]`, `inputs = {...}` or a more specific `when`) or fix "
                    "the field names."
                )
        self.used += 1
        self.answered += 1
        return dict(fields)

    def describe(self) -> str:
        keys = {"when": self.when, "inputs": self.inputs or None, "outputs": self.outputs or None}
        return ", ".join(f"{k}={v!r}" for k, v in keys.items() if v is not None)


def is_tool_calls(value: Any) -> bool:
    """A ``dspy.ToolCalls`` value: sent as native tool calls when the adapter asks so."""
    return isinstance(value, dict) and isinstance(value.get("tool_calls"), list)


def parse_script(table: Any, origin: str = "script") -> Script:
    """A Script from its table; ScriptError (with the fix) when it can never match."""
    if not isinstance(table, dict):
        raise ScriptError(f"{origin}: a script is a table of {sorted(SCRIPT_KEYS)}")
    unknown = sorted(set(table) - SCRIPT_KEYS)
    if unknown:
        raise ScriptError(f"{origin}: unknown keys {unknown} (use {sorted(SCRIPT_KEYS)})")
    when, inputs, outputs = table.get("when"), table.get("inputs", {}), table.get("outputs", [])
    if when is not None and (not isinstance(when, str) or not when):
        raise ScriptError(f'{origin}: `when` must be a non-empty string, e.g. when = "France"')
    if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
        raise ScriptError(f'{origin}: `inputs` must be a table of strings: {{ question = "…" }}')
    if not isinstance(outputs, list) or not all(isinstance(v, str) for v in outputs):
        raise ScriptError(f'{origin}: `outputs` must be a list of field names: ["answer"]')
    if when is None and not inputs and not outputs:
        raise ScriptError(f"{origin}: say when it applies: `when`, `inputs` or `outputs`")
    if ("answer" in table) == ("answers" in table):
        raise ScriptError(
            f"{origin}: give exactly one of `answer = {{…}}` (every match) or "
            "`answers = [{…}, …]` (one per match, in order)"
        )
    answers = [table["answer"]] if "answer" in table else table["answers"]
    if not isinstance(answers, list) or not answers:
        raise ScriptError(f"{origin}: `answers` must be a non-empty list of tables")
    for i, answer in enumerate(answers):
        if not isinstance(answer, dict) or not answer:
            raise ScriptError(f"{origin}: answer {i + 1} must be a table of output fields")
        extra = sorted(set(answer) - set(outputs)) if outputs else []
        if extra:
            raise ScriptError(
                f"{origin}: answer {i + 1} sets {extra}, which are not in outputs={outputs}: "
                "it could never match"
            )
    return Script(
        when=when,
        inputs=dict(inputs),
        outputs=tuple(outputs),
        answers=tuple(dict(a) for a in answers),
        repeat="answer" in table,
        origin=origin,
    )


class ScriptBook:
    """The step's scripts and the running test's, with their place in each sequence.

    Precedence: the test's scripts (in the order added), then the step's (file order);
    the first that matches answers. Thread-safe: DSPy answers on worker threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._step: list[Script] = []
        self._run: list[Script] = []  # added by a check outside any test
        self._test: list[Script] = []
        self._in_test = False

    def set_step(self, scripts: list[Script]) -> None:
        with self._lock:
            self._step, self._run, self._test = list(scripts), [], []

    def add(self, script: Script) -> None:
        with self._lock:
            (self._test if self._in_test else self._run).append(script)

    def begin_test(self) -> None:
        """A test starts: sequences start over, and the last test's scripts are gone."""
        with self._lock:
            self._in_test, self._test = True, []
            for script in self._step + self._run:
                script.used = 0

    def end_test(self) -> None:
        with self._lock:
            self._in_test, self._test = False, []

    def answer(self, call: Call) -> tuple[dict[str, Any], Script] | None:
        with self._lock:
            for script in self._test + self._run + self._step:
                if not script.matches(call):
                    continue
                if script.fits(call):
                    return script.take(call), script
                script.misses.append(call.output_names)
        return None

    def never_answered(self, scope: str = "test") -> list[str]:
        """Why each script of the scope ("test", or "all") matched calls but answered none:
        its fields were not theirs. Reported when the test (or the run) ends."""
        with self._lock:
            scripts = self._test if scope == "test" else self._test + self._run + self._step
            return [
                f"{s.origin} never answered: it matched {len(s.misses)} call(s) but sets "
                f"{sorted(s._next())}, and their output fields were "
                f"{sorted({tuple(m) for m in s.misses})}. Fix the field names or the match."
                for s in scripts
                if s.misses and not s.answered
            ]
