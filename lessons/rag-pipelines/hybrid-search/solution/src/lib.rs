mod corpus;
mod embedder;
mod retriever;
mod store;

use std::collections::HashMap;

use bm25::{Document, SearchEngine, SearchEngineBuilder, Tokenizer};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use retriever::{Passage, Retriever};
use store::{load_corpus, Doc, Hit, VectorStore};

/// BM25 splits text into words exactly as the vector embedder does, so both retrievers
/// see the same words.
#[derive(Clone, Copy, Default)]
struct WordTokenizer;

impl Tokenizer for WordTokenizer {
    fn tokenize(&self, input_text: &str) -> Vec<String> {
        embedder::tokens(input_text)
    }
}

/// A BM25 index over passage ids (u64), with term ids hashed to u32 by the crate.
type Bm25Index = SearchEngine<u64, u32, WordTokenizer>;

/// BM25's best `k` for `query` as `(id, score)`, ties broken by the smaller id. The
/// crate keeps matches in a `HashMap` (random order per process) and sorts by score
/// only, so equal scores come back in any order: ask for every match, sort, then cut.
fn keyword_ranking(bm25: &Bm25Index, query: &str, k: usize) -> Vec<(u64, f32)> {
    let mut results: Vec<(u64, f32)> = bm25
        .search(query, None)
        .into_iter()
        .map(|r| (r.document.id, r.score))
        .collect();
    results.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    results.truncate(k);
    results
}

/// Reciprocal rank fusion: every list gives each id it contains `1 / (k + rank)`, rank
/// counted from 1; the fused list is sorted by the summed score, best first, ties by id.
fn reciprocal_rank_fusion(lists: &[Vec<u64>], k: f64) -> Vec<(u64, f64)> {
    let mut scores: HashMap<u64, f64> = HashMap::new();
    for list in lists {
        for (rank, id) in list.iter().enumerate() {
            *scores.entry(*id).or_default() += 1.0 / (k + rank as f64 + 1.0);
        }
    }
    let mut fused: Vec<(u64, f64)> = scores.into_iter().collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused
}

/// `reciprocal_rank_fusion` for Python: `rrf([[1, 2, 3], [3, 4]], k=60.0)`.
#[pyfunction]
#[pyo3(signature = (lists, k = 60.0))]
fn rrf(py: Python<'_>, lists: Vec<Vec<u64>>, k: f64) -> Vec<(u64, f64)> {
    gil_probe::detach(py, "fuse", move || reciprocal_rank_fusion(&lists, k))
}

/// Vector search and BM25 keyword search over the same corpus, fused with RRF. Callable
/// like `Retriever`, so it drops into `dspy.Retrieve` unchanged.
#[pyclass]
struct HybridRetriever {
    store: VectorStore,
    bm25: Bm25Index,
    k: usize,
    /// How many results each retriever contributes to the fusion.
    candidates: usize,
    /// RRF's k: larger values flatten the difference between ranks.
    rrf_k: f64,
}

#[pymethods]
impl HybridRetriever {
    #[new]
    #[pyo3(signature = (location = ":memory:", k = 3, candidates = 8, rrf_k = 60.0))]
    fn new(
        py: Python<'_>,
        location: &str,
        k: usize,
        candidates: usize,
        rrf_k: f64,
    ) -> PyResult<Self> {
        let docs = load_corpus();
        let store = VectorStore::new(py, location, "docs", None)?;
        store.index(py, docs.clone())?;
        let bm25 = gil_probe::detach(py, "bm25_index", move || {
            let documents = docs.into_iter().map(|d| Document::new(d.id, d.text));
            SearchEngineBuilder::with_tokenizer_and_documents(WordTokenizer, documents).build()
        });
        Ok(Self {
            store,
            bm25,
            k,
            candidates,
            rrf_k,
        })
    }

    /// BM25 alone: `(id, score)` of the best `k` passages for `query`.
    #[pyo3(signature = (query, k = 3))]
    fn bm25_search(&self, py: Python<'_>, query: &str, k: usize) -> Vec<(u64, f32)> {
        let bm25 = &self.bm25;
        gil_probe::detach(py, "bm25", move || keyword_ranking(bm25, query, k))
    }

    /// The rm protocol, as `Retriever.__call__`: fused passages, best first.
    #[pyo3(signature = (query, k = None, **_kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        query: &str,
        k: Option<usize>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Vec<Passage>> {
        let k = k.unwrap_or(self.k);
        let vector: Vec<u64> = self
            .store
            .search(py, query, self.candidates, None)?
            .iter()
            .map(|hit| hit.id)
            .collect();
        let (bm25, candidates, rrf_k) = (&self.bm25, self.candidates, self.rrf_k);
        let passages = gil_probe::detach(py, "fuse", move || {
            let keyword: Vec<u64> = keyword_ranking(bm25, query, candidates)
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            reciprocal_rank_fusion(&[vector, keyword], rrf_k)
                .into_iter()
                .take(k)
                .filter_map(|(id, score)| {
                    bm25.get(&id).map(|doc| Passage {
                        id,
                        score,
                        long_text: format!("[{id}] {}", doc.contents),
                    })
                })
                .collect()
        });
        Ok(passages)
    }
}

#[pymodule]
fn hybrid_search(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Doc>()?;
    m.add_class::<Hit>()?;
    m.add_class::<VectorStore>()?;
    m.add_class::<Passage>()?;
    m.add_class::<Retriever>()?;
    m.add_class::<HybridRetriever>()?;
    m.add_function(wrap_pyfunction!(load_corpus, m)?)?;
    m.add_function(wrap_pyfunction!(rrf, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
