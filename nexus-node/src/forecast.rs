//! Forecasting as Node sees it: `AutoETS` and `ETS`, whose static `fit` gives a `FittedETS`
//! with its parameters, fit statistics and forecasts; `forecastMany` over a long table of
//! series (statsforecast's `unique_id`, `ds`, `y`); `forecastSales` over a transactions
//! table; and `productPerformance` over a table of order lines. The names are the Python
//! binding's, in camelCase.
//!
//! A series is an array of numbers or a typed array, copied on the JavaScript thread
//! ([`series`]); tables are read as the other analytics read theirs ([`Source`]). Fits and
//! the table functions run off the event loop ([`blocking`]) and return Promises; a
//! forecast of a fitted model (`predict`) is immediate. The table functions resolve with
//! rows as the other analytics do (keys in camelCase, dates as `YYYY-MM-DD` text), except
//! the long table of `forecastMany`, whose columns keep statsforecast's names
//! (`unique_id`, `ds`, `AutoETS`, `AutoETS-lo-80`), and the bounds of a forecast, which are
//! `lo-80` and `hi-80`. A series or group that cannot be forecast is listed in `failed`
//! with its error's `code` and `message`; the others are forecast.
//!
//! Errors throw or reject with the core's `code`. The core names its arguments as Rust
//! does (`season_length`); [`renamed`] gives them this binding's option names.

use napi::bindgen_prelude::{
    Either, FromNapiValue, JsObjectValue, Null, Object, PromiseRaw, Unknown,
};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;
use nexus_core::Error;
use nexus_core::analytics::forecast::{self as core, Criterion, EtsSpec, ManyOptions};
use nexus_core::analytics::kpi::Period;
use nexus_core::analytics::products::{self, ProductColumns, ProductLines};
use nexus_core::analytics::rfm::{Day, date_of};
use nexus_core::analytics::sales::{self, Measure, SalesOptions};
use serde::Serialize;

use crate::analytics::{analyze_json, opt_day, split};
use crate::connectors::options;
use crate::frame::{Source, camel, rows_json, typed_numbers};
use crate::manager::JsonText;
use crate::promise::blocking;
use crate::segments::count;
use crate::{IntoJsError, Result, js_error};

fn invalid(name: &'static str, message: impl Into<String>) -> Error {
    Error::InvalidArgument {
        name,
        message: message.into(),
    }
}

/// The core's argument names that differ from this binding's options, and the option each
/// one is.
const OPTION_NAMES: &[(&str, &str)] = &[
    ("season_length", "seasonLength"),
    ("window_days", "windowDays"),
    ("as_of", "asOf"),
    ("trend_periods", "trendPeriods"),
    ("trend_alpha", "trendAlpha"),
    ("dead_days", "deadDays"),
];

/// `error` with the argument it names called by its option name (`seasonLength`); `also`
/// renames more (`period` is `freq` for `forecastSales`).
fn renamed(error: Error, also: &[(&str, &'static str)]) -> Error {
    match error {
        Error::InvalidArgument { name, message } => {
            let name = OPTION_NAMES
                .iter()
                .chain(also)
                .find(|(core, _)| *core == name)
                .map_or(name, |&(_, js)| js);
            Error::InvalidArgument { name, message }
        }
        other => other,
    }
}

/// A whole number of at least `min` (an index, a horizon, a season), as a `usize`.
fn size(name: &'static str, value: f64, min: f64) -> std::result::Result<usize, Error> {
    count(name, value, min).map(|v| v as usize)
}

/// The prediction-interval levels, `default` when not given. The core checks that each is
/// a percentage between 0 and 100; a level given twice would name two columns alike.
fn levels(value: Option<Vec<f64>>, default: &[f64]) -> std::result::Result<Vec<f64>, Error> {
    let levels = value.unwrap_or_else(|| default.to_vec());
    for (i, level) in levels.iter().enumerate() {
        if levels[..i].contains(level) {
            return Err(invalid("level", format!("{level} is given twice")));
        }
    }
    Ok(levels)
}

/// The lower-case name of a JavaScript type (`"string"`).
fn type_name(t: ValueType) -> String {
    t.to_string().to_lowercase()
}

/// A series: an array of numbers or a typed array, copied on the JavaScript thread. A value
/// that is not a number is an `"invalid_data"` error naming its index; `NaN` is passed on,
/// for the core to refuse with its index.
fn series(name: &'static str, value: Unknown<'_>) -> std::result::Result<Vec<f64>, Error> {
    let bad = |e: napi::Error| invalid(name, e.reason.clone());
    if let Some(numbers) = typed_numbers(name, value)? {
        return Ok(numbers);
    }
    if !value.is_array().map_err(bad)? {
        return Err(invalid(
            name,
            format!(
                "must be an array of numbers or a Float64Array, not a value of type {}",
                type_name(value.get_type().map_err(bad)?)
            ),
        ));
    }
    let array = Object::from_unknown(value).map_err(bad)?;
    let n = array.get_array_length().map_err(bad)?;
    (0..n)
        .map(|i| {
            let v: Unknown<'_> = array.get_element(i).map_err(bad)?;
            match v.get_type().map_err(bad)? {
                ValueType::Number => f64::from_unknown(v).map_err(bad),
                other => Err(Error::invalid_data(
                    name,
                    Some(i as usize),
                    format!("a value of type {} is not a number", type_name(other)),
                )),
            }
        })
        .collect()
}

/// A day as `YYYY-MM-DD` text.
fn day_text(day: Day) -> String {
    date_of(day).map_or_else(|| format!("day {day}"), |d| d.to_string())
}

/// JSON text of `value` (numbers, text, lists and structs, which always serialize).
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

// ---- ETS ------------------------------------------------------------------------------------

/// Options of `AutoETS.fit`.
#[napi(object, object_to_js = false, js_name = "AutoETSOptions")]
#[derive(Default)]
pub struct AutoEtsOptions {
    /// The seasonal period: 12 for monthly data with a yearly season, 4 for quarterly, 7 for
    /// daily (default 1: no season). A season longer than 24, or one the series does not
    /// hold twice, is not fitted: the candidates are then the non-seasonal models.
    pub season_length: Option<f64>,
    /// The candidate models, as codes (`"MAM"`, `"AAdN"`, or `"ETS(M,A,M)"`; error `A` or
    /// `M`, trend `N`, `A` or `Ad`, season `N`, `A` or `M`). Default: every model without a
    /// multiplicative trend, except additive errors with a multiplicative season (as R's
    /// `forecast::ets` and statsforecast's `AutoETS`); multiplicative ones only for positive
    /// data.
    pub models: Option<Vec<String>>,
    /// `true`: only damped trends (and no trend); `false`: no damped trend; default both.
    pub damped: Option<bool>,
    /// The information criterion that picks the model: `"aicc"` (default), `"aic"` or
    /// `"bic"`.
    #[napi(ts_type = "InformationCriterion")]
    pub ic: Option<String>,
}

const AUTO_ETS_OPTIONS: &[&str] = &["seasonLength", "models", "damped", "ic"];

fn auto_ets(env: &Env, value: Option<Object<'_>>) -> std::result::Result<core::AutoEts, Error> {
    let o: AutoEtsOptions = options(env, "options", value, AUTO_ETS_OPTIONS)?.unwrap_or_default();
    let mut model = core::AutoEts::new().damped(o.damped);
    if let Some(m) = o.season_length {
        model = model.season_length(size("seasonLength", m, 1.0)?);
    }
    if let Some(codes) = o.models {
        if codes.is_empty() {
            return Err(invalid("models", "give at least one model code"));
        }
        let specs = codes
            .iter()
            .map(|code| EtsSpec::parse(code).map_err(|e| renamed(e, &[("model", "models")])))
            .collect::<std::result::Result<_, _>>()?;
        model = model.models(specs);
    }
    if let Some(ic) = o.ic {
        model = model.criterion(Criterion::parse(&ic)?);
    }
    Ok(model)
}

/// Automatic selection over the ETS family (exponential smoothing state-space models,
/// Hyndman et al. 2008), as R's `forecast::ets` and statsforecast's `AutoETS`:
/// `AutoETS.fit(y, options)` fits every candidate model and gives the best by the
/// criterion as a `FittedETS`.
#[napi(js_name = "AutoETS")]
pub struct AutoETS {}

#[napi]
impl AutoETS {
    /// Fits every candidate model to `y` (oldest first) by maximum likelihood and resolves
    /// with the best by the information criterion. Rejects with code `"invalid_data"` (with
    /// `column` `"y"` and the `row` at fault) for a value that is not a finite number or a
    /// series too short, `"invalid_argument"` for a bad option and `"fit_failed"` when no
    /// candidate can be fitted.
    #[napi(
        ts_args_type = "y: Numbers, options?: AutoETSOptions | null",
        ts_return_type = "Promise<FittedETS>"
    )]
    pub fn fit<'env>(
        env: &'env Env,
        y: Unknown<'_>,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, FittedETS>> {
        let args = auto_ets(env, options).and_then(|model| Ok((model, series("y", y)?)));
        blocking(
            env,
            move || {
                let (model, y) = args?;
                model.fit(&y).map_err(|e| renamed(e, &[]))
            },
            |_, inner| Ok(FittedETS { inner }),
        )
    }
}

/// Options of `ETS.fit`.
#[napi(object, object_to_js = false, js_name = "ETSOptions")]
pub struct EtsOptions {
    /// The model's code: `"MAM"`, `"AAdN"`, or `"ETS(M,A,M)"` (error `A` or `M`, trend `N`,
    /// `A` or `Ad`, season `N`, `A` or `M`).
    pub model: String,
    /// The seasonal period of a seasonal model (at least 2, at most 24; default 1, which
    /// only a non-seasonal model takes).
    pub season_length: Option<f64>,
}

const ETS_OPTIONS: &[&str] = &["model", "seasonLength"];

/// One ETS model with a fixed specification: `ETS.fit(y, { model: "MAM", seasonLength: 12 })`
/// gives a `FittedETS`.
#[napi(js_name = "ETS")]
#[allow(clippy::upper_case_acronyms)]
pub struct ETS {}

#[napi]
impl ETS {
    /// Fits the model `options.model` to `y` (oldest first) by maximum likelihood. Rejects
    /// with code `"invalid_data"` (with `column` and `row`) for a value that is not a finite
    /// number, a series too short for the model or a non-positive value for a
    /// multiplicative one, and `"invalid_argument"` for a bad model code or season.
    #[napi(
        ts_args_type = "y: Numbers, options: ETSOptions",
        ts_return_type = "Promise<FittedETS>"
    )]
    pub fn fit<'env>(
        env: &'env Env,
        y: Unknown<'_>,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, FittedETS>> {
        let args = (|| -> std::result::Result<_, Error> {
            let o: EtsOptions =
                crate::connectors::options(env, "options", options, ETS_OPTIONS)?
                    .ok_or_else(|| invalid("model", "is required: a model code such as \"MAM\""))?;
            let m = o
                .season_length
                .map_or(Ok(1), |m| size("seasonLength", m, 1.0))?;
            let model = core::Ets::from_code(&o.model, m)?;
            Ok((model, series("y", y)?))
        })();
        blocking(
            env,
            move || {
                let (model, y) = args?;
                model.fit(&y).map_err(|e| renamed(e, &[]))
            },
            |_, inner| Ok(FittedETS { inner }),
        )
    }
}

/// The smoothing parameters of a fitted ETS model; those of terms the model does not have
/// are left out.
#[napi(object, object_from_js = false, js_name = "ETSParams")]
pub struct EtsParams {
    /// Level smoothing.
    pub alpha: f64,
    /// Trend smoothing (R's `beta`), with a trend.
    pub beta: Option<f64>,
    /// Seasonal smoothing, with a season.
    pub gamma: Option<f64>,
    /// Trend damping, with a damped trend.
    pub phi: Option<f64>,
}

/// One prediction interval of a forecast.
#[napi(object, object_from_js = false)]
pub struct ForecastInterval {
    /// The coverage in percent (`95`).
    pub level: f64,
    /// The lower bound of each step.
    pub lower: Vec<f64>,
    /// The upper bound of each step.
    pub upper: Vec<f64>,
}

/// A point forecast with its prediction intervals (`FittedETS.predict`).
#[napi(object, object_from_js = false)]
pub struct Forecast {
    /// The point forecast of steps 1 to h.
    pub mean: Vec<f64>,
    /// One interval per level asked for, in their order.
    pub intervals: Vec<ForecastInterval>,
}

impl From<core::Forecast> for Forecast {
    fn from(f: core::Forecast) -> Self {
        Forecast {
            mean: f.mean,
            intervals: f
                .intervals
                .into_iter()
                .map(|i| ForecastInterval {
                    level: i.level,
                    lower: i.lower,
                    upper: i.upper,
                })
                .collect(),
        }
    }
}

/// Options of `FittedETS.predict`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct PredictOptions {
    /// Prediction-interval levels in percent, each between 0 and 100 (`[80, 95]`; default
    /// none).
    pub level: Option<Vec<f64>>,
}

const PREDICT_OPTIONS: &[&str] = &["level"];

/// A fitted ETS model: its specification, smoothing parameters, initial states, fit
/// statistics, fitted values and forecasts.
#[napi(js_name = "FittedETS")]
pub struct FittedETS {
    inner: core::FittedEts,
}

#[napi]
impl FittedETS {
    /// The model's printed name (`"ETS(M,Ad,M)"`).
    #[napi(getter)]
    pub fn model(&self) -> String {
        self.inner.model()
    }

    /// The model's compact code (`"MAdM"`), as `ETS.fit` takes it.
    #[napi(getter)]
    pub fn code(&self) -> String {
        self.inner.spec().code()
    }

    /// The seasonal period (1 without a season).
    #[napi(getter)]
    pub fn season_length(&self) -> u32 {
        u32::try_from(self.inner.season_length()).unwrap_or(u32::MAX)
    }

    /// The smoothing parameters.
    #[napi(getter)]
    pub fn params(&self) -> EtsParams {
        let p = self.inner.params();
        EtsParams {
            alpha: p.alpha,
            beta: p.beta,
            gamma: p.gamma,
            phi: p.phi,
        }
    }

    /// Akaike's information criterion.
    #[napi(getter)]
    pub fn aic(&self) -> f64 {
        self.inner.aic()
    }

    /// AIC corrected for small samples.
    #[napi(getter)]
    pub fn aicc(&self) -> f64 {
        self.inner.aicc()
    }

    /// Schwarz's Bayesian criterion.
    #[napi(getter)]
    pub fn bic(&self) -> f64 {
        self.inner.bic()
    }

    /// The log-likelihood, in R's convention.
    #[napi(getter)]
    pub fn loglik(&self) -> f64 {
        self.inner.loglik()
    }

    /// The innovation variance (relative for multiplicative errors).
    #[napi(getter)]
    pub fn sigma2(&self) -> f64 {
        self.inner.sigma2()
    }

    /// The mean squared one-step error, in the data's units.
    #[napi(getter)]
    pub fn mse(&self) -> f64 {
        self.inner.mse()
    }

    /// The number of estimated parameters, the variance included.
    #[napi(getter)]
    pub fn n_params(&self) -> u32 {
        u32::try_from(self.inner.n_params()).unwrap_or(u32::MAX)
    }

    /// The estimated initial level.
    #[napi(getter)]
    pub fn initial_level(&self) -> f64 {
        self.inner.initial_level()
    }

    /// The estimated initial trend; `null` without a trend.
    #[napi(getter)]
    pub fn initial_trend(&self) -> Option<f64> {
        self.inner.initial_trend()
    }

    /// The estimated initial seasonal states, in time order (empty without a season).
    #[napi(getter)]
    pub fn initial_seasons(&self) -> Vec<f64> {
        self.inner.initial_seasons().to_vec()
    }

    /// The one-step fitted values, one per value of the series.
    #[napi(getter)]
    pub fn fitted(&self) -> Vec<f64> {
        self.inner.fitted().to_vec()
    }

    /// The residuals `y - fitted`.
    #[napi(getter)]
    pub fn residuals(&self) -> Vec<f64> {
        self.inner.residuals()
    }

    /// For an `AutoETS` fit, every candidate model by code (`"MAM"`) with its value of the
    /// criterion (`Infinity` for one that could not be fitted), in the order tried; `{}`
    /// for an `ETS` fit.
    #[napi(getter, ts_return_type = "Record<string, number>")]
    pub fn candidates<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        let mut out = Object::new(env)?;
        for (spec, score) in self.inner.candidates() {
            out.set(spec.code(), *score)?;
        }
        Ok(out)
    }

    /// The forecast of the next `h` steps, with prediction intervals at `options.level`
    /// (percentages). Intervals are analytic for models without a multiplicative season
    /// and come from 2,000 simulated paths (seeded: always the same) otherwise. Throws with
    /// code `"invalid_argument"` for a bad `h` or level.
    #[napi(ts_args_type = "h: number, options?: PredictOptions | null")]
    pub fn predict(
        &self,
        env: &Env,
        h: f64,
        options: Option<Object<'_>>,
    ) -> napi::Result<Forecast> {
        let forecast = (|| {
            let o: PredictOptions =
                crate::connectors::options(env, "options", options, PREDICT_OPTIONS)?
                    .unwrap_or_default();
            let h = size("h", h, 0.0)?;
            self.inner.predict(h, &levels(o.level, &[])?)
        })();
        forecast
            .map(Forecast::from)
            .map_err(|e| js_error(env, e.into_js()))
    }
}

// ---- Many series ----------------------------------------------------------------------------

/// Options of `forecastMany`.
#[napi(object, object_to_js = false)]
pub struct ForecastManyOptions {
    /// The series id column (default `"unique_id"`): numbers or text.
    pub id: Option<String>,
    /// The time column (default `"ds"`): `Date`s or date text (`"2024-05-01"`, RFC 3339),
    /// or integer time stamps (1, 2, 3: numbers are not read as epoch milliseconds here).
    pub ds: Option<String>,
    /// The value column (default `"y"`): numbers.
    pub y: Option<String>,
    /// Steps to forecast (at least 1).
    pub h: f64,
    /// The seasonal period (at least 1). Default: from the spacing of `ds`: 12 for monthly
    /// dates, 4 for quarterly, 7 for daily, 52 for weekly; none for integer time stamps.
    pub season_length: Option<f64>,
    /// Prediction-interval levels in percent (`[80, 95]`; default none).
    pub level: Option<Vec<f64>>,
}

const MANY_OPTIONS: &[&str] = &["id", "ds", "y", "h", "seasonLength", "level"];

/// The names of the columns `names` reads, once each.
fn distinct<'a>(names: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for &name in names {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

fn many_names(o: &ManyOptions) -> Vec<&str> {
    distinct(&[&o.id, &o.ds, &o.y])
}

/// A series of `forecastMany` that could not be forecast.
#[derive(Serialize)]
struct SeriesFailureJson<'a> {
    id: &'a str,
    code: &'static str,
    message: String,
}

fn many_options(env: &Env, value: Option<Object<'_>>) -> std::result::Result<ManyOptions, Error> {
    let o: ForecastManyOptions = options(env, "options", value, MANY_OPTIONS)?
        .ok_or_else(|| invalid("h", "is required: the number of steps to forecast"))?;
    let defaults = ManyOptions::default();
    Ok(ManyOptions {
        id: o.id.unwrap_or(defaults.id),
        ds: o.ds.unwrap_or(defaults.ds),
        y: o.y.unwrap_or(defaults.y),
        h: size("h", o.h, 1.0)?,
        season_length: o
            .season_length
            .map(|m| size("seasonLength", m, 1.0))
            .transpose()?,
        levels: levels(o.level, &[])?,
    })
}

/// AutoETS on every series of a long table, in parallel on all cores: statsforecast's
/// `StatsForecast(models=[AutoETS(season_length=m)]).forecast(df=df, h=h, level=level)` in
/// one call. Rows may come in any order; each series is sorted by time and must be regular
/// (a fixed number of days, or whole months keeping the day of the month).
///
/// Resolves with `forecasts`, the rows of statsforecast's long format (the id column, the
/// time column with the future times, `model`, `AutoETS` and `AutoETS-lo-{level}` /
/// `AutoETS-hi-{level}` per level; series sorted by id), and `failed`, the series that
/// could not be forecast (too short, irregular, not finite) with their error's `code` and
/// `message`. Rejects with code `"invalid_data"` (with `column` and `row`) for a table
/// that cannot be read and `"invalid_argument"` for a bad option.
#[napi(
    ts_args_type = "frame: TransactionsInput, options: ForecastManyOptions",
    ts_return_type = "Promise<ManyForecast>"
)]
pub fn forecast_many<'env>(
    env: &'env Env,
    frame: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<PromiseRaw<'env, JsonText>> {
    let args = many_options(env, options).and_then(|o| {
        let source = Source::read(env, "frame", frame, &many_names(&o))?;
        Ok((o, source))
    });
    blocking(
        env,
        move || {
            let (o, source) = args?;
            let frame = source.frame(&many_names(&o), None)?;
            let out = core::forecast_many(&frame, &o).map_err(|e| renamed(e, &[]))?;
            let failed: Vec<SeriesFailureJson<'_>> = out
                .failed
                .iter()
                .map(|f| SeriesFailureJson {
                    id: &f.id,
                    code: f.error.code(),
                    message: f.error.to_string(),
                })
                .collect();
            Ok(format!(
                r#"{{"forecasts":{},"failed":{}}}"#,
                rows_json(&out.frame, str::to_owned)?,
                json(&failed),
            ))
        },
        |_, text| Ok(JsonText(text)),
    )
}

// ---- Sales ----------------------------------------------------------------------------------

/// Options of `forecastSales` (besides the column names; `by` forecasts each of its values,
/// `items` is the column of `measure: "units"`).
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct SalesForecastOptions<'a> {
    /// The period of the series (default `"month"`). Weeks start on Monday.
    #[napi(ts_type = "Period")]
    pub freq: Option<String>,
    /// Periods to forecast (default 12).
    pub h: Option<f64>,
    /// Prediction-interval levels in percent (default `[80, 95]`).
    pub level: Option<Vec<f64>>,
    /// What to forecast: `"revenue"` (default, the sum of the amounts), `"orders"` (distinct
    /// orders) or `"units"` (the sum of the `items` column).
    #[napi(ts_type = "SalesMeasure")]
    pub measure: Option<String>,
    /// The seasonal period. Default: the period's usual one (12 for months, 4 for quarters,
    /// 52 for weeks, 7 for days, and 7 and 365 once two years of days exist; none for years).
    pub season_length: Option<f64>,
    /// The first day counted: a `Date` (its UTC day), `"YYYY-MM-DD"` or epoch milliseconds.
    /// Default: the first transaction's.
    #[napi(ts_type = "Date | string | number")]
    pub start: Option<Unknown<'a>>,
    /// The last day counted (default: the last transaction's).
    #[napi(ts_type = "Date | string | number")]
    pub end: Option<Unknown<'a>>,
}

const SALES_OPTIONS: &[&str] = &[
    "freq",
    "h",
    "level",
    "measure",
    "seasonLength",
    "start",
    "end",
];
/// The column names `forecastSales` reads.
const SALES_COLUMNS: &[&str] = &["customer", "order", "date", "amount", "items", "by"];

/// A group of `forecastSales` that could not be forecast.
#[derive(Serialize)]
struct GroupFailureJson<'a> {
    group: Option<&'a str>,
    code: &'static str,
    message: String,
}

fn sales_options(
    env: &Env,
    value: Option<Object<'_>>,
) -> std::result::Result<
    (
        nexus_core::analytics::Columns,
        (sales::SalesForecastOptions, Option<String>),
    ),
    Error,
> {
    let (columns, own) =
        split::<SalesForecastOptions<'_>>(env, value, SALES_COLUMNS, SALES_OPTIONS)?;
    let own = own.unwrap_or_default();
    let defaults = sales::SalesForecastOptions::default();
    let period = own
        .freq
        .as_deref()
        .map(Period::parse)
        .transpose()
        .map_err(|e| renamed(e, &[("period", "freq")]))?
        .unwrap_or_default();
    let options = sales::SalesForecastOptions {
        sales: SalesOptions {
            period,
            by: columns.by.is_some(),
            start: opt_day("start", own.start)?,
            end: opt_day("end", own.end)?,
        },
        measure: own
            .measure
            .as_deref()
            .map_or(Ok(defaults.measure), Measure::parse)?,
        h: own.h.map_or(Ok(defaults.h), |h| size("h", h, 1.0))?,
        levels: levels(own.level, &defaults.levels)?,
        season_length: own
            .season_length
            .map(|m| size("seasonLength", m, 1.0))
            .transpose()?,
    };
    let by = columns.by.clone();
    Ok((columns, (options, by)))
}

/// Forecasts sales per period (`freq`) `h` periods ahead with prediction intervals: revenue,
/// orders or units (`measure`), for the whole table or for each value of the `by` column.
/// The series are those of `kpis` (every period from the first to the last, zeros where
/// nothing sold); a last period the table ends before is left out (a half-finished month
/// would look like a slump). Each series gets AutoETS with the period's season when it is at
/// most 24 long, else MSTL with a non-seasonal AutoETS of the seasonally adjusted series;
/// forecasts are clipped at zero.
///
/// Resolves with `forecasts`, one row per group and period: `group` (with `by`), `period`
/// (its first day), `model`, `mean`, and `lo-{level}` / `hi-{level}` per level; and
/// `failed`, the groups that could not be forecast (too little history) with their error's
/// `code` and `message`. Without `by`, a series that cannot be forecast rejects the
/// Promise with its error.
#[napi(
    ts_args_type = "transactions: TransactionsInput, options?: (SalesColumnNames & SalesForecastOptions) | null",
    ts_return_type = "Promise<SalesForecast>"
)]
pub fn forecast_sales<'env>(
    env: &'env Env,
    transactions: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<PromiseRaw<'env, JsonText>> {
    analyze_json(
        env,
        transactions,
        sales_options(env, options),
        |tx, (options, by)| {
            let mut out = sales::forecast_sales(tx, &options).map_err(|e| renamed(e, &[]))?;
            if by.is_none() && out.groups.is_empty() && !out.failed.is_empty() {
                return Err(out.failed.swap_remove(0).1);
            }
            let failed: Vec<GroupFailureJson<'_>> = out
                .failed
                .iter()
                .map(|(group, e)| GroupFailureJson {
                    group: group.as_deref(),
                    code: e.code(),
                    message: e.to_string(),
                })
                .collect();
            let key = |name: &str| {
                if by.as_deref() == Some(name) {
                    "group".to_owned()
                } else {
                    camel(name)
                }
            };
            Ok(format!(
                r#"{{"forecasts":{},"failed":{}}}"#,
                rows_json(&out.to_frame()?, key)?,
                json(&failed),
            ))
        },
    )
}

// ---- Products -------------------------------------------------------------------------------

/// The names of the columns of an order-lines table (one row per line item), in the options
/// of `productPerformance`. The defaults are those of the core's order-lines table:
/// `product`, `date`, `quantity`, `amount`, `order`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ProductColumnNames {
    /// The product id column: numbers or text (default `"product"`).
    pub product: Option<String>,
    /// The date column (default `"date"`): `Date`s, ISO 8601 text or epoch milliseconds.
    pub date: Option<String>,
    /// The units of each line (default `"quantity"`), never negative.
    pub quantity: Option<String>,
    /// The revenue of each line (default `"amount"`): numbers or decimal text, never
    /// negative.
    pub amount: Option<String>,
    /// The order id column (default `"order"`); `null` when each line is an order of its own.
    #[napi(ts_type = "string | null")]
    pub order: Option<Either<String, Null>>,
    /// The refunded units of each line, for `refundRate` (optional).
    pub refunded: Option<String>,
    /// The product's title, carried into the results (optional; the most recent non-empty
    /// one wins).
    pub name: Option<String>,
}

const PRODUCT_COLUMNS: &[&str] = &[
    "product", "date", "quantity", "amount", "order", "refunded", "name",
];

impl ProductColumnNames {
    fn columns(self) -> ProductColumns {
        let mut c = ProductColumns::new();
        if let Some(name) = self.product {
            c = c.product(name);
        }
        if let Some(name) = self.date {
            c = c.date(name);
        }
        if let Some(name) = self.quantity {
            c = c.quantity(name);
        }
        if let Some(name) = self.amount {
            c = c.amount(name);
        }
        match self.order {
            Some(Either::A(name)) => c = c.order(Some(&name)),
            Some(Either::B(Null)) => c = c.order(None),
            None => {}
        }
        c.refunded(self.refunded.as_deref())
            .name(self.name.as_deref())
    }
}

/// The column names `columns` reads, once each.
fn product_names(c: &ProductColumns) -> Vec<&str> {
    let all = [
        Some(c.product.as_str()),
        Some(c.date.as_str()),
        Some(c.quantity.as_str()),
        Some(c.amount.as_str()),
        c.order.as_deref(),
        c.refunded.as_deref(),
        c.name.as_deref(),
    ];
    distinct(&all.into_iter().flatten().collect::<Vec<_>>())
}

/// Options of `productPerformance` (besides the column names).
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ProductPerformanceOptions<'a> {
    /// The window's length in days, ending on `asOf` (default 90).
    pub window_days: Option<f64>,
    /// The day of the analysis: a `Date` (its UTC day), `"YYYY-MM-DD"` or epoch
    /// milliseconds. Default: the last line's day; later lines are ignored.
    #[napi(ts_type = "Date | string | number")]
    pub as_of: Option<Unknown<'a>>,
    /// The demand period of variability, trend and forecast (default `"week"`).
    #[napi(ts_type = "Period")]
    pub period: Option<String>,
    /// Cumulative revenue-share cut-offs of classes A and B (default `[0.8, 0.95]`).
    #[napi(ts_type = "[number, number]")]
    pub abc: Option<(f64, f64)>,
    /// Coefficient-of-variation cut-offs of classes X and Y (default `[0.5, 1]`).
    #[napi(ts_type = "[number, number]")]
    pub xyz: Option<(f64, f64)>,
    /// How many of the most recent full periods the trend test reads (default 8; 3 to
    /// 1,000).
    pub trend_periods: Option<f64>,
    /// The trend test's significance level (default 0.05).
    pub trend_alpha: Option<f64>,
    /// Days without a sale that make a product dead stock (default 60).
    pub dead_days: Option<f64>,
    /// Periods to forecast (default 4; 0: no forecast).
    pub h: Option<f64>,
    /// Prediction-interval levels in percent of the forecasts (default `[80, 95]`).
    pub level: Option<Vec<f64>>,
    /// The length of the top-sellers, rising and declining lists (default 10).
    pub top: Option<f64>,
}

const PRODUCT_OPTIONS: &[&str] = &[
    "windowDays",
    "asOf",
    "period",
    "abc",
    "xyz",
    "trendPeriods",
    "trendAlpha",
    "deadDays",
    "h",
    "level",
    "top",
];

fn product_options(
    env: &Env,
    value: Option<Object<'_>>,
) -> std::result::Result<(ProductColumns, products::ProductOptions), Error> {
    let all: Vec<&str> = PRODUCT_COLUMNS
        .iter()
        .chain(PRODUCT_OPTIONS)
        .copied()
        .collect();
    let names: Option<ProductColumnNames> = options(env, "options", value, &all)?;
    let own: Option<ProductPerformanceOptions<'_>> = options(env, "options", value, &all)?;
    let own = own.unwrap_or_default();
    let d = products::ProductOptions::default();
    let opts = products::ProductOptions {
        window_days: own
            .window_days
            .map_or(Ok(d.window_days), |v| count("windowDays", v, 1.0))?,
        as_of: opt_day("asOf", own.as_of)?,
        period: own.period.as_deref().map_or(Ok(d.period), Period::parse)?,
        abc: own.abc.unwrap_or(d.abc),
        xyz: own.xyz.unwrap_or(d.xyz),
        trend_periods: own
            .trend_periods
            .map_or(Ok(d.trend_periods), |v| size("trendPeriods", v, 0.0))?,
        trend_alpha: own.trend_alpha.unwrap_or(d.trend_alpha),
        dead_days: own
            .dead_days
            .map_or(Ok(d.dead_days), |v| count("deadDays", v, 1.0))?,
        h: own.h.map_or(Ok(d.h), |v| size("h", v, 0.0))?,
        levels: levels(own.level, &d.levels)?,
        top: own.top.map_or(Ok(d.top), |v| size("top", v, 0.0))?,
    };
    Ok((names.unwrap_or_default().columns(), opts))
}

/// Product performance over a window of order lines (one row per line item: product, date,
/// units, line revenue), ranked by the window's revenue: ABC classes by cumulative revenue
/// share, XYZ classes by the variability of demand per full period, velocity (units per
/// day), a Mann-Kendall trend with Sen's slope, the refund rate, days since the last sale
/// (dead stock after `deadDays`), and a demand forecast of the next `h` periods (Croston,
/// SBA or TSB for intermittent demand, AutoETS otherwise; a product that cannot be forecast
/// has its reason in `forecastError`).
///
/// Resolves with `products` (one row per product, in rank order), `summary` (the top
/// sellers, rising, declining and dead-stock lists in one table), `asOf`, the `window`'s
/// first and last day and the `forecastStart`. Rejects with code `"invalid_data"` (with
/// `column` and `row`) for a table that cannot be read and `"invalid_argument"` for a bad
/// option or an `asOf` before the first line.
#[napi(
    ts_args_type = "lines: TransactionsInput, options?: (ProductColumnNames & ProductPerformanceOptions) | null",
    ts_return_type = "Promise<ProductPerformance>"
)]
pub fn product_performance<'env>(
    env: &'env Env,
    lines: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<PromiseRaw<'env, JsonText>> {
    let args = product_options(env, options).and_then(|(columns, opts)| {
        let source = Source::read(env, "lines", lines, &product_names(&columns))?;
        Ok((columns, opts, source))
    });
    blocking(
        env,
        move || {
            let (columns, opts, source) = args?;
            let frame = source.frame(&product_names(&columns), Some(&columns.date))?;
            let lines = ProductLines::from_frame(&frame, &columns)?;
            let p = products::product_performance(&lines, &opts).map_err(|e| renamed(e, &[]))?;
            Ok(format!(
                r#"{{"products":{},"summary":{},"asOf":{},"window":{},"forecastStart":{}}}"#,
                rows_json(&p.to_frame()?, camel)?,
                rows_json(&p.summary_frame()?, camel)?,
                json(&day_text(p.as_of)),
                json(&[day_text(p.window.0), day_text(p.window.1)]),
                json(&day_text(p.forecast_start)),
            ))
        },
        |_, text| Ok(JsonText(text)),
    )
}
