use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

create_exception!(
    cost_tracking,
    BudgetExceededError,
    PyException,
    "The budget is spent: the LM was not called."
);

/// Money in nano-dollars: integer sums never drift, and one token of a $0.10 / 1M
/// tokens model (100 n$) is still exact.
type Nanos = u64;

fn to_usd(nanos: Nanos) -> f64 {
    nanos as f64 / 1e9
}

#[derive(Debug, thiserror::Error)]
enum CostError {
    #[error("budget spent: ${spent:.6} of ${budget:.6} used; raise the budget or wait for the next period")]
    BudgetExceeded { spent: f64, budget: f64 },
    #[error(
        "no price for model {model:?}: add it to `prices` (USD per 1M input and output tokens)"
    )]
    UnknownModel { model: String },
    #[error("bad price for {model:?}: prices are USD per 1M tokens, finite and >= 0")]
    BadPrice { model: String },
}

impl From<CostError> for PyErr {
    fn from(e: CostError) -> PyErr {
        match e {
            CostError::BudgetExceeded { .. } => BudgetExceededError::new_err(e.to_string()),
            CostError::UnknownModel { .. } | CostError::BadPrice { .. } => {
                PyValueError::new_err(e.to_string())
            }
        }
    }
}

/// Nano-dollars per token, for input (prompt) and output (completion) tokens.
#[derive(Debug, Clone, Copy)]
struct Price {
    input: Nanos,
    output: Nanos,
}

impl Price {
    /// From USD per 1M tokens, as providers publish them: $2.50 / 1M = 2500 n$ a token.
    fn per_million(model: &str, input_usd: f64, output_usd: f64) -> Result<Self, CostError> {
        let nanos = |usd: f64| {
            (usd.is_finite() && usd >= 0.0)
                .then(|| (usd * 1000.0).round() as Nanos)
                .ok_or_else(|| CostError::BadPrice {
                    model: model.to_string(),
                })
        };
        Ok(Self {
            input: nanos(input_usd)?,
            output: nanos(output_usd)?,
        })
    }
}

/// One model's tokens, as `Prediction.get_lm_usage()` reports them.
#[derive(Debug, Default, Clone, Copy)]
struct Tokens {
    prompt: u64,
    completion: u64,
}

#[derive(Debug, Default)]
struct Ledger {
    spent: Nanos,
    tokens: Tokens,
}

#[pyclass(frozen)]
struct CostTracker {
    prices: HashMap<String, Price>,
    budget: Nanos,
    ledger: Mutex<Ledger>,
    predict: Py<PyAny>,
}

impl CostTracker {
    fn ledger(&self) -> PyResult<MutexGuard<'_, Ledger>> {
        self.ledger
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the cost ledger's lock is poisoned"))
    }

    /// Price every model's usage; an unpriced model is an error, never free.
    fn cost(&self, usage: &HashMap<String, Tokens>) -> Result<Nanos, CostError> {
        usage.iter().try_fold(0, |total, (model, tokens)| {
            let price = self
                .prices
                .get(model)
                .ok_or_else(|| CostError::UnknownModel {
                    model: model.clone(),
                })?;
            Ok(total + tokens.prompt * price.input + tokens.completion * price.output)
        })
    }
}

/// `prediction.get_lm_usage()`: `{model: {"prompt_tokens": n, "completion_tokens": n, …}}`,
/// or None when nothing was tracked.
fn lm_usage(prediction: &Bound<'_, PyAny>) -> PyResult<HashMap<String, Tokens>> {
    let usage = prediction.call_method0("get_lm_usage")?;
    if usage.is_none() {
        return Ok(HashMap::new());
    }
    let mut by_model = HashMap::new();
    for (model, entry) in usage.cast::<PyDict>()?.iter() {
        let count = |key: &str| -> PyResult<u64> {
            Ok(entry
                .get_item(key)
                .ok()
                .map(|v| v.extract::<Option<u64>>())
                .transpose()?
                .flatten()
                .unwrap_or(0))
        };
        let tokens = Tokens {
            prompt: count("prompt_tokens")?,
            completion: count("completion_tokens")?,
        };
        by_model.insert(model.extract::<String>()?, tokens);
    }
    Ok(by_model)
}

#[pymethods]
impl CostTracker {
    /// `prices`: model → (USD per 1M input tokens, USD per 1M output tokens).
    #[new]
    fn new(py: Python<'_>, prices: HashMap<String, (f64, f64)>, budget_usd: f64) -> PyResult<Self> {
        let prices = prices
            .into_iter()
            .map(|(model, (input, output))| {
                Price::per_million(&model, input, output).map(|price| (model, price))
            })
            .collect::<Result<HashMap<_, _>, _>>()?;
        if !(budget_usd.is_finite() && budget_usd >= 0.0) {
            return Err(PyValueError::new_err(
                "budget_usd must be a finite number >= 0",
            ));
        }
        let predict = py
            .import("dspy")?
            .getattr("Predict")?
            .call1(("question -> answer",))?
            .unbind();
        Ok(Self {
            prices,
            budget: (budget_usd * 1e9).round() as Nanos,
            ledger: Mutex::new(Ledger::default()),
            predict,
        })
    }

    #[getter]
    fn spent_usd(&self) -> PyResult<f64> {
        Ok(to_usd(self.ledger()?.spent))
    }

    #[getter]
    fn remaining_usd(&self) -> PyResult<f64> {
        Ok(to_usd(self.budget.saturating_sub(self.ledger()?.spent)))
    }

    /// (prompt tokens, completion tokens) used so far.
    #[getter]
    fn tokens(&self) -> PyResult<(u64, u64)> {
        let tokens = self.ledger()?.tokens;
        Ok((tokens.prompt, tokens.completion))
    }

    /// Ask the LM unless the budget is spent. A call's cost is known only after it, so
    /// the last call may overshoot the budget; the next one is refused.
    fn ask(&self, py: Python<'_>, question: &str) -> PyResult<String> {
        {
            let ledger = self.ledger()?;
            if ledger.spent >= self.budget {
                return Err(CostError::BudgetExceeded {
                    spent: to_usd(ledger.spent),
                    budget: to_usd(self.budget),
                }
                .into());
            }
        }
        // `with dspy.context(track_usage=True):` only around this call: the setting
        // does not leak into the rest of the process.
        let settings = PyDict::new(py);
        settings.set_item("track_usage", true)?;
        let context = py
            .import("dspy")?
            .call_method("context", (), Some(&settings))?;
        context.call_method0("__enter__")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("question", question)?;
        let called = gil_probe::attach("predict", |_py| {
            self.predict.bind(py).call((), Some(&kwargs))
        });
        let none = py.None();
        context.call_method1("__exit__", (&none, &none, &none))?;
        let prediction = called?;

        let usage = lm_usage(&prediction)?;
        let cost = self.cost(&usage)?;
        let mut ledger = self.ledger()?;
        ledger.spent += cost;
        for tokens in usage.values() {
            ledger.tokens.prompt += tokens.prompt;
            ledger.tokens.completion += tokens.completion;
        }
        drop(ledger);
        prediction.getattr("answer")?.extract()
    }
}

#[pymodule]
fn cost_tracking(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CostTracker>()?;
    m.add(
        "BudgetExceededError",
        m.py().get_type::<BudgetExceededError>(),
    )?;
    gil_probe::register(m)?;
    Ok(())
}
