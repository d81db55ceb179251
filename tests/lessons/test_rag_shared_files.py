"""The rag-pipelines steps carry earlier steps' code forward as files of the same name
(each step is a self-contained crate). Every copy of such a file must stay identical,
or a fix made in one step silently misses the others."""

from collections import defaultdict
from pathlib import Path

MODULE = Path(__file__).resolve().parents[2] / "lessons" / "rag-pipelines"
SHARED = (
    "corpus.rs",
    "embedder.rs",
    "store.rs",
    "retriever.rs",
    "hybrid.rs",
    "labelled.rs",
    "rerank.rs",
    "pack.rs",
)


def test_carried_files_are_identical_in_every_step():
    copies: dict[str, dict[bytes, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name in SHARED:
        for path in sorted(MODULE.glob(f"*/*/src/{name}")):
            copies[name][path.read_bytes()].append(str(path.relative_to(MODULE)))
    differing = {
        name: list(versions.values()) for name, versions in copies.items() if len(versions) > 1
    }
    assert differing == {}, f"copies differ (edit one, copy it to all): {differing}"
    assert sorted(copies) == sorted(SHARED), "a carried file is missing from every step"
