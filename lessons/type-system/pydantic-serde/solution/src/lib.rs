use std::ffi::CString;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use pythonize::{depythonize, pythonize};
use serde::{Deserialize, Serialize};

/// The pydantic side, shipped inside the crate.
const MODELS_PY: &str = include_str!("models.py");

/// The Rust mirror of `models.Currency`: pydantic writes the values "EUR" / "USD".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum Currency {
    Eur,
    Usd,
}

/// `Literal["product", "service"]` on the Python side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum LineKind {
    Product,
    Service,
}

#[derive(Debug, Serialize, Deserialize)]
struct LineItem {
    description: String,
    /// `type` is a Rust keyword: the Rust name differs, the wire name does not.
    #[serde(rename = "type")]
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
    // serde reads mappings, not pydantic objects: dump the model first. mode="json"
    // turns enums into their values ("EUR") and keeps only JSON types.
    let data = if obj.hasattr("model_dump")? {
        let kwargs = PyDict::new(obj.py());
        kwargs.set_item("mode", "json")?;
        obj.call_method("model_dump", (), Some(&kwargs))?
    } else {
        obj.clone()
    };
    depythonize(&data)
        .map_err(|e| PyValueError::new_err(format!("not a valid Invoice for Rust: {e}")))
}

/// The Rust Invoice → a validated pydantic `models.Invoice`.
fn invoice_to_python<'py>(py: Python<'py>, invoice: &Invoice) -> PyResult<Bound<'py, PyAny>> {
    let data = pythonize(py, invoice)?;
    models(py)?
        .getattr("Invoice")?
        .call_method1("model_validate", (data,))
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
