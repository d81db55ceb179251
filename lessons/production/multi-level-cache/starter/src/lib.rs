use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sha2::{Digest, Sha256};

type Outputs = HashMap<String, String>;

fn poisoned<T>(_: T) -> PyErr {
    PyRuntimeError::new_err("a cache lock was poisoned by a panic in another thread")
}

/// A stable cache key: SHA-256 of the signature and every input, in key order.
#[pyfunction]
fn cache_key(signature: &str, inputs: BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    h.update(signature.as_bytes());
    // TODO: hash every input name and value too (a BTreeMap iterates in key order),
    // with a separator byte between them, so different inputs get different keys.
    let _ = inputs;
    format!("dspy:v1:{:x}", h.finalize())
}

#[derive(Default)]
struct Stats {
    l1_hits: u64,
    l2_hits: u64,
    misses: u64,
}

/// dspy.Predict behind two caches: an in-process LRU (L1) and Redis (L2).
#[pyclass]
struct CachedPredict {
    signature: String,
    // TODO: an L1 field, Mutex<lru::LruCache<String, Outputs>>, and an L2 field,
    // Mutex<redis::Connection>.
    stats: Mutex<Stats>,
}

#[pymethods]
impl CachedPredict {
    /// Connects to the Redis at `redis_url`, or at `$REDIS_URL` when none is given.
    #[new]
    #[pyo3(signature = (signature, capacity = 1024, redis_url = None))]
    fn new(signature: String, capacity: usize, redis_url: Option<String>) -> PyResult<Self> {
        if capacity == 0 {
            return Err(PyValueError::new_err("capacity must be at least 1"));
        }
        // TODO: make the LRU with `capacity` entries, and connect to Redis at `redis_url`,
        // else at the REDIS_URL environment variable (the tutor sets it for the check).
        let _ = redis_url;
        Ok(Self {
            signature,
            stats: Mutex::new(Stats::default()),
        })
    }

    /// The outputs for `inputs`: from L1, else Redis, else the LM (then stored in both).
    fn predict(&self, py: Python<'_>, inputs: BTreeMap<String, String>) -> PyResult<Outputs> {
        let _key = cache_key(&self.signature, inputs.clone());
        // TODO: return the L1 entry under the key if there is one (count an L1 hit);
        // else the Redis hash under the key (count an L2 hit, and copy it into L1).
        let outputs = self.call_lm(py, &inputs)?;
        self.stats.lock().map_err(poisoned)?.misses += 1;
        // TODO: store the LM's outputs in Redis (a hash with a TTL) and in L1.
        Ok(outputs)
    }

    /// {"l1_hits", "l2_hits", "misses"} since this instance was made.
    fn stats(&self) -> PyResult<HashMap<&'static str, u64>> {
        let s = self.stats.lock().map_err(poisoned)?;
        Ok(HashMap::from([
            ("l1_hits", s.l1_hits),
            ("l2_hits", s.l2_hits),
            ("misses", s.misses),
        ]))
    }
}

impl CachedPredict {
    fn call_lm(&self, py: Python<'_>, inputs: &BTreeMap<String, String>) -> PyResult<Outputs> {
        let predict = py
            .import("dspy")?
            .getattr("Predict")?
            .call1((self.signature.as_str(),))?;
        let kwargs = PyDict::new(py);
        for (k, v) in inputs {
            kwargs.set_item(k, v)?;
        }
        let prediction = gil_probe::attach("lm_call", |_py| predict.call((), Some(&kwargs)))?;
        let fields = prediction.call_method0("toDict")?;
        let mut outputs = Outputs::new();
        for (k, v) in fields.cast::<PyDict>()?.iter() {
            outputs.insert(k.extract()?, v.str()?.to_string());
        }
        Ok(outputs)
    }
}

#[pymodule]
fn multi_level_cache(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CachedPredict>()?;
    m.add_function(wrap_pyfunction!(cache_key, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
