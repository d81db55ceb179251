"""GIL timings per label (from the gil-probe crate), with what they measure.

Only measured figures are shown: "—" marks a figure with no samples (a nested attach
waits for nothing; a detach-only label holds nothing), never a made-up 0.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from tutor.events import GilLabelStats, GilStats
from tutor.run.gil import format_us

# The medians and the detached time first: they fit a side pane at 120 columns; the
# tails (p99, max) follow, a sideways scroll away.
COLUMNS = (
    "label",
    "attaches",
    "nested",
    "hold p50",
    "wait p50",
    "detached",
    "hold p99",
    "hold max",
    "wait p99",
    "wait max",
)
NOT_YET = "No GIL samples yet: they appear after a check runs code wrapped in gil_probe::attach."
NOTHING = (
    "Nothing measured in the last check: no code ran inside gil_probe::attach or "
    "gil_probe::detach."
)


def row(s: GilLabelStats) -> list[Text]:
    detached = f"{s.detached_count}× {format_us(s.detached_total_us)}" if s.detached_count else "—"
    cells = [
        s.label,
        str(s.count) if s.count else "—",
        str(s.nested) if s.nested else "—",
        format_us(s.hold_p50_us),
        format_us(s.wait_p50_us),
        detached,
        format_us(s.hold_p99_us),
        format_us(s.hold_max_us),
        format_us(s.wait_p99_us),
        format_us(s.wait_max_us),
    ]
    return [Text(c) for c in cells]  # Text: a DataTable reads str cells as markup


def summary(stats: GilStats) -> str:
    gil = "yes" if stats.gil_enabled else "no (free-threaded Python)"
    n = len(stats.labels)
    lines = [
        f"Switch interval {stats.switch_interval_s * 1000:g} ms · GIL enabled: {gil} · "
        f"{n} label{'s' * (n != 1)}"
    ]
    if not stats.labels:
        lines.append(NOTHING)
    if any(s.nested for s in stats.labels):
        lines.append(
            "nested: attaches made while already attached (called from Python): "
            "they record a hold, and no wait (—)."
        )
    for s in stats.labels:
        if s.init_us:
            lines.append(
                f"Interpreter start-up: {format_us(sum(s.init_us))} in the first "
                f"attach of {s.label!r} (it started Python; not counted as a wait)."
            )
        if s.dropped:
            lines.append(f"{s.label}: {s.dropped} samples were not kept (the probe's cap).")
    return "\n".join(lines)


class GilPane(VerticalScroll):
    HELP = """\
## GIL

How long the step's Rust code waited for Python's GIL (global interpreter lock) and
how long it held it, per label you gave `gil_probe::attach("label", …)` or
`gil_probe::detach(py, "label", …)`: how many attaches were timed, how many were
**nested** (made while already attached, e.g. a `#[pyfunction]` called from Python:
nothing to wait for), the median (p50) of the **hold** and of the **wait**, the time
spent **detached** (GIL released, other Python threads could run), then the 99th
percentile and maximum of each (scroll sideways with ←/→). `—` means nothing was
measured for that figure. Below: the interpreter's switch interval, whether this
Python has a GIL at all (free-threaded builds do not), and an embedding program's
interpreter start-up, shown apart from the waits.
"""

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(id="gil-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static(NOT_YET, id="gil-summary", markup=False)
        yield Static("", id="gil-note", markup=False)

    def update_stats(self, stats: GilStats) -> None:
        table = self.query_one("#gil-table", DataTable)
        table.clear()
        for s in stats.labels:
            table.add_row(*row(s))
        self.query_one("#gil-summary", Static).update(summary(stats))
        self.query_one("#gil-note", Static).update(stats.note)
