//! The vector store from the vector-store step, unchanged but for `pub(crate)`.

use crate::{corpus, embedder};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// One passage of the corpus, as Python sees it.
#[pyclass(get_all, from_py_object)]
#[derive(Clone, Debug)]
pub(crate) struct Doc {
    pub(crate) id: u64,
    pub(crate) topic: String,
    pub(crate) text: String,
}

/// One search result: the point's id, its similarity score and its payload.
#[pyclass(get_all)]
#[derive(Debug)]
pub(crate) struct Hit {
    pub(crate) id: u64,
    pub(crate) score: f64,
    pub(crate) topic: String,
    pub(crate) text: String,
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
pub(crate) fn load_corpus() -> Vec<Doc> {
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
pub(crate) struct VectorStore {
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
            // Pure Rust: give the GIL back while it runs.
            None => Ok(gil_probe::detach(py, "embed", move || {
                texts.iter().map(|t| embedder::embed(t)).collect()
            })),
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
    pub(crate) fn new(
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
    pub(crate) fn index(&self, py: Python<'_>, docs: Vec<Doc>) -> PyResult<usize> {
        if docs.is_empty() {
            return Ok(0);
        }
        let texts = docs.iter().map(|d| d.text.clone()).collect();
        let vectors = self.embed(py, texts)?;
        if vectors.len() != docs.len() {
            return Err(PyValueError::new_err(format!(
                "the embedder returned {} vectors for {} texts",
                vectors.len(),
                docs.len()
            )));
        }
        let dims = vectors.first().map_or(0, Vec::len);

        let models = py.import("qdrant_client")?.getattr("models")?;
        let client = self.client.bind(py);
        if !client
            .call_method1("collection_exists", (&self.collection,))?
            .extract::<bool>()?
        {
            let params = PyDict::new(py);
            params.set_item("size", dims)?;
            params.set_item("distance", models.getattr("Distance")?.getattr("COSINE")?)?;
            let config = models.getattr("VectorParams")?.call((), Some(&params))?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("vectors_config", config)?;
            client.call_method("create_collection", (&self.collection,), Some(&kwargs))?;
        }

        let points = PyList::empty(py);
        for (doc, vector) in docs.iter().zip(vectors) {
            let payload = PyDict::new(py);
            payload.set_item("topic", &doc.topic)?;
            payload.set_item("text", &doc.text)?;
            let point = PyDict::new(py);
            point.set_item("id", doc.id)?;
            point.set_item("vector", vector)?;
            point.set_item("payload", payload)?;
            points.append(models.getattr("PointStruct")?.call((), Some(&point))?)?;
        }
        let kwargs = PyDict::new(py);
        kwargs.set_item("points", points)?;
        gil_probe::attach("upsert", |_py| {
            client.call_method("upsert", (&self.collection,), Some(&kwargs))
        })?;
        Ok(docs.len())
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
    pub(crate) fn search(
        &self,
        py: Python<'_>,
        query: &str,
        k: usize,
        topic: Option<&str>,
    ) -> PyResult<Vec<Hit>> {
        let vector = self
            .embed(py, vec![query.to_string()])?
            .pop()
            .ok_or_else(|| PyValueError::new_err("the embedder returned no vector"))?;
        let models = py.import("qdrant_client")?.getattr("models")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("query", vector)?;
        kwargs.set_item("limit", k)?;
        kwargs.set_item("with_payload", true)?;
        if let Some(topic) = topic {
            // Filter(must=[FieldCondition(key="topic", match=MatchValue(value=topic))])
            let value = PyDict::new(py);
            value.set_item("value", topic)?;
            let condition = PyDict::new(py);
            condition.set_item("key", "topic")?;
            condition.set_item(
                "match",
                models.getattr("MatchValue")?.call((), Some(&value))?,
            )?;
            let must = PyDict::new(py);
            must.set_item(
                "must",
                vec![models
                    .getattr("FieldCondition")?
                    .call((), Some(&condition))?],
            )?;
            kwargs.set_item(
                "query_filter",
                models.getattr("Filter")?.call((), Some(&must))?,
            )?;
        }
        let client = self.client.bind(py);
        let response = gil_probe::attach("query_points", |_py| {
            client.call_method("query_points", (&self.collection,), Some(&kwargs))
        })?;
        let mut hits = Vec::new();
        for point in response.getattr("points")?.try_iter()? {
            let point = point?;
            let payload = point.getattr("payload")?;
            hits.push(Hit {
                id: point.getattr("id")?.extract()?,
                score: point.getattr("score")?.extract()?,
                topic: payload.get_item("topic")?.extract()?,
                text: payload.get_item("text")?.extract()?,
            });
        }
        Ok(hits)
    }

    /// Release the store (an on-disk store holds a lock on its folder until closed).
    pub(crate) fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.client.bind(py).call_method0("close")?;
        Ok(())
    }
}
