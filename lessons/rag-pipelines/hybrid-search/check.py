"""Check for the hybrid-search step: BM25 + vectors, fused with reciprocal rank fusion."""

import dspy
import pytest

import hybrid_search as hs

from tutor import lesson_api

# Its only link to passage 16 (rusqlite's bundled feature) is the rare word "rusqlite";
# "LM" and "program" pull the vector search towards the DSPy passages.
KEYWORD_QUERY = "How do I store the LM program with rusqlite?"
GIL_QUESTION = "Which call releases the GIL so Python threads run while Rust works?"


@pytest.fixture(scope="module")
def hybrid():
    return hs.HybridRetriever(":memory:", k=3)


def test_module_registers_the_gil_probe():
    got = [name for name in dir(hs) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_rrf_matches_the_hand_computed_fusion():
    got = hs.rrf([[1, 2, 3], [3, 4]], k=60.0)
    assert [i for i, _ in got] == [3, 1, 2, 4], (
        f"rrf([[1, 2, 3], [3, 4]], k=60) gave {got}. By hand: 3 scores 1/63 + 1/61, 1 scores "
        "1/61, 2 and 4 score 1/62 each (a tie, broken by the smaller id): order 3, 1, 2, 4"
    )
    scores = [round(s, 6) for _, s in got]
    assert scores == [round(1 / 63 + 1 / 61, 6), round(1 / 61, 6), round(1 / 62, 6),
                      round(1 / 62, 6)], (
        "each list adds 1 / (k + rank) with rank counted from 1, not 0"
    )


def test_bm25_ranks_the_rare_keyword_first(hybrid):
    got = [i for i, _ in hybrid.bm25_search("rusqlite bundled", k=3)]
    assert got[:1] == [16], (
        f"bm25_search('rusqlite bundled') returned ids {got}: fit the BM25 engine to the "
        "corpus (SearchEngineBuilder::with_tokenizer_and_documents) and search it"
    )


def test_vector_search_alone_misses_the_keyword_passage():
    got = [p.id for p in hs.Retriever(":memory:", k=3)(KEYWORD_QUERY)]
    assert 16 not in got, (
        f"the premise of this step: vector search alone returns {got} for {KEYWORD_QUERY!r}; "
        "src/retriever.rs and src/store.rs should be the earlier steps' code, unchanged"
    )


def test_hybrid_search_finds_the_keyword_passage(hybrid):
    got = [p.id for p in hybrid(KEYWORD_QUERY)]
    assert 16 in got, (
        f"HybridRetriever returned {got} for {KEYWORD_QUERY!r}: fuse the vector ranking with "
        "the BM25 ranking (which has 16 second) using reciprocal_rank_fusion, then take k"
    )
    assert len(got) == 3, f"k=3 should give 3 passages, got {len(got)}"
    got = [p.id for p in hybrid(GIL_QUESTION)][:1]
    assert got == [1], "a question both retrievers agree on should keep its best passage first"


def test_dspy_retrieve_uses_the_hybrid_retriever(hybrid):
    with dspy.context(rm=hybrid):
        got = [p.split("]")[0] + "]" for p in dspy.Retrieve(k=3)(KEYWORD_QUERY).passages]
    assert "[16]" in got, (
        f"dspy.Retrieve with rm=HybridRetriever gave {got}: __call__ should return the fused "
        "passages with long_text '[id] text'"
    )


def test_bm25_and_fusion_run_without_the_gil(hybrid):
    hybrid(GIL_QUESTION)
    hybrid.bm25_search("rusqlite")
    samples = lesson_api.gil_samples(hs)
    got = sorted(
        label for label in ("fuse", "bm25")
        if samples.get(label, {}).get("detached_ns")
    )
    assert got == ["bm25", "fuse"], (
        f"detached work seen for {got}: BM25 search (label \"bm25\") and the fusion "
        "(label \"fuse\") are pure Rust; run them inside gil_probe::detach"
    )
