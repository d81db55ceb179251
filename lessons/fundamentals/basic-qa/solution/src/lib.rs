use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The typed signature: one input, two outputs with their types.
/// ChainOfThought adds a `reasoning: str` output in front of them.
const SIGNATURE: &str = "question -> answer: str, confidence: float";

/// What `ask` returns to Python. `get_all` gives Python read-only attributes
/// `result.reasoning`, `result.answer` and `result.confidence`.
#[pyclass(get_all)]
#[derive(Debug)]
struct QaResult {
    reasoning: String,
    answer: String,
    confidence: f64,
}

#[pymethods]
impl QaResult {
    fn __repr__(&self) -> String {
        format!(
            "QaResult(reasoning={:?}, answer={:?}, confidence={:?})",
            self.reasoning, self.answer, self.confidence
        )
    }
}

/// Collapse runs of whitespace and drop one trailing full stop: "100   degrees." → "100 degrees".
/// Pure Rust: it needs no Python, so it can run with the GIL released.
fn tidy_answer(answer: &str) -> String {
    let words: Vec<&str> = answer.split_whitespace().collect();
    let joined = words.join(" ");
    joined.strip_suffix('.').unwrap_or(&joined).to_string()
}

/// A confidence must be a number between 0 and 1.
fn check_confidence(confidence: f64) -> Result<f64, String> {
    if (0.0..=1.0).contains(&confidence) {
        Ok(confidence)
    } else {
        Err(format!(
            "the LM's confidence {confidence} is not between 0 and 1"
        ))
    }
}

/// Ask DSPy a question, thinking step by step, and return a typed result.
#[pyfunction]
fn ask(py: Python<'_>, question: &str) -> PyResult<QaResult> {
    // `cot = dspy.ChainOfThought(SIGNATURE)`
    let cot = py
        .import("dspy")?
        .getattr("ChainOfThought")?
        .call1((SIGNATURE,))?;

    // `prediction = cot(question=question)`
    let kwargs = PyDict::new(py);
    kwargs.set_item("question", question)?;
    let prediction = gil_probe::attach("chain_of_thought", |_py| cot.call((), Some(&kwargs)))?;

    // Typed extraction: a wrong type is a Python TypeError, not a panic.
    let reasoning: String = prediction.getattr("reasoning")?.extract()?;
    let answer: String = prediction.getattr("answer")?.extract()?;
    let confidence: f64 = prediction.getattr("confidence")?.extract()?;

    // Plain Rust work: give the GIL back while it runs. Only Rust data goes in
    // (the closure must be `Ungil`: no `py`, no `Bound`).
    let (answer, confidence) = gil_probe::detach(py, "tidy", move || {
        let confidence = check_confidence(confidence)?;
        Ok::<_, String>((tidy_answer(&answer), confidence))
    })
    .map_err(PyValueError::new_err)?;

    Ok(QaResult {
        reasoning,
        answer,
        confidence,
    })
}

#[pymodule]
fn basic_qa(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<QaResult>()?;
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
