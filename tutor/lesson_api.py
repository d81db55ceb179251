"""The helper API lesson checks may use (and nothing else from the tutor).

Available inside a check run by pyo3dspy-tutor; see lessons/AUTHORING.md.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tutor.lm.provider import OfflineProvider

from tutor.events import GilLabelStats


@dataclass
class _RunContext:
    spans: list[Any] = field(default_factory=list)  # the recorder's finished spans (live)
    answerer: Any = None
    binary: Path | None = None
    recorder: Any = None  # the run's SpanRecorder (a binary's spans are handed to it)
    lm_settings: dict[str, Any] = field(default_factory=dict)  # model, api_base: no keys


_context = _RunContext()


def _bind(
    spans: list[Any],
    answerer: Any,
    binary: Path | None,
    recorder: Any = None,
    lm_settings: dict[str, Any] | None = None,
) -> None:
    """Called by the runner in the child before the check starts."""
    global _context
    _context = _RunContext(spans, answerer, binary, recorder, dict(lm_settings or {}))


def in_tutor_run() -> bool:
    """True inside a check run by the tutor (spans are recorded only there); False when
    a check file is run by hand with pytest."""
    return "PYO3DSPY_TUTOR_BUILD_DIR" in os.environ


def spans() -> list[Any]:
    """DSPy spans finished so far in this run (``.kind``, ``.name``, ``.lm_source`` …)."""
    return list(_context.spans)


def lm_sources(spans_: list[Any] | None = None) -> list[str | None]:
    """Who answered each LM call among ``spans_`` (default: all of this run's), in order:
    ``"cassette"``, ``"scripted"``, ``"synthesized"`` or ``"provider"``."""
    chosen = spans() if spans_ is None else spans_
    return [s.lm_source for s in chosen if s.kind == "lm"]


def answered_by(since: int = 0) -> Literal["script", "model"]:
    """Who answered the LM calls recorded after the first ``since`` spans.

    ``"script"``: every call got this step's scripted answer, so a check can assert exact
    values. ``"model"``: a real provider or a recorded cassette answered (at least in
    part), so assert structure and types only. Fails the test when no LM call was made,
    or when the offline LM had to make an answer up (no script matched the prompt)::

        before = len(lesson_api.spans())
        got = step_module.ask(QUESTION)
        if lesson_api.answered_by(before) == "model":
            ...  # check types and shape
        else:
            ...  # check the scripted values exactly
    """
    if not in_tutor_run():  # run by hand: no spans are recorded, assume the step's scripts
        return "script"
    sources = set(lm_sources(spans()[since:]))
    assert sources, "no LM call was made: the function should run the DSPy module"
    assert "synthesized" not in sources, (
        "the offline LM had no scripted answer for this prompt: pass the check's text to "
        "DSPy unchanged, as the signature's input field"
    )
    return "script" if sources == {"scripted"} else "model"


def script(when: str, **fields: Any) -> None:
    """Script an offline-LM answer: ``fields`` for every call whose conversation holds
    ``when``. Added inside a test, it lasts until that test ends; outside, the whole run."""
    add_script(when=when, answer=fields)


def add_script(
    *,
    when: str | None = None,
    inputs: dict[str, str] | None = None,
    outputs: list[str] | None = None,
    answer: dict[str, Any] | None = None,
    answers: list[dict[str, Any]] | None = None,
) -> None:
    """Script an offline-LM answer, as an ``[[lm.script]]`` table would (AUTHORING.md):
    ``answer`` for every matching call, or ``answers`` one per matching call, in order.
    Scripts added by a test come before the step's and end with the test."""
    if _context.answerer is None:
        raise RuntimeError("lesson_api.add_script() works only inside a check run by the tutor")
    from tutor.lm.scripts import parse_script

    table: dict[str, Any] = {"when": when, "inputs": inputs, "outputs": outputs}
    table.update(answer=answer, answers=answers)
    given = {k: v for k, v in table.items() if v is not None}
    _context.answerer.scripts.add(parse_script(given, f"add_script({when or inputs or outputs!r})"))


def binary_path() -> Path:
    """The built program of a ``kind = "binary"`` step."""
    if _context.binary is None:
        raise RuntimeError("this step builds no binary (crate.kind is not 'binary')")
    return _context.binary


_runs = itertools.count()


def run_binary(
    *args: str, input: str | None = None, timeout: float = 10.0
) -> subprocess.CompletedProcess[str]:
    """Run the step's binary with this Python's environment (text in, text out).

    An embedded interpreter finds its standard library from the ``python3`` first on PATH
    and knows nothing of this process's sys.path; both are handed over here. Inside a
    tutor run the program's DSPy also gets this run's LM (the step's scripts and
    cassette, or the learner's provider) and its spans join this run's trace, from its
    first ``import dspy`` on (``tutor/embed``); its GIL timings (gil-probe) are collected
    for the GIL pane.
    """
    program = binary_path()
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    env["GIL_PROBE_OUT"] = str(build_dir() / f"gil-{os.getpid()}-{next(_runs)}.json")
    recorder = _context.recorder
    if recorder is None:  # a check run by hand: the program runs as it is
        env["PYTHONPATH"] = os.pathsep.join(paths)
        return _run(program, args, input, timeout, env)
    from tutor.embed import SITE_DIR, wire
    from tutor.embed.bridge import Bridge
    from tutor.lm.offline import OfflineEngine

    env["PYTHONPATH"] = os.pathsep.join([str(SITE_DIR), *paths])
    span = recorder.open_span("binary", program.name, {"args": list(args)})
    answerer = _context.answerer
    done: subprocess.CompletedProcess[str] | None = None
    error = None
    try:
        engine_for = partial(OfflineEngine, answerer)  # rollout_id → engine
        with Bridge(recorder, engine_for, _context.lm_settings, span) as bridge:
            env[wire.ENV_VAR] = bridge.path
            done = _run(program, args, input, timeout, env)
    except BaseException as e:  # a timeout, mostly: the span says so, the check sees it
        error = f"{type(e).__name__}: {e}"
        raise
    finally:
        outputs = {"returncode": done.returncode, "stdout": done.stdout} if done else None
        recorder.close_span(span, outputs, error)
    return done


def _run(
    program: Path, args: tuple[str, ...], input: str | None, timeout: float, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(program), *args], input=input, capture_output=True, text=True, timeout=timeout, env=env
    )


def build_dir() -> Path:
    """The folder holding the freshly built module or binary."""
    return Path(os.environ["PYO3DSPY_TUTOR_BUILD_DIR"])


def service_url(name: str) -> str:
    """The address of a service the step declares (``[[services]] name = "redis"``),
    started by the tutor for this run: e.g. ``redis://127.0.0.1:PORT/0``. The learner's
    code finds the same address in the environment (``REDIS_URL``)."""
    from tutor.services.catalog import SERVICES

    spec = SERVICES.get(name)
    if spec is None:
        raise RuntimeError(f"no service {name!r} is known (known: {', '.join(sorted(SERVICES))})")
    url = os.environ.get(spec.env_var)
    if url is None:
        raise RuntimeError(
            f"{name} is not running for this check: declare it in step.toml "
            f'([[services]] name = "{name}") and run the check with pyo3dspy-tutor'
        )
    return url


def free_port() -> int:
    """A free TCP port on 127.0.0.1, for steps whose check talks to a service."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def offline_provider(latency_s: float = 0.0) -> Iterator[OfflineProvider]:
    """Serve the offline LM as the ``offline/…`` provider inside the block.

    ``dspy.LM("offline/alpha")`` (built inside the block) then reaches the step's
    scripted answers over a real OpenAI-compatible endpoint on loopback, with its key
    in ``OFFLINE_API_KEY``. ``{model}`` in an answer becomes the model name; scripts
    match the whole conversation; ``latency_s`` delays every reply. See
    tutor/lm/provider.py and lessons/AUTHORING.md.
    """
    from tutor.lm.offline import OfflineAnswerer
    from tutor.lm.provider import OfflineProvider

    answerer = _context.answerer if _context.answerer is not None else OfflineAnswerer()
    with OfflineProvider(answerer, latency_s=latency_s) as provider:
        yield provider


class _KeepingDrain:
    """Stands in for a module's ``_gil_probe_drain`` once a check has read the samples:
    what the check drained is handed to the runner too, so the GIL pane loses nothing."""

    def __init__(self, drain: Any) -> None:
        self.drain = drain
        self.kept: dict[str, Any] = {}

    def peek(self) -> dict[str, Any]:
        from tutor.run.gil import merge

        self.kept = merge(self.kept, self.drain())
        return merge({}, self.kept)

    def __call__(self) -> dict[str, Any]:
        from tutor.run.gil import merge

        taken = merge(self.kept, self.drain())
        self.kept = {}
        return taken


def gil_samples(module: Any) -> dict[str, Any]:
    """The GIL probe samples ``module`` recorded so far in this run, per label
    (``{"label": {"wait_ns": [...], "hold_ns": [...], "detached_ns": [...], ...}}``).

    Unlike calling ``module._gil_probe_drain()`` yourself, the samples still reach the
    GIL pane at the end of the run.
    """
    drain = getattr(module, "_gil_probe_drain", None)
    if drain is None:
        raise RuntimeError(
            f"{getattr(module, '__name__', module)} has no _gil_probe_drain(): its #[pymodule] "
            "must call gil_probe::register(m)?"
        )
    if not isinstance(drain, _KeepingDrain):
        drain = _KeepingDrain(drain)
        module._gil_probe_drain = drain
    return drain.peek()


def gil_labels(module: Any) -> dict[str, GilLabelStats]:
    """:func:`gil_samples` summed up per label, as the GIL pane shows them.

    ``labels["predict"].count`` is how many ``gil_probe::attach("predict", …)`` calls
    finished, ``.detached_count`` / ``.detached_total_us`` the ``gil_probe::detach``
    calls under that label; hold and wait percentiles are in µs. To test one call,
    compare the counts before and after it.
    """
    from tutor.run.gil import gil_stats

    return {s.label: s for s in gil_stats(gil_samples(module)).labels}
