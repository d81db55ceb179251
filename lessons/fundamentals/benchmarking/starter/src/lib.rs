use std::time::Instant;

use pyo3::prelude::*;

const SIGNATURE: &str = "question -> answer";

/// Nanoseconds since `start`, as a u64 (584 years fit).
#[allow(dead_code)] // TODO: remove once you time something
fn nanos_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// `dspy.Predict(SIGNATURE)`, built once per measurement, outside the timed part.
fn program<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    py.import("dspy")?.getattr("Predict")?.call1((SIGNATURE,))
}

/// Wall time of each `predict(question=...)`, one call after the other.
#[pyfunction]
fn time_one_by_one(py: Python<'_>, questions: Vec<String>) -> PyResult<Vec<u64>> {
    let predict = program(py)?;
    // TODO: call predict(question=...) for each question, timing only the call (inside
    //       gil_probe::attach("predict", ...)); one entry per question.
    let _ = (predict, questions);
    Ok(Vec::new())
}

/// Wall time of one `predict.batch(examples, num_threads=threads)` over all questions.
#[pyfunction]
fn time_batch(py: Python<'_>, questions: Vec<String>, threads: usize) -> PyResult<u64> {
    let predict = program(py)?;
    // TODO: one dspy.Example per question (with "question" as its input), then time a
    //       single predict.batch call on `threads` threads, without a progress bar.
    let _ = (predict, questions, threads);
    Ok(0)
}

/// Mean nanoseconds of one Rust → Python call (`len(text)`), over `n` calls.
#[pyfunction]
fn crossing_ns(py: Python<'_>, n: u32) -> PyResult<f64> {
    // TODO: time n calls of Python's builtin len on a short string; return ns per call.
    let _ = (py, n);
    Ok(0.0)
}

/// How many primes are below `limit`, by trial division: plain CPU work, no Python.
fn count_primes(limit: u64) -> u64 {
    (2..limit)
        .filter(|&n| (2..).take_while(|d| d * d <= n).all(|d| n % d != 0))
        .count() as u64
}

/// The same Rust work, with the GIL held (`busy_held`) or released (`busy_released`).
#[pyfunction]
fn busy(py: Python<'_>, limit: u64, release_gil: bool) -> u64 {
    // TODO: run count_primes(limit) under the GIL probe, labelled busy_held, or with the
    //       GIL released, labelled busy_released.
    let _ = (py, release_gil);
    count_primes(limit)
}

#[pymodule]
fn benchmarking(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(time_one_by_one, m)?)?;
    m.add_function(wrap_pyfunction!(time_batch, m)?)?;
    m.add_function(wrap_pyfunction!(crossing_ns, m)?)?;
    m.add_function(wrap_pyfunction!(busy, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
