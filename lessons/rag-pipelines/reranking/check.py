"""Check for the reranking step: a Rust cross-scorer over the hybrid candidates."""

import dspy
import pytest

import reranking as rr

from tutor import lesson_api

OBJECT_QUESTION = "How do I keep a Python object in a Rust struct and send it to another thread?"


@pytest.fixture(scope="module")
def retrievers():
    return rr.HybridRetriever(":memory:", k=3), rr.RerankingRetriever(":memory:", k=3)


def measure(retriever):
    """(queries whose top passage is relevant, mean reciprocal rank of the first relevant
    passage in the top 8) over the lesson's labelled queries."""
    top1, reciprocal = 0, 0.0
    for query, relevant in rr.labelled():
        ids = [p.id for p in retriever(query, k=8)]
        top1 += bool(ids) and ids[0] in relevant
        reciprocal += next((1 / (i + 1) for i, x in enumerate(ids) if x in relevant), 0.0)
    return top1, round(reciprocal / len(rr.labelled()), 3)


def test_module_registers_the_gil_probe():
    got = [name for name in dir(rr) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_rerank_sorts_by_cross_score():
    passages = ["[8] dspy.configure sets the default LM for the program.",
                "[16] the bundled feature of rusqlite compiles SQLite."]
    got = [i for i, _ in rr.rerank("rusqlite feature", passages)]
    assert got == [16, 8], (
        f"rerank('rusqlite feature', [8, 16]) gave {got}: score every passage with "
        "cross_score(query, passage) and sort best first"
    )
    got = rr.rerank("nothing matches", ["[3] alpha", "[1] beta", "[2] gamma"])
    assert got == [(3, 0.0), (1, 0.0), (2, 0.0)], (
        "passages with equal scores should keep their first-stage order (a stable sort), "
        f"got {got}"
    )


def test_reranking_reorders_the_hybrid_candidates(retrievers):
    hybrid, reranking = retrievers
    candidates = {p.id for p in hybrid(OBJECT_QUESTION, k=8)}
    got = [p.id for p in reranking(OBJECT_QUESTION)]
    assert len(got) == 3 and set(got) <= candidates, (
        f"RerankingRetriever returned {got}: it should rerank the hybrid retriever's 8 "
        f"candidates ({sorted(candidates)}) and keep the best k=3"
    )
    assert got[:1] == [2], (
        f"for {OBJECT_QUESTION!r} the hybrid ranking starts with 1; reranked, passage 2 "
        f"(Py<T> in structs, sent across threads) should come first, got {got}"
    )
    scores = [p.score for p in reranking(OBJECT_QUESTION)]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.1, (
        f"each Passage.score should be its cross score, best first (got {scores})"
    )


def test_reranking_improves_the_labelled_queries(retrievers):
    hybrid, reranking = retrievers
    before, after = measure(hybrid), measure(reranking)
    n = len(rr.labelled())
    print(f"\n{'':10} top-1 right   MRR@8\n{'hybrid':10} {before[0]:>5} / {n}   {before[1]:.3f}"
          f"\n{'reranked':10} {after[0]:>5} / {n}   {after[1]:.3f}")
    got = (after[0] >= before[0], after[1] > before[1])
    assert got == (True, True), (
        f"on the {n} labelled queries, hybrid: {before[0]}/{n} top-1 right, MRR {before[1]}; "
        f"reranked: {after[0]}/{n}, MRR {after[1]}. Reranking should do better: rerank all "
        "`candidates` passages, not just the first k"
    )


def test_dspy_retrieve_uses_the_reranked_list(retrievers):
    _, reranking = retrievers
    with dspy.context(rm=reranking):
        got = dspy.Retrieve(k=3)(OBJECT_QUESTION).passages[:1]
    assert [p[:4] for p in got] == ["[2] "], (
        f"dspy.Retrieve with rm=RerankingRetriever should start with passage [2], got {got}"
    )


def test_reranking_runs_without_the_gil(retrievers):
    _, reranking = retrievers
    reranking(OBJECT_QUESTION)
    got = len(lesson_api.gil_samples(rr).get("rerank", {}).get("detached_ns", [])) > 0
    assert got is True, (
        "scoring candidates is pure Rust: run it inside gil_probe::detach(py, \"rerank\", ...)"
    )
