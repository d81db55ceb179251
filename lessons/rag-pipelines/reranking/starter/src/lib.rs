mod corpus;
mod embedder;
mod hybrid;
mod labelled;
mod retriever;
mod store;

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use hybrid::{rrf, HybridRetriever};
use retriever::{passage_id, Passage, Retriever};
use store::{load_corpus, Doc, Hit, VectorStore};

/// The lesson's labelled queries: `[(query, [relevant ids]), …]`.
#[pyfunction(name = "labelled")]
fn labelled_queries() -> Vec<(&'static str, Vec<u64>)> {
    labelled::LABELLED
        .iter()
        .map(|l| (l.query, l.relevant.to_vec()))
        .collect()
}

/// Adjacent word pairs: "release the GIL" → {("release", "gil")} (stop words are gone).
fn bigrams(words: &[String]) -> HashSet<(&str, &str)> {
    words
        .windows(2)
        .map(|w| (w[0].as_str(), w[1].as_str()))
        .collect()
}

/// How rare each word is in the corpus: ln(1 + N / df). A word in every passage says
/// little about any of them; a word in one passage says a lot. Computed once.
fn rarity() -> &'static HashMap<String, f64> {
    static RARITY: OnceLock<HashMap<String, f64>> = OnceLock::new();
    RARITY.get_or_init(|| {
        let mut df: HashMap<String, usize> = HashMap::new();
        for passage in corpus::CORPUS {
            let words: HashSet<String> = embedder::tokens(passage.text).into_iter().collect();
            for word in words {
                *df.entry(word).or_default() += 1;
            }
        }
        let n = corpus::CORPUS.len() as f64;
        df.into_iter()
            .map(|(word, count)| (word, (1.0 + n / count as f64).ln()))
            .collect()
    })
}

/// Weight of a query word: its rarity, or the highest weight for a word no passage has.
fn weight(word: &str) -> f64 {
    let n = corpus::CORPUS.len() as f64;
    rarity().get(word).copied().unwrap_or((1.0 + n).ln())
}

/// How well `passage` answers `query`, looking at both together (a first-stage retriever
/// scores each side on its own): the share of the query's distinct words the passage
/// contains, each word weighted by its rarity, plus half the share of the query's word
/// pairs the passage contains in the same order.
#[allow(dead_code)] // TODO: remove once rerank_passages uses it
fn cross_score(query: &str, passage: &str) -> f64 {
    let query_words = embedder::tokens(query);
    let passage_words = embedder::tokens(passage);
    let wanted: HashSet<&str> = query_words.iter().map(String::as_str).collect();
    let total: f64 = wanted.iter().map(|w| weight(w)).sum();
    if total == 0.0 {
        return 0.0;
    }
    let present: HashSet<&str> = passage_words.iter().map(String::as_str).collect();
    let found: f64 = wanted.intersection(&present).map(|w| weight(w)).sum();
    let query_pairs = bigrams(&query_words);
    let pair_share = if query_pairs.is_empty() {
        0.0
    } else {
        let passage_pairs = bigrams(&passage_words);
        query_pairs.intersection(&passage_pairs).count() as f64 / query_pairs.len() as f64
    };
    found / total + 0.5 * pair_share
}

/// Rescore `passages` (in first-stage order) against `query` and sort them best first.
/// Equal scores keep their first-stage order (a stable sort).
fn rerank_passages(query: &str, passages: Vec<String>) -> Vec<(u64, f64)> {
    // TODO: score every passage against the query with `cross_score` (its id comes
    //       from `passage_id`), and sort best first; equal scores keep their order.
    let _ = query;
    passages
        .iter()
        .map(|p| (passage_id(p).unwrap_or(0), 0.0))
        .collect()
}

/// `rerank_passages` for Python, with the GIL released.
#[pyfunction]
fn rerank(py: Python<'_>, query: &str, passages: Vec<String>) -> Vec<(u64, f64)> {
    // TODO: scoring is pure Rust: run it with the GIL released (label "rerank").
    let _ = py;
    rerank_passages(query, passages)
}

/// Hybrid retrieval of `candidates` passages, reranked, best `k` kept.
#[pyclass]
struct RerankingRetriever {
    hybrid: HybridRetriever,
    k: usize,
    candidates: usize,
}

#[pymethods]
impl RerankingRetriever {
    #[new]
    #[pyo3(signature = (location = ":memory:", k = 3, candidates = 8))]
    fn new(py: Python<'_>, location: &str, k: usize, candidates: usize) -> PyResult<Self> {
        let hybrid = HybridRetriever::new(py, location, k, candidates, 60.0)?;
        Ok(Self {
            hybrid,
            k,
            candidates,
        })
    }

    #[pyo3(signature = (query, k = None, **_kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        query: &str,
        k: Option<usize>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Vec<Passage>> {
        let k = k.unwrap_or(self.k);
        // TODO: take the hybrid retriever's best `self.candidates` passages, rerank them
        //       with the GIL released (label "rerank"), keep the best k, and give each
        //       kept Passage its cross score.
        let reranked = self.hybrid.fused(py, query, k)?;
        let _ = self.candidates;
        Ok(reranked)
    }
}

#[pymodule]
fn reranking(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Doc>()?;
    m.add_class::<Hit>()?;
    m.add_class::<VectorStore>()?;
    m.add_class::<Passage>()?;
    m.add_class::<Retriever>()?;
    m.add_class::<HybridRetriever>()?;
    m.add_class::<RerankingRetriever>()?;
    m.add_function(wrap_pyfunction!(load_corpus, m)?)?;
    m.add_function(wrap_pyfunction!(rrf, m)?)?;
    m.add_function(wrap_pyfunction!(labelled_queries, m)?)?;
    m.add_function(wrap_pyfunction!(rerank, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
