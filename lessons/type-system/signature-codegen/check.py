"""Check for the signature-codegen step: Rust structs generated from a DSPy signature."""

import difflib
from typing import Literal, Optional

import dspy
import pytest

import signature_codegen


class Triage(dspy.Signature):
    """Triage a bug report."""

    report: str = dspy.InputField(desc="The bug report as the user wrote it")
    title: str = dspy.OutputField()
    kind: Literal["bug", "feature request"] = dspy.OutputField()
    priority: int = dspy.OutputField(desc="1 (low) to 5 (urgent)")
    tags: list[str] = dspy.OutputField()
    counts: dict[str, int] = dspy.OutputField()
    assignee: Optional[str] = dspy.OutputField()
    estimate: float | None = dspy.OutputField()
    urgent: bool = dspy.OutputField()


TRIAGE_RUST = '''\
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TriageInputs {
    /// The bug report as the user wrote it
    pub report: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TriageOutputs {
    pub title: String,
    pub kind: TriageKind,
    /// 1 (low) to 5 (urgent)
    pub priority: i64,
    pub tags: Vec<String>,
    pub counts: HashMap<String, i64>,
    pub assignee: Option<String>,
    pub estimate: Option<f64>,
    pub urgent: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriageKind {
    #[serde(rename = "bug")]
    Bug,
    #[serde(rename = "feature request")]
    FeatureRequest,
}
'''

QA_RUST = '''\
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QaInputs {
    pub question: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QaOutputs {
    pub answer: String,
    pub confidence: f64,
}
'''


def diff(got, want):
    return "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(), "expected", "got",
                                          lineterm=""))


def test_module_registers_the_gil_probe():
    got = [name for name in dir(signature_codegen) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


@pytest.mark.parametrize(
    "annotation, expected",
    [(str, "String"), (int, "i64"), (float, "f64"), (bool, "bool"),
     (list[str], "Vec<String>"), (dict[str, float], "HashMap<String, f64>"),
     (Optional[int], "Option<i64>"), (str | None, "Option<String>"),
     (list[dict[str, list[bool]]], "Vec<HashMap<String, Vec<bool>>>")],
    ids=lambda v: str(v),
)
def test_rust_type(annotation, expected):
    got = signature_codegen.rust_type(annotation)
    assert got == expected, (
        f"rust_type({annotation!r}) should be {expected}: read typing.get_origin / get_args "
        "and recurse into the arguments"
    )


def test_a_string_signature():
    got = signature_codegen.generate("question -> answer: str, confidence: float", "Qa")
    assert got == QA_RUST, (
        "generate() should write one struct per side with the fields in order "
        "(an untyped field is a str):\n" + diff(got, QA_RUST)
    )


def test_a_class_signature_with_every_type():
    got = signature_codegen.generate(Triage, "Triage")
    assert got == TRIAGE_RUST, (
        "generate(Triage) should map every annotation, keep real descriptions (not DSPy's "
        "'${name}' placeholder) and add an enum for the Literal:\n" + diff(got, TRIAGE_RUST)
    )


@pytest.mark.parametrize(
    "annotation", [set[str], dict[int, str], int | str], ids=["set", "int-keys", "union"]
)
def test_unsupported_types_name_the_field(annotation):
    sig = dspy.Signature({"text": (str, dspy.InputField()), "when": (annotation, dspy.OutputField())})
    try:
        signature_codegen.generate(sig, "Bad")
    except TypeError as e:
        got = ("TypeError", "`when`" in str(e))
    else:
        got = ("no error", False)
    assert got == ("TypeError", True), (
        f"{annotation!r} has no Rust mapping here: generate() should raise TypeError naming "
        "the field `when` (and what is supported) instead of writing something wrong"
    )
