"""Check for the hello-world step: `hello_world.ask(question)` runs dspy.Predict."""

import pytest

import hello_world

from tutor import lesson_api


def test_module_registers_the_gil_probe():
    got = [name for name in dir(hello_world) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` "
        "in `fn hello_world` (the #[pymodule])"
    )


def test_ask_returns_the_answer_as_a_string():
    got = hello_world.ask("What is the capital of France?")
    assert type(got).__name__ == "str", "ask() should return a Rust String (a Python str)"
    assert got == "Paris", (
        "ask() should return the `answer` field of the Prediction that "
        "dspy.Predict(\"question -> answer\") produced (the offline LM answers 'Paris')"
    )


def test_ask_passes_the_question_on():
    got = hello_world.ask("Which is the largest planet in the solar system?")
    assert got == "Jupiter", (
        "a different question should give a different answer: pass `question` to the "
        "Predict call as the keyword argument question=..., not a fixed string"
    )


def test_a_predict_module_ran():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    hello_world.ask("What is the capital of France?")
    names = [s.name for s in lesson_api.spans() if s.kind == "module"]
    got = sorted({name for name in names if name == "Predict"})
    assert got == ["Predict"], (
        f"no dspy.Predict module ran (module spans seen: {names}): build it with "
        "dspy.getattr(\"Predict\")?.call1((\"question -> answer\",))? and call it"
    )
