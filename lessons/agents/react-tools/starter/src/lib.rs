use pyo3::exceptions::{PyKeyError, PyNotImplementedError};
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
#[pyfunction]
fn order_tools(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    // TODO: this tool tells the LM nothing about its argument (print `order_tools()[0].args`
    //       in Python to see what it advertises). Give it a real schema: one string argument
    //       `order_id` described as "the order id, like A-1042", and name it "order_status".
    let kwargs = PyDict::new(py);
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
    // TODO: build a dspy.ReAct agent for SIGNATURE over `tools` (at most 5 iterations),
    //       run it on the question inside `gil_probe::attach("react", ...)`, and return
    //       the Prediction's answer.
    let _ = (py, question, tools, SIGNATURE); // remove this line once you use them
    Err(PyNotImplementedError::new_err(
        "run_agent: build dspy.ReAct(SIGNATURE, tools=tools) and call it with question=...",
    ))
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
