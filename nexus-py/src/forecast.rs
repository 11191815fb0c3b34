//! Forecasting as Python sees it: `_FittedEts` (an ETS model fitted by automatic selection
//! or with a fixed specification), `cross_validate` of AutoETS, `forecast_many` over a long
//! table of series, `forecast_sales` over a transactions table, `product_performance` over
//! an order-lines table and `intermittent_forecast` (Croston, SBA, TSB).
//!
//! All private: `nexus.AutoETS`, `nexus.ETS`, `nexus.FittedETS`, `nexus.cross_validate`,
//! `nexus.forecast_many`, `nexus.forecast_sales`, `nexus.product_performance` and
//! `nexus.croston` wrap them. Series cross the boundary as the lifetime-value models' arrays
//! do ([`clv`]: little-endian `float64` bytes in, a `bytearray` out), tables as the other
//! analytics' ([`PyTable`]), dates as ISO text in ([`day_arg`]) and days since 1970-01-01
//! out. Whole-number options are read as `i128` and checked by [`whole`], so that a negative
//! or too large one is an `InvalidArgument` naming it. Every fit runs with the GIL released.
//!
//! A forecast becomes a table of `mean` and `lo-{level}` / `hi-{level}` per level (the names
//! of statsforecast's `predict`), one row per step.
//!
//! [`clv`]: crate::clv
//! [`day_arg`]: crate::analytics::day_arg
//! [`whole`]: crate::segments::whole

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyByteArray;

use nexus_core::Error;
use nexus_core::analytics::forecast::{
    self, AutoEts, Criterion, CvOptions, Ets, EtsSpec, FittedEts, ManyOptions,
    intermittent::{self, Croston, Sba, Tsb},
    metrics::Accuracy,
};
use nexus_core::analytics::kpi::Period;
use nexus_core::analytics::products::{self, ProductColumns, ProductLines, ProductOptions};
use nexus_core::analytics::sales::{self, Measure, SalesForecastOptions, SalesOptions};
use nexus_core::analytics::{Columns, Transactions};

use crate::analytics::day_arg;
use crate::arrow::PyTable;
use crate::clv::floats;
use crate::run;
use crate::segments::whole;

/// A series argument: `n` little-endian `float64`s.
type Floats = PyBackedBytes;

/// The largest horizon, season, window count, ... taken.
const MAX_WHOLE: u64 = u32::MAX as u64;

/// A result array as a `bytearray` of little-endian `float64`s.
fn to_bytes<'py>(py: Python<'py>, values: &[f64]) -> PyResult<Bound<'py, PyByteArray>> {
    PyByteArray::new_with(py, values.len() * 8, |buf| {
        for (out, v) in buf.chunks_exact_mut(8).zip(values) {
            out.copy_from_slice(&v.to_le_bytes());
        }
        Ok(())
    })
}

/// An error of a series or group that could not be forecast, as Python sees it: its code and
/// message.
fn failure(error: &Error) -> (&'static str, String) {
    (error.code(), error.to_string())
}

/// `Period::parse` with the error naming the Python argument `name`.
fn period_arg(name: &'static str, text: &str) -> Result<Period, Error> {
    Period::parse(text).map_err(|e| match e {
        Error::InvalidArgument { message, .. } => Error::InvalidArgument { name, message },
        other => other,
    })
}

/// A fitted ETS model (private: use `nexus.AutoETS().fit(y)` or `nexus.ETS(...).fit(y)`).
#[pyclass(module = "nexus._nexus", name = "_FittedEts", frozen)]
pub(crate) struct PyFittedEts {
    fitted: FittedEts,
}

#[pymethods]
impl PyFittedEts {
    /// Selects and fits the best model of the ETS family by an information criterion.
    #[staticmethod]
    #[pyo3(signature = (y, *, season_length=None, models=None, damped=None, ic="aicc"))]
    fn auto(
        py: Python<'_>,
        y: Floats,
        season_length: Option<i128>,
        models: Option<Vec<String>>,
        damped: Option<bool>,
        ic: &str,
    ) -> PyResult<Self> {
        let fitted = run(py, || {
            let mut model = AutoEts::new()
                .damped(damped)
                .criterion(Criterion::parse(ic)?);
            if let Some(m) = season_length {
                model = model.season_length(whole("season_length", m, 1, MAX_WHOLE)?);
            }
            if let Some(codes) = &models {
                if codes.is_empty() {
                    return Err(Error::InvalidArgument {
                        name: "model",
                        message: "an empty list of models: give at least one code, or None for all"
                            .into(),
                    });
                }
                let specs = codes
                    .iter()
                    .map(|c| EtsSpec::parse(c))
                    .collect::<Result<Vec<_>, Error>>()?;
                model = model.models(specs);
            }
            model.fit(&floats("y", &y)?)
        })?;
        Ok(PyFittedEts { fitted })
    }

    /// Fits one model given by its code (`"MAM"`, `"AAdN"`, `"ETS(M,A,M)"`).
    #[staticmethod]
    #[pyo3(signature = (y, *, model, season_length))]
    fn fixed(py: Python<'_>, y: Floats, model: &str, season_length: i128) -> PyResult<Self> {
        let fitted = run(py, || {
            let m = whole("season_length", season_length, 1, MAX_WHOLE)?;
            Ets::from_code(model, m)?.fit(&floats("y", &y)?)
        })?;
        Ok(PyFittedEts { fitted })
    }

    /// The model's printed name (`"ETS(M,Ad,M)"`).
    #[getter]
    fn model(&self) -> String {
        self.fitted.model()
    }

    /// The model's compact code (`"MAdM"`).
    #[getter]
    fn code(&self) -> String {
        self.fitted.spec().code()
    }

    /// The seasonal period (1 without a season).
    #[getter]
    fn season_length(&self) -> usize {
        self.fitted.season_length()
    }

    /// The smoothing parameters the model has, by name: `alpha`, then `beta`, `gamma`, `phi`.
    fn params(&self) -> Vec<(&'static str, f64)> {
        let p = self.fitted.params();
        let mut out = vec![("alpha", p.alpha)];
        out.extend(p.beta.map(|v| ("beta", v)));
        out.extend(p.gamma.map(|v| ("gamma", v)));
        out.extend(p.phi.map(|v| ("phi", v)));
        out
    }

    /// Akaike's information criterion.
    #[getter]
    fn aic(&self) -> f64 {
        self.fitted.aic()
    }

    /// AIC corrected for small samples.
    #[getter]
    fn aicc(&self) -> f64 {
        self.fitted.aicc()
    }

    /// Schwarz's Bayesian criterion.
    #[getter]
    fn bic(&self) -> f64 {
        self.fitted.bic()
    }

    /// The log-likelihood (R's convention).
    #[getter]
    fn loglik(&self) -> f64 {
        self.fitted.loglik()
    }

    /// The innovation variance.
    #[getter]
    fn sigma2(&self) -> f64 {
        self.fitted.sigma2()
    }

    /// The mean squared one-step error.
    #[getter]
    fn mse(&self) -> f64 {
        self.fitted.mse()
    }

    /// The number of estimated parameters, the variance included.
    #[getter]
    fn n_params(&self) -> usize {
        self.fitted.n_params()
    }

    /// The estimated initial level.
    #[getter]
    fn initial_level(&self) -> f64 {
        self.fitted.initial_level()
    }

    /// The estimated initial trend (`None` without a trend).
    #[getter]
    fn initial_trend(&self) -> Option<f64> {
        self.fitted.initial_trend()
    }

    /// The estimated initial seasonal states, in time order (empty without a season).
    fn initial_seasons<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyByteArray>> {
        to_bytes(py, self.fitted.initial_seasons())
    }

    /// The one-step fitted values.
    fn fitted<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyByteArray>> {
        to_bytes(py, self.fitted.fitted())
    }

    /// The residuals `y - fitted`.
    fn residuals<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyByteArray>> {
        to_bytes(py, &self.fitted.residuals())
    }

    /// Every candidate of an automatic selection as `(code, criterion value)`; empty for a
    /// fixed model.
    fn candidates(&self) -> Vec<(String, f64)> {
        self.fitted
            .candidates()
            .iter()
            .map(|(spec, score)| (spec.code(), *score))
            .collect()
    }

    /// The forecast of the next `h` steps with intervals at `level` (percentages), as a
    /// table of `mean`, `lo-{level}` and `hi-{level}`.
    #[pyo3(signature = (h, *, level))]
    fn predict(&self, py: Python<'_>, h: i128, level: Vec<f64>) -> PyResult<PyTable> {
        let fitted = &self.fitted;
        run(py, || {
            let h = whole("h", h, 0, MAX_WHOLE)?;
            fitted.predict(h, &level)?.to_frame()
        })
        .map(PyTable::new)
    }

    fn __repr__(&self) -> String {
        format!("<_FittedEts {}>", self.fitted.model())
    }
}

/// Accuracy measures as Python sees them: `(mae, rmse, mape, smape, mase)`.
type AccuracyTuple = (f64, f64, Option<f64>, f64, Option<f64>);

fn accuracy_tuple(a: &Accuracy) -> AccuracyTuple {
    (a.mae, a.rmse, a.mape, a.smape, a.mase)
}

/// One cross-validation window: cutoff, actual values, forecast, accuracy.
type WindowTuple<'py> = (
    usize,
    Bound<'py, PyByteArray>,
    Bound<'py, PyByteArray>,
    AccuracyTuple,
);

/// Rolling-origin cross-validation of AutoETS with season `season_length` (which also
/// scales MASE): the windows and the mean accuracy.
#[pyfunction]
#[pyo3(signature = (y, *, h, windows, step=None, season_length))]
pub(crate) fn cross_validate<'py>(
    py: Python<'py>,
    y: Floats,
    h: i128,
    windows: i128,
    step: Option<i128>,
    season_length: i128,
) -> PyResult<(Vec<WindowTuple<'py>>, AccuracyTuple)> {
    let result = run(py, || {
        let options = CvOptions {
            h: whole("h", h, 1, MAX_WHOLE)?,
            windows: whole("windows", windows, 1, MAX_WHOLE)?,
            step: step.map(|s| whole("step", s, 1, MAX_WHOLE)).transpose()?,
            season_length: whole("season_length", season_length, 1, MAX_WHOLE)?,
        };
        let model = AutoEts::new().season_length(options.season_length);
        forecast::cross_validate(&floats("y", &y)?, &options, |train, h| {
            Ok(model.fit(train)?.predict(h, &[])?.mean)
        })
    })?;
    let mut out = Vec::with_capacity(result.windows.len());
    for w in &result.windows {
        out.push((
            w.cutoff,
            to_bytes(py, &w.actual)?,
            to_bytes(py, &w.forecast)?,
            accuracy_tuple(&w.accuracy),
        ));
    }
    Ok((out, accuracy_tuple(&result.accuracy)))
}

/// A series or group that could not be forecast: its id, the error's code and message.
type FailureTuple<K> = (K, &'static str, String);

/// AutoETS on every series of a long table (statsforecast's `unique_id`, `ds`, `y`), in
/// parallel: the forecasts in long format and the series that failed.
#[pyfunction]
#[pyo3(signature = (frame, *, id, ds, y, h, season_length=None, level))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn forecast_many(
    py: Python<'_>,
    frame: PyRef<'_, PyTable>,
    id: &str,
    ds: &str,
    y: &str,
    h: i128,
    season_length: Option<i128>,
    level: Vec<f64>,
) -> PyResult<(PyTable, Vec<FailureTuple<String>>)> {
    let table = &frame.frame;
    let out = run(py, || {
        let options = ManyOptions {
            id: id.into(),
            ds: ds.into(),
            y: y.into(),
            h: whole("h", h, 1, MAX_WHOLE)?,
            season_length: season_length
                .map(|m| whole("season_length", m, 1, MAX_WHOLE))
                .transpose()?,
            levels: level,
        };
        forecast::forecast_many(table, &options)
    })?;
    let failed = out
        .failed
        .iter()
        .map(|f| {
            let (code, message) = failure(&f.error);
            (f.id.clone(), code, message)
        })
        .collect();
    Ok((PyTable::new(out.frame), failed))
}

/// Sales (revenue, orders or units) per period forecast `h` periods ahead, for the whole
/// table or per `by` value: the forecast table and the groups that could not be forecast.
/// Without `by`, a series that cannot be forecast is an error.
#[pyfunction]
#[pyo3(signature = (transactions, *, freq, by, customer, order, date, amount, items, measure, h, level, season_length=None, start=None, end=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn forecast_sales(
    py: Python<'_>,
    transactions: PyRef<'_, PyTable>,
    freq: &str,
    by: Option<&str>,
    customer: &str,
    order: Option<&str>,
    date: &str,
    amount: &str,
    items: Option<&str>,
    measure: &str,
    h: i128,
    level: Vec<f64>,
    season_length: Option<i128>,
    start: Option<&str>,
    end: Option<&str>,
) -> PyResult<(PyTable, Vec<FailureTuple<Option<String>>>)> {
    let frame = &transactions.frame;
    run(py, || {
        let columns = Columns::new()
            .customer(customer)
            .order(order)
            .date(date)
            .amount(amount)
            .items(items)
            .by(by);
        let options = SalesForecastOptions {
            sales: SalesOptions {
                period: period_arg("freq", freq)?,
                by: by.is_some(),
                start: day_arg("start", start)?,
                end: day_arg("end", end)?,
            },
            measure: Measure::parse(measure)?,
            h: whole("h", h, 1, MAX_WHOLE)?,
            levels: level,
            season_length: season_length
                .map(|m| whole("season_length", m, 1, MAX_WHOLE))
                .transpose()?,
        };
        let tx = Transactions::from_frame(frame, &columns)?;
        let mut out = sales::forecast_sales(&tx, &options)?;
        if by.is_none() && out.groups.is_empty() && !out.failed.is_empty() {
            return Err(out.failed.swap_remove(0).1);
        }
        let failed = out
            .failed
            .iter()
            .map(|(key, error)| {
                let (code, message) = failure(error);
                (key.clone(), code, message)
            })
            .collect();
        Ok((PyTable::new(out.to_frame()?), failed))
    })
}

/// What `product_performance` returns: the products and summary tables, the day of the
/// analysis, the window's first and last day, the first day of the forecast (days since
/// 1970-01-01), and the product ids of the top sellers, rising, declining and dead stock.
type ProductTuple = (
    PyTable,
    PyTable,
    i64,
    (i64, i64),
    i64,
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
);

/// Product performance over a window of order lines: ranking, ABC and XYZ classes,
/// trends, dead stock and a demand forecast per product.
#[pyfunction]
#[pyo3(signature = (lines, *, product, date, quantity, amount, order, refunded, name, window_days, as_of=None, period, abc, xyz, trend_periods, trend_alpha, dead_days, h, level, top))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn product_performance(
    py: Python<'_>,
    lines: PyRef<'_, PyTable>,
    product: &str,
    date: &str,
    quantity: &str,
    amount: &str,
    order: Option<&str>,
    refunded: Option<&str>,
    name: Option<&str>,
    window_days: i128,
    as_of: Option<&str>,
    period: &str,
    abc: (f64, f64),
    xyz: (f64, f64),
    trend_periods: i128,
    trend_alpha: f64,
    dead_days: i128,
    h: i128,
    level: Vec<f64>,
    top: i128,
) -> PyResult<ProductTuple> {
    let frame = &lines.frame;
    run(py, || {
        let columns = ProductColumns::new()
            .product(product)
            .date(date)
            .quantity(quantity)
            .amount(amount)
            .order(order)
            .refunded(refunded)
            .name(name);
        let options = ProductOptions {
            window_days: whole("window_days", window_days, 1, MAX_WHOLE)?,
            as_of: day_arg("as_of", as_of)?,
            period: Period::parse(period)?,
            abc,
            xyz,
            trend_periods: whole("trend_periods", trend_periods, 0, MAX_WHOLE)?,
            trend_alpha,
            dead_days: whole("dead_days", dead_days, 1, MAX_WHOLE)?,
            h: whole("h", h, 0, MAX_WHOLE)?,
            levels: level,
            top: whole("top", top, 0, MAX_WHOLE)?,
        };
        let lines = ProductLines::from_frame(frame, &columns)?;
        let p = products::product_performance(&lines, &options)?;
        let ids = |list: &[usize]| -> Vec<String> {
            list.iter()
                .filter_map(|&i| p.products.get(i).map(|r| r.product.clone()))
                .collect()
        };
        Ok((
            PyTable::new(p.to_frame()?),
            PyTable::new(p.summary_frame()?),
            p.as_of,
            p.window,
            p.forecast_start,
            ids(&p.top_sellers),
            ids(&p.rising),
            ids(&p.declining),
            ids(&p.dead_stock),
        ))
    })
}

/// The demand profile of a series: `(adi, cv2, nonzero, class)`.
type ProfileTuple = (f64, f64, usize, &'static str);

/// What `intermittent_forecast` returns: the method used, the forecast table, the demand
/// profile, and (for Croston, SBA and TSB) the fitted values and residuals.
type IntermittentTuple<'py> = (
    String,
    PyTable,
    ProfileTuple,
    Option<(Bound<'py, PyByteArray>, Bound<'py, PyByteArray>)>,
);

/// An intermittent-demand forecast: `method` `"croston"`, `"sba"`, `"tsb"`, or `"auto"`
/// (the method the demand profile calls for, AutoETS for regular demand).
#[pyfunction]
#[pyo3(signature = (y, *, method, h, level, alpha, alpha_probability))]
pub(crate) fn intermittent_forecast<'py>(
    py: Python<'py>,
    y: Floats,
    method: &str,
    h: i128,
    level: Vec<f64>,
    alpha: f64,
    alpha_probability: f64,
) -> PyResult<IntermittentTuple<'py>> {
    let (name, table, profile, fit) = run(py, || {
        let y = floats("y", &y)?;
        let h = whole("h", h, 1, MAX_WHOLE)?;
        let profile = intermittent::classify(&y)?;
        let fitted = match method {
            "auto" => None,
            "croston" => Some(Croston { alpha }.fit(&y)?),
            "sba" => Some(Sba { alpha }.fit(&y)?),
            "tsb" => Some(
                Tsb {
                    alpha_demand: alpha,
                    alpha_probability,
                }
                .fit(&y)?,
            ),
            other => {
                return Err(Error::InvalidArgument {
                    name: "method",
                    message: format!(
                        "{other:?}: expected \"auto\", \"croston\", \"sba\" or \"tsb\""
                    ),
                });
            }
        };
        let (name, forecast, fit) = match fitted {
            None => {
                let (name, forecast) = forecast::demand_forecast(&y, h, &level)?;
                (name, forecast, None)
            }
            Some(f) => {
                let forecast = f.predict(h, &level)?;
                let series = (f.fitted().to_vec(), f.residuals().to_vec());
                (f.method().as_str().to_string(), forecast, Some(series))
            }
        };
        let profile = (
            profile.adi,
            profile.cv2,
            profile.nonzero,
            profile.class.as_str(),
        );
        Ok((name, forecast.to_frame()?, profile, fit))
    })?;
    let fit = match fit {
        Some((fitted, residuals)) => Some((to_bytes(py, &fitted)?, to_bytes(py, &residuals)?)),
        None => None,
    };
    Ok((name, PyTable::new(table), profile, fit))
}
