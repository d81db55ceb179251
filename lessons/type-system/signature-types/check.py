"""Check for the signature-types step: every signature type read into its Rust type."""

import dspy
import pytest

import signature_types

from tutor import lesson_api

REPORT = "The login page crashes when the password has an emoji."

# What the offline LM answers for REPORT (see step.toml), as Python values.
EXPECTED = {
    "title": "Login crashes on emoji passwords",
    "priority": 2,
    "hours": 1.5,
    "urgent": True,
    "tags": ["login", "unicode"],
    "counts": {"crash": 3, "duplicate": 1},
    "assignee": "dana",
    "kind": "bug",
}
FIELDS = list(EXPECTED)


def prediction(**changes):
    """A Prediction like the LM's, with some fields replaced."""
    return dspy.Prediction(**{**EXPECTED, **changes})


def read(ticket):
    return {name: getattr(ticket, name) for name in FIELDS}


def outcome(**changes):
    """The exception type ticket_from_prediction raises, or 'returned …'."""
    try:
        ticket = signature_types.ticket_from_prediction(prediction(**changes))
    except Exception as e:  # noqa: BLE001 - the type is what we check
        return type(e).__name__
    return f"returned {read(ticket)!r}"


def test_module_registers_the_gil_probe():
    got = [name for name in dir(signature_types) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_triage_reads_every_field():
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    got = read(signature_types.triage(REPORT))
    if lesson_api.answered_by(before) == "model":  # a real LM: its own values, the same types
        got = {name: type(value).__name__ for name, value in got.items()}
        want = {name: type(value).__name__ for name, value in EXPECTED.items()}
        want["assignee"] = got["assignee"] if got["assignee"] in ("str", "NoneType") else "str"
        assert got == want, "each Ticket field should have the type the signature declares"
        return
    assert got == EXPECTED, (
        "each Ticket field should be the Prediction's field of the same name, converted "
        "with .extract() into the type the struct declares"
    )


def test_values_cross_back_as_the_same_python_types():
    ticket = signature_types.ticket_from_prediction(prediction())
    got = {name: type(value).__name__ for name, value in read(ticket).items()}
    want = {
        "title": "str", "priority": "int", "hours": "float", "urgent": "bool",
        "tags": "list", "counts": "dict", "assignee": "str", "kind": "str",
    }
    assert got == want, "every Rust field should come back to Python as its own type"


def test_none_becomes_none():
    got = signature_types.ticket_from_prediction(prediction(assignee=None)).assignee
    assert got is None, "assignee: Option<String> should extract Python None as None"


def test_an_int_is_accepted_as_a_float():
    got = signature_types.ticket_from_prediction(prediction(hours=3)).hours
    assert (type(got).__name__, got) == ("float", 3.0), (
        "hours: f64 should accept a Python int (3 → 3.0): extract it as f64"
    )


def test_a_string_is_not_a_list():
    got = outcome(tags="login, unicode")
    assert got == "TypeError", (
        "tags='login, unicode' is a str, not a list: extracting it as Vec<String> must "
        "raise TypeError (read the field with .extract()? and let the error through)"
    )


def test_an_int_is_not_a_bool():
    got = outcome(urgent=1)
    assert got == "TypeError", (
        "urgent=1 is an int: extracting it as bool must raise TypeError (PyO3 accepts "
        "only True/False for bool)"
    )


def test_priority_must_fit_in_a_u8():
    got = outcome(priority=300)
    assert got == "OverflowError", (
        "priority=300 does not fit in a u8: .extract::<u8>() raises OverflowError; "
        "let it reach Python"
    )


def test_counts_values_must_be_ints():
    got = outcome(counts={"crash": "three"})
    assert got == "TypeError", (
        "counts={'crash': 'three'} has a str value: extracting it as HashMap<String, u32> "
        "must raise TypeError"
    )


def test_a_predict_module_ran():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    signature_types.triage(REPORT)
    names = [s.name for s in lesson_api.spans() if s.kind == "module"]
    got = sorted({name for name in names if name == "Predict"})
    assert got == ["Predict"], f"no dspy.Predict module ran (module spans seen: {names})"
