"""The rules that build: starters, solutions, warm check time and README Rust blocks.

One pack of three steps, linted once: `hello` is clean, `eager` breaks three rules,
`broken` two. The builds share the session's Cargo target dir.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import workspace_with_shared_target
from tests.lint.conftest import make_pack, write
from tutor.lint import LintOptions, lint_course

pytestmark = pytest.mark.slow

BAD_BLOCK = """
This one is complete but wrong:

```rust
pub fn answer() -> u32 {
    "forty-two"
}
```
"""


def _add_step(pack: Path, new_id: str, module: str) -> Path:
    src, dst = pack / "m" / "hello", pack / "m" / new_id
    shutil.copytree(src, dst)
    toml = dst / "step.toml"
    toml.write_text(
        toml.read_text()
        .replace('id = "hello"', f'id = "{new_id}"')
        .replace('module = "tiny"', f'module = "{module}"')
    )
    check = dst / "check.py"
    check.write_text(check.read_text().replace("tiny", module))
    return dst


@pytest.fixture(scope="module")
def findings(tmp_path_factory, shared_target):
    root = make_pack(tmp_path_factory.mktemp("lintpack") / "pack")
    eager = _add_step(root, "eager", "eager")
    shutil.copy(eager / "solution" / "src" / "lib.rs", eager / "starter" / "src" / "lib.rs")
    write(
        eager / "check.py",
        "import time\n\n" + (eager / "check.py").read_text() + "\n\ntime.sleep(1.2)\n",
    )
    readme = eager / "README.md"
    readme.write_text(readme.read_text().replace("## Done", BAD_BLOCK + "\n## Done"))
    broken = _add_step(root, "broken", "broken")
    sol = broken / "solution" / "src" / "lib.rs"
    sol.write_text(sol.read_text().replace('"hello".to_string()', 'panic!("not yet")'))
    starter = broken / "starter" / "src" / "lib.rs"
    starter.write_text(
        starter.read_text() + "\n#[pymodule]\nfn not_broken(_m: &Bound<'_, PyModule>) -> "
        "PyResult<()> {\n    Ok(())\n}\n"
    )
    for name, module in (("hello", "tiny"), ("eager", "eager"), ("broken", "broken")):
        for side in ("starter", "solution"):
            lib = root / "m" / name / side / "src" / "lib.rs"
            text = lib.read_text()
            if "#[pymodule]" not in text:
                lib.write_text(
                    text + f"\n#[pymodule]\nfn {module}(m: &Bound<'_, PyModule>) -> PyResult<()> "
                    "{\n    m.add_function(wrap_pyfunction!(hello, m)?)\n}\n"
                )
    (root / "m" / "module.toml").write_text(
        'id = "m"\ntitle = "M"\nsteps = ["hello", "eager", "broken"]\n'
    )
    ws = workspace_with_shared_target(tmp_path_factory.mktemp("lintws") / "ws", shared_target)
    got = lint_course(root, LintOptions(build=True, workspace=ws, warm_limit_s=1.0))
    return root, got


def test_only_the_broken_steps_have_findings(findings):
    root, got = findings
    assert sorted((f.path.relative_to(root).as_posix(), f.rule) for f in got) == [
        ("m/broken/solution/src/lib.rs", "solution-fails"),
        ("m/broken/starter/src/lib.rs", "starter-import-error"),
        ("m/eager/README.md", "rust-block"),
        ("m/eager/check.py", "slow-check"),
        ("m/eager/starter/src/lib.rs", "no-todo"),
        ("m/eager/starter/src/lib.rs", "starter-passes"),
    ]


def test_a_readme_block_that_does_not_compile_points_at_its_line(findings):
    root, got = findings
    (f,) = [f for f in got if f.rule == "rust-block"]
    lines = (root / "m" / "eager" / "README.md").read_text().splitlines()
    assert lines[f.line - 1].strip() == '"forty-two"', f
    assert "mismatched types [E0308]" in f.message


def test_the_slow_check_reports_its_time(findings):
    _, got = findings
    (f,) = [f for f in got if f.rule == "slow-check"]
    assert "limit 1 s" in f.message and "takes 1." in f.message


def test_a_failing_solution_says_why(findings):
    _, got = findings
    (f,) = [f for f in got if f.rule == "solution-fails"]
    assert "not yet" in f.message and "check broken --solutions -v" in f.message
