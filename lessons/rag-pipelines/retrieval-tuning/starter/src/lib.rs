mod corpus;
mod embedder;
mod labelled;
mod store;

#[allow(unused_imports)] // TODO: remove once weighted_rrf uses it
use std::collections::HashMap;

use bm25::{Document, SearchEngineBuilder, Tokenizer};
use pyo3::prelude::*;

use store::{Doc, VectorStore};

/// The grid: every combination is one setting of the hybrid retriever.
#[allow(dead_code)] // TODO: remove once grid_search uses it
const CANDIDATES: &[usize] = &[3, 8, 16];
#[allow(dead_code)] // TODO: remove once grid_search uses it
const RRF_K: &[f64] = &[1.0, 10.0, 60.0];
#[allow(dead_code)] // TODO: remove once grid_search uses it
const VECTOR_WEIGHTS: &[f64] = &[0.25, 0.5, 1.0, 2.0];
/// Chunk size in words; 0 keeps every passage whole.
const CHUNK_WORDS: &[usize] = &[0, 8];
/// How many passages the retriever returns: MRR is measured on these.
const K: usize = 3;
/// The hybrid-search step's setting, the one to beat.
const DEFAULT: Setting = Setting {
    candidates: 8,
    rrf_k: 60.0,
    vector_weight: 1.0,
    chunk_words: 0,
};

#[derive(Clone, Copy, Default)]
struct WordTokenizer;

impl Tokenizer for WordTokenizer {
    fn tokenize(&self, input_text: &str) -> Vec<String> {
        embedder::tokens(input_text)
    }
}

/// One setting of the retriever's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Setting {
    candidates: usize,
    rrf_k: f64,
    vector_weight: f64,
    chunk_words: usize,
}

/// One row of the results table.
#[pyclass(get_all, skip_from_py_object)]
#[derive(Clone, Debug)]
struct Row {
    candidates: usize,
    rrf_k: f64,
    vector_weight: f64,
    chunk_words: usize,
    /// Mean reciprocal rank of the first relevant passage in the top K, over the queries.
    mrr: f64,
    /// Queries whose first passage is relevant.
    top1: usize,
}

#[pymethods]
impl Row {
    fn __repr__(&self) -> String {
        format!(
            "Row(candidates={}, rrf_k={}, vector_weight={}, chunk_words={}, mrr={:.3}, top1={})",
            self.candidates, self.rrf_k, self.vector_weight, self.chunk_words, self.mrr, self.top1
        )
    }
}

/// Weighted reciprocal rank fusion: list `i` gives each id `weights[i] / (k + rank)`,
/// rank counted from 1. Best first, ties by the smaller id.
fn weighted_rrf(lists: &[&[u64]], weights: &[f64], k: f64) -> Vec<u64> {
    // TODO: reciprocal rank fusion as in hybrid-search, each list's contribution
    //       multiplied by its weight; return the ids, best first, ties by smaller id.
    let _ = (lists, weights, k);
    Vec::new()
}

/// `weighted_rrf` for Python, returning the fused ids.
#[pyfunction]
fn fuse(lists: Vec<Vec<u64>>, weights: Vec<f64>, k: f64) -> Vec<u64> {
    let lists: Vec<&[u64]> = lists.iter().map(Vec::as_slice).collect();
    weighted_rrf(&lists, &weights, k)
}

/// Split a passage into chunks of `words` words (0: the whole passage). A chunk's id is
/// the passage id * 100 + its index, so `id / 100` leads back to the passage.
fn chunks(doc: &Doc, words: usize) -> Vec<Doc> {
    if words == 0 {
        return vec![Doc {
            id: doc.id * 100,
            ..doc.clone()
        }];
    }
    let all: Vec<&str> = doc.text.split_whitespace().collect();
    all.chunks(words)
        .enumerate()
        .map(|(i, part)| Doc {
            id: doc.id * 100 + i as u64,
            topic: doc.topic.clone(),
            text: part.join(" "),
        })
        .collect()
}

/// Chunk ids → passage ids, first occurrence kept (the best chunk ranks its passage).
fn passages_of(chunk_ids: impl IntoIterator<Item = u64>) -> Vec<u64> {
    let mut seen = Vec::new();
    for id in chunk_ids {
        if !seen.contains(&(id / 100)) {
            seen.push(id / 100);
        }
    }
    seen
}

/// Rankings of one labelled query: passage ids by vector search and by BM25.
struct Rankings {
    vector: Vec<u64>,
    keyword: Vec<u64>,
    relevant: Vec<u64>,
}

/// Reciprocal rank of the first relevant id in `ids`, 0 if none.
fn reciprocal_rank(ids: &[u64], relevant: &[u64]) -> f64 {
    ids.iter()
        .position(|id| relevant.contains(id))
        .map_or(0.0, |i| 1.0 / (i as f64 + 1.0))
}

/// MRR@K and top-1 count of `setting` over the labelled queries.
fn evaluate(setting: Setting, rankings: &HashMap<usize, Vec<Rankings>>) -> Row {
    let queries = rankings
        .get(&setting.chunk_words)
        .map_or(&[][..], Vec::as_slice);
    let mut total = 0.0;
    let mut top1 = 0;
    for q in queries {
        let n = setting.candidates;
        let vector = &q.vector[..n.min(q.vector.len())];
        let keyword = &q.keyword[..n.min(q.keyword.len())];
        let fused = weighted_rrf(
            &[vector, keyword],
            &[setting.vector_weight, 1.0],
            setting.rrf_k,
        );
        let top = &fused[..K.min(fused.len())];
        total += reciprocal_rank(top, &q.relevant);
        top1 += usize::from(top.first().is_some_and(|id| q.relevant.contains(id)));
    }
    Row {
        candidates: setting.candidates,
        rrf_k: setting.rrf_k,
        vector_weight: setting.vector_weight,
        chunk_words: setting.chunk_words,
        mrr: if queries.is_empty() {
            0.0
        } else {
            total / queries.len() as f64
        },
        top1,
    }
}

/// Every setting of the grid, evaluated, best MRR first (then more top-1, then the
/// grid's order).
fn grid_search(rankings: &HashMap<usize, Vec<Rankings>>) -> Vec<Row> {
    // TODO: evaluate every combination of CHUNK_WORDS, CANDIDATES, RRF_K and
    //       VECTOR_WEIGHTS (one `Setting` each, with `evaluate`), and sort the rows
    //       best MRR first.
    vec![evaluate(DEFAULT, rankings)]
}

/// Retrieves every labelled query once per chunk size, then tunes the fusion in Rust.
#[pyclass]
struct Tuner {
    rankings: HashMap<usize, Vec<Rankings>>,
}

#[pymethods]
impl Tuner {
    /// Index the corpus once per chunk size (a Qdrant collection and a BM25 engine each)
    /// and rank every labelled query with both.
    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        let depth = CANDIDATES.iter().copied().max().unwrap_or(K) * 4;
        let mut rankings = HashMap::new();
        for &words in CHUNK_WORDS {
            let docs: Vec<Doc> = store::load_corpus()
                .iter()
                .flat_map(|d| chunks(d, words))
                .collect();
            let vectors = VectorStore::new(py, ":memory:", &format!("chunks-{words}"), None)?;
            vectors.index(py, docs.clone())?;
            let bm25 =
                SearchEngineBuilder::<u64, u32, WordTokenizer>::with_tokenizer_and_documents(
                    WordTokenizer,
                    docs.into_iter().map(|d| Document::new(d.id, d.text)),
                )
                .build();
            let mut per_query = Vec::new();
            for query in labelled::LABELLED {
                // Full rankings with ties broken by id: the crate and Qdrant return equal
                // scores in no fixed order, and the grid must give the same table every run.
                let mut hits: Vec<(u64, f64)> = vectors
                    .search(py, query.query, depth, None)?
                    .iter()
                    .map(|h| (h.id, h.score))
                    .collect();
                hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                let mut keyword: Vec<(u64, f32)> = bm25
                    .search(query.query, None)
                    .into_iter()
                    .map(|r| (r.document.id, r.score))
                    .collect();
                keyword.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                per_query.push(Rankings {
                    vector: passages_of(hits.into_iter().map(|(id, _)| id)),
                    keyword: passages_of(keyword.into_iter().map(|(id, _)| id)),
                    relevant: query.relevant.to_vec(),
                });
            }
            vectors.close(py)?;
            rankings.insert(words, per_query);
        }
        Ok(Self { rankings })
    }

    /// The results table: every setting, best first. Pure Rust, without the GIL.
    fn grid(&self, py: Python<'_>) -> Vec<Row> {
        // TODO: the grid is pure Rust: run it with the GIL released (label "grid").
        let _ = py;
        grid_search(&self.rankings)
    }

    /// One setting's row.
    #[pyo3(signature = (candidates = DEFAULT.candidates, rrf_k = DEFAULT.rrf_k, vector_weight = DEFAULT.vector_weight, chunk_words = DEFAULT.chunk_words))]
    fn evaluate(
        &self,
        candidates: usize,
        rrf_k: f64,
        vector_weight: f64,
        chunk_words: usize,
    ) -> Row {
        evaluate(
            Setting {
                candidates,
                rrf_k,
                vector_weight,
                chunk_words,
            },
            &self.rankings,
        )
    }
}

#[pymodule]
fn retrieval_tuning(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Row>()?;
    m.add_class::<Tuner>()?;
    m.add_function(wrap_pyfunction!(fuse, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
