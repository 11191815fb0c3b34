//! The lifetime-value models as Node sees them: `BetaGeo`, `ModifiedBetaGeo`, `ParetoNBD`
//! and `GammaGamma`, whose static `fit` gives a fitted model (`FittedBetaGeo`, ...), and the
//! fitted models' predictions. The names are the Python binding's.
//!
//! The customers' data is `{ frequency, recency, T }` (and `monetaryValue` for the spend
//! model) as arrays of numbers or `Float64Array`s, or the rows `summaryData` returns; it is
//! read like a transactions table ([`Source`]). Work that grows with the customers (fits and
//! predictions for each customer) runs off the event loop and returns a Promise of a
//! `Float64Array`; the predictions for a new customer (`expectedPurchasesNew`,
//! `probabilityOfPurchases`) are immediate.

use napi::bindgen_prelude::{
    ClassInstance, Either, Float64Array, FromNapiValue, JavaScriptClassExt, Object, PromiseRaw,
    Unknown,
};
use napi::{Env, ValueType};
use napi_derive::napi;
use nexus_core::Error;
use nexus_core::analytics::clv::{
    self as core, BetaGeoParams as CoreBetaGeoParams, GammaGammaParams as CoreGammaGammaParams,
    ParetoNbdParams as CoreParetoNbdParams, PurchaseModel,
};
use nexus_core::analytics::rfm::Unit;
use polars::prelude::DataType;

use crate::connectors::options;
use crate::frame::Source;
use crate::promise::blocking;
use crate::{IntoJsError, Result, js_error};

fn invalid(name: &'static str, message: impl Into<String>) -> Error {
    Error::InvalidArgument {
        name,
        message: message.into(),
    }
}

/// A core result as what a method returns: its error (with its `column` and `row`) thrown.
fn thrown<T>(env: &Env, result: std::result::Result<T, Error>) -> napi::Result<T> {
    result.map_err(|e| js_error(env, e.into_js()))
}

/// The columns `names` of the customers' data (rows or columns), as numbers (also the
/// `extra` features of `segmentCustomers`).
pub(crate) fn read_customers(
    source: Source,
    names: &[&str],
) -> std::result::Result<Vec<Vec<f64>>, Error> {
    let frame = source.frame(names, None)?;
    names
        .iter()
        .map(|&name| {
            let column = frame.column(name).map_err(|_| {
                Error::invalid_data(name, None, "missing: give an array of numbers")
            })?;
            let series = column.as_materialized_series();
            if !series.dtype().is_primitive_numeric() {
                return Err(Error::invalid_data(
                    name,
                    None,
                    format!("{} values, expected numbers", series.dtype()),
                ));
            }
            if let Some(row) = series.is_null().iter().position(|v| v == Some(true)) {
                return Err(Error::invalid_data(name, Some(row), "null value"));
            }
            let cast = series
                .cast(&DataType::Float64)
                .map_err(|e| Error::invalid_data(name, None, e.to_string()))?;
            let values = cast
                .f64()
                .map_err(|e| Error::invalid_data(name, None, e.to_string()))?;
            Ok(values.into_no_null_iter().collect())
        })
        .collect()
}

/// The names of a purchase model's customer data.
const HISTORY: &[&str] = &["frequency", "recency", "T"];
/// The names of the spend model's customer data.
const SPEND: &[&str] = &["frequency", "monetaryValue"];
/// The names of the data of `clv`.
const HISTORY_AND_SPEND: &[&str] = &["frequency", "recency", "T", "monetaryValue"];

/// Reads the customers' data on the JavaScript thread; the numbers are taken off it.
fn customers(env: &Env, data: Unknown<'_>, names: &[&str]) -> std::result::Result<Source, Error> {
    Source::read(env, "data", data, names)
}

/// Options of `BetaGeo.fit`, `ModifiedBetaGeo.fit`, `ParetoNBD.fit` and `GammaGamma.fit`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct FitOptions {
    /// L2 penalty on the parameters (lifetimes' `penalizer_coef`; default 0, none).
    pub penalizer: Option<f64>,
    /// How many identical customers each row stands for (default: one each).
    #[napi(ts_type = "ArrayLike<number> | Float64Array")]
    pub weights: Option<Either<Float64Array, Vec<f64>>>,
}

const FIT_OPTIONS: &[&str] = &["penalizer", "weights"];

fn fit_options(
    env: &Env,
    value: Option<Object<'_>>,
) -> std::result::Result<(f64, Option<Vec<f64>>), Error> {
    let o: FitOptions = options(env, "options", value, FIT_OPTIONS)?.unwrap_or_default();
    let weights = o.weights.map(|w| match w {
        Either::A(typed) => typed.to_vec(),
        Either::B(list) => list,
    });
    Ok((o.penalizer.unwrap_or(0.0), weights))
}

/// A horizon or count list: one number, or several (the result is then a `Float64Array`).
fn many(value: Either<f64, Vec<f64>>) -> (Vec<f64>, bool) {
    match value {
        Either::A(x) => (vec![x], true),
        Either::B(list) => (list, false),
    }
}

/// One number for one number given, a `Float64Array` for several.
fn one_or_many(values: Vec<f64>, one: bool) -> Either<f64, Float64Array> {
    if one {
        Either::A(values.first().copied().unwrap_or(f64::NAN))
    } else {
        Either::B(Float64Array::new(values))
    }
}

/// The parameters of the BG/NBD and MBG/NBD models: purchase rates gamma distributed
/// (shape `r`, scale `alpha` in the data's time unit), the dropout probability beta
/// distributed (`a`, `b`).
#[napi(object, js_name = "BetaGeoParams")]
pub struct JsBetaGeoParams {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl From<CoreBetaGeoParams> for JsBetaGeoParams {
    fn from(p: CoreBetaGeoParams) -> Self {
        JsBetaGeoParams {
            r: p.r,
            alpha: p.alpha,
            a: p.a,
            b: p.b,
        }
    }
}

impl From<JsBetaGeoParams> for CoreBetaGeoParams {
    fn from(p: JsBetaGeoParams) -> Self {
        CoreBetaGeoParams {
            r: p.r,
            alpha: p.alpha,
            a: p.a,
            b: p.b,
        }
    }
}

/// The parameters of the Pareto/NBD model: purchase rates gamma distributed (shape `r`,
/// scale `alpha`), and dropout rates too (shape `s`, scale `beta`); scales in the data's
/// time unit.
#[napi(object, js_name = "ParetoNBDParams")]
pub struct JsParetoNbdParams {
    pub r: f64,
    pub alpha: f64,
    pub s: f64,
    pub beta: f64,
}

impl From<CoreParetoNbdParams> for JsParetoNbdParams {
    fn from(p: CoreParetoNbdParams) -> Self {
        JsParetoNbdParams {
            r: p.r,
            alpha: p.alpha,
            s: p.s,
            beta: p.beta,
        }
    }
}

impl From<JsParetoNbdParams> for CoreParetoNbdParams {
    fn from(p: JsParetoNbdParams) -> Self {
        CoreParetoNbdParams {
            r: p.r,
            alpha: p.alpha,
            s: p.s,
            beta: p.beta,
        }
    }
}

/// The parameters of the Gamma-Gamma model: a customer's transaction values gamma
/// distributed with shape `p`, their rate gamma distributed across customers with shape
/// `q` and scale `v` (note 025's `gamma`, in money units).
#[napi(object, js_name = "GammaGammaParams")]
pub struct JsGammaGammaParams {
    pub p: f64,
    pub q: f64,
    pub v: f64,
}

impl From<CoreGammaGammaParams> for JsGammaGammaParams {
    fn from(p: CoreGammaGammaParams) -> Self {
        JsGammaGammaParams {
            p: p.p,
            q: p.q,
            v: p.v,
        }
    }
}

impl From<JsGammaGammaParams> for CoreGammaGammaParams {
    fn from(p: JsGammaGammaParams) -> Self {
        CoreGammaGammaParams {
            p: p.p,
            q: p.q,
            v: p.v,
        }
    }
}

/// The three purchase-count models: the unfitted class with its static `fit`, and the
/// fitted class with its parameters and predictions.
macro_rules! purchase_model {
    (
        $(#[doc = $unfitted_doc:literal])*
        $unfitted:ident = $js_unfitted:tt,
        $(#[doc = $fitted_doc:literal])*
        $fitted:ident = $js_fitted:tt,
        core: $core_unfitted:ident => $core_fitted:ident,
        params: $params:ident,
        promise: $promise:tt,
        errors: $errors:tt,
    ) => {
        $(#[doc = $unfitted_doc])*
        #[napi(js_name = $js_unfitted)]
        pub struct $unfitted {}

        #[napi]
        impl $unfitted {
            /// Fits the model by maximum likelihood to one row per customer: `frequency`
            /// (repeat purchases), `recency` (time of the last purchase since the first) and
            /// `T` (time since the first purchase), in any one time unit. `data` is those
            /// arrays, or the rows of `summaryData`. Rejects with code `"invalid_data"`
            /// (with `column` and `row`) for bad values and `"fit_failed"` when the model
            /// cannot be fitted.
            #[napi(
                ts_args_type = "data: CustomerHistory, options?: FitOptions | null",
                ts_return_type = $promise
            )]
            pub fn fit<'env>(
                env: &'env Env,
                data: Unknown<'_>,
                options: Option<Object<'_>>,
            ) -> Result<PromiseRaw<'env, $fitted>> {
                let args = fit_options(env, options)
                    .and_then(|o| Ok((o, customers(env, data, HISTORY)?)));
                blocking(
                    env,
                    move || {
                        let ((penalizer, weights), source) = args?;
                        let [x, tx, t]: [Vec<f64>; 3] = read_customers(source, HISTORY)?
                            .try_into()
                            .expect("three columns were read");
                        let model = core::$core_unfitted { penalizer };
                        match weights {
                            None => model.fit(&x, &tx, &t),
                            Some(w) => model.fit_weighted(&x, &tx, &t, &w),
                        }
                    },
                    |_, inner| Ok($fitted { inner }),
                )
            }
        }

        $(#[doc = $fitted_doc])*
        #[napi(js_name = $js_fitted)]
        pub struct $fitted {
            inner: core::$core_fitted,
        }

        #[napi]
        impl $fitted {
            /// A model from known parameters (all finite and positive), for predictions; it
            /// has no log-likelihood, customer count or standard errors.
            #[napi(factory)]
            pub fn from_params(env: &Env, params: $params) -> napi::Result<Self> {
                let inner = thrown(env, core::$core_fitted::new(params.into()))?;
                Ok($fitted { inner })
            }

            /// The parameters (scales in the data's time unit).
            #[napi(getter)]
            pub fn params(&self) -> $params {
                self.inner.params().into()
            }

            /// The total log-likelihood of the fitted customers at the estimate; `null` for
            /// a model made from parameters.
            #[napi(getter)]
            pub fn log_likelihood(&self) -> Option<f64> {
                self.inner.log_likelihood()
            }

            /// The standard errors of the parameters (from the inverse Hessian of the negative
            /// log-likelihood at the estimate); `null` for a model made from parameters or
            /// when that Hessian is not positive definite (an estimate on the boundary).
            #[napi(getter, ts_return_type = $errors)]
            pub fn standard_errors(&self) -> Option<$params> {
                self.inner.standard_errors().map(Into::into)
            }

            /// The number of customers fitted (0 for a model made from parameters).
            #[napi(getter)]
            pub fn n_customers(&self) -> u32 {
                u32::try_from(self.inner.n_customers()).unwrap_or(u32::MAX)
            }

            /// The expected number of purchases of each customer in the next `t` time units,
            /// given their history (lifetimes'
            /// `conditional_expected_number_of_purchases_up_to_time`).
            #[napi(
                ts_args_type = "t: number, data: CustomerHistory",
                ts_return_type = "Promise<Float64Array>"
            )]
            pub fn expected_purchases<'env>(
                &self,
                env: &'env Env,
                t: f64,
                data: Unknown<'_>,
            ) -> Result<PromiseRaw<'env, Float64Array>> {
                let model = self.inner.clone();
                let source = customers(env, data, HISTORY);
                blocking(
                    env,
                    move || {
                        let c = read_customers(source?, HISTORY)?;
                        model.expected_purchases(t, &c[0], &c[1], &c[2])
                    },
                    |_, v| Ok(Float64Array::new(v)),
                )
            }

            /// The probability that each customer is still active at the end of the
            /// observation period, given their history (lifetimes'
            /// `conditional_probability_alive`).
            #[napi(
                ts_args_type = "data: CustomerHistory",
                ts_return_type = "Promise<Float64Array>"
            )]
            pub fn probability_alive<'env>(
                &self,
                env: &'env Env,
                data: Unknown<'_>,
            ) -> Result<PromiseRaw<'env, Float64Array>> {
                let model = self.inner.clone();
                let source = customers(env, data, HISTORY);
                blocking(
                    env,
                    move || {
                        let c = read_customers(source?, HISTORY)?;
                        model.probability_alive(&c[0], &c[1], &c[2])
                    },
                    |_, v| Ok(Float64Array::new(v)),
                )
            }

            /// The expected number of repeat purchases in `(0, t]` of a new customer
            /// (lifetimes' `expected_number_of_purchases_up_to_time`): a number for one `t`,
            /// a `Float64Array` for several.
            #[napi(
                ts_generic_types = "T extends number | ArrayLike<number>",
                ts_args_type = "t: T",
                ts_return_type = "T extends number ? number : Float64Array"
            )]
            pub fn expected_purchases_new(
                &self,
                env: &Env,
                t: Either<f64, Vec<f64>>,
            ) -> napi::Result<Either<f64, Float64Array>> {
                let (t, one) = many(t);
                let values = thrown(env, self.inner.expected_purchases_new(&t))?;
                Ok(one_or_many(values, one))
            }

            /// The probability that a new customer makes exactly `n` repeat purchases in
            /// `(0, t]` (lifetimes' `probability_of_n_purchases_up_to_time`): a number for
            /// one `n`, a `Float64Array` for several.
            #[napi(
                ts_generic_types = "N extends number | ArrayLike<number>",
                ts_args_type = "n: N, t: number",
                ts_return_type = "N extends number ? number : Float64Array"
            )]
            pub fn probability_of_purchases(
                &self,
                env: &Env,
                n: Either<f64, Vec<f64>>,
                t: f64,
            ) -> napi::Result<Either<f64, Float64Array>> {
                let (n, one) = many(n);
                let counts = thrown(env, counts(&n))?;
                let values = thrown(env, self.inner.probability_of_purchases(&counts, t))?;
                Ok(one_or_many(values, one))
            }
        }
    };
}

/// Numbers of purchases: whole and not negative.
fn counts(n: &[f64]) -> std::result::Result<Vec<u32>, Error> {
    n.iter()
        .map(|&k| {
            if k.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&k) {
                Ok(k as u32)
            } else {
                Err(invalid(
                    "n",
                    format!("{k} is not a whole number of purchases >= 0"),
                ))
            }
        })
        .collect()
}

purchase_model! {
    #[doc = " The BG/NBD model (Fader, Hardie & Lee 2005, \"Counting your customers the easy way\"):"]
    #[doc = " `BetaGeo.fit(data)` gives a `FittedBetaGeo`."]
    BetaGeo = "BetaGeo",
    #[doc = " A fitted BG/NBD model: its parameters, fit statistics and predictions."]
    FittedBetaGeo = "FittedBetaGeo",
    core: BetaGeo => FittedBetaGeo,
    params: JsBetaGeoParams,
    promise: "Promise<FittedBetaGeo>",
    errors: "BetaGeoParams | null",
}

purchase_model! {
    #[doc = " The MBG/NBD model (Batislam, Denizel & Filiztekin 2007, as lifetimes'"]
    #[doc = " `ModifiedBetaGeoFitter`), where a customer may also drop out at the first purchase:"]
    #[doc = " `ModifiedBetaGeo.fit(data)` gives a `FittedModifiedBetaGeo`."]
    ModifiedBetaGeo = "ModifiedBetaGeo",
    #[doc = " A fitted MBG/NBD model: its parameters, fit statistics and predictions."]
    FittedModifiedBetaGeo = "FittedModifiedBetaGeo",
    core: ModifiedBetaGeo => FittedModifiedBetaGeo,
    params: JsBetaGeoParams,
    promise: "Promise<FittedModifiedBetaGeo>",
    errors: "BetaGeoParams | null",
}

purchase_model! {
    #[doc = " The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): `ParetoNBD.fit(data)`"]
    #[doc = " gives a `FittedParetoNBD`."]
    ParetoNBD = "ParetoNBD",
    #[doc = " A fitted Pareto/NBD model: its parameters, fit statistics and predictions."]
    FittedParetoNBD = "FittedParetoNBD",
    core: ParetoNbd => FittedParetoNbd,
    params: JsParetoNbdParams,
    promise: "Promise<FittedParetoNBD>",
    errors: "ParetoNBDParams | null",
}

/// A fitted purchase model given to `clv`, copied out of its JavaScript object.
enum Purchases {
    BetaGeo(core::FittedBetaGeo),
    ModifiedBetaGeo(core::FittedModifiedBetaGeo),
    ParetoNbd(core::FittedParetoNbd),
}

impl Purchases {
    /// The model behind `value`; each class is checked before its object is unwrapped.
    fn read(env: &Env, value: Unknown<'_>) -> std::result::Result<Self, Error> {
        let bad = |e: napi::Error| invalid("model", e.reason.clone());
        if value.get_type().map_err(bad)? == ValueType::Object {
            if FittedBetaGeo::instance_of(env, &value).map_err(bad)? {
                let m = ClassInstance::<FittedBetaGeo>::from_unknown(value).map_err(bad)?;
                return Ok(Purchases::BetaGeo(m.inner.clone()));
            }
            if FittedModifiedBetaGeo::instance_of(env, &value).map_err(bad)? {
                let m = ClassInstance::<FittedModifiedBetaGeo>::from_unknown(value).map_err(bad)?;
                return Ok(Purchases::ModifiedBetaGeo(m.inner.clone()));
            }
            if FittedParetoNBD::instance_of(env, &value).map_err(bad)? {
                let m = ClassInstance::<FittedParetoNBD>::from_unknown(value).map_err(bad)?;
                return Ok(Purchases::ParetoNbd(m.inner.clone()));
            }
        }
        Err(invalid(
            "model",
            "must be a fitted purchase model (a FittedBetaGeo, FittedModifiedBetaGeo or FittedParetoNBD)",
        ))
    }

    fn model(&self) -> &dyn PurchaseModel {
        match self {
            Purchases::BetaGeo(m) => m,
            Purchases::ModifiedBetaGeo(m) => m,
            Purchases::ParetoNbd(m) => m,
        }
    }
}

/// The Gamma-Gamma spend model (Fader & Hardie, note 025): `GammaGamma.fit(data)` gives a
/// `FittedGammaGamma`.
#[napi]
pub struct GammaGamma {}

#[napi]
impl GammaGamma {
    /// Fits the model to the customers with repeat purchases (rows with `frequency` 0 are
    /// ignored): `frequency` (repeat purchases) and `monetaryValue` (their mean value, which
    /// must be positive), as arrays or the rows of `summaryData`. Rejects with code
    /// `"invalid_data"` for bad values and `"fit_failed"` when there is no repeat buyer or
    /// the optimizer does not converge.
    #[napi(
        ts_args_type = "data: CustomerSpend, options?: FitOptions | null",
        ts_return_type = "Promise<FittedGammaGamma>"
    )]
    pub fn fit<'env>(
        env: &'env Env,
        data: Unknown<'_>,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, FittedGammaGamma>> {
        let args = fit_options(env, options).and_then(|o| Ok((o, customers(env, data, SPEND)?)));
        blocking(
            env,
            move || {
                let ((penalizer, weights), source) = args?;
                let c = read_customers(source, SPEND)?;
                let model = core::GammaGamma { penalizer };
                match weights {
                    None => model.fit(&c[0], &c[1]),
                    Some(w) => model.fit_weighted(&c[0], &c[1], &w),
                }
            },
            |_, inner| Ok(FittedGammaGamma { inner }),
        )
    }
}

/// Options of `FittedGammaGamma.clv`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ClvOptions {
    /// The horizon, in months of 30 days (default 12).
    pub months: Option<f64>,
    /// The discount rate per month (default 0.01, 1% a month).
    pub discount_rate: Option<f64>,
    /// The time unit of `recency`, `T` and the model: `"days"` (default) or `"weeks"`.
    #[napi(ts_type = "TimeUnit")]
    pub unit: Option<String>,
}

const CLV_OPTIONS: &[&str] = &["months", "discountRate", "unit"];

/// A fitted Gamma-Gamma model: its parameters, fit statistics, expected transaction values
/// and customer lifetime value.
#[napi]
pub struct FittedGammaGamma {
    inner: core::FittedGammaGamma,
}

#[napi]
impl FittedGammaGamma {
    /// A model from known parameters `p`, `q`, `v` (all finite and positive).
    #[napi(factory)]
    pub fn from_params(env: &Env, params: JsGammaGammaParams) -> napi::Result<Self> {
        let inner = thrown(env, core::FittedGammaGamma::new(params.into()))?;
        Ok(FittedGammaGamma { inner })
    }

    /// The parameters (`v` in the money unit of the data).
    #[napi(getter)]
    pub fn params(&self) -> JsGammaGammaParams {
        self.inner.params().into()
    }

    /// The total log-likelihood of the repeat buyers' mean values at the estimate; `null`
    /// for a model made from parameters.
    #[napi(getter)]
    pub fn log_likelihood(&self) -> Option<f64> {
        self.inner.log_likelihood()
    }

    /// The standard errors of the parameters, or `null` (see `FittedBetaGeo.standardErrors`).
    #[napi(getter, ts_return_type = "GammaGammaParams | null")]
    pub fn standard_errors(&self) -> Option<JsGammaGammaParams> {
        self.inner.standard_errors().map(Into::into)
    }

    /// The number of repeat buyers fitted (0 for a model made from parameters).
    #[napi(getter)]
    pub fn n_customers(&self) -> u32 {
        u32::try_from(self.inner.n_customers()).unwrap_or(u32::MAX)
    }

    /// The population mean transaction value `p v / (q - 1)` (`Infinity` when `q <= 1`).
    #[napi(getter)]
    pub fn population_mean(&self) -> f64 {
        self.inner.population_mean()
    }

    /// The expected mean transaction value of each customer, a weighted mean of their own
    /// mean and the population's (lifetimes' `conditional_expected_average_profit`); the
    /// population mean for a customer without repeat purchase.
    #[napi(
        ts_args_type = "data: CustomerSpend",
        ts_return_type = "Promise<Float64Array>"
    )]
    pub fn expected_average_value<'env>(
        &self,
        env: &'env Env,
        data: Unknown<'_>,
    ) -> Result<PromiseRaw<'env, Float64Array>> {
        let model = self.inner.clone();
        let source = customers(env, data, SPEND);
        blocking(
            env,
            move || {
                let c = read_customers(source?, SPEND)?;
                model.expected_average_value(&c[0], &c[1])
            },
            |_, v| Ok(Float64Array::new(v)),
        )
    }

    /// Customer lifetime value over the next `months` months (lifetimes'
    /// `customer_lifetime_value`): each month's expected purchases under `model` times the
    /// expected average value, discounted by `discountRate` a month. `data` has each
    /// customer's `frequency`, `recency`, `T` and `monetaryValue` (the rows of `summaryData`
    /// do); `unit` is the time unit of `recency`, `T` and `model`.
    #[napi(
        ts_args_type = "model: FittedBetaGeo | FittedModifiedBetaGeo | FittedParetoNBD, data: CustomerValue, options?: ClvOptions | null",
        ts_return_type = "Promise<Float64Array>"
    )]
    pub fn clv<'env>(
        &self,
        env: &'env Env,
        model: Unknown<'_>,
        data: Unknown<'_>,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, Float64Array>> {
        let spend = self.inner.clone();
        let args = (|| {
            let o: ClvOptions = crate::connectors::options(env, "options", options, CLV_OPTIONS)?
                .unwrap_or_default();
            let months = match o.months {
                None => 12,
                Some(m) if m.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&m) => m as u32,
                Some(m) => {
                    return Err(invalid("months", format!("{m} is not a whole number >= 0")));
                }
            };
            let unit = o
                .unit
                .as_deref()
                .map(Unit::parse)
                .transpose()?
                .unwrap_or_default();
            let purchases = Purchases::read(env, model)?;
            let source = customers(env, data, HISTORY_AND_SPEND)?;
            Ok((
                purchases,
                source,
                months,
                o.discount_rate.unwrap_or(0.01),
                unit,
            ))
        })();
        blocking(
            env,
            move || {
                let (purchases, source, months, discount_rate, unit) = args?;
                let c = read_customers(source, HISTORY_AND_SPEND)?;
                spend.clv(
                    purchases.model(),
                    &c[0],
                    &c[1],
                    &c[2],
                    &c[3],
                    months,
                    discount_rate,
                    unit.days(),
                )
            },
            |_, v| Ok(Float64Array::new(v)),
        )
    }
}
