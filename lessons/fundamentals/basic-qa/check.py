"""Check for the basic-qa step: `basic_qa.ask(question)` runs dspy.ChainOfThought."""

import pytest

import basic_qa

from tutor import lesson_api

BOILING = "What is the boiling point of water at sea level?"


def test_module_registers_the_gil_probe():
    got = [name for name in dir(basic_qa) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` "
        "in `fn basic_qa` (the #[pymodule])"
    )


def test_ask_returns_a_qaresult():
    got = type(basic_qa.ask(BOILING)).__name__
    assert got == "QaResult", "ask() should return the #[pyclass] QaResult"


def test_reasoning_comes_from_chain_of_thought():
    got = basic_qa.ask(BOILING).reasoning
    assert got == "At sea level the pressure is 1 atm, where water boils at 100 degrees Celsius.", (
        "QaResult.reasoning should be the Prediction's `reasoning` field, which "
        "dspy.ChainOfThought adds in front of your outputs"
    )


def test_answer_is_extracted_and_tidied():
    got = basic_qa.ask(BOILING).answer
    if got == "100   degrees  Celsius.":
        pytest.fail(
            "the answer is DSPy's raw text '100   degrees  Celsius.': pass it through "
            "tidy_answer inside gil_probe::detach(py, \"tidy\", ...)"
        )
    assert got == "100 degrees Celsius", (
        "QaResult.answer should be the Prediction's `answer` field after tidy_answer "
        "(the offline LM answers '100   degrees  Celsius.')"
    )


def test_confidence_is_a_float():
    got = basic_qa.ask(BOILING).confidence
    assert type(got).__name__ == "float", "QaResult.confidence should be an f64 (a Python float)"
    assert got == pytest.approx(0.9), (
        "QaResult.confidence should be the Prediction's `confidence` field, extracted "
        "with .extract::<f64>() (the offline LM answers 0.9)"
    )


def test_out_of_range_confidence_is_a_value_error():
    try:
        result = basic_qa.ask("How many moons does Mars have?")
    except ValueError as e:
        got = "ValueError"
        assert "between 0 and 1" in str(e), (
            f"raise the message from check_confidence, got {str(e)!r}"
        )
    else:
        got = f"returned {result!r}"
    assert got == "ValueError", (
        "the LM said confidence 7.5 here: check_confidence's Err must reach Python as a "
        "ValueError (.map_err(PyValueError::new_err)?)"
    )


def probe(label):
    """(attach calls, detach calls) recorded under ``label`` so far in this run."""
    stats = lesson_api.gil_labels(basic_qa).get(label)
    return (stats.count, stats.detached_count) if stats else (0, 0)


def test_the_chain_of_thought_call_is_timed_with_gil_probe_attach():
    before = probe("chain_of_thought")[0]
    basic_qa.ask(BOILING)
    got = probe("chain_of_thought")[0] - before
    assert got == 1, (
        f"one ask() made {got} gil_probe::attach(\"chain_of_thought\", ...) calls, expected "
        "1: wrap the call that runs ChainOfThought in "
        "gil_probe::attach(\"chain_of_thought\", |_py| ...)"
    )
    held = lesson_api.gil_labels(basic_qa)["chain_of_thought"].hold_max_us or 0.0
    assert held >= 100, (
        f"the \"chain_of_thought\" attach held the GIL for only {held:.1f} µs: the DSPy call "
        "is not inside its closure"
    )


def test_tidying_runs_with_the_gil_released():
    before = probe("tidy")[1]
    basic_qa.ask(BOILING)
    got = probe("tidy")[1] - before
    assert got == 1, (
        f"one ask() released the GIL {got} times under \"tidy\", expected 1: tidy_answer and "
        "check_confidence are plain Rust, so run them inside "
        "gil_probe::detach(py, \"tidy\", move || ...) and let other Python threads run"
    )


def test_an_out_of_range_confidence_is_also_checked_without_the_gil():
    before = probe("tidy")[1]
    try:
        basic_qa.ask("How many moons does Mars have?")
    except ValueError:
        pass  # what should happen (test_out_of_range_confidence_is_a_value_error)
    got = probe("tidy")[1] - before
    assert got == 1, (
        f"the confidence 7.5 was rejected after {got} GIL releases under \"tidy\", expected "
        "1: call check_confidence inside the same gil_probe::detach(py, \"tidy\", ...) "
        "closure as tidy_answer"
    )


def test_a_chain_of_thought_module_ran():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    basic_qa.ask(BOILING)
    names = [s.name for s in lesson_api.spans() if s.kind == "module"]
    got = sorted({name for name in names if name == "ChainOfThought"})
    assert got == ["ChainOfThought"], (
        f"no dspy.ChainOfThought module ran (module spans seen: {names}): build it with "
        "dspy.getattr(\"ChainOfThought\")?.call1((SIGNATURE,))? and call it"
    )
