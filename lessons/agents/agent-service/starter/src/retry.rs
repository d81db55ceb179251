//! Calling a tool under a policy, from step tool-errors: transient errors retried with
//! exponential backoff, a hanging call timed out on its own thread.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use pyo3::exceptions::{PyConnectionError, PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub attempts: u32,
    pub base_delay: Duration,
    pub timeout: Duration,
}

impl Policy {
    pub fn new(attempts: u32, base_delay_s: f64, timeout_s: f64) -> PyResult<Self> {
        if attempts == 0 {
            return Err(PyValueError::new_err("attempts must be at least 1"));
        }
        let seconds = |s: f64, what: &str| {
            Duration::try_from_secs_f64(s)
                .map_err(|_| PyValueError::new_err(format!("{what} must be a number of seconds ≥ 0, got {s}")))
        };
        Ok(Policy {
            attempts,
            base_delay: seconds(base_delay_s, "base_delay_s")?,
            timeout: seconds(timeout_s, "timeout_s")?,
        })
    }

    fn backoff(&self, retry: u32) -> Duration {
        self.base_delay * 2u32.saturating_pow(retry.saturating_sub(1))
    }
}

fn is_transient(py: Python<'_>, err: &PyErr) -> bool {
    err.is_instance_of::<PyConnectionError>(py) || err.is_instance_of::<PyTimeoutError>(py)
}

fn attempt(py: Python<'_>, name: &str, func: &Py<PyAny>, kwargs: &Py<PyDict>, timeout: Duration) -> PyResult<Py<PyAny>> {
    let (tx, rx) = mpsc::channel();
    let (func, kwargs) = (func.clone_ref(py), kwargs.clone_ref(py));
    thread::Builder::new()
        .name(format!("tool-{name}"))
        .spawn(move || {
            let result = Python::attach(|py| func.bind(py).call((), Some(kwargs.bind(py))).map(Bound::unbind));
            let _ = tx.send(result);
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start a thread for {name}: {e}")))?;
    match py.detach(move || rx.recv_timeout(timeout)) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(PyTimeoutError::new_err(format!(
            "{name} did not answer within {:.2} s",
            timeout.as_secs_f64()
        ))),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(PyRuntimeError::new_err(format!("{name}'s thread ended without a result"))),
    }
}

fn describe(py: Python<'_>, err: &PyErr) -> String {
    let kind = err.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Error".to_string());
    format!("{kind}: {}", err.value(py))
}

/// Call `func(**kwargs)` under the policy.
pub fn call_guarded(py: Python<'_>, name: &str, func: &Py<PyAny>, kwargs: &Py<PyDict>, policy: Policy) -> PyResult<Py<PyAny>> {
    let mut retry = 0;
    loop {
        match attempt(py, name, func, kwargs, policy.timeout) {
            Ok(value) => return Ok(value),
            Err(err) if is_transient(py, &err) && retry + 1 < policy.attempts => {
                retry += 1;
                let delay = policy.backoff(retry);
                py.detach(|| thread::sleep(delay));
            }
            Err(err) if is_transient(py, &err) => {
                let failed = PyRuntimeError::new_err(format!(
                    "{name} failed after {} attempts: {}; it may work later, or use another tool",
                    policy.attempts,
                    describe(py, &err)
                ));
                failed.set_cause(py, Some(err));
                return Err(failed);
            }
            Err(err) => return Err(err),
        }
    }
}
