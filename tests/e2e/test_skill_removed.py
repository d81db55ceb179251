"""Each check tests what its step teaches: the solution with one skill removed fails.

The variants are in tests/fixtures/skill_removed.toml (the solution, one replacement).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tutor.course import bundled_course_dir, load_course
from tutor.events import Event, TestResult
from tutor.session import Session
from tutor.workspace.setup import init_workspace

COURSE = load_course(bundled_course_dir())
VARIANTS = tomllib.loads(
    (Path(__file__).parent.parent / "fixtures" / "skill_removed.toml").read_text()
)["variant"]


def variant_source(v: dict) -> str:
    solution = (COURSE.step(v["step"]).solution_dir / "src" / "lib.rs").read_text()
    assert solution.count(v["replace"]) == 1, f"{v['skill']}: `replace` no longer matches"
    return solution.replace(v["replace"], v["with"])


@pytest.mark.parametrize("v", VARIANTS, ids=lambda v: f"{v['step']}: {v['skill']}")
def test_variant_still_matches_the_solution(v):
    assert variant_source(v) != ""


# Steps whose checks have not been proved this way yet. Only ever shrinks: a new step
# comes with its variants.
NOT_YET_PROVED = {
    "lm-configuration",
    "error-handling",
    "module-state",
    "benchmarking",
    "signature-types",
    "prediction-fields",
    "pydantic-serde",
    "custom-types",
    "robust-parsing",
    "compile-time-safety",
    "signature-codegen",
    "typed-pipeline",
    "tokio-asyncio",
    "streaming",
    "concurrent-calls",
    "backpressure",
    "cancellation",
    "stream-parsing",
    "runtime-management",
    "vector-store",
    "dspy-retriever",
    "context-management",
    "hybrid-search",
    "reranking",
    "embedding-cache",
    "retrieval-tuning",
    "rag-evaluation",
    "circuit-breaker",
    "metrics",
    "structured-logging",
    "cost-tracking",
    "ab-testing",
    "multi-level-cache",
}


def test_every_step_has_a_variant():
    steps = {s.id for s in COURSE.steps()}
    proved = {v["step"] for v in VARIANTS}
    assert steps - proved == NOT_YET_PROVED & steps
    assert not proved & NOT_YET_PROVED, "proved now: take it off NOT_YET_PROVED"


@pytest.fixture(scope="module")
def session(tmp_path_factory, shared_target):
    ws = workspace_with_shared_target(tmp_path_factory.mktemp("skills") / "ws", shared_target)
    init_workspace(ws, COURSE)
    s = Session(COURSE, ws, {"model": "offline", "api_base": None})
    yield s, ws
    s.close()


@pytest.mark.slow
@pytest.mark.parametrize("v", VARIANTS, ids=lambda v: f"{v['step']}: {v['skill']}")
def test_the_check_fails_without_the_skill(session, v):
    s, ws = session
    step = COURSE.step(v["step"])
    crate = ws.crate_dir(step)
    if not crate.exists():
        from tutor.workspace.scaffold import scaffold

        scaffold(ws, step, "learner")
    (crate / "src" / "lib.rs").write_text(variant_source(v))
    events: list[Event] = []
    verdict = s.check(step, events.append)
    failed = {e.name for e in events if isinstance(e, TestResult) and e.outcome == "failed"}
    assert (verdict.verdict, verdict.reason) == ("fail", "test"), (verdict.summary, verdict.errors)
    assert set(v["fails"]) <= failed, f"{v['skill']}: failed only {sorted(failed)}"
