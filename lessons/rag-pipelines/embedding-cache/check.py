"""Check for the embedding-cache step: an LRU in memory, SQLite on disk."""

import json
import os
import subprocess
import sys

import pytest

import embedding_cache as ec

from tutor import lesson_api

# One service "process": embed the corpus, then four of its passages again.
RUN = """
import json, sys
import embedding_cache as ec
cache = ec.EmbeddingCache(sys.argv[1], capacity=64)
texts = [d.text for d in ec.corpus()]
cache(texts)
cache(texts[:4])
s = cache.stats()
print(json.dumps([s.memory_hits, s.disk_hits, s.misses, round(s.hit_rate, 3)]))
"""


def run_service(db):
    """Run RUN in a fresh Python process (a restart), with the built module importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(ec.__file__), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", RUN, db], capture_output=True, text=True,
                          timeout=20, env=env)
    assert done.returncode == 0, f"the service process failed:\n{done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_module_registers_the_gil_probe():
    got = [name for name in dir(ec) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_cached_vectors_equal_computed_ones(tmp_path):
    cache = ec.EmbeddingCache(str(tmp_path / "cache.db"))
    texts = ["release the GIL", "BM25 keywords"]
    first, again = cache(texts), cache(texts)
    expected = [ec.embed_text(t) for t in texts]
    got = ([[round(x, 6) for x in v] for v in first], [[round(x, 6) for x in v] for v in again])
    assert got == ([[round(x, 6) for x in v] for v in expected],) * 2, (
        "cache(texts) should return the offline embedder's vectors, the same on a miss and "
        "on a hit (check to_blob/from_blob round trip)"
    )
    s = cache.stats()
    got = (s.misses, s.memory_hits, s.disk_hits)
    assert got == (2, 2, 0), (
        f"two new texts then the same two again: expected 2 misses then 2 memory hits, got "
        f"misses={s.misses}, memory_hits={s.memory_hits}, disk_hits={s.disk_hits}"
    )


def test_an_evicted_vector_comes_back_from_disk(tmp_path):
    cache = ec.EmbeddingCache(str(tmp_path / "cache.db"), capacity=2)
    cache(["one", "two", "three"])  # "one" is the least recently used: evicted
    cache(["one"])
    s = cache.stats()
    got = (s.misses, s.memory_hits, s.disk_hits, cache.sizes())
    assert got == (3, 0, 1, (2, 3)), (
        "with capacity=2, after 'one', 'two', 'three' the LRU holds two and SQLite all three; "
        "'one' again should be a disk hit (then promoted to memory). Got (misses, memory "
        f"hits, disk hits, (in memory, on disk)) = {got}"
    )


def test_the_cache_survives_a_restart(tmp_path):
    db = str(tmp_path / "service.db")
    first, second = run_service(db), run_service(db)
    print(f"\n{'':14} memory hits  disk hits  misses  hit rate"
          f"\n{'first start':14} {first[0]:>11}  {first[1]:>9}  {first[2]:>6}  {first[3]:>8}"
          f"\n{'after restart':14} {second[0]:>11}  {second[1]:>9}  {second[2]:>6}  {second[3]:>8}")
    assert first[:3] == [4, 0, 16], (
        f"first process: 16 passages are misses, the 4 repeated ones memory hits; got "
        f"memory/disk/misses = {first[:3]}"
    )
    assert second[:3] == [4, 16, 0], (
        f"after a restart the memory tier is empty but SQLite is not: the 16 passages should "
        f"be disk hits and nothing recomputed; got memory/disk/misses = {second[:3]}"
    )


def test_a_store_can_embed_through_the_cache(tmp_path):
    cache = ec.EmbeddingCache(str(tmp_path / "cache.db"))
    store = ec.VectorStore(":memory:", embedder=cache)
    try:
        store.index(ec.corpus())
        hits = store.search("Which call releases the GIL so Python threads run while Rust works?")
    finally:
        store.close()
    got = ([h.id for h in hits][:1], cache.stats().misses)
    assert got == ([1], 17), (
        "VectorStore(embedder=cache) should embed the 16 passages and the query through the "
        f"cache (17 misses) and still find passage 1; got (top id, misses) = {got}"
    )


def test_a_bad_path_is_a_clear_error(tmp_path):
    bad = str(tmp_path / "no-such-dir" / "cache.db")
    with pytest.raises(RuntimeError) as err:
        ec.EmbeddingCache(bad)
    assert bad in str(err.value), (
        f"opening a cache in a missing folder should raise RuntimeError naming the path, got "
        f"{err.value!r}"
    )


def test_lookups_run_without_the_gil(tmp_path):
    ec.EmbeddingCache(str(tmp_path / "cache.db"))(["x"])
    got = len(lesson_api.gil_samples(ec).get("cache", {}).get("detached_ns", [])) > 0
    assert got is True, (
        "cache lookups and SQLite writes are pure Rust: run them inside "
        "gil_probe::detach(py, \"cache\", ...)"
    )
