use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The name every worker thread of the module's tokio runtime carries.
const THREAD_NAME: &str = "dspy-tokio";
const WORKER_THREADS: usize = 4;

/// Configure the runtime pyo3-async-runtimes builds on first use. Must run before the
/// first `future_into_py`: later calls change nothing, the runtime already exists.
fn init_runtime() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(WORKER_THREADS)
        .thread_name(THREAD_NAME)
        .enable_all();
    pyo3_async_runtimes::tokio::init(builder);
}

/// `await ask(question)`: runs `dspy.Predict("question -> answer").acall(...)` from a
/// Rust future and returns the answer.
#[pyfunction]
fn ask(py: Python<'_>, question: String) -> PyResult<Bound<'_, PyAny>> {
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        // With the GIL: build the coroutine and hand it to the event loop. The future
        // we get back is Send and needs no GIL while it waits.
        let pending = gil_probe::attach("start_acall", |py| {
            let predict = py
                .import("dspy")?
                .getattr("Predict")?
                .call1(("question -> answer",))?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("question", &question)?;
            let coroutine = predict.call_method("acall", (), Some(&kwargs))?;
            pyo3_async_runtimes::tokio::into_future(coroutine)
        })?;
        // Without the GIL: asyncio runs the DSPy call, this task sleeps until it ends.
        let prediction = pending.await?;
        gil_probe::attach("read_answer", |py| {
            prediction.bind(py).getattr("answer")?.extract::<String>()
        })
    })
}

/// `await rust_sleep(ms)`: a pure Rust future (a tokio timer) that Python awaits.
/// Returns the name of the tokio thread that finished it.
#[pyfunction]
fn rust_sleep(py: Python<'_>, ms: u64) -> PyResult<Bound<'_, PyAny>> {
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
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
    // Import runs once per process: the one place to configure the runtime.
    init_runtime();
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    m.add_function(wrap_pyfunction!(rust_sleep, m)?)?;
    m.add_function(wrap_pyfunction!(runtime_workers, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
