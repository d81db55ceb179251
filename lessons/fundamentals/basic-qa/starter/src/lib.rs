use pyo3::prelude::*;

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
#[allow(dead_code)] // TODO: remove once ask() calls it
fn tidy_answer(answer: &str) -> String {
    let words: Vec<&str> = answer.split_whitespace().collect();
    let joined = words.join(" ");
    joined.strip_suffix('.').unwrap_or(&joined).to_string()
}

/// A confidence must be a number between 0 and 1.
#[allow(dead_code)] // TODO: remove once ask() calls it
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
    // TODO: build `dspy.ChainOfThought(SIGNATURE)` and call it with question=... (a
    //       keyword argument), inside `gil_probe::attach("chain_of_thought", |_py| ...)`.

    // TODO: extract the Prediction's fields with typed `.extract()` calls:
    //       reasoning and answer as String, confidence as f64.

    // TODO: with the GIL released (`gil_probe::detach(py, "tidy", move || ...)`), tidy
    //       the answer with `tidy_answer` and validate the confidence with
    //       `check_confidence`; a bad confidence must reach Python as a ValueError.

    let _ = (py, question, SIGNATURE); // remove this line once you use them
    Ok(QaResult {
        reasoning: String::new(),
        answer: "TODO: ask DSPy".to_string(),
        confidence: 0.0,
    })
}

#[pymodule]
fn basic_qa(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<QaResult>()?;
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
