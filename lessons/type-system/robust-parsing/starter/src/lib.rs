use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// What we want: DSPy checks these types and refuses a reply that does not fit.
const TYPED: &str = "message -> sentiment: Literal['positive', 'neutral', 'negative'], \
     confidence: float, topics: list[str]";
/// The fallback: the same fields as plain text, which DSPy always accepts. Rust parses them.
#[allow(dead_code)] // TODO: remove once read() falls back to it
const LENIENT: &str = "message -> sentiment: str, confidence: str, topics: str";

const SENTIMENTS: [&str; 3] = ["positive", "neutral", "negative"];

/// A reading of a message, and how it was obtained.
#[pyclass(get_all)]
#[derive(Debug)]
struct Reading {
    sentiment: String,
    confidence: f64,
    topics: Vec<String>,
    /// "typed" when DSPy parsed the reply, "lenient" when Rust had to.
    parser: &'static str,
    /// One entry per field that needed a fallback, e.g. "confidence: percent".
    repairs: Vec<String>,
}

#[pymethods]
impl Reading {
    fn __repr__(&self) -> String {
        format!("{self:?}")
    }
}

/// `field` could not be read by any fallback.
fn unreadable(field: &str, raw: &str, tried: &str) -> String {
    format!("field `{field}`: could not read {raw:?} (tried: {tried})")
}

/// "0.85", "85%", "high" → (0.85, how). Out of 0..=1 is an error, not a clamp.
fn parse_confidence(raw: &str) -> Result<(f64, &'static str), String> {
    // TODO: also accept a percentage ("85%") and a word ("very high", "high", "medium",
    //       "low"); refuse a value outside 0..=1 instead of clamping it; and when nothing
    //       fits, say what was tried.
    raw.trim()
        .parse::<f64>()
        .map(|number| (number, "number"))
        .map_err(|_| unreadable("confidence", raw, "a number"))
}

/// "Positive", " negative. " → the label; anything else is an error.
fn parse_sentiment(raw: &str) -> Result<(String, &'static str), String> {
    let label = raw
        .trim()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_ascii_lowercase();
    if !SENTIMENTS.contains(&label.as_str()) {
        return Err(unreadable("sentiment", raw, "positive, neutral, negative"));
    }
    let how = if label == raw { "exact" } else { "normalized" };
    Ok((label, how))
}

/// `["a", "b"]` (JSON), "a, b" (a comma list), "" / "none" / "null" (no topics).
fn parse_topics(raw: &str) -> (Vec<String>, &'static str) {
    // TODO: besides a JSON list, accept a comma (or ';' / newline) separated list, and
    //       read "", "none", "null", "n/a" as no topics.
    match serde_json::from_str::<Vec<String>>(raw.trim()) {
        Ok(list) => (list, "json list"),
        Err(_) => (vec![raw.trim().to_string()], "as is"),
    }
}

/// Parse the lenient reply's three strings; pure Rust, so it runs without the GIL.
#[allow(dead_code)] // TODO: remove once read() falls back to it
fn parse_lenient(sentiment: &str, confidence: &str, topics: &str) -> Result<Reading, String> {
    let (sentiment, s_how) = parse_sentiment(sentiment)?;
    let (confidence, c_how) = parse_confidence(confidence)?;
    let (topics, t_how) = parse_topics(topics);
    let repairs = [
        ("sentiment", s_how),
        ("confidence", c_how),
        ("topics", t_how),
    ]
    .into_iter()
    .filter(|(_, how)| !matches!(*how, "exact" | "number" | "json list"))
    .map(|(field, how)| format!("{field}: {how}"))
    .collect();
    Ok(Reading {
        sentiment,
        confidence,
        topics,
        parser: "lenient",
        repairs,
    })
}

fn predict<'py>(py: Python<'py>, signature: &str, message: &str) -> PyResult<Bound<'py, PyAny>> {
    let module = py.import("dspy")?.getattr("Predict")?.call1((signature,))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("message", message)?;
    gil_probe::attach("predict", |_py| module.call((), Some(&kwargs)))
}

/// Read a message: typed first; if DSPy cannot parse the LM's reply into the types,
/// ask again as plain text and parse it in Rust with fallbacks.
#[pyfunction]
fn read(py: Python<'_>, message: &str) -> PyResult<Reading> {
    match predict(py, TYPED, message) {
        Ok(prediction) => Ok(Reading {
            sentiment: prediction.getattr("sentiment")?.extract()?,
            confidence: prediction.getattr("confidence")?.extract()?,
            topics: prediction.getattr("topics")?.extract()?,
            parser: "typed",
            repairs: Vec::new(),
        }),
        // TODO: when DSPy could not parse the reply into the TYPED signature, ask again
        //       with LENIENT and parse its strings with parse_lenient, with the GIL
        //       released. Any other error still goes back to Python.
        Err(err) => Err(err),
    }
}

/// The confidence fallbacks on their own: "85%" → (0.85, "percent").
#[pyfunction]
#[pyo3(name = "parse_confidence")]
fn py_parse_confidence(raw: &str) -> PyResult<(f64, &'static str)> {
    parse_confidence(raw).map_err(PyValueError::new_err)
}

/// The topics fallbacks on their own: "a, b" → (["a", "b"], "comma list").
#[pyfunction]
#[pyo3(name = "parse_topics")]
fn py_parse_topics(raw: &str) -> (Vec<String>, &'static str) {
    parse_topics(raw)
}

#[pymodule]
fn robust_parsing(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Reading>()?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(py_parse_confidence, m)?)?;
    m.add_function(wrap_pyfunction!(py_parse_topics, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
