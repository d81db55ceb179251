use std::sync::Arc;
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::JoinSet;

const SIGNATURE: &str = "question -> answer";

/// The same runtime as in tokio-asyncio, configured once at import.
fn init_runtime() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(4)
        .thread_name("dspy-tokio")
        .enable_all();
    pyo3_async_runtimes::tokio::init(builder);
}

/// Adaptive concurrency, AIMD (what TCP does with its window): one more call in flight
/// after each call that met the latency target, half as many after one that did not.
struct Controller {
    limit: usize,
    max: usize,
    target: Duration,
}

impl Controller {
    fn new(max: usize, target: Duration) -> Self {
        Controller {
            limit: 1,
            max,
            target,
        }
    }

    /// Adjust the limit after one call; returns the new limit.
    fn observe(&mut self, latency: Duration, ok: bool) -> usize {
        self.limit = if ok && latency <= self.target {
            (self.limit + 1).min(self.max)
        } else {
            (self.limit / 2).max(1)
        };
        self.limit
    }
}

/// What a run did. `peak_queued` is the most items ever waiting in the channel: the
/// memory the pipeline needed, whatever the input size.
#[pyclass(get_all)]
struct PipelineReport {
    answers: Vec<String>,
    peak_queued: usize,
    peak_in_flight: usize,
    producer_waits: usize,
    limits: Vec<usize>,
}

/// One `await predict.acall(question=...)`, as in tokio-asyncio.
async fn one_call(predict: &Py<PyAny>, question: String) -> PyResult<String> {
    let pending = gil_probe::attach("start_acall", |py| {
        let kwargs = PyDict::new(py);
        kwargs.set_item("question", &question)?;
        let coroutine = predict.bind(py).call_method("acall", (), Some(&kwargs))?;
        pyo3_async_runtimes::tokio::into_future(coroutine)
    })?;
    let prediction = pending.await?;
    gil_probe::attach("read_answer", |py| {
        prediction.bind(py).getattr("answer")?.extract::<String>()
    })
}

/// A finished call: the question's index, how long it took, its answer.
type Done = (usize, Duration, PyResult<String>);

/// The consumer's bookkeeping: the controller, every limit it chose, the answers.
struct Consumer {
    controller: Controller,
    limits: Vec<usize>,
    answers: Vec<Option<String>>,
}

impl Consumer {
    fn finish(&mut self, done: Result<Done, tokio::task::JoinError>) -> PyResult<()> {
        let (index, latency, answer) = done.map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        self.limits
            .push(self.controller.observe(latency, answer.is_ok()));
        self.answers[index] = Some(answer?);
        Ok(())
    }
}

/// `await process(questions, capacity, target_ms, max_concurrency)`: a producer pushes
/// the questions into a channel of `capacity`; a consumer runs them through DSPy with
/// an adaptive number of calls in flight.
#[pyfunction]
fn process(
    py: Python<'_>,
    questions: Vec<String>,
    capacity: usize,
    target_ms: u64,
    max_concurrency: usize,
) -> PyResult<Bound<'_, PyAny>> {
    if capacity == 0 || max_concurrency == 0 {
        return Err(PyValueError::new_err(
            "capacity and max_concurrency must be at least 1",
        ));
    }
    let predict = Arc::new(
        py.import("dspy")?
            .getattr("Predict")?
            .call1((SIGNATURE,))?
            .unbind(),
    );
    let locals = pyo3_async_runtimes::tokio::get_current_locals(py)?;
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let total = questions.len();
        let (tx, mut rx) = mpsc::channel::<(usize, String)>(capacity);
        // The fast producer: it only ever waits on the channel.
        let producer = tokio::spawn(async move {
            let (mut waits, mut peak_queued) = (0, 0);
            for item in questions.into_iter().enumerate() {
                let sent = match tx.try_send(item) {
                    Ok(()) => Ok(()),
                    Err(TrySendError::Full(item)) => {
                        waits += 1; // the channel is full: backpressure
                        tx.send(item).await.map_err(drop)
                    }
                    Err(TrySendError::Closed(_)) => Err(()),
                };
                if sent.is_err() {
                    break; // the consumer stopped (an error): nothing left to do
                }
                // Items now in the channel: its bound minus the free slots.
                peak_queued = peak_queued.max(tx.max_capacity() - tx.capacity());
            }
            (waits, peak_queued)
        });

        // The slow consumer: takes an item only when the limit allows another call.
        let mut consumer = Consumer {
            controller: Controller::new(max_concurrency, Duration::from_millis(target_ms)),
            limits: vec![1],
            answers: vec![None; total],
        };
        let mut calls: JoinSet<Done> = JoinSet::new();
        let mut peak_in_flight = 0;
        loop {
            while calls.len() >= consumer.controller.limit {
                if let Some(done) = calls.join_next().await {
                    consumer.finish(done)?;
                }
            }
            let Some((index, question)) = rx.recv().await else {
                break;
            };
            let predict = Arc::clone(&predict);
            calls.spawn(pyo3_async_runtimes::tokio::scope(
                locals.clone(),
                async move {
                    let start = Instant::now();
                    let answer = one_call(&predict, question).await;
                    (index, start.elapsed(), answer)
                },
            ));
            peak_in_flight = peak_in_flight.max(calls.len());
        }
        while let Some(done) = calls.join_next().await {
            consumer.finish(done)?;
        }
        let (producer_waits, peak_queued) = producer
            .await
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let answers: Vec<String> = consumer.answers.into_iter().flatten().collect();
        if answers.len() != total {
            return Err(PyRuntimeError::new_err(format!(
                "{} of {total} questions were lost between producer and consumer",
                total - answers.len()
            )));
        }
        Ok(PipelineReport {
            answers,
            peak_queued,
            peak_in_flight,
            producer_waits,
            limits: consumer.limits,
        })
    })
}

#[pymodule]
fn backpressure(m: &Bound<'_, PyModule>) -> PyResult<()> {
    init_runtime();
    m.add_class::<PipelineReport>()?;
    m.add_function(wrap_pyfunction!(process, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
