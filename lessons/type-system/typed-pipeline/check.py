"""Check for the typed-pipeline step: emails → typed orders, with per-email failures."""

import dspy
import pytest

import typed_pipeline

from tutor import lesson_api

EMAILS = [
    "Hi, Nordwind GmbH here. Please ship 2 x ABC-123 and 1 x XYZ-900 today, it's urgent.",
    "Could Lumen Labs get 5 more ABC-123 when you have time?",
    "Acme again: 3 of the abc123 cables please.",
    "hey so about the thing we discussed, you know what I mean",
]


def scripted_run():
    """run(EMAILS) with the offline LM's scripted replies; skipped on a real LM, whose
    replies to these emails are its own."""
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    report = typed_pipeline.run(EMAILS)
    if lesson_api.answered_by(before) == "model":
        pytest.skip("needs the offline LM's scripted replies (a real LM answers differently)")
    return report


def test_module_registers_the_gil_probe():
    got = [name for name in dir(typed_pipeline) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_good_emails_become_pydantic_orders():
    report = scripted_run()
    got = [order.model_dump(mode="json") for order in report["orders"]]
    want = [
        {"customer": "Nordwind GmbH", "priority": "high", "refund_requested": False,
         "items": [{"sku": "ABC-123", "quantity": 2}, {"sku": "XYZ-900", "quantity": 1}]},
        {"customer": "Lumen Labs", "priority": "low", "refund_requested": False,
         "items": [{"sku": "ABC-123", "quantity": 5}]},
    ]
    assert got == want, (
        "the two good emails should come back as models.Order, unchanged by the round trip "
        "through the serde Order (depythonize, then pythonize + Order.model_validate)"
    )
    assert [type(o).__name__ for o in report["orders"]] == ["Order", "Order"], (
        "report['orders'] should hold pydantic Order models, not dicts"
    )


def test_bad_emails_are_reported_with_the_field():
    got = [(f["index"], f["field"]) for f in scripted_run()["failures"]]
    assert got == [(2, "items[0].sku"), (3, "order")], (
        "email 2 has the SKU 'abc123' (report field 'items[0].sku'); email 3 is a reply DSPy "
        "cannot parse into an Order (AdapterParseError: field 'order'). Neither may stop "
        "the run"
    )


def test_a_failure_says_why():
    failures = scripted_run()["failures"]
    got = [("abc123" in f["reason"], "ABC-123" in f["reason"]) for f in failures[:1]]
    assert got == [(True, True)], (
        f"the SKU failure's reason ({failures[:1]!r}) should show the bad value 'abc123' and "
        "the expected form 'ABC-123'"
    )


def test_summary_is_computed_from_the_good_orders():
    report = scripted_run()
    got = (report["units_per_sku"], report["high_priority"])
    assert got == ({"ABC-123": 7, "XYZ-900": 1}, 1), (
        "units_per_sku should add the quantities of the good orders per SKU (2 + 5 ABC-123, "
        "1 XYZ-900) and high_priority count orders with priority high"
    )


def test_every_email_is_an_order_or_a_failure():
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    report = typed_pipeline.run(EMAILS)
    units = {}
    for order in report["orders"]:
        for item in order.items:
            units[item.sku] = units.get(item.sku, 0) + item.quantity
    got = (len(report["orders"]) + len(report["failures"]), report["units_per_sku"])
    assert got == (len(EMAILS), units), (
        "every email should end as exactly one order or one failure, and units_per_sku "
        "should add up the items of the orders returned (whatever the LM answered)"
    )


def test_no_emails_no_work():
    got = typed_pipeline.run([])
    assert got == {"orders": [], "failures": [], "units_per_sku": {}, "high_priority": 0}, (
        "an empty batch should give an empty report"
    )


def test_no_lm_fails_before_any_email():
    before = len(lesson_api.spans())
    with dspy.context(lm=None):
        try:
            typed_pipeline.run(EMAILS)
        except RuntimeError as e:
            got = "dspy.configure" in str(e)
        else:
            got = "no error"
    assert got is True, (
        "with no LM configured, run() should raise RuntimeError naming dspy.configure "
        "(Extractor::with_configured_lm) instead of failing every email"
    )
    ran = [s.name for s in lesson_api.spans()[before:] if s.kind == "module"]
    assert ran == [], f"no DSPy module should run without an LM (ran: {ran})"


def test_one_predict_per_email():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    before = len(lesson_api.spans())
    typed_pipeline.run(EMAILS)
    got = [s.name for s in lesson_api.spans()[before:] if s.kind == "module"].count("Predict")
    assert got == len(EMAILS), (
        f"expected one dspy.Predict call per email ({len(EMAILS)}), saw {got}: build the "
        "extractor once and call it for each email"
    )
