//! The shop's agent as a service: a registry of validated Rust tools, state that
//! survives a restart, retries and timeouts, and a trajectory log — the agents module
//! in one place. `handle` is where they meet.

mod log;
mod registry;
mod retry;
mod state;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyException, PyKeyError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyList, PyTuple};
use serde_json::Value;

use log::{LogLine, TrajectoryLog};
use registry::Registry;
use retry::{call_guarded, Policy};
use state::{AgentState, Step};

/// The agent's task: a question in, an answer out. ReAct adds the tool loop around it.
const SIGNATURE: &str = "question -> answer";
const MAX_STEPS: usize = 8;

fn new_run_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// A conversation id becomes a file name: letters, digits, '-' and '_' only, so that
/// "../etc/passwd" cannot choose where the state is written.
fn check_conversation_id(id: &str) -> PyResult<()> {
    let ok = (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "conversation id {id:?} must be 1 to 64 letters, digits, '-' or '_'"
        )))
    }
}

/// The steps so far as ReAct's trajectory dict.
fn trajectory<'py>(py: Python<'py>, steps: &[Step]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (i, step) in steps.iter().enumerate() {
        dict.set_item(format!("thought_{i}"), &step.thought)?;
        dict.set_item(format!("tool_name_{i}"), &step.tool)?;
        dict.set_item(format!("tool_args_{i}"), pythonize::pythonize(py, &step.args)?)?;
        dict.set_item(format!("observation_{i}"), &step.observation)?;
    }
    Ok(dict)
}

#[pyclass(frozen)]
struct AgentService {
    state_dir: PathBuf,
    registry: Arc<Registry>,
    python_tools: Vec<Py<PyAny>>,
    policy: Policy,
}

impl AgentService {
    /// Every tool by name, as `dspy.Tool`s: the registry's Rust tools, then the caller's.
    fn tools<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let tool_class = py.import("dspy")?.getattr("Tool")?;
        let tools = PyDict::new(py);
        for (&name, entry) in &self.registry.tools {
            let registry = Arc::clone(&self.registry);
            let func = PyCFunction::new_closure(
                py,
                None,
                None,
                move |args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<String> {
                    let value: Value = match kwargs {
                        Some(kwargs) => pythonize::depythonize(kwargs.as_any())?,
                        None => Value::Object(Default::default()),
                    };
                    Ok(args.py().detach(|| registry.call(name, value))?)
                },
            )?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("name", name)?;
            kwargs.set_item("desc", &entry.description)?;
            kwargs.set_item("args", pythonize::pythonize(py, &entry.args)?)?;
            tools.set_item(name, tool_class.call((func,), Some(&kwargs))?)?;
        }
        for func in &self.python_tools {
            let tool = tool_class.call1((func.bind(py),))?;
            tools.set_item(tool.getattr("name")?, tool)?;
        }
        Ok(tools)
    }

    /// Call one tool under the retry policy; an ordinary error becomes the observation.
    fn observe(&self, py: Python<'_>, tools: &Bound<'_, PyDict>, name: &str, args: &Bound<'_, PyDict>) -> PyResult<(String, bool)> {
        let Some(tool) = tools.get_item(name)? else {
            return Ok((format!("Execution error in {name}: no such tool"), false));
        };
        match call_guarded(py, name, &tool.unbind(), &args.clone().unbind(), self.policy) {
            Ok(value) => Ok((value.bind(py).str()?.to_string(), true)),
            Err(err) if err.is_instance_of::<PyException>(py) => Ok((format!("Execution error in {name}: {err}"), false)),
            Err(err) => Err(err), // KeyboardInterrupt, SystemExit: stop; the state is on disk
        }
    }
}

#[pymethods]
impl AgentService {
    #[new]
    #[pyo3(signature = (state_dir, tools=None, attempts=3, base_delay_s=0.05, timeout_s=1.0))]
    fn new(state_dir: PathBuf, tools: Option<&Bound<'_, PyList>>, attempts: u32, base_delay_s: f64, timeout_s: f64) -> PyResult<Self> {
        std::fs::create_dir_all(&state_dir)
            .map_err(|e| PyOSError::new_err(format!("cannot create {}: {e}", state_dir.display())))?;
        Ok(AgentService {
            state_dir,
            registry: Arc::new(Registry::shop()?),
            python_tools: tools.map(|t| t.iter().map(Bound::unbind).collect()).unwrap_or_default(),
            policy: Policy::new(attempts, base_delay_s, timeout_s)?,
        })
    }

    /// The names of every tool the agent has.
    fn tool_names(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.tools(py)?.keys().extract()
    }

    /// Call one tool as the agent would: validation, retries, timeout.
    #[pyo3(signature = (name, args=None))]
    fn call_tool(&self, py: Python<'_>, name: &str, args: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
        let tools = self.tools(py)?;
        let tool = tools.get_item(name)?.ok_or_else(|| PyKeyError::new_err(format!("no tool named {name:?}")))?;
        let args = args.map_or_else(|| PyDict::new(py), Bound::clone);
        call_guarded(py, name, &tool.unbind(), &args.unbind(), self.policy)?.bind(py).str().map(|s| s.to_string())
    }

    /// Answer a question in a conversation. The conversation's state is saved after every
    /// step in `<state_dir>/<conversation>.json`, and every step is logged to
    /// `<state_dir>/trajectory.jsonl`; calling again after an interruption resumes.
    fn handle(&self, py: Python<'_>, conversation: &str, question: &str) -> PyResult<String> {
        check_conversation_id(conversation)?;
        let state_path = self.state_dir.join(format!("{conversation}.json"));
        let mut state = AgentState::load_or_new(&state_path, question)?;
        if let Some(answer) = &state.answer {
            return Ok(answer.clone());
        }
        let mut log = TrajectoryLog::open(&self.state_dir.join("trajectory.jsonl"))?;
        let run_id = new_run_id();
        let started = Instant::now();

        let tools = self.tools(py)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("tools", tools.values())?;
        let agent = py.import("dspy")?.getattr("ReAct")?.call((SIGNATURE,), Some(&kwargs))?;
        // ReAct's own dict: the same tools plus its `finish`.
        let by_name = agent.getattr("tools")?.cast_into::<PyDict>()?;
        let inputs = PyDict::new(py);
        inputs.set_item("question", question)?;

        let finished = |steps: &[Step]| steps.last().is_some_and(|s| s.tool == "finish");
        let mut ran = 0;
        while !finished(&state.steps) && state.steps.len() < MAX_STEPS {
            inputs.set_item("trajectory", agent.call_method1("_format_trajectory", (trajectory(py, &state.steps)?,))?)?;
            let lm_start = Instant::now();
            let pred = gil_probe::attach("react_step", |_py| agent.getattr("react")?.call((), Some(&inputs)))?;
            let lm_ms = ms(lm_start);
            let tool: String = pred.getattr("next_tool_name")?.extract()?;
            let args = pred.getattr("next_tool_args")?;
            let tool_start = Instant::now();
            let (observation, ok) = self.observe(py, &by_name, &tool, args.cast::<PyDict>()?)?;
            let tool_ms = ms(tool_start);

            let step = Step {
                thought: pred.getattr("next_thought")?.extract()?,
                tool,
                args: pythonize::depythonize(&args)?,
                observation,
            };
            state.steps.push(step.clone());
            state.save(&state_path)?;
            log.write(&LogLine::Step {
                conversation,
                run_id: &run_id,
                step: state.steps.len() - 1,
                thought: &step.thought,
                tool: &step.tool,
                args: &step.args,
                observation: &step.observation,
                ok,
                lm_ms,
                tool_ms,
            })?;
            ran += 1;
        }

        inputs.set_item("trajectory", agent.call_method1("_format_trajectory", (trajectory(py, &state.steps)?,))?)?;
        let extract = gil_probe::attach("extract", |_py| agent.getattr("extract")?.call((), Some(&inputs)))?;
        let answer: String = extract.getattr("answer")?.extract()?;
        state.answer = Some(answer.clone());
        state.save(&state_path)?;
        log.write(&LogLine::Answer { conversation, run_id: &run_id, answer: &answer, steps: ran, total_ms: ms(started) })?;
        Ok(answer)
    }
}

#[pymodule]
fn agent_service(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<AgentService>()?;
    gil_probe::register(m)?;
    Ok(())
}
