//! The lesson's corpus: short passages about PyO3, DSPy and retrieval, each with a
//! topic (a payload field to filter on). The same file ships with every step of the
//! rag-pipelines module.

/// One passage: a stable id (a Qdrant point id), a topic and the text.
pub struct Passage {
    pub id: u64,
    pub topic: &'static str,
    pub text: &'static str,
}

#[rustfmt::skip]
pub const CORPUS: &[Passage] = &[
    Passage { id: 1, topic: "pyo3", text: "Python::attach runs a closure with the GIL held; Python::detach releases the GIL so other Python threads run while Rust works." },
    Passage { id: 2, topic: "pyo3", text: "Bound<'py, T> is a Python object tied to the GIL lifetime; Py<T> can be stored in structs and sent across threads." },
    Passage { id: 3, topic: "pyo3", text: "A #[pyclass] struct becomes a Python class; #[pymethods] exposes its methods and #[new] marks the constructor." },
    Passage { id: 4, topic: "pyo3", text: "Errors cross the boundary as PyErr: return PyResult, map Rust errors with PyValueError::new_err, and a panic becomes PanicException." },
    Passage { id: 5, topic: "pyo3", text: "maturin develop builds the crate as a wheel and installs it into the active virtualenv; maturin build only writes the wheel." },
    Passage { id: 6, topic: "dspy", text: "dspy.Predict turns a signature such as question -> answer into a prompt, calls the configured LM and parses the reply into a Prediction." },
    Passage { id: 7, topic: "dspy", text: "dspy.ChainOfThought adds a reasoning field before the outputs, so the LM thinks step by step before it answers." },
    Passage { id: 8, topic: "dspy", text: "dspy.configure sets the default LM for the program; dspy.context overrides it for one block or one thread." },
    Passage { id: 9, topic: "dspy", text: "dspy.Evaluate runs a program over a devset with a metric and reports the average score." },
    Passage { id: 10, topic: "dspy", text: "An optimizer such as BootstrapFewShot compiles a program by collecting demonstrations that pass the metric." },
    Passage { id: 11, topic: "retrieval", text: "Qdrant stores vectors with payloads; a filter on a payload field narrows a search to the matching points." },
    Passage { id: 12, topic: "retrieval", text: "BM25 scores a document by term frequency, inverse document frequency and document length; it finds rare keywords that embeddings miss." },
    Passage { id: 13, topic: "retrieval", text: "Reciprocal rank fusion merges ranked lists by summing 1 / (k + rank) for every document in each list." },
    Passage { id: 14, topic: "retrieval", text: "A reranker rescores the top candidates of a first-stage retriever with a slower, more precise model." },
    Passage { id: 15, topic: "retrieval", text: "Precision at k is the share of the top k results that are relevant; recall at k is the share of relevant documents found in the top k." },
    Passage { id: 16, topic: "rust", text: "Cargo features switch optional code and dependencies on, such as the bundled feature of rusqlite that compiles SQLite into the crate." },
];
