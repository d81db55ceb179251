"""The check child's ScriptScope plugin: test scripts end with the test; misfits fail it."""

from __future__ import annotations

import pytest

from tutor import lesson_api
from tutor.lm.offline import OfflineAnswerer, make_offline_lm
from tutor.lm.scope import ScriptScope

CHECK = '''
import dspy
from tutor import lesson_api

def test_adds_a_script():
    lesson_api.add_script(when="Dune", answer={"answer": "Frank Herbert"})
    assert dspy.Predict("question -> answer")(question="Dune?").answer == "Frank Herbert"

def test_it_is_gone():
    assert dspy.Predict("question -> answer")(question="Dune?").answer != "Frank Herbert"

def test_a_misspelt_script_fails_the_test():
    lesson_api.add_script(when="Dune", answer={"answr": "typo"})
    dspy.Predict("question -> answer")(question="Dune?")
'''


class Outcomes:
    def __init__(self):
        self.seen = {}

    def pytest_runtest_logreport(self, report):
        if report.failed or report.when == "call":
            self.seen.setdefault(report.nodeid.split("::")[-1], []).append(
                (report.when, report.outcome, report.longreprtext[-300:])
            )


def test_scripts_are_scoped_to_their_test(tmp_path, monkeypatch):
    import dspy

    answerer = OfflineAnswerer()
    monkeypatch.setattr(lesson_api, "_context", lesson_api._RunContext(answerer=answerer))
    (tmp_path / "check_scope.py").write_text(CHECK)
    outcomes = Outcomes()
    with dspy.context(lm=make_offline_lm(answerer)):
        args = [str(tmp_path / "check_scope.py"), "-q", "-p", "no:cacheprovider"]
        pytest.main(args + ["-p", "no:textual-snapshot"], plugins=[ScriptScope(answerer), outcomes])
    seen = outcomes.seen
    assert seen["test_adds_a_script"] == [("call", "passed", "")]
    assert seen["test_it_is_gone"] == [("call", "passed", "")]
    misfit = seen["test_a_misspelt_script_fails_the_test"]
    assert [(when, outcome) for when, outcome, _ in misfit] == [
        ("call", "passed"),
        ("teardown", "failed"),
    ]
    assert "never answered" in misfit[1][2] and "['answr']" in misfit[1][2]
