mod corpus;
mod embedder;
mod store;

use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use rusqlite::{params, Connection, OptionalExtension};

use store::{load_corpus, Doc, Hit, VectorStore};

/// The name the offline embedder's vectors are stored under. Vectors of different
/// models must never be mixed up, so the model is part of every key.
const MODEL: &str = "offline-hash-256";

/// A vector as SQLite stores it: the f32s' little-endian bytes, one after another.
fn to_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The inverse of `to_blob`; `None` if the length is not a multiple of 4 (a damaged row).
fn from_blob(blob: &[u8]) -> Option<Vec<f32>> {
    if !blob.len().is_multiple_of(4) {
        return None;
    }
    Some(
        blob.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    )
}

/// How each lookup was answered since the cache was opened.
#[pyclass(get_all, skip_from_py_object)]
#[derive(Clone, Debug, Default)]
struct CacheStats {
    memory_hits: u64,
    disk_hits: u64,
    misses: u64,
}

#[pymethods]
impl CacheStats {
    /// Share of lookups answered without computing an embedding.
    #[getter]
    fn hit_rate(&self) -> f64 {
        let total = self.memory_hits + self.disk_hits + self.misses;
        if total == 0 {
            0.0
        } else {
            (self.memory_hits + self.disk_hits) as f64 / total as f64
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "CacheStats(memory_hits={}, disk_hits={}, misses={}, hit_rate={:.2})",
            self.memory_hits,
            self.disk_hits,
            self.misses,
            self.hit_rate()
        )
    }
}

/// Tier 1: an LRU map in this process. Tier 2: a SQLite table on disk, which outlives
/// the process. A lookup tries memory, then disk (and promotes a disk hit to memory),
/// then computes the embedding and writes it to both.
struct Tiers {
    memory: LruCache<String, Vec<f32>>,
    disk: Connection,
    stats: CacheStats,
}

impl Tiers {
    /// Memory, then disk.
    fn lookup(&mut self, text: &str) -> rusqlite::Result<Option<Vec<f32>>> {
        if let Some(vector) = self.memory.get(text) {
            self.stats.memory_hits += 1;
            return Ok(Some(vector.clone()));
        }
        let blob: Option<Vec<u8>> = self
            .disk
            .query_row(
                "SELECT vector FROM embeddings WHERE model = ?1 AND text = ?2",
                params![MODEL, text],
                |row| row.get(0),
            )
            .optional()?;
        match blob.as_deref().and_then(from_blob) {
            Some(vector) => {
                self.stats.disk_hits += 1;
                self.memory.put(text.to_string(), vector.clone());
                Ok(Some(vector))
            }
            None => {
                self.stats.misses += 1;
                Ok(None)
            }
        }
    }

    /// Write freshly computed vectors to both tiers, in one disk transaction.
    fn store(&mut self, computed: Vec<(String, Vec<f32>)>) -> rusqlite::Result<()> {
        let tx = self.disk.transaction()?;
        for (text, vector) in &computed {
            tx.execute(
                "INSERT OR REPLACE INTO embeddings (model, text, vector) VALUES (?1, ?2, ?3)",
                params![MODEL, text, to_blob(vector)],
            )?;
        }
        tx.commit()?;
        for (text, vector) in computed {
            self.memory.put(text, vector);
        }
        Ok(())
    }

    /// Embed `texts` through the cache: lookups first, the offline embedder for misses.
    fn embed_all(&mut self, texts: &[String]) -> rusqlite::Result<Vec<Vec<f32>>> {
        let mut vectors = Vec::with_capacity(texts.len());
        let mut computed = Vec::new();
        for text in texts {
            match self.lookup(text)? {
                Some(vector) => vectors.push(vector),
                None => {
                    let vector = embedder::embed(text);
                    computed.push((text.clone(), vector.clone()));
                    vectors.push(vector);
                }
            }
        }
        self.store(computed)?;
        Ok(vectors)
    }
}

/// The cache as Python sees it. A `#[pyclass]` must be `Sync` (Python threads may share
/// it), and a SQLite `Connection` is not: the tiers live behind a `Mutex`.
#[pyclass]
struct EmbeddingCache {
    tiers: Mutex<Tiers>,
    path: String,
}

impl EmbeddingCache {
    /// Run `f` on the locked tiers; every error names the cache's file.
    fn with_tiers<T>(
        &self,
        f: impl FnOnce(&mut Tiers) -> rusqlite::Result<T>,
    ) -> Result<T, String> {
        let mut tiers = self.tiers.lock().map_err(|_| {
            format!(
                "embedding cache {}: a thread panicked while using it",
                self.path
            )
        })?;
        f(&mut tiers).map_err(|e| format!("embedding cache {}: {e}", self.path))
    }
}

#[pymethods]
impl EmbeddingCache {
    /// Open (or create) the cache at `path`, keeping up to `capacity` vectors in memory.
    #[new]
    #[pyo3(signature = (path, capacity = 128))]
    fn new(path: &str, capacity: usize) -> PyResult<Self> {
        let capacity = NonZeroUsize::new(capacity)
            .ok_or_else(|| PyValueError::new_err("capacity must be at least 1"))?;
        let open = || -> rusqlite::Result<Connection> {
            let disk = Connection::open(path)?;
            disk.execute_batch(
                "CREATE TABLE IF NOT EXISTS embeddings (
                     model TEXT NOT NULL,
                     text TEXT NOT NULL,
                     vector BLOB NOT NULL,
                     PRIMARY KEY (model, text)
                 )",
            )?;
            Ok(disk)
        };
        let disk =
            open().map_err(|e| PyRuntimeError::new_err(format!("embedding cache {path}: {e}")))?;
        let tiers = Tiers {
            memory: LruCache::new(capacity),
            disk,
            stats: CacheStats::default(),
        };
        Ok(Self {
            tiers: Mutex::new(tiers),
            path: path.to_string(),
        })
    }

    /// Vectors for `texts`, from the cache where possible. Callable, so it can be the
    /// `embedder` of a `VectorStore`.
    fn __call__(&self, py: Python<'_>, texts: Vec<String>) -> PyResult<Vec<Vec<f32>>> {
        gil_probe::detach(py, "cache", || self.with_tiers(|t| t.embed_all(&texts)))
            .map_err(PyRuntimeError::new_err)
    }

    fn stats(&self) -> PyResult<CacheStats> {
        self.with_tiers(|t| Ok(t.stats.clone()))
            .map_err(PyRuntimeError::new_err)
    }

    /// Number of vectors in memory and on disk.
    fn sizes(&self) -> PyResult<(usize, i64)> {
        self.with_tiers(|t| {
            let on_disk = t
                .disk
                .query_row("SELECT COUNT(*) FROM embeddings", [], |row| row.get(0))?;
            Ok((t.memory.len(), on_disk))
        })
        .map_err(PyRuntimeError::new_err)
    }
}

/// The offline embedder without any cache, to compare against.
#[pyfunction]
fn embed_text(text: &str) -> Vec<f32> {
    embedder::embed(text)
}

#[pymodule]
fn embedding_cache(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Doc>()?;
    m.add_class::<Hit>()?;
    m.add_class::<VectorStore>()?;
    m.add_class::<CacheStats>()?;
    m.add_class::<EmbeddingCache>()?;
    m.add_function(wrap_pyfunction!(load_corpus, m)?)?;
    m.add_function(wrap_pyfunction!(embed_text, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
