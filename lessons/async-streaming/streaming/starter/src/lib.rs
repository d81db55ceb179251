use std::ffi::CStr;
use std::sync::Arc;

use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokio::sync::{mpsc, Mutex};

const SIGNATURE: &str = "question -> answer";
const FIELD: &str = "answer";
/// Room for this many events between the producer task and the Python consumer.
const CHANNEL_CAPACITY: usize = 16;

/// The same runtime as in tokio-asyncio, configured once at import.
fn init_runtime() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(4)
        .thread_name("dspy-tokio")
        .enable_all();
    pyo3_async_runtimes::tokio::init(builder);
}

/// What travels over the channel: plain Rust data, except the error.
#[allow(dead_code)] // TODO: remove once stream_answer sends Event::Failed
enum Event {
    Chunk { field: String, text: String },
    Final { answer: String },
    Failed(PyErr),
}

/// `async for kind, field, text in stream_answer(question)`: the answer word by word
/// as ("chunk", field, text), then ("final", field, whole answer).
#[pyclass]
struct ChunkStream {
    rx: Arc<Mutex<mpsc::Receiver<Event>>>,
}

#[pymethods]
impl ChunkStream {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rx = Arc::clone(&self.rx);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            match rx.lock().await.recv().await {
                Some(Event::Chunk { field, text }) => Ok(("chunk".to_string(), field, text)),
                Some(Event::Final { answer }) => {
                    Ok(("final".to_string(), FIELD.to_string(), answer))
                }
                Some(Event::Failed(err)) => Err(err),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }
}

/// Start streaming `question`'s answer. Must be called inside a running event loop.
#[pyfunction]
fn stream_answer(py: Python<'_>, question: &str) -> PyResult<ChunkStream> {
    // streamify(program, stream_listeners=[StreamListener(signature_field_name="answer")])
    let dspy = py.import("dspy")?;
    let program = dspy.getattr("Predict")?.call1((SIGNATURE,))?;
    let listener_kwargs = PyDict::new(py);
    listener_kwargs.set_item("signature_field_name", FIELD)?;
    let listener = dspy
        .getattr("streaming")?
        .getattr("StreamListener")?
        .call((), Some(&listener_kwargs))?;
    let stream_kwargs = PyDict::new(py);
    stream_kwargs.set_item("stream_listeners", vec![listener])?;
    let streaming = dspy
        .getattr("streamify")?
        .call((program,), Some(&stream_kwargs))?;
    let call_kwargs = PyDict::new(py);
    call_kwargs.set_item("question", question)?;
    let generator = streaming.call((), Some(&call_kwargs))?.unbind();

    // TODO: make a bounded channel (CHANNEL_CAPACITY), and spawn a task on the module's
    //       runtime that runs `forward(generator, tx)` with this event loop in scope;
    //       if forward fails, send its error over the channel as Event::Failed.
    let (_tx, rx) = mpsc::channel::<Event>(CHANNEL_CAPACITY);
    let _ = generator;
    Ok(ChunkStream {
        rx: Arc::new(Mutex::new(rx)),
    })
}

/// One asyncio task must own the generator from first item to last: streamify runs an
/// anyio task group inside it, and a task group refuses to be resumed by another task.
/// So the loop is Python's `async for`, in one task; every item goes to Rust at once.
const PUMP: &CStr = c"
async def pump(generator, forward):
    try:
        async for item in generator:
            if not await forward(item):
                break  # the Rust receiver is gone
    finally:
        await generator.aclose()
";

/// Called by `pump` with each item; the awaitable it returns waits for room in the
/// channel (backpressure) and says whether anyone still receives.
#[pyclass]
struct Forwarder {
    tx: mpsc::Sender<Event>,
}

#[pymethods]
impl Forwarder {
    fn __call__<'py>(&self, item: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        // TODO: turn the item into an Event (read_event) now, while you hold the GIL;
        //       return an awaitable that sends it into the channel, waiting for room,
        //       and resolves to whether the receiver is still there (True) or gone.
        let _ = &self.tx;
        pyo3_async_runtimes::tokio::future_into_py(item.py(), async move { Ok(false) })
    }
}

#[allow(dead_code)] // TODO: remove once stream_answer spawns it
/// Run `pump(generator, Forwarder)` on the event loop and wait for it to finish.
async fn forward(generator: Py<PyAny>, tx: mpsc::Sender<Event>) -> PyResult<()> {
    let pumped = gil_probe::attach("start_pump", |py| {
        let pump = PyModule::from_code(py, PUMP, c"streaming_pump.py", c"streaming_pump")?
            .getattr("pump")?;
        pyo3_async_runtimes::tokio::into_future(pump.call1((generator, Forwarder { tx }))?)
    })?;
    pumped.await.map(drop)
}

#[allow(dead_code)] // TODO: remove once Forwarder calls it
/// A StreamResponse becomes a Chunk, the final Prediction a Final; anything else
/// (status messages) is skipped.
fn read_event(item: &Bound<'_, PyAny>) -> PyResult<Option<Event>> {
    let py = item.py();
    let dspy = py.import("dspy")?;
    if item.is_instance(&dspy.getattr("streaming")?.getattr("StreamResponse")?)? {
        let field: String = item.getattr("signature_field_name")?.extract()?;
        let text: String = item.getattr("chunk")?.extract()?;
        // The listener ends with an empty last chunk: nothing to forward.
        return Ok((!text.is_empty()).then_some(Event::Chunk { field, text }));
    }
    if item.is_instance(&dspy.getattr("Prediction")?)? {
        let answer: String = item.getattr(FIELD)?.extract()?;
        return Ok(Some(Event::Final { answer }));
    }
    Ok(None)
}

#[pymodule]
fn streaming(m: &Bound<'_, PyModule>) -> PyResult<()> {
    init_runtime();
    m.add_class::<ChunkStream>()?;
    m.add_function(wrap_pyfunction!(stream_answer, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
