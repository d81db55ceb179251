"""Check for the robust-parsing step: a typed reading with a lenient fallback."""

import pytest
from dspy.utils.exceptions import AdapterParseError

import robust_parsing

from tutor import lesson_api

CLEAN = "Shipping was fast and the box arrived intact."
MESSY = "The new dashboard is so much quicker, love it."
HOPELESS = "The app crashes every time I open settings."


def failure(fn, *args):
    try:
        got = fn(*args)
    except Exception as e:  # noqa: BLE001 - the type is what we check
        return type(e).__name__, (str(e).splitlines() or [""])[0]
    return f"returned {got!r}", ""


def read(message):
    """robust_parsing.read(message), with a pointer when DSPy's parse error escapes."""
    try:
        return robust_parsing.read(message)
    except AdapterParseError as e:
        pytest.fail(
            "DSPy's AdapterParseError reached Python: read() should catch it (and only it) "
            f"and ask again with the LENIENT signature. DSPy said: {str(e).splitlines()[0]}"
        )


def predict_spans_during(fn, *args):
    """How many Predict module spans finished while fn(*args) ran."""
    before = len(lesson_api.spans())
    fn(*args)
    return [s.name for s in lesson_api.spans()[before:] if s.kind == "module"].count("Predict")


def test_module_registers_the_gil_probe():
    got = [name for name in dir(robust_parsing) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


@pytest.mark.parametrize(
    "raw, expected",
    [("0.85", (0.85, "number")), ("85%", (0.85, "percent")), ("Very high", (0.95, "word")),
     ("low.", (0.2, "word"))],
)
def test_confidence_fallbacks(raw, expected):
    got = robust_parsing.parse_confidence(raw)
    assert got == pytest.approx(expected), (
        f"parse_confidence({raw!r}) should give {expected}: a number, a percentage, or one of "
        "the words very high / high / medium / low (case and a final '.' ignored)"
    )


def test_unreadable_confidence_says_what_was_tried():
    kind, message = failure(robust_parsing.parse_confidence, "dunno")
    got = (kind, "`confidence`" in message, "dunno" in message, "percent" in message)
    assert got == ("ValueError", True, True, True), (
        "parse_confidence('dunno') should raise ValueError naming `confidence`, the value and "
        f"what was tried (a number, a percentage, a word); got {kind}: {message!r}"
    )


def test_out_of_range_is_refused_not_clamped():
    kind, message = failure(robust_parsing.parse_confidence, "150%")
    assert kind == "ValueError", (
        f"'150%' is 1.5: refuse it with a ValueError instead of clamping; got {kind}: {message!r}"
    )


@pytest.mark.parametrize(
    "raw, expected",
    [('["release", "ui"]', (["release", "ui"], "json list")),
     ("dashboard, performance", (["dashboard", "performance"], "comma list")),
     ("- login\n- billing", (["login", "billing"], "comma list")),
     ("null", ([], "empty")), ("  ", ([], "empty"))],
)
def test_topics_fallbacks(raw, expected):
    got = robust_parsing.parse_topics(raw)
    assert got == expected, (
        f"parse_topics({raw!r}) should give {expected}: a JSON list, a list split on ',' ';' "
        "or newlines (a leading '-' dropped), or no topics for '', none, null, n/a"
    )


def needs_the_script(before):
    """Skip on a real LM: these tests need the offline LM's deliberately messy replies."""
    if lesson_api.answered_by(before) == "model":
        pytest.skip("needs the offline LM's scripted reply (a real LM answers differently)")


def test_a_clean_reply_is_read_typed():
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    got = read(CLEAN)
    if lesson_api.answered_by(before) == "model":  # a real LM: either path, a valid reading
        shape = (got.sentiment in ("positive", "neutral", "negative"),
                 0 <= got.confidence <= 1, got.parser in ("typed", "lenient"))
        assert shape == (True, True, True), f"read() should return a valid Reading: {got!r}"
        return
    want = ("positive", 0.9, ["shipping", "packaging"], "typed", [])
    assert (got.sentiment, got.confidence, got.topics, got.parser, got.repairs) == want, (
        "a reply that fits the TYPED signature should be read straight from the Prediction"
    )


def test_a_messy_reply_falls_back_and_says_how():
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    got = read(MESSY)
    needs_the_script(before)
    want = ("positive", 0.85, ["dashboard", "performance"], "lenient",
            ["sentiment: normalized", "confidence: percent", "topics: comma list"])
    assert (got.sentiment, got.confidence, got.topics, got.parser, got.repairs) == want, (
        "the LM answered sentiment 'Positive', confidence '85%' and topics as text: DSPy "
        "raises AdapterParseError for the TYPED signature, so read() should ask again with "
        "LENIENT and parse the strings with parse_lenient"
    )


def test_the_fallback_is_a_second_dspy_call():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    before = len(lesson_api.spans())
    got = (predict_spans_during(read, CLEAN),
           predict_spans_during(read, MESSY))
    needs_the_script(before)
    assert got == (1, 2), (
        "a clean reply should take one dspy.Predict call, a messy one two (TYPED, which "
        "fails to parse, then LENIENT)"
    )


def test_a_hopeless_reply_is_a_value_error():
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    kind, message = failure(robust_parsing.read, HOPELESS)
    needs_the_script(before)
    got = (kind, "`confidence`" in message)
    assert got == ("ValueError", True), (
        "when even the fallbacks cannot read the LM's confidence ('no idea'), read() should "
        f"raise ValueError naming `confidence`; got {kind}: {message!r}"
    )
