use std::sync::{Mutex, MutexGuard, PoisonError};

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// One input is the conversation so far; DSPy renders it as earlier chat turns.
const SIGNATURE: &str = "question, history: dspy.History -> answer";

/// One finished turn. `IntoPyObject` turns it into `{"question": ..., "answer": ...}`,
/// the shape `dspy.History(messages=[...])` expects for this signature.
#[derive(Clone, IntoPyObject)]
struct Turn {
    question: String,
    answer: String,
}

/// A conversation: a DSPy program and the turns so far.
///
/// `frozen`: methods take `&self`, so Python code may read the conversation while `ask`
/// is running (a callback, a status endpoint). What changes sits behind a `Mutex`.
#[pyclass(frozen)]
struct Conversation {
    /// `dspy.Predict(SIGNATURE)`. A `Py<PyAny>` has no lifetime and is `Send + Sync`,
    /// so a #[pyclass] may own it; a `Bound<'py, PyAny>` lives only while `py` does.
    program: Py<PyAny>,
    /// Plain Rust data: readable and appendable without calling Python.
    turns: Mutex<Vec<Turn>>,
}

impl Conversation {
    /// The lock is only ever held for a clone or a push, never across a call into Python.
    /// Those cannot panic half-way, so a poisoned lock still holds consistent data.
    fn turns_lock(&self) -> MutexGuard<'_, Vec<Turn>> {
        self.turns.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `dspy.History(messages=[{"question": ..., "answer": ...}, ...])`.
fn history<'py>(py: Python<'py>, turns: Vec<Turn>) -> PyResult<Bound<'py, PyAny>> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("messages", turns.into_pyobject(py)?)?;
    py.import("dspy")?
        .getattr("History")?
        .call((), Some(&kwargs))
}

#[pymethods]
impl Conversation {
    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        let program = py.import("dspy")?.getattr("Predict")?.call1((SIGNATURE,))?;
        Ok(Self {
            program: program.unbind(),
            turns: Mutex::new(Vec::new()),
        })
    }

    /// Ask the next question; the LM sees every earlier turn.
    fn ask(&self, py: Python<'_>, question: &str) -> PyResult<String> {
        // Copy the turns out and let the lock go *before* calling DSPy: a callback that
        // reads `turns` during the call would otherwise wait for this very thread.
        let so_far = self.turns_lock().clone();
        let kwargs = PyDict::new(py);
        kwargs.set_item("question", question)?;
        kwargs.set_item("history", history(py, so_far)?)?;
        let program = self.program.bind(py);
        let prediction = gil_probe::attach("predict", |_py| program.call((), Some(&kwargs)))?;
        let answer: String = prediction.getattr("answer")?.extract()?;
        self.turns_lock().push(Turn {
            question: question.to_string(),
            answer: answer.clone(),
        });
        Ok(answer)
    }

    /// How many turns are done.
    #[getter]
    fn turns(&self) -> usize {
        self.turns_lock().len()
    }

    /// The conversation so far, as the `dspy.History` the next `ask` will pass.
    #[getter]
    fn history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let so_far = self.turns_lock().clone();
        history(py, so_far)
    }
}

#[pymodule]
fn module_state(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Conversation>()?;
    gil_probe::register(m)?;
    Ok(())
}
