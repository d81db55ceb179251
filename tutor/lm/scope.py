"""Scripts a test adds last as long as the test: a pytest plugin for the check child."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


class ScriptScope:
    """Around each test: step-script sequences start over; the test's scripts end with it."""

    def __init__(self, answerer: Any) -> None:
        self.answerer = answerer

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: Any) -> Iterator[None]:
        self.answerer.begin_test()
        try:
            yield
        finally:
            self.answerer.scripts.end_test()
