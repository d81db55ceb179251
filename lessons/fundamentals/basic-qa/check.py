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
