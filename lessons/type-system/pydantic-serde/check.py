"""Check for the pydantic-serde step: pydantic models ↔ serde structs with pythonize."""

import pytest

import pydantic_serde

from tutor import lesson_api

EMAIL = "Hi, attached is invoice INV-2041 for Acme GmbH: 2 days of Rust training and 10 cables."

# The invoice the offline LM extracts from EMAIL (see step.toml), as model_dump(mode="json").
LM_INVOICE = {
    "number": "INV-2041",
    "customer": "Acme GmbH",
    "currency": "EUR",
    "lines": [
        {"description": "Rust training", "type": "service", "quantity": 2, "unit_price": 450.0},
        {"description": "USB-C cables", "type": "product", "quantity": 10, "unit_price": 4.99},
    ],
    "total": None,
}


def invoice(**changes):
    return {**LM_INVOICE, **changes}


def failure(data):
    """(exception type, message) from invoice_total(data)."""
    try:
        got = pydantic_serde.invoice_total(data)
    except Exception as e:  # noqa: BLE001 - the type is what we check
        return type(e).__name__, str(e)
    return f"returned {got!r}", ""


def test_module_registers_the_gil_probe():
    got = [name for name in dir(pydantic_serde) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_total_of_a_pydantic_model():
    model = pydantic_serde.Invoice.model_validate(invoice())
    got = pydantic_serde.invoice_total(model)
    assert got == pytest.approx(949.9), (
        "invoice_total(model) should dump the pydantic model, depythonize it into the Rust "
        "Invoice and return compute_total() (2 × 450.0 + 10 × 4.99 = 949.9)"
    )


def test_a_plain_dict_works_too():
    got = pydantic_serde.invoice_total(invoice(currency="USD", lines=LM_INVOICE["lines"][:1]))
    assert got == pytest.approx(900.0), (
        "a dict with the same keys should deserialize as it is (currency 'USD' → Currency::Usd)"
    )


def test_an_unknown_currency_is_a_value_error():
    kind, message = failure(invoice(currency="GBP"))
    got = (kind, "GBP" in message, "EUR" in message)
    assert got == ("ValueError", True, True), (
        "currency 'GBP' is not a variant: serde's message (unknown variant `GBP`, expected "
        f"`EUR` or `USD`) should reach Python as a ValueError; got {kind}: {message!r}"
    )


def test_a_missing_key_is_a_value_error():
    line = {k: v for k, v in LM_INVOICE["lines"][0].items() if k != "type"}
    kind, message = failure(invoice(lines=[line]))
    got = (kind, "type" in message)
    assert got == ("ValueError", True), (
        "a line without `type` should fail with a ValueError naming the missing field "
        f"`type`; got {kind}: {message!r}"
    )


def test_extract_invoice_returns_the_pydantic_model():
    got = type(pydantic_serde.extract_invoice(EMAIL)).__name__
    assert got == "Invoice", (
        "extract_invoice() should return a models.Invoice (pythonize the Rust Invoice, "
        "then Invoice.model_validate(...))"
    )


def test_round_trip_keeps_every_field_and_adds_the_total():
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    got = pydantic_serde.extract_invoice(EMAIL).model_dump(mode="json")
    if lesson_api.answered_by(before) == "model":  # a real LM: its own invoice, the Rust total
        lines = sum(line["quantity"] * line["unit_price"] for line in got["lines"])
        assert got["total"] == pytest.approx(round(lines, 2)), (
            "extract_invoice() should fill `total` from compute_total()"
        )
        return
    assert got == invoice(total=949.9), (
        "Python → Rust → Python should keep every field as the LM gave it (currency 'EUR', "
        "line `type`s) and fill `total` from compute_total()"
    )


def test_a_predict_module_ran():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    pydantic_serde.extract_invoice(EMAIL)
    names = [s.name for s in lesson_api.spans() if s.kind == "module"]
    got = sorted({name for name in names if name == "Predict"})
    assert got == ["Predict"], f"no dspy.Predict module ran (module spans seen: {names})"
