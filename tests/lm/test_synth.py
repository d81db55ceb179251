"""Synthesized answers: agents, code, samples and adapter formats."""

from __future__ import annotations

import dspy
import pytest

from tutor.lm.offline import OfflineAnswerer, make_offline_lm
from tutor.lm.synth import MAX_AGENT_STEPS


@pytest.fixture
def lm():
    lm = make_offline_lm(OfflineAnswerer())
    with dspy.context(lm=lm, adapter=None):
        yield lm


def lookup(country: str) -> str:
    """Find the capital city of a country."""
    if "France" in country:
        return "Paris"
    raise ValueError("unknown")


def multiply(x: float, y: float, exact: bool = True) -> float:
    """Multiply two numbers."""
    return x * y


def names(pred):
    return [pred.trajectory[f"tool_name_{i}"] for i in range(len(pred.trajectory) // 4)]


def test_react_calls_the_fitting_tool_with_schema_valid_args_then_finishes(lm):
    agent = dspy.ReAct("question -> answer", tools=[multiply, lookup])
    pred = agent(question="Which city is the capital of France?")
    assert names(pred) == ["lookup", "finish"]
    assert pred.trajectory["tool_args_0"] == {"country": "Which city is the capital of France?"}
    assert pred.answer == "Paris"
    pred = agent(question="multiply 6 by 7")
    assert pred.trajectory["tool_args_0"] == {"x": 6.0, "y": 7.0}  # `exact` has a default
    assert pred.answer == "42.0"


def test_react_finishes_after_bounded_failures(lm):
    pred = dspy.ReAct("question -> answer", tools=[lookup], max_iters=20)(question="Atlantis?")
    assert names(pred) == ["lookup"] * MAX_AGENT_STEPS + ["finish"]


def test_program_of_thought_runs_the_generated_code(lm):
    pot = dspy.ProgramOfThought("question -> answer", interpreter_factory=dspy.LocalInterpreter)
    assert pot(question="What is (2 + 3) * 4?").answer == "20"


def test_rollouts_differ_and_repeat(lm):
    predict = dspy.Predict("question -> answer")
    greedy = predict(question="q").answer

    def sample(rollout):
        with dspy.context(lm=lm.copy(rollout_id=rollout, temperature=1.0)):
            return predict(question="q").answer

    samples = [sample(i) for i in range(3)]
    assert samples[0] == greedy and len(set(samples)) == 3
    assert [sample(i) for i in range(3)] == samples
    with dspy.context(lm=lm.copy(rollout_id=5, temperature=0.0)):
        assert predict(question="q").answer == greedy  # temperature 0: no sampling


def test_n_completions_differ(lm):
    pred = dspy.Predict("question -> answer", n=3, temperature=1.0)(question="q")
    assert len(set(pred.completions.answer)) == 3


@pytest.mark.parametrize("adapter", [dspy.ChatAdapter(), dspy.JSONAdapter(), dspy.XMLAdapter()])
def test_each_adapter_gets_its_own_format_first_time(lm, adapter):
    with dspy.context(adapter=adapter):
        pred = dspy.Predict("question -> answer, n: int, tags: list[str]")(question="q")
    assert (pred.n, len(pred.tags)) == (0, 1)
    assert len(lm.history) == 1  # parsed: no fallback call


class UseTools(dspy.Signature):
    question: str = dspy.InputField()
    tools: list[dspy.Tool] = dspy.InputField()
    answer: str = dspy.OutputField()
    calls: dspy.ToolCalls = dspy.OutputField()


@pytest.mark.parametrize(
    "adapter",
    [dspy.ChatAdapter(), dspy.ChatAdapter(use_native_function_calling=True), dspy.JSONAdapter()],
    ids=["chat-text", "chat-native", "json-native"],
)
def test_tool_calls_name_a_real_tool_in_text_and_native_modes(lm, adapter):
    with dspy.context(adapter=adapter):
        pred = dspy.Predict(UseTools)(question="capital of France", tools=[dspy.Tool(lookup)])
    (call,) = pred.calls.tool_calls
    assert (call.name, call.args) == ("lookup", {"country": "capital of France"})


def test_a_scripted_tool_call_goes_out_natively(lm):
    answerer = lm.engine.answerer
    calls = {"tool_calls": [{"name": "lookup", "args": {"country": "FR"}}]}
    answerer.add_script("France", {"answer": "calling", "calls": calls})
    with dspy.context(adapter=dspy.JSONAdapter()):
        pred = dspy.Predict(UseTools)(question="capital of France", tools=[dspy.Tool(lookup)])
    assert [(c.name, c.args) for c in pred.calls.tool_calls] == [("lookup", {"country": "FR"})]
