use std::fs::{File, OpenOptions};
use std::sync::Mutex;
use std::time::Instant;

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tracing::{field, info, info_span, warn, Dispatch, Span};

/// A DSPy callback written in Rust. DSPy calls `on_module_start` / `on_module_end` with
/// the id it gives the call: the same id the DSPy trace shows, so log lines and trace
/// spans can be joined on it.
#[pyclass(frozen)]
struct DspyHook;

#[pymethods]
impl DspyHook {
    fn on_module_start(
        &self,
        call_id: &str,
        instance: &Bound<'_, PyAny>,
        inputs: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let _ = inputs; // never log inputs: they hold user data
        let module = instance.get_type().name()?.to_string();
        Span::current().record("dspy_call_id", call_id);
        info!(call_id, module, "dspy call started");
        Ok(())
    }

    #[pyo3(signature = (call_id, outputs, exception = None))]
    fn on_module_end(
        &self,
        call_id: &str,
        outputs: &Bound<'_, PyAny>,
        exception: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let _ = outputs;
        match exception {
            None => info!(call_id, "dspy call finished"),
            Some(e) => warn!(call_id, error = %e.get_type().name()?, "dspy call failed"),
        }
        Ok(())
    }
}

/// A program that writes one JSON object per line to `path` for every `ask`.
#[pyclass(frozen)]
struct Service {
    dispatch: Dispatch,
    predict: Py<PyAny>,
}

#[pymethods]
impl Service {
    #[new]
    fn new(py: Python<'_>, path: &str) -> PyResult<Self> {
        let file: File = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| PyOSError::new_err(format!("cannot open the log file {path}: {e}")))?;
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_ansi(false)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(Mutex::new(file))
            .finish();
        let hook = Py::new(py, DspyHook)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("callbacks", vec![hook])?;
        let predict = py
            .import("dspy")?
            .getattr("Predict")?
            .call(("question -> answer",), Some(&kwargs))?
            .unbind();
        Ok(Self {
            // One Dispatch per Service, not a process-wide global: two services (or two
            // tests) in one process write to their own files.
            dispatch: Dispatch::new(subscriber),
            predict,
        })
    }

    /// Ask the LM inside an `ask` span that carries the caller's request id and, once
    /// DSPy has started, the DSPy call id.
    fn ask(&self, py: Python<'_>, question: &str, request_id: &str) -> PyResult<String> {
        tracing::dispatcher::with_default(&self.dispatch, || {
            let span = info_span!("ask", request_id, dspy_call_id = field::Empty);
            let _entered = span.enter();
            let started = Instant::now();
            let kwargs = PyDict::new(py);
            kwargs.set_item("question", question)?;
            let result = gil_probe::attach("predict", |_py| {
                self.predict.bind(py).call((), Some(&kwargs))
            })
            .and_then(|prediction| prediction.getattr("answer")?.extract::<String>());
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            match &result {
                Ok(answer) => info!(elapsed_ms, answer_chars = answer.chars().count(), "answered"),
                Err(e) => warn!(elapsed_ms, error = %e, "ask failed"),
            }
            result
        })
    }
}

#[pymodule]
fn structured_logging(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Service>()?;
    m.add_class::<DspyHook>()?;
    gil_probe::register(m)?;
    Ok(())
}
