use std::collections::BTreeMap;
use std::ffi::CString;
use std::marker::PhantomData;

use pyo3::exceptions::{PyNotImplementedError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pythonize::pythonize;
use serde::{Deserialize, Serialize};

// ---- The schema, on both sides (given) ----------------------------------------------

const MODELS_PY: &str = include_str!("models.py");
static MODELS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn models(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    let module = MODELS.get_or_try_init(py, || {
        let code = CString::new(MODELS_PY)?;
        let module = PyModule::from_code(py, &code, c"models.py", c"typed_pipeline_models")?;
        Ok::<_, PyErr>(module.unbind())
    })?;
    Ok(module.bind(py))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Priority {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Item {
    sku: String,
    quantity: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Order {
    customer: String,
    items: Vec<Item>,
    priority: Priority,
    refund_requested: bool,
}

/// Why one email did not become an order: which email, which field, why.
#[derive(Debug, Clone, IntoPyObject)]
struct Failure {
    index: usize,
    field: String,
    reason: String,
}

/// What the pipeline returns to Python (a dict).
#[derive(Debug, IntoPyObject)]
struct Report {
    orders: Vec<Py<PyAny>>,
    failures: Vec<Failure>,
    units_per_sku: BTreeMap<String, u32>,
    high_priority: usize,
}

// ---- The extractor: a typestate program (compile-time-safety) ---------------------

struct Unconfigured;
struct Configured;

struct Extractor<State = Unconfigured> {
    predict: Py<PyAny>,
    _state: PhantomData<State>,
}

impl Extractor<Unconfigured> {
    fn new(py: Python<'_>) -> PyResult<Self> {
        let signature = models(py)?.getattr("ExtractOrder")?;
        let predict = py.import("dspy")?.getattr("Predict")?.call1((signature,))?;
        Ok(Extractor {
            predict: predict.unbind(),
            _state: PhantomData,
        })
    }

    fn with_configured_lm(self, py: Python<'_>) -> PyResult<Extractor<Configured>> {
        let lm = py.import("dspy")?.getattr("settings")?.getattr("lm")?;
        if lm.is_none() {
            return Err(PyRuntimeError::new_err(
                "no LM configured: call dspy.configure(lm=dspy.LM(...)) before run()",
            ));
        }
        self.predict.bind(py).call_method1("set_lm", (lm,))?;
        Ok(Extractor {
            predict: self.predict,
            _state: PhantomData,
        })
    }
}

impl Extractor<Configured> {
    /// One email → one Order, or a Failure naming the field. Only a Python error
    /// that is not about this email's data (a network error, a bug) is an `Err`.
    fn extract(
        &self,
        py: Python<'_>,
        index: usize,
        email: &str,
    ) -> PyResult<Result<Order, Failure>> {
        // TODO: run the Predict on this email and turn its `order` into the serde Order.
        //       What is wrong with THIS email becomes Ok(Err(Failure { index, field,
        //       reason })): a reply DSPy cannot parse (field "order"), an order serde
        //       refuses (field "order"), a SKU that is not like ABC-123 (field
        //       "items[<i>].sku", the reason shows the bad value). Any other Python error
        //       is an Err and stops the run.
        let _ = (py, index, email); // remove this line once you use them
        Err(PyNotImplementedError::new_err("TODO: Extractor::extract"))
    }
}

#[allow(dead_code)] // TODO: remove once extract() uses it
fn parse_error(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import("dspy.utils.exceptions")?
        .getattr("AdapterParseError")
}

/// Three capital letters, a dash, three digits.
#[allow(dead_code)] // TODO: remove once extract() uses it
fn is_sku(sku: &str) -> bool {
    let bytes = sku.as_bytes();
    bytes.len() == 7
        && bytes[..3].iter().all(u8::is_ascii_uppercase)
        && bytes[3] == b'-'
        && bytes[4..].iter().all(u8::is_ascii_digit)
}

/// Units per SKU and the number of high-priority orders: plain Rust.
fn summarize(orders: &[Order]) -> (BTreeMap<String, u32>, usize) {
    // TODO: add up the quantity of every item per SKU, and count the orders whose
    //       priority is High.
    let _ = orders; // remove this line once you use `orders`
    (BTreeMap::new(), 0)
}

/// Extract an order from every email; bad emails are reported, not fatal.
#[pyfunction]
fn run(py: Python<'_>, emails: Vec<String>) -> PyResult<Report> {
    let extractor = Extractor::new(py)?.with_configured_lm(py)?;

    let mut orders = Vec::new();
    let mut failures = Vec::new();
    for (index, email) in emails.iter().enumerate() {
        match extractor.extract(py, index, email)? {
            Ok(order) => orders.push(order),
            Err(failure) => failures.push(failure),
        }
    }

    let (orders, (units_per_sku, high_priority)) = gil_probe::detach(py, "summarize", move || {
        let summary = summarize(&orders);
        (orders, summary)
    });

    // Back to Python as validated pydantic Orders (pydantic-serde's round trip).
    let order_class = models(py)?.getattr("Order")?;
    let orders = orders
        .iter()
        .map(|order| {
            let data = pythonize(py, order)?;
            Ok(order_class
                .call_method1("model_validate", (data,))?
                .unbind())
        })
        .collect::<PyResult<Vec<_>>>()?;

    Ok(Report {
        orders,
        failures,
        units_per_sku,
        high_priority,
    })
}

#[pymodule]
fn typed_pipeline(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("Order", models(m.py())?.getattr("Order")?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
