// TODO: remove this line once Program's methods are written (until then some code is unused)
#![allow(dead_code)]

use std::marker::PhantomData;

use pyo3::conversion::FromPyObjectOwned;
use pyo3::exceptions::PyNotImplementedError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

// ---- Signatures as Rust types (given) ----------------------------------------------

/// The DSPy type name of a Rust type, for the signature string.
trait SigType {
    fn py_type() -> String;
}
impl SigType for String {
    fn py_type() -> String {
        "str".into()
    }
}
impl SigType for f64 {
    fn py_type() -> String {
        "float".into()
    }
}
impl SigType for i64 {
    fn py_type() -> String {
        "int".into()
    }
}
impl SigType for bool {
    fn py_type() -> String {
        "bool".into()
    }
}
impl<T: SigType> SigType for Vec<T> {
    fn py_type() -> String {
        format!("list[{}]", T::py_type())
    }
}
impl<T: SigType> SigType for Option<T> {
    fn py_type() -> String {
        format!("Optional[{}]", T::py_type())
    }
}

/// A DSPy signature whose inputs and outputs are Rust structs.
trait Signature {
    type Input;
    type Output: for<'py> FromPyObjectOwned<'py>;
    /// The signature string DSPy parses, made from the struct fields.
    fn spec() -> String;
    /// The input struct as DSPy's keyword arguments.
    fn kwargs<'py>(py: Python<'py>, input: &Self::Input) -> PyResult<Bound<'py, PyDict>>;
}

/// Declares the input and output structs and the `Signature` impl from ONE list of
/// field names: the names DSPy sees are the names the compiler checks.
macro_rules! signature {
    ($name:ident {
        inputs: $input:ident { $($i:ident: $it:ty),* $(,)? },
        outputs: $output:ident { $($o:ident: $ot:ty),* $(,)? } $(,)?
    }) => {
        #[derive(Debug, Clone)]
        struct $input { $($i: $it),* }

        #[derive(Debug, Clone, FromPyObject, IntoPyObject)]
        struct $output { $($o: $ot),* }

        struct $name;

        impl Signature for $name {
            type Input = $input;
            type Output = $output;

            fn spec() -> String {
                let inputs: Vec<String> =
                    vec![$(format!("{}: {}", stringify!($i), <$it as SigType>::py_type())),*];
                let outputs: Vec<String> =
                    vec![$(format!("{}: {}", stringify!($o), <$ot as SigType>::py_type())),*];
                format!("{} -> {}", inputs.join(", "), outputs.join(", "))
            }

            fn kwargs<'py>(py: Python<'py>, input: &Self::Input) -> PyResult<Bound<'py, PyDict>> {
                let kwargs = PyDict::new(py);
                $(kwargs.set_item(stringify!($i), &input.$i)?;)*
                Ok(kwargs)
            }
        }
    };
}

signature!(Qa {
    inputs: QaInput { question: String },
    outputs: QaOutput {
        answer: String,
        confidence: f64
    },
});

// ---- A program that cannot run before it has an LM --------------------------------

/// Type states: they hold no data, they only exist in the type.
struct Unconfigured;
struct Configured;

/// A `dspy.Predict` for signature `S`, in state `State`. Neither `S` nor `State` is
/// stored anywhere: `PhantomData` tells the compiler the type uses them anyway.
struct Program<S, State = Unconfigured> {
    predict: Py<PyAny>,
    _types: PhantomData<(S, State)>,
}

impl<S: Signature> Program<S, Unconfigured> {
    fn new(py: Python<'_>) -> PyResult<Self> {
        let predict = py.import("dspy")?.getattr("Predict")?.call1((S::spec(),))?;
        Ok(Program {
            predict: predict.unbind(),
            _types: PhantomData,
        })
    }

    /// Give the program its own LM. Checked here, once: after this, `call` exists.
    fn with_lm(self, lm: &Bound<'_, PyAny>) -> PyResult<Program<S, Configured>> {
        // TODO: refuse anything that is not a dspy.BaseLM (a TypeError that says what
        //       to pass), give the Predict this LM, and return the same program in the
        //       Configured state.
        let _ = lm; // remove this line once you use `lm`
        Err(PyNotImplementedError::new_err("TODO: Program::with_lm"))
    }

    /// Use the LM from `dspy.configure(lm=...)` (or the current `dspy.context`).
    fn with_configured_lm(self, py: Python<'_>) -> PyResult<Program<S, Configured>> {
        // TODO: take the LM DSPy is configured with; when there is none, raise a
        //       RuntimeError that tells the caller how to configure one.
        let _ = py; // remove this line once you use `py`
        Err(PyNotImplementedError::new_err(
            "TODO: Program::with_configured_lm",
        ))
    }
}

impl<S: Signature> Program<S, Configured> {
    /// Only a configured program can be called.
    fn call(&self, py: Python<'_>, input: &S::Input) -> PyResult<S::Output> {
        // TODO: run the Predict with the input's fields as keyword arguments and read
        //       the Prediction into S::Output.
        let _ = (py, input); // remove this line once you use them
        Err(PyNotImplementedError::new_err("TODO: Program::call"))
    }
}

/// The signature string DSPy sees, derived from the Rust structs.
#[pyfunction]
fn spec() -> String {
    Qa::spec()
}

/// Ask with the given LM, or with the configured one.
#[pyfunction]
#[pyo3(signature = (question, lm=None))]
fn ask(py: Python<'_>, question: String, lm: Option<Bound<'_, PyAny>>) -> PyResult<QaOutput> {
    let program = Program::<Qa>::new(py)?;
    let program = match lm {
        Some(lm) => program.with_lm(&lm)?,
        None => program.with_configured_lm(py)?,
    };
    gil_probe::attach("predict", |py| program.call(py, &QaInput { question }))
}

#[pymodule]
fn compile_time_safety(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(spec, m)?)?;
    m.add_function(wrap_pyfunction!(ask, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
