"""`pyo3dspy-tutor lm`: provenance, a real test call in a child process, `use` with tomlkit."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SECRET = "sk-test-0123456789abcdef"


def tutor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("pyo3dspy-tutor")
    assert exe, "the console script is not installed (pip install -e .)"
    # No real key from the developer's shell leaks into a test; a test may set its own.
    full_env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"} | (env or {})
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, env=full_env)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("PYO3DSPY_TUTOR_CONFIG", str(path))
    return path


def rows(stdout: str) -> dict[str, str]:
    return {line.split()[0]: line for line in stdout.splitlines() if line.strip()}


def test_show_names_the_source_of_each_value(config: Path):
    assert rows(tutor("lm").stdout)["model"].split()[1:] == ["offline", "default"]
    config.write_text('theme = "tutor-dark"\n\n[lm]\nmodel = "anthropic/claude-x"\n')
    got = rows(tutor("lm", "show").stdout)
    assert got["model"].endswith(f"config {config}:4")
    assert "ANTHROPIC_API_KEY NOT SET" in tutor("lm", "show", env={"ANTHROPIC_API_KEY": ""}).stdout
    got = rows(tutor("lm", "show", env={"PYO3DSPY_TUTOR_LM": "openai/gpt-4o"}).stdout)
    assert got["model"].split()[1:] == ["openai/gpt-4o", "env", "PYO3DSPY_TUTOR_LM"]
    got = rows(tutor("--lm", "offline", "lm", env={"PYO3DSPY_TUTOR_LM": "openai/x"}).stdout)
    assert got["model"].split()[1:] == ["offline", "flag", "--lm"]


def test_show_never_prints_a_key(config: Path):
    config.write_text('[lm]\nmodel = "openai/gpt-4o-mini"\n')
    done = tutor("lm", "show", env={"OPENAI_API_KEY": SECRET})
    assert "OPENAI_API_KEY set" in done.stdout
    assert SECRET not in done.stdout + done.stderr


def test_offline_test_reports_latency_and_tokens(config: Path):
    done = tutor("lm", "test")
    assert done.returncode == 0, done.stdout + done.stderr
    line = done.stdout.strip()
    assert line.startswith("✓ offline (built-in) answered 'pong' in ")
    assert " ms (" in line and " in / " in line and "scripted reply" in line


def test_a_provider_without_its_key_is_one_clear_line(config: Path):
    done = tutor("--lm", "openai/gpt-4o-mini", "lm", "test")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "✗ openai/gpt-4o-mini needs an API key: set OPENAI_API_KEY in the environment and restart."
    ]


def test_an_unreachable_provider_fails_in_one_line_without_the_key(config: Path):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = tutor(
        "--lm",
        "openai/gpt-4o-mini",
        "lm",
        "test",
        env={"OPENAI_API_KEY": SECRET, "PYO3DSPY_TUTOR_LM_API_BASE": f"http://127.0.0.1:{port}/v1"},
    )
    assert done.returncode == 1
    (line,) = done.stdout.splitlines()
    assert line.startswith(f"✗ openai/gpt-4o-mini at http://127.0.0.1:{port}/v1 failed after ")
    assert SECRET not in done.stdout + done.stderr


def test_use_keeps_comments_and_other_keys(config: Path):
    config.write_text(
        '# mine\ntheme = "tutor-light"  # my theme\n\n[lm]\n# pick one\nmodel = "offline"\n'
    )
    done = tutor("lm", "use", "ollama_chat/llama3.2", "--api-base", "http://localhost:11434")
    assert done.returncode == 0, done.stderr
    assert config.read_text() == (
        '# mine\ntheme = "tutor-light"  # my theme\n\n[lm]\n# pick one\n'
        'model = "ollama_chat/llama3.2"\napi_base = "http://localhost:11434"\n'
    )
    assert rows(tutor("lm").stdout)["model"].split()[1] == "ollama_chat/llama3.2"


def test_use_creates_the_config_file(config: Path):
    assert not config.exists()
    done = tutor("lm", "use", "openai/gpt-4o-mini")
    assert done.returncode == 0
    assert config.read_text() == '[lm]\nmodel = "openai/gpt-4o-mini"\n'
    assert "needs an API key: set OPENAI_API_KEY" in done.stdout


def test_use_refuses_a_bad_name_and_a_broken_file(config: Path):
    done = tutor("lm", "use", "gpt")
    assert done.returncode == 2 and "'gpt' is not a model name" in done.stderr
    config.write_text("[lm\nmodel = 1\n")
    done = tutor("lm", "use", "offline")
    assert done.returncode == 2 and f"{config}:1" in done.stderr
    assert config.read_text() == "[lm\nmodel = 1\n"


def test_the_cli_process_never_imports_dspy(config: Path):
    code = (
        "import sys\nfrom tutor.cli import main\n"
        "assert main(['lm', 'test']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'dspy'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
