"""Check for multi-level-cache: dspy.Predict behind an in-process LRU (L1) and Redis (L2).

The tutor starts a real redis-server for this run and hands its address over in
REDIS_URL; the learner's CachedPredict connects there by itself.
"""

import socket
from urllib.parse import urlparse

import pytest

import multi_level_cache as mlc

from tutor import lesson_api

SIGNATURE = "question -> answer"
QUESTIONS = [f"What is fact number {i} about Rust?" for i in range(10)]


def redis(*args: str) -> bytes:
    """One command to the tutor's Redis over its wire protocol; the raw reply."""
    url = urlparse(lesson_api.service_url("redis"))
    with socket.create_connection((url.hostname, url.port), timeout=2) as s:
        s.sendall(
            f"*{len(args)}\r\n".encode()
            + b"".join(f"${len(a.encode())}\r\n{a}\r\n".encode() for a in args)
        )
        return s.recv(4096)


@pytest.fixture(autouse=True)
def empty_redis():
    assert redis("FLUSHDB").startswith(b"+OK")


def lm_calls() -> int:
    return sum(1 for s in lesson_api.spans() if s.kind == "lm")


def ask(cache, question: str) -> str:
    return cache.predict({"question": question}).get("answer")


def test_keys_are_stable_and_differ_by_input_and_signature():
    a = mlc.cache_key(SIGNATURE, {"question": "a"})
    assert a == mlc.cache_key(SIGNATURE, {"question": "a"}), (
        "the same inputs must give the same key"
    )
    assert a != mlc.cache_key(SIGNATURE, {"question": "b"}), (
        "cache_key ignores the inputs: hash every input name and value, or two different "
        "questions share one cached answer"
    )
    assert a != mlc.cache_key("question -> summary", {"question": "a"}), (
        "cache_key ignores the signature: hash it too, or a summary is served as an answer"
    )
    two = {"question": "a", "context": "b"}
    assert mlc.cache_key(SIGNATURE, two) == mlc.cache_key(SIGNATURE, dict(reversed(two.items()))), (
        "the key depends on the order the inputs were given: hash them in a fixed (sorted) order"
    )


def test_a_miss_reaches_the_lm_and_a_repeat_is_an_l1_hit():
    cache = mlc.CachedPredict(SIGNATURE, 16)
    before = lm_calls()
    first = ask(cache, QUESTIONS[0])
    assert lm_calls() == before + 1, (
        "the first call of a question must reach the LM (no LM span seen)"
    )
    assert first, "predict() should return the LM's outputs, e.g. {'answer': ...}"
    again = ask(cache, QUESTIONS[0])
    assert lm_calls() == before + 1, "the repeat reached the LM: look in L1 (the LRU) first"
    assert again == first, "the cached answer differs from the LM's"
    assert cache.stats() == {"l1_hits": 1, "l2_hits": 0, "misses": 1}, (
        f"stats() should count one miss then one L1 hit, got {cache.stats()}"
    )


def test_redis_holds_the_entry_for_a_new_instance():
    ask(mlc.CachedPredict(SIGNATURE, 16), QUESTIONS[1])
    assert redis("DBSIZE") == b":1\r\n", (
        f"after one miss Redis should hold one key, DBSIZE says {redis('DBSIZE')!r}: store "
        "the LM's outputs in Redis (HSET) under cache_key"
    )
    fresh = mlc.CachedPredict(SIGNATURE, 16)  # a new process would start like this: L1 cold
    before = lm_calls()
    ask(fresh, QUESTIONS[1])
    assert lm_calls() == before, "a new instance called the LM: look in Redis before the LM"
    ask(fresh, QUESTIONS[1])
    assert fresh.stats() == {"l1_hits": 1, "l2_hits": 1, "misses": 0}, (
        "a new instance should get an L2 (Redis) hit, then an L1 hit: copy a Redis hit "
        f"into the LRU; got {fresh.stats()}"
    )


def test_the_lru_evicts_beyond_its_capacity():
    cache = mlc.CachedPredict(SIGNATURE, 2)
    for q in QUESTIONS[:3]:
        ask(cache, q)
    ask(cache, QUESTIONS[0])  # evicted from L1, still in Redis
    assert cache.stats()["l2_hits"] == 1, (
        "with capacity 2, the first of three questions must have left L1 and come back "
        f"from Redis; got {cache.stats()}: bound L1 with LruCache::new(capacity)"
    )


def test_a_repeating_workload_saves_most_lm_calls():
    # 300 requests served by two instances in turn, as two worker processes would be:
    # two in three ask one of 10 popular questions (popular ones more often, Zipf-like),
    # one in three asks a question nobody asked before (the long tail a cache can't help).
    weights = [1 / (rank + 1) for rank in range(len(QUESTIONS))]
    popular = [q for q, w in zip(QUESTIONS, weights) for _ in range(round(40 * w))]
    stream = [
        f"One-off question number {i}?" if i % 3 == 2 else popular[(i * 37) % len(popular)]
        for i in range(300)
    ]
    workers = [mlc.CachedPredict(SIGNATURE, 4), mlc.CachedPredict(SIGNATURE, 4)]
    before = lm_calls()
    for i, q in enumerate(stream):
        ask(workers[i % 2], q)
    calls = lm_calls() - before
    totals = {k: sum(w.stats()[k] for w in workers) for k in ("l1_hits", "l2_hits", "misses")}
    distinct = len(set(stream))
    hit_rate = (totals["l1_hits"] + totals["l2_hits"]) / len(stream)
    print(
        f"\nworkload: {len(stream)} requests, {distinct} distinct questions (a third of the "
        "requests are one-offs), 2 workers, "
        f"L1 capacity 4\n  L1 hits {totals['l1_hits']}, L2 (Redis) hits {totals['l2_hits']}, "
        f"misses {totals['misses']} -> hit rate {hit_rate:.0%}\n  LM calls {calls} instead "
        f"of {len(stream)}: {len(stream) - calls} saved, cost cut {1 - calls / len(stream):.0%}"
    )
    assert calls == distinct, (
        f"{calls} LM calls for {distinct} distinct questions: each question should reach "
        "the LM once across both workers (the second worker finds it in Redis)"
    )
    assert totals["misses"] == calls, (
        f"stats() counts {totals['misses']} misses, the LM saw {calls}"
    )
    assert totals["l2_hits"] > 0 and totals["l1_hits"] > 0, (
        f"both levels should serve hits: {totals}"
    )
