//! The customer analytics as Python sees them: the BTYD summary, RFM scores and
//! segments, KPIs by period and cohorts, each over a [`PyTable`] of transactions and
//! returning a [`PyTable`].
//!
//! All private: `nexus.summary_data`, `nexus.rfm`, `nexus.rfm_segments`, `nexus.kpis` and
//! `nexus.cohorts` wrap them, reading the user's table and building the same kind of table
//! from the result. Each function reads the transactions (`Transactions::from_frame`),
//! calls one core function and returns its table, with the GIL released throughout.
//! Dates arrive as ISO text (`2024-05-01` or an RFC 3339 timestamp).

use pyo3::prelude::*;

use nexus_core::Error;
use nexus_core::analytics::kpi::{self, KpiOptions, Period};
use nexus_core::analytics::rfm::{
    self, Day, RfmOptions, SegmentMap, SegmentRule, SummaryOptions, Unit,
};
use nexus_core::analytics::{Columns, Transactions};

use crate::arrow::PyTable;
use crate::run;

/// A date argument (`as_of`, `observation_end`, `calibration_end`) as a day: `YYYY-MM-DD`,
/// or a timestamp (RFC 3339, or without offset meaning UTC) whose UTC day is taken.
pub(crate) fn day_arg(name: &'static str, text: Option<&str>) -> Result<Option<Day>, Error> {
    let Some(text) = text else { return Ok(None) };
    let t = text.trim();
    let date = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|d| d.naive_utc().date())
        })
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                .iter()
                .find_map(|f| chrono::NaiveDateTime::parse_from_str(t, f).ok())
                .map(|d| d.date())
        })
        .ok_or_else(|| Error::InvalidArgument {
            name,
            message: format!("{text:?} is not a date (expected YYYY-MM-DD or an ISO timestamp)"),
        })?;
    Ok(Some(rfm::day_of(date)))
}

/// An inclusive range of RFM scores.
type Scores = (i64, i64);

/// The segment map of `rfm`: a map's name, or rules `(name, r, f, m)` with inclusive score
/// ranges.
#[derive(FromPyObject)]
pub(crate) enum Segments {
    Named(String),
    Rules(Vec<(String, Scores, Scores, Scores)>),
}

impl Segments {
    fn map(&self) -> Result<SegmentMap, Error> {
        match self {
            Segments::Named(name) => SegmentMap::named(name),
            Segments::Rules(rules) => {
                let mut out = Vec::with_capacity(rules.len());
                for (i, (name, r, f, m)) in rules.iter().enumerate() {
                    let score = |what: &str, (lo, hi): (i64, i64)| match (
                        u8::try_from(lo),
                        u8::try_from(hi),
                    ) {
                        (Ok(lo), Ok(hi)) => Ok((lo, hi)),
                        _ => Err(Error::InvalidArgument {
                            name: "segments",
                            message: format!(
                                "rule {i} ({name:?}): {what} range {lo}..{hi} is not within 1..5"
                            ),
                        }),
                    };
                    out.push(SegmentRule::new(
                        name.clone(),
                        score("r", *r)?,
                        score("f", *f)?,
                        score("m", *m)?,
                    ));
                }
                SegmentMap::from_rules(out)
            }
        }
    }
}

/// The per-customer BTYD summary (`frequency`, `recency`, `T`, `monetary_value`, and the
/// hold-out columns with a calibration end).
#[pyfunction]
#[pyo3(signature = (transactions, *, customer, date, amount, observation_end=None, calibration_end=None, unit="days"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn summary_data(
    py: Python<'_>,
    transactions: PyRef<'_, PyTable>,
    customer: &str,
    date: &str,
    amount: &str,
    observation_end: Option<&str>,
    calibration_end: Option<&str>,
    unit: &str,
) -> PyResult<PyTable> {
    let frame = &transactions.frame;
    run(py, || {
        let columns = Columns::new()
            .customer(customer)
            .order(None)
            .date(date)
            .amount(amount);
        let options = SummaryOptions {
            observation_end: day_arg("observation_end", observation_end)?,
            calibration_end: day_arg("calibration_end", calibration_end)?,
            unit: Unit::parse(unit)?,
        };
        let tx = Transactions::from_frame(frame, &columns)?;
        rfm::summary_data(&tx, &options)?.to_frame(customer)
    })
    .map(PyTable::new)
}

/// RFM of every customer: the per-customer table, or (`summary`) the per-segment one.
#[allow(clippy::too_many_arguments)]
fn rfm_table(
    py: Python<'_>,
    transactions: &PyTable,
    customer: &str,
    order: Option<&str>,
    date: &str,
    amount: &str,
    as_of: Option<&str>,
    segments: &Segments,
    summary: bool,
) -> PyResult<PyTable> {
    let frame = &transactions.frame;
    run(py, || {
        let columns = Columns::new()
            .customer(customer)
            .order(order)
            .date(date)
            .amount(amount);
        let options = RfmOptions {
            as_of: day_arg("as_of", as_of)?,
            segments: segments.map()?,
        };
        let tx = Transactions::from_frame(frame, &columns)?;
        let scores = rfm::rfm(&tx, &options)?;
        if summary {
            scores.segment_summary_frame()
        } else {
            scores.to_frame(customer)
        }
    })
    .map(PyTable::new)
}

/// Recency, frequency, monetary value, their 1-5 scores and the segment of every customer.
#[pyfunction(name = "rfm")]
#[pyo3(signature = (transactions, *, customer, order, date, amount, as_of=None, segments))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn rfm_scores(
    py: Python<'_>,
    transactions: PyRef<'_, PyTable>,
    customer: &str,
    order: Option<&str>,
    date: &str,
    amount: &str,
    as_of: Option<&str>,
    segments: Segments,
) -> PyResult<PyTable> {
    rfm_table(
        py,
        &transactions,
        customer,
        order,
        date,
        amount,
        as_of,
        &segments,
        false,
    )
}

/// Customers, revenue and mean R/F/M per RFM segment.
#[pyfunction]
#[pyo3(signature = (transactions, *, customer, order, date, amount, as_of=None, segments))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn rfm_segments(
    py: Python<'_>,
    transactions: PyRef<'_, PyTable>,
    customer: &str,
    order: Option<&str>,
    date: &str,
    amount: &str,
    as_of: Option<&str>,
    segments: Segments,
) -> PyResult<PyTable> {
    rfm_table(
        py,
        &transactions,
        customer,
        order,
        date,
        amount,
        as_of,
        &segments,
        true,
    )
}

/// RFM and the BTYD summary of every customer in one table, the rows read once.
#[pyfunction]
#[pyo3(signature = (transactions, *, customer, order, date, amount, as_of=None, segments, observation_end=None, calibration_end=None, unit="days"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn customer_table(
    py: Python<'_>,
    transactions: PyRef<'_, PyTable>,
    customer: &str,
    order: Option<&str>,
    date: &str,
    amount: &str,
    as_of: Option<&str>,
    segments: Segments,
    observation_end: Option<&str>,
    calibration_end: Option<&str>,
    unit: &str,
) -> PyResult<PyTable> {
    let frame = &transactions.frame;
    run(py, || {
        let columns = Columns::new()
            .customer(customer)
            .order(order)
            .date(date)
            .amount(amount);
        let rfm_options = RfmOptions {
            as_of: day_arg("as_of", as_of)?,
            segments: segments.map()?,
        };
        let summary_options = SummaryOptions {
            observation_end: day_arg("observation_end", observation_end)?,
            calibration_end: day_arg("calibration_end", calibration_end)?,
            unit: Unit::parse(unit)?,
        };
        let tx = Transactions::from_frame(frame, &columns)?;
        rfm::customer_table(&tx, &rfm_options, &summary_options)
    })
    .map(PyTable::new)
}

/// Revenue, orders, customers, order value, new and returning customers, ... by period.
#[pyfunction]
#[pyo3(signature = (transactions, *, period, by, customer, order, date, amount, items, refunded))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn kpis(
    py: Python<'_>,
    transactions: PyRef<'_, PyTable>,
    period: &str,
    by: Option<&str>,
    customer: &str,
    order: Option<&str>,
    date: &str,
    amount: &str,
    items: Option<&str>,
    refunded: Option<&str>,
) -> PyResult<PyTable> {
    let frame = &transactions.frame;
    run(py, || {
        let columns = Columns::new()
            .customer(customer)
            .order(order)
            .date(date)
            .amount(amount)
            .items(items)
            .refunded(refunded)
            .by(by);
        let options = KpiOptions {
            period: Period::parse(period)?,
        };
        let tx = Transactions::from_frame(frame, &columns)?;
        kpi::kpis(&tx, &options)?.to_frame()
    })
    .map(PyTable::new)
}

/// Cohorts by first-purchase period, in long form.
#[pyfunction]
#[pyo3(signature = (transactions, *, period, customer, date, amount))]
pub(crate) fn cohorts(
    py: Python<'_>,
    transactions: PyRef<'_, PyTable>,
    period: &str,
    customer: &str,
    date: &str,
    amount: &str,
) -> PyResult<PyTable> {
    let frame = &transactions.frame;
    run(py, || {
        let columns = Columns::new()
            .customer(customer)
            .order(None)
            .date(date)
            .amount(amount);
        let period = Period::parse(period)?;
        let tx = Transactions::from_frame(frame, &columns)?;
        kpi::cohorts(&tx, period)?.to_frame()
    })
    .map(PyTable::new)
}
