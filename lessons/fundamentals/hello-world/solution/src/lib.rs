use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Ask DSPy a question and return its answer.
///
/// Python calls this as `hello_world.ask("What is the capital of France?")`.
#[pyfunction]
fn ask(py: Python<'_>, question: &str) -> PyResult<String> {
    // `import dspy` — Python caches modules, so this is cheap after the first call.
    let dspy = py.import("dspy")?;

    // `predict = dspy.Predict("question -> answer")`
    let predict = dspy.getattr("Predict")?.call1(("question -> answer",))?;

    // `prediction = predict(question=question)` — DSPy modules take keyword arguments only.
    let kwargs = PyDict::new(py);
    kwargs.set_item("question", question)?;
    let prediction = gil_probe::attach("predict", |_py| predict.call((), Some(&kwargs)))?;

    // `prediction.answer`, converted to a Rust String (a TypeError if it is not a str).
    prediction.getattr("answer")?.extract::<String>()
}

#[pymodule]
fn hello_world(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
