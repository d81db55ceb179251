"""Scripts a test adds last as long as the test: a pytest plugin for the check child."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tutor.lm.scripts import ScriptError


class ScriptScope:
    """Around each test: step-script sequences start over; the test's scripts end with it.

    A script the test added that matched calls but fit none of them fails the test's
    teardown; a step script like that is reported on stderr when the run ends.
    """

    def __init__(self, answerer: Any) -> None:
        self.answerer = answerer

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: Any) -> Iterator[None]:
        self.answerer.begin_test()
        try:
            yield
        finally:
            self.answerer.scripts.end_test()

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        problems = self.answerer.scripts.never_answered("test")
        if problems:
            raise ScriptError("\n".join(problems))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for problem in self.answerer.scripts.never_answered("all"):
            print(f"offline LM: {problem}", file=sys.stderr)
