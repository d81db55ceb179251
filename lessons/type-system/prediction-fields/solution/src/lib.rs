use pyo3::conversion::FromPyObjectOwned;
use pyo3::exceptions::{PyAttributeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

const SIGNATURE: &str = "question -> answer: str, confidence: float, sources: list[str]";

/// Why a Prediction field could not be used, in words a developer can act on.
#[derive(Debug, thiserror::Error)]
enum FieldError {
    #[error("the prediction has no field `{field}` (it has: {}); add `{field}` to the signature's outputs", .available.join(", "))]
    Missing {
        field: String,
        available: Vec<String>,
    },
    #[error("field `{field}` should be {expected}, but the LM gave {got}: {value}")]
    WrongType {
        field: String,
        expected: &'static str,
        got: String,
        value: String,
    },
    #[error("field `{field}` {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(transparent)]
    Python(#[from] PyErr),
}

/// Each kind of problem becomes the Python exception a Python caller expects.
impl From<FieldError> for PyErr {
    fn from(err: FieldError) -> PyErr {
        let message = err.to_string();
        match err {
            FieldError::Missing { .. } => PyAttributeError::new_err(message),
            FieldError::WrongType { .. } => PyTypeError::new_err(message),
            FieldError::Invalid { .. } => PyValueError::new_err(message),
            FieldError::Python(err) => err,
        }
    }
}

/// Read one field of a Prediction as `T`, naming the field in every error.
/// `expected` is the signature type, for the message ("float", "list[str]").
fn field<'py, T>(
    prediction: &Bound<'py, PyAny>,
    name: &str,
    expected: &'static str,
) -> Result<T, FieldError>
where
    T: FromPyObjectOwned<'py>,
{
    // A Prediction knows its fields: `prediction.keys()`.
    let available: Vec<String> = prediction.call_method0("keys")?.extract()?;
    if !available.iter().any(|key| key == name) {
        return Err(FieldError::Missing {
            field: name.to_string(),
            available,
        });
    }
    let value = prediction.getattr(name)?;
    if let Ok(typed) = value.extract::<T>() {
        return Ok(typed);
    }
    Err(FieldError::WrongType {
        field: name.to_string(),
        expected,
        got: value.get_type().name()?.to_string(),
        value: value.repr()?.to_string(),
    })
}

/// A validated answer: what the rest of a Rust service can rely on.
#[pyclass(get_all)]
#[derive(Debug)]
struct Answer {
    answer: String,
    confidence: f64,
    sources: Vec<String>,
}

#[pymethods]
impl Answer {
    fn __repr__(&self) -> String {
        format!("{self:?}")
    }
}

/// Read and validate the fields of a Prediction made from SIGNATURE.
fn read_answer_fields(prediction: &Bound<'_, PyAny>) -> Result<Answer, FieldError> {
    let answer: String = field(prediction, "answer", "str")?;
    let confidence: f64 = field(prediction, "confidence", "float")?;
    let sources: Vec<String> = field(prediction, "sources", "list[str]")?;

    let answer = answer.trim().to_string();
    if answer.is_empty() {
        return Err(FieldError::Invalid {
            field: "answer",
            reason: "is empty".into(),
        });
    }
    if !(0.0..=1.0).contains(&confidence) {
        return Err(FieldError::Invalid {
            field: "confidence",
            reason: format!("is {confidence}, but must be between 0 and 1"),
        });
    }
    Ok(Answer {
        answer,
        confidence,
        sources,
    })
}

#[pyfunction]
fn read_answer(prediction: &Bound<'_, PyAny>) -> PyResult<Answer> {
    Ok(read_answer_fields(prediction)?)
}

/// Ask DSPy and return a validated Answer.
#[pyfunction]
fn ask(py: Python<'_>, question: &str) -> PyResult<Answer> {
    let predict = py.import("dspy")?.getattr("Predict")?.call1((SIGNATURE,))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("question", question)?;
    let prediction = gil_probe::attach("predict", |_py| predict.call((), Some(&kwargs)))?;
    read_answer(&prediction)
}

#[pymodule]
fn prediction_fields(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Answer>()?;
    m.add_function(wrap_pyfunction!(read_answer, m)?)?;
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
