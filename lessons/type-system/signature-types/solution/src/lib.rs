use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Every common signature type once. DSPy tells the LM each field's type and parses
/// the reply into real Python values: str, int, float, bool, list, dict, None, a Literal.
const SIGNATURE: &str = "report -> title: str, priority: int, hours: float, urgent: bool, \
     tags: list[str], counts: dict[str, int], assignee: Optional[str], \
     kind: Literal['bug', 'feature', 'question']";

/// A triaged bug report, with one Rust type per signature type.
#[pyclass(get_all)]
#[derive(Debug)]
struct Ticket {
    title: String,                // str
    priority: u8,                 // int, 0..=255 (an OverflowError outside)
    hours: f64,                   // float (an int is accepted too)
    urgent: bool,                 // bool, and only a bool
    tags: Vec<String>,            // list[str]
    counts: HashMap<String, u32>, // dict[str, int]
    assignee: Option<String>,     // Optional[str]: None → None
    kind: String,                 // Literal[...]: DSPy already checked the value
}

#[pymethods]
impl Ticket {
    fn __repr__(&self) -> String {
        format!("{self:?}")
    }
}

/// Read a Prediction's fields into a Ticket. Each `extract` checks one Python value
/// against one Rust type and raises TypeError / OverflowError when it does not fit.
#[pyfunction]
fn ticket_from_prediction(prediction: &Bound<'_, PyAny>) -> PyResult<Ticket> {
    Ok(Ticket {
        title: prediction.getattr("title")?.extract()?,
        priority: prediction.getattr("priority")?.extract()?,
        hours: prediction.getattr("hours")?.extract()?,
        urgent: prediction.getattr("urgent")?.extract()?,
        tags: prediction.getattr("tags")?.extract()?,
        counts: prediction.getattr("counts")?.extract()?,
        assignee: prediction.getattr("assignee")?.extract()?,
        kind: prediction.getattr("kind")?.extract()?,
    })
}

/// Triage a bug report with DSPy and return it as a typed Rust value.
#[pyfunction]
fn triage(py: Python<'_>, report: &str) -> PyResult<Ticket> {
    let predict = py.import("dspy")?.getattr("Predict")?.call1((SIGNATURE,))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("report", report)?;
    let prediction = gil_probe::attach("predict", |_py| predict.call((), Some(&kwargs)))?;
    ticket_from_prediction(&prediction)
}

#[pymodule]
fn signature_types(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Ticket>()?;
    m.add_function(wrap_pyfunction!(ticket_from_prediction, m)?)?;
    m.add_function(wrap_pyfunction!(triage, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
