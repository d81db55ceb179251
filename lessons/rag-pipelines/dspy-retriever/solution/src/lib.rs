mod corpus;
mod embedder;
mod store;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use store::{load_corpus, Doc, Hit, VectorStore};

/// The RAG program, a `dspy.Module`: retrieve with whatever retrieval model (rm) it is
/// given, then answer from the numbered passages and cite their numbers.
const RAG_PY: &std::ffi::CStr = c"
import dspy

class RAG(dspy.Module):
    def __init__(self, retriever, k, signature):
        super().__init__()
        self.retriever = retriever
        self.k = k
        self.retrieve = dspy.Retrieve(k=k)
        self.generate = dspy.Predict(signature)

    def forward(self, question):
        with dspy.context(rm=self.retriever):
            passages = self.retrieve(query=question, k=self.k).passages
        prediction = self.generate(context=passages, question=question)
        return dspy.Prediction(
            answer=prediction.answer, citations=prediction.citations, passages=passages
        )
";

/// What the LM sees and must produce: numbered passages in, an answer and the numbers
/// of the passages it used out.
const SIGNATURE: &str = "context: list[str], question: str -> answer: str, citations: list[int]";

/// The RAG class, built once per process from `RAG_PY`.
static RAG_CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// One retrieved passage, in the shape `dspy.Retrieve` reads (`long_text`). The text
/// starts with its citation number: `"[1] Python::attach runs …"`.
#[pyclass(get_all)]
#[derive(Debug)]
struct Passage {
    id: u64,
    score: f64,
    long_text: String,
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
struct Retriever {
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
        let hits = self.store.search(py, query, k.unwrap_or(self.k), None)?;
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

/// The RAG program's result, checked: every citation names a retrieved passage.
#[pyclass(get_all)]
#[derive(Debug)]
struct Answer {
    answer: String,
    citations: Vec<u64>,
    passages: Vec<String>,
}

/// The citation number a passage starts with: `"[12] text"` → 12.
fn passage_id(passage: &str) -> Option<u64> {
    let rest = passage.strip_prefix('[')?;
    let (number, _) = rest.split_once(']')?;
    number.parse().ok()
}

/// Every cited number must belong to a retrieved passage: an LM that cites `[9]` when
/// it saw passages 1, 2 and 4 made the citation up.
fn check_citations(citations: &[u64], passages: &[String]) -> Result<(), String> {
    let retrieved: Vec<u64> = passages.iter().filter_map(|p| passage_id(p)).collect();
    match citations.iter().find(|c| !retrieved.contains(c)) {
        Some(bad) => Err(format!(
            "the answer cites passage {bad}, which was not retrieved (retrieved: {retrieved:?})"
        )),
        None => Ok(()),
    }
}

/// Answer `question` with the RAG program over `retriever`, and check its citations.
#[pyfunction]
#[pyo3(signature = (question, retriever, k = 3))]
fn ask(py: Python<'_>, question: &str, retriever: Py<Retriever>, k: usize) -> PyResult<Answer> {
    let class = RAG_CLASS.get_or_try_init(py, || {
        let module = PyModule::from_code(py, RAG_PY, c"rag.py", c"rag")?;
        Ok::<_, PyErr>(module.getattr("RAG")?.unbind())
    })?;
    let rag = class.bind(py).call1((retriever, k, SIGNATURE))?;

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

#[pymodule]
fn dspy_retriever(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Doc>()?;
    m.add_class::<Hit>()?;
    m.add_class::<VectorStore>()?;
    m.add_class::<Passage>()?;
    m.add_class::<Retriever>()?;
    m.add_class::<Answer>()?;
    m.add_function(wrap_pyfunction!(load_corpus, m)?)?;
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
