use pyo3::conversion::FromPyObjectOwned;
use pyo3::exceptions::{PyAttributeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

const SIGNATURE: &str = "question -> answer: str, confidence: float, sources: list[str]";

/// Why a Prediction field could not be used, in words a developer can act on.
#[derive(Debug, thiserror::Error)]
#[allow(dead_code)] // TODO: remove once your code builds every variant
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
    // TODO: name the field in every error. A field the Prediction does not have is
    //       FieldError::Missing (listing the fields it does have); a value that does
    //       not convert to T is FieldError::WrongType (its Python type and repr).
    let _ = expected; // remove this line once you use `expected`
    let value = prediction.getattr(name)?;
    let typed = value.extract::<T>().map_err(Into::<PyErr>::into)?;
    Ok(typed)
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

    // TODO: validate: the answer (trimmed) must not be empty, and the confidence must
    //       be between 0 and 1. Report a bad value as FieldError::Invalid.
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
