"""Load and validate a course folder (see lessons/AUTHORING.md).

Every problem becomes one FileError naming the file, the line where one is known and
what to fix. Nothing here reads beyond the course folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tutor.course.model import Course, Module, ScriptedReply, Step
from tutor.errors import FileError
from tutor.lm.cassette import load_cassette
from tutor.lm.scripts import ScriptError, parse_script
from tutor.lm.task import TaskError, parse_task
from tutor.services.catalog import SERVICES
from tutor.textfile import check_text_tree
from tutor.tomlfile import TomlDoc, read_toml

FORMAT_VERSION = 1
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_MODULE_RE = re.compile(r"^[a-z_][a-z0-9_]*$")

_COURSE_KEYS = {"format_version", "id", "title", "modules", "welcome", "final_message"}
_MODULE_KEYS = {"id", "title", "skill", "summary", "steps"}
_STEP_KEYS = {
    *("id", "title", "goal", "estimate_minutes", "files", "hints"),
    *("crate", "check", "lm", "services"),
}
_SERVICE_KEYS = {"name"}
_CRATE_KEYS = {"kind", "module", "pyo3_features", "dependencies"}
_CHECK_KEYS = {"file", "timeout_seconds", "memory_mib"}
_LM_KEYS = {"cassette", "script", "task"}


def load_course(root: Path) -> Course:
    root = root.expanduser().resolve()
    if root.is_file() and root.name == "course.toml":
        root = root.parent  # the course's own file names its folder well enough
    elif not root.is_dir():
        raise FileError(
            root,
            "not a course folder" + ("" if root.exists() else " (it does not exist)"),
            fix="give --lessons (or `lessons` in the config file) the folder that holds "
            "course.toml",
        )
    check_text_tree(root)  # a lesson README or check that is not UTF-8 stops here, named
    doc = read_toml(root / "course.toml")
    d = doc.data
    doc.check_keys(d, _COURSE_KEYS)
    version = doc.get(d, "format_version", int)
    if version != FORMAT_VERSION:
        raise doc.error(
            f"format_version {version} is not supported (this tutor reads {FORMAT_VERSION})",
            key="format_version",
            fix="upgrade pyo3dspy-tutor or convert the course",
        )
    course_id = _check_id(doc, doc.get(d, "id", str), "id")
    module_names = doc.get_str_list(d, "modules")
    if not module_names:
        raise doc.error(
            "the course lists no modules",
            key="modules",
            fix='list module folders: modules = ["fundamentals"]',
        )
    modules: list[Module] = []
    seen_steps: dict[str, Path] = {}
    for name in _unique(doc, module_names, "modules"):
        folder = root / name
        if not folder.is_dir():
            raise doc.error(
                f"module folder {name!r} does not exist",
                key="modules",
                fix=f"create {folder} or remove {name!r} from modules",
            )
        modules.append(_load_module(folder, seen_steps))
    return Course(id=course_id, title=doc.get(d, "title", str), root=root, modules=tuple(modules))


def _load_module(folder: Path, seen_steps: dict[str, Path]) -> Module:
    doc = read_toml(folder / "module.toml")
    d = doc.data
    doc.check_keys(d, _MODULE_KEYS)
    module_id = _check_id(doc, doc.get(d, "id", str), "id")
    steps: list[Step] = []
    for name in _unique(doc, doc.get_str_list(d, "steps"), "steps"):
        step_dir = folder / name
        if not step_dir.is_dir():
            raise doc.error(
                f"step folder {name!r} does not exist",
                key="steps",
                fix=f"create {step_dir} or remove {name!r} from steps",
            )
        step = _load_step(step_dir, module_id)
        if step.id in seen_steps:
            raise FileError(
                step_dir / "step.toml",
                f"duplicate step id {step.id!r}",
                line=1,
                fix=f"rename it; {seen_steps[step.id]} uses that id already",
            )
        seen_steps[step.id] = step_dir / "step.toml"
        steps.append(step)
    if not steps:
        raise doc.error(
            "the module lists no steps",
            key="steps",
            fix='list step folders: steps = ["hello-world"]',
        )
    return Module(
        id=module_id,
        title=doc.get(d, "title", str),
        skill=doc.get(d, "skill", str, module_id),
        summary=doc.get(d, "summary", str, ""),
        steps=tuple(steps),
    )


def _load_step(step_dir: Path, module_id: str) -> Step:
    doc = read_toml(step_dir / "step.toml")
    d = doc.data
    doc.check_keys(d, _STEP_KEYS)
    step_id = _check_id(doc, doc.get(d, "id", str), "id")

    hints = doc.get_str_list(d, "hints", [])
    if not hints or any(not h.strip() for h in hints):
        raise doc.error(
            "every step needs at least one non-empty hint",
            key="hints",
            fix='add hints = ["a nudge", "...", "nearly the answer"]',
        )
    files = doc.get_str_list(d, "files")
    if not files:
        raise doc.error(
            "'files' is empty",
            key="files",
            fix='list the files the learner edits, e.g. files = ["src/lib.rs"]',
        )
    for rel in files:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise doc.error(
                f"file {rel!r} must be a path inside the crate",
                key="files",
                fix="use a crate-relative path such as src/lib.rs",
            )
        for side in ("starter", "solution"):
            if not (step_dir / side / rel).is_file():
                raise doc.error(
                    f"{side}/{rel} is missing",
                    key="files",
                    fix=f"add {step_dir / side / rel} or remove {rel!r} from files",
                )
    if not (step_dir / "README.md").is_file():
        raise FileError(
            step_dir / "README.md",
            "the lesson text is missing",
            fix="write the step's lesson in README.md",
        )

    crate = doc.get(d, "crate", dict, {})
    doc.check_keys(crate, _CRATE_KEYS, "crate")
    kind = doc.get(crate, "kind", str, "extension", "crate")
    if kind not in ("extension", "binary"):
        raise doc.error(
            f"crate.kind {kind!r} is not known",
            key="kind",
            fix='use kind = "extension" or kind = "binary"',
        )
    crate_module = doc.get(crate, "module", str, step_id.replace("-", "_"), "crate")
    if not _MODULE_RE.match(crate_module):
        raise doc.error(
            f"crate.module {crate_module!r} is not a valid module name",
            key="module",
            fix="use lowercase letters, digits and '_' (e.g. hello_world)",
        )

    check = doc.get(d, "check", dict, {})
    doc.check_keys(check, _CHECK_KEYS, "check")
    check_file = doc.get(check, "file", str, "check.py", "check")
    if not (step_dir / check_file).is_file():
        raise doc.error(
            f"the check {check_file!r} is missing",
            key="check",
            fix=f"write {step_dir / check_file} (pytest tests)",
        )
    timeout = doc.get(check, "timeout_seconds", (int, float), 20, "check")
    if timeout <= 0:
        raise doc.error(
            "check.timeout_seconds must be positive",
            key="timeout_seconds",
            fix="give the run a time limit in seconds, e.g. 20",
        )

    memory = doc.get(check, "memory_mib", int, None, "check")
    if memory is not None and memory <= 0:
        raise doc.error(
            "check.memory_mib must be positive",
            key="memory_mib",
            fix="give the check's memory limit in MiB, e.g. 4096, or leave it out",
        )

    cassette, scripts, lm_task = _load_lm(doc, step_dir, doc.get(d, "lm", dict, {}))
    return Step(
        id=step_id,
        title=doc.get(d, "title", str),
        goal=doc.get(d, "goal", str),
        estimate_minutes=doc.get(d, "estimate_minutes", int, 10),
        files=tuple(files),
        hints=tuple(hints),
        dir=step_dir,
        module_id=module_id,
        kind=kind,
        crate_module=crate_module,
        pyo3_features=tuple(doc.get_str_list(crate, "pyo3_features", [])),
        dependencies=dict(doc.get(crate, "dependencies", dict, {}, "crate")),
        check_file=check_file,
        timeout_s=float(timeout),
        memory_mib=memory,
        cassette=cassette,
        scripts=scripts,
        lm_task=lm_task,
        services=_load_services(doc, doc.get(d, "services", list, [])),
    )


def _load_services(doc: TomlDoc, tables: list[Any]) -> tuple[str, ...]:
    names: list[str] = []
    for i, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            raise doc.error(
                f"[[services]] #{i} is not a table",
                key="services",
                fix='declare each service as a table: [[services]] then name = "redis"',
            )
        doc.check_keys(table, _SERVICE_KEYS, "services")
        name = doc.get(table, "name", str, where="services")
        # The line of this `name = "..."`, where the fix goes.
        at = re.search(rf"^\s*name\s*=\s*[\"']{re.escape(name)}[\"']", doc.text, re.M)
        line = doc.text.count("\n", 0, at.start()) + 1 if at else doc.line_of("services")
        if name not in SERVICES:
            raise FileError(
                doc.path,
                f"service {name!r} is not known",
                line=line,
                fix=f"use one of: {', '.join(sorted(SERVICES))}",
            )
        if name in names:
            raise FileError(
                doc.path, f"service {name!r} is declared twice", line=line, fix="declare it once"
            )
        names.append(name)
    return tuple(names)


def _load_lm(
    doc: TomlDoc, step_dir: Path, lm: dict[str, Any]
) -> tuple[Path | None, tuple[ScriptedReply, ...], dict[str, Any] | None]:
    doc.check_keys(lm, _LM_KEYS, "lm")
    cassette = None
    if "cassette" in lm:
        cassette = step_dir / doc.get(lm, "cassette", str, where="lm")
        if not cassette.is_file():
            raise doc.error(
                f"cassette {cassette.name!r} is missing",
                key="cassette",
                fix="record it with `pyo3dspy-tutor record STEP` or remove lm.cassette",
            )
        load_cassette(cassette)  # a malformed line fails here, named, not inside a run
    scripts = []
    for i, entry in enumerate(doc.get(lm, "script", list, [], "lm"), start=1):
        try:
            parse_script(entry, f"[[lm.script]] #{i}")
        except ScriptError as e:
            raise doc.error(
                str(e),
                key="script",
                fix='e.g. when = "capital of France" and answer = { answer = "Paris" } '
                "(see lessons/AUTHORING.md, The offline LM)",
            ) from None
        scripts.append(ScriptedReply(table=dict(entry)))
    task = None
    if "task" in lm:
        try:
            task = parse_task(lm["task"], step_dir).to_dict()
        except TaskError as e:
            raise doc.error(
                str(e), key="task", fix="see lessons/AUTHORING.md, The task model"
            ) from None
    return cassette, tuple(scripts), task


def _check_id(doc: TomlDoc, value: str, key: str) -> str:
    if not _ID_RE.match(value):
        raise doc.error(
            f"id {value!r} is not valid",
            key=key,
            fix="use lowercase letters, digits and '-', at most 40 characters",
        )
    return value


def _unique(doc: TomlDoc, names: list[str], key: str) -> list[str]:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise doc.error(
                f"{name!r} is listed twice in {key}", key=key, fix="list each folder once"
            )
        seen.add(name)
    return names
