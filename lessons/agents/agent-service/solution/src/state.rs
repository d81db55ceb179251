//! The conversation's state on disk, from step agent-state: saved atomically after every
//! step, refused (never overwritten) when it cannot be trusted.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::PyErr;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub thought: String,
    pub tool: String,
    pub args: Value,
    pub observation: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AgentState {
    version: u32,
    pub question: String,
    pub steps: Vec<Step>,
    pub answer: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
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
    pub fn load_or_new(path: &Path, question: &str) -> Result<Self, StateError> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(AgentState { version: STATE_VERSION, question: question.into(), steps: Vec::new(), answer: None })
            }
            Err(source) => return Err(StateError::Io { path: path.into(), source }),
        };
        let state: AgentState =
            serde_json::from_slice(&bytes).map_err(|source| StateError::Corrupt { path: path.into(), source })?;
        if state.version != STATE_VERSION {
            return Err(StateError::Version { path: path.into(), found: state.version });
        }
        if state.question != question {
            return Err(StateError::OtherQuestion { path: path.into(), found: state.question, asked: question.into() });
        }
        Ok(state)
    }

    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let io = |source| StateError::Io { path: path.into(), source };
        let bytes = serde_json::to_vec_pretty(self).map_err(|source| StateError::Corrupt { path: path.into(), source })?;
        let tmp = path.with_extension("json.tmp");
        let mut file = fs::File::create(&tmp).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
        fs::rename(&tmp, path).map_err(io)
    }
}
