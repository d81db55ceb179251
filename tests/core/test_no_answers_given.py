"""Nothing copied into every workspace gives a step's solution away.

sandboxes/ (the crate templates and the gil-probe crate with its README) lands in each
learner's workspace. A solution line that does real work (not a comment, an import or a
line the starter already has) must not appear there: lesson READMEs teach with another
library, hints get close on request, and the solution is applied only when asked for.
"""

from __future__ import annotations

import pytest

from tutor.course import bundled_course_dir, load_course
from tutor.resources import data_dir

COURSE = load_course(bundled_course_dir())


def telling_lines(step) -> set[str]:
    given = {
        ln.strip()
        for path in step.starter_dir.rglob("*")
        if path.is_file()
        for ln in path.read_text().splitlines()
    }
    return {
        ln.strip()
        for path in step.solution_dir.rglob("*.rs")
        for ln in path.read_text().splitlines()
        if len(ln.strip()) >= 20
        and not ln.strip().startswith(("//", "#[", "use "))
        and ln.strip() not in given
    }


@pytest.mark.parametrize("step", COURSE.steps(), ids=lambda s: s.id)
def test_no_solution_line_is_in_the_sandboxes(step):
    texts = {
        str(p): p.read_text(errors="replace")
        for p in data_dir("sandboxes").rglob("*")
        if p.is_file()
    }
    leaks = sorted(
        f"{where}: {ln}" for ln in telling_lines(step) for where, t in texts.items() if ln in t
    )
    assert leaks == []
