//! The reranker from the reranking step.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::retriever::passage_id;
use crate::{corpus, embedder};

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
pub(crate) fn rerank_passages(query: &str, passages: Vec<String>) -> Vec<(u64, f64)> {
    let mut scored: Vec<(u64, f64)> = passages
        .iter()
        .map(|p| (passage_id(p).unwrap_or(0), cross_score(query, p)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored
}
