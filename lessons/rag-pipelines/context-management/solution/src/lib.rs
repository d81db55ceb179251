mod corpus;
mod embedder;
mod retriever;
mod store;

use std::collections::HashSet;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use retriever::{check_citations, passage_id, Passage, Retriever};
use store::{load_corpus, Doc, Hit, VectorStore};

/// The RAG program: retrieve, let Rust pack the passages into the budget, answer from
/// what was packed.
const RAG_PY: &std::ffi::CStr = c"
import dspy

class RAG(dspy.Module):
    def __init__(self, retriever, k, signature, pack, budget):
        super().__init__()
        self.retriever = retriever
        self.k = k
        self.pack = pack
        self.budget = budget
        self.retrieve = dspy.Retrieve(k=k)
        self.generate = dspy.Predict(signature)

    def forward(self, question):
        with dspy.context(rm=self.retriever):
            passages = self.retrieve(query=question, k=self.k).passages
        packed = self.pack(passages, self.budget)
        prediction = self.generate(context=packed.passages, question=question)
        return dspy.Prediction(
            answer=prediction.answer,
            citations=prediction.citations,
            passages=packed.passages,
            tokens=packed.tokens,
        )
";

const SIGNATURE: &str = "context: list[str], question: str -> answer: str, citations: list[int]";

static RAG_CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

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
struct Packed {
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
fn pack(passages: Vec<String>, budget: usize) -> Packed {
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

/// `pack` for Python, with the GIL released while it runs.
#[pyfunction]
fn pack_context(py: Python<'_>, passages: Vec<String>, budget: usize) -> Packed {
    gil_probe::detach(py, "pack", move || pack(passages, budget))
}

/// Passages 1 and 7 again, as a second feed delivered them: other ids, other spacing
/// and case. A store fed from two sources holds both copies.
#[pyfunction]
fn second_source() -> Vec<Doc> {
    load_corpus()
        .into_iter()
        .filter(|doc| doc.id == 1 || doc.id == 7)
        .map(|doc| Doc {
            id: doc.id + 100,
            topic: doc.topic,
            text: doc.text.to_uppercase().replace(' ', "  "),
        })
        .collect()
}

/// The RAG program's result: the answer, its checked citations, and the context it saw.
#[pyclass(get_all)]
#[derive(Debug)]
struct Answer {
    answer: String,
    citations: Vec<u64>,
    passages: Vec<String>,
    tokens: usize,
}

/// Answer `question` from at most `budget` tokens of deduplicated context.
#[pyfunction]
#[pyo3(signature = (question, retriever, budget = 80, k = 6))]
fn ask(
    py: Python<'_>,
    question: &str,
    retriever: Py<Retriever>,
    budget: usize,
    k: usize,
) -> PyResult<Answer> {
    let class = RAG_CLASS.get_or_try_init(py, || {
        let module = PyModule::from_code(py, RAG_PY, c"rag.py", c"rag")?;
        Ok::<_, PyErr>(module.getattr("RAG")?.unbind())
    })?;
    let pack = wrap_pyfunction!(pack_context, py)?;
    let rag = class
        .bind(py)
        .call1((retriever, k, SIGNATURE, pack, budget))?;

    let kwargs = PyDict::new(py);
    kwargs.set_item("question", question)?;
    let prediction = gil_probe::attach("rag", |_py| rag.call((), Some(&kwargs)))?;

    let answer: String = prediction.getattr("answer")?.extract()?;
    let citations: Vec<u64> = prediction.getattr("citations")?.extract()?;
    let passages: Vec<String> = prediction.getattr("passages")?.extract()?;
    let tokens: usize = prediction.getattr("tokens")?.extract()?;

    // Only what the LM saw can be cited: the packed passages, not everything retrieved.
    let (citations, passages) = gil_probe::detach(py, "check_citations", move || {
        check_citations(&citations, &passages).map(|()| (citations, passages))
    })
    .map_err(PyValueError::new_err)?;
    Ok(Answer {
        answer,
        citations,
        passages,
        tokens,
    })
}

#[pymodule]
fn context_management(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Doc>()?;
    m.add_class::<Hit>()?;
    m.add_class::<VectorStore>()?;
    m.add_class::<Passage>()?;
    m.add_class::<Retriever>()?;
    m.add_class::<Packed>()?;
    m.add_class::<Answer>()?;
    m.add_function(wrap_pyfunction!(load_corpus, m)?)?;
    m.add_function(wrap_pyfunction!(pack_context, m)?)?;
    m.add_function(wrap_pyfunction!(second_source, m)?)?;
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
