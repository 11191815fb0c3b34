//! The customer analytics as Node sees them: `rfm`, `rfmSegments`, `summaryData`, `kpis`
//! and `cohorts` over a transactions table (`segmentCustomers` and `purchasePropensity`,
//! which read the table the same way, are in [`segments`](crate::segments)).
//!
//! Each function reads its options and the table on the JavaScript thread ([`Source::read`]),
//! then, on one of the runtime's blocking threads ([`blocking`]), builds the `DataFrame`,
//! reads it with `Transactions::from_frame`, calls the one core function and writes the
//! core's result table (`to_frame`) as JSON rows; the Promise resolves with what `JSON.parse`
//! makes of them. Errors reject the Promise with the core's `code`; an `"invalid_data"`
//! error also has the `column` and `row` at fault.
//!
//! The table's column names are the core's defaults (`customer_id`, `order_id`, `date`,
//! `amount`: the snake_case names of the store's `transactions` view, which
//! `Manager.transactions()` returns), changed by the options `customer`, `order`, `date`,
//! `amount`, `items`, `refunded` and `by` ([`TransactionColumnNames`]).

use napi::bindgen_prelude::{Either, FromNapiValue, Null, Object, PromiseRaw, Unknown};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;
use nexus_core::Error;
use nexus_core::analytics::kpi::{self, KpiOptions as CoreKpiOptions, Period};
use nexus_core::analytics::rfm::{
    self, Day, RfmOptions as CoreRfmOptions, SegmentMap, SegmentRule as CoreSegmentRule,
    SummaryOptions as CoreSummaryOptions, Unit,
};
use nexus_core::analytics::{Columns, Transactions};
use polars::prelude::DataFrame;

use crate::Result;
use crate::connectors::options;
use crate::frame::{Source, camel, rows_json};
use crate::manager::JsonText;
use crate::promise::blocking;

fn invalid(name: &'static str, message: impl Into<String>) -> Error {
    Error::InvalidArgument {
        name,
        message: message.into(),
    }
}

/// The names of the columns of a transactions table, in the options of the analytics
/// functions (each takes those it reads: `RfmColumnNames`, `CustomerColumnNames`). The
/// defaults are the core's: `customer_id`, `order_id`, `date`, `amount`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct TransactionColumnNames {
    /// The customer id column: numbers or text (default `"customer_id"`).
    pub customer: Option<String>,
    /// The order id column: numbers or text (default `"order_id"`); `null` when each row
    /// is an order of its own.
    #[napi(ts_type = "string | null")]
    pub order: Option<Either<String, Null>>,
    /// The date column (default `"date"`): `Date`s, ISO 8601 text (`"2024-05-01"`, RFC 3339
    /// timestamps, `YYYYMMDD`) or epoch milliseconds; days are UTC days.
    pub date: Option<String>,
    /// The amount column (default `"amount"`): numbers or decimal text, never negative.
    pub amount: Option<String>,
    /// The items-per-order column, for `kpis`' `itemsPerOrder` (optional).
    pub items: Option<String>,
    /// The refunded-amount column, for `kpis`' `refundRate` (optional).
    pub refunded: Option<String>,
    /// A column to break `kpis` down by, such as `"store"` or `"platform"` (optional).
    pub by: Option<String>,
}

/// The column names `kpis` takes: every one.
const ALL_COLUMNS: &[&str] = &[
    "customer", "order", "date", "amount", "items", "refunded", "by",
];
/// The column names `rfm` and `rfmSegments` take (and `segmentCustomers` and
/// `purchasePropensity`).
pub(crate) const ORDER_COLUMNS: &[&str] = &["customer", "order", "date", "amount"];
/// The column names `summaryData` and `cohorts` take: they count by day or period, so
/// they read no order column.
const CUSTOMER_COLUMNS: &[&str] = &["customer", "date", "amount"];

impl TransactionColumnNames {
    fn columns(self) -> Columns {
        let mut c = Columns::default();
        if let Some(name) = self.customer {
            c.customer = name;
        }
        match self.order {
            Some(Either::A(name)) => c.order = Some(name),
            Some(Either::B(Null)) => c.order = None,
            None => {}
        }
        if let Some(name) = self.date {
            c.date = name;
        }
        if let Some(name) = self.amount {
            c.amount = name;
        }
        c.items = self.items;
        c.refunded = self.refunded;
        c.by = self.by;
        c
    }
}

/// The column names `columns` reads, once each.
fn names(columns: &Columns) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    let all = [
        Some(columns.customer.as_str()),
        columns.order.as_deref(),
        Some(columns.date.as_str()),
        Some(columns.amount.as_str()),
        columns.items.as_deref(),
        columns.refunded.as_deref(),
        columns.by.as_deref(),
    ];
    for name in all.into_iter().flatten() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// A day given as a `Date`, `"YYYY-MM-DD"` (or RFC 3339) text, or epoch milliseconds; the
/// UTC day of an instant.
fn day(name: &'static str, value: Unknown<'_>) -> std::result::Result<Day, Error> {
    let bad = |e: napi::Error| invalid(name, e.reason.clone());
    let millis = match value.get_type().map_err(bad)? {
        ValueType::String => {
            let text = String::from_unknown(value).map_err(bad)?;
            let text = text.trim();
            if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                return Ok(rfm::day_of(date));
            }
            return chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| rfm::day_of(t.naive_utc().date()))
                .map_err(|_| {
                    invalid(
                        name,
                        format!("{text:?} is not a date (YYYY-MM-DD or an RFC 3339 timestamp)"),
                    )
                });
        }
        ValueType::Number => f64::from_unknown(value).map_err(bad)?,
        ValueType::Object if value.is_date().map_err(bad)? => value
            .coerce_to_number()
            .and_then(|n| n.get_double())
            .map_err(bad)?,
        other => {
            return Err(invalid(
                name,
                format!(
                    "must be a Date, date text or epoch milliseconds, not a value of type {}",
                    other.to_string().to_lowercase()
                ),
            ));
        }
    };
    if !millis.is_finite() {
        return Err(invalid(name, "is an invalid date"));
    }
    Ok((millis / 86_400_000.0).floor() as Day)
}

/// An optional day: `None` for `null` or `undefined`.
pub(crate) fn opt_day(
    name: &'static str,
    value: Option<Unknown<'_>>,
) -> std::result::Result<Option<Day>, Error> {
    match value {
        Some(v) if !matches!(v.get_type(), Ok(ValueType::Null | ValueType::Undefined)) => {
            day(name, v).map(Some)
        }
        _ => Ok(None),
    }
}

/// Reads the options object of an analytics function: the column names it takes
/// (`columns`, from [`TransactionColumnNames`]) and its own options `T` (whose keys are
/// `known`), refusing any other key. Without `"order"` in `columns`, no order column is read.
pub(crate) fn split<T: FromNapiValue>(
    env: &Env,
    value: Option<Object<'_>>,
    columns: &[&str],
    known: &[&str],
) -> std::result::Result<(Columns, Option<T>), Error> {
    let all: Vec<&str> = columns.iter().chain(known).copied().collect();
    let names: Option<TransactionColumnNames> = options(env, "options", value, &all)?;
    let own: Option<T> = options(env, "options", value, &all)?;
    let mut names = names.unwrap_or_default().columns();
    if !columns.contains(&"order") {
        names.order = None;
    }
    Ok((names, own))
}

/// What every analytics function does: reads the table (on the JavaScript thread), then off
/// the event loop builds the frame, reads it as transactions, runs `work` and writes the
/// result table's rows with keys `key`.
fn analyze<'env, A, W, K>(
    env: &'env Env,
    transactions: Unknown<'_>,
    args: std::result::Result<(Columns, A), Error>,
    work: W,
    key: K,
) -> Result<PromiseRaw<'env, JsonText>>
where
    A: Send + 'static,
    W: FnOnce(&Transactions, A) -> std::result::Result<DataFrame, Error> + Send + 'static,
    K: Fn(&str) -> String + Send + 'static,
{
    analyze_json(env, transactions, args, move |tx, own| {
        rows_json(&work(tx, own)?, key)
    })
}

/// [`analyze`] for a result that is not one table: `work` writes the JSON text the Promise
/// resolves with (parsed by `JSON.parse`).
pub(crate) fn analyze_json<'env, A, W>(
    env: &'env Env,
    transactions: Unknown<'_>,
    args: std::result::Result<(Columns, A), Error>,
    work: W,
) -> Result<PromiseRaw<'env, JsonText>>
where
    A: Send + 'static,
    W: FnOnce(&Transactions, A) -> std::result::Result<String, Error> + Send + 'static,
{
    let read = args.and_then(|(columns, own)| {
        let source = Source::read(env, "transactions", transactions, &names(&columns))?;
        Ok((columns, source, own))
    });
    blocking(
        env,
        move || {
            let (columns, source, own) = read?;
            let frame = source.frame(&names(&columns), Some(&columns.date))?;
            let tx = Transactions::from_frame(&frame, &columns)?;
            work(&tx, own)
        },
        |_, text| Ok(JsonText(text)),
    )
}

/// One named segment: the customers whose R, F and M scores (1 to 5) fall in the ranges.
/// A range is `[low, high]` (inclusive) or one score; a range left out is any score
/// (`[1, 5]`), as in the Python binding.
#[napi(object, object_to_js = false)]
pub struct SegmentRule {
    /// The segment's name.
    pub name: String,
    /// The R scores.
    #[napi(ts_type = "number | [number, number]")]
    pub r: Option<Either<u32, (u32, u32)>>,
    /// The F scores.
    #[napi(ts_type = "number | [number, number]")]
    pub f: Option<Either<u32, (u32, u32)>>,
    /// The M scores.
    #[napi(ts_type = "number | [number, number]")]
    pub m: Option<Either<u32, (u32, u32)>>,
}

/// Options of `rfm` and `rfmSegments` (besides the column names).
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct RfmOptions<'a> {
    /// The day recency is measured to: a `Date` (its UTC day), `"YYYY-MM-DD"` or epoch
    /// milliseconds. Default: the day after the last transaction.
    #[napi(ts_type = "Date | string | number")]
    pub as_of: Option<Unknown<'a>>,
    /// How scores become segment names: `"rf_grid"` (default; the 10-segment R-F grid),
    /// `"rfm_rules"`, or rules tried in order (the first match wins; customers matching
    /// none are `"Others"`).
    #[napi(ts_type = "'rf_grid' | 'rfm_rules' | SegmentRule[]")]
    pub segments: Option<Either<String, Vec<SegmentRule>>>,
}

const RFM_OPTIONS: &[&str] = &["asOf", "segments"];

fn score_range(
    name: &str,
    what: &str,
    range: Option<Either<u32, (u32, u32)>>,
) -> std::result::Result<(u8, u8), Error> {
    let (lo, hi) = match range {
        None => (1, 5),
        Some(Either::A(score)) => (score, score),
        Some(Either::B(range)) => range,
    };
    let score = |v: u32| {
        u8::try_from(v).map_err(|_| {
            invalid(
                "segments",
                format!("rule {name:?}: {what} range {lo}..{hi} is not within 1..5"),
            )
        })
    };
    Ok((score(lo)?, score(hi)?))
}

fn rfm_options(
    env: &Env,
    value: Option<Object<'_>>,
) -> std::result::Result<(Columns, CoreRfmOptions), Error> {
    let (columns, own) = split::<RfmOptions<'_>>(env, value, ORDER_COLUMNS, RFM_OPTIONS)?;
    let own = own.unwrap_or_default();
    let segments = match own.segments {
        None => SegmentMap::default(),
        Some(Either::A(name)) => SegmentMap::named(&name)?,
        Some(Either::B(rules)) => SegmentMap::from_rules(
            rules
                .into_iter()
                .map(|rule| {
                    Ok(CoreSegmentRule::new(
                        rule.name.clone(),
                        score_range(&rule.name, "r", rule.r)?,
                        score_range(&rule.name, "f", rule.f)?,
                        score_range(&rule.name, "m", rule.m)?,
                    ))
                })
                .collect::<std::result::Result<_, Error>>()?,
        )?,
    };
    let as_of = opt_day("asOf", own.as_of)?;
    Ok((columns, CoreRfmOptions { as_of, segments }))
}

/// The RFM table: one row per customer (sorted by id) with recency (days from the last
/// purchase day to `asOf`), frequency (distinct orders), monetary value (total amount),
/// their scores 1 to 5 by quintiles, the RFM cell (`"545"`), the score R+F+M and the
/// segment.
#[napi(
    ts_args_type = "transactions: TransactionsInput, options?: (RfmColumnNames & RfmOptions) | null",
    ts_return_type = "Promise<RfmRow[]>"
)]
pub fn rfm<'env>(
    env: &'env Env,
    transactions: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<PromiseRaw<'env, JsonText>> {
    analyze(
        env,
        transactions,
        rfm_options(env, options),
        |tx, options| rfm::rfm(tx, &options)?.to_frame("customerId"),
        camel,
    )
}

/// The RFM segments: customers, revenue and mean recency, frequency and monetary value of
/// each segment, in the segment map's order (segments without customers are left out).
/// Takes the options of `rfm`.
#[napi(
    ts_args_type = "transactions: TransactionsInput, options?: (RfmColumnNames & RfmOptions) | null",
    ts_return_type = "Promise<RfmSegment[]>"
)]
pub fn rfm_segments<'env>(
    env: &'env Env,
    transactions: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<PromiseRaw<'env, JsonText>> {
    analyze(
        env,
        transactions,
        rfm_options(env, options),
        |tx, options| rfm::rfm(tx, &options)?.segment_summary_frame(),
        camel,
    )
}

/// Options of `summaryData` (besides the column names).
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct SummaryOptions<'a> {
    /// The last day observed (inclusive): a `Date` (its UTC day), `"YYYY-MM-DD"` or epoch
    /// milliseconds. Default: the day of the last transaction; later ones are left out.
    #[napi(ts_type = "Date | string | number")]
    pub observation_end: Option<Unknown<'a>>,
    /// The last day of the calibration period (inclusive): the summary covers it, and the
    /// hold-out columns the days after it up to `observationEnd`.
    #[napi(ts_type = "Date | string | number")]
    pub calibration_end: Option<Unknown<'a>>,
    /// The time unit of `recency`, `T` and `durationHoldout`: `"days"` (default) or
    /// `"weeks"` (days / 7, unrounded).
    #[napi(ts_type = "TimeUnit")]
    pub unit: Option<String>,
}

const SUMMARY_OPTIONS: &[&str] = &["observationEnd", "calibrationEnd", "unit"];

/// The per-customer summary that the lifetime-value models take: one row per customer
/// with a purchase by the end of the (calibration) period, sorted by id. Purchases are
/// counted by UTC day: `frequency` is the number of repeat purchase days, `recency` the
/// time from the first to the last purchase day, `T` from the first purchase day to the
/// end of the period, `monetaryValue` the mean amount of the repeat purchase days. With
/// `calibrationEnd`, each row also has the hold-out period's purchase days
/// (`frequencyHoldout`), mean transaction value and duration.
#[napi(
    ts_args_type = "transactions: TransactionsInput, options?: (CustomerColumnNames & SummaryOptions) | null",
    ts_return_type = "Promise<SummaryRow[]>"
)]
pub fn summary_data<'env>(
    env: &'env Env,
    transactions: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<PromiseRaw<'env, JsonText>> {
    let args = split::<SummaryOptions<'_>>(env, options, CUSTOMER_COLUMNS, SUMMARY_OPTIONS)
        .and_then(|(c, own)| {
            let own = own.unwrap_or_default();
            let unit = own.unit.as_deref().map(Unit::parse).transpose()?;
            Ok((
                c,
                CoreSummaryOptions {
                    observation_end: opt_day("observationEnd", own.observation_end)?,
                    calibration_end: opt_day("calibrationEnd", own.calibration_end)?,
                    unit: unit.unwrap_or_default(),
                },
            ))
        });
    analyze(
        env,
        transactions,
        args,
        |tx, options| rfm::summary_data(tx, &options)?.to_frame("customerId"),
        camel,
    )
}

/// Options of `kpis` (besides the column names; `by`, `items` and `refunded` add the
/// breakdown and the ratios).
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct KpiOptions {
    /// The period (default `"month"`). Weeks start on Monday; a period is named by its
    /// first day.
    #[napi(ts_type = "Period")]
    pub period: Option<String>,
}

const KPI_OPTIONS: &[&str] = &["period"];

fn period(value: Option<String>) -> std::result::Result<Period, Error> {
    Ok(value
        .as_deref()
        .map(Period::parse)
        .transpose()?
        .unwrap_or_default())
}

/// Business KPIs by period (and by the `by` column's values, as `group`, when `by` is
/// named): revenue, orders, customers, average order value, new and returning customers
/// and their revenue, repeat rate, historical revenue per customer, and with `items` and
/// `refunded` items per order and refund rate. Periods without a sale between the first
/// and the last are listed with zeros (their ratios are `null`).
#[napi(
    ts_args_type = "transactions: TransactionsInput, options?: (TransactionColumnNames & KpiOptions) | null",
    ts_return_type = "Promise<KpiRow[]>"
)]
pub fn kpis<'env>(
    env: &'env Env,
    transactions: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<PromiseRaw<'env, JsonText>> {
    let args = split::<KpiOptions>(env, options, ALL_COLUMNS, KPI_OPTIONS).and_then(|(c, own)| {
        let period = period(own.unwrap_or_default().period)?;
        Ok((c, CoreKpiOptions { period }))
    });
    let by = match &args {
        Ok((c, _)) => c.by.clone(),
        Err(_) => None,
    };
    analyze(
        env,
        transactions,
        args,
        |tx, options| kpi::kpis(tx, &options)?.to_frame(),
        move |name| {
            if by.as_deref() == Some(name) {
                "group".to_owned()
            } else {
                camel(name)
            }
        },
    )
}

/// Options of `cohorts` (besides the column names).
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct CohortOptions {
    /// The period customers are grouped and followed by (default `"month"`).
    #[napi(ts_type = "Period")]
    pub period: Option<String>,
}

const COHORT_OPTIONS: &[&str] = &["period"];

/// Cohort retention: customers grouped by the period of their first purchase, each cohort
/// followed to the last period of the table. One row per cohort and period, in order:
/// `offset` periods after the cohort's, how many of its `size` customers bought
/// (`active`, `retention`) and what the cohort spent.
#[napi(
    ts_args_type = "transactions: TransactionsInput, options?: (CustomerColumnNames & CohortOptions) | null",
    ts_return_type = "Promise<CohortRow[]>"
)]
pub fn cohorts<'env>(
    env: &'env Env,
    transactions: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<PromiseRaw<'env, JsonText>> {
    let args = split::<CohortOptions>(env, options, CUSTOMER_COLUMNS, COHORT_OPTIONS)
        .and_then(|(c, own)| Ok((c, period(own.unwrap_or_default().period)?)));
    analyze(
        env,
        transactions,
        args,
        |tx, period| kpi::cohorts(tx, period)?.to_frame(),
        camel,
    )
}
