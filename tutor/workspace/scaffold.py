"""Scaffold a step's Cargo crate from the sandbox templates.

The tutor owns Cargo.toml and pyproject.toml (rewritten with tomlkit when the lesson
changes them); the learner owns the step's ``files``, which are only ever written
here when missing, or by reset/solution after a backup (``backups.py``).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import tomlkit

from tutor.atomic import write_bytes_atomic
from tutor.course.model import Step
from tutor.resources import data_dir
from tutor.workspace.backups import Notify, backup_files
from tutor.workspace.layout import Workspace
from tutor.workspace.manifest import explain, merge_manifest

OWNED_FILES = ("Cargo.toml", "pyproject.toml")
_log = logging.getLogger(__name__)


def scaffold(
    ws: Workspace, step: Step, variant: str = "learner", notify: Notify | None = None
) -> Path:
    """Make (or refresh) the step's crate and return its folder.

    ``variant`` "learner" keeps existing learner files and what the learner added to the
    manifests; "starter" and "solution" are scratch copies for lesson checks and always
    mirror the lesson. ``notify`` hears why a learner's manifest had to change.
    """
    sandboxes = data_dir("sandboxes")
    sync_tree(sandboxes / "gil-probe", ws.gil_probe)
    crate = ws.crate_dir(step, variant)
    template = sandboxes / step.kind
    for src in _files(template):
        rel = src.relative_to(template)
        learner_owned = rel.as_posix() in step.files  # comes from starter/ or solution/
        if rel.as_posix() not in OWNED_FILES and not learner_owned and not (crate / rel).exists():
            _write_if_changed(crate / rel, src.read_bytes())
    manifests = {
        "Cargo.toml": cargo_toml(ws, step, crate, template, variant),
        "pyproject.toml": pyproject_toml(step, template),
    }
    for name, text in manifests.items():
        if variant == "learner":
            text = _keep_learner_additions(ws, step, crate / name, text, notify)
        _write_if_changed(crate / name, text.encode())
    source = step.solution_dir if variant == "solution" else step.starter_dir
    for rel in step.files:
        if variant != "learner" or not (crate / rel).exists():
            _write_if_changed(crate / rel, (source / rel).read_bytes())
    return crate


def cargo_target_name(step: Step, variant: str) -> str:
    """The cargo lib/bin name. Variants get their own, because cargo writes a cdylib or
    binary to one unhashed path per name in the shared target dir: two crates with the
    same name would overwrite each other's output while both fingerprints stay fresh."""
    return step.crate_module if variant == "learner" else f"{step.crate_module}_{variant}"


def cargo_toml(ws: Workspace, step: Step, crate: Path, template: Path, variant: str) -> str:
    doc = tomlkit.parse((template / "Cargo.toml").read_text())
    doc["package"]["name"] = (
        step.crate_name if variant == "learner" else (f"{step.crate_name}-{variant}")
    )
    if step.kind == "extension":
        doc["lib"]["name"] = cargo_target_name(step, variant)
    else:
        doc["bin"][0]["name"] = cargo_target_name(step, variant)
    deps = doc["dependencies"]
    if step.pyo3_features:
        features = list(deps["pyo3"].get("features", []))
        deps["pyo3"]["features"] = sorted(set(features) | set(step.pyo3_features))
    deps["gil-probe"]["path"] = os.path.relpath(ws.gil_probe, crate).replace(os.sep, "/")
    for name, spec in step.dependencies.items():
        deps[name] = spec
    return tomlkit.dumps(doc)


def pyproject_toml(step: Step, template: Path) -> str:
    path = template / "pyproject.toml"
    if not path.exists():
        return ""
    doc = tomlkit.parse(path.read_text())
    doc["project"]["name"] = step.crate_module
    # maturin by hand names the module after #[pymodule], whatever the lib is called.
    doc.setdefault("tool", tomlkit.table()).setdefault("maturin", tomlkit.table())
    doc["tool"]["maturin"]["module-name"] = step.crate_module
    return tomlkit.dumps(doc)


def _keep_learner_additions(
    ws: Workspace, step: Step, path: Path, tutor_text: str, notify: Notify | None
) -> str:
    """The manifest to write: the tutor's, merged with the learner's additions; a learner
    version that must change is backed up first, and ``notify`` told why."""
    learner_text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else None
    merged = merge_manifest(tutor_text, learner_text)
    if merged.replaced or merged.unreadable:
        saved = backup_files(ws, step, [path.name], f"{path.stem.lower()}-replaced")
        message = explain(path.name, merged, str(saved / path.name if saved else path))
        (notify or _log.warning)(message)
    return merged.text


def sync_tree(src: Path, dst: Path) -> None:
    """Mirror ``src`` into ``dst`` touching only files whose bytes differ (keeps mtimes)."""
    for f in _files(src):
        _write_if_changed(dst / f.relative_to(src), f.read_bytes())


def _files(root: Path) -> list[Path]:
    skip = {"target", ".git", "__pycache__"}
    return [
        p
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and not skip.intersection(p.relative_to(root).parts)
        and p.name != "Cargo.lock"
    ]


def _write_if_changed(path: Path, data: bytes) -> None:
    # An unchanged mtime is what lets cargo skip work.
    if path.exists() and path.read_bytes() == data:
        return
    write_bytes_atomic(path, data)


def remove_crate(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
