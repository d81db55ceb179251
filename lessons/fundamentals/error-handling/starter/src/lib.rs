use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use thiserror::Error;

const DEFAULT_SIGNATURE: &str = "question -> answer";

// The exceptions Python callers catch: one base class, one subclass per failure they may
// want to handle differently (a 400 for EmptyQuestion, a retry for BadReply, ...).
create_exception!(error_handling, AskFailed, PyException);
// TODO: declare EmptyQuestion, BadReply and MissingField, each a subclass of AskFailed,
//       and add them to the module below so Python can catch them by name.

// TODO: make DSPy's own exception dspy.utils.exceptions.AdapterParseError a Rust type,
//       so you can tell it apart from other exceptions.

/// Everything that can go wrong in `ask`, as Rust sees it.
#[derive(Debug, Error)]
enum AskError {
    // TODO: a variant for each failure: an empty question; a reply that does not fit the
    //       signature (keep the signature, an excerpt of the reply and the original
    //       PyErr as its source); a missing `answer` field (name the fields it has).
    /// Anything else from Python reaches the caller unchanged.
    #[error(transparent)]
    Python(#[from] PyErr),
}

impl From<AskError> for PyErr {
    fn from(err: AskError) -> PyErr {
        match err {
            // TODO: each of your variants becomes its own exception, with the variant's
            //       message; the bad reply keeps the AdapterParseError as its __cause__.
            AskError::Python(err) => err,
        }
    }
}

/// At most `max_chars` characters of `text`, with "…" when something was cut.
#[pyfunction]
fn excerpt(text: &str, max_chars: usize) -> String {
    // TODO: this panics on "Crème brûlée" with max_chars = 3 (a panic is not an error
    //       path). Cut after `max_chars` characters, not bytes.
    if text.len() <= max_chars {
        return text.to_string();
    }
    format!("{}…", &text[..max_chars])
}

/// A panic, on purpose: what PyO3 does with one.
#[pyfunction]
fn panic_with(message: &str) {
    panic!("{message}");
}

fn ask_inner(py: Python<'_>, question: &str, signature: &str) -> Result<String, AskError> {
    // TODO: refuse an empty (or all-blank) question before calling DSPy.
    let predict = py.import("dspy")?.getattr("Predict")?.call1((signature,))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("question", question)?;
    // TODO: an AdapterParseError from this call becomes your bad-reply variant, with its
    //       `lm_response` (whitespace collapsed, through excerpt(.., 120)); anything else
    //       stays a Python error.
    let prediction = gil_probe::attach("predict", |_py| predict.call((), Some(&kwargs)))?;
    // TODO: an AttributeError here means the signature has no `answer` output: report
    //       which fields the prediction does have (prediction.keys()).
    Ok(prediction.getattr("answer")?.extract()?)
}

/// Ask DSPy; every failure is a specific Python exception.
#[pyfunction]
#[pyo3(signature = (question, signature = DEFAULT_SIGNATURE))]
fn ask(py: Python<'_>, question: &str, signature: &str) -> PyResult<String> {
    Ok(ask_inner(py, question, signature)?)
}

#[pymodule]
fn error_handling(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("AskFailed", py.get_type::<AskFailed>())?;
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    m.add_function(wrap_pyfunction!(excerpt, m)?)?;
    m.add_function(wrap_pyfunction!(panic_with, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
