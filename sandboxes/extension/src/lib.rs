//! Placeholder so the template builds on its own; a step's starter/src/lib.rs replaces it.
use pyo3::prelude::*;

#[pymodule]
fn step(m: &Bound<'_, PyModule>) -> PyResult<()> {
    gil_probe::register(m)?;
    Ok(())
}
