"""Typed events: the one vocabulary the core speaks to its faces.

Each event is a small dataclass with one JSON form (``{"type": "<ClassName>", ...}``).
The runner's child writes them as JSON lines on a pipe; the session hands them on
unchanged to the app, the CLI and the JSON/JUnit exporters. No face re-derives what
an event already says.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

Verdict_ = Literal["pass", "fail", "error"]


@dataclass
class Event:
    """Base of every event; subclasses register themselves by class name."""

    registry: ClassVar[dict[str, type[Event]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Event.registry[cls.__name__] = cls

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data = json.loads(json.dumps(data, default=_jsonable))
        return {"type": type(self).__name__, **data}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), default=_jsonable, ensure_ascii=False)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return repr(value)


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from its JSON form; unknown fields are dropped."""
    cls = Event.registry[data["type"]]
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    if cls is GilStats:
        kwargs["labels"] = [GilLabelStats(**x) for x in kwargs.get("labels", [])]
    if cls is Verdict:
        kwargs["problems"] = [Problem(**x) for x in kwargs.get("problems", [])]
    if isinstance(kwargs.get("coach"), dict):
        kwargs["coach"] = CoachNote(**kwargs["coach"])
    return cls(**kwargs)


def event_from_json(line: str) -> Event:
    return event_from_dict(json.loads(line))


@dataclass
class CoachNote:
    """The error coach's explanation of one problem (tutor/coach/): not an event itself,
    it rides on the Diagnostic, TestResult or PythonError it explains, as ``"coach"``:
    ``{"entry", "title", "meaning", "fix", "link"}`` (``null`` when nothing matched)."""

    entry: str  # the catalogue entry's id
    title: str
    meaning: str  # what the error means in PyO3 terms
    fix: str  # the usual fix
    link: str  # the PyO3 guide page

    def text(self) -> str:
        """The plain-text form every face shows under the tool's own message."""
        return f"coach: {self.title}\n{self.meaning}\nfix: {self.fix}\nsee: {self.link}"


# --- build ---------------------------------------------------------------------------


@dataclass
class BuildStarted(Event):
    step_id: str
    command: list[str]


@dataclass
class BuildOutput(Event):
    """One human-readable line of the build log (cargo's status lines)."""

    line: str


@dataclass
class Diagnostic(Event):
    """A compiler message, from cargo's JSON diagnostics."""

    level: str  # error | warning | note | help | failure-note
    message: str
    code: str | None = None  # e.g. "E0308"
    file: str | None = None  # relative to the step's crate
    line: int | None = None
    column: int | None = None
    rendered: str = ""
    coach: CoachNote | None = None


@dataclass
class BuildProgress(Event):
    """Crates compiled so far in a running build, of the crates it will compile.

    Sent only while a build compiles crates other than the step's own (the first build,
    PyO3 and its dependencies). ``total`` counts every unit of the build, fresh ones
    included; ``estimate_s`` is the time left, extrapolated from the time so far (None
    until a few crates are done)."""

    done: int
    total: int
    crate: str = ""  # the crate that just finished
    estimate_s: float | None = None  # seconds left


@dataclass
class BuildFinished(Event):
    ok: bool
    duration_s: float
    artifact: str | None = None
    cancelled: bool = False
    fresh: bool = False  # nothing was recompiled


# --- run -----------------------------------------------------------------------------


@dataclass
class RunStarted(Event):
    pid: int


@dataclass
class Output(Event):
    stream: Literal["stdout", "stderr"]
    text: str


@dataclass
class OutputDropped(Event):
    """Output between the kept head and tail of a stream, not kept: how much."""

    stream: Literal["stdout", "stderr"]
    bytes: int
    lines: int  # newlines in what was dropped

    def text(self) -> str:
        return (
            f"… {self.bytes:,} bytes ({self.lines:,} lines) of {self.stream} not kept: "
            "the first and last lines are shown"
        )


@dataclass
class TestResult(Event):
    __test__: ClassVar[bool] = False  # not a pytest test class

    name: str
    outcome: Literal["passed", "failed", "error", "skipped"]
    duration_s: float = 0.0
    message: str = ""  # one line a learner can read
    expected: str | None = None
    got: str | None = None
    traceback: str = ""
    file: str | None = None  # where the failing assertion is (the check file)
    line: int | None = None
    coach: CoachNote | None = None


@dataclass
class PythonError(Event):
    """An exception outside a test (importing the step's module, the check itself)."""

    exc_type: str
    message: str
    traceback: str = ""
    file: str | None = None  # where a SyntaxError points (Python names no line otherwise)
    line: int | None = None
    coach: CoachNote | None = None


@dataclass
class RustPanic(Event):
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    thread: str | None = None


@dataclass
class TimeoutReport(Event):
    """What the check was doing when its time ran out, taken just before it was stopped."""

    limit_s: float
    test: str | None  # the test that was running
    stack: str  # its Python stack (most recent call first), without the runner's frames

    def text(self) -> str:
        test = self.test or "the check"
        head = f"{test} was still running after {self.limit_s:g} s"
        return f"{head}; its Python stack then:\n{self.stack}" if self.stack else head


@dataclass
class SpanStarted(Event):
    span_id: str
    parent_id: str | None
    kind: str  # module | lm | adapter_format | adapter_parse | tool | evaluate | compile |
    # retrieval | interpreter | binary (a program run by the check)
    name: str
    start: float  # seconds since the run started


@dataclass
class Span(Event):
    """A finished DSPy span (module, LM call, adapter step, tool, evaluate, compile)."""

    span_id: str
    parent_id: str | None
    kind: str
    name: str
    start: float
    end: float
    inputs: Any = None
    outputs: Any = None
    messages: list[dict[str, Any]] | None = None  # prompt messages (LM spans)
    completion: list[str] | None = None  # LM spans
    usage: dict[str, Any] | None = None  # token usage (LM spans)
    model: str | None = None
    lm_source: str | None = None  # cassette | scripted | task | synthesized | provider
    error: str | None = None
    cache_hit: bool | None = None  # LM spans: answered from DSPy's cache
    cost: float | None = None  # LM spans, USD: see cost_basis
    cost_basis: str | None = None  # provider | nominal (offline price table) | cache
    usage_total: dict[str, Any] | None = None  # other spans: LM calls, tokens, cost inside


@dataclass
class GilLabelStats:
    """One label's GIL timings from the gil-probe crate, in microseconds.

    A figure is ``None`` when nothing was measured for it: an attach made from Python
    (already attached) records a hold but no wait, a label used only with
    ``gil_probe::detach`` has no hold. No figure ever stands in for a missing one.
    """

    label: str
    count: int  # attach calls timed (each records a hold)
    wait_p50_us: float | None
    wait_p99_us: float | None
    wait_max_us: float | None
    hold_p50_us: float | None
    hold_p99_us: float | None
    hold_max_us: float | None
    detached_count: int = 0
    detached_total_us: float = 0.0
    wait_count: int = 0  # waits measured: outermost attaches and re-attaches after detach
    nested: int = 0  # attach calls that found the thread already attached (no wait)
    init_us: list[float] = field(default_factory=list)  # attaches that started Python
    dropped: int = 0  # samples the probe did not keep (its per-label cap was reached)


@dataclass
class GilStats(Event):
    labels: list[GilLabelStats]
    switch_interval_s: float
    gil_enabled: bool
    note: str = ""


@dataclass
class Notice(Event):
    """Something the tutor did to the learner's files that they should know about."""

    message: str


# --- outcome -------------------------------------------------------------------------


@dataclass
class Problem:
    """One thing that kept a check from passing, in a form tools can act on.

    ``kind``: compiler | test | panic | python | crash | timeout | lesson | tutor.
    ``code`` is the rustc error code (E0308), the Python exception type or the test's
    name; ``file``/``line``/``column`` point at the source where that is known;
    ``rendered`` is the full text a person reads (rustc's rendered diagnostic, a
    traceback)."""

    level: str  # error | warning
    kind: str
    message: str
    code: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    rendered: str = ""

    @property
    def text(self) -> str:
        return self.rendered or self.message


@dataclass
class Verdict(Event):
    """The last event of every check.

    ``pass``: the check ran and every test passed. ``fail``: the learner's work does not
    pass yet (``reason`` says how: build, test, panic, crash, timeout, exit).
    ``error``: the tutor could not judge (toolchain, lesson or runner problem).
    """

    step_id: str
    verdict: Verdict_
    reason: str = ""
    summary: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "test: reason" of each skipped test

    @property
    def errors(self) -> list[str]:
        """Each problem as the text a person reads."""
        return [p.text for p in self.problems]
