use std::fmt;

use eventsource_stream::Event;
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde::Deserialize;

create_exception!(stream_parsing, MalformedStream, PyValueError);

/// The predict name the chunks carry, as DSPy's StreamResponse does.
const PREDICT_NAME: &str = "remote";

/// The same runtime as in tokio-asyncio, configured once at import.
fn init_runtime() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(4)
        .thread_name("dspy-tokio")
        .enable_all();
    pyo3_async_runtimes::tokio::init(builder);
}

/// The JSON in a chunk event's `data:` line.
#[allow(dead_code)] // TODO: remove once read_frame uses it
#[derive(Deserialize)]
struct ChunkData {
    field: String,
    chunk: String,
}

/// One event, understood.
#[allow(dead_code)] // TODO: remove once read_frame builds frames
#[derive(Debug, PartialEq)]
enum Frame {
    Chunk { field: String, chunk: String },
    Done,
}

/// Everything that can be wrong with a stream. None of it is a panic.
#[allow(dead_code)] // TODO: remove once read_frame and parse return every kind
#[derive(Debug)]
enum SseError {
    /// The bytes are not SSE (e.g. not UTF-8).
    Wire(String),
    /// Event `index` (0-based) is SSE but not a chunk we understand.
    BadEvent { index: usize, reason: String },
    /// The server sent `event: error`.
    Server(String),
    /// The bytes ended before `data: [DONE]`.
    Truncated { events: usize },
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SseError::Wire(reason) => write!(f, "not a valid SSE stream: {reason}"),
            SseError::BadEvent { index, reason } => write!(f, "event {index}: {reason}"),
            SseError::Server(message) => write!(f, "the server reported an error: {message}"),
            SseError::Truncated { events } => write!(
                f,
                "the stream ended after {events} events without `data: [DONE]`"
            ),
        }
    }
}

impl From<SseError> for PyErr {
    fn from(err: SseError) -> PyErr {
        match err {
            SseError::Server(_) => PyRuntimeError::new_err(err.to_string()),
            _ => MalformedStream::new_err(err.to_string()),
        }
    }
}

/// Understand one SSE event: `[DONE]`, a chunk (event name `chunk` or none), or an error.
fn read_frame(index: usize, event: &Event) -> Result<Frame, SseError> {
    // TODO: an `error` event is the server's error (its data is the message); a `chunk`
    //       event, a `message` event or one without a name is either `[DONE]` or a
    //       chunk's JSON (ChunkData); JSON that does not fit and any other event type
    //       are a BadEvent that says what was wrong and quotes the data.
    Err(SseError::BadEvent {
        index,
        reason: format!("TODO: read_frame does not understand {:?} yet", event.data),
    })
}

/// Parse the pieces (as a socket delivers them: split anywhere) into frames, up to and
/// including `Done`.
async fn parse(pieces: Vec<Vec<u8>>) -> Result<Vec<Frame>, SseError> {
    // TODO: feed the pieces, in order, to eventsource-stream as one stream of bytes;
    //       read_frame each event (counting them from 0) and stop at Done. A wire error
    //       is SseError::Wire; running out of events before Done is SseError::Truncated.
    let _ = (pieces, read_frame, SseError::Truncated { events: 0 });
    Ok(Vec::new())
}

/// `await parse_sse([b"data: ...", ...])`: the stream as a list of
/// `dspy.streaming.StreamResponse`, ending with one last (empty) chunk per field.
#[pyfunction]
fn parse_sse<'py>(
    py: Python<'py>,
    pieces: Vec<Bound<'py, PyBytes>>,
) -> PyResult<Bound<'py, PyAny>> {
    let pieces: Vec<Vec<u8>> = pieces.iter().map(|p| p.as_bytes().to_vec()).collect();
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let frames = parse(pieces).await?;
        gil_probe::attach("to_stream_responses", |py| {
            let response = py
                .import("dspy")?
                .getattr("streaming")?
                .getattr("StreamResponse")?;
            let mut out = Vec::with_capacity(frames.len());
            let mut fields: Vec<String> = Vec::new();
            for frame in frames {
                match frame {
                    Frame::Chunk { field, chunk } => {
                        if !fields.contains(&field) {
                            fields.push(field.clone());
                        }
                        out.push(
                            response
                                .call1((PREDICT_NAME, field, chunk, false))?
                                .unbind(),
                        );
                    }
                    Frame::Done => {
                        for field in &fields {
                            out.push(response.call1((PREDICT_NAME, field, "", true))?.unbind());
                        }
                    }
                }
            }
            Ok(out)
        })
    })
}

#[pymodule]
fn stream_parsing(m: &Bound<'_, PyModule>) -> PyResult<()> {
    init_runtime();
    m.add("MalformedStream", m.py().get_type::<MalformedStream>())?;
    m.add_function(wrap_pyfunction!(parse_sse, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
