mod corpus;
mod embedder;
mod retriever;
mod store;

#[allow(unused_imports)] // TODO: remove once the fusion uses it
use std::collections::HashMap;

#[allow(unused_imports)] // TODO: remove once new() uses Document
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

#[allow(dead_code)] // TODO: remove once bm25_search and __call__ use it
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
    // TODO: give every id in every list 1 / (k + rank), rank counted from 1, sum them
    //       per id, and sort best first (equal scores: smaller id first).
    let _ = (lists, k);
    Vec::new()
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
    #[allow(dead_code)] // TODO: remove once __call__ fuses with BM25
    bm25: Bm25Index,
    k: usize,
    /// How many results each retriever contributes to the fusion.
    candidates: usize,
    /// RRF's k: larger values flatten the difference between ranks.
    #[allow(dead_code)] // TODO: remove once __call__ fuses with BM25
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
        // TODO: fit a BM25 engine to the corpus (ids and texts), splitting words with
        //       WordTokenizer, with the GIL released (label "bm25_index").
        let _ = docs;
        let bm25 = SearchEngineBuilder::with_avgdl(1.0).build();
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
        // TODO: search the BM25 engine with the GIL released (label "bm25") and return
        //       each result's document id and score.
        let _ = (py, query, k);
        Vec::new()
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
        let hits = self.store.search(py, query, self.candidates, None)?;
        // TODO: this is vector search only. Fuse the vector ranking (the hits' ids) with
        //       the BM25 ranking of the same query (`self.candidates` results each)
        //       using reciprocal_rank_fusion(.., self.rrf_k), keep the best k, and build
        //       the passages (the BM25 engine keeps each document's text). Pure Rust: run
        //       it with the GIL released (label "fuse").
        let passages: Vec<Passage> = hits
            .into_iter()
            .take(k)
            .map(|hit| Passage {
                id: hit.id,
                score: hit.score,
                long_text: format!("[{}] {}", hit.id, hit.text),
            })
            .collect();
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
