use pyo3::prelude::*;

/// Ask DSPy a question and return its answer.
///
/// Python calls this as `hello_world.ask("What is the capital of France?")`.
#[pyfunction]
fn ask(py: Python<'_>, question: &str) -> PyResult<String> {
    // TODO: import the `dspy` module with `py.import(...)`.

    // TODO: build the program: `dspy.Predict("question -> answer")`.

    // TODO: call it with `question=<question>` as a KEYWORD argument (put it in a
    //       `PyDict`), wrapped in `gil_probe::attach("predict", |_py| ...)` so the
    //       GIL pane can time it.

    // TODO: read the `answer` field of the Prediction and extract it as a String.

    let _ = (py, question); // remove this line once you use `py` and `question`
    Ok("TODO: ask DSPy".to_string())
}

#[pymodule]
fn hello_world(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
