mod corpus;
mod embedder;
mod hybrid;
mod labelled;
mod pack;
mod rerank;
mod retriever;
mod store;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use hybrid::{rrf, HybridRetriever};
use pack::{pack, Packed};
use rerank::rerank_passages;
use retriever::{check_citations, Passage};

/// The RAG program of context-management: retrieve, pack, answer with citations.
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

/// Questions with a phrase a right answer must contain, for judging answers.
const DEVSET: &[(&str, &str)] = &[
    (
        "Which call releases the GIL so Python threads run while Rust works?",
        "Python::detach",
    ),
    (
        "How can the LM reason step by step before it answers?",
        "ChainOfThought",
    ),
    ("How do I store the LM program with rusqlite?", "bundled"),
    (
        "How do I narrow a vector search to points with a payload field?",
        "filter",
    ),
];

// --- retrieval metrics (binary relevance) ---------------------------------------------

/// Share of the top `k` retrieved ids that are relevant.
fn precision_at_k(retrieved: &[u64], relevant: &[u64], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let hits = retrieved
        .iter()
        .take(k)
        .filter(|id| relevant.contains(id))
        .count();
    hits as f64 / k as f64
}

/// Share of the relevant ids found in the top `k`.
fn recall_at_k(retrieved: &[u64], relevant: &[u64], k: usize) -> f64 {
    if relevant.is_empty() {
        return 0.0;
    }
    let found = relevant
        .iter()
        .filter(|id| retrieved.iter().take(k).any(|r| r == *id))
        .count();
    found as f64 / relevant.len() as f64
}

/// 1 / rank of the first relevant id (rank from 1), 0 if none is retrieved.
fn reciprocal_rank(retrieved: &[u64], relevant: &[u64]) -> f64 {
    retrieved
        .iter()
        .position(|id| relevant.contains(id))
        .map_or(0.0, |i| 1.0 / (i as f64 + 1.0))
}

/// DCG@k / ideal DCG@k, with gain 1 for a relevant id at rank i discounted by log2(i + 1).
fn ndcg_at_k(retrieved: &[u64], relevant: &[u64], k: usize) -> f64 {
    let discount = |rank: usize| 1.0 / ((rank + 1) as f64).log2();
    // fold from +0.0: an empty `sum()` of f64 is -0.0.
    let dcg = retrieved
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, id)| relevant.contains(id))
        .fold(0.0, |acc, (i, _)| acc + discount(i + 1));
    let ideal = (1..=relevant.len().min(k)).fold(0.0, |acc, rank| acc + discount(rank));
    if ideal == 0.0 {
        0.0
    } else {
        dcg / ideal
    }
}

/// The four metrics of one ranking: (precision@k, recall@k, reciprocal rank, NDCG@k).
#[pyfunction]
fn metrics(retrieved: Vec<u64>, relevant: Vec<u64>, k: usize) -> (f64, f64, f64, f64) {
    (
        precision_at_k(&retrieved, &relevant, k),
        recall_at_k(&retrieved, &relevant, k),
        reciprocal_rank(&retrieved[..k.min(retrieved.len())], &relevant),
        ndcg_at_k(&retrieved, &relevant, k),
    )
}

/// Averages over the labelled queries.
#[pyclass(get_all)]
#[derive(Debug)]
struct Report {
    k: usize,
    queries: usize,
    precision: f64,
    recall: f64,
    mrr: f64,
    ndcg: f64,
}

#[pymethods]
impl Report {
    fn __repr__(&self) -> String {
        format!(
            "Report(k={}, queries={}, precision={:.3}, recall={:.3}, mrr={:.3}, ndcg={:.3})",
            self.k, self.queries, self.precision, self.recall, self.mrr, self.ndcg
        )
    }
}

/// The RAG answer, with citations checked against the context the LM saw.
#[pyclass(get_all)]
#[derive(Debug)]
struct Answer {
    answer: String,
    citations: Vec<u64>,
    passages: Vec<String>,
}

/// `pack` for Python, without the GIL.
#[pyfunction]
fn pack_context(py: Python<'_>, passages: Vec<String>, budget: usize) -> Packed {
    gil_probe::detach(py, "pack", move || pack(passages, budget))
}

/// A right answer contains the example's key phrase and cites a relevant passage.
#[pyfunction]
#[pyo3(signature = (example, prediction, trace = None))]
fn answer_metric(
    example: &Bound<'_, PyAny>,
    prediction: &Bound<'_, PyAny>,
    trace: Option<&Bound<'_, PyAny>>,
) -> PyResult<bool> {
    let _ = trace;
    let key: String = example.getattr("key")?.extract()?;
    let relevant: Vec<u64> = example.getattr("relevant")?.extract()?;
    let answer: String = prediction.getattr("answer")?.extract()?;
    let citations: Vec<u64> = prediction.getattr("citations")?.extract()?;
    Ok(answer.to_lowercase().contains(&key.to_lowercase())
        && citations.iter().any(|c| relevant.contains(c)))
}

/// The module's pieces in one retriever: hybrid search (BM25 + Qdrant, RRF), reranked,
/// then a RAG program that packs the context and checks citations.
#[pyclass]
struct Pipeline {
    hybrid: HybridRetriever,
    k: usize,
    candidates: usize,
    budget: usize,
}

impl Pipeline {
    /// The best `k` passages: hybrid candidates, reranked.
    fn retrieve(&self, py: Python<'_>, query: &str, k: usize) -> PyResult<Vec<Passage>> {
        let mut first_stage = self.hybrid.fused(py, query, self.candidates)?;
        let texts: Vec<String> = first_stage.iter().map(|p| p.long_text.clone()).collect();
        let query = query.to_string();
        let order = gil_probe::detach(py, "rerank", move || rerank_passages(&query, texts));
        let mut kept = Vec::with_capacity(k);
        for (id, score) in order.into_iter().take(k) {
            if let Some(i) = first_stage.iter().position(|p| p.id == id) {
                let mut passage = first_stage.swap_remove(i);
                passage.score = score;
                kept.push(passage);
            }
        }
        Ok(kept)
    }

    /// The RAG dspy.Module over this pipeline.
    fn program<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let class = RAG_CLASS.get_or_try_init(py, || {
            let module = PyModule::from_code(py, RAG_PY, c"rag.py", c"rag")?;
            Ok::<_, PyErr>(module.getattr("RAG")?.unbind())
        })?;
        let (k, budget) = {
            let this = slf.borrow();
            (this.k, this.budget)
        };
        let pack = wrap_pyfunction!(pack_context, py)?;
        class.bind(py).call1((slf, k, SIGNATURE, pack, budget))
    }
}

#[pymethods]
impl Pipeline {
    #[new]
    #[pyo3(signature = (k = 3, candidates = 8, budget = 120))]
    fn new(py: Python<'_>, k: usize, candidates: usize, budget: usize) -> PyResult<Self> {
        let hybrid = HybridRetriever::new(py, ":memory:", k, candidates, 60.0)?;
        Ok(Self {
            hybrid,
            k,
            candidates,
            budget,
        })
    }

    /// The rm protocol, so `dspy.Retrieve` can use the whole pipeline.
    #[pyo3(signature = (query, k = None, **_kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        query: &str,
        k: Option<usize>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Vec<Passage>> {
        self.retrieve(py, query, k.unwrap_or(self.k))
    }

    /// Answer `question` with the RAG program; a citation of a passage the LM was not
    /// shown is a ValueError.
    fn ask(slf: &Bound<'_, Self>, question: &str) -> PyResult<Answer> {
        let py = slf.py();
        let rag = Self::program(slf)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("question", question)?;
        let prediction = gil_probe::attach("rag", |_py| rag.call((), Some(&kwargs)))?;
        let answer: String = prediction.getattr("answer")?.extract()?;
        let citations: Vec<u64> = prediction.getattr("citations")?.extract()?;
        let passages: Vec<String> = prediction.getattr("passages")?.extract()?;
        let (citations, passages) = gil_probe::detach(py, "check_citations", move || {
            check_citations(&citations, &passages).map(|()| (citations, passages))
        })
        .map_err(PyValueError::new_err)?;
        Ok(Answer {
            answer,
            citations,
            passages,
        })
    }

    /// Precision@k, recall@k, MRR and NDCG@k of the pipeline's ranking, averaged over
    /// the labelled queries.
    #[pyo3(signature = (k = 3))]
    fn retrieval_report(&self, py: Python<'_>, k: usize) -> PyResult<Report> {
        let mut rankings = Vec::new();
        for query in labelled::LABELLED {
            let ids: Vec<u64> = self
                .retrieve(py, query.query, k)?
                .iter()
                .map(|p| p.id)
                .collect();
            rankings.push((ids, query.relevant.to_vec()));
        }
        Ok(gil_probe::detach(py, "metrics", move || {
            let n = rankings.len().max(1) as f64;
            let mut report = Report {
                k,
                queries: rankings.len(),
                precision: 0.0,
                recall: 0.0,
                mrr: 0.0,
                ndcg: 0.0,
            };
            for (ids, relevant) in &rankings {
                report.precision += precision_at_k(ids, relevant, k) / n;
                report.recall += recall_at_k(ids, relevant, k) / n;
                report.mrr += reciprocal_rank(ids, relevant) / n;
                report.ndcg += ndcg_at_k(ids, relevant, k) / n;
            }
            report
        }))
    }

    /// `dspy.Evaluate` of the RAG program on the devset with `answer_metric`: the share
    /// of answers that are right, in percent.
    fn evaluate_answers(slf: &Bound<'_, Self>) -> PyResult<f64> {
        let py = slf.py();
        let dspy = py.import("dspy")?;
        let example_class = dspy.getattr("Example")?;
        let mut devset = Vec::new();
        for (question, key) in DEVSET {
            let relevant = labelled::LABELLED
                .iter()
                .find(|l| l.query == *question)
                .map(|l| l.relevant.to_vec())
                .unwrap_or_default();
            let fields = PyDict::new(py);
            fields.set_item("question", *question)?;
            fields.set_item("key", *key)?;
            fields.set_item("relevant", relevant)?;
            let example = example_class.call((), Some(&fields))?;
            devset.push(example.call_method1("with_inputs", ("question",))?);
        }
        let kwargs = PyDict::new(py);
        kwargs.set_item("devset", devset)?;
        kwargs.set_item("metric", wrap_pyfunction!(answer_metric, py)?)?;
        kwargs.set_item("num_threads", 1)?;
        kwargs.set_item("display_progress", false)?;
        let evaluate = dspy.getattr("Evaluate")?.call((), Some(&kwargs))?;
        let result = evaluate.call1((Self::program(slf)?,))?;
        result.getattr("score")?.extract()
    }
}

#[pymodule]
fn rag_evaluation(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Passage>()?;
    m.add_class::<Packed>()?;
    m.add_class::<Report>()?;
    m.add_class::<Answer>()?;
    m.add_class::<HybridRetriever>()?;
    m.add_class::<Pipeline>()?;
    m.add_function(wrap_pyfunction!(rrf, m)?)?;
    m.add_function(wrap_pyfunction!(metrics, m)?)?;
    m.add_function(wrap_pyfunction!(pack_context, m)?)?;
    m.add_function(wrap_pyfunction!(answer_metric, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
