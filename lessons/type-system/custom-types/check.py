"""Check for the custom-types step: a #[pyclass] enum, a hand-written FromPyObject,
and derived FromPyObject / IntoPyObject."""

import pytest

import custom_types
from custom_types import Priority

from tutor import lesson_api

CHECKOUT = "The checkout button does nothing on Safari."
DARK_MODE = "Please add a dark mode to the settings page."


def outcome(value):
    """The exception type bump(value) raises and its message, or what it returned."""
    try:
        got = custom_types.bump(value)
    except Exception as e:  # noqa: BLE001 - the type is what we check
        return type(e).__name__, str(e)
    return f"returned {got!r}", ""


def test_module_registers_the_gil_probe():
    got = [name for name in dir(custom_types) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_priority_is_an_ordered_python_enum():
    got = (sorted([Priority.HIGH, Priority.LOW, Priority.MEDIUM]), Priority.HIGH.label)
    assert got == ([Priority.LOW, Priority.MEDIUM, Priority.HIGH], "high"), (
        "keep #[pyclass(eq, eq_int, ord, …)] on Priority and its `label` getter"
    )


def test_a_label_converts_to_a_priority():
    got = outcome("low")
    assert got == (f"returned {Priority.MEDIUM!r}", ""), (
        "bump('low') should convert the label with your FromPyObject impl and return "
        "Priority.MEDIUM"
    )


def test_a_priority_instance_converts_as_it_is():
    got = outcome(Priority.HIGH)
    assert got == (f"returned {Priority.HIGH!r}", ""), (
        "bump(Priority.HIGH) should accept the instance (obj.cast::<Priority>()) and "
        "return Priority.HIGH"
    )


def test_an_unknown_label_is_a_value_error():
    kind, message = outcome("urgent")
    got = (kind, "urgent" in message, "low, medium or high" in message)
    assert got == ("ValueError", True, True), (
        "bump('urgent') should raise ValueError naming 'urgent' and the accepted labels "
        f"('low, medium or high'); got {kind}: {message!r}"
    )


def test_a_number_is_a_type_error():
    kind, message = outcome(3)
    assert kind == "TypeError", (
        f"bump(3) is neither a Priority nor a str: let extract::<String>() raise its "
        f"TypeError; got {kind}: {message!r}"
    )


def test_triage_returns_a_dict_with_rust_types():
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    got = custom_types.triage(CHECKOUT)
    if lesson_api.answered_by(before) == "model":  # a real LM: its own values, our types
        shape = (sorted(got), type(got["priority"]).__name__,
                 type(got["estimate"]).__name__ in ("float", "str"))
        assert shape == (["estimate", "priority", "title"], "Priority", True), (
            "triage() should return a dict with a Priority and a float or str estimate"
        )
        return
    want = {"title": "Checkout broken on Safari", "priority": Priority.HIGH, "estimate": 2.5}
    assert got == want, (
        "triage() should extract the Prediction into Triage (derive FromPyObject reads "
        "attributes) and return it; IntoPyObject turns it into a dict"
    )


def test_the_estimate_can_be_a_note():
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    got = custom_types.triage(DARK_MODE)["estimate"]
    if lesson_api.answered_by(before) == "model":
        pytest.skip("a real LM may well estimate hours here")
    assert got == "a week or two", (
        "estimate is Union[float, str]: a str estimate should become Estimate::Note and "
        "come back as the same str"
    )


def test_a_predict_module_ran():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    custom_types.triage(CHECKOUT)
    names = [s.name for s in lesson_api.spans() if s.kind == "module"]
    got = sorted({name for name in names if name == "Predict"})
    assert got == ["Predict"], f"no dspy.Predict module ran (module spans seen: {names})"
