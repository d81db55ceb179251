use std::sync::Mutex;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

create_exception!(
    circuit_breaker,
    CircuitOpenError,
    PyException,
    "The breaker is open: the LM was not called."
);

/// The three states of a circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Calls go through; consecutive failures are counted.
    Closed { failures: u32 },
    /// Calls are refused until `since + cooldown`.
    Open { since: f64 },
    /// One probe call is in flight; every other call is refused.
    HalfOpen,
}

/// The state machine, pure Rust: it never calls Python and never reads a clock itself.
/// `now` is seconds from whatever clock the caller uses.
#[derive(Debug)]
struct Machine {
    state: State,
    threshold: u32,
    cooldown: f64,
}

impl Machine {
    /// May a call go ahead at `now`? `Err(seconds)` says how long until the next probe.
    fn admit(&mut self, now: f64) -> Result<(), f64> {
        match self.state {
            State::Closed { .. } => Ok(()),
            State::Open { since } if now - since >= self.cooldown => {
                self.state = State::HalfOpen; // this caller is the probe
                Ok(())
            }
            State::Open { since } => Err(since + self.cooldown - now),
            State::HalfOpen => Err(0.0), // a probe is already in flight
        }
    }

    fn on_success(&mut self) {
        self.state = State::Closed { failures: 0 };
    }

    fn on_failure(&mut self, now: f64) {
        self.state = match self.state {
            State::Closed { failures } if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            // the threshold is reached, or the probe failed: open (again) from now
            _ => State::Open { since: now },
        };
    }

    fn name(&self) -> &'static str {
        match self.state {
            State::Closed { .. } => "closed",
            State::Open { .. } => "open",
            State::HalfOpen => "half-open",
        }
    }
}

/// A circuit breaker around `dspy.Predict("question -> answer")`.
///
/// `frozen` + a Mutex: methods take `&self`, so Python code running inside the LM call
/// (another thread, or the LM itself) can still read `state`. The lock is never held
/// while the LM runs.
#[pyclass(frozen)]
struct Breaker {
    machine: Mutex<Machine>,
    clock: Py<PyAny>,
    predict: Py<PyAny>,
    /// `dspy.LMError`: the provider failed. Other errors (a bad input, a parse error)
    /// say nothing about the provider's health and do not count.
    lm_error: Py<PyAny>,
}

impl Breaker {
    fn machine(&self) -> PyResult<std::sync::MutexGuard<'_, Machine>> {
        self.machine
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the breaker's lock is poisoned"))
    }

    fn now(&self, py: Python<'_>) -> PyResult<f64> {
        self.clock.bind(py).call0()?.extract()
    }
}

#[pymethods]
impl Breaker {
    /// `clock` is any callable returning seconds (default `time.monotonic`): a test
    /// passes its own to move time without sleeping.
    #[new]
    #[pyo3(signature = (failure_threshold = 3, cooldown_s = 30.0, clock = None))]
    fn new(
        py: Python<'_>,
        failure_threshold: u32,
        cooldown_s: f64,
        clock: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        if failure_threshold == 0 {
            return Err(PyValueError::new_err("failure_threshold must be at least 1"));
        }
        if cooldown_s.is_nan() || cooldown_s < 0.0 {
            return Err(PyValueError::new_err("cooldown_s must be a number >= 0"));
        }
        let clock = match clock {
            Some(clock) => clock,
            None => py.import("time")?.getattr("monotonic")?.unbind(),
        };
        let dspy = py.import("dspy")?;
        let lm_error = dspy.getattr("LMError")?.unbind();
        let predict = dspy
            .getattr("Predict")?
            .call1(("question -> answer",))?
            .unbind();
        Ok(Self {
            machine: Mutex::new(Machine {
                state: State::Closed { failures: 0 },
                threshold: failure_threshold,
                cooldown: cooldown_s,
            }),
            clock,
            predict,
            lm_error,
        })
    }

    /// "closed", "open" or "half-open".
    #[getter]
    fn state(&self) -> PyResult<&'static str> {
        Ok(self.machine()?.name())
    }

    /// Ask the LM, unless the breaker is open: then raise CircuitOpenError at once.
    fn ask(&self, py: Python<'_>, question: &str) -> PyResult<String> {
        let now = self.now(py)?;
        if let Err(wait) = self.machine()?.admit(now) {
            return Err(CircuitOpenError::new_err(format!(
                "circuit open: the LM is failing; next probe in {wait:.1} s"
            )));
        }
        let kwargs = PyDict::new(py);
        kwargs.set_item("question", question)?;
        let outcome = gil_probe::attach("predict", |_py| {
            self.predict.bind(py).call((), Some(&kwargs))
        })
        .and_then(|prediction| prediction.getattr("answer")?.extract::<String>());
        match outcome {
            Ok(answer) => {
                self.machine()?.on_success();
                Ok(answer)
            }
            Err(err) if err.is_instance(py, self.lm_error.bind(py)) => {
                let now = self.now(py)?;
                self.machine()?.on_failure(now);
                Err(err) // the caller sees the LM's own error
            }
            Err(err) => {
                // The provider answered (a parse error, a bad input): it is healthy.
                self.machine()?.on_success();
                Err(err)
            }
        }
    }
}

#[pymodule]
fn circuit_breaker(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Breaker>()?;
    m.add("CircuitOpenError", m.py().get_type::<CircuitOpenError>())?;
    gil_probe::register(m)?;
    Ok(())
}
