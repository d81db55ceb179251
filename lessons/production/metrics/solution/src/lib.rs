use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// How an LM call ended. An enum, not a string: the label can only ever take these
/// values, so the number of time series is fixed (never one per question or user).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
enum Outcome {
    Ok,
    Error,
}

impl EncodeLabelValue for Outcome {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
        })
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    outcome: Outcome,
}

/// The exposition is read by the server thread, never by Python: no GIL needed to scrape.
struct Exposition {
    registry: Registry,
}

impl Exposition {
    fn render(&self) -> Result<String, std::fmt::Error> {
        let mut body = String::new();
        prometheus_client::encoding::text::encode(&mut body, &self.registry)?;
        Ok(body)
    }
}

const CONTENT_TYPE: &[u8] = b"application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Answer scrapes on `server` until it is unblocked.
fn serve_scrapes(server: &tiny_http::Server, exposition: &Exposition) {
    for request in server.incoming_requests() {
        let response = match (request.url(), exposition.render()) {
            ("/metrics", Ok(body)) => {
                let response = tiny_http::Response::from_string(body);
                match tiny_http::Header::from_bytes(&b"Content-Type"[..], CONTENT_TYPE) {
                    Ok(header) => response.with_header(header),
                    Err(()) => response,
                }
            }
            ("/metrics", Err(_)) => {
                tiny_http::Response::from_string("encoding failed").with_status_code(500)
            }
            _ => tiny_http::Response::from_string("not found: scrape /metrics")
                .with_status_code(404),
        };
        // A scraper that hung up is its own problem, not the service's.
        let _ = request.respond(response);
    }
}

struct Running {
    server: Arc<tiny_http::Server>,
    thread: JoinHandle<()>,
}

/// LM call metrics for one `dspy.Predict("question -> answer")`, exposed on /metrics.
#[pyclass(frozen)]
struct Metrics {
    exposition: Arc<Exposition>,
    calls: Family<CallLabels, Counter>,
    latency: Histogram,
    predict: Py<PyAny>,
    running: Mutex<Option<Running>>,
}

#[pymethods]
impl Metrics {
    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        let calls = Family::<CallLabels, Counter>::default();
        // 5 ms .. ~41 s: LM calls are slow, the default web buckets would put most
        // of them in +Inf.
        let latency = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        let mut registry = Registry::default();
        registry.register("lm_requests", "LM calls, by outcome", calls.clone());
        registry.register(
            "lm_latency_seconds",
            "Wall time of one LM call",
            latency.clone(),
        );
        let predict = py
            .import("dspy")?
            .getattr("Predict")?
            .call1(("question -> answer",))?
            .unbind();
        Ok(Self {
            exposition: Arc::new(Exposition { registry }),
            calls,
            latency,
            predict,
            running: Mutex::new(None),
        })
    }

    /// Serve /metrics on 127.0.0.1:`port` (0: any free port) from a Rust thread.
    /// Returns the port.
    #[pyo3(signature = (port = 0))]
    fn serve(&self, port: u16) -> PyResult<u16> {
        let mut running = self
            .running
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the metrics server lock is poisoned"))?;
        if running.is_some() {
            return Err(PyRuntimeError::new_err("the metrics server is already running"));
        }
        let server = tiny_http::Server::http(("127.0.0.1", port))
            .map_err(|e| PyOSError::new_err(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        let bound = server
            .server_addr()
            .to_ip()
            .map(|addr| addr.port())
            .ok_or_else(|| PyOSError::new_err("the metrics server has no IP address"))?;
        let server = Arc::new(server);
        let exposition = Arc::clone(&self.exposition);
        let thread = std::thread::Builder::new()
            .name("metrics-http".into())
            .spawn({
                let server = Arc::clone(&server);
                move || serve_scrapes(&server, &exposition)
            })
            .map_err(|e| PyOSError::new_err(format!("cannot start the metrics thread: {e}")))?;
        *running = Some(Running { server, thread });
        Ok(bound)
    }

    /// Stop serving and join the server thread.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let running = self
            .running
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the metrics server lock is poisoned"))?
            .take();
        if let Some(Running { server, thread }) = running {
            server.unblock();
            py.detach(|| thread.join())
                .map_err(|_| PyRuntimeError::new_err("the metrics thread panicked"))?;
        }
        Ok(())
    }

    /// Ask the LM and record the call's outcome and latency.
    fn ask(&self, py: Python<'_>, question: &str) -> PyResult<String> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("question", question)?;
        let started = Instant::now();
        let result = gil_probe::attach("predict", |_py| {
            self.predict.bind(py).call((), Some(&kwargs))
        })
        .and_then(|prediction| prediction.getattr("answer")?.extract::<String>());
        self.latency.observe(started.elapsed().as_secs_f64());
        let outcome = if result.is_ok() { Outcome::Ok } else { Outcome::Error };
        self.calls.get_or_create(&CallLabels { outcome }).inc();
        result
    }
}

impl Drop for Metrics {
    /// A Metrics dropped without stop() still frees its port: unblock the server so
    /// its thread ends (it is not joined here, where the GIL may be held).
    fn drop(&mut self) {
        if let Ok(running) = self.running.get_mut() {
            if let Some(running) = running.as_ref() {
                running.server.unblock();
            }
        }
    }
}

#[pymodule]
fn metrics(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Metrics>()?;
    gil_probe::register(m)?;
    Ok(())
}
