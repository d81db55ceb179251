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
#[allow(dead_code)] // TODO: remove once the transitions build every state
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
#[allow(dead_code)] // TODO: remove once the transitions read threshold and cooldown
#[derive(Debug)]
struct Machine {
    state: State,
    threshold: u32,
    cooldown: f64,
}

#[allow(dead_code)] // TODO: remove once ask() uses the Machine
impl Machine {
    /// May a call go ahead at `now`? `Err(seconds)` says how long until the next probe.
    fn admit(&mut self, now: f64) -> Result<(), f64> {
        // TODO: Closed lets every call through. Open refuses until the cooldown has
        //       passed; then this caller becomes the probe (HalfOpen). HalfOpen refuses
        //       everyone else while the probe is in flight.
        let _ = now;
        Ok(())
    }

    /// The provider answered.
    fn on_success(&mut self) {
        // TODO: back to Closed with no failures counted.
    }

    /// The provider failed at `now`.
    fn on_failure(&mut self, now: f64) {
        // TODO: count consecutive failures while Closed; at the threshold, or when the
        //       HalfOpen probe fails, open from `now`.
        let _ = now;
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
    #[allow(dead_code)] // TODO: remove once ask() uses it
    lm_error: Py<PyAny>,
}

impl Breaker {
    fn machine(&self) -> PyResult<std::sync::MutexGuard<'_, Machine>> {
        self.machine
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the breaker's lock is poisoned"))
    }

    #[allow(dead_code)] // TODO: remove once ask() reads the clock
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
        // TODO: read the clock and ask the Machine for admission first; when it refuses,
        //       raise CircuitOpenError (say when the next probe is) without calling the LM.
        let kwargs = PyDict::new(py);
        kwargs.set_item("question", question)?;
        let prediction = gil_probe::attach("predict", |_py| {
            self.predict.bind(py).call((), Some(&kwargs))
        })?;
        // TODO: tell the Machine how the call went: a success, or (only for a
        //       `dspy.LMError`, the provider's fault) a failure at the clock's time.
        //       Either way the caller gets the LM's own answer or error.
        prediction.getattr("answer")?.extract()
    }
}

#[pymodule]
fn circuit_breaker(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Breaker>()?;
    m.add("CircuitOpenError", m.py().get_type::<CircuitOpenError>())?;
    gil_probe::register(m)?;
    Ok(())
}
