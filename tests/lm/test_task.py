"""The task model: answers follow the prompt's rules and demos, never the gold label."""

from __future__ import annotations

from pathlib import Path

import dspy
import pytest

from tutor.lm.offline import OfflineAnswerer, make_offline_lm
from tutor.lm.task import TaskError, parse_task

TASK = {
    "input": "ticket",
    "output": "team",
    "labels": ["billing", "shipping"],
    "examples": [
        {"input": "refund my invoice", "output": "billing"},
        {"input": "parcel delivery late", "output": "shipping"},
    ],
}


@pytest.fixture
def answerer():
    return OfflineAnswerer(task=parse_task(TASK, Path()))


@pytest.fixture
def lm(answerer):
    lm = make_offline_lm(answerer)
    with dspy.context(lm=lm, adapter=None):
        yield lm


def test_without_demos_or_rules_it_answers_the_default(lm, answerer):
    assert dspy.Predict("ticket -> team")(ticket="where is my parcel").team == "billing"
    assert answerer.last_source() == "task"


def test_the_most_similar_demo_decides(lm):
    predict = dspy.Predict("ticket -> team")
    predict.demos = [
        dspy.Example(ticket="invoice wrong", team="billing"),
        dspy.Example(ticket="parcel missing", team="shipping"),
    ]
    assert predict(ticket="where is my parcel").team == "shipping"
    assert predict(ticket="something else entirely").team == "billing"


def test_rules_in_the_instructions_come_first(lm):
    sig = dspy.Signature("ticket -> team").with_instructions(
        'Route tickets.\n- If the ticket mentions "parcel", answer "shipping".'
    )
    pred = dspy.ChainOfThought(sig)(ticket="my parcel")
    assert pred.team == "shipping" and "parcel" in pred.reasoning


def test_instruction_writers_add_rules_from_knowledge(lm):
    pred = dspy.Predict("basic_instruction -> proposed_instruction")(
        basic_instruction="Route tickets."
    )
    assert pred.proposed_instruction.startswith("Route tickets.")
    assert '"invoice", answer "billing"' in pred.proposed_instruction
    assert '"parcel", answer "shipping"' in pred.proposed_instruction


def test_bootstrap_few_shot_gains_through_demos(lm):
    def ex(t, team):
        return dspy.Example(ticket=t, team=team).with_inputs("ticket")

    train = [ex("refund please", "billing"), ex("parcel lost", "shipping")]
    dev = [ex("refund now", "billing"), ex("parcel late", "shipping")]
    metric = lambda g, p, trace=None: g.team == p.team  # noqa: E731
    evaluate = dspy.Evaluate(devset=dev, metric=metric, display_progress=False)
    program = dspy.Predict("ticket -> team")
    optimized = dspy.BootstrapFewShot(metric=metric).compile(program, trainset=train)
    assert (evaluate(program).score, evaluate(optimized).score) == (50.0, 100.0)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"labels": []}, "`labels` must be a non-empty list"),
        ({"input": ""}, "`input` must name a field"),
        ({"examples": [{"input": "x", "output": "nope"}]}, "is not a label"),
        ({"examples": "missing.jsonl"}, "is missing"),
        ({"extra": 1}, "unknown keys ['extra']"),
    ],
)
def test_malformed_tasks_are_refused(change, problem):
    with pytest.raises(TaskError) as info:
        parse_task({**TASK, **change}, Path("."))
    assert problem in str(info.value)
