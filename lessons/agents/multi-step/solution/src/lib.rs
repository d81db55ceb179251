use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyList, PyTuple};
use serde_json::{json, Value};

/// The agent's task: a question in, an answer out. ReAct adds the tool loop around it.
const SIGNATURE: &str = "question -> answer";

/// (customer id, name, email)
const CUSTOMERS: &[(&str, &str, &str)] = &[
    ("C-7", "Ana Lima", "ana@example.com"),
    ("C-8", "Bo Jensen", "bo@example.com"),
];
/// (customer id, order id, tracking number, placed on)
const ORDERS: &[(&str, &str, &str, &str)] = &[
    ("C-7", "A-1042", "JD0142", "2026-11-18"),
    ("C-8", "A-1043", "JD0143", "2026-11-19"),
];
/// (tracking number, where the parcel is)
const PARCELS: &[(&str, &str)] = &[
    ("JD0142", "in the Lyon depot, out for delivery tomorrow"),
    ("JD0143", "delivered on 2026-11-21"),
];

/// The ids the tools have handed out in this conversation. A later tool accepts only
/// these: the LM must take an id from an observation, it cannot invent one.
#[derive(Default)]
struct Issued {
    customers: BTreeSet<String>,
    tracking: BTreeSet<String>,
}

type Shared = Arc<Mutex<Issued>>;

fn lock(issued: &Shared) -> PyResult<std::sync::MutexGuard<'_, Issued>> {
    issued
        .lock()
        .map_err(|_| PyRuntimeError::new_err("the session's lock is poisoned"))
}

fn find_customer(issued: &Shared, query: &str) -> PyResult<String> {
    let query = query.to_lowercase();
    let (id, name, email) = CUSTOMERS
        .iter()
        .find(|(_, name, email)| query.contains(&name.to_lowercase()) || query.contains(email))
        .ok_or_else(|| PyValueError::new_err("no customer matches; search by full name or email"))?;
    lock(issued)?.customers.insert(id.to_string());
    Ok(format!("Customer {id}: {name} <{email}>"))
}

fn latest_order(issued: &Shared, customer_id: &str) -> PyResult<String> {
    let customer_id = customer_id.trim();
    if !lock(issued)?.customers.contains(customer_id) {
        return Err(PyValueError::new_err(format!(
            "customer id {customer_id:?} did not come from find_customer in this conversation: call find_customer first"
        )));
    }
    let (_, order, tracking, placed) = ORDERS
        .iter()
        .find(|(customer, ..)| *customer == customer_id)
        .ok_or_else(|| PyValueError::new_err(format!("customer {customer_id} has no orders")))?;
    lock(issued)?.tracking.insert(tracking.to_string());
    Ok(format!("Order {order} placed {placed}, tracking number {tracking}"))
}

fn track_parcel(issued: &Shared, tracking: &str) -> PyResult<String> {
    let tracking = tracking.trim();
    if !lock(issued)?.tracking.contains(tracking) {
        return Err(PyValueError::new_err(format!(
            "tracking number {tracking:?} did not come from latest_order in this conversation: call latest_order first"
        )));
    }
    let (_, place) = PARCELS
        .iter()
        .find(|(number, _)| *number == tracking)
        .ok_or_else(|| PyValueError::new_err(format!("no parcel with tracking number {tracking}")))?;
    Ok(format!("Parcel {tracking} is {place}"))
}

/// One step of a finished run, read back from ReAct's trajectory.
#[pyclass(get_all, frozen)]
struct Step {
    tool: String,
    /// The arguments as a JSON object.
    args: String,
    observation: String,
}

#[pymethods]
impl Step {
    fn __repr__(&self) -> String {
        format!("Step({} {} -> {:?})", self.tool, self.args, self.observation)
    }
}

#[pyclass(get_all, frozen)]
struct Run {
    answer: String,
    steps: Vec<Py<Step>>,
}

type ToolFn = fn(&Shared, &str) -> PyResult<String>;

/// A conversation with the shop's agent: three tools that must run in order, sharing
/// the ids they issued.
#[pyclass]
struct Session {
    issued: Shared,
}

#[pymethods]
impl Session {
    #[new]
    fn new() -> Self {
        Session { issued: Shared::default() }
    }

    /// The three tools as `dspy.Tool`s.
    fn tools<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let specs: [(&str, &str, &str, &str, ToolFn); 3] = [
            ("find_customer", "Find a customer by full name or email; gives the customer id.", "query", "a full name or an email", find_customer),
            ("latest_order", "The latest order of a customer; gives the order id and the tracking number.", "customer_id", "a customer id from find_customer, like C-1", latest_order),
            ("track_parcel", "Where a parcel is now.", "tracking", "a tracking number from latest_order", track_parcel),
        ];
        let tool_class = py.import("dspy")?.getattr("Tool")?;
        let tools = PyList::empty(py);
        for (name, desc, arg, arg_desc, run) in specs {
            let issued = Arc::clone(&self.issued);
            let func = PyCFunction::new_closure(
                py,
                None,
                None,
                move |_args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<String> {
                    let value: String = kwargs
                        .and_then(|k| k.get_item(arg).ok().flatten())
                        .ok_or_else(|| PyValueError::new_err(format!("missing argument {arg:?}")))?
                        .extract()?;
                    run(&issued, &value)
                },
            )?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("name", name)?;
            kwargs.set_item("desc", desc)?;
            let schema = json!({ arg: { "type": "string", "description": arg_desc } });
            kwargs.set_item("args", pythonize::pythonize(py, &schema)?)?;
            tools.append(tool_class.call((func,), Some(&kwargs))?)?;
        }
        Ok(tools)
    }

    /// Run the agent on a question; returns its answer and every step it took.
    #[pyo3(signature = (question, max_iters=6))]
    fn ask(&self, py: Python<'_>, question: &str, max_iters: usize) -> PyResult<Run> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("tools", self.tools(py)?)?;
        kwargs.set_item("max_iters", max_iters)?;
        let agent = py.import("dspy")?.getattr("ReAct")?.call((SIGNATURE,), Some(&kwargs))?;
        let inputs = PyDict::new(py);
        inputs.set_item("question", question)?;
        let prediction = gil_probe::attach("react", |_py| agent.call((), Some(&inputs)))?;

        // ReAct's trajectory is a flat dict: tool_name_0, tool_args_0, observation_0, …
        let trajectory = prediction.getattr("trajectory")?;
        let trajectory = trajectory.cast::<PyDict>()?;
        let mut steps = Vec::new();
        for i in 0.. {
            let Some(tool) = trajectory.get_item(format!("tool_name_{i}"))? else { break };
            let args: Value = match trajectory.get_item(format!("tool_args_{i}"))? {
                Some(args) => pythonize::depythonize(&args)?,
                None => Value::Null,
            };
            let observation = match trajectory.get_item(format!("observation_{i}"))? {
                Some(obs) => obs.str()?.to_string(),
                None => String::new(),
            };
            let step = Step { tool: tool.extract()?, args: args.to_string(), observation };
            steps.push(Py::new(py, step)?);
        }
        Ok(Run { answer: prediction.getattr("answer")?.extract()?, steps })
    }
}

#[pymodule]
fn multi_step(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Session>()?;
    m.add_class::<Run>()?;
    m.add_class::<Step>()?;
    gil_probe::register(m)?;
    Ok(())
}
