//! `gil-probe`: time how long Rust code waits for, holds and gives up the GIL,
//! per call-site label.
//!
//! Wrap the Python work you want measured:
//!
//! ```ignore
//! // json.dumps(value), timed under "dumps"; `value` is a `Bound<PyAny>`
//! let text: String = gil_probe::attach("dumps", |py| -> PyResult<String> {
//!     py.import("json")?.getattr("dumps")?.call1((value,))?.extract()
//! })?;
//! // inside a #[pyfunction] that has `py`: plain Rust work with the GIL released
//! let clean = gil_probe::detach(py, "normalise", || text.trim().to_lowercase());
//! ```
//!
//! and call [`register`] from the `#[pymodule]` so the tutor can read the samples with
//! `module._gil_probe_drain()`.
//!
//! What each number means (see README.md):
//!
//! * `wait_ns`: time this thread waited to become attached — from just before
//!   `Python::attach` to the first line inside its closure (outermost attaches only), and
//!   from the end of a [`detach`]ed closure until the thread is attached again.
//! * `hold_ns`: time spent inside an [`attach`] closure (every attach, nested or not).
//! * `detached_ns`: time spent inside a [`detach`]ed closure.
//! * `init_ns`: an outermost attach that had to start the interpreter first (embedding);
//!   kept apart so that start-up does not pose as a GIL wait.
//! * `nested`: how many [`attach`] calls found the thread already attached (a Python
//!   caller, or an enclosing attach). They record a hold but no wait: there was nothing
//!   to wait for, and a 0 would drag the wait percentiles down.
//! * `dropped`: samples not stored because a list was full ([`MAX_SAMPLES`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, Once};
use std::time::Instant;

use pyo3::marker::Ungil;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// At most this many samples are kept per list and label; later samples are counted in
/// [`Samples::dropped`] instead.
pub const MAX_SAMPLES: usize = 100_000;

/// The samples recorded for one label since the last drain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Samples {
    /// Nanoseconds waited to become attached (outermost attach, or re-attach after detach).
    pub wait_ns: Vec<u64>,
    /// Nanoseconds spent inside an `attach` closure.
    pub hold_ns: Vec<u64>,
    /// Nanoseconds spent inside a `detach` closure.
    pub detached_ns: Vec<u64>,
    /// Nanoseconds of an outermost attach that first had to initialize the interpreter.
    pub init_ns: Vec<u64>,
    /// `attach` calls made while the thread was already attached (no wait recorded).
    pub nested: u64,
    /// Samples not stored because their list already held [`MAX_SAMPLES`].
    pub dropped: u64,
}

impl Samples {
    fn push(list: &mut Vec<u64>, dropped: &mut u64, ns: u64) {
        if list.len() < MAX_SAMPLES {
            list.push(ns);
        } else {
            *dropped += 1;
        }
    }
}

static STORE: Mutex<Option<HashMap<&'static str, Samples>>> = Mutex::new(None);

fn store() -> MutexGuard<'static, Option<HashMap<&'static str, Samples>>> {
    // A panic while the lock is held cannot leave the map inconsistent (every update is a
    // single push or increment), so a poisoned lock is simply reused.
    STORE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Run `update` on the samples of `label`. Never calls into Python, so the store's lock
/// is never held across a GIL acquisition (no lock-order deadlock with the GIL).
fn with_samples(label: &'static str, update: impl FnOnce(&mut Samples)) {
    let mut guard = store();
    update(
        guard
            .get_or_insert_with(HashMap::new)
            .entry(label)
            .or_default(),
    );
}

#[inline]
fn nanos(from: Instant, to: Instant) -> u64 {
    u64::try_from(to.saturating_duration_since(from).as_nanos()).unwrap_or(u64::MAX)
}

/// What the thread's state was just before `Python::attach`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Before {
    /// Not attached: this attach is the outermost one and may have to wait.
    Detached,
    /// Already attached (called from Python, or inside another attach).
    Attached,
    /// The interpreter was not running yet: this attach starts it (auto-initialize).
    Uninitialized,
}

#[inline]
fn state_before_attach() -> Before {
    // SAFETY: both functions may be called at any time, with or without a thread state,
    // and before the interpreter is initialized (Py_IsInitialized is checked first because
    // PyGILState_Check answers 1 when the runtime's thread-state key does not exist yet).
    unsafe {
        if pyo3::ffi::Py_IsInitialized() == 0 {
            Before::Uninitialized
        } else if pyo3::ffi::PyGILState_Check() != 0 {
            Before::Attached
        } else {
            Before::Detached
        }
    }
}

/// `Python::attach(f)`, timed under `label`.
///
/// Records `wait` (just before `Python::attach` → first line inside the closure) for the
/// outermost attach only, and `hold` (time inside the closure) for every attach. An
/// attach made while the thread is already attached (a `#[pyfunction]` called from
/// Python, or an enclosing attach) counts as `nested` and records no wait. The samples
/// are stored after the GIL has been given back when this is the outermost attach. If
/// `f` panics, nothing is recorded.
pub fn attach<F, R>(label: &'static str, f: F) -> R
where
    F: for<'py> FnOnce(Python<'py>) -> R,
{
    report_at_exit_once();
    let before = state_before_attach();
    let t0 = Instant::now();
    let (result, t1, t2) = Python::attach(|py| {
        let t1 = Instant::now();
        let result = f(py);
        (result, t1, Instant::now())
    });
    with_samples(label, |s| {
        match before {
            Before::Detached => Samples::push(&mut s.wait_ns, &mut s.dropped, nanos(t0, t1)),
            Before::Attached => s.nested += 1,
            Before::Uninitialized => Samples::push(&mut s.init_ns, &mut s.dropped, nanos(t0, t1)),
        }
        Samples::push(&mut s.hold_ns, &mut s.dropped, nanos(t1, t2));
    });
    result
}

/// `Python::initialize()`, timed: a program that embeds Python calls this once at the
/// start of `main`, and the interpreter's start-up is recorded as `init` under `label`,
/// kept apart from GIL waits. Does nothing more than `Python::initialize()` (and records
/// nothing) when the interpreter is already running.
pub fn initialize(label: &'static str) {
    if state_before_attach() != Before::Uninitialized {
        Python::initialize();
        return;
    }
    let t0 = Instant::now();
    Python::initialize();
    let ns = nanos(t0, Instant::now());
    with_samples(label, |s| Samples::push(&mut s.init_ns, &mut s.dropped, ns));
}

/// `py.detach(f)`, timed under `label`, with the same bounds as PyO3's `Python::detach`.
///
/// Records `detached` (time inside `f`, stored while still detached) and a `wait` sample
/// for getting the GIL back afterwards (end of `f` → `detach` returned). If `f` panics,
/// nothing is recorded.
pub fn detach<T, F>(py: Python<'_>, label: &'static str, f: F) -> T
where
    F: Ungil + FnOnce() -> T,
    T: Ungil,
{
    let f = AssertUngil(f);
    let AssertUngil((result, t2)) = py.detach(move || {
        let f = f.into_inner();
        let t1 = Instant::now();
        let result = f();
        let t2 = Instant::now();
        with_samples(label, |s| {
            Samples::push(&mut s.detached_ns, &mut s.dropped, nanos(t1, t2))
        });
        AssertUngil((result, Instant::now()))
    });
    let t3 = Instant::now();
    with_samples(label, |s| {
        Samples::push(&mut s.wait_ns, &mut s.dropped, nanos(t2, t3))
    });
    result
}

/// Carries `F`/`T` (already `Ungil`) and an `Instant` through `py.detach`. Without the
/// `nightly` feature `Ungil` is a blanket impl for `Send` types, and the compiler cannot
/// see that a closure capturing an `F: Ungil`, or a tuple holding a `T: Ungil`, is `Send`.
/// Only ever built from `Ungil` contents (the bounds of [`detach`]) and `Instant`s, and
/// never leaves the calling thread: `detach` runs the closure on this same thread.
struct AssertUngil<X>(X);

// SAFETY: see above; every value wrapped is `Ungil` (or an `Instant`).
unsafe impl<X> Send for AssertUngil<X> {}

impl<X> AssertUngil<X> {
    /// By-value method, so a closure captures the whole wrapper (not just field `.0`).
    fn into_inner(self) -> X {
        self.0
    }
}

/// Take every label's samples out of the store, leaving it empty.
pub fn take() -> HashMap<&'static str, Samples> {
    store().take().unwrap_or_default()
}

/// Take the samples (like [`take`]) as a Python dict:
/// `{label: {"wait_ns": [int], "hold_ns": [int], "detached_ns": [int],
///           "init_ns": [int], "nested": int, "dropped": int}}`.
pub fn drain<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
    // Swap the map out under the lock, build Python objects after releasing it.
    let taken = take();
    let out = PyDict::new(py);
    for (label, s) in taken {
        let entry = PyDict::new(py);
        entry.set_item("wait_ns", s.wait_ns)?;
        entry.set_item("hold_ns", s.hold_ns)?;
        entry.set_item("detached_ns", s.detached_ns)?;
        entry.set_item("init_ns", s.init_ns)?;
        entry.set_item("nested", s.nested)?;
        entry.set_item("dropped", s.dropped)?;
        out.set_item(label, entry)?;
    }
    Ok(out)
}

/// `_gil_probe_drain()`: the samples recorded since the last call, and clear them.
#[pyfunction]
#[pyo3(name = "_gil_probe_drain")]
fn gil_probe_drain(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    drain(py)
}

/// Add `_gil_probe_drain()` to an extension module. Call it from your `#[pymodule]`:
///
/// ```ignore
/// #[pymodule]
/// fn my_step(m: &Bound<'_, PyModule>) -> PyResult<()> {
///     gil_probe::register(m)?;
///     Ok(())
/// }
/// ```
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(gil_probe_drain, m)?)
}

/// The samples (like [`take`]) as one JSON object, same shape as [`drain`].
/// For programs that embed Python and have no module to call `_gil_probe_drain()` on.
pub fn take_json() -> String {
    to_json(take())
}

fn to_json(taken: HashMap<&'static str, Samples>) -> String {
    let mut labels: Vec<_> = taken.into_iter().collect();
    labels.sort_by_key(|(label, _)| *label);
    let list = |v: &[u64]| {
        let items: Vec<String> = v.iter().map(u64::to_string).collect();
        format!("[{}]", items.join(","))
    };
    let entries: Vec<String> = labels
        .iter()
        .map(|(label, s)| {
            format!(
                "{}:{{\"wait_ns\":{},\"hold_ns\":{},\"detached_ns\":{},\"init_ns\":{},\"nested\":{},\"dropped\":{}}}",
                json_string(label),
                list(&s.wait_ns),
                list(&s.hold_ns),
                list(&s.detached_ns),
                list(&s.init_ns),
                s.nested,
                s.dropped
            )
        })
        .collect();
    format!("{{{}}}", entries.join(","))
}

/// If the environment variable `GIL_PROBE_OUT` names a file, write [`take_json`] to it
/// and return `Ok(true)`; otherwise leave the samples in place and return `Ok(false)`.
/// A later call in the same process writes `<name>-1.json`, `<name>-2.json`… beside it,
/// so no report overwrites another. A program run by the tutor need not call this: the
/// first [`attach`] arranges for the samples left at exit to be written then.
pub fn write_report() -> std::io::Result<bool> {
    match std::env::var_os("GIL_PROBE_OUT") {
        Some(path) if !path.is_empty() => {
            std::fs::write(free_path(PathBuf::from(path)), take_json())?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

fn free_path(path: PathBuf) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
    let mut candidate = path.clone();
    let mut n = 0;
    while candidate.exists() {
        n += 1;
        candidate = path.with_file_name(format!("{stem}-{n}.json"));
    }
    candidate
}

static AT_EXIT: Once = Once::new();

extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
}

/// Runs when the program exits normally (after `main` returns, or `std::process::exit`):
/// the samples not yet reported. Touches no Python, which may be gone by then.
extern "C" fn report_left_samples() {
    let taken = take();
    if taken.is_empty() {
        return;
    }
    if let Some(path) = std::env::var_os("GIL_PROBE_OUT").filter(|p| !p.is_empty()) {
        let _ = std::fs::write(free_path(PathBuf::from(path)), to_json(taken));
    }
}

/// Only when `GIL_PROBE_OUT` is set (a program the tutor runs): an extension module is
/// never asked to, and a program run by hand writes nothing.
fn report_at_exit_once() {
    AT_EXIT.call_once(|| {
        if std::env::var_os("GIL_PROBE_OUT").is_some_and(|p| !p.is_empty()) {
            // SAFETY: registers a plain `extern "C" fn()` with the C runtime; it lives in
            // this executable (extension modules never register: see above).
            unsafe {
                atexit(report_left_samples);
            }
        }
    });
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
