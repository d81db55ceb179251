"""Rust serde types for DSPy signatures, from the JSON trees ``child.py`` writes.

str/int/float/bool → String/i64/f64/bool; list → Vec; dict → HashMap; Optional →
Option; Literal of strings → an enum (one variant per value, renamed to it); a Python
string Enum likewise; a pydantic model → a struct (aliases become serde renames);
anything else → serde_json::Value, with a comment saying what it was.
"""

from __future__ import annotations

import re
from typing import Any

_RUST_KEYWORDS = set(
    [
        "as",
        "async",
        "await",
        "break",
        "const",
        "continue",
        "crate",
        "dyn",
        "else",
        "enum",
        "extern",
        "false",
        "fn",
        "for",
        "if",
        "impl",
        "in",
        "let",
        "loop",
        "match",
        "mod",
        "move",
        "mut",
        "pub",
        "ref",
        "return",
        "self",
        "Self",
        "static",
        "struct",
        "super",
        "trait",
        "true",
        "type",
        "unsafe",
        "use",
        "where",
        "while",
        "abstract",
        "become",
        "box",
        "do",
        "final",
        "macro",
        "override",
        "priv",
        "try",
        "typeof",
        "unsized",
        "virtual",
        "yield",
        "gen",
    ]
)
_NOT_RAW = {"self", "super", "crate"}
_SCALARS = {"str": "String", "int": "i64", "float": "f64", "bool": "bool", "none": "()"}
DERIVES = "#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]"


def pascal(name: str) -> str:
    words = [w for w in re.split(r"[^0-9A-Za-z]+|(?<=[a-z0-9])(?=[A-Z])", name) if w]
    text = "".join(w[:1].upper() + w[1:] for w in words) or "Value"
    return text if text[0].isalpha() else f"V{text}"


def snake(name: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    text = re.sub(r"[^0-9A-Za-z_]+", "_", text).lower().strip("_") or "field"
    return text if not text[0].isdigit() else f"f_{text}"


class RustWriter:
    """Collects type definitions once each, in the order they are first needed."""

    def __init__(self, models: list[dict[str, Any]]) -> None:
        self.models = {m["name"]: m for m in models}
        self.items: dict[str, str] = {}  # type name → definition
        self.uses_map = False

    # -- types ------------------------------------------------------------------------

    def rust_type(self, t: dict[str, Any], owner: str, field: str) -> tuple[str, str]:
        """(Rust type, a comment for a lossy mapping or "")."""
        kind = t["kind"]
        if kind in _SCALARS:
            return _SCALARS[kind], ""
        if kind == "optional":
            inner, note = self.rust_type(t["inner"], owner, field)
            return f"Option<{inner}>", note
        if kind == "list":
            inner, note = self.rust_type(t["item"], owner, field)
            return f"Vec<{inner}>", note
        if kind == "tuple":
            parts = [self.rust_type(i, owner, field)[0] for i in t["items"]]
            return f"({', '.join(parts)}{',' if len(parts) == 1 else ''})", ""
        if kind == "dict":
            self.uses_map = True
            key, _ = self.rust_type(t["key"], owner, field)
            value, note = self.rust_type(t["value"], owner, field)
            return f"HashMap<{key}, {value}>", note
        if kind in ("literal", "enum"):
            values = t["values"]
            if values and all(isinstance(v, str) for v in values):
                name = t.get("name") or f"{owner}{pascal(field)}"
                self._enum(name, values)
                return name, ""
            return "serde_json::Value", f"one of {values!r}"
        if kind == "model":
            self._struct_from_model(self.models[t["name"]])
            return pascal(t["name"]), ""
        if kind == "union":
            return "serde_json::Value", "a union of several types"
        return "serde_json::Value", f"Python type {t.get('py', '?')}"

    def _enum(self, name: str, values: list[str]) -> None:
        if name in self.items:
            return
        self.items[name] = ""  # reserve the slot (keeps first-use order)
        lines = [DERIVES, f"pub enum {name} {{"]
        seen: set[str] = set()
        for value in values:
            variant = pascal(value)
            while variant in seen:
                variant += "_"
            seen.add(variant)
            lines += [f"    #[serde(rename = {_rust_str(value)})]", f"    {variant},"]
        self.items[name] = "\n".join([*lines, "}"])

    def _struct_from_model(self, model: dict[str, Any]) -> None:
        name = pascal(model["name"])
        if name in self.items:
            return
        self.items[name] = ""
        fields = [
            {"name": f["name"], "rename": f.get("alias"), "desc": f["desc"], "type": f["type"]}
            for f in model["fields"]
        ]
        self.items[name] = self._struct(name, model.get("doc", ""), fields)

    def struct(self, name: str, doc: str, fields: list[dict[str, Any]]) -> None:
        self.items[name] = ""
        self.items[name] = self._struct(name, doc, fields)

    def _struct(self, name: str, doc: str, fields: list[dict[str, Any]]) -> str:
        lines = [f"/// {line}".rstrip() for line in doc.splitlines()] if doc else []
        lines += [DERIVES, f"pub struct {name} {{"]
        for f in fields:
            rust, note = self.rust_type(f["type"], name, f["name"])
            ident = snake(f["name"])
            rename = f.get("rename") or (f["name"] if ident != f["name"] else None)
            if ident in _NOT_RAW:  # r#self is not allowed: rename instead
                ident, rename = f"{ident}_", f["name"]
            elif ident in _RUST_KEYWORDS:
                ident = f"r#{ident}"
            if f.get("desc"):
                lines.append(f"    /// {f['desc']}")
            if note:
                lines.append(f"    // {note}")
            if rename:
                lines.append(f"    #[serde(rename = {_rust_str(rename)})]")
            lines.append(f"    pub {ident}: {rust},")
        return "\n".join([*lines, "}"])

    def render(self, header: str) -> str:
        uses = ["use serde::{Deserialize, Serialize};"]
        if self.uses_map:
            uses.append("use std::collections::HashMap;")
        body = "\n\n".join(v for v in self.items.values() if v)
        return f"{header}\n{chr(10).join(uses)}\n\n{body}\n"


def _rust_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def signatures_to_rust(
    signatures: list[dict[str, Any]], models: list[dict[str, Any]], source: str
) -> str:
    """One `<Name>Input` and one `<Name>Output` struct per signature, plus what they use."""
    w = RustWriter(models)
    for sig in signatures:
        base = pascal(sig["name"])
        doc = sig.get("instructions", "")
        w.struct(f"{base}Input", f"Inputs of {sig['name']}: {doc}" if doc else "", sig["inputs"])
        w.struct(f"{base}Output", f"Outputs of {sig['name']}." if doc else "", sig["outputs"])
    header = (
        f"// Generated by `pyo3dspy-tutor inspect {source} --rust`.\n"
        '// Read a Prediction with pythonize::depythonize(&pred.call_method0("toDict")?) or\n'
        "// serde_json; pydantic models round-trip with model_dump(by_alias=True)."
    )
    return w.render(header)
