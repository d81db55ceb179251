"""Theme files (TOML) → Textual themes, plus the editor's syntax theme for each.

Bundled themes live in ``themes/`` (``tutor.resources.data_dir("themes")``); a learner's
own go in ``<config dir>/themes``. A broken file is reported (file, line, problem) and
skipped: the app never fails to start because of a theme.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from textual.color import Color, ColorParseError
from textual.theme import Theme

from tutor.config import APP
from tutor.errors import FileError
from tutor.resources import data_dir
from tutor.tomlfile import TomlDoc, read_toml

DEFAULT_THEME = "tutor-dark"
SYNTAX_THEMES = ("css", "monokai", "dracula", "vscode_dark", "github_light")
SYNTAX_VARIABLE = "syntax-theme"  # stored in Theme.variables; the editor reads it

_KEYS = {"name", "dark", "syntax_theme", "colors", "variables"}
_COLORS = {
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_STYLE_WORDS = {"bold", "italic", "underline", "reverse", "dim", "strike", "none", "not"}


def user_themes_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "themes"


def theme_dirs() -> list[Path]:
    """Bundled first, so a learner's theme of the same name replaces the bundled one."""
    return [data_dir("themes"), user_themes_dir()]


@dataclass
class LoadedThemes:
    themes: list[Theme]
    problems: list[FileError]


def load_themes(folders: list[Path]) -> LoadedThemes:
    themes: dict[str, Theme] = {}
    problems: list[FileError] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except FileError as e:
                problems.append(e)
                continue
            themes[theme.name] = theme
    return LoadedThemes(list(themes.values()), problems)


def load_theme_file(path: Path) -> Theme:
    doc = read_toml(path)
    d = doc.data
    doc.check_keys(d, _KEYS)
    name = doc.get(d, "name", str)
    if not _NAME_RE.match(name):
        raise doc.error(
            f"theme name {name!r} is not valid",
            key="name",
            fix="use lowercase letters, digits and '-', e.g. name = \"my-theme\"",
        )
    syntax = doc.get(d, "syntax_theme", str, "")
    if syntax and syntax not in SYNTAX_THEMES:
        raise doc.error(
            f"syntax_theme {syntax!r} is not known",
            key="syntax_theme",
            fix=f"use one of {', '.join(SYNTAX_THEMES)}",
        )
    dark = doc.get(d, "dark", bool, True)
    colors = doc.get(d, "colors", dict, {})
    doc.check_keys(colors, _COLORS, "colors")
    if "primary" not in colors:
        raise doc.error(
            "[colors] needs at least primary",
            key="colors",
            fix='add primary = "#4EA1FF" under [colors]',
        )
    for key in colors:
        _check_color(doc, doc.get(colors, key, str, where="colors"), key)
    variables = doc.get(d, "variables", dict, {})
    for key in variables:
        value = doc.get(variables, key, str, where="variables")
        if not set(value.split()) <= _STYLE_WORDS:
            _check_color(doc, value, key)
    variables = dict(variables)
    variables[SYNTAX_VARIABLE] = syntax or ("vscode_dark" if dark else "github_light")
    return Theme(name=name, dark=dark, variables=variables, **colors)


def _check_color(doc: TomlDoc, value: str, key: str) -> None:
    try:
        Color.parse(value)
    except ColorParseError:
        raise doc.error(
            f"{key} = {value!r} is not a colour",
            key=key,
            fix='write a colour such as "#4EA1FF", "rgb(78,161,255)" or "ansi_blue"',
        ) from None


def syntax_theme_for(theme: Theme) -> str:
    """The TextArea theme that goes with an app theme (any theme, ours or Textual's)."""
    wanted = theme.variables.get(SYNTAX_VARIABLE, "")
    if wanted in SYNTAX_THEMES:
        return wanted
    return "vscode_dark" if theme.dark else "github_light"
