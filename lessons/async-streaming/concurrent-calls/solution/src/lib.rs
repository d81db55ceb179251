use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

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

/// What a batch did: the answers in the order of the questions, the most calls that were
/// in flight at once, and the wall time.
#[pyclass(get_all)]
struct BatchReport {
    answers: Vec<String>,
    peak_in_flight: usize,
    seconds: f64,
}

#[pymethods]
impl BatchReport {
    #[getter]
    fn calls_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.answers.len() as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Counts calls in flight and remembers the peak.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
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

/// `await run_batch(questions, max_in_flight)`: every question through one shared
/// `dspy.Predict`, never more than `max_in_flight` calls at once.
#[pyfunction]
fn run_batch(
    py: Python<'_>,
    questions: Vec<String>,
    max_in_flight: usize,
) -> PyResult<Bound<'_, PyAny>> {
    if max_in_flight == 0 {
        return Err(PyValueError::new_err("max_in_flight must be at least 1"));
    }
    let predict = Arc::new(
        py.import("dspy")?
            .getattr("Predict")?
            .call1((SIGNATURE,))?
            .unbind(),
    );
    let locals = pyo3_async_runtimes::tokio::get_current_locals(py)?;
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let start = Instant::now();
        let permits = Arc::new(Semaphore::new(max_in_flight));
        let gauge = Arc::new(Gauge::default());
        let mut tasks = JoinSet::new();
        let mut answers = vec![String::new(); questions.len()];
        for (index, question) in questions.into_iter().enumerate() {
            // Take the permit before spawning: at most `max_in_flight` tasks exist, so a
            // million questions never become a million waiting tasks.
            let permit = Arc::clone(&permits)
                .acquire_owned()
                .await
                .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
            let (predict, gauge) = (Arc::clone(&predict), Arc::clone(&gauge));
            tasks.spawn(pyo3_async_runtimes::tokio::scope(
                locals.clone(),
                async move {
                    gauge.enter();
                    let answer = one_call(&predict, question).await;
                    gauge.leave();
                    drop(permit);
                    (index, answer)
                },
            ));
            // Collect what has finished so far, so errors surface early.
            while let Some(done) = tasks.try_join_next() {
                let (i, answer) = done.map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
                answers[i] = answer?;
            }
        }
        while let Some(done) = tasks.join_next().await {
            let (i, answer) = done.map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
            answers[i] = answer?;
        }
        Ok(BatchReport {
            answers,
            peak_in_flight: gauge.peak.load(Ordering::SeqCst),
            seconds: start.elapsed().as_secs_f64(),
        })
    })
}

/// `await spawn_rate(n)`: spawn and join `n` empty tokio tasks; returns tasks per second.
/// The cost of a task alone, for comparison with the cost of a DSPy call.
#[pyfunction]
fn spawn_rate(py: Python<'_>, n: usize) -> PyResult<Bound<'_, PyAny>> {
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let start = Instant::now();
        let mut tasks = JoinSet::new();
        for i in 0..n {
            tasks.spawn(async move { i });
        }
        let mut joined = 0usize;
        while let Some(done) = tasks.join_next().await {
            done.map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
            joined += 1;
        }
        Ok(joined as f64 / start.elapsed().as_secs_f64().max(1e-9))
    })
}

#[pymodule]
fn concurrent_calls(m: &Bound<'_, PyModule>) -> PyResult<()> {
    init_runtime();
    m.add_class::<BatchReport>()?;
    m.add_function(wrap_pyfunction!(run_batch, m)?)?;
    m.add_function(wrap_pyfunction!(spawn_rate, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
