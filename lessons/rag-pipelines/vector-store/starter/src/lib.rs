mod corpus;
#[allow(dead_code)] // TODO: remove once embed() calls embedder::embed
mod embedder;

#[allow(unused_imports)] // TODO: remove once index() and search() use them
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
#[allow(unused_imports)] // TODO: remove once index() and search() use them
use pyo3::types::{PyDict, PyList};

/// One passage of the corpus, as Python sees it.
#[pyclass(get_all, from_py_object)]
#[derive(Clone, Debug)]
struct Doc {
    id: u64,
    topic: String,
    text: String,
}

/// One search result: the point's id, its similarity score and its payload.
#[pyclass(get_all)]
#[derive(Debug)]
struct Hit {
    id: u64,
    score: f64,
    topic: String,
    text: String,
}

#[pymethods]
impl Hit {
    fn __repr__(&self) -> String {
        format!(
            "Hit(id={}, score={:.3}, topic={:?})",
            self.id, self.score, self.topic
        )
    }
}

/// The lesson's corpus as a list of `Doc` (`vector_store.corpus()` in Python).
#[pyfunction(name = "corpus")]
fn load_corpus() -> Vec<Doc> {
    corpus::CORPUS
        .iter()
        .map(|p| Doc {
            id: p.id,
            topic: p.topic.to_string(),
            text: p.text.to_string(),
        })
        .collect()
}

/// A Qdrant collection driven from Rust. The same code runs embedded (`":memory:"` or a
/// folder) and against a server (`"http://localhost:6333"`): only `location` changes.
#[pyclass]
struct VectorStore {
    client: Py<PyAny>,
    collection: String,
    /// A Python callable `list[str] -> vectors` (e.g. `dspy.Embedder`), or None for
    /// the offline hashed embedder in Rust.
    embedder: Option<Py<PyAny>>,
}

impl VectorStore {
    /// Embed `texts` with the configured embedder.
    fn embed(&self, py: Python<'_>, texts: Vec<String>) -> PyResult<Vec<Vec<f32>>> {
        match &self.embedder {
            // TODO: embed every text with `embedder::embed`, with the GIL released
            //       (`gil_probe::detach`, label "embed"): it is pure Rust work.
            None => {
                let _ = texts;
                Ok(Vec::new())
            }
            Some(embedder) => {
                let vectors = embedder.bind(py).call1((texts,))?;
                // dspy.Embedder returns a numpy array: make it plain lists first.
                let vectors = if vectors.hasattr("tolist")? {
                    vectors.call_method0("tolist")?
                } else {
                    vectors
                };
                vectors.extract()
            }
        }
    }
}

#[pymethods]
impl VectorStore {
    #[new]
    #[pyo3(signature = (location = ":memory:", collection = "docs", embedder = None))]
    fn new(
        py: Python<'_>,
        location: &str,
        collection: &str,
        embedder: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let qdrant = py.import("qdrant_client")?.getattr("QdrantClient")?;
        let kwargs = PyDict::new(py);
        // ":memory:" and URLs go to `location`; anything else is a folder on disk.
        if location == ":memory:"
            || location.starts_with("http://")
            || location.starts_with("https://")
        {
            kwargs.set_item("location", location)?;
        } else {
            kwargs.set_item("path", location)?;
        }
        let client = qdrant.call((), Some(&kwargs))?;
        Ok(Self {
            client: client.unbind(),
            collection: collection.to_string(),
            embedder,
        })
    }

    /// Embed `docs`, create the collection if it does not exist (cosine distance, the
    /// embedder's vector size), and upsert one point per doc with its topic and text as
    /// payload. Returns the number of points written.
    fn index(&self, py: Python<'_>, docs: Vec<Doc>) -> PyResult<usize> {
        if docs.is_empty() {
            return Ok(0);
        }
        // TODO: embed the docs' texts with `self.embed`, and check you got one vector
        //       per doc.

        // TODO: create the collection `self.collection` if it does not exist yet: cosine
        //       distance, vectors as long as the embedder's.

        // TODO: upsert one point per doc: its id, its vector, and a payload holding its
        //       topic and text (inside `gil_probe::attach("upsert", ...)`).

        let _ = py;
        Ok(0)
    }

    /// Number of points in the collection.
    fn count(&self, py: Python<'_>) -> PyResult<u64> {
        let result = self
            .client
            .bind(py)
            .call_method1("count", (&self.collection,))?;
        result.getattr("count")?.extract()
    }

    /// The `k` points nearest to `query`, best first; only those whose payload `topic`
    /// equals `topic` when one is given.
    #[pyo3(signature = (query, k = 3, topic = None))]
    fn search(
        &self,
        py: Python<'_>,
        query: &str,
        k: usize,
        topic: Option<&str>,
    ) -> PyResult<Vec<Hit>> {
        // TODO: embed the query with the same embedder as the passages.

        // TODO: ask Qdrant for the `k` nearest points with their payloads (inside
        //       `gil_probe::attach("query_points", ...)`); when `topic` is given, keep
        //       only points whose payload topic equals it.

        // TODO: turn each returned point into a `Hit`.

        let _ = (py, query, k, topic);
        Ok(Vec::new())
    }

    /// Release the store (an on-disk store holds a lock on its folder until closed).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.client.bind(py).call_method0("close")?;
        Ok(())
    }
}

#[pymodule]
fn vector_store(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Doc>()?;
    m.add_class::<Hit>()?;
    m.add_class::<VectorStore>()?;
    m.add_function(wrap_pyfunction!(load_corpus, m)?)?;
    m.add("DIMS", embedder::DIMS)?;
    gil_probe::register(m)?;
    Ok(())
}
