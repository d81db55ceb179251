"""README structure: fences with rustdoc attributes, headings outside code, display text."""

from tutor.course.readme import fences, for_display, headings

TEXT = """# Title

```rust,ignore
let x = 1;
```

~~~python
# not a heading
~~~

## Done looks like
"""


def test_fences_keep_language_attributes_and_lines():
    got = [(f.line, f.lang, f.attrs, f.ignored, f.is_rust) for f in fences(TEXT)]
    assert got == [(3, "rust", ("ignore",), True, True), (7, "python", (), False, False)]


def test_headings_skip_code_blocks():
    assert headings(TEXT) == [(1, "Title"), (11, "Done looks like")]


def test_display_drops_rustdoc_attributes_so_the_app_highlights_rust():
    got = for_display(TEXT).splitlines()[2]
    assert got == "```rust"


def test_display_leaves_plain_fences_and_their_code_alone():
    text = "```rust\nlet kept = 1;\n```\n"
    assert for_display(text) == text
