//! Placeholder so the template builds on its own; a step's starter/src/main.rs replaces it.
//!
//! The embedded interpreter finds its standard library and site-packages from the
//! `python3` first on PATH (or from PYTHONHOME): run the program with the Python that
//! PYO3_PYTHON named at build time first on PATH, or it may import another Python's files.
use pyo3::prelude::*;

fn main() -> PyResult<()> {
    // Start the interpreter first (the template has no `auto-initialize`).
    gil_probe::initialize("interpreter");
    let version = gil_probe::attach("import", |py| -> PyResult<String> {
        py.import("dspy")?.getattr("__version__")?.extract()
    })?;
    println!("Hello from Rust, DSPy {version}");
    Ok(())
}
