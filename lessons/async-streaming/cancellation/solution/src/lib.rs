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
    // This body runs on the event loop's thread, so it may create the task itself and
    // keep a handle to it: the handle is what can cancel it later.
    let predict = py.import("dspy")?.getattr("Predict")?.call1((SIGNATURE,))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("question", question)?;
    let coroutine = predict.call_method("acall", (), Some(&kwargs))?;
    let task = py
        .import("asyncio")?
        .call_method1("ensure_future", (coroutine,))?;
    let pending = pyo3_async_runtimes::tokio::into_future(task.clone())?;
    let task = task.unbind();
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        match tokio::time::timeout(Duration::from_millis(timeout_ms), pending).await {
            Ok(prediction) => {
                let prediction = prediction?;
                gil_probe::attach("read_answer", |py| {
                    prediction.bind(py).getattr("answer")?.extract::<String>()
                })
            }
            Err(_elapsed) => {
                // Dropping `pending` only stops *waiting*: the asyncio task runs on.
                // Cancel it, from this tokio thread, the thread-safe way.
                gil_probe::attach("cancel_task", |py| {
                    let task = task.bind(py);
                    let cancel = task.getattr("cancel")?;
                    task.call_method0("get_loop")?
                        .call_method1("call_soon_threadsafe", (cancel,))
                        .map(drop)
                })?;
                Err(PyTimeoutError::new_err(format!(
                    "the DSPy call took longer than {timeout_ms} ms and was cancelled"
                )))
            }
        }
    })
}

static STARTED: AtomicUsize = AtomicUsize::new(0);
static FINISHED: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicUsize = AtomicUsize::new(0);

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
        let mut guard = DropGuard { finished: false };
        for _ in 0..steps {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        guard.finished = true;
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
