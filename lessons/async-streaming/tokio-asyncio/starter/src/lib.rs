use std::time::Duration;

use pyo3::exceptions::PyNotImplementedError;
use pyo3::prelude::*;

/// The name every worker thread of the module's tokio runtime carries.
const THREAD_NAME: &str = "dspy-tokio";
const WORKER_THREADS: usize = 4;

/// Configure the runtime pyo3-async-runtimes builds on first use.
#[allow(dead_code)] // TODO: remove once the #[pymodule] calls it
fn init_runtime() {
    // TODO: give pyo3-async-runtimes a multi-thread tokio runtime builder with
    //       WORKER_THREADS workers named THREAD_NAME, timers and I/O enabled.
    let _ = (THREAD_NAME, WORKER_THREADS);
}

/// `await ask(question)`: runs `dspy.Predict("question -> answer").acall(...)` from a
/// Rust future and returns the answer.
#[pyfunction]
fn ask(py: Python<'_>, question: String) -> PyResult<Bound<'_, PyAny>> {
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        // TODO: with the GIL (gil_probe::attach("start_acall", ...)), build the Predict,
        //       call its `acall` with question=... to get a coroutine, and turn that
        //       coroutine into a Rust future. Then, without the GIL, await it and read
        //       the Prediction's `answer` (gil_probe::attach("read_answer", ...)).
        let _ = question;
        Err::<String, _>(PyNotImplementedError::new_err(
            "TODO: ask() should await dspy.Predict(...).acall(question=...) from Rust",
        ))
    })
}

/// `await rust_sleep(ms)`: a pure Rust future (a tokio timer) that Python awaits.
/// Returns the name of the tokio thread that finished it.
#[pyfunction]
fn rust_sleep(py: Python<'_>, ms: u64) -> PyResult<Bound<'_, PyAny>> {
    // TODO: sleep with tokio's timer (not std::thread::sleep), then return the current
    //       thread's name.
    let _ = Duration::from_millis(ms);
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        Ok(std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_string())
    })
}

/// How many worker threads the runtime has (it is built on first use).
#[pyfunction]
fn runtime_workers() -> usize {
    pyo3_async_runtimes::tokio::get_runtime()
        .metrics()
        .num_workers()
}

#[pymodule]
fn tokio_asyncio(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // TODO: configure the runtime here, once, before anything can use it.
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    m.add_function(wrap_pyfunction!(rust_sleep, m)?)?;
    m.add_function(wrap_pyfunction!(runtime_workers, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
