//! Context packing from the context-management step.

use std::collections::HashSet;

use pyo3::prelude::*;

use crate::retriever::passage_id;

/// Estimated tokens of `text`: one per four characters, rounded up (OpenAI's rule of
/// thumb for English). Exact counts need the model's own tokenizer.
fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// What two copies of one passage have in common: the text without its `[id] ` prefix,
/// lower-case, punctuation dropped, words separated by single spaces.
fn dedup_key(passage: &str) -> String {
    let text = match passage.split_once("] ") {
        Some((_, rest)) if passage.starts_with('[') => rest,
        _ => passage,
    };
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The context that goes into the prompt, and what was left out and why.
#[pyclass(get_all)]
#[derive(Debug, Default)]
pub(crate) struct Packed {
    /// The passages kept, in retrieval order.
    passages: Vec<String>,
    /// Estimated tokens of the kept passages.
    tokens: usize,
    /// Ids dropped because a better-ranked copy was kept.
    duplicates: Vec<u64>,
    /// Ids dropped because they did not fit in the budget.
    over_budget: Vec<u64>,
}

/// Keep passages in rank order: skip copies of a passage already kept, and skip any
/// passage that would take the total over `budget` tokens (a shorter one further down
/// may still fit).
pub(crate) fn pack(passages: Vec<String>, budget: usize) -> Packed {
    let mut packed = Packed::default();
    let mut seen = HashSet::new();
    for passage in passages {
        let id = passage_id(&passage).unwrap_or(0);
        if !seen.insert(dedup_key(&passage)) {
            packed.duplicates.push(id);
            continue;
        }
        let cost = estimate_tokens(&passage);
        if packed.tokens + cost > budget {
            packed.over_budget.push(id);
            continue;
        }
        packed.tokens += cost;
        packed.passages.push(passage);
    }
    packed
}
