"""`pyo3dspy-tutor lm [show | test | use MODEL]`: the LM in effect, a test call, a switch.

``show`` names where each value came from (flag, environment, config file with its
line, or default). ``test`` sends one tiny request from a child process (this process
never imports dspy). ``use`` writes ``[lm] model`` to the config file with tomlkit,
keeping its comments. API keys are never printed: only whether they are set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.config import (
    ENV_CONFIG,
    ENV_LM,
    ENV_LM_API_BASE,
    Settings,
    default_config_path,
    update_config_file,
)
from tutor.console import markup
from tutor.errors import TutorError
from tutor.lm.settings import KEY_ENV_VARS, OFFLINE, LMSettings, describe, missing_key, provider_of
from tutor.tomlfile import read_toml


@dataclass(frozen=True)
class Value:
    name: str
    value: str | None
    source: str  # "flag --lm", "env PYO3DSPY_TUTOR_LM", "config <path>:<line>", "default"


def register(sub: Any) -> None:
    s = sub.add_parser("lm", help="the LM in effect: show it, test it, or switch (lm use MODEL)")
    lm_sub = s.add_subparsers(dest="lm_action", metavar="ACTION")
    lm_sub.add_parser("show", help="the LM settings in effect and where each came from")
    t = lm_sub.add_parser("test", help="send one tiny request; report latency and tokens")
    t.add_argument("--timeout", type=float, default=60.0, help="seconds (default 60)")
    u = lm_sub.add_parser("use", help="write [lm] model = MODEL to the config file")
    u.add_argument("model", help="'offline', or provider/name such as openai/gpt-4o-mini")
    u.add_argument("--api-base", help="also set [lm] api_base (e.g. http://localhost:11434)")
    s.set_defaults(handler=cmd_lm, needs_course=False, lm_action="show")


def cmd_lm(args: argparse.Namespace, settings: Settings, _course: object) -> int:
    from tutor.cli import out

    if args.lm_action == "use":
        return _use(args, settings, out)
    values = provenance(settings, flag_model=args.lm)
    if args.lm_action == "test":
        return _test(settings, args.timeout, out)
    for v in values:
        value = v.value if v.value is not None else "-"
        out.print(markup("{} {} [dim]{}[/]", f"{v.name:10}", f"{value:34}", v.source))
    return 0


def provenance(settings: Settings, flag_model: str | None) -> list[Value]:
    """Each LM value in effect and the layer it came from (same order as load_settings)."""
    config = _config_lm(settings.config_path)
    model = settings.lm.model
    env = os.environ
    model_source = _first(
        (bool(flag_model), "flag --lm"),
        (bool(env.get(ENV_LM)), f"env {ENV_LM}"),
        ("model" in config, config.get("model", "")),
        (True, "default"),
    )
    base_source = _first(
        (bool(env.get(ENV_LM_API_BASE)), f"env {ENV_LM_API_BASE}"),
        ("api_base" in config, config.get("api_base", "")),
        (True, "default (the provider's own)"),
    )
    values = [
        Value("model", model, model_source),
        Value("api_base", settings.lm.api_base, base_source),
        Value("provider", provider_of(model), "from the model"),
    ]
    var = KEY_ENV_VARS.get(provider_of(model))
    if var:
        state = "set" if os.environ.get(var) else "NOT SET"
        values.append(Value("api key", f"{var} {state}", "env (never stored or shown)"))
    elif model != OFFLINE:
        values.append(Value("api key", "none needed or provider-specific", "-"))
    values.append(
        Value(
            "config",
            str(settings.config_path or config_target(None)),
            "in use" if settings.config_path else "not created yet (`lm use` writes it)",
        )
    )
    return values


def _first(*layers: tuple[bool, str]) -> str:
    """The source of the highest layer that sets the value (flag > env > config > default)."""
    return next(source for present, source in layers if present)


def config_target(flag: Path | None) -> Path:
    """The config file in effect, whether or not it exists yet (as load_settings picks it)."""
    env = os.environ.get(ENV_CONFIG)
    return flag or (Path(env) if env else default_config_path())


def _config_lm(path: Path | None) -> dict[str, str]:
    """lm keys present in the config file → 'config <path>:<line>'."""
    if path is None or not path.exists():
        return {}
    doc = read_toml(path)
    lm = doc.data.get("lm", {})
    return {k: f"config {path}:{doc.line_of(k) or 1}" for k in ("model", "api_base") if k in lm}


def _test(settings: Settings, timeout: float, out: Any) -> int:
    lm = LMSettings(model=settings.lm.model, api_base=settings.lm.api_base)
    problem = missing_key(lm)
    if problem:
        out.print(markup("[red]✗[/] {}", problem))
        return 1
    payload = json.dumps({"model": lm.model, "api_base": lm.api_base})
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tutor.lm.probe", payload],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        out.print(markup("[red]✗[/] {} did not answer within {} s", describe(lm), f"{timeout:g}"))
        return 1
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise TutorError(f"the LM test process failed: {tail}", fix="run `pyo3dspy-tutor doctor`")
    r = json.loads(lines[-1])
    if not r["ok"]:
        out.print(
            markup(
                "[red]✗[/] {} failed after {} s: {}",
                describe(lm),
                f"{r['latency_s']:.2f}",
                r["error"],
            )
        )
        return 1
    tokens = f"{r['input_tokens'] or '?'} in / {r['output_tokens'] or '?'} out"
    by = f", answered by the {r['answered_by']} reply" if r.get("answered_by") else ""
    ms = f"{r['latency_s'] * 1000:.0f}"
    answered = f"{describe(lm)} answered {r['answer']!r} in {ms} ms ({tokens} tokens{by})"
    out.print(markup("[green]✓[/] {}", answered))
    return 0


def _use(args: argparse.Namespace, settings: Settings, out: Any) -> int:
    model = args.model.strip()
    if model != OFFLINE and ("/" not in model or model.startswith("/") or model.endswith("/")):
        raise TutorError(
            f"{model!r} is not a model name",
            fix="use 'offline' or provider/name, e.g. openai/gpt-4o-mini, ollama_chat/llama3.2",
        )
    path = config_target(args.config)
    if path.exists():
        read_toml(path)  # a malformed file is reported with its line, never overwritten
    updates: dict[str, object] = {"lm.model": model}
    if args.api_base:
        updates["lm.api_base"] = args.api_base
    update_config_file(path, updates)
    out.print(f"Wrote lm.model = {model!r} to {path} (was {settings.lm.model!r}).")
    if args.api_base:
        out.print(f"Wrote lm.api_base = {args.api_base!r}.")
    elif settings.lm.api_base and "api_base" in _config_lm(path):
        out.print(
            markup(
                "[yellow]Note:[/] lm.api_base = {} is still set there.", repr(settings.lm.api_base)
            )
        )
    if os.environ.get(ENV_LM) or args.lm:
        out.print(markup("[yellow]Note:[/] {} or --lm overrides the file for this shell.", ENV_LM))
    problem = missing_key(LMSettings(model=model))
    if problem:
        out.print(markup("[yellow]Note:[/] {}", problem))
    return 0
