"""GIL timings per label (from the gil-probe crate), with what they measure."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from tutor.events import GilStats

COLUMNS = ("label", "count", "wait p50", "p99", "max", "hold p50", "p99", "max", "detached")


def format_us(us: float) -> str:
    """Compact, so the nine columns fit a side pane."""
    if us < 1000:
        return f"{us:.1f}µs"
    if us < 1_000_000:
        return f"{us / 1000:.1f}ms"
    return f"{us / 1e6:.2f}s"


class GilPane(VerticalScroll):
    HELP = """\
## GIL

How long the step's Rust code waited for Python's GIL (global interpreter lock) and
how long it held it, per label you gave `gil_probe::attach("label", …)`: the median
(p50), 99th percentile and maximum of the **wait** (columns 3–5) and of the **hold**
(columns 6–8), and how many times. **detached** is the time spent in
`gil_probe::detach`, when other Python threads could run. Below: the interpreter's
switch interval and whether this Python has a GIL at all (free-threaded builds do not).
"""

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(id="gil-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static(
            "No GIL samples yet: they appear after a check runs code wrapped in gil_probe::attach.",
            id="gil-summary",
            markup=False,
        )
        yield Static("", id="gil-note", markup=False)

    def update_stats(self, stats: GilStats) -> None:
        table = self.query_one("#gil-table", DataTable)
        table.clear()
        for s in stats.labels:
            detached = (
                f"{s.detached_count}× {format_us(s.detached_total_us)}" if s.detached_count else "—"
            )
            table.add_row(
                s.label,
                str(s.count),
                format_us(s.wait_p50_us),
                format_us(s.wait_p99_us),
                format_us(s.wait_max_us),
                format_us(s.hold_p50_us),
                format_us(s.hold_p99_us),
                format_us(s.hold_max_us),
                detached,
            )
        gil = "yes" if stats.gil_enabled else "no (free-threaded Python)"
        summary = (
            f"Switch interval {stats.switch_interval_s * 1000:g} ms · GIL enabled: {gil} · "
            f"{len(stats.labels)} label{'s' * (len(stats.labels) != 1)}"
        )
        if not stats.labels:
            summary += " (no code ran inside gil_probe::attach)"
        self.query_one("#gil-summary", Static).update(summary)
        self.query_one("#gil-note", Static).update(stats.note)
