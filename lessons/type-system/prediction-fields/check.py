"""Check for the prediction-fields step: field errors that name the field and the fix."""

import dspy
import pytest

import prediction_fields

from tutor import lesson_api

QUESTION = "Which crate turns Rust structs into Python dicts?"

GOOD = {
    "answer": "pythonize",
    "confidence": 0.8,
    "sources": ["docs.rs/pythonize", "github.com/davidhewitt/pythonize"],
}


def failure(**fields):
    """(exception type, message) from read_answer on a Prediction with these fields."""
    try:
        got = prediction_fields.read_answer(dspy.Prediction(**fields))
    except Exception as e:  # noqa: BLE001 - the type is what we check
        return type(e).__name__, str(e)
    return f"returned {got!r}", ""


def test_module_registers_the_gil_probe():
    got = [name for name in dir(prediction_fields) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_ask_returns_the_validated_answer():
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    got = prediction_fields.ask(QUESTION)
    if lesson_api.answered_by(before) == "model":  # a real LM: its own answer, validated
        shape = (type(got.answer).__name__, 0 <= got.confidence <= 1,
                 all(isinstance(s, str) for s in got.sources))
        assert shape == ("str", True, True), "ask() should return a validated Answer"
        return
    assert (got.answer, got.confidence, got.sources) == (
        GOOD["answer"], GOOD["confidence"], GOOD["sources"]
    ), "ask() should return the Prediction's answer, confidence and sources"


def test_a_missing_field_is_named():
    kind, message = failure(answer="pythonize", sources=["docs.rs"])
    assert kind == "AttributeError", (
        "a Prediction without `confidence` should raise AttributeError (FieldError::Missing)"
    )
    got = [word for word in ("`confidence`", "answer", "sources") if word in message]
    assert got == ["`confidence`", "answer", "sources"], (
        f"the message {message!r} should name the missing field in backticks and list "
        "the fields the Prediction does have"
    )


def test_a_wrong_type_names_field_expected_and_given():
    kind, message = failure(**{**GOOD, "confidence": "high"})
    assert kind == "TypeError", (
        "confidence='high' cannot be an f64: raise TypeError (FieldError::WrongType)"
    )
    got = [word for word in ("`confidence`", "float", "str", "'high'") if word in message]
    assert got == ["`confidence`", "float", "str", "'high'"], (
        f"the message {message!r} should name the field, the expected type (float), "
        "the Python type the LM gave (str) and the value's repr ('high')"
    )


def test_a_wrong_list_names_its_type():
    kind, message = failure(**{**GOOD, "sources": "docs.rs"})
    got = (kind, "`sources`" in message, "list[str]" in message)
    assert got == ("TypeError", True, True), (
        f"sources='docs.rs' should raise TypeError naming `sources` and list[str] (got "
        f"{kind}: {message!r})"
    )


def test_confidence_out_of_range_is_a_value_error():
    kind, message = failure(**{**GOOD, "confidence": 1.7})
    got = (kind, "`confidence`" in message, "1.7" in message)
    assert got == ("ValueError", True, True), (
        f"confidence=1.7 should raise ValueError naming `confidence` and the value 1.7 "
        f"(got {kind}: {message!r})"
    )


def test_blank_answer_is_a_value_error():
    kind, message = failure(**{**GOOD, "answer": "   "})
    got = (kind, "`answer`" in message)
    assert got == ("ValueError", True), (
        f"a blank answer should raise ValueError naming `answer` (got {kind}: {message!r})"
    )


def test_the_ask_errors_come_from_the_lm_answer():
    if not lesson_api.in_tutor_run():
        pytest.skip("lesson_api.script works only when the tutor runs this check")
    lesson_api.script("Is Rust fast", answer="Yes", confidence=4.0, sources=["benchmarks"])
    before = len(lesson_api.spans())
    try:
        prediction_fields.ask("Is Rust fast?")
    except ValueError as e:
        got = "`confidence`" in str(e)
    else:
        got = "no error"
    if lesson_api.answered_by(before) == "model":
        pytest.skip("a real LM does not claim a confidence of 4.0 on request")
    assert got is True, "ask() should validate the LM's Prediction with read_answer"
