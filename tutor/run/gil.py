"""GIL probe samples (from the Rust gil-probe crate) → GilStats."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from tutor.events import GilLabelStats, GilStats

Samples = dict[str, dict[str, list[int]]]

NOTE = (
    "Measured from Rust by the gil-probe crate around gil_probe::attach / detach. "
    "wait = from just before Python::attach until the closure's first line (how long "
    "Rust waited for the GIL); hold = time inside the closure with the GIL held; detached "
    "= time in gil_probe::detach, when other Python threads could run. A function called "
    "from Python is already attached, so its waits are ~0; waits near the switch interval "
    "mean another Python thread held the GIL until it was asked to switch."
)


def percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return float(sorted_values[index])


def gil_stats(drained: Samples) -> GilStats:
    """Summarise ``_gil_probe_drain()``'s nanosecond samples per label."""
    labels = []
    for label, samples in sorted(drained.items()):
        wait = sorted(samples.get("wait_ns", []))
        hold = sorted(samples.get("hold_ns", []))
        detached = samples.get("detached_ns", [])
        us = 1e-3
        labels.append(
            GilLabelStats(
                label=label,
                count=len(hold),
                wait_p50_us=percentile(wait, 0.50) * us,
                wait_p99_us=percentile(wait, 0.99) * us,
                wait_max_us=(wait[-1] if wait else 0) * us,
                hold_p50_us=percentile(hold, 0.50) * us,
                hold_p99_us=percentile(hold, 0.99) * us,
                hold_max_us=(hold[-1] if hold else 0) * us,
                detached_count=len(detached),
                detached_total_us=sum(detached) * us,
            )
        )
    is_enabled = getattr(sys, "_is_gil_enabled", lambda: True)
    return GilStats(
        labels=labels,
        switch_interval_s=sys.getswitchinterval(),
        gil_enabled=bool(is_enabled()),
        note=NOTE,
    )


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
    out: Samples = {
        label: {k: list(v) for k, v in kinds.items() if isinstance(v, list)}
        for label, kinds in a.items()
    }
    for label, kinds in b.items():
        target = out.setdefault(label, {})
        for kind, values in kinds.items():
            if isinstance(values, list):
                target.setdefault(kind, []).extend(values)
    return out
