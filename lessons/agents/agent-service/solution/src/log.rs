//! The trajectory log, from step trajectory-log: one JSON line per step, appended as it
//! happens, then one for the answer.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::PyResult;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LogLine<'a> {
    Step {
        conversation: &'a str,
        run_id: &'a str,
        step: usize,
        thought: &'a str,
        tool: &'a str,
        args: &'a Value,
        observation: &'a str,
        ok: bool,
        lm_ms: f64,
        tool_ms: f64,
    },
    Answer {
        conversation: &'a str,
        run_id: &'a str,
        answer: &'a str,
        steps: usize,
        total_ms: f64,
    },
}

pub struct TrajectoryLog {
    file: File,
    path: PathBuf,
}

impl TrajectoryLog {
    pub fn open(path: &Path) -> PyResult<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| PyOSError::new_err(format!("cannot open the trajectory log {}: {e}", path.display())))?;
        Ok(TrajectoryLog { file, path: path.into() })
    }

    pub fn write(&mut self, line: &LogLine<'_>) -> PyResult<()> {
        let mut bytes =
            serde_json::to_vec(line).map_err(|e| PyValueError::new_err(format!("cannot encode a log line: {e}")))?;
        bytes.push(b'\n');
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.flush())
            .map_err(|e| PyOSError::new_err(format!("cannot write to {}: {e}", self.path.display())))
    }
}
