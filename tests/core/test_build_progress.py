"""First-build progress: the unit count, the CLI lines and the app's status line."""

from __future__ import annotations

import io

from tutor.app.widgets.status_line import crates_line
from tutor.build.progress import package_name, unit_count
from tutor.console import TutorConsole
from tutor.events import BuildProgress, event_from_json
from tutor.report import Printer


def pkg(name: str, *kinds: list[str]) -> dict:
    return {"id": name, "targets": [{"kind": k} for k in (kinds or (["lib"],))]}


def dep(name: str, kind: str | None = None) -> dict:
    return {"pkg": name, "dep_kinds": [{"kind": kind}]}


def test_units_are_libraries_and_build_scripts_outside_dev_dependencies():
    metadata = {
        "packages": [
            pkg("root", ["cdylib"]),
            pkg("pyo3", ["lib"], ["custom-build"]),
            pkg("cc"),
            pkg("dev-only"),
        ],
        "resolve": {
            "root": "root",
            "nodes": [
                {"id": "root", "deps": [dep("pyo3"), dep("dev-only", "dev")]},
                {"id": "pyo3", "deps": [dep("cc", "build")]},
                {"id": "cc", "deps": []},
                {"id": "dev-only", "deps": []},
            ],
        },
    }
    assert unit_count(metadata) == 4  # root, pyo3 + its build script, cc


def test_package_names_from_both_id_forms():
    index = "registry+https://github.com/rust-lang/crates.io-index"
    assert package_name(f"{index}#pyo3-ffi@0.29.0") == "pyo3-ffi"
    assert package_name("path+file:///ws/gil-probe#0.1.0") == "gil-probe"
    assert package_name(f"syn 2.0.100 ({index})") == "syn"


def test_the_cli_says_what_is_coming_then_about_every_tenth():
    buf = io.StringIO()
    printer = Printer(TutorConsole(file=buf, width=200))
    for done in range(0, 21):
        printer(BuildProgress(done=done, total=20, crate=f"c{done}", estimate_s=20.0 - done))
    lines = buf.getvalue().splitlines()
    assert "First build: 20 crates to compile" in lines[0] and "20–60 s" in lines[0]
    assert lines[1].strip() == "Compiling 2/20 crates (c2), about 18 s left"
    assert lines[-1].strip() == "Compiling 20/20 crates (c20)"
    assert len(lines) == 11


def test_progress_travels_as_json_and_fits_the_status_line():
    p = event_from_json(BuildProgress(done=12, total=21, crate="pyo3", estimate_s=29.6).to_json())
    assert p == BuildProgress(done=12, total=21, crate="pyo3", estimate_s=29.6)
    assert crates_line(p) == "crates 12/21, ~30 s left"
