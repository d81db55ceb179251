use std::ffi::CString;

use pyo3::exceptions::PyNotImplementedError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use serde::{Deserialize, Serialize};

/// The pydantic side, shipped inside the crate.
const MODELS_PY: &str = include_str!("models.py");

// TODO: make these types read and write exactly what pydantic's model_dump(mode="json")
//       produces: the currency values are "EUR"/"USD", the line kinds "product"/"service",
//       and the Python field `type` is not a valid Rust field name.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum Currency {
    Eur,
    Usd,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum LineKind {
    Product,
    Service,
}

#[derive(Debug, Serialize, Deserialize)]
struct LineItem {
    description: String,
    kind: LineKind,
    quantity: u32,
    unit_price: f64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Invoice {
    number: String,
    customer: String,
    currency: Currency,
    lines: Vec<LineItem>,
    total: Option<f64>,
}

impl Invoice {
    /// The sum of the lines, rounded to cents.
    fn compute_total(&self) -> f64 {
        let sum: f64 = self
            .lines
            .iter()
            .map(|line| f64::from(line.quantity) * line.unit_price)
            .sum();
        (sum * 100.0).round() / 100.0
    }
}

/// `models.py`, imported once per process and kept (a second import would make a
/// second `Invoice` class, and `isinstance` checks would start failing).
static MODELS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn models(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    let module = MODELS.get_or_try_init(py, || {
        let code = CString::new(MODELS_PY)?;
        let module = PyModule::from_code(py, &code, c"models.py", c"pydantic_serde_models")?;
        Ok::<_, PyErr>(module.unbind())
    })?;
    Ok(module.bind(py))
}

/// A pydantic Invoice (or a plain dict) → the Rust Invoice.
fn invoice_from_python(obj: &Bound<'_, PyAny>) -> PyResult<Invoice> {
    // TODO: turn a pydantic model (or accept a dict as it is) into the Rust Invoice
    //       with serde; a mismatch must reach Python as a ValueError.
    let _ = obj; // remove this line once you use `obj`
    Err(PyNotImplementedError::new_err(
        "TODO: convert the pydantic Invoice into the Rust Invoice (invoice_from_python)",
    ))
}

/// The Rust Invoice → a validated pydantic `models.Invoice`.
fn invoice_to_python<'py>(py: Python<'py>, invoice: &Invoice) -> PyResult<Bound<'py, PyAny>> {
    // TODO: turn the Rust Invoice back into a validated models.Invoice.
    let _ = (py, invoice); // remove this line once you use them
    Err(PyNotImplementedError::new_err(
        "TODO: convert the Rust Invoice into a pydantic models.Invoice (invoice_to_python)",
    ))
}

/// The total of an Invoice given as a pydantic model or a dict, computed in Rust.
#[pyfunction]
fn invoice_total(invoice: &Bound<'_, PyAny>) -> PyResult<f64> {
    Ok(invoice_from_python(invoice)?.compute_total())
}

/// Extract an invoice from an email with DSPy, complete it in Rust, and hand it back
/// to Python as a pydantic model.
#[pyfunction]
fn extract_invoice<'py>(py: Python<'py>, email: &str) -> PyResult<Bound<'py, PyAny>> {
    let signature = models(py)?.getattr("ExtractInvoice")?;
    let predict = py.import("dspy")?.getattr("Predict")?.call1((signature,))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("email", email)?;
    let prediction = gil_probe::attach("predict", |_py| predict.call((), Some(&kwargs)))?;

    let mut invoice = invoice_from_python(&prediction.getattr("invoice")?)?;
    invoice.total = Some(invoice.compute_total());
    invoice_to_python(py, &invoice)
}

#[pymodule]
fn pydantic_serde(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let models = models(m.py())?;
    m.add("Invoice", models.getattr("Invoice")?)?;
    m.add("Currency", models.getattr("Currency")?)?;
    m.add_function(wrap_pyfunction!(invoice_total, m)?)?;
    m.add_function(wrap_pyfunction!(extract_invoice, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
