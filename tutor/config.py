"""Settings: defaults < config file < environment < command line.

The config file is TOML in the platform's config folder (or ``$PYO3DSPY_TUTOR_CONFIG``,
or ``--config``). API keys are never settings: providers read them from the
environment, and nothing here writes them anywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from tutor.errors import FileError
from tutor.tomlfile import TomlDoc, read_toml

APP = "pyo3dspy-tutor"
ENV_CONFIG = "PYO3DSPY_TUTOR_CONFIG"
ENV_WORKSPACE = "PYO3DSPY_TUTOR_WORKSPACE"
ENV_LESSONS = "PYO3DSPY_TUTOR_LESSONS"
ENV_LM = "PYO3DSPY_TUTOR_LM"
ENV_LM_API_BASE = "PYO3DSPY_TUTOR_LM_API_BASE"

ENV_THEME = "PYO3DSPY_TUTOR_THEME"
ENV_WATCH = "PYO3DSPY_TUTOR_WATCH"

_KEYS = {
    "workspace",
    "lessons",
    "lm",
    "theme",
    "editor",
    "watch",
    "keymap",
    "providers",
    "limits",
    "lesson_width",
}
_LM_KEYS = {"model", "api_base"}
_LIMITS_KEYS = {"memory_mib"}
DEFAULT_MEMORY_MIB = 2048  # per check; the warm runner itself takes ~80 MiB of it
WATCH_MODES = ("auto", "manual")
LESSON_WIDTHS = ("normal", "wide", "full")  # the app's lesson column; "full": the whole screen


@dataclass
class LMConfig:
    model: str = "offline"
    api_base: str | None = None


@dataclass
class LimitsConfig:
    memory_mib: int = DEFAULT_MEMORY_MIB  # a step's [check] memory_mib overrides it


@dataclass
class Settings:
    workspace: Path = field(default_factory=lambda: Path.home() / APP)
    lessons: Path | None = None  # None: the bundled course
    lm: LMConfig = field(default_factory=LMConfig)
    theme: str = "tutor-dark"
    editor: str | None = None  # None: $VISUAL, then $EDITOR
    watch: str = "auto"  # "auto": rebuild on save; "manual": a key runs the check
    keymap: dict[str, str] = field(default_factory=dict)  # binding id → keys
    providers: list[str] = field(default_factory=list)  # models offered by "switch LM"
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    lesson_width: str = "normal"  # one of LESSON_WIDTHS; the app saves the learner's choice
    config_path: Path | None = None
    workspace_chosen: bool = False  # set by a flag, the environment or the config file


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def load_settings(
    config: Path | None = None,
    workspace: Path | None = None,
    lessons: Path | None = None,
    lm: str | None = None,
) -> Settings:
    """Merge every source; a malformed config file raises FileError naming the line."""
    settings = Settings()
    if config is not None and not config.expanduser().exists():
        # Named on the command line: ignoring it would run with settings nobody asked for.
        raise FileError(
            config,
            "the config file given with --config does not exist",
            fix=f"create it, fix the path, or leave --config out to use {default_config_path()}",
        )
    path = config or (Path(os.environ[ENV_CONFIG]) if os.environ.get(ENV_CONFIG) else None)
    path = (path or default_config_path()).expanduser()
    if path.is_dir():
        raise FileError(
            path,
            "this is a folder; the config is a file",
            fix=f"name the file, e.g. --config {path / 'config.toml'}",
        )
    if path.exists():
        settings.config_path = path
        _apply_file(settings, path)
    env = os.environ
    if env.get(ENV_WORKSPACE):
        settings.workspace = Path(env[ENV_WORKSPACE])
        settings.workspace_chosen = True
    if env.get(ENV_LESSONS):
        settings.lessons = Path(env[ENV_LESSONS])
    if env.get(ENV_LM):
        settings.lm.model = env[ENV_LM]
    if env.get(ENV_LM_API_BASE):
        settings.lm.api_base = env[ENV_LM_API_BASE]
    if env.get(ENV_THEME):
        settings.theme = env[ENV_THEME]
    if env.get(ENV_WATCH) in WATCH_MODES:
        settings.watch = env[ENV_WATCH]
    if workspace:
        settings.workspace = workspace
        settings.workspace_chosen = True
    if lessons:
        settings.lessons = lessons
    if lm:
        settings.lm.model = lm
    settings.workspace = settings.workspace.expanduser().resolve()
    return settings


def _apply_file(settings: Settings, path: Path) -> None:
    doc = read_toml(path)
    d = doc.data
    doc.check_keys(d, _KEYS)
    if "workspace" in d:
        settings.workspace = Path(doc.get(d, "workspace", str)).expanduser()
        settings.workspace_chosen = True
    if "lessons" in d:
        settings.lessons = Path(doc.get(d, "lessons", str)).expanduser()
    settings.theme = doc.get(d, "theme", str, settings.theme)
    settings.editor = doc.get(d, "editor", str, settings.editor)
    settings.watch = _choice(
        doc,
        "watch",
        settings.watch,
        WATCH_MODES,
        'use watch = "auto" (rebuild on save) or "manual" (press a key)',
    )
    settings.lesson_width = _choice(
        doc,
        "lesson_width",
        settings.lesson_width,
        LESSON_WIDTHS,
        'use lesson_width = "normal", "wide" or "full"',
    )
    # Binding ids hold dots: `step.next = "f4"` parses as a nested table; flatten it.
    keymap = _flatten(doc.get(d, "keymap", dict, {}))
    for binding_id, keys in keymap.items():
        if not isinstance(keys, str):
            raise doc.error(
                f"keymap.{binding_id} must be a string of keys",
                key=binding_id,
                fix=f'write {binding_id} = "ctrl+r" (comma-separate several keys)',
            )
    settings.keymap = dict(keymap)
    settings.providers = doc.get_str_list(d, "providers", [])
    lm = doc.get(d, "lm", dict, {})
    doc.check_keys(lm, _LM_KEYS, "lm")
    settings.lm.model = doc.get(lm, "model", str, settings.lm.model, "lm")
    settings.lm.api_base = doc.get(lm, "api_base", str, settings.lm.api_base, "lm")
    limits = doc.get(d, "limits", dict, {})
    doc.check_keys(limits, _LIMITS_KEYS, "limits")
    memory = doc.get(limits, "memory_mib", int, settings.limits.memory_mib, "limits")
    if memory <= 0:
        raise doc.error(
            "limits.memory_mib must be positive",
            key="memory_mib",
            fix=f"give each check's memory limit in MiB, e.g. memory_mib = {DEFAULT_MEMORY_MIB}",
        )
    settings.limits.memory_mib = memory


def _choice(doc: TomlDoc, key: str, default: str, choices: tuple[str, ...], fix: str) -> str:
    """A top-level string that must be one of ``choices``."""
    value = doc.get(doc.data, key, str, default)
    if value not in choices:
        raise doc.error(f"{key} = {value!r} is not one of {', '.join(choices)}", key=key, fix=fix)
    return value


def _flatten(table: dict[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def update_config_file(path: Path, updates: dict[str, object]) -> None:
    """Set keys (dotted: ``lm.model``) in the config file, keeping its comments."""
    import tomlkit

    from tutor.atomic import write_text_atomic

    doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    for dotted, value in updates.items():
        *tables, key = dotted.split(".")
        target = doc
        for name in tables:
            target = target.setdefault(name, tomlkit.table())
        target[key] = value
    write_text_atomic(path, tomlkit.dumps(doc))
