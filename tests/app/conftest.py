"""App tests: no developer config or themes, no animations, asyncio for async tests.

(The suite-wide conftest already points the config file and workspace into tmp.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.config import ENV_CONFIG


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The config file this test may write, and a private user themes folder."""
    monkeypatch.setenv(ENV_CONFIG, str(tmp_path / "config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.delenv("PYO3DSPY_TUTOR_WATCH", raising=False)
    return tmp_path / "config.toml"


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (anyio's pytest plugin; Textual is asyncio-only)."""
    return "asyncio"
