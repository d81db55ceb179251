use std::sync::{Mutex, MutexGuard};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// FNV-1a, 64 bits: a fixed, documented hash. `std`'s `DefaultHasher` may change
/// between Rust releases, and Python's `hash()` is salted per process: either would
/// move users between arms on the next deploy.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The arm of `user_id`: bucket `fnv1a64("{salt}:{user_id}") % 10_000`, arm A below
/// `split_a * 10_000`. The salt (one per experiment) keeps experiments independent.
fn assign(salt: &str, user_id: &str, split_a: f64) -> Arm {
    let bucket = fnv1a64(format!("{salt}:{user_id}").as_bytes()) % 10_000;
    if (bucket as f64) < split_a * 10_000.0 {
        Arm::A
    } else {
        Arm::B
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Arm {
    A,
    B,
}

impl Arm {
    fn name(self) -> &'static str {
        match self {
            Arm::A => "a",
            Arm::B => "b",
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    trials: u64,
    successes: u64,
}

/// The complementary error function (Numerical Recipes' `erfcc`, |error| < 1.2e-7),
/// enough for a p-value; `std` has no erf.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Two-proportion z-test, pooled: is B's success rate different from A's?
/// Returns (z, two-sided p-value); z > 0 means B does better.
fn two_proportion_z(a: Tally, b: Tally) -> Result<(f64, f64), String> {
    if a.trials == 0 || b.trials == 0 {
        return Err("each arm needs at least one recorded trial".into());
    }
    let (n1, n2) = (a.trials as f64, b.trials as f64);
    let (p1, p2) = (a.successes as f64 / n1, b.successes as f64 / n2);
    let pooled = (a.successes + b.successes) as f64 / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se == 0.0 {
        return Err("every trial had the same outcome: the test is undefined".into());
    }
    let z = (p2 - p1) / se;
    Ok((z, erfc(z.abs() / std::f64::consts::SQRT_2)))
}

/// Program A is `dspy.Predict`, program B `dspy.ChainOfThought`, on one signature.
#[pyclass(frozen)]
struct Experiment {
    salt: String,
    split_a: f64,
    programs: [Py<PyAny>; 2],
    tallies: Mutex<[Tally; 2]>,
}

impl Experiment {
    fn tallies(&self) -> PyResult<MutexGuard<'_, [Tally; 2]>> {
        self.tallies
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the experiment's lock is poisoned"))
    }

    fn index(arm: Arm) -> usize {
        match arm {
            Arm::A => 0,
            Arm::B => 1,
        }
    }
}

#[pymethods]
impl Experiment {
    #[new]
    #[pyo3(signature = (salt, split_a = 0.5))]
    fn new(py: Python<'_>, salt: String, split_a: f64) -> PyResult<Self> {
        if !(0.0..=1.0).contains(&split_a) {
            return Err(PyValueError::new_err(
                "split_a is a share of users: 0.0 to 1.0",
            ));
        }
        let dspy = py.import("dspy")?;
        let signature = "question -> answer";
        let a = dspy.getattr("Predict")?.call1((signature,))?.unbind();
        let b = dspy
            .getattr("ChainOfThought")?
            .call1((signature,))?
            .unbind();
        Ok(Self {
            salt,
            split_a,
            programs: [a, b],
            tallies: Mutex::new([Tally::default(); 2]),
        })
    }

    /// "a" or "b": the same for the same user every time, in every process.
    fn arm(&self, user_id: &str) -> &'static str {
        assign(&self.salt, user_id, self.split_a).name()
    }

    /// Run the user's arm's program. Returns (arm, answer).
    fn ask(
        &self,
        py: Python<'_>,
        user_id: &str,
        question: &str,
    ) -> PyResult<(&'static str, String)> {
        let arm = assign(&self.salt, user_id, self.split_a);
        let kwargs = PyDict::new(py);
        kwargs.set_item("question", question)?;
        let program = self.programs[Self::index(arm)].bind(py);
        let prediction = gil_probe::attach(arm.name(), |_py| program.call((), Some(&kwargs)))?;
        Ok((arm.name(), prediction.getattr("answer")?.extract()?))
    }

    /// Record whether the user's answer was a success (a thumbs-up, a resolved ticket).
    fn record(&self, user_id: &str, success: bool) -> PyResult<()> {
        let arm = assign(&self.salt, user_id, self.split_a);
        let mut tallies = self.tallies()?;
        let tally = &mut tallies[Self::index(arm)];
        tally.trials += 1;
        tally.successes += u64::from(success);
        Ok(())
    }

    /// {"a": (trials, successes), "b": (trials, successes)}
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let tallies = *self.tallies()?;
        let stats = PyDict::new(py);
        for (arm, tally) in [(Arm::A, tallies[0]), (Arm::B, tallies[1])] {
            stats.set_item(arm.name(), (tally.trials, tally.successes))?;
        }
        Ok(stats)
    }

    /// (z, two-sided p-value) of B's success rate against A's.
    fn z_test(&self) -> PyResult<(f64, f64)> {
        let [a, b] = *self.tallies()?;
        two_proportion_z(a, b).map_err(PyValueError::new_err)
    }
}

#[pymodule]
fn ab_testing(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Experiment>()?;
    gil_probe::register(m)?;
    Ok(())
}
