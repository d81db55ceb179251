use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pyo3::exceptions::PyTimeoutError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

const SIGNATURE: &str = "question -> answer";

/// The same runtime as in tokio-asyncio, configured once at import.
fn init_runtime() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(4)
        .thread_name("dspy-tokio")
        .enable_all();
    pyo3_async_runtimes::tokio::init(builder);
}

/// `await ask_within(question, timeout_ms)`: the answer, or TimeoutError after
/// `timeout_ms` with the DSPy call cancelled (not left running).
#[pyfunction]
fn ask_within<'py>(
    py: Python<'py>,
    question: &str,
    timeout_ms: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let predict = py.import("dspy")?.getattr("Predict")?.call1((SIGNATURE,))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("question", question)?;
    let coroutine = predict.call_method("acall", (), Some(&kwargs))?;
    // TODO: keep a handle on the asyncio task that runs the call (you are on the loop's
    //       thread here), wait for it at most `timeout_ms`, and on time-out cancel the
    //       task thread-safely and raise TimeoutError naming the timeout in ms.
    let pending = pyo3_async_runtimes::tokio::into_future(coroutine)?;
    let _ = PyTimeoutError::new_err(format!("{timeout_ms} ms"));
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let prediction = pending.await?;
        gil_probe::attach("read_answer", |py| {
            prediction.bind(py).getattr("answer")?.extract::<String>()
        })
    })
}

static STARTED: AtomicUsize = AtomicUsize::new(0);
static FINISHED: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicUsize = AtomicUsize::new(0);

#[allow(dead_code)] // TODO: remove once rust_work uses it
/// Counts a unit of Rust work that ended without finishing: its future was dropped.
struct DropGuard {
    finished: bool,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if !self.finished {
            DROPPED.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// `await rust_work(steps)`: `steps` × 10 ms of async Rust work. If Python cancels the
/// awaitable, the future is dropped at its next `.await`, and the guard notices.
#[pyfunction]
fn rust_work(py: Python<'_>, steps: u32) -> PyResult<Bound<'_, PyAny>> {
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        STARTED.fetch_add(1, Ordering::SeqCst);
        // TODO: count a drop: a DropGuard alive for the whole work, marked finished only
        //       once the loop is done.
        for _ in 0..steps {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        FINISHED.fetch_add(1, Ordering::SeqCst);
        Ok(steps)
    })
}

/// (started, finished, dropped) counts of `rust_work` futures.
#[pyfunction]
fn work_counts() -> (usize, usize, usize) {
    (
        STARTED.load(Ordering::SeqCst),
        FINISHED.load(Ordering::SeqCst),
        DROPPED.load(Ordering::SeqCst),
    )
}

#[pymodule]
fn cancellation(m: &Bound<'_, PyModule>) -> PyResult<()> {
    init_runtime();
    m.add_function(wrap_pyfunction!(ask_within, m)?)?;
    m.add_function(wrap_pyfunction!(rust_work, m)?)?;
    m.add_function(wrap_pyfunction!(work_counts, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
