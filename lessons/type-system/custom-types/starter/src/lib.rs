use pyo3::exceptions::PyNotImplementedError;
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
    #[allow(dead_code)] // TODO: remove once your FromPyObject uses it
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
        // TODO: accept a Priority instance as it is, and a label string through
        //       Priority::from_label. An unknown label is a ValueError that names it and
        //       the accepted labels; anything else is the TypeError PyO3 raises.
        let _ = obj; // remove this line once you use `obj`
        Err(PyNotImplementedError::new_err(
            "TODO: convert a Python object into a Priority (impl FromPyObject for Priority)",
        ))
    }
}

/// `Union[float, str]`: hours when the LM could estimate, a note when it could not.
// TODO: make Estimate and Triage extractable from Python (Triage from a Prediction's
//       attributes), so that `triage` can convert a whole Prediction in one call.
#[allow(dead_code)] // TODO: remove once Estimate can be extracted from Python
#[derive(Debug, Clone, IntoPyObject)]
enum Estimate {
    Hours(f64),
    Note(String),
}

/// Returned to Python as a dict with the same keys.
#[derive(Debug, IntoPyObject)]
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
    // TODO: convert the whole Prediction into a Triage.
    let _ = prediction; // remove this line once you use `prediction`
    Err(PyNotImplementedError::new_err(
        "TODO: extract the Prediction into a Triage (triage)",
    ))
}

#[pymodule]
fn custom_types(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Priority>()?;
    m.add_function(wrap_pyfunction!(bump, m)?)?;
    m.add_function(wrap_pyfunction!(triage, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
