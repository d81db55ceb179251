"""`pyo3dspy-tutor inspect PYFILE[:NAME] [--rust]`: the DSPy modules and signatures of a
Python file (read in a child process, ``child.py``) and serde structs for them (``rust.py``)."""
