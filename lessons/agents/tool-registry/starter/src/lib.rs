use std::collections::BTreeMap;
use std::sync::Arc;

use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyList, PyTuple};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// The agent's task: a question in, an answer out. ReAct adds the tool loop around it.
const SIGNATURE: &str = "question -> answer";

/// The shop's orders: (id, status, paid in cents).
const ORDERS: &[(&str, &str, u32)] = &[
    ("A-1042", "shipped on 2026-11-20 with DHL, tracking JD0142", 4_990),
    ("A-1043", "packed, waiting for pickup", 1_250),
];

/// Why a registry call failed. Each kind becomes a different Python exception.
#[derive(Debug, thiserror::Error)]
#[allow(dead_code)] // TODO: remove once invoke() parses the arguments
enum ToolError {
    #[error("no tool named {name:?}; the registry has {known:?}")]
    Unknown { name: String, known: Vec<&'static str> },
    #[error("bad arguments for {tool}: {source}")]
    BadArgs {
        tool: &'static str,
        source: serde_json::Error,
    },
    #[error("{tool} failed: {reason}")]
    Failed { tool: &'static str, reason: String },
}

impl From<ToolError> for PyErr {
    fn from(err: ToolError) -> PyErr {
        match err {
            ToolError::Unknown { .. } => PyKeyError::new_err(err.to_string()),
            ToolError::BadArgs { .. } => PyValueError::new_err(err.to_string()),
            ToolError::Failed { .. } => PyRuntimeError::new_err(err.to_string()),
        }
    }
}

/// Why a tool could not be registered: mistakes in the Rust code, found at start-up.
#[derive(Debug, thiserror::Error)]
#[allow(dead_code)] // TODO: remove once register() returns them
enum RegistryError {
    #[error("a tool named {0:?} is already registered")]
    Duplicate(&'static str),
    #[error("tool {0:?} has no description: write a /// doc comment on its argument struct")]
    Undocumented(&'static str),
}

impl From<RegistryError> for PyErr {
    fn from(err: RegistryError) -> PyErr {
        PyRuntimeError::new_err(err.to_string())
    }
}

/// A tool is its arguments: a struct serde can parse and schemars can describe.
/// Its `///` doc comment is the tool's description, its fields' doc comments the
/// arguments' descriptions.
#[allow(dead_code)] // TODO: remove once invoke() runs the tool
trait RustTool: DeserializeOwned + JsonSchema {
    const NAME: &'static str;
    fn run(self) -> Result<String, String>;
}

/// Look up the status of one order by its id.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct OrderStatus {
    /// The order id, like A-1042.
    order_id: String,
}

impl RustTool for OrderStatus {
    const NAME: &'static str = "order_status";

    fn run(self) -> Result<String, String> {
        find_order(&self.order_id).map(|(id, status, _)| format!("Order {id}: {status}"))
    }
}

// TODO: document this tool for the LM: a doc comment on the struct (what the tool does)
//       and one on each field (what the argument means, in which unit).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // TODO: remove once Registry::shop() registers Refund
struct Refund {
    order_id: String,
    amount_cents: u32,
}

impl RustTool for Refund {
    const NAME: &'static str = "refund";

    fn run(self) -> Result<String, String> {
        let (id, _, paid) = find_order(&self.order_id)?;
        if self.amount_cents > paid {
            return Err(format!("order {id} was paid {paid} cents, cannot refund {}", self.amount_cents));
        }
        Ok(format!("Refunded {} cents on order {id}", self.amount_cents))
    }
}

fn find_order(order_id: &str) -> Result<(&'static str, &'static str, u32), String> {
    ORDERS
        .iter()
        .copied()
        .find(|(id, _, _)| *id == order_id.trim())
        .ok_or_else(|| format!("no order with id {order_id:?}"))
}

/// One registered tool: what the LM is told, and how to call it.
struct Entry {
    description: String,
    args: Value,
    call: fn(Value) -> Result<String, ToolError>,
}

/// Parse the arguments into the tool's struct (this is the validation), then run it.
fn invoke<T: RustTool>(args: Value) -> Result<String, ToolError> {
    // TODO: turn `args` into a `T` with serde; a value that does not fit is
    //       ToolError::BadArgs (carrying serde's error), and only a parsed `T` runs.
    //       The tool's own Err is ToolError::Failed.
    let _ = args; // remove this line once you use it
    Err(ToolError::Failed {
        tool: T::NAME,
        reason: "the registry does not parse arguments yet".to_string(),
    })
}

#[derive(Default)]
struct Registry {
    tools: BTreeMap<&'static str, Entry>,
}

impl Registry {
    /// The shop's tools.
    fn shop() -> Result<Self, RegistryError> {
        let mut registry = Registry::default();
        registry.register::<OrderStatus>()?;
        // TODO: register the Refund tool too.
        Ok(registry)
    }

    fn register<T: RustTool>(&mut self) -> Result<(), RegistryError> {
        // TODO: the LM should read what the Rust code says about the tool: take the
        //       description and the argument schema from T's JSON schema (schemars), refuse
        //       a tool without a description (RegistryError::Undocumented) and a name
        //       registered twice (RegistryError::Duplicate).
        let description = String::new();
        let args = Value::Object(Default::default());
        self.tools.insert(T::NAME, Entry { description, args, call: invoke::<T> });
        Ok(())
    }

    fn call(&self, name: &str, args: Value) -> Result<String, ToolError> {
        let entry = self.tools.get(name).ok_or_else(|| ToolError::Unknown {
            name: name.to_string(),
            known: self.tools.keys().copied().collect(),
        })?;
        (entry.call)(args)
    }
}

/// Call a registered tool: the arguments are validated by serde before the tool runs,
/// with the GIL released (no Python is needed for either).
fn call_registered(py: Python<'_>, registry: &Registry, name: &str, args: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
    let args: Value = match args {
        Some(args) => pythonize::depythonize(args.as_any())?,
        None => Value::Object(Default::default()),
    };
    Ok(py.detach(|| registry.call(name, args))?)
}

/// The names of the registered tools, sorted.
#[pyfunction]
fn tool_names() -> PyResult<Vec<&'static str>> {
    Ok(Registry::shop()?.tools.keys().copied().collect())
}

/// Call a tool of the registry by name with a dict of arguments.
#[pyfunction]
#[pyo3(signature = (name, args=None))]
fn call_tool(py: Python<'_>, name: &str, args: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
    call_registered(py, &Registry::shop()?, name, args)
}

/// Every registered tool as a `dspy.Tool`: name, description and argument schema from the
/// Rust types, and a function that goes through the registry's validation.
#[pyfunction]
fn dspy_tools(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let registry = Arc::new(Registry::shop()?);
    let tool_class = py.import("dspy")?.getattr("Tool")?;
    let tools = PyList::empty(py);
    for (&name, entry) in &registry.tools {
        let shared = Arc::clone(&registry);
        let func = PyCFunction::new_closure(
            py,
            None,
            None,
            move |args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>| {
                call_registered(args.py(), &shared, name, kwargs)
            },
        )?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("name", name)?;
        kwargs.set_item("desc", &entry.description)?;
        kwargs.set_item("args", pythonize::pythonize(py, &entry.args)?)?;
        tools.append(tool_class.call((func,), Some(&kwargs))?)?;
    }
    Ok(tools)
}

/// Run `dspy.ReAct(SIGNATURE, tools=tools)` on a question and return its answer
/// (from step react-tools).
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

/// Ask the shop's agent, which has every registered tool.
#[pyfunction]
fn ask(py: Python<'_>, question: &str) -> PyResult<String> {
    let tools = dspy_tools(py)?;
    run_agent(py, question, &tools)
}

#[pymodule]
fn tool_registry(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(tool_names, m)?)?;
    m.add_function(wrap_pyfunction!(call_tool, m)?)?;
    m.add_function(wrap_pyfunction!(dspy_tools, m)?)?;
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
