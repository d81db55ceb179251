use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyException, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyList, PyTuple};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The agent's task: a question in, an answer out. ReAct adds the tool loop around it.
const SIGNATURE: &str = "question -> answer";
/// The most agent steps one question may take, over all resumptions.
const MAX_STEPS: usize = 8;
/// Bumped when the file layout changes: an old file is refused, not misread.
const STATE_VERSION: u32 = 1;

/// One agent step: what the LM decided and what the tool said.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Step {
    thought: String,
    tool: String,
    args: Value,
    observation: String,
}

/// Everything needed to continue an agent after a restart.
#[derive(Debug, Serialize, Deserialize)]
struct AgentState {
    version: u32,
    question: String,
    steps: Vec<Step>,
    /// What the agent chose to remember (the `remember` tool), restored on resume.
    memory: BTreeMap<String, String>,
    answer: Option<String>,
}

#[derive(Debug, thiserror::Error)]
enum StateError {
    #[error("cannot read agent state {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("agent state {path} is not valid: {source}")]
    Corrupt { path: PathBuf, source: serde_json::Error },
    #[error("agent state {path} has version {found}, this agent writes version {STATE_VERSION}")]
    Version { path: PathBuf, found: u32 },
    #[error("agent state {path} belongs to the question {found:?}, not {asked:?}")]
    OtherQuestion { path: PathBuf, found: String, asked: String },
}

impl From<StateError> for PyErr {
    fn from(err: StateError) -> PyErr {
        match err {
            StateError::Io { .. } => PyRuntimeError::new_err(err.to_string()),
            _ => PyValueError::new_err(err.to_string()),
        }
    }
}

impl AgentState {
    fn new(question: &str) -> Self {
        AgentState {
            version: STATE_VERSION,
            question: question.to_string(),
            steps: Vec::new(),
            memory: BTreeMap::new(),
            answer: None,
        }
    }

    /// The saved state for this question, or a fresh one when there is no file yet.
    fn load_or_new(path: &Path, question: &str) -> Result<Self, StateError> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::new(question)),
            Err(source) => return Err(StateError::Io { path: path.into(), source }),
        };
        let state: AgentState = serde_json::from_slice(&bytes)
            .map_err(|source| StateError::Corrupt { path: path.into(), source })?;
        if state.version != STATE_VERSION {
            return Err(StateError::Version { path: path.into(), found: state.version });
        }
        if state.question != question {
            return Err(StateError::OtherQuestion {
                path: path.into(),
                found: state.question,
                asked: question.to_string(),
            });
        }
        Ok(state)
    }

    /// Write to a temporary file in the same folder, flush it to disk, then rename it over
    /// the old file: a crash leaves either the old state or the new one, never half of one.
    fn save(&self, path: &Path) -> Result<(), StateError> {
        let io = |source| StateError::Io { path: path.into(), source };
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|source| StateError::Corrupt { path: path.into(), source })?;
        let tmp = path.with_extension("json.tmp");
        let mut file = fs::File::create(&tmp).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
        fs::rename(&tmp, path).map_err(io)
    }
}

type Memory = Arc<Mutex<BTreeMap<String, String>>>;

fn locked(memory: &Memory) -> PyResult<std::sync::MutexGuard<'_, BTreeMap<String, String>>> {
    memory
        .lock()
        .map_err(|_| PyRuntimeError::new_err("the agent's memory lock is poisoned"))
}

fn kwarg(kwargs: Option<&Bound<'_, PyDict>>, name: &str) -> PyResult<String> {
    kwargs
        .and_then(|k| k.get_item(name).ok().flatten())
        .ok_or_else(|| PyValueError::new_err(format!("missing argument {name:?}")))?
        .extract()
}

/// The `remember` and `recall` tools, over the agent's memory.
fn memory_tools<'py>(py: Python<'py>, memory: &Memory) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let tool = py.import("dspy")?.getattr("Tool")?;
    let key = json!({"type": "string", "description": "a short name for the fact"});

    let facts = Arc::clone(memory);
    let remember = PyCFunction::new_closure(
        py,
        None,
        None,
        move |_args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<String> {
            let (key, value) = (kwarg(kwargs, "key")?, kwarg(kwargs, "value")?);
            locked(&facts)?.insert(key.clone(), value);
            Ok(format!("Remembered {key}."))
        },
    )?;
    let facts = Arc::clone(memory);
    let recall = PyCFunction::new_closure(
        py,
        None,
        None,
        move |_args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<String> {
            let key = kwarg(kwargs, "key")?;
            Ok(locked(&facts)?
                .get(&key)
                .cloned()
                .unwrap_or_else(|| format!("Nothing remembered under {key:?}.")))
        },
    )?;

    let make = |func: Bound<'py, PyCFunction>, name: &str, desc: &str, args: Value| {
        let kwargs = PyDict::new(py);
        kwargs.set_item("name", name)?;
        kwargs.set_item("desc", desc)?;
        kwargs.set_item("args", pythonize::pythonize(py, &args)?)?;
        tool.call((func,), Some(&kwargs))
    };
    Ok(vec![
        make(
            remember,
            "remember",
            "Store a fact under a key; it survives a restart of the agent.",
            json!({"key": key, "value": {"type": "string", "description": "the fact"}}),
        )?,
        make(recall, "recall", "Read back a fact stored with remember.", json!({"key": key}))?,
    ])
}

/// The steps as ReAct's trajectory dict: thought_0, tool_name_0, tool_args_0, observation_0, …
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

/// Run (or resume) the agent on a question, saving its state to `state_path` after every
/// step. A state file for this question continues where it stopped; a finished one
/// returns its answer without asking the LM again.
#[pyfunction]
fn run(py: Python<'_>, question: &str, state_path: PathBuf, tools: &Bound<'_, PyList>) -> PyResult<String> {
    let mut state = AgentState::load_or_new(&state_path, question)?;
    if let Some(answer) = &state.answer {
        return Ok(answer.clone());
    }
    let memory: Memory = Arc::new(Mutex::new(state.memory.clone()));

    let all_tools = PyList::empty(py);
    for tool in tools.iter() {
        all_tools.append(tool)?;
    }
    for tool in memory_tools(py, &memory)? {
        all_tools.append(tool)?;
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("tools", &all_tools)?;
    let agent = py.import("dspy")?.getattr("ReAct")?.call((SIGNATURE,), Some(&kwargs))?;
    let by_name = agent.getattr("tools")?;

    let inputs = PyDict::new(py);
    inputs.set_item("question", question)?;
    let finished = |steps: &[Step]| steps.last().is_some_and(|s| s.tool == "finish");
    while !finished(&state.steps) && state.steps.len() < MAX_STEPS {
        inputs.set_item("trajectory", agent.call_method1("_format_trajectory", (trajectory(py, &state.steps)?,))?)?;
        let pred = gil_probe::attach("react_step", |_py| agent.getattr("react")?.call((), Some(&inputs)))?;
        let tool: String = pred.getattr("next_tool_name")?.extract()?;
        let args = pred.getattr("next_tool_args")?;
        let outcome = by_name
            .get_item(&tool)
            .and_then(|t| t.call((), Some(args.cast::<PyDict>()?)));
        let observation = match outcome {
            Ok(value) => value.str()?.to_string(),
            // An ordinary error is an observation the LM can act on, as in dspy.ReAct.
            Err(err) if err.is_instance_of::<PyException>(py) => format!("Execution error in {tool}: {err}"),
            // KeyboardInterrupt, SystemExit: stop now. The completed steps are on disk.
            Err(err) => return Err(err),
        };
        state.steps.push(Step {
            thought: pred.getattr("next_thought")?.extract()?,
            tool,
            args: pythonize::depythonize(&args)?,
            observation,
        });
        state.memory = locked(&memory)?.clone();
        state.save(&state_path)?;
    }

    inputs.set_item("trajectory", agent.call_method1("_format_trajectory", (trajectory(py, &state.steps)?,))?)?;
    let extract = gil_probe::attach("extract", |_py| agent.getattr("extract")?.call((), Some(&inputs)))?;
    let answer: String = extract.getattr("answer")?.extract()?;
    state.answer = Some(answer.clone());
    state.save(&state_path)?;
    Ok(answer)
}

#[pymodule]
fn agent_state(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
