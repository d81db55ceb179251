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


def attaches(label):
    """How many gil_probe::attach(label, ...) calls have finished so far in this run."""
    stats = lesson_api.gil_labels(hello_world).get(label)
    return stats.count if stats else 0


def test_the_predict_call_is_timed_with_gil_probe_attach():
    before = attaches("predict")
    hello_world.ask("What is the capital of France?")
    got = attaches("predict") - before
    assert got == 1, (
        f"one ask() made {got} gil_probe::attach(\"predict\", ...) calls, expected 1: wrap "
        "the call that runs the Predict module in gil_probe::attach(\"predict\", |_py| ...) "
        "so the GIL pane can time it"
    )


def test_the_timed_call_is_the_dspy_call():
    hello_world.ask("What is the capital of France?")
    stats = lesson_api.gil_labels(hello_world).get("predict")
    got = (stats.hold_max_us if stats else None) or 0.0
    assert got >= 100, (
        f"the \"predict\" attach held the GIL for only {got:.1f} µs: a DSPy call takes far "
        "longer, so the Predict call is not inside the closure. Put the call itself there: "
        "gil_probe::attach(\"predict\", |_py| predict.call(...))"
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
