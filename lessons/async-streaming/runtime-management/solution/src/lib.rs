use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

const SIGNATURE: &str = "question -> answer";

/// One runtime per process: configured here, built by pyo3-async-runtimes on first use,
/// shared by every Service. Called once, from the #[pymodule].
fn init_runtime() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(4)
        // The blocking pool grows on demand (up to 512 threads by default); a service
        // bounds it like everything else it owns.
        .max_blocking_threads(4)
        .thread_name("dspy-tokio")
        .enable_all();
    pyo3_async_runtimes::tokio::init(builder);
}

fn shut_down() -> PyErr {
    PyRuntimeError::new_err("the service is shut down: it takes no new questions")
}

/// A thread panicked while holding one of the service's locks.
fn poisoned<T>(_: T) -> PyErr {
    PyRuntimeError::new_err("the service's lock is poisoned")
}

/// A question waiting for a free slot, and where its answer goes.
struct Job {
    question: String,
    reply: oneshot::Sender<PyResult<String>>,
}

/// Counters the worker keeps; Python reads them with `stats()`.
#[derive(Default)]
struct Stats {
    submitted: AtomicUsize,
    completed: AtomicUsize,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
}

/// One `await predict.acall(question=...)`, as in tokio-asyncio.
async fn one_call(predict: &Py<PyAny>, question: String) -> PyResult<String> {
    let pending = gil_probe::attach("start_acall", |py| {
        let kwargs = PyDict::new(py);
        kwargs.set_item("question", &question)?;
        let coroutine = predict.bind(py).call_method("acall", (), Some(&kwargs))?;
        pyo3_async_runtimes::tokio::into_future(coroutine)
    })?;
    let prediction = pending.await?;
    gil_probe::attach("read_answer", |py| {
        prediction.bind(py).getattr("answer")?.extract::<String>()
    })
}

/// The worker: takes jobs from the bounded intake (backpressure), runs at most
/// `max_in_flight` at once (a semaphore), and when the intake closes, joins every call
/// it started before returning.
async fn work(
    mut intake: mpsc::Receiver<Job>,
    predict: Arc<Py<PyAny>>,
    max_in_flight: usize,
    stats: Arc<Stats>,
    locals: pyo3_async_runtimes::TaskLocals,
) {
    let permits = Arc::new(Semaphore::new(max_in_flight));
    let mut calls = JoinSet::new();
    while let Some(job) = intake.recv().await {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            break; // the semaphore is never closed; nothing to run without permits
        };
        while calls.try_join_next().is_some() {} // forget finished calls
        let (predict, stats) = (Arc::clone(&predict), Arc::clone(&stats));
        calls.spawn(pyo3_async_runtimes::tokio::scope(
            locals.clone(),
            async move {
                let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                stats.peak_in_flight.fetch_max(now, Ordering::SeqCst);
                let answer = one_call(&predict, job.question).await;
                stats.in_flight.fetch_sub(1, Ordering::SeqCst);
                stats.completed.fetch_add(1, Ordering::SeqCst);
                let _ = job.reply.send(answer); // the asker may have given up
                drop(permit);
            },
        ));
    }
    while calls.join_next().await.is_some() {} // a clean shutdown joins everything
}

/// A small DSPy service: `await ask(q)`, `await shutdown()`. It lives on the event
/// loop that created it.
#[pyclass]
struct Service {
    intake: Mutex<Option<mpsc::Sender<Job>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<Stats>,
}

#[pymethods]
impl Service {
    #[new]
    fn new(py: Python<'_>, max_in_flight: usize, capacity: usize) -> PyResult<Self> {
        if max_in_flight == 0 || capacity == 0 {
            return Err(PyValueError::new_err(
                "max_in_flight and capacity must be at least 1",
            ));
        }
        let predict = Arc::new(
            py.import("dspy")?
                .getattr("Predict")?
                .call1((SIGNATURE,))?
                .unbind(),
        );
        let locals = pyo3_async_runtimes::tokio::get_current_locals(py)?;
        let (tx, rx) = mpsc::channel(capacity);
        let stats = Arc::new(Stats::default());
        let worker = pyo3_async_runtimes::tokio::get_runtime().spawn(work(
            rx,
            predict,
            max_in_flight,
            Arc::clone(&stats),
            locals,
        ));
        Ok(Service {
            intake: Mutex::new(Some(tx)),
            worker: Mutex::new(Some(worker)),
            stats,
        })
    }

    /// `await service.ask(question)`: waits for room in the intake, then for the answer.
    fn ask<'py>(&self, py: Python<'py>, question: String) -> PyResult<Bound<'py, PyAny>> {
        let intake = self
            .intake
            .lock()
            .map_err(poisoned)?
            .clone()
            .ok_or_else(shut_down)?;
        let stats = Arc::clone(&self.stats);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let (reply, answer) = oneshot::channel();
            intake
                .send(Job { question, reply })
                .await
                .map_err(|_| shut_down())?;
            stats.submitted.fetch_add(1, Ordering::SeqCst);
            drop(intake); // don't keep the intake open while waiting
            answer
                .await
                .map_err(|_| PyRuntimeError::new_err("the worker stopped before answering"))?
        })
    }

    /// `await service.shutdown()`: take no new questions, finish every accepted one,
    /// join the worker. Returns (submitted, completed).
    fn shutdown<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // Dropping our sender closes the intake once asks already sending are in.
        drop(self.intake.lock().map_err(poisoned)?.take());
        let worker = self.worker.lock().map_err(poisoned)?.take();
        let stats = Arc::clone(&self.stats);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            if let Some(worker) = worker {
                worker
                    .await
                    .map_err(|e| PyRuntimeError::new_err(format!("the worker failed: {e}")))?;
            }
            Ok((
                stats.submitted.load(Ordering::SeqCst),
                stats.completed.load(Ordering::SeqCst),
            ))
        })
    }

    /// (submitted, completed, in flight now, peak in flight)
    fn stats(&self) -> (usize, usize, usize, usize) {
        let s = &self.stats;
        (
            s.submitted.load(Ordering::SeqCst),
            s.completed.load(Ordering::SeqCst),
            s.in_flight.load(Ordering::SeqCst),
            s.peak_in_flight.load(Ordering::SeqCst),
        )
    }
}

/// FNV-1a over the texts, `rounds` times: CPU-bound Rust work standing in for scoring,
/// tokenizing or hashing answers. It needs no Python, so it runs detached.
fn fingerprint(texts: &[String], rounds: u32) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for _ in 0..rounds {
        for byte in texts.iter().flat_map(|t| t.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// `digest(texts, rounds)`: the fingerprint, computed with the GIL released so Python
/// threads (and the asyncio loop) keep running meanwhile.
#[pyfunction]
fn digest(py: Python<'_>, texts: Vec<String>, rounds: u32) -> u64 {
    gil_probe::detach(py, "digest", move || fingerprint(&texts, rounds))
}

#[pymodule]
fn runtime_management(m: &Bound<'_, PyModule>) -> PyResult<()> {
    init_runtime();
    m.add_class::<Service>()?;
    m.add_function(wrap_pyfunction!(digest, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
