"""A simulated model for one labelling task, whose accuracy follows its prompt.

A step defines the task (``[lm.task]``): which input field holds the text, which output
field gets the label, the labels, and labelled examples. The examples are the model's
*latent knowledge*: it never looks them up to answer a question. It answers only from
what the prompt carries, in this order:

1. a rule in the instructions, ``If the <input> mentions "<keyword>", answer "<label>".``,
   whose keyword is a word of the input (first such rule wins);
2. the demo in the prompt most similar to the input (most shared content words, at
   least one; the earlier demo on a tie): its label;
3. otherwise its default, the first label; a later sample (temperature > 0, e.g.
   BestOfN's rollouts) guesses instead: a label picked by a hash of input and sample.

Asked to *write* instructions (an output field named like ``*instruction*``), it writes
the current instruction plus keyword rules drawn from its knowledge: all of them for the
first sample, a varying subset for later samples. So optimizers gain for what they change:
demos (BootstrapFewShot, MIPROv2, SIMBA) or instructions (COPRO, MIPROv2, GEPA).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.lm.prompt import Call, content_words

TASK_KEYS = {"input", "output", "labels", "examples"}
_RULE = re.compile(r'mentions\s+"([^"]+)",\s*answer\s+"([^"]+)"', re.IGNORECASE)
_RULES_HEADER = "Rules:"


class TaskError(ValueError):
    """A malformed ``[lm.task]``."""


@dataclass(frozen=True)
class Task:
    input: str
    output: str
    labels: tuple[str, ...]
    examples: tuple[tuple[str, str], ...]  # (input text, label)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "labels": list(self.labels),
            "examples": [{"input": i, "output": o} for i, o in self.examples],
        }

    # -- answering --------------------------------------------------------------------

    def applies(self, call: Call) -> bool:
        return self.input in call.inputs and self.output in call.output_names

    def answer(self, call: Call, sample: int) -> tuple[str, str]:
        """(label, why) for this call, from its instructions and demos only."""
        text = call.inputs[self.input]
        words = content_words(text)
        for keyword, label in rules_in(call.instructions):
            if content_words(keyword) and content_words(keyword) <= words:
                return label, f'The instructions say "{keyword}" means {label}.'
        best, best_overlap = None, 0
        for demo_in, demo_out in call.demos:
            if self.input not in demo_in or self.output not in demo_out:
                continue
            overlap = len(words & content_words(demo_in[self.input]))
            if overlap > best_overlap:
                best, best_overlap = demo_out[self.output], overlap
        if best is not None:
            return str(best), f"This looks like an example I was shown, labelled {best}."
        if not sample:
            default = self.labels[0]
            return default, f"Nothing in my instructions or examples covers this: {default}."
        label = self.labels[_hash(text, sample) % len(self.labels)]
        return label, "Nothing in my instructions or examples covers this; I guess."

    # -- writing instructions -----------------------------------------------------------

    def writes_instructions(self, call: Call) -> list[str]:
        return [
            n for n, note in call.outputs if "instruction" in n.lower() and not note
        ]

    def knowledge_rules(self) -> list[tuple[str, str]]:
        """Keyword → label: words seen with exactly one label in the examples, most
        frequent first."""
        seen: dict[str, set[str]] = {}
        counts: Counter[str] = Counter()
        for text, label in self.examples:
            for word in content_words(text):
                seen.setdefault(word, set()).add(label)
                counts[word] += 1
        single = [w for w, labels in seen.items() if len(labels) == 1]
        single.sort(key=lambda w: (-counts[w], w))
        return [(w, next(iter(seen[w]))) for w in single]

    def propose(self, call: Call, sample: int) -> str:
        base = next(
            (
                str(v)
                for k, v in call.inputs.items()
                if "instruction" in k.lower() and str(v).strip()
            ),
            call.instructions,
        )
        base = base.split(_RULES_HEADER)[0].strip()
        rules = self.knowledge_rules()
        if sample:
            rules = [r for r in rules if _hash(r[0], sample) % 3 != 0]
        lines = [f'- If the {self.input} mentions "{w}", answer "{label}".' for w, label in rules]
        return "\n".join([base, "", _RULES_HEADER, *lines]) if lines else base


def rules_in(instructions: str) -> list[tuple[str, str]]:
    return _RULE.findall(instructions)


def _hash(text: str, sample: int) -> int:
    return int(hashlib.sha256(f"{sample}:{text}".encode()).hexdigest()[:8], 16)


# --- loading ------------------------------------------------------------------------------


def parse_task(table: Any, base_dir: Path) -> Task:
    """A Task from ``[lm.task]``; ``examples`` is a list of tables or a JSON-lines file."""
    if not isinstance(table, dict):
        raise TaskError("[lm.task] must be a table")
    unknown = sorted(set(table) - TASK_KEYS)
    if unknown:
        raise TaskError(f"[lm.task]: unknown keys {unknown} (use {sorted(TASK_KEYS)})")
    for key in ("input", "output"):
        if not isinstance(table.get(key), str) or not table[key]:
            raise TaskError(f'[lm.task]: `{key}` must name a field, e.g. {key} = "text"')
    labels = table.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise TaskError('[lm.task]: `labels` must be a non-empty list, e.g. ["yes", "no"]')
    raw = table.get("examples", [])
    if isinstance(raw, str):
        raw = _read_examples(base_dir / raw)
    if not isinstance(raw, list):
        raise TaskError("[lm.task]: `examples` must be a list of tables or a .jsonl file name")
    examples = []
    for i, ex in enumerate(raw, start=1):
        if not isinstance(ex, dict) or set(ex) != {"input", "output"}:
            raise TaskError(f'[lm.task]: example {i} must be {{ input = "…", output = "…" }}')
        if ex["output"] not in labels:
            raise TaskError(f"[lm.task]: example {i}'s output {ex['output']!r} is not a label")
        examples.append((str(ex["input"]), str(ex["output"])))
    return Task(table["input"], table["output"], tuple(labels), tuple(examples))


def _read_examples(path: Path) -> list[Any]:
    if not path.is_file():
        raise TaskError(f"[lm.task]: the examples file {path.name!r} is missing")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise TaskError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
    return rows
