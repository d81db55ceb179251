//! The Rust tools, from step tool-registry: argument structs validated by serde and
//! described by their doc comments (schemars).

use std::collections::BTreeMap;

use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyValueError};
use pyo3::PyErr;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

const ORDERS: &[(&str, &str, u32)] = &[
    ("A-1042", "shipped on 2026-11-20 with DHL, tracking JD0142", 4_990),
    ("A-1043", "packed, waiting for pickup", 1_250),
];

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("no tool named {name:?}; the registry has {known:?}")]
    Unknown { name: String, known: Vec<&'static str> },
    #[error("bad arguments for {tool}: {source}")]
    BadArgs { tool: &'static str, source: serde_json::Error },
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

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
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

pub trait RustTool: DeserializeOwned + JsonSchema {
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

/// Refund part of an order to the customer's card, in cents.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Refund {
    /// The order id, like A-1042.
    order_id: String,
    /// How much to refund, in cents (500 is 5.00 EUR).
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

pub struct Entry {
    pub description: String,
    pub args: Value,
    call: fn(Value) -> Result<String, ToolError>,
}

fn invoke<T: RustTool>(args: Value) -> Result<String, ToolError> {
    let parsed: T = serde_json::from_value(args).map_err(|source| ToolError::BadArgs { tool: T::NAME, source })?;
    parsed.run().map_err(|reason| ToolError::Failed { tool: T::NAME, reason })
}

#[derive(Default)]
pub struct Registry {
    pub tools: BTreeMap<&'static str, Entry>,
}

impl Registry {
    pub fn shop() -> Result<Self, RegistryError> {
        let mut registry = Registry::default();
        registry.register::<OrderStatus>()?;
        registry.register::<Refund>()?;
        Ok(registry)
    }

    fn register<T: RustTool>(&mut self) -> Result<(), RegistryError> {
        let schema = schemars::schema_for!(T).to_value();
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .ok_or(RegistryError::Undocumented(T::NAME))?
            .to_string();
        let args = schema.get("properties").cloned().unwrap_or_else(|| Value::Object(Default::default()));
        if self.tools.contains_key(T::NAME) {
            return Err(RegistryError::Duplicate(T::NAME));
        }
        self.tools.insert(T::NAME, Entry { description, args, call: invoke::<T> });
        Ok(())
    }

    pub fn call(&self, name: &str, args: Value) -> Result<String, ToolError> {
        let entry = self.tools.get(name).ok_or_else(|| ToolError::Unknown {
            name: name.to_string(),
            known: self.tools.keys().copied().collect(),
        })?;
        (entry.call)(args)
    }
}
