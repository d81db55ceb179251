use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The agent's task: a question in, an answer out. ReAct adds the tool loop around it.
const SIGNATURE: &str = "question -> answer";
const MAX_STEPS: usize = 6;

/// One line of the log. `#[serde(tag = "event")]` writes the variant as a field:
/// `{"event":"step", …}` or `{"event":"answer", …}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum LogLine {
    Step {
        run_id: String,
        step: usize,
        thought: String,
        tool: String,
        args: Value,
        observation: String,
        ok: bool,
        /// Time the LM took to choose this step.
        lm_ms: f64,
        /// Time the tool took.
        tool_ms: f64,
    },
    Answer {
        run_id: String,
        answer: String,
        steps: usize,
        total_ms: f64,
    },
}

/// An append-only JSON-lines file: one `write_all` per line, flushed at once, so a crash
/// loses at most the line being written and concurrent runs do not interleave lines.
struct TrajectoryLog {
    file: File,
    path: PathBuf,
}

impl TrajectoryLog {
    fn open(path: &Path) -> PyResult<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| PyOSError::new_err(format!("cannot open the trajectory log {}: {e}", path.display())))?;
        Ok(TrajectoryLog { file, path: path.into() })
    }

    fn write(&mut self, line: &LogLine) -> PyResult<()> {
        let mut bytes = serde_json::to_vec(line)
            .map_err(|e| PyValueError::new_err(format!("cannot encode a log line: {e}")))?;
        bytes.push(b'\n');
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.flush())
            .map_err(|e| PyOSError::new_err(format!("cannot write to {}: {e}", self.path.display())))
    }
}

fn read_lines(path: &Path) -> PyResult<Vec<LogLine>> {
    let file = File::open(path)
        .map_err(|e| PyOSError::new_err(format!("cannot open the trajectory log {}: {e}", path.display())))?;
    BufReader::new(file)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let line = line.map_err(|e| PyOSError::new_err(format!("{}: {e}", path.display())))?;
            serde_json::from_str(&line).map_err(|e| {
                PyValueError::new_err(format!("{}:{}: not a trajectory log line: {e}", path.display(), i + 1))
            })
        })
        .collect()
}

fn new_run_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// The steps so far as ReAct's trajectory dict (see agent-state).
fn trajectory<'py>(py: Python<'py>, lines: &[LogLine]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (i, line) in lines.iter().enumerate() {
        if let LogLine::Step { thought, tool, args, observation, .. } = line {
            dict.set_item(format!("thought_{i}"), thought)?;
            dict.set_item(format!("tool_name_{i}"), tool)?;
            dict.set_item(format!("tool_args_{i}"), pythonize::pythonize(py, args)?)?;
            dict.set_item(format!("observation_{i}"), observation)?;
        }
    }
    Ok(dict)
}

/// Run a ReAct agent over `tools`, appending every step to the JSON-lines file `log_path`
/// as it happens, then the answer. Returns the answer.
#[pyfunction]
fn run_logged(py: Python<'_>, question: &str, tools: &Bound<'_, PyList>, log_path: PathBuf) -> PyResult<String> {
    let mut log = TrajectoryLog::open(&log_path)?;
    let run_id = new_run_id();
    let started = Instant::now();

    let kwargs = PyDict::new(py);
    kwargs.set_item("tools", tools)?;
    let agent = py.import("dspy")?.getattr("ReAct")?.call((SIGNATURE,), Some(&kwargs))?;
    let by_name = agent.getattr("tools")?;
    let inputs = PyDict::new(py);
    inputs.set_item("question", question)?;

    let mut steps: Vec<LogLine> = Vec::new();
    while steps.len() < MAX_STEPS {
        inputs.set_item("trajectory", agent.call_method1("_format_trajectory", (trajectory(py, &steps)?,))?)?;
        let lm_start = Instant::now();
        let pred = gil_probe::attach("react_step", |_py| agent.getattr("react")?.call((), Some(&inputs)))?;
        let lm_ms = ms(lm_start);
        let tool: String = pred.getattr("next_tool_name")?.extract()?;
        let args = pred.getattr("next_tool_args")?;

        let tool_start = Instant::now();
        let outcome = by_name.get_item(&tool).and_then(|t| t.call((), Some(args.cast::<PyDict>()?)));
        let tool_ms = ms(tool_start);
        let (observation, ok) = match outcome {
            Ok(value) => (value.str()?.to_string(), true),
            Err(err) if err.is_instance_of::<PyException>(py) => (format!("Execution error in {tool}: {err}"), false),
            Err(err) => return Err(err),
        };
        let line = LogLine::Step {
            run_id: run_id.clone(),
            step: steps.len(),
            thought: pred.getattr("next_thought")?.extract()?,
            tool: tool.clone(),
            args: pythonize::depythonize(&args)?,
            observation,
            ok,
            lm_ms,
            tool_ms,
        };
        log.write(&line)?;
        steps.push(line);
        if tool == "finish" {
            break;
        }
    }

    inputs.set_item("trajectory", agent.call_method1("_format_trajectory", (trajectory(py, &steps)?,))?)?;
    let extract = gil_probe::attach("extract", |_py| agent.getattr("extract")?.call((), Some(&inputs)))?;
    let answer: String = extract.getattr("answer")?.extract()?;
    log.write(&LogLine::Answer {
        run_id,
        answer: answer.clone(),
        steps: steps.len(),
        total_ms: ms(started),
    })?;
    Ok(answer)
}

/// A replayed step whose observation changed: (run_id, step, tool, logged, now).
type Change = (String, usize, String, String, String);

/// Replay a log's tool calls against `tools` (a dict name → callable): each logged step
/// is called again with its logged arguments. Returns the steps whose observation
/// differs, as (run_id, step, tool, logged, now).
#[pyfunction]
fn replay(py: Python<'_>, log_path: PathBuf, tools: &Bound<'_, PyDict>) -> PyResult<Vec<Change>> {
    let mut changed = Vec::new();
    for line in read_lines(&log_path)? {
        let LogLine::Step { run_id, step, tool, args, observation, .. } = line else { continue };
        if tool == "finish" {
            continue;
        }
        let Some(func) = tools.get_item(&tool)? else {
            changed.push((run_id, step, tool, observation, "no such tool now".to_string()));
            continue;
        };
        let kwargs = pythonize::pythonize(py, &args)?;
        let now = match func.call((), Some(kwargs.cast::<PyDict>()?)) {
            Ok(value) => value.str()?.to_string(),
            Err(err) if err.is_instance_of::<PyException>(py) => format!("Execution error in {tool}: {err}"),
            Err(err) => return Err(err),
        };
        if now != observation {
            changed.push((run_id, step, tool, observation, now));
        }
    }
    Ok(changed)
}

#[pymodule]
fn trajectory_log(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run_logged, m)?)?;
    m.add_function(wrap_pyfunction!(replay, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
