use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// What we want: DSPy checks these types and refuses a reply that does not fit.
const TYPED: &str = "message -> sentiment: Literal['positive', 'neutral', 'negative'], \
     confidence: float, topics: list[str]";
/// The fallback: the same fields as plain text, which DSPy always accepts. Rust parses them.
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
    let text = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let parsed = if let Ok(number) = text.parse::<f64>() {
        Some((number, "number"))
    } else if let Some(percent) = text.strip_suffix('%') {
        percent
            .trim()
            .parse::<f64>()
            .ok()
            .map(|p| (p / 100.0, "percent"))
    } else {
        match text.as_str() {
            "very high" => Some((0.95, "word")),
            "high" => Some((0.8, "word")),
            "medium" | "moderate" => Some((0.5, "word")),
            "low" => Some((0.2, "word")),
            _ => None,
        }
    };
    match parsed {
        Some((value, how)) if (0.0..=1.0).contains(&value) => Ok((value, how)),
        Some((value, _)) => Err(format!(
            "field `confidence`: {raw:?} is {value}, outside 0..=1"
        )),
        None => Err(unreadable(
            "confidence",
            raw,
            "a number, a percentage like '85%', a word like 'high'",
        )),
    }
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
    let text = raw.trim();
    if let Ok(list) = serde_json::from_str::<Vec<String>>(text) {
        return (list, "json list");
    }
    if text.is_empty() || ["none", "null", "n/a"].contains(&text.to_ascii_lowercase().as_str()) {
        return (Vec::new(), "empty");
    }
    let topics = text
        .split([',', ';', '\n'])
        .map(|t| t.trim().trim_start_matches('-').trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    (topics, "comma list")
}

/// Parse the lenient reply's three strings; pure Rust, so it runs without the GIL.
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
    let parse_error = py
        .import("dspy.utils.exceptions")?
        .getattr("AdapterParseError")?;
    match predict(py, TYPED, message) {
        Ok(prediction) => Ok(Reading {
            sentiment: prediction.getattr("sentiment")?.extract()?,
            confidence: prediction.getattr("confidence")?.extract()?,
            topics: prediction.getattr("topics")?.extract()?,
            parser: "typed",
            repairs: Vec::new(),
        }),
        Err(err) if err.is_instance(py, &parse_error) => {
            let prediction = predict(py, LENIENT, message)?;
            let sentiment: String = prediction.getattr("sentiment")?.extract()?;
            let confidence: String = prediction.getattr("confidence")?.extract()?;
            let topics: String = prediction.getattr("topics")?.extract()?;
            gil_probe::detach(py, "parse", move || {
                parse_lenient(&sentiment, &confidence, &topics)
            })
            .map_err(PyValueError::new_err)
        }
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
