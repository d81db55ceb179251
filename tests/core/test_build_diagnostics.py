"""cargo's JSON messages → Diagnostic events."""

from __future__ import annotations

from tutor.build.diagnostics import diagnostic_from_cargo, is_summary

E0308 = {
    "reason": "compiler-message",
    "package_id": "path+file:///ws/fundamentals/hello-world#step-hello-world@0.1.0",
    "message": {
        "rendered": "error[E0308]: mismatched types\n --> src/lib.rs:7:5\n",
        "message": "mismatched types",
        "code": {"code": "E0308", "explanation": "..."},
        "level": "error",
        "spans": [
            {"file_name": "src/lib.rs", "line_start": 3, "column_start": 1, "is_primary": False},
            {"file_name": "src/lib.rs", "line_start": 7, "column_start": 5, "is_primary": True},
        ],
        "children": [],
    },
}


def test_error_with_code_and_primary_span():
    d = diagnostic_from_cargo(E0308)
    assert d is not None
    assert (d.level, d.code, d.message) == ("error", "E0308", "mismatched types")
    assert (d.file, d.line, d.column) == ("src/lib.rs", 7, 5)
    assert d.rendered.startswith("error[E0308]")


def test_other_records_are_not_diagnostics():
    assert diagnostic_from_cargo({"reason": "compiler-artifact"}) is None
    assert diagnostic_from_cargo({"reason": "build-finished", "success": True}) is None


def test_summary_lines_are_recognised():
    summary = diagnostic_from_cargo(
        {
            "reason": "compiler-message",
            "message": {
                "message": "aborting due to 1 previous error",
                "level": "error",
                "spans": [],
                "code": None,
                "rendered": "error: aborting",
            },
        }
    )
    assert summary is not None and is_summary(summary)
    d = diagnostic_from_cargo(E0308)
    assert d is not None and not is_summary(d)
