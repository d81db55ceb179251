"""Every catalogue entry is proven by a real broken snippet compiled on the pinned toolchain.

A new rustc or PyO3 that rewords a message fails here instead of silently losing the help.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.coach.snippets import check_snippets, snippet_names
from tutor.coach import Coach, load_catalogue
from tutor.events import Diagnostic

pytestmark = pytest.mark.slow
CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def diagnostics(
    tmp_path_factory: pytest.TempPathFactory, shared_target: Path
) -> dict[str, list[Diagnostic]]:
    return check_snippets(tmp_path_factory.mktemp("coach-snippets"), shared_target)


def notes_for(found: list[Diagnostic]) -> set[str | None]:
    coach = Coach(CATALOGUE)
    annotated = [coach.annotate(d) for d in found]
    return {d.coach.entry if d.coach else None for d in annotated if d.level == "error"}


@pytest.mark.parametrize("name", snippet_names())
def test_snippet_gets_its_entry_and_no_other(
    name: str, diagnostics: dict[str, list[Diagnostic]]
) -> None:
    errors = [d for d in diagnostics[name] if d.level == "error"]
    assert errors, f"{name}.rs compiled without errors: it proves nothing"
    expected = name.split("--")[0]
    assert notes_for(errors) == {expected}, "\n\n".join(d.rendered for d in errors)


def test_every_compiler_entry_has_a_snippet() -> None:
    proven = {name.split("--")[0] for name in snippet_names()}
    compiler = {e.id for e in CATALOGUE if e.source == "compiler"}
    assert compiler - proven == set()
    assert proven - compiler == set()  # a snippet named after no entry
