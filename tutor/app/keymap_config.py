"""``[keymap]`` in the config file: an unknown binding id or key name is an error naming
the file and line, with what would be valid — never a key that silently does nothing."""

from __future__ import annotations

import unicodedata

from textual.keys import KEY_ALIASES, KEY_NAME_REPLACEMENTS, Keys

from tutor.app.keymap import IDS
from tutor.config import Settings
from tutor.errors import TutorError
from tutor.tomlfile import read_toml

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
_NAMES = (
    {k.value.split("+")[-1] for k in Keys if not k.value.startswith("<")}
    | set(KEY_NAME_REPLACEMENTS.values())
    | set(KEY_ALIASES)
)


def key_problem(key: str) -> str | None:
    """Why ``key`` (e.g. "ctrl+j", "f12", "question_mark") is not a key, or None."""
    *modifiers, name = key.strip().split("+")
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown:
        return f"{unknown[0]!r} is not a modifier (use {', '.join(MODIFIERS)})"
    if len(name) == 1 or name in _NAMES:
        return None
    try:  # Textual names printable keys after Unicode: "question_mark", "full_stop"…
        unicodedata.lookup(name.replace("_", " "))
    except KeyError:
        return f"{name!r} is not a key name (e.g. a, f5, enter, space, question_mark)"
    return None


def validate_keymap(settings: Settings) -> None:
    """Raise FileError (naming the config file's line) for the first bad [keymap] entry."""
    for binding_id, keys in settings.keymap.items():
        if binding_id not in IDS:
            _fail(
                settings,
                binding_id,
                f"[keymap] {binding_id!r} is not a binding id",
                "use one of: " + ", ".join(sorted(IDS)),
            )
        for key in keys.split(","):
            problem = key_problem(key)
            if problem:
                _fail(
                    settings,
                    binding_id,
                    f"[keymap] {binding_id} = {keys!r}: {problem}",
                    'write keys like "ctrl+j" or "f12"; separate several with commas',
                )


def _fail(settings: Settings, binding_id: str, message: str, fix: str) -> None:
    if settings.config_path is None:
        raise TutorError(message, fix=fix)
    raise read_toml(settings.config_path).error(message, key=binding_id, fix=fix)
