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
    // TODO: ask DSPy's `ChainOfThought` module, with SIGNATURE and this `question`, and
    //       return its reasoning, answer and confidence as a QaResult. Time the DSPy call
    //       under the GIL-probe label "chain_of_thought".
    // TODO: the answer goes back tidied by `tidy_answer`, and a confidence outside 0..=1
    //       reaches Python as a ValueError (`check_confidence`). Both are plain Rust: run
    //       them with the GIL released, under the label "tidy".

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
