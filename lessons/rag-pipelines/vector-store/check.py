"""Check for the vector-store step: a Qdrant collection driven from Rust."""

import dspy
import pytest

import vector_store

from tutor import lesson_api

GIL_QUESTION = "Which call releases the GIL so Python threads run while Rust works?"


@pytest.fixture(scope="module")
def store():
    """The corpus indexed into an in-memory Qdrant collection."""
    s = vector_store.VectorStore(":memory:")
    written = s.index(vector_store.corpus())
    yield s, written
    s.close()


def test_module_registers_the_gil_probe():
    got = [name for name in dir(vector_store) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_index_upserts_every_passage(store):
    s, written = store
    assert written == 16, (
        f"index(corpus()) returned {written}: it should create the collection, upsert one "
        "point per passage (16) and return how many it wrote"
    )
    got = s.count()
    assert got == 16, f"Qdrant holds {got} points after index(corpus()), expected 16"


def test_search_finds_the_nearest_passage_with_its_payload(store):
    s, _ = store
    hits = s.search(GIL_QUESTION, k=3)
    got = [h.id for h in hits][:1]
    assert got == [1], (
        f"the nearest passage to {GIL_QUESTION!r} is id 1 (Python::detach), got "
        f"{[(h.id, round(h.score, 3)) for h in hits]}: embed the query with the same "
        "embedder as the passages and pass it as query_points(query=...)"
    )
    assert len(hits) == 3, f"search(k=3) should return 3 hits, got {len(hits)}: pass limit=k"
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True), "hits should come best first, as Qdrant returns them"
    got = (hits[0].topic, hits[0].text.startswith("Python::attach"))
    assert got == ("pyo3", True), (
        "each Hit carries the point's payload: read topic and text from point.payload"
    )


def test_filtered_search_only_returns_the_topic(store):
    s, _ = store
    hits = s.search("How do I call the LM and parse the answer?", k=4, topic="dspy")
    got = sorted({h.topic for h in hits})
    assert got == ["dspy"], (
        f"search(..., topic='dspy') returned topics {got}: pass query_filter="
        "Filter(must=[FieldCondition(key='topic', match=MatchValue(value=topic))])"
    )
    assert len(hits) == 4, f"the dspy topic has 5 passages, so k=4 gives 4 hits, got {len(hits)}"
    unfiltered = {h.topic for h in s.search("How do I call the LM and parse the answer?", k=16)}
    assert len(unfiltered) > 1, "without a topic, search should not filter"


def test_an_on_disk_store_survives_reopening(tmp_path):
    folder = str(tmp_path / "qdrant")
    first = vector_store.VectorStore(folder)
    first.index(vector_store.corpus())
    first.close()
    again = vector_store.VectorStore(folder)
    try:
        got = (again.count(), [h.id for h in again.search(GIL_QUESTION, k=1)])
    finally:
        again.close()
    assert got == (16, [1]), (
        "a store opened on a folder (QdrantClient(path=...)) should find its points again "
        "after close() and reopening, without indexing twice"
    )


def test_a_python_embedder_replaces_the_offline_one():
    seen = []

    def two_dims(texts):
        seen.extend(texts)
        return [[1.0, float(len(t) % 7)] for t in texts]

    s = vector_store.VectorStore(":memory:", collection="custom", embedder=dspy.Embedder(two_dims))
    try:
        s.index(vector_store.corpus()[:3])
        s.search("anything", k=1)
    finally:
        s.close()
    got = (len(seen), seen[-1:])
    assert got == (4, ["anything"]), (
        "with embedder=... the store should call it for the 3 passages and the query "
        f"(saw {len(seen)} texts): a real model (dspy.Embedder('openai/text-embedding-3-small')) "
        "is then one argument away"
    )


def test_the_offline_embedder_runs_without_the_gil(store):
    s, _ = store
    s.search(GIL_QUESTION)
    got = len(lesson_api.gil_samples(vector_store).get("embed", {}).get("detached_ns", [])) > 0
    assert got is True, (
        "embedding with the Rust embedder is pure Rust work: run it inside "
        "gil_probe::detach(py, \"embed\", move || ...) so other Python threads can run"
    )
