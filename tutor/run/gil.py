"""GIL probe samples (from the Rust gil-probe crate) → GilStats.

Only what the probe measured is reported: a label without wait samples has no wait
figures (``None``), never a 0 that looks like a measurement.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from tutor.events import GilLabelStats, GilStats

# {label: {"wait_ns": [...], "hold_ns": [...], "detached_ns": [...], "init_ns": [...],
#          "nested": int, "dropped": int}}
Samples = dict[str, dict[str, Any]]
COUNTERS = ("nested", "dropped")

NOTE = (
    "Measured from Rust by the gil-probe crate around gil_probe::attach / detach. "
    "wait = from just before Python::attach until the closure's first line (how long "
    "Rust waited for the GIL), and from the end of a detached closure until the GIL was "
    "back; hold = time inside the attach closure; detached = time in gil_probe::detach, "
    "when other Python threads could run; nested = attaches made while already attached "
    "(a #[pyfunction] called from Python): they had nothing to wait for, so they record a "
    "hold and no wait. A wait near the switch interval means another Python thread held "
    "the GIL until it was asked to switch. Interpreter start-up (an embedding program's "
    "first attach) is shown apart, not as a wait."
)


def percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return float(sorted_values[index])


def _spread(sorted_ns: list[int]) -> tuple[float | None, float | None, float | None]:
    """p50, p99 and max in µs; ``None`` for each when there are no samples."""
    if not sorted_ns:
        return None, None, None
    us = 1e-3
    return (
        percentile(sorted_ns, 0.50) * us,
        percentile(sorted_ns, 0.99) * us,
        sorted_ns[-1] * us,
    )


def gil_stats(drained: Samples) -> GilStats:
    """Summarise ``_gil_probe_drain()``'s nanosecond samples per label."""
    labels = []
    for label, samples in sorted(drained.items()):
        wait = sorted(samples.get("wait_ns", []))
        hold = sorted(samples.get("hold_ns", []))
        detached = samples.get("detached_ns", [])
        labels.append(
            GilLabelStats(
                label,
                len(hold),
                *_spread(wait),
                *_spread(hold),
                detached_count=len(detached),
                detached_total_us=sum(detached) * 1e-3,
                wait_count=len(wait),
                nested=int(samples.get("nested", 0)),
                init_us=[ns * 1e-3 for ns in samples.get("init_ns", [])],
                dropped=int(samples.get("dropped", 0)),
            )
        )
    is_enabled = getattr(sys, "_is_gil_enabled", lambda: True)
    return GilStats(
        labels=labels,
        switch_interval_s=sys.getswitchinterval(),
        gil_enabled=bool(is_enabled()),
        note=NOTE,
    )


def format_us(us: float | None) -> str:
    """Compact (µs, ms or s); "—" for a figure that was not measured."""
    if us is None:
        return "—"
    if us < 1000:
        return f"{us:.1f}µs"
    if us < 1_000_000:
        return f"{us / 1000:.1f}ms"
    return f"{us / 1e6:.2f}s"


def describe_label(s: GilLabelStats) -> str:
    """One line of what was measured for a label (the CLI's verbose output)."""
    parts = [
        (s.count, f"{s.count} attach{'es' * (s.count != 1)}"),
        (s.nested, f"{s.nested} nested"),
        (s.wait_count, f"wait p50 {format_us(s.wait_p50_us)} max {format_us(s.wait_max_us)}"),
        (s.count, f"hold p50 {format_us(s.hold_p50_us)} p99 {format_us(s.hold_p99_us)}"),
        (s.detached_count, f"detached {s.detached_count}× {format_us(s.detached_total_us)}"),
        (s.init_us, f"interpreter start-up {format_us(sum(s.init_us))}"),
        (s.dropped, f"{s.dropped} samples not kept"),
    ]
    return ", ".join(text for measured, text in parts if measured) or "nothing measured"


def drain_module(module: Any) -> Samples | None:
    drain = getattr(module, "_gil_probe_drain", None)
    return drain() if callable(drain) else None


def collect_reports(folder: Path) -> Samples:
    """Samples that binaries wrote with ``gil_probe::write_report()`` (then removed)."""
    merged: Samples = {}
    for path in sorted(folder.glob("gil-*.json")):
        # A binary killed mid-write loses its timings, never the check.
        with contextlib.suppress(ValueError):
            merged = merge(merged, json.loads(path.read_text()))
        path.unlink(missing_ok=True)
    return merged


def merge(a: Samples, b: Samples) -> Samples:
    """Both sets of samples: lists concatenated, counters (nested, dropped) added."""
    out: Samples = {}
    for source in (a, b):
        for label, kinds in source.items():
            target = out.setdefault(label, {})
            for kind, values in kinds.items():
                if isinstance(values, list):
                    target.setdefault(kind, []).extend(values)
                elif kind in COUNTERS and isinstance(values, int):
                    target[kind] = target.get(kind, 0) + values
    return out
