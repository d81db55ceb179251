use pyo3::create_exception;
use pyo3::exceptions::{PyAttributeError, PyException};
use pyo3::import_exception;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use thiserror::Error;

const DEFAULT_SIGNATURE: &str = "question -> answer";

// The exceptions Python callers catch: one base class, one subclass per failure they may
// want to handle differently (a 400 for EmptyQuestion, a retry for BadReply, ...).
create_exception!(error_handling, AskFailed, PyException);
create_exception!(error_handling, EmptyQuestion, AskFailed);
create_exception!(error_handling, BadReply, AskFailed);
create_exception!(error_handling, MissingField, AskFailed);

// DSPy's own exception, as a Rust type, so `is_instance_of` can match it.
import_exception!(dspy.utils.exceptions, AdapterParseError);

/// Everything that can go wrong in `ask`, as Rust sees it.
#[derive(Debug, Error)]
enum AskError {
    #[error("the question is empty")]
    EmptyQuestion,
    #[error("the LM's reply does not fit `{signature}`; it said: {reply}")]
    BadReply {
        signature: String,
        reply: String,
        source: PyErr,
    },
    #[error("the prediction has no `{field}` field (it has: {available})")]
    MissingField { field: String, available: String },
    /// Anything else from Python reaches the caller unchanged.
    #[error(transparent)]
    Python(#[from] PyErr),
}

impl From<AskError> for PyErr {
    fn from(err: AskError) -> PyErr {
        let message = err.to_string();
        match err {
            AskError::EmptyQuestion => EmptyQuestion::new_err(message),
            AskError::BadReply { source, .. } => {
                let bad = BadReply::new_err(message);
                // `raise BadReply(...) from <the AdapterParseError>`: the cause stays visible.
                Python::attach(|py| bad.set_cause(py, Some(source)));
                bad
            }
            AskError::MissingField { .. } => MissingField::new_err(message),
            AskError::Python(err) => err,
        }
    }
}

/// At most `max_chars` characters of `text`, with "…" when something was cut.
/// Counts characters, not bytes: "è" is two bytes, and slicing through it panics.
#[pyfunction]
fn excerpt(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// A panic, on purpose: what PyO3 does with one.
#[pyfunction]
fn panic_with(message: &str) {
    panic!("{message}");
}

/// Turn an exception raised by the DSPy call into an `AskError` with context.
fn from_dspy(py: Python<'_>, err: PyErr, signature: &str) -> AskError {
    if !err.is_instance_of::<AdapterParseError>(py) {
        return AskError::Python(err);
    }
    let reply: String = err
        .value(py)
        .getattr("lm_response")
        .and_then(|r| r.extract())
        .unwrap_or_default();
    let reply = reply.split_whitespace().collect::<Vec<_>>().join(" ");
    AskError::BadReply {
        signature: signature.to_string(),
        reply: excerpt(&reply, 120),
        source: err,
    }
}

fn ask_inner(py: Python<'_>, question: &str, signature: &str) -> Result<String, AskError> {
    if question.trim().is_empty() {
        return Err(AskError::EmptyQuestion);
    }
    // A malformed signature is the caller's mistake: DSPy's ValueError passes through (`?`).
    let predict = py.import("dspy")?.getattr("Predict")?.call1((signature,))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("question", question)?;
    let prediction = gil_probe::attach("predict", |_py| predict.call((), Some(&kwargs)))
        .map_err(|e| from_dspy(py, e, signature))?;
    match prediction.getattr("answer") {
        Ok(answer) => Ok(answer.extract()?),
        Err(e) if e.is_instance_of::<PyAttributeError>(py) => {
            let fields: Vec<String> = prediction.call_method0("keys")?.extract()?;
            Err(AskError::MissingField {
                field: "answer".to_string(),
                available: fields.join(", "),
            })
        }
        Err(e) => Err(e.into()),
    }
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
    m.add("EmptyQuestion", py.get_type::<EmptyQuestion>())?;
    m.add("BadReply", py.get_type::<BadReply>())?;
    m.add("MissingField", py.get_type::<MissingField>())?;
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    m.add_function(wrap_pyfunction!(excerpt, m)?)?;
    m.add_function(wrap_pyfunction!(panic_with, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
