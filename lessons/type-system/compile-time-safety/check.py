"""Check for the compile-time-safety step: a signature declared as Rust structs, and a
program whose type says whether it has an LM."""

import dspy
import pytest
from dspy.utils import DummyLM

import compile_time_safety

from tutor import lesson_api

QUESTION = "What does PhantomData do?"


def failure(*args, **kwargs):
    try:
        got = compile_time_safety.ask(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the type is what we check
        return type(e).__name__, str(e)
    return f"returned {got!r}", ""


def test_module_registers_the_gil_probe():
    got = [name for name in dir(compile_time_safety) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_the_spec_comes_from_the_structs():
    got = compile_time_safety.spec()
    assert got == "question: str -> answer: str, confidence: float", (
        "spec() should be Qa::spec(), built by signature! from the QaInput/QaOutput fields"
    )


def test_ask_with_the_configured_lm():
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    got = compile_time_safety.ask(QUESTION)
    if lesson_api.answered_by(before) == "model":  # a real LM: its own answer, our types
        shape = {key: type(value).__name__ for key, value in got.items()}
        assert shape == {"answer": "str", "confidence": "float"}, (
            "ask() should return QaOutput as a dict of answer (str) and confidence (float)"
        )
        return
    want = {
        "answer": "It marks a type parameter the struct uses without storing a value of it.",
        "confidence": 0.9,
    }
    assert got == want, (
        "ask(question) should configure the program from dspy.settings.lm "
        "(with_configured_lm), call it, and return QaOutput (a dict via IntoPyObject)"
    )


def test_ask_with_its_own_lm():
    own = DummyLM([{"answer": "from my own LM", "confidence": "0.25"}])
    got = compile_time_safety.ask(QUESTION, lm=own)
    assert got == {"answer": "from my own LM", "confidence": 0.25}, (
        "ask(question, lm=...) should give the Predict that LM (with_lm → set_lm), so it "
        "answers instead of the configured one"
    )


def test_a_model_string_is_refused_early():
    kind, message = failure(QUESTION, lm="openai/gpt-4o-mini")
    got = (kind, "BaseLM" in message)
    assert got == ("TypeError", True), (
        "lm='openai/gpt-4o-mini' is a str, not an LM: with_lm should raise TypeError "
        f"mentioning dspy.BaseLM; got {kind}: {message!r}"
    )


def test_no_lm_is_a_clear_error_before_any_call():
    before = len(lesson_api.spans())
    with dspy.context(lm=None):
        kind, message = failure(QUESTION)
    got = (kind, "dspy.configure" in message)
    assert got == ("RuntimeError", True), (
        "with no LM configured, with_configured_lm should raise RuntimeError telling the "
        f"caller to call dspy.configure(lm=...); got {kind}: {message!r}"
    )
    ran = [s.name for s in lesson_api.spans()[before:] if s.kind == "module"]
    assert ran == [], f"no DSPy module should run when there is no LM (ran: {ran})"


def test_a_predict_module_ran():
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    compile_time_safety.ask(QUESTION)
    names = [s.name for s in lesson_api.spans() if s.kind == "module"]
    got = sorted({name for name in names if name == "Predict"})
    assert got == ["Predict"], f"no dspy.Predict module ran (module spans seen: {names})"
