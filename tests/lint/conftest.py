"""A tiny lesson pack that lint finds clean; each test breaks one thing in its copy."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

README = """\
# Say hello

Why this matters, and the concepts.

```rust
use pyo3::prelude::*;

#[pyfunction]
fn hello() -> String {
    "hello".to_string()
}
```

```rust,ignore
let x = hello()?;
```

## Done looks like

- `hello()` returns "hello".
"""

CHECK = """\
import tiny


def test_one():
    assert tiny.hello() == "hello", "return hello"


def test_two():
    assert isinstance(tiny.hello(), str), "return a String"


class TestMore:
    def test_three(self):
        assert tiny.hello(), "return something"
"""

STARTER = """\
use pyo3::prelude::*;

#[pyfunction]
fn hello() -> String {
    // TODO: return "hello"
    String::new()
}
"""

SOLUTION = """\
use pyo3::prelude::*;

// Python::with_gil is gone: this comment must not count.
#[pyfunction]
fn hello() -> String {
    let _s = "allow_threads in a string does not count";
    "hello".to_string()
}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    return make_pack(tmp_path / "pack")


def make_pack(root: Path) -> Path:
    write(root / "course.toml", 'format_version = 1\nid = "tiny"\ntitle = "T"\nmodules = ["m"]\n')
    write(root / "m" / "module.toml", 'id = "m"\ntitle = "M"\nsteps = ["hello"]\n')
    step = root / "m" / "hello"
    write(
        step / "step.toml",
        'id = "hello"\ntitle = "Hello"\ngoal = "g"\nfiles = ["src/lib.rs"]\n'
        'hints = ["a nudge", "the API", "nearly the answer"]\n\n[crate]\nmodule = "tiny"\n',
    )
    write(step / "README.md", README)
    write(step / "check.py", CHECK)
    write(step / "starter" / "src" / "lib.rs", STARTER)
    write(step / "solution" / "src" / "lib.rs", SOLUTION)
    return root
