"""GIL probe samples → per-label percentiles."""

from __future__ import annotations

from tutor.run.gil import gil_stats, percentile


def test_percentiles_of_known_samples():
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 51
    assert percentile(values, 0.99) == 99
    assert percentile([], 0.5) == 0.0


def test_stats_in_microseconds_per_label():
    drained = {
        "predict": {"wait_ns": [100, 200, 300], "hold_ns": [1000, 2000, 9000], "detached_ns": []},
        "parse": {"wait_ns": [], "hold_ns": [], "detached_ns": [5000, 5000]},
    }
    stats = gil_stats(drained)
    by_label = {s.label: s for s in stats.labels}
    p = by_label["predict"]
    assert p.count == 3
    assert (p.wait_p50_us, p.wait_max_us) == (0.2, 0.3)
    assert (p.hold_p50_us, p.hold_max_us) == (2.0, 9.0)
    assert by_label["parse"].detached_count == 2
    assert by_label["parse"].detached_total_us == 10.0
    assert stats.switch_interval_s > 0
    assert "Measured from Rust" in stats.note
