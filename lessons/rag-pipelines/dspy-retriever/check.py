"""Check for the dspy-retriever step: a Rust retriever inside a RAG dspy.Module."""

import dspy
import pytest

import dspy_retriever

from tutor import lesson_api

GIL_QUESTION = "Which call releases the GIL so Python threads run while Rust works?"
PYCLASS_QUESTION = "What does a #[pyclass] become in Python?"


@pytest.fixture(scope="module")
def retriever():
    return dspy_retriever.Retriever(":memory:", k=3)



def test_module_registers_the_gil_probe():
    got = [name for name in dir(dspy_retriever) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_the_retriever_is_a_callable_returning_numbered_passages(retriever):
    try:
        passages = retriever(GIL_QUESTION, k=2)
    except TypeError as e:
        pytest.fail(f"calling the Retriever failed ({e}): give it a __call__ in #[pymethods]")
    got = [(p.id, p.long_text[:24]) for p in passages]
    assert got == [(1, "[1] Python::attach runs "), (2, "[2] Bound<'py, T> is a P")], (
        "retriever(query, k=2) should return the 2 nearest passages, best first, each with "
        "its id and long_text = '[id] ' + the passage text"
    )


def test_dspy_retrieve_uses_the_rust_retriever(retriever):
    with dspy.context(rm=retriever):
        got = dspy.Retrieve(k=3)(GIL_QUESTION).passages
    assert [p[:4] for p in got] == ["[1] ", "[2] ", "[4] "], (
        "dspy.Retrieve(k=3) with dspy.context(rm=retriever) should give the 3 passages' "
        f"long_text, best first; got {got}"
    )


def test_ask_answers_from_the_retrieved_passages(retriever):
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    result = dspy_retriever.ask(GIL_QUESTION, retriever)
    source = lesson_api.answered_by(before)
    got = [p[:4] for p in result.passages]
    assert got == ["[1] ", "[2] ", "[4] "], (
        "Answer.passages should be the passages the RAG program retrieved (its Prediction's "
        "`passages`)"
    )
    assert set(result.citations) <= {1, 2, 4}, "ask() must only return citations it checked"
    if source == "script":
        got = (result.citations, "Python::detach" in result.answer)
        assert got == ([1], True), (
            "ask() should return the Prediction's answer and citations (the offline LM "
            "answers with Python::detach and cites [1])"
        )


def test_the_passages_reach_the_lm_prompt(retriever):
    if not lesson_api.in_tutor_run():
        pytest.skip("spans are recorded only when the tutor runs this check")
    before = len(lesson_api.spans())
    dspy_retriever.ask(GIL_QUESTION, retriever)
    spans = lesson_api.spans()[before:]
    retrieves = [s for s in spans if s.kind == "retrieval" and s.name == "Retrieve"]
    assert len(retrieves) == 1, (
        "one dspy.Retrieve retrieval span should run per ask(): call the RAG program built "
        "from RAG_PY, which retrieves through dspy.Retrieve"
    )
    got = (retrieves[0].inputs.get("query"), retrieves[0].inputs.get("k"))
    assert got == (GIL_QUESTION, 3), "the Retrieve span should show the question and k=3"
    prompt = " ".join(
        str(m.get("content")) for s in spans if s.kind == "lm" for m in (s.messages or [])
    )
    got = "[1] Python::attach runs a closure with the GIL held" in prompt
    assert got is True, (
        "the LM prompt does not contain passage [1]: the retrieved passages must be passed "
        "to the Predict as its `context` input"
    )


def test_a_made_up_citation_is_a_value_error(retriever):
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    try:
        result = dspy_retriever.ask(PYCLASS_QUESTION, retriever)
    except ValueError as e:
        got = "ValueError"
        assert "9" in str(e), f"the message should name the made-up citation 9, got {str(e)!r}"
    else:
        got = f"returned citations {result.citations}"
    if lesson_api.answered_by(before) == "model":
        pytest.skip("a real LM does not cite a passage it never saw on request")
    assert got == "ValueError", (
        "the offline LM cites passage 9, which was not retrieved: check_citations' Err must "
        "reach Python as a ValueError"
    )


def test_embedding_runs_without_the_gil(retriever):
    retriever(GIL_QUESTION)
    got = len(lesson_api.gil_samples(dspy_retriever).get("embed", {}).get("detached_ns", [])) > 0
    assert got is True, (
        "the query embedding should run in gil_probe::detach (the store's search does it)"
    )
