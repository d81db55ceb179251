use std::env;
use std::fs;

use pyo3::exceptions::PyValueError;
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
fn is_local(model: &str) -> bool {
    matches!(provider_of(model), "ollama" | "ollama_chat")
}

/// The environment variable that holds the key for a model's provider:
/// `openai/…` → `OPENAI_API_KEY`, `anthropic/…` → `ANTHROPIC_API_KEY`, `ollama_chat/…` → none.
#[pyfunction]
fn key_env_for(model: &str) -> Option<String> {
    if is_local(model) {
        None
    } else {
        Some(format!("{}_API_KEY", provider_of(model).to_uppercase()))
    }
}

/// Read `[lm]` from a TOML file; `LM_MODEL` in the environment overrides the model.
#[pyfunction]
fn load_config(path: &str) -> PyResult<LmConfig> {
    let text = fs::read_to_string(path)
        .map_err(|e| PyValueError::new_err(format!("cannot read the config file {path}: {e}")))?;
    let file: ConfigFile =
        toml::from_str(&text).map_err(|e| PyValueError::new_err(format!("{path}: {e}")))?;
    let mut config = file.lm;
    if let Some(model) = env::var("LM_MODEL").ok().filter(|m| !m.is_empty()) {
        config.model = model;
    }
    if config.api_key_env.is_none() {
        config.api_key_env = key_env_for(&config.model);
    }
    Ok(config)
}

/// The key from the environment variable the config names, or a clear error now —
/// not a 401 from the provider at the first request.
fn api_key(config: &LmConfig) -> PyResult<Option<String>> {
    let Some(var) = &config.api_key_env else {
        return Ok(None);
    };
    match env::var(var) {
        Ok(key) if !key.trim().is_empty() => Ok(Some(key)),
        _ => Err(PyValueError::new_err(format!(
            "{} needs an API key: set {var} in the environment (keys are never read from the config file)",
            config.model
        ))),
    }
}

/// `dspy.LM(model, api_key=..., api_base=..., temperature=..., max_tokens=...)`,
/// passing only what the config sets.
#[pyfunction]
fn build_lm<'py>(py: Python<'py>, config: &LmConfig) -> PyResult<Bound<'py, PyAny>> {
    let kwargs = PyDict::new(py);
    if let Some(key) = api_key(config)? {
        kwargs.set_item("api_key", key)?;
    }
    if let Some(base) = &config.api_base {
        let base = base.trim_end_matches('/');
        // Ollama's OpenAI-compatible endpoints live under /v1; DSPy does not add it.
        if is_local(&config.model) && !base.ends_with("/v1") {
            kwargs.set_item("api_base", format!("{base}/v1"))?;
        } else {
            kwargs.set_item("api_base", base)?;
        }
    }
    if let Some(temperature) = config.temperature {
        kwargs.set_item("temperature", temperature)?;
    }
    if let Some(max_tokens) = config.max_tokens {
        kwargs.set_item("max_tokens", max_tokens)?;
    }
    py.import("dspy")?
        .getattr("LM")?
        .call((config.model.as_str(),), Some(&kwargs))
}

/// `dspy.configure(lm=build_lm(config))`: the process-wide default LM.
#[pyfunction]
fn configure(py: Python<'_>, config: &LmConfig) -> PyResult<()> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("lm", build_lm(py, config)?)?;
    py.import("dspy")?
        .getattr("configure")?
        .call((), Some(&kwargs))?;
    Ok(())
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
    let kwargs = PyDict::new(py);
    kwargs.set_item("lm", build_lm(py, config)?)?;
    let scope = py
        .import("dspy")?
        .getattr("context")?
        .call((), Some(&kwargs))?;
    scope.call_method0("__enter__")?;
    let answer = predict(py, question);
    // __exit__ runs on both paths: skipping it would leave this LM in place for every
    // later call on this thread.
    let none = py.None();
    scope.call_method1("__exit__", (&none, &none, &none))?;
    answer
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
