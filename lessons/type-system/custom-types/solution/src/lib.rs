use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `priority: Literal['low', 'medium', 'high']` in the signature; an enum in Rust.
const SIGNATURE: &str =
    "report -> title: str, priority: Literal['low', 'medium', 'high'], estimate: Union[float, str]";

/// A real Python class: `Priority.LOW < Priority.HIGH`, usable as a dict key.
/// `skip_from_py_object`: we write our own `FromPyObject` below (PyO3's automatic one
/// for `Clone` classes would only accept `Priority` instances).
#[pyclass(
    eq,
    eq_int,
    ord,
    hash,
    frozen,
    skip_from_py_object,
    rename_all = "UPPERCASE"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Priority {
    Low,
    Medium,
    High,
}

impl Priority {
    /// "high", " High " → Priority::High; anything else → None.
    fn from_label(label: &str) -> Option<Self> {
        match label.trim().to_ascii_lowercase().as_str() {
            "low" => Some(Priority::Low),
            "medium" => Some(Priority::Medium),
            "high" => Some(Priority::High),
            _ => None,
        }
    }
}

#[pymethods]
impl Priority {
    /// The label the LM uses: "low", "medium", "high".
    #[getter]
    fn label(&self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
        }
    }
}

/// Accept a `Priority` or its label: the LM gives "high", Python callers may pass
/// `Priority.HIGH`.
impl<'py> FromPyObject<'_, 'py> for Priority {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(priority) = obj.cast::<Priority>() {
            return Ok(*priority.get());
        }
        let label: String = obj.extract()?;
        Priority::from_label(&label).ok_or_else(|| {
            PyValueError::new_err(format!(
                "unknown priority {label:?}: expected low, medium or high"
            ))
        })
    }
}

/// `Union[float, str]`: hours when the LM could estimate, a note when it could not.
/// Variants are tried in order; each is the one field's own extraction.
#[derive(Debug, Clone, FromPyObject, IntoPyObject)]
enum Estimate {
    Hours(f64),
    Note(String),
}

/// Read from a Prediction by attribute (the derive's default), returned to Python as
/// a dict with the same keys.
#[derive(Debug, FromPyObject, IntoPyObject)]
struct Triage {
    title: String,
    priority: Priority,
    estimate: Estimate,
}

/// One level up, at most High. The argument converts through our `FromPyObject`.
#[pyfunction]
fn bump(priority: Priority) -> Priority {
    match priority {
        Priority::Low => Priority::Medium,
        Priority::Medium | Priority::High => Priority::High,
    }
}

/// Triage a report with DSPy into Rust types, and return it as a dict.
#[pyfunction]
fn triage(py: Python<'_>, report: &str) -> PyResult<Triage> {
    let predict = py.import("dspy")?.getattr("Predict")?.call1((SIGNATURE,))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("report", report)?;
    let prediction = gil_probe::attach("predict", |_py| predict.call((), Some(&kwargs)))?;
    prediction.extract()
}

#[pymodule]
fn custom_types(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Priority>()?;
    m.add_function(wrap_pyfunction!(bump, m)?)?;
    m.add_function(wrap_pyfunction!(triage, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
