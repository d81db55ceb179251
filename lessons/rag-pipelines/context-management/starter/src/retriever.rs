//! The retriever from the dspy-retriever step, with `add` to index more passages and
//! ties broken by id (two copies of one text score the same; Qdrant returns ties in no
//! promised order, and a reproducible pipeline needs one).

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::store::{load_corpus, Doc, VectorStore};

/// One retrieved passage, in the shape `dspy.Retrieve` reads (`long_text`). The text
/// starts with its citation number: `"[1] Python::attach runs …"`.
#[pyclass(get_all)]
#[derive(Debug)]
pub(crate) struct Passage {
    pub(crate) id: u64,
    pub(crate) score: f64,
    pub(crate) long_text: String,
}

#[pymethods]
impl Passage {
    fn __repr__(&self) -> String {
        format!("Passage(id={}, score={:.3})", self.id, self.score)
    }
}

/// A DSPy retrieval model backed by the Rust vector store: `retriever(query, k=3)`
/// returns passages, best first. Use it with `dspy.context(rm=retriever)`.
#[pyclass]
pub(crate) struct Retriever {
    store: VectorStore,
    k: usize,
}

#[pymethods]
impl Retriever {
    /// Open the store at `location` and index the lesson's corpus into it.
    #[new]
    #[pyo3(signature = (location = ":memory:", k = 3))]
    fn new(py: Python<'_>, location: &str, k: usize) -> PyResult<Self> {
        let store = VectorStore::new(py, location, "docs", None)?;
        store.index(py, load_corpus())?;
        Ok(Self { store, k })
    }

    /// Index more passages into the same store (another source, a new batch).
    fn add(&self, py: Python<'_>, docs: Vec<Doc>) -> PyResult<usize> {
        self.store.index(py, docs)
    }

    /// The rm protocol: `dspy.Retrieve` calls `rm(query, k=k, **kwargs)` and reads
    /// `.long_text` from each result.
    #[pyo3(signature = (query, k = None, **_kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        query: &str,
        k: Option<usize>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Vec<Passage>> {
        let mut hits = self.store.search(py, query, k.unwrap_or(self.k), None)?;
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        Ok(hits
            .into_iter()
            .map(|hit| Passage {
                id: hit.id,
                score: hit.score,
                long_text: format!("[{}] {}", hit.id, hit.text),
            })
            .collect())
    }
}

#[allow(dead_code)] // used by the steps that run the RAG program
/// The citation number a passage starts with: `"[12] text"` → 12.
pub(crate) fn passage_id(passage: &str) -> Option<u64> {
    let rest = passage.strip_prefix('[')?;
    let (number, _) = rest.split_once(']')?;
    number.parse().ok()
}

#[allow(dead_code)] // used by the steps that run the RAG program
/// Every cited number must belong to a retrieved passage: an LM that cites `[9]` when
/// it saw passages 1, 2 and 4 made the citation up.
pub(crate) fn check_citations(citations: &[u64], passages: &[String]) -> Result<(), String> {
    let retrieved: Vec<u64> = passages.iter().filter_map(|p| passage_id(p)).collect();
    match citations.iter().find(|c| !retrieved.contains(c)) {
        Some(bad) => Err(format!(
            "the answer cites passage {bad}, which was not retrieved (retrieved: {retrieved:?})"
        )),
        None => Ok(()),
    }
}
