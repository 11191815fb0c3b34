//! The customer segments and the purchase propensity as Node sees them:
//! `segmentCustomers` and `purchasePropensity` over a transactions table.
//!
//! They read the table and their options like the other analytics ([`analytics`]: the
//! column names of `rfm`, the table read on the JavaScript thread, the work done on a
//! blocking thread) but resolve with one object rather than rows: the core's result, its
//! per-customer tables (`to_frame`) as rows with camelCase keys, the rest as camelCase
//! fields; days are `YYYY-MM-DD` text. Errors reject the Promise with the core's `code`
//! (and the `column` and `row` of an `"invalid_data"` error).
//!
//! [`analytics`]: crate::analytics

use napi::bindgen_prelude::{FromNapiValue, Object, PromiseRaw, Unknown};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;
use nexus_core::Error;
use nexus_core::analytics::rfm::{Day, date_of};
use nexus_core::analytics::segments::{
    self as core, Propensity, PropensityModel, PropensityOptions as CorePropensityOptions,
    SegmentOptions as CoreSegmentOptions, Segments,
};
use serde::{Serialize, Serializer};

use crate::Result;
use crate::analytics::{ORDER_COLUMNS, analyze_json, opt_day, split};
use crate::clv::read_customers;
use crate::frame::{Source, camel, rows_json};
use crate::manager::JsonText;

fn invalid(name: &'static str, message: impl Into<String>) -> Error {
    Error::InvalidArgument {
        name,
        message: message.into(),
    }
}

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// A whole number from `min` to `max`, given as a JavaScript number.
fn whole(name: &'static str, value: f64, min: f64, max: f64) -> std::result::Result<u64, Error> {
    if value.fract() == 0.0 && (min..=max).contains(&value) {
        Ok(value as u64)
    } else {
        Err(invalid(
            name,
            format!("{value} is not a whole number from {min} to {max}"),
        ))
    }
}

/// A whole number from `min` that fits a `u32`.
pub(crate) fn count(name: &'static str, value: f64, min: f64) -> std::result::Result<u32, Error> {
    whole(name, value, min, f64::from(u32::MAX)).map(|v| v as u32)
}

/// A seed: a whole number from 0 to `Number.MAX_SAFE_INTEGER`; the core's `default` without.
fn seed(value: Option<f64>, default: u64) -> std::result::Result<u64, Error> {
    value.map_or(Ok(default), |s| whole("seed", s, 0.0, MAX_SAFE))
}

/// Options of `segmentCustomers` (besides the column names, those of `rfm`).
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct SegmentOptions<'a> {
    /// The number of clusters. Default: the k of `kRange` with the best mean silhouette.
    pub k: Option<f64>,
    /// The range of k tried (inclusive) without `k`: `[lo, hi]` with `2 <= lo <= hi`
    /// (default `[2, 8]`).
    #[napi(ts_type = "[number, number]")]
    pub k_range: Option<(f64, f64)>,
    /// The seed of the k-means initialization and of the silhouette sample (default 42):
    /// the same seed, the same segments.
    pub seed: Option<f64>,
    /// The day recency is measured to: a `Date` (its UTC day), `"YYYY-MM-DD"` or epoch
    /// milliseconds. Default: the day after the last transaction.
    #[napi(ts_type = "Date | string | number")]
    pub as_of: Option<Unknown<'a>>,
    /// Extra features to cluster on, such as a lifetime value: by name, one number per
    /// customer, **in the order of the customers sorted by id**: the order of `rfm`'s
    /// rows, of the result's `customers`, and of `summaryData`'s rows when every customer
    /// bought by its end. Standardized like the RFM features (after `ln(1 + x)` when all
    /// values are non-negative); each cluster's `extra` has their means.
    #[napi(ts_type = "{ readonly [name: string]: Numbers }")]
    pub extra: Option<Unknown<'a>>,
}

const SEGMENT_OPTIONS: &[&str] = &["k", "kRange", "seed", "asOf", "extra"];

/// The names of the `extra` features and their columns, unread.
type Extra = Option<(Vec<String>, Source)>;

/// The `extra` option: an object of number columns, read on the JavaScript thread; its
/// names in the object's key order.
fn extra(env: &Env, value: Option<Unknown<'_>>) -> std::result::Result<Extra, Error> {
    let bad = |e: napi::Error| invalid("extra", e.reason.clone());
    let Some(value) = value else {
        return Ok(None);
    };
    match value.get_type().map_err(bad)? {
        ValueType::Null | ValueType::Undefined => return Ok(None),
        ValueType::Object
            if !value.is_array().map_err(bad)? && !value.is_typedarray().map_err(bad)? => {}
        _ => {
            return Err(invalid(
                "extra",
                "must be an object of arrays of numbers, one per customer, by name",
            ));
        }
    }
    let names = Object::keys(&Object::from_unknown(value).map_err(bad)?).map_err(bad)?;
    if names.is_empty() {
        return Ok(None);
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let source = Source::read(env, "extra", value, &refs)?;
    Ok(Some((names, source)))
}

fn segment_options(
    env: &Env,
    value: Option<Object<'_>>,
) -> std::result::Result<(nexus_core::analytics::Columns, (CoreSegmentOptions, Extra)), Error> {
    let (columns, own) = split::<SegmentOptions<'_>>(env, value, ORDER_COLUMNS, SEGMENT_OPTIONS)?;
    let own = own.unwrap_or_default();
    let defaults = CoreSegmentOptions::default();
    let k = own
        .k
        .map(|k| count("k", k, 1.0).map(|k| k as usize))
        .transpose()?;
    let k_range = match own.k_range {
        None => defaults.k_range,
        Some((lo, hi)) => {
            let (lo, hi) = (count("kRange", lo, 0.0)?, count("kRange", hi, 0.0)?);
            if lo < 2 || lo > hi {
                return Err(invalid(
                    "kRange",
                    format!("[{lo}, {hi}] must be [lo, hi] with 2 <= lo <= hi"),
                ));
            }
            (lo as usize, hi as usize)
        }
    };
    let options = CoreSegmentOptions {
        k,
        k_range,
        seed: seed(own.seed, defaults.seed)?,
        extra: Vec::new(),
        as_of: opt_day("asOf", own.as_of)?,
    };
    Ok((columns, (options, extra(env, own.extra)?)))
}

/// Writes `(name, value)` pairs as a JSON object, in their order.
fn ordered_map<S: Serializer>(pairs: &[(&str, f64)], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterJson<'a> {
    cluster: usize,
    size: usize,
    recency: f64,
    frequency: f64,
    monetary: f64,
    #[serde(serialize_with = "ordered_map")]
    extra: Vec<(&'a str, f64)>,
    revenue_share: f64,
    rfm_segment: &'a str,
}

#[derive(Serialize)]
struct SilhouetteJson {
    k: usize,
    silhouette: f64,
}

/// JSON text of `value`: numbers (non-finite ones as `null`), text, lists and structs,
/// which always serialize.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

fn segments_json(s: &Segments, names: &[String]) -> std::result::Result<String, Error> {
    let silhouettes: Vec<SilhouetteJson> = s
        .silhouettes
        .iter()
        .map(|&(k, silhouette)| SilhouetteJson { k, silhouette })
        .collect();
    let clusters: Vec<ClusterJson<'_>> = s
        .clusters
        .iter()
        .map(|c| ClusterJson {
            cluster: c.id,
            size: c.size,
            recency: c.recency,
            frequency: c.frequency,
            monetary: c.monetary,
            extra: names
                .iter()
                .map(String::as_str)
                .zip(c.extra.iter().copied())
                .collect(),
            revenue_share: c.revenue_share,
            rfm_segment: &c.rfm_segment,
        })
        .collect();
    Ok(format!(
        r#"{{"k":{},"silhouettes":{},"customers":{},"clusters":{}}}"#,
        s.k,
        json(&silhouettes),
        rows_json(&s.to_frame("customerId")?, camel)?,
        json(&clusters),
    ))
}

/// Customer segments by k-means on the standardized `ln(1 + x)` of each customer's
/// recency, frequency and monetary value (those of `rfm`), and of any `extra` feature;
/// seeded and deterministic. Without `k`, the k of `kRange` with the best mean silhouette
/// wins (on a seeded sample of at most 2,000 customers); `silhouettes` has the score of
/// each k tried. Each customer gets a cluster; each cluster is described by its size, the
/// mean recency, frequency, monetary value and extra features of its customers, its share
/// of revenue and the RFM segment most of its customers are in. Clusters are numbered by
/// revenue share, largest first. Rejects with code `"invalid_argument"` for a bad `k` or
/// `kRange`, `"invalid_data"` for extra features of the wrong length or not finite, and
/// `"fit_failed"` when there are fewer customers than clusters.
#[napi(
    ts_args_type = "transactions: TransactionsInput, options?: (RfmColumnNames & SegmentOptions) | null",
    ts_return_type = "Promise<Segments>"
)]
pub fn segment_customers<'env>(
    env: &'env Env,
    transactions: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<PromiseRaw<'env, JsonText>> {
    analyze_json(
        env,
        transactions,
        segment_options(env, options),
        |tx, (mut options, extra)| {
            let names = match extra {
                None => Vec::new(),
                Some((names, source)) => {
                    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                    let values = read_customers(source, &refs)?;
                    options.extra = names.iter().cloned().zip(values).collect();
                    names
                }
            };
            segments_json(&core::segment_customers(tx, &options)?, &names)
        },
    )
}

/// Options of `purchasePropensity` (besides the column names, those of `rfm`).
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct PropensityOptions<'a> {
    /// The last day of the calibration period (inclusive): a `Date` (its UTC day),
    /// `"YYYY-MM-DD"` or epoch milliseconds. The model is validated on the
    /// `horizonDays` after it. Default: `horizonDays` before the last transaction's day,
    /// so that the validation window ends with the data.
    #[napi(ts_type = "Date | string | number")]
    pub calibration_end: Option<Unknown<'a>>,
    /// The prediction (and validation) window, in days (default 90).
    pub horizon_days: Option<f64>,
    /// The training label window, in days: the model is trained on the features at
    /// `calibrationEnd - trainingHorizonDays` and the purchases of the window up to
    /// `calibrationEnd`. Default: `horizonDays`, or half the calibration period when that
    /// is shorter.
    pub training_horizon_days: Option<f64>,
    /// The classifier: `"logistic"` (default; logistic regression on standardized
    /// features) or `"random_forest"`.
    #[napi(ts_type = "PropensityModel")]
    pub model: Option<String>,
    /// The seed of the random forest (default 42).
    pub seed: Option<f64>,
    /// The trees of the random forest (default 100).
    pub trees: Option<f64>,
}

const PROPENSITY_OPTIONS: &[&str] = &[
    "calibrationEnd",
    "horizonDays",
    "trainingHorizonDays",
    "model",
    "seed",
    "trees",
];

fn propensity_options(
    env: &Env,
    value: Option<Object<'_>>,
) -> std::result::Result<(nexus_core::analytics::Columns, CorePropensityOptions), Error> {
    let (columns, own) =
        split::<PropensityOptions<'_>>(env, value, ORDER_COLUMNS, PROPENSITY_OPTIONS)?;
    let own = own.unwrap_or_default();
    let defaults = CorePropensityOptions::default();
    Ok((
        columns,
        CorePropensityOptions {
            calibration_end: opt_day("calibrationEnd", own.calibration_end)?,
            horizon_days: own
                .horizon_days
                .map_or(Ok(defaults.horizon_days), |d| count("horizonDays", d, 1.0))?,
            training_horizon_days: own
                .training_horizon_days
                .map(|d| count("trainingHorizonDays", d, 1.0))
                .transpose()?,
            model: own
                .model
                .as_deref()
                .map_or(Ok(defaults.model), PropensityModel::parse)?,
            seed: seed(own.seed, defaults.seed)?,
            trees: own.trees.map_or(Ok(defaults.trees), |t| {
                whole("trees", t, 1.0, f64::from(u16::MAX)).map(|t| t as u16)
            })?,
        },
    ))
}

fn day_text(day: Day) -> String {
    date_of(day).map_or_else(|| format!("day {day}"), |d| d.to_string())
}

fn propensity_json(p: &Propensity) -> std::result::Result<String, Error> {
    Ok(format!(
        r#"{{"auc":{},"baselineAuc":{},"model":{},"features":{},"calibrationEnd":{},"trainingCutoff":{},"customers":{}}}"#,
        json(&p.auc),
        json(&p.baseline_auc),
        json(&p.model.as_str()),
        json(&p.features),
        json(&day_text(p.calibration_end)),
        json(&day_text(p.training_cutoff)),
        rows_json(&p.to_frame("customerId")?, camel)?,
    ))
}

/// Will each customer buy in the next `horizonDays`? A classifier (`model`) on features
/// of each customer's history (days since the last purchase, tenure, orders, purchase
/// days, total and mean spend, purchase days in the last 30 and 90 days, mean days
/// between purchase days; `features` names them) is trained on the calibration period,
/// then scores the customers who bought by `calibrationEnd` on their history up to it.
/// `auc` is its ROC AUC on what they did in the `horizonDays` after `calibrationEnd`
/// (`purchased`); `baselineAuc` that of the BG/NBD model fitted on the calibration
/// summary (`baseline`: its probability of at least one purchase in the window). AUCs are
/// `null` when the window has buyers only or none. Rejects with code `"invalid_argument"`
/// for a bad option or a calibration period too short to train on, and `"fit_failed"`
/// when the training window has one class only.
#[napi(
    ts_args_type = "transactions: TransactionsInput, options?: (RfmColumnNames & PropensityOptions) | null",
    ts_return_type = "Promise<Propensity>"
)]
pub fn purchase_propensity<'env>(
    env: &'env Env,
    transactions: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<PromiseRaw<'env, JsonText>> {
    analyze_json(
        env,
        transactions,
        propensity_options(env, options),
        |tx, options| propensity_json(&core::purchase_propensity(tx, &options)?),
    )
}
