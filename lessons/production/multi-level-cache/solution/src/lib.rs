use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;
use pyo3::exceptions::{PyConnectionError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use redis::Commands;
use sha2::{Digest, Sha256};

/// How long an answer stays in Redis: long enough for a workload, short enough to forget.
const TTL_SECONDS: i64 = 3600;

type Outputs = HashMap<String, String>;

fn redis_err(e: redis::RedisError) -> PyErr {
    PyConnectionError::new_err(format!("redis: {e}"))
}

fn poisoned<T>(_: T) -> PyErr {
    PyRuntimeError::new_err("a cache lock was poisoned by a panic in another thread")
}

/// A stable cache key: SHA-256 of the signature and every input, in key order.
/// (std's `DefaultHasher` is not promised to stay the same across Rust releases,
/// so a key from it could change under Redis's feet.)
#[pyfunction]
fn cache_key(signature: &str, inputs: BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    h.update(signature.as_bytes());
    for (k, v) in &inputs {
        // A separator byte keeps ("ab", "c") and ("a", "bc") apart.
        h.update([0]);
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
    }
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
    l1: Mutex<LruCache<String, Outputs>>,
    redis: Mutex<redis::Connection>,
    stats: Mutex<Stats>,
}

#[pymethods]
impl CachedPredict {
    /// Connects to the Redis at `redis_url`, or at `$REDIS_URL` when none is given.
    #[new]
    #[pyo3(signature = (signature, capacity = 1024, redis_url = None))]
    fn new(signature: String, capacity: usize, redis_url: Option<String>) -> PyResult<Self> {
        let capacity = NonZeroUsize::new(capacity)
            .ok_or_else(|| PyValueError::new_err("capacity must be at least 1"))?;
        let url = match redis_url {
            Some(url) => url,
            None => std::env::var("REDIS_URL").map_err(|_| {
                PyValueError::new_err("no redis_url given and REDIS_URL is not set")
            })?,
        };
        let client = redis::Client::open(url.as_str()).map_err(redis_err)?;
        let conn = client.get_connection().map_err(redis_err)?;
        Ok(Self {
            signature,
            l1: Mutex::new(LruCache::new(capacity)),
            redis: Mutex::new(conn),
            stats: Mutex::new(Stats::default()),
        })
    }

    /// The outputs for `inputs`: from L1, else Redis, else the LM (then stored in both).
    fn predict(&self, py: Python<'_>, inputs: BTreeMap<String, String>) -> PyResult<Outputs> {
        let key = cache_key(&self.signature, inputs.clone());
        if let Some(hit) = self.l1.lock().map_err(poisoned)?.get(&key).cloned() {
            self.stats.lock().map_err(poisoned)?.l1_hits += 1;
            return Ok(hit);
        }
        let stored: Outputs = self.redis.lock().map_err(poisoned)?.hgetall(&key).map_err(redis_err)?;
        if !stored.is_empty() {
            self.stats.lock().map_err(poisoned)?.l2_hits += 1;
            self.l1.lock().map_err(poisoned)?.put(key, stored.clone());
            return Ok(stored);
        }
        let outputs = self.call_lm(py, &inputs)?;
        self.stats.lock().map_err(poisoned)?.misses += 1;
        let pairs: Vec<(&String, &String)> = outputs.iter().collect();
        {
            let mut conn = self.redis.lock().map_err(poisoned)?;
            conn.hset_multiple::<_, _, _, ()>(&key, &pairs).map_err(redis_err)?;
            conn.expire::<_, ()>(&key, TTL_SECONDS).map_err(redis_err)?;
        }
        self.l1.lock().map_err(poisoned)?.put(key, outputs.clone());
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
