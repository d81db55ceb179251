"""Import a Python file and describe its DSPy modules and signatures as JSON.

Run as ``python -m tutor.inspect.child PYFILE [NAME]`` (the file's code runs here, never
in the tutor). Types become small JSON trees (``describe_type``) that ``rust.py`` turns
into Rust; nothing in the tree depends on this process.
"""

from __future__ import annotations

import enum
import importlib.util
import inspect
import json
import sys
import traceback
import types
import typing
from collections import abc
from pathlib import Path
from typing import Any

_SCALARS = {str: "str", int: "int", float: "float", bool: "bool"}


def describe_type(tp: Any, models: dict[str, Any]) -> dict[str, Any]:
    """A JSON tree for a Python annotation; pydantic models are collected in ``models``."""
    import pydantic

    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in _SCALARS:
        return {"kind": _SCALARS[tp]}
    if tp is type(None):
        return {"kind": "none"}
    if origin is typing.Literal:
        return {"kind": "literal", "values": list(args)}
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        inner = (
            describe_type(rest[0], models)
            if len(rest) == 1
            else {"kind": "union", "items": [describe_type(a, models) for a in rest]}
        )
        return {"kind": "optional", "inner": inner} if len(rest) < len(args) else inner
    if origin in (list, set, frozenset, abc.Sequence, abc.Set) or tp in (list, set):
        item = describe_type(args[0], models) if args else {"kind": "any"}
        return {"kind": "list", "item": item}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"kind": "list", "item": describe_type(args[0], models)}
        return {"kind": "tuple", "items": [describe_type(a, models) for a in args]}
    if origin in (dict, abc.Mapping) or tp is dict:
        key, value = args if args else (str, Any)
        return {
            "kind": "dict",
            "key": describe_type(key, models),
            "value": describe_type(value, models),
        }
    if inspect.isclass(tp) and issubclass(tp, enum.Enum):
        return {"kind": "enum", "name": tp.__name__, "values": [m.value for m in tp]}
    if inspect.isclass(tp) and issubclass(tp, pydantic.BaseModel):
        if tp.__name__ not in models:
            models[tp.__name__] = None  # placeholder: recursive models terminate
            models[tp.__name__] = {
                "name": tp.__name__,
                "doc": (tp.__doc__ or "").strip()
                if tp.__doc__ != pydantic.BaseModel.__doc__
                else "",
                "fields": [
                    {
                        "name": name,
                        "alias": info.alias,
                        "desc": info.description or "",
                        "type": describe_type(info.annotation, models),
                    }
                    for name, info in tp.model_fields.items()
                ],
            }
        return {"kind": "model", "name": tp.__name__}
    return {"kind": "any", "py": getattr(tp, "__name__", repr(tp))}


def py_name(tp: Any) -> str:
    if inspect.isclass(tp) and not typing.get_args(tp):
        return tp.__name__
    return repr(tp).replace("typing.", "")


def describe_signature(sig: Any, name: str, models: dict[str, Any]) -> dict[str, Any]:
    def fields(table: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for fname, info in table.items():
            desc = (info.json_schema_extra or {}).get("desc", "")
            out.append(
                {
                    "name": fname,
                    "py": py_name(info.annotation),
                    "type": describe_type(info.annotation, models),
                    "desc": "" if desc == f"${{{fname}}}" else desc,
                }
            )
        return out

    return {
        "name": name,
        "instructions": sig.instructions,
        "inputs": fields(sig.input_fields),
        "outputs": fields(sig.output_fields),
    }


def inspect_file(path: Path, wanted: str | None) -> dict[str, Any]:
    import dspy

    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    sys.path.insert(0, str(path.parent))
    spec.loader.exec_module(module)
    models: dict[str, Any] = {}
    found_modules, signatures = [], []
    for name, obj in vars(module).items():
        if name.startswith("_") or (wanted and name != wanted):
            continue
        if isinstance(obj, dspy.Module):
            found_modules.append(_module(name, obj, "instance", models))
        elif inspect.isclass(obj) and issubclass(obj, dspy.Module) and obj.__module__ == path.stem:
            try:
                instance = obj()
            except Exception as e:  # needs arguments: list what the class says
                found_modules.append(
                    {
                        "name": name,
                        "kind": "class",
                        "type": name,
                        "predictors": [],
                        "note": f"not instantiated: {type(e).__name__}: {e}".splitlines()[0],
                    }
                )
            else:
                found_modules.append(_module(name, instance, "class", models))
        elif (
            inspect.isclass(obj)
            and issubclass(obj, dspy.Signature)
            and obj is not dspy.Signature
            and obj.__module__ == path.stem
        ):
            signatures.append(describe_signature(obj, name, models))
    return {
        "file": str(path),
        "modules": found_modules,
        "signatures": signatures,
        "models": [m for m in models.values() if m],
    }


def _module(name: str, obj: Any, kind: str, models: dict[str, Any]) -> dict[str, Any]:
    predictors = [
        {
            "name": pname,
            "type": type(pred).__name__,
            "signature": describe_signature(
                pred.signature, _signature_name(name, pname, pred.signature), models
            ),
        }
        for pname, pred in obj.named_predictors()
    ]
    return {"name": name, "kind": kind, "type": type(obj).__name__, "predictors": predictors}


def _signature_name(module: str, predictor: str, sig: Any) -> str:
    """A class signature keeps its name; a string one is named after where it is used."""
    if sig.__name__ not in ("StringSignature", "Signature"):
        return sig.__name__
    words = predictor.replace(".", "_").split("_")
    parts = [module] + [p for p in words if p not in ("predict", "self")]
    return "".join(p[:1].upper() + p[1:] for part in parts for p in part.split("_") if p)


def main() -> None:
    path = Path(sys.argv[1]).resolve()
    wanted = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    try:
        result: dict[str, Any] = {"ok": True, **inspect_file(path, wanted)}
    except BaseException as e:  # the file's own error: shown with its line
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == str(path)]
        where = f"{path}:{frames[-1].lineno}" if frames else str(path)
        result = {"ok": False, "error": f"{where}: {type(e).__name__}: {e}".splitlines()[0]}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
