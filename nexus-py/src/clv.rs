//! The lifetime-value models as Python sees them: `_PurchaseModel` (a fitted BG/NBD,
//! MBG/NBD or Pareto/NBD) and `_GammaGamma` (a fitted spend model).
//!
//! Both private: `nexus.BetaGeo`, `nexus.ModifiedBetaGeo`, `nexus.ParetoNBD` and
//! `nexus.GammaGamma` wrap them. Arrays cross the boundary as little-endian `float64`
//! bytes (the abi3 build has no buffer protocol): the Python layer turns numpy arrays,
//! lists and pandas or polars Series into such bytes, and the results (a `bytearray`) into
//! numpy arrays or lists. Fits and predictions run with the GIL released.

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyByteArray;

use nexus_core::Error;
use nexus_core::analytics::clv::{
    BetaGeo, BetaGeoParams, FittedBetaGeo, FittedGammaGamma, FittedModifiedBetaGeo,
    FittedParetoNbd, GammaGamma, GammaGammaParams, ModifiedBetaGeo, ParetoNbd, ParetoNbdParams,
    PurchaseModel,
};
use nexus_core::analytics::rfm::Unit;

use crate::run;

/// An array argument: `n` little-endian `float64`s.
type Floats = PyBackedBytes;

/// The values of an array argument named `name`.
pub(crate) fn floats(name: &str, bytes: &[u8]) -> Result<Vec<f64>, Error> {
    if bytes.len() % 8 != 0 {
        return Err(Error::invalid_data(
            name,
            None,
            format!(
                "{} bytes is not a whole number of float64 values",
                bytes.len()
            ),
        ));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("chunks_exact gives 8 bytes")))
        .collect())
}

/// A result array as a `bytearray` of little-endian `float64`s.
fn to_bytes<'py>(py: Python<'py>, values: &[f64]) -> PyResult<Bound<'py, PyByteArray>> {
    PyByteArray::new_with(py, values.len() * 8, |buf| {
        for (out, v) in buf.chunks_exact_mut(8).zip(values) {
            out.copy_from_slice(&v.to_le_bytes());
        }
        Ok(())
    })
}

/// Parameters of `$model` (a core params type) read from the JSON text of a dict, as a
/// `Result<_, Error>`; a name the model does not have is refused, not ignored (a macro, so
/// that this crate needs no `serde` of its own).
macro_rules! params_from {
    ($ty:ty, $model:expr, $text:expr) => {
        serde_json::from_str::<$ty>($text)
            .map_err(|e| Error::InvalidArgument {
                name: "params",
                message: format!("not parameters of {}: {e}", $model),
            })
            .and_then(|params| {
                let names: Vec<&str> = params.named().iter().map(|(n, _)| *n).collect();
                let given: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str($text).unwrap_or_default();
                match given.keys().find(|k| !names.contains(&k.as_str())) {
                    Some(k) => Err(Error::InvalidArgument {
                        name: "params",
                        message: format!(
                            "{} has no parameter {k:?} (its parameters: {})",
                            $model,
                            names.join(", ")
                        ),
                    }),
                    None => Ok(params),
                }
            })
    };
}

/// A fitted purchase-count model.
enum Fitted {
    BetaGeo(FittedBetaGeo),
    ModifiedBetaGeo(FittedModifiedBetaGeo),
    ParetoNbd(FittedParetoNbd),
}

impl Fitted {
    fn model(&self) -> &(dyn PurchaseModel + Sync) {
        match self {
            Fitted::BetaGeo(m) => m,
            Fitted::ModifiedBetaGeo(m) => m,
            Fitted::ParetoNbd(m) => m,
        }
    }
}

fn unknown_model(kind: &str) -> Error {
    Error::InvalidArgument {
        name: "model",
        message: format!("{kind:?}: expected \"BetaGeo\", \"ModifiedBetaGeo\" or \"ParetoNbd\""),
    }
}

/// A fitted BG/NBD, MBG/NBD or Pareto/NBD model (private: use `nexus.BetaGeo().fit(...)`
/// and the like).
#[pyclass(module = "nexus._nexus", name = "_PurchaseModel", frozen)]
pub(crate) struct PyPurchaseModel {
    fitted: Fitted,
}

#[pymethods]
impl PyPurchaseModel {
    /// Fits `kind` (`BetaGeo`, `ModifiedBetaGeo` or `ParetoNbd`) to one row per customer;
    /// with `weights`, each row stands for that many identical customers.
    #[staticmethod]
    #[pyo3(signature = (kind, frequency, recency, age, *, penalizer, weights=None))]
    fn fit(
        py: Python<'_>,
        kind: &str,
        frequency: Floats,
        recency: Floats,
        age: Floats,
        penalizer: f64,
        weights: Option<Floats>,
    ) -> PyResult<Self> {
        let fitted = run(py, || {
            let x = floats("frequency", &frequency)?;
            let tx = floats("recency", &recency)?;
            let t = floats("T", &age)?;
            let w = weights
                .as_deref()
                .map(|w| floats("weights", w))
                .transpose()?;
            Ok(match (kind, w) {
                ("BetaGeo", None) => Fitted::BetaGeo(BetaGeo { penalizer }.fit(&x, &tx, &t)?),
                ("BetaGeo", Some(w)) => {
                    Fitted::BetaGeo(BetaGeo { penalizer }.fit_weighted(&x, &tx, &t, &w)?)
                }
                ("ModifiedBetaGeo", None) => {
                    Fitted::ModifiedBetaGeo(ModifiedBetaGeo { penalizer }.fit(&x, &tx, &t)?)
                }
                ("ModifiedBetaGeo", Some(w)) => Fitted::ModifiedBetaGeo(
                    ModifiedBetaGeo { penalizer }.fit_weighted(&x, &tx, &t, &w)?,
                ),
                ("ParetoNbd", None) => Fitted::ParetoNbd(ParetoNbd { penalizer }.fit(&x, &tx, &t)?),
                ("ParetoNbd", Some(w)) => {
                    Fitted::ParetoNbd(ParetoNbd { penalizer }.fit_weighted(&x, &tx, &t, &w)?)
                }
                (other, _) => return Err(unknown_model(other)),
            })
        })?;
        Ok(PyPurchaseModel { fitted })
    }

    /// A model of `kind` from known parameters (the JSON text of a dict), for predictions.
    #[staticmethod]
    fn from_params(py: Python<'_>, kind: &str, params: &str) -> PyResult<Self> {
        let fitted = run(py, || {
            Ok(match kind {
                "BetaGeo" => Fitted::BetaGeo(FittedBetaGeo::new(params_from!(
                    BetaGeoParams,
                    kind,
                    params
                )?)?),
                "ModifiedBetaGeo" => Fitted::ModifiedBetaGeo(FittedModifiedBetaGeo::new(
                    params_from!(BetaGeoParams, kind, params)?,
                )?),
                "ParetoNbd" => Fitted::ParetoNbd(FittedParetoNbd::new(params_from!(
                    ParetoNbdParams,
                    kind,
                    params
                )?)?),
                other => return Err(unknown_model(other)),
            })
        })?;
        Ok(PyPurchaseModel { fitted })
    }

    /// The model's name.
    #[getter]
    fn name(&self) -> &'static str {
        self.fitted.model().name()
    }

    /// The parameters, by name, in the model's order.
    fn params(&self) -> Vec<(&'static str, f64)> {
        match &self.fitted {
            Fitted::BetaGeo(m) => m.params().named(),
            Fitted::ModifiedBetaGeo(m) => m.params().named(),
            Fitted::ParetoNbd(m) => m.params().named(),
        }
    }

    /// The standard errors by name, when the fit has them.
    fn standard_errors(&self) -> Option<Vec<(&'static str, f64)>> {
        match &self.fitted {
            Fitted::BetaGeo(m) => m.standard_errors().map(|p| p.named()),
            Fitted::ModifiedBetaGeo(m) => m.standard_errors().map(|p| p.named()),
            Fitted::ParetoNbd(m) => m.standard_errors().map(|p| p.named()),
        }
    }

    /// The total log-likelihood at the estimate (`None` for a model from parameters).
    #[getter]
    fn log_likelihood(&self) -> Option<f64> {
        match &self.fitted {
            Fitted::BetaGeo(m) => m.log_likelihood(),
            Fitted::ModifiedBetaGeo(m) => m.log_likelihood(),
            Fitted::ParetoNbd(m) => m.log_likelihood(),
        }
    }

    /// The number of customers fitted (0 for a model from parameters).
    #[getter]
    fn n_customers(&self) -> usize {
        match &self.fitted {
            Fitted::BetaGeo(m) => m.n_customers(),
            Fitted::ModifiedBetaGeo(m) => m.n_customers(),
            Fitted::ParetoNbd(m) => m.n_customers(),
        }
    }

    /// Expected purchases of each customer in the next `t` time units.
    fn expected_purchases<'py>(
        &self,
        py: Python<'py>,
        t: f64,
        frequency: Floats,
        recency: Floats,
        age: Floats,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let model = self.fitted.model();
        let out = run(py, || {
            model.expected_purchases(
                t,
                &floats("frequency", &frequency)?,
                &floats("recency", &recency)?,
                &floats("T", &age)?,
            )
        })?;
        to_bytes(py, &out)
    }

    /// Expected repeat purchases of a new customer in `(0, t]`, for each `t`.
    fn expected_purchases_new<'py>(
        &self,
        py: Python<'py>,
        t: Floats,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let model = self.fitted.model();
        let out = run(py, || model.expected_purchases_new(&floats("t", &t)?))?;
        to_bytes(py, &out)
    }

    /// The probability that each customer is still alive.
    fn probability_alive<'py>(
        &self,
        py: Python<'py>,
        frequency: Floats,
        recency: Floats,
        age: Floats,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let model = self.fitted.model();
        let out = run(py, || {
            model.probability_alive(
                &floats("frequency", &frequency)?,
                &floats("recency", &recency)?,
                &floats("T", &age)?,
            )
        })?;
        to_bytes(py, &out)
    }

    /// The probability that a new customer makes exactly `n` repeat purchases in `(0, t]`,
    /// for each `n`.
    fn probability_of_purchases<'py>(
        &self,
        py: Python<'py>,
        n: Vec<u32>,
        t: f64,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let fitted = &self.fitted;
        let out = run(py, || match fitted {
            Fitted::BetaGeo(m) => m.probability_of_purchases(&n, t),
            Fitted::ModifiedBetaGeo(m) => m.probability_of_purchases(&n, t),
            Fitted::ParetoNbd(m) => m.probability_of_purchases(&n, t),
        })?;
        to_bytes(py, &out)
    }
}

/// A fitted Gamma-Gamma spend model (private: use `nexus.GammaGamma().fit(...)`).
#[pyclass(module = "nexus._nexus", name = "_GammaGamma", frozen)]
pub(crate) struct PyGammaGamma {
    fitted: FittedGammaGamma,
}

#[pymethods]
impl PyGammaGamma {
    /// Fits the model to the repeat buyers among the customers.
    #[staticmethod]
    #[pyo3(signature = (frequency, monetary_value, *, penalizer, weights=None))]
    fn fit(
        py: Python<'_>,
        frequency: Floats,
        monetary_value: Floats,
        penalizer: f64,
        weights: Option<Floats>,
    ) -> PyResult<Self> {
        let fitted = run(py, || {
            let x = floats("frequency", &frequency)?;
            let m = floats("monetary_value", &monetary_value)?;
            let model = GammaGamma { penalizer };
            match weights.as_deref() {
                None => model.fit(&x, &m),
                Some(w) => model.fit_weighted(&x, &m, &floats("weights", w)?),
            }
        })?;
        Ok(PyGammaGamma { fitted })
    }

    /// A model from known parameters (the JSON text of a dict with `p`, `q`, `v`).
    #[staticmethod]
    fn from_params(py: Python<'_>, params: &str) -> PyResult<Self> {
        let fitted = run(py, || {
            FittedGammaGamma::new(params_from!(GammaGammaParams, "GammaGamma", params)?)
        })?;
        Ok(PyGammaGamma { fitted })
    }

    /// The parameters by name (`p`, `q`, `v`).
    fn params(&self) -> Vec<(&'static str, f64)> {
        self.fitted.params().named()
    }

    /// The standard errors by name, when the fit has them.
    fn standard_errors(&self) -> Option<Vec<(&'static str, f64)>> {
        self.fitted.standard_errors().map(|p| p.named())
    }

    /// The total log-likelihood at the estimate (`None` for a model from parameters).
    #[getter]
    fn log_likelihood(&self) -> Option<f64> {
        self.fitted.log_likelihood()
    }

    /// The number of repeat buyers fitted.
    #[getter]
    fn n_customers(&self) -> usize {
        self.fitted.n_customers()
    }

    /// The population mean transaction value.
    #[getter]
    fn population_mean(&self) -> f64 {
        self.fitted.population_mean()
    }

    /// The expected mean transaction value of each customer.
    fn expected_average_value<'py>(
        &self,
        py: Python<'py>,
        frequency: Floats,
        monetary_value: Floats,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let fitted = &self.fitted;
        let out = run(py, || {
            fitted.expected_average_value(
                &floats("frequency", &frequency)?,
                &floats("monetary_value", &monetary_value)?,
            )
        })?;
        to_bytes(py, &out)
    }

    /// Customer lifetime value over `months` months under the purchase model `model`
    /// (whose time unit is `unit`), discounted by `discount_rate` a month.
    #[pyo3(signature = (model, frequency, recency, age, monetary_value, *, months, discount_rate, unit))]
    #[allow(clippy::too_many_arguments)]
    fn clv<'py>(
        &self,
        py: Python<'py>,
        model: PyRef<'py, PyPurchaseModel>,
        frequency: Floats,
        recency: Floats,
        age: Floats,
        monetary_value: Floats,
        months: u32,
        discount_rate: f64,
        unit: &str,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let fitted = &self.fitted;
        let purchases = model.fitted.model();
        let out = run(py, || {
            fitted.clv(
                purchases,
                &floats("frequency", &frequency)?,
                &floats("recency", &recency)?,
                &floats("T", &age)?,
                &floats("monetary_value", &monetary_value)?,
                months,
                discount_rate,
                Unit::parse(unit)?.days(),
            )
        })?;
        to_bytes(py, &out)
    }
}
