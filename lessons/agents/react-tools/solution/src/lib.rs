use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// The agent's task: a question in, an answer out. ReAct adds the tool loop around it.
const SIGNATURE: &str = "question -> answer";

/// The shop's orders: (id, status). A real service would ask its database.
const ORDERS: &[(&str, &str)] = &[
    ("A-1042", "shipped on 2026-11-20 with DHL, tracking JD0142"),
    ("A-1043", "packed, waiting for pickup"),
];

/// Look up the status of one order by its id, e.g. "A-1042".
#[pyfunction]
fn order_status(order_id: &str) -> PyResult<String> {
    ORDERS
        .iter()
        .find(|(id, _)| *id == order_id.trim())
        .map(|(id, status)| format!("Order {id}: {status}"))
        .ok_or_else(|| PyKeyError::new_err(format!("no order with id {order_id:?}")))
}

/// The Rust tools as `dspy.Tool`s, each with the JSON schema of its arguments.
///
/// `dspy.Tool(order_status)` alone cannot see the arguments of a Rust function (it has no
/// Python signature with types), so the schema is given explicitly with `args=`.
#[pyfunction]
fn order_tools(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let order_id = PyDict::new(py);
    order_id.set_item("type", "string")?;
    order_id.set_item("description", "the order id, like A-1042")?;
    let args = PyDict::new(py);
    args.set_item("order_id", order_id)?;

    let kwargs = PyDict::new(py);
    kwargs.set_item("name", "order_status")?;
    kwargs.set_item("args", args)?;
    let tool = py
        .import("dspy")?
        .getattr("Tool")?
        .call((wrap_pyfunction!(order_status, py)?,), Some(&kwargs))?;
    PyList::new(py, [tool])
}

/// Run `dspy.ReAct(SIGNATURE, tools=tools)` on a question and return its answer.
/// `tools` may be Python functions, Rust `#[pyfunction]`s or `dspy.Tool`s.
#[pyfunction]
fn run_agent(py: Python<'_>, question: &str, tools: &Bound<'_, PyList>) -> PyResult<String> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("tools", tools)?;
    kwargs.set_item("max_iters", 5)?;
    let agent = py
        .import("dspy")?
        .getattr("ReAct")?
        .call((SIGNATURE,), Some(&kwargs))?;

    let inputs = PyDict::new(py);
    inputs.set_item("question", question)?;
    let prediction = gil_probe::attach("react", |_py| agent.call((), Some(&inputs)))?;
    prediction.getattr("answer")?.extract()
}

/// Ask the shop's agent, which has the Rust tools.
#[pyfunction]
fn ask(py: Python<'_>, question: &str) -> PyResult<String> {
    let tools = order_tools(py)?;
    run_agent(py, question, &tools)
}

#[pymodule]
fn react_tools(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(order_status, m)?)?;
    m.add_function(wrap_pyfunction!(order_tools, m)?)?;
    m.add_function(wrap_pyfunction!(run_agent, m)?)?;
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
