"""`pyo3dspy-tutor inspect`: modules, predictors and signatures of a file; --rust compiles."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

PROGRAM = '''
from enum import Enum
from typing import Literal, Optional

import dspy
import pydantic


class Address(pydantic.BaseModel):
    """A postal address."""

    city: str = pydantic.Field(description="the city")
    zip_code: Optional[str] = pydantic.Field(default=None, alias="zip")


class Priority(Enum):
    LOW = "low"
    HIGH = "high"


class ExtractContact(dspy.Signature):
    """Extract a contact from an email."""

    email: str = dspy.InputField(desc="the raw email")
    name: str = dspy.OutputField(desc="full name")
    age: Optional[int] = dspy.OutputField()
    tags: list[str] = dspy.OutputField()
    scores: dict[str, float] = dspy.OutputField()
    tone: Literal["formal", "casual", "angry-ish"] = dspy.OutputField()
    address: Address = dspy.OutputField()
    priority: Priority = dspy.OutputField()
    type: bool = dspy.OutputField(desc="a Rust keyword as a name")
    pair: tuple[int, str] = dspy.OutputField()


class Pipeline(dspy.Module):
    def __init__(self):
        super().__init__()
        self.extract = dspy.ChainOfThought(ExtractContact)
        self.summarize = dspy.Predict("text -> summary")


qa = dspy.Predict("question -> answer: float")
'''


def tutor(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("pyo3dspy-tutor")
    assert exe, "the console script is not installed (pip install -e .)"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.py"
    path.write_text(PROGRAM)
    return path


def test_lists_modules_predictors_and_signatures(program: Path):
    done = tutor("inspect", str(program))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Pipeline (module class Pipeline)"
    assert "  predictor extract.predict (Predict)" in lines
    assert "    → reasoning: str" in lines  # ChainOfThought's own field
    assert "    ← email: str  the raw email" in lines
    assert "    → tone: Literal['formal', 'casual', 'angry-ish']" in lines
    assert "qa (module Predict)" in lines and "    → answer: float" in lines
    assert "ExtractContact (Signature)" in lines
    assert "Address (pydantic model: city, zip_code)" in lines


def test_name_picks_one_object(program: Path):
    done = tutor("inspect", f"{program}:qa")
    assert done.stdout.splitlines() == [
        "qa (module Predict)",
        "  predictor self (Predict)",
        "    Given the fields `question`, produce the fields `answer`.",
        "    ← question: str",
        "    → answer: float",
    ]
    done = tutor("inspect", f"{program}:nothing")
    assert done.returncode == 2 and "has no DSPy module or signature named 'nothing'" in done.stderr


def test_a_file_that_fails_to_import_is_named_with_its_line(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("import dspy\n\nx = 1\nraise RuntimeError('boom')\n")
    done = tutor("inspect", str(bad))
    assert done.returncode == 2
    assert f"{bad}:4: RuntimeError: boom" in done.stderr


def test_the_file_runs_in_a_child_process(tmp_path: Path):
    marker = tmp_path / "pid.txt"
    prog = tmp_path / "p.py"
    prog.write_text(f"import os\nopen({str(marker)!r}, 'w').write(str(os.getpid()))\n")
    done = tutor("inspect", str(prog))
    assert done.returncode == 0 and done.stdout.startswith("No DSPy modules or signatures")
    assert marker.read_text().isdigit()


def test_rust_types_map_python_types(program: Path):
    done = tutor("inspect", f"{program}:ExtractContact", "--rust")
    assert done.returncode == 0, done.stderr
    rust = done.stdout
    for line in (
        "pub struct ExtractContactInput {",
        "pub struct ExtractContactOutput {",
        "    pub age: Option<i64>,",
        "    pub tags: Vec<String>,",
        "    pub scores: HashMap<String, f64>,",
        "    pub tone: ExtractContactOutputTone,",
        '    #[serde(rename = "angry-ish")]',
        "    pub address: Address,",
        '    #[serde(rename = "zip")]',
        "    pub zip_code: Option<String>,",
        "    pub priority: Priority,",
        "    pub r#type: bool,",
        "    pub pair: (i64, String),",
    ):
        assert line in rust.splitlines(), line


@pytest.mark.slow
def test_generated_rust_compiles_and_round_trips(program: Path, tmp_path: Path, shared_target):
    """The generated types build with serde + serde_json and read what Python writes."""
    rust = tutor("inspect", f"{program}:ExtractContact", "--rust").stdout
    crate = tmp_path / "crate"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text(
        '[package]\nname = "inspect-types"\nversion = "0.1.0"\nedition = "2021"\n\n'
        '[dependencies]\nserde = { version = "1", features = ["derive"] }\nserde_json = "1"\n'
    )
    (crate / "src" / "types.rs").write_text(rust)
    (crate / "src" / "main.rs").write_text(
        "#![deny(warnings)]\n#![allow(dead_code)]\nmod types;\n\n"
        "fn main() {\n"
        '    let text = std::io::read_to_string(std::io::stdin()).expect("stdin");\n'
        '    let out: types::ExtractContactOutput = serde_json::from_str(&text).expect("parse");\n'
        '    println!("{}", serde_json::to_string(&out).expect("json"));\n'
        "}\n"
    )
    target = shared_target.parent / "inspect-target"
    build = subprocess.run(
        ["cargo", "build", "--quiet", "--target-dir", str(target)],
        cwd=crate,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    sent = {
        "name": "Ada",
        "age": None,
        "tags": ["math"],
        "scores": {"x": 1.5},
        "tone": "angry-ish",
        "address": {"city": "Paris", "zip": "75001"},
        "priority": "high",
        "type": True,
        "pair": [1, "one"],
    }
    run = subprocess.run(
        [str(target / "debug" / "inspect-types")],
        input=json.dumps(sent),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == sent
    bad = subprocess.run(
        [str(target / "debug" / "inspect-types")],
        input=json.dumps({**sent, "tone": "rude"}),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode != 0 and "unknown variant `rude`" in bad.stderr


def test_abstract_collections_and_unions_map_to_rust():
    import typing

    from tutor.inspect.child import describe_type
    from tutor.inspect.rust import RustWriter

    w = RustWriter([])
    got = [
        w.rust_type(describe_type(tp, {}), "S", "f")[0]
        for tp in (
            typing.Sequence[int],
            typing.Mapping[str, float],
            set[str],
            int | None,
            int | str,
            tuple[float, ...],
        )
    ]
    assert got == [
        "Vec<i64>",
        "HashMap<String, f64>",
        "Vec<String>",
        "Option<i64>",
        "serde_json::Value",
        "Vec<f64>",
    ]
