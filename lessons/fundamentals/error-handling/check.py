"""Check for the error-handling step: Rust errors ↔ Python exceptions, and panics."""

import dspy
import pytest

import error_handling as eh

from tutor import lesson_api

SURE = "question -> answer, confidence: float"


def exception(name):
    """The module's exception class ``name``, or a failure saying how to declare it."""
    cls = getattr(eh, name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        pytest.fail(
            f"error_handling has no exception {name}: declare it with "
            f"create_exception!(error_handling, {name}, AskFailed) and add it to the "
            f"module with m.add(\"{name}\", py.get_type::<{name}>())?"
        )
    return cls


def raised_by(call):
    """The exception ``call()`` raised (None if it returned); panics included."""
    try:
        call()
    except BaseException as e:  # PanicException is a BaseException
        if type(e).__name__ == "PanicException":
            pytest.fail(
                f"Rust panicked: {e}. A panic is a bug, not an error path: fix the code "
                "that panicked, or return an Err for input you refuse"
            )
        return e
    return None


def lm_calls():
    return sum(1 for s in lesson_api.spans() if s.kind == "lm")


def test_a_good_question_is_answered():
    got = eh.ask("What is the capital of France?")
    assert got == "Paris", "ask() should return the prediction's `answer` field"


def test_an_empty_question_is_empty_question_before_any_lm_call():
    empty_question = exception("EmptyQuestion")
    before = lm_calls()
    e = raised_by(lambda: eh.ask("   "))
    got = type(e).__name__
    assert got == "EmptyQuestion", (
        "ask(\"   \") should raise EmptyQuestion (AskError::EmptyQuestion → "
        "EmptyQuestion::new_err in your From<AskError> for PyErr)"
    )
    got = [issubclass(empty_question, eh.AskFailed), issubclass(eh.AskFailed, Exception)]
    assert got == [True, True], "EmptyQuestion should subclass AskFailed (create_exception!'s base)"
    assert lm_calls() == before, "refuse an empty question before calling DSPy: no LM call"


def test_an_unparseable_reply_is_bad_reply_with_context():
    exception("BadReply")
    # A real model would answer with a number: this one is scripted to fail (offline/…).
    with lesson_api.offline_provider(), dspy.context(lm=dspy.LM("offline/unsure")):
        e = raised_by(lambda: eh.ask("How sure are you?", signature=SURE))
    got = type(e).__name__
    assert got == "BadReply", (
        f"the LM answered confidence 'très haute' for a float; DSPy raised AdapterParseError, "
        f"and ask() should turn it into BadReply (got {got}: {e})"
    )
    assert "très haute" in str(e), (
        f"BadReply's message should quote the LM's reply (lm_response), got: {e}"
    )
    got = type(e.__cause__).__name__
    assert got == "AdapterParseError", (
        "keep DSPy's AdapterParseError as the cause: bad.set_cause(py, Some(source))"
    )


def test_a_missing_field_names_the_fields_there_are():
    exception("MissingField")
    e = raised_by(lambda: eh.ask("Name a colour.", signature="question -> colour"))
    got = type(e).__name__
    assert got == "MissingField", (
        f"with the signature 'question -> colour' the Prediction has no `answer`: the "
        f"AttributeError should become MissingField (got {got}: {e})"
    )
    got = ["answer" in str(e), "colour" in str(e)]
    assert got == [True, True], (
        f"MissingField's message should name the missing field and the ones there are "
        f"(prediction.keys()), got: {e}"
    )


def test_other_python_errors_pass_through_unchanged():
    e = raised_by(lambda: eh.ask("Why?", signature="question answer"))
    got = type(e).__name__
    assert got == "ValueError", (
        "DSPy's ValueError for a malformed signature is the caller's mistake: let it through "
        f"unchanged (AskError::Python), got {got}: {e}"
    )


def test_excerpt_counts_characters_not_bytes():
    got = [raised_by(lambda: eh.excerpt("Crème brûlée", 3)) is None, eh.excerpt("Crème brûlée", 3)]
    assert got == [True, "Crè…"], (
        "excerpt(\"Crème brûlée\", 3) should be \"Crè…\": cut after 3 characters "
        "(text.char_indices().nth(max_chars)), not at byte 3"
    )
    got = [eh.excerpt("short", 10), eh.excerpt("", 0)]
    assert got == ["short", ""], "a text that fits comes back whole, without '…'"


def test_a_panic_is_a_panic_exception_not_an_exception():
    try:
        eh.panic_with("invariant broken")
    except Exception as e:  # noqa: BLE001 — this is what must NOT happen
        pytest.fail(f"a panic was caught by `except Exception` ({type(e).__name__}: {e})")
    except BaseException as e:
        got = (type(e).__name__, str(e))
        assert got == ("PanicException", "invariant broken"), (
            "PyO3 turns a panic in a #[pyfunction] into pyo3_runtime.PanicException"
        )
    else:
        pytest.fail("panic_with() returned: keep its panic!, it is the exhibit")
