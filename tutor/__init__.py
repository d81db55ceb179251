"""pyo3dspy-tutor: learn to drive DSPy from Rust through PyO3."""

__version__ = "0.1.0"
