"""Each static lint rule on a small pack broken in one place (no builds: fast)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.conftest import write
from tutor.lint import LintOptions, lint_course

STATIC = LintOptions(build=False)


def found(pack: Path) -> list[tuple[str, int, str]]:
    return [
        (f.path.relative_to(pack).as_posix(), f.line, f.rule) for f in lint_course(pack, STATIC)
    ]


def step(pack: Path) -> Path:
    return pack / "m" / "hello"


def test_the_pack_is_clean(pack):
    assert found(pack) == []


def test_a_format_problem_is_a_finding_with_its_line(pack):
    toml = step(pack) / "step.toml"
    toml.write_text(toml.read_text().replace('goal = "g"', 'goal = "g"\ncolour = "red"'))
    got = lint_course(pack, STATIC)
    assert [(f.path, f.line, f.rule) for f in got] == [(toml, 4, "format")]
    assert "unknown key 'colour'" in got[0].message and "allowed:" in got[0].message


def test_fewer_than_three_hints(pack):
    toml = step(pack) / "step.toml"
    toml.write_text(toml.read_text().replace('"the API", ', ""))
    assert found(pack) == [("m/hello/step.toml", 5, "few-hints")]


def test_readme_without_done_section(pack):
    readme = step(pack) / "README.md"
    readme.write_text(readme.read_text().replace("## Done looks like", "## Finally"))
    assert found(pack) == [("m/hello/README.md", 20, "no-done-section")]


def test_a_done_heading_inside_a_code_block_does_not_count(pack):
    readme = step(pack) / "README.md"
    text = readme.read_text().replace("## Done looks like", "```text\n## Done looks like\n```")
    readme.write_text(text)
    assert [r for _, _, r in found(pack)] == ["no-done-section"]


def test_unmarked_rust_fragment(pack):
    readme = step(pack) / "README.md"
    readme.write_text(readme.read_text().replace("```rust,ignore", "```rust"))
    assert found(pack) == [("m/hello/README.md", 15, "rust-block")]


def test_ellipsis_in_a_rust_block_is_a_fragment(pack):
    readme = step(pack) / "README.md"
    text = readme.read_text().replace(
        '"hello".to_string()\n}', '"hello".to_string()\n}\n// ok\n...'
    )
    readme.write_text(text)
    assert found(pack) == [("m/hello/README.md", 13, "rust-block")]


def test_check_with_two_tests(pack):
    check = step(pack) / "check.py"
    check.write_text(check.read_text().split("class TestMore")[0])
    assert found(pack) == [("m/hello/check.py", 1, "few-tests")]


def test_check_that_opens_the_learner_source(pack):
    write(
        step(pack) / "check.py",
        (step(pack) / "check.py").read_text()
        + "\n\ndef test_uses_attach():\n"
        + '    src = open("src/lib.rs").read()\n'
        + '    assert "attach" in src, "use Python::attach"\n',
    )
    assert found(pack) == [("m/hello/check.py", 18, "reads-source")]


def test_check_that_reads_source_through_pathlib(pack):
    write(
        step(pack) / "check.py",
        "from pathlib import Path\n"
        + (step(pack) / "check.py").read_text()
        + '\n\ndef test_four():\n    text = (Path.cwd() / "src" / "lib.rs").read_text()\n'
        + '    assert "fn hello" in text, "write fn hello"\n',
    )
    got = found(pack)
    assert {r for _, _, r in got} == {"reads-source"} and {line for _, line, _ in got} == {19}


def test_check_that_uses_inspect_getsource(pack):
    write(
        step(pack) / "check.py",
        "import inspect\n"
        + (step(pack) / "check.py").read_text()
        + "\n\ndef test_four():\n    assert 'x' in inspect.getsource(tiny), 'x'\n",
    )
    assert found(pack) == [("m/hello/check.py", 19, "reads-source")]


def test_a_message_that_mentions_src_lib_rs_is_not_reading_it(pack):
    check = step(pack) / "check.py"
    text = check.read_text().replace('"return hello"', '"edit src/lib.rs: return hello"')
    check.write_text(text + '\n\ndef test_four():\n    assert open(__file__).read(), "x"\n')
    assert found(pack) == []


def test_starter_without_todo(pack):
    starter = step(pack) / "starter" / "src" / "lib.rs"
    starter.write_text(starter.read_text().replace("TODO", "Write"))
    assert found(pack) == [("m/hello/starter/src/lib.rs", 1, "no-todo")]


def test_deprecated_pyo3_api_in_code_not_comments_or_strings(pack):
    solution = step(pack) / "solution" / "src" / "lib.rs"
    text = solution.read_text() + (
        "\nfn old() -> PyResult<()> {\n"
        "    Python::with_gil(|py| {\n"  # line 11
        "        let d: &PyAny = py.None().into_bound(py).as_any().downcast::<PyAny>()?;\n"
        "        Ok(())\n"
        "    })\n"
        "}\n"
    )
    solution.write_text(text)
    got = [(line, f.message.split(":")[0]) for f in lint_course(pack, STATIC) for line in [f.line]]
    assert got == [(11, "with_gil"), (12, "&PyAny (GIL-ref types)"), (12, "downcast")]


def test_deprecated_dspy_api_called_from_rust_and_python(pack):
    solution = step(pack) / "solution" / "src" / "lib.rs"
    solution.write_text(
        solution.read_text()
        + "\nfn lm(py: Python<'_>) -> PyResult<()> {\n"
        + '    py.import("dspy")?.getattr("OpenAI")?;\n'  # line 11
        + '    // getattr("TypedPredictor") in a comment is fine\n'
        + '    py.run(c"import dspy\\nx = dspy.Assert", None, None)?;\n'  # line 13
        + "    Ok(())\n}\n"
    )
    write(step(pack) / "solution" / "helper.py", "import dspy\n\nlm = dspy.OllamaLocal('x')\n")
    got = [(f.path.name, f.line, f.message.split(":")[0]) for f in lint_course(pack, STATIC)]
    assert got == [
        ("helper.py", 3, "OllamaLocal"),
        ("lib.rs", 11, "OpenAI"),
        ("lib.rs", 13, "Assert"),
    ]
    assert all(f.rule == "deprecated-api" for f in lint_course(pack, STATIC))


def test_every_finding_says_what_to_do(pack):
    toml = step(pack) / "step.toml"
    toml.write_text(toml.read_text().replace('"the API", ', ""))
    (f,) = lint_course(pack, STATIC)
    assert f.text().endswith(
        "few-hints 2 hints; give at least 3, from a nudge, to the API to use, to nearly the answer"
    )


def test_one_starter_file_with_a_todo_is_enough(pack):
    toml = step(pack) / "step.toml"
    toml.write_text(
        toml.read_text().replace('files = ["src/lib.rs"]', 'files = ["src/lib.rs", "m.py"]')
    )
    for side in ("starter", "solution"):
        write(step(pack) / side / "m.py", "# context the learner reads\n")
    assert found(pack) == []
