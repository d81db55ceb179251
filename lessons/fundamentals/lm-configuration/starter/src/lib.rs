use std::fs;

use pyo3::exceptions::{PyNotImplementedError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Deserialize;

/// The `[lm]` table of the service's config file. It names the environment variable
/// that holds the key — never the key itself, so the file can be committed and logged.
#[pyclass(get_all, frozen)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LmConfig {
    /// "provider/name": "openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5", "ollama_chat/llama3.2".
    model: String,
    /// The environment variable holding the key; `None` for a local server.
    #[serde(default)]
    api_key_env: Option<String>,
    #[serde(default)]
    api_base: Option<String>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    max_tokens: Option<u32>,
}

#[pymethods]
impl LmConfig {
    fn __repr__(&self) -> String {
        format!("{self:?}")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    lm: LmConfig,
}

/// The provider prefix of a model string; a bare name is OpenAI's, as in DSPy.
fn provider_of(model: &str) -> &str {
    model
        .split_once('/')
        .map_or("openai", |(provider, _)| provider)
}

/// Ollama serves on your machine and takes no key.
#[allow(dead_code)] // TODO: remove once key_env_for and build_lm use it
fn is_local(model: &str) -> bool {
    matches!(provider_of(model), "ollama" | "ollama_chat")
}

/// The environment variable that holds the key for a model's provider:
/// `openai/…` → `OPENAI_API_KEY`, `anthropic/…` → `ANTHROPIC_API_KEY`, `ollama_chat/…` → none.
#[pyfunction]
fn key_env_for(model: &str) -> Option<String> {
    // TODO: the variable for this model's provider (see the doc comment above).
    let _ = model;
    None
}

/// Read `[lm]` from a TOML file; `LM_MODEL` in the environment overrides the model.
#[pyfunction]
fn load_config(path: &str) -> PyResult<LmConfig> {
    let text = fs::read_to_string(path)
        .map_err(|e| PyValueError::new_err(format!("cannot read the config file {path}: {e}")))?;
    let file: ConfigFile =
        toml::from_str(&text).map_err(|e| PyValueError::new_err(format!("{path}: {e}")))?;
    let config = file.lm;
    // TODO: a non-empty LM_MODEL in the environment replaces the file's model.
    // TODO: when the file names no api_key_env, take key_env_for(model).
    Ok(config)
}

/// The key from the environment variable the config names, or a clear error now —
/// not a 401 from the provider at the first request.
#[allow(dead_code)] // TODO: remove once build_lm uses it
fn api_key(config: &LmConfig) -> PyResult<Option<String>> {
    // TODO: no api_key_env → Ok(None); otherwise the variable's value, and an error
    //       naming the variable when it is unset or empty. Never the config file.
    let _ = config;
    Ok(None)
}

/// `dspy.LM(model, api_key=..., api_base=..., temperature=..., max_tokens=...)`,
/// passing only what the config sets.
#[pyfunction]
fn build_lm<'py>(py: Python<'py>, config: &LmConfig) -> PyResult<Bound<'py, PyAny>> {
    // TODO: call dspy.LM(config.model, ...) with keyword arguments for only what the
    //       config sets: the key (api_key), api_base (Ollama's ends in /v1),
    //       temperature, max_tokens.
    let _ = (py, config);
    Err(PyNotImplementedError::new_err(
        "TODO: build dspy.LM from the config",
    ))
}

/// `dspy.configure(lm=build_lm(config))`: the process-wide default LM.
#[pyfunction]
fn configure(py: Python<'_>, config: &LmConfig) -> PyResult<()> {
    // TODO: make build_lm(config) DSPy's default LM.
    let _ = (py, config);
    Err(PyNotImplementedError::new_err(
        "TODO: dspy.configure(lm=...)",
    ))
}

/// Run `dspy.Predict("question -> answer")` with whatever LM is in effect.
fn predict(py: Python<'_>, question: &str) -> PyResult<String> {
    let predict = py
        .import("dspy")?
        .getattr("Predict")?
        .call1(("question -> answer",))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("question", question)?;
    let prediction = gil_probe::attach("predict", |_py| predict.call((), Some(&kwargs)))?;
    prediction.getattr("answer")?.extract()
}

/// Ask with the LM set by `configure`.
#[pyfunction]
fn ask(py: Python<'_>, question: &str) -> PyResult<String> {
    predict(py, question)
}

/// Ask with the config's LM for this one call only:
/// `with dspy.context(lm=build_lm(config)): ...`.
#[pyfunction]
fn ask_with(py: Python<'_>, config: &LmConfig, question: &str) -> PyResult<String> {
    // TODO: run predict(py, question) inside dspy.context(lm=build_lm(config)), and
    //       leave the context again whether or not the call failed.
    let _ = (py, config, question);
    Err(PyNotImplementedError::new_err(
        "TODO: ask inside dspy.context(lm=...)",
    ))
}

#[pymodule]
fn lm_configuration(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<LmConfig>()?;
    m.add_function(wrap_pyfunction!(key_env_for, m)?)?;
    m.add_function(wrap_pyfunction!(load_config, m)?)?;
    m.add_function(wrap_pyfunction!(build_lm, m)?)?;
    m.add_function(wrap_pyfunction!(configure, m)?)?;
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    m.add_function(wrap_pyfunction!(ask_with, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
