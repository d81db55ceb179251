use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::PyDict;

const SIGNATURE: &str = "question -> answer";

/// Nanoseconds since `start`, as a u64 (584 years fit).
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
    let mut times = Vec::with_capacity(questions.len());
    for question in questions {
        let kwargs = PyDict::new(py);
        kwargs.set_item("question", question)?;
        let start = Instant::now();
        gil_probe::attach("predict", |_py| predict.call((), Some(&kwargs)))?;
        times.push(nanos_since(start));
    }
    Ok(times)
}

/// Wall time of one `predict.batch(examples, num_threads=threads)` over all questions.
#[pyfunction]
fn time_batch(py: Python<'_>, questions: Vec<String>, threads: usize) -> PyResult<u64> {
    let dspy = py.import("dspy")?;
    let predict = program(py)?;
    let mut examples = Vec::with_capacity(questions.len());
    for question in questions {
        let fields = PyDict::new(py);
        fields.set_item("question", question)?;
        let example = dspy.getattr("Example")?.call((), Some(&fields))?;
        examples.push(example.call_method1("with_inputs", ("question",))?);
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("num_threads", threads)?;
    kwargs.set_item("disable_progress_bar", true)?;
    let start = Instant::now();
    gil_probe::attach("batch", |_py| {
        predict.call_method("batch", (examples,), Some(&kwargs))
    })?;
    Ok(nanos_since(start))
}

/// Mean nanoseconds of one Rust → Python call (`len(text)`), over `n` calls.
#[pyfunction]
fn crossing_ns(py: Python<'_>, n: u32) -> PyResult<f64> {
    let len = py.import("builtins")?.getattr("len")?;
    let text = "How long is this?";
    let start = Instant::now();
    for _ in 0..n {
        len.call1((text,))?;
    }
    Ok(nanos_since(start) as f64 / f64::from(n.max(1)))
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
    if release_gil {
        gil_probe::detach(py, "busy_released", move || count_primes(limit))
    } else {
        gil_probe::attach("busy_held", |_py| count_primes(limit))
    }
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
