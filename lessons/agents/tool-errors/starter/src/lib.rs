#![allow(dead_code, unused_imports)] // TODO: remove once call_guarded retries
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use pyo3::exceptions::{PyConnectionError, PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyList, PyTuple};

/// The agent's task: a question in, an answer out. ReAct adds the tool loop around it.
const SIGNATURE: &str = "question -> answer";

/// How a guarded tool is called: how often, how patiently, how long to wait in between.
#[derive(Debug, Clone, Copy)]
struct Policy {
    attempts: u32,
    base_delay: Duration,
    timeout: Duration,
}

impl Policy {
    /// The wait before retry number `retry` (1, 2, …): base, 2×base, 4×base, …
    fn backoff(&self, retry: u32) -> Duration {
        self.base_delay * 2u32.saturating_pow(retry.saturating_sub(1))
    }
}

/// A transient error is worth another try: the network, or a tool that did not answer.
fn is_transient(py: Python<'_>, err: &PyErr) -> bool {
    err.is_instance_of::<PyConnectionError>(py) || err.is_instance_of::<PyTimeoutError>(py)
}

/// One attempt: run the tool on its own thread and wait at most `timeout` for it, with the
/// GIL released so the tool's thread can run. A tool that hangs is abandoned (Python
/// threads cannot be killed); its late result is dropped.
fn attempt(py: Python<'_>, name: &str, func: &Py<PyAny>, kwargs: &Py<PyDict>, timeout: Duration) -> PyResult<Py<PyAny>> {
    // TODO: a tool that hangs must not hang the agent: run the call on its own thread and
    //       give up after `timeout` with a TimeoutError naming the tool. Wait with the GIL
    //       released, or the tool's thread cannot run.
    let _ = (name, timeout); // remove this line once you use them
    func.bind(py).call((), Some(kwargs.bind(py))).map(Bound::unbind)
}

/// Call the tool under the policy: transient errors are retried with exponential backoff;
/// any other error, and the last transient one, is raised with a message the LM can use.
fn call_guarded(py: Python<'_>, name: &str, func: &Py<PyAny>, kwargs: &Py<PyDict>, policy: Policy) -> PyResult<Py<PyAny>> {
    // TODO: retry transient errors (`is_transient`) up to `policy.attempts` calls in all,
    //       waiting `policy.backoff(retry)` before each retry without holding the GIL.
    //       Raise any other error at once, unchanged. When the attempts run out, raise a
    //       RuntimeError that says "<name> failed after <N> attempts" and names the last
    //       error (`describe`), so the LM can decide what to do instead.
    attempt(py, name, func, kwargs, policy.timeout)
}

/// "ConnectionError: the rates service is unreachable"
fn describe(py: Python<'_>, err: &PyErr) -> String {
    let kind = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Error".to_string());
    format!("{kind}: {}", err.value(py))
}

/// Wrap a tool (a function or a `dspy.Tool`) so that it is retried on transient errors
/// with exponential backoff, and timed out when it hangs. Returns a `dspy.Tool` with the
/// same name, description and argument schema.
#[pyfunction]
#[pyo3(signature = (tool, attempts=3, base_delay_s=0.05, timeout_s=1.0))]
fn guarded<'py>(tool: &Bound<'py, PyAny>, attempts: u32, base_delay_s: f64, timeout_s: f64) -> PyResult<Bound<'py, PyAny>> {
    let py = tool.py();
    if attempts == 0 {
        return Err(PyValueError::new_err("attempts must be at least 1"));
    }
    let seconds = |s: f64, what: &str| {
        Duration::try_from_secs_f64(s).map_err(|_| PyValueError::new_err(format!("{what} must be a number of seconds ≥ 0, got {s}")))
    };
    let policy = Policy {
        attempts,
        base_delay: seconds(base_delay_s, "base_delay_s")?,
        timeout: seconds(timeout_s, "timeout_s")?,
    };

    let tool_class = py.import("dspy")?.getattr("Tool")?;
    let inner = if tool.is_instance(&tool_class)? { tool.clone() } else { tool_class.call1((tool,))? };
    let name: String = inner.getattr("name")?.extract()?;
    let func: Py<PyAny> = inner.getattr("func")?.unbind();

    let tool_name = name.clone();
    let wrapper = PyCFunction::new_closure(
        py,
        None,
        None,
        move |args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<Py<PyAny>> {
            let py = args.py();
            let kwargs = kwargs.map_or_else(|| PyDict::new(py), Bound::clone).unbind();
            call_guarded(py, &tool_name, &func, &kwargs, policy)
        },
    )?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("name", name)?;
    kwargs.set_item("desc", inner.getattr("desc")?)?;
    kwargs.set_item("args", inner.getattr("args")?)?;
    tool_class.call((wrapper,), Some(&kwargs))
}

/// Run `dspy.ReAct(SIGNATURE, tools=tools)` on a question and return its answer
/// (from step react-tools).
#[pyfunction]
fn run_agent(py: Python<'_>, question: &str, tools: &Bound<'_, PyList>) -> PyResult<String> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("tools", tools)?;
    kwargs.set_item("max_iters", 5)?;
    let agent = py.import("dspy")?.getattr("ReAct")?.call((SIGNATURE,), Some(&kwargs))?;
    let inputs = PyDict::new(py);
    inputs.set_item("question", question)?;
    let prediction = gil_probe::attach("react", |_py| agent.call((), Some(&inputs)))?;
    prediction.getattr("answer")?.extract()
}

#[pymodule]
fn tool_errors(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(guarded, m)?)?;
    m.add_function(wrap_pyfunction!(run_agent, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
