"""Scripts: matching the whole conversation, structured keys, sequences, test scope, errors."""

from __future__ import annotations

import dspy
import pytest

from tutor.lm.offline import OfflineAnswerer, ScriptedAnswer, make_offline_lm
from tutor.lm.scripts import ScriptError, parse_script


@pytest.fixture
def answerer() -> OfflineAnswerer:
    return OfflineAnswerer()


@pytest.fixture
def lm(answerer):
    lm = make_offline_lm(answerer)
    with dspy.context(lm=lm, adapter=None):
        yield lm


def step(answerer, *tables):
    answerer.set_step([], [parse_script(t, f"#{i}") for i, t in enumerate(tables, 1)])


def ask(question, **kwargs):
    return dspy.Predict("question -> answer")(question=question, **kwargs).answer


def test_first_form_still_answers_every_match(lm, answerer):
    answerer.set_step([], [ScriptedAnswer("France", {"answer": "Paris"})])
    assert [ask("Capital of France?"), ask("France again?")] == ["Paris", "Paris"]


def test_when_matches_demos_too(lm, answerer):
    step(answerer, {"when": "shown in a demo", "answer": {"answer": "seen"}})
    predict = dspy.Predict("question -> answer")
    assert predict(question="plain").answer != "seen"
    predict.demos = [dspy.Example(question="shown in a demo", answer="x")]
    assert predict(question="plain").answer == "seen"


def test_inputs_match_this_call_only_not_the_demos(lm, answerer):
    step(answerer, {"inputs": {"question": "Q1"}, "answer": {"answer": "A1"}})
    predict = dspy.Predict("question -> answer")
    predict.demos = [dspy.Example(question="Q1", answer="demo")]
    assert predict(question="Q2").answer != "A1"
    assert predict(question="Q1").answer == "A1"


def test_outputs_pick_the_signature(lm, answerer):
    step(
        answerer,
        {"when": "topic", "outputs": ["summary"], "answer": {"summary": "short"}},
        {"when": "topic", "answer": {"answer": "long"}},
    )
    assert dspy.Predict("question -> summary")(question="topic").summary == "short"
    assert ask("topic") == "long"


def test_answers_are_a_sequence_then_the_script_stops(lm, answerer):
    step(answerer, {"when": "count", "answers": [{"answer": "one"}, {"answer": "two"}]})
    assert [ask("count"), ask("count")] == ["one", "two"]
    assert ask("count").startswith("answer-")  # spent: synthesis answers


def test_sequences_restart_and_test_scripts_end_with_each_test(lm, answerer):
    step(answerer, {"when": "count", "answers": [{"answer": "one"}]})
    answerer.begin_test()
    answerer.add_script("count", {"answer": "from the test"})
    assert ask("count") == "from the test"
    answerer.scripts.end_test()
    answerer.begin_test()
    assert [ask("count"), ask("count")][0] == "one"
    answerer.scripts.end_test()


def test_run_scripts_added_outside_a_test_last(lm, answerer):
    answerer.add_script("kept", {"answer": "still here"})
    answerer.begin_test()
    answerer.scripts.end_test()
    assert ask("kept") == "still here"


def test_a_partly_fitting_answer_is_a_clear_error(lm, answerer):
    step(answerer, {"when": "misfit", "answer": {"answer": "x", "confidense": 0.9}})
    with pytest.raises(Exception, match=r"#1 matched a call whose output fields are \['answer'\]"):
        ask("a misfit")


def test_a_script_for_other_fields_passes_the_call_on(lm, answerer):
    step(answerer, {"when": "topic", "answer": {"summary": "s"}})
    assert ask("topic").startswith("answer-")  # a different signature's script
    assert dspy.Predict("question -> summary")(question="topic").summary == "s"
    assert answerer.scripts.never_answered("all") == []


def test_a_script_that_never_fits_is_reported(lm, answerer):
    answerer.begin_test()
    answerer.add_script("misfit", {"answr": "typo"})
    ask("a misfit")
    (problem,) = answerer.scripts.never_answered("test")
    assert "never answered: it matched 1 call(s) but sets ['answr']" in problem
    assert "[('answer',)]" in problem


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"answer": {"a": 1}}, "say when it applies"),
        ({"when": "x"}, "exactly one of"),
        ({"when": "x", "answer": {"a": 1}, "answers": [{"a": 1}]}, "exactly one of"),
        ({"when": "", "answer": {"a": 1}}, "non-empty string"),
        ({"when": "x", "answers": []}, "non-empty list"),
        ({"when": "x", "answer": {"a": 1}, "wen": "y"}, "unknown keys ['wen']"),
        ({"inputs": {"q": 3}, "answer": {"a": 1}}, "table of strings"),
        ({"outputs": ["answer"], "answer": {"reason": "x"}}, "could never match"),
    ],
)
def test_malformed_scripts_are_refused_with_the_fix(table, problem):
    with pytest.raises(ScriptError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        parse_script(table, "#1")
