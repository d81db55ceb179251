use pyo3::prelude::*;
use pyo3::types::PyDict;

/// One input is the conversation so far; DSPy renders it as earlier chat turns.
const SIGNATURE: &str = "question, history: dspy.History -> answer";

/// One finished turn. `IntoPyObject` turns it into `{"question": ..., "answer": ...}`,
/// the shape `dspy.History(messages=[...])` expects for this signature.
#[derive(Clone, IntoPyObject)]
#[allow(dead_code)] // TODO: remove once the conversation keeps its turns
struct Turn {
    question: String,
    answer: String,
}

/// A conversation: a DSPy program and the turns so far.
#[pyclass]
struct Conversation {
    /// `dspy.Predict(SIGNATURE)`. A `Py<PyAny>` has no lifetime and is `Send + Sync`,
    /// so a #[pyclass] may own it; a `Bound<'py, PyAny>` lives only while `py` does.
    program: Py<PyAny>,
    // TODO: keep the turns so far. Python code (a DSPy callback, another thread) may
    //       read them while `ask` runs, so `ask` and `turns` take `&self`.
}

#[pymethods]
impl Conversation {
    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        let program = py.import("dspy")?.getattr("Predict")?.call1((SIGNATURE,))?;
        Ok(Self {
            program: program.unbind(),
        })
    }

    /// Ask the next question; the LM sees every earlier turn.
    fn ask(&self, py: Python<'_>, question: &str) -> PyResult<String> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("question", question)?;
        // TODO: pass the turns so far as `history=dspy.History(messages=[...])`, without
        //       holding any lock while DSPy runs.
        let program = self.program.bind(py);
        let prediction = gil_probe::attach("predict", |_py| program.call((), Some(&kwargs)))?;
        let answer: String = prediction.getattr("answer")?.extract()?;
        // TODO: record this turn.
        Ok(answer)
    }

    /// How many turns are done.
    #[getter]
    fn turns(&self) -> usize {
        0 // TODO
    }

    /// The conversation so far, as the `dspy.History` the next `ask` will pass.
    #[getter]
    fn history(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(py.None()) // TODO
    }
}

#[pymodule]
fn module_state(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Conversation>()?;
    gil_probe::register(m)?;
    Ok(())
}
