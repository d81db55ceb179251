"""GIL probe samples → per-label percentiles."""

from __future__ import annotations

from tutor.run.gil import describe_label, gil_stats, merge, percentile


def test_percentiles_of_known_samples():
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 51
    assert percentile(values, 0.99) == 99
    assert percentile([], 0.5) == 0.0


def test_stats_in_microseconds_per_label():
    drained = {
        "predict": {"wait_ns": [100, 200, 300], "hold_ns": [1000, 2000, 9000], "detached_ns": []},
        "parse": {"wait_ns": [], "hold_ns": [], "detached_ns": [5000, 5000]},
        "nested": {"hold_ns": [4000], "nested": 1},
        "embed": {"hold_ns": [1000], "init_ns": [30_000_000]},
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

    # Nothing measured is never shown as a 0.
    parse, nested, embed = by_label["parse"], by_label["nested"], by_label["embed"]
    assert (parse.count, parse.hold_p50_us, parse.wait_p50_us) == (0, None, None)
    assert (nested.nested, nested.wait_count, nested.wait_max_us) == (1, 0, None)
    assert (embed.init_us, embed.wait_count) == ([30_000.0], 0)
    assert describe_label(nested) == "1 attach, 1 nested, hold p50 4.0µs p99 4.0µs"
    assert "interpreter start-up 30.0ms" in describe_label(embed)


def test_merge_adds_counters_and_joins_samples():
    a = {"x": {"hold_ns": [1], "nested": 2, "dropped": 1}}
    b = {"x": {"hold_ns": [2], "init_ns": [5], "nested": 3}, "y": {"wait_ns": [7]}}
    assert merge(a, b) == {
        "x": {"hold_ns": [1, 2], "init_ns": [5], "nested": 5, "dropped": 1},
        "y": {"wait_ns": [7]},
    }


class FakeProbe:
    """A module whose probe hands out each batch of samples once, like gil-probe."""

    __name__ = "fake_step"

    def __init__(self, *batches):
        self.batches = list(batches)

    def _gil_probe_drain(self):
        return self.batches.pop(0) if self.batches else {}


def test_a_check_reading_the_probe_does_not_starve_the_pane():
    from tutor import lesson_api
    from tutor.run.gil import drain_module

    one = {"predict": {"wait_ns": [], "hold_ns": [1000], "detached_ns": []}}
    two = {
        "predict": {"wait_ns": [], "hold_ns": [3000], "detached_ns": []},
        "tidy": {"wait_ns": [50], "hold_ns": [], "detached_ns": [7000]},
    }
    module = FakeProbe(one, two, {"tidy": {"wait_ns": [], "hold_ns": [], "detached_ns": [1]}})
    assert lesson_api.gil_labels(module)["predict"].count == 1
    labels = lesson_api.gil_labels(module)
    assert (labels["predict"].count, labels["tidy"].detached_count) == (2, 1)
    end_of_run = drain_module(module)  # what the runner turns into the GIL pane
    assert end_of_run == {
        "predict": {"wait_ns": [], "hold_ns": [1000, 3000], "detached_ns": []},
        "tidy": {"wait_ns": [50], "hold_ns": [], "detached_ns": [7000, 1]},
    }
    assert drain_module(module) == {}  # the next run starts empty


def test_gil_labels_names_a_missing_probe():
    import pytest

    from tutor import lesson_api

    class NoProbe:
        __name__ = "bare"

    with pytest.raises(RuntimeError, match="gil_probe::register"):
        lesson_api.gil_labels(NoProbe())
