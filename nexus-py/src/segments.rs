//! Customer segments and purchase propensity as Python sees them: `segment_customers` and
//! `purchase_propensity` over a [`PyTable`] of transactions.
//!
//! Both private: `nexus.segment_customers` and `nexus.purchase_propensity` wrap them,
//! reading the user's table, building the same kind of table from the result's tables and
//! the result object from the rest. They read the transactions and the options as the
//! other analytics do ([`analytics`]: the column names of `rfm`, dates as ISO text), the
//! `extra` features as the lifetime-value models read arrays ([`clv`]: little-endian
//! `float64` bytes), and run with the GIL released. Whole-number options are read as
//! `i128` and checked here, so that a negative or too large one is an `InvalidArgument`
//! naming it rather than an `OverflowError`.
//!
//! [`analytics`]: crate::analytics
//! [`clv`]: crate::clv

use polars::prelude::*;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;

use nexus_core::Error;
use nexus_core::analytics::segments::{
    self, PropensityModel, PropensityOptions, SegmentOptions, Segments,
};
use nexus_core::analytics::{Columns, Transactions};

use crate::analytics::day_arg;
use crate::arrow::PyTable;
use crate::clv::floats;
use crate::run;

/// A whole-number option from `min` to `max`, as a `T`.
pub(crate) fn whole<T: TryFrom<u64>>(
    name: &'static str,
    value: i128,
    min: u64,
    max: u64,
) -> Result<T, Error> {
    let out_of_range = || Error::InvalidArgument {
        name,
        message: format!("{value} is not a whole number from {min} to {max}"),
    };
    if value < i128::from(min) || value > i128::from(max) {
        return Err(out_of_range());
    }
    u64::try_from(value)
        .ok()
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(out_of_range)
}

/// The largest `k` (and bound of `k_range`) taken.
const MAX_K: u64 = u32::MAX as u64;

/// The columns of the clusters table that an extra feature's name may not take.
const CLUSTER_COLUMNS: [&str; 7] = [
    "cluster",
    "size",
    "recency",
    "frequency",
    "monetary",
    "revenue_share",
    "rfm_segment",
];

/// The clusters table, with the mean of each extra feature (under its name) after
/// `monetary`.
fn clusters_table(seg: &Segments, names: &[String]) -> Result<DataFrame, Error> {
    let mut frame = seg.clusters_frame()?;
    let at = frame
        .get_column_index("monetary")
        .map_or(frame.width(), |i| i + 1);
    for (j, name) in names.iter().enumerate() {
        let means: Vec<f64> = seg.clusters.iter().map(|c| c.extra[j]).collect();
        frame
            .insert_column(at + j, Column::new(name.as_str().into(), means))
            .map_err(|e| Error::invalid_data(name.as_str(), None, e.to_string()))?;
    }
    Ok(frame)
}

/// What `segment_customers` returns: `k`, the silhouette of each k tried, the customers
/// table and the clusters table.
type SegmentsTuple = (usize, Vec<(usize, f64)>, PyTable, PyTable);

/// k-means segments of the customers on RFM (and extra) features.
#[pyfunction]
#[pyo3(signature = (transactions, *, customer, order, date, amount, k, k_range, seed, extra, as_of=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn segment_customers(
    py: Python<'_>,
    transactions: PyRef<'_, PyTable>,
    customer: &str,
    order: Option<&str>,
    date: &str,
    amount: &str,
    k: Option<i128>,
    k_range: (i128, i128),
    seed: i128,
    extra: Vec<(String, PyBackedBytes)>,
    as_of: Option<&str>,
) -> PyResult<SegmentsTuple> {
    let frame = &transactions.frame;
    let (k, silhouettes, customers, clusters) = run(py, || {
        let columns = Columns::new()
            .customer(customer)
            .order(order)
            .date(date)
            .amount(amount);
        let (lo, hi) = (
            whole::<usize>("k_range", k_range.0, 0, MAX_K)?,
            whole::<usize>("k_range", k_range.1, 0, MAX_K)?,
        );
        if lo < 2 || lo > hi {
            return Err(Error::InvalidArgument {
                name: "k_range",
                message: format!(
                    "({lo}, {hi}) must be (low, high) with 2 <= low <= high (both inclusive)"
                ),
            });
        }
        let mut features = Vec::with_capacity(extra.len());
        for (name, values) in &extra {
            if CLUSTER_COLUMNS.contains(&name.as_str()) {
                return Err(Error::InvalidArgument {
                    name: "extra",
                    message: format!(
                        "{name:?} is a column of the clusters table: name the feature otherwise"
                    ),
                });
            }
            features.push((name.clone(), floats(name, values)?));
        }
        let options = SegmentOptions {
            k: k.map(|k| whole::<usize>("k", k, 1, MAX_K)).transpose()?,
            k_range: (lo, hi),
            seed: whole::<u64>("seed", seed, 0, u64::MAX)?,
            extra: features,
            as_of: day_arg("as_of", as_of)?,
        };
        let tx = Transactions::from_frame(frame, &columns)?;
        let seg = segments::segment_customers(&tx, &options)?;
        let names: Vec<String> = extra.iter().map(|(n, _)| n.clone()).collect();
        Ok((
            seg.k,
            seg.silhouettes.clone(),
            seg.to_frame(customer)?,
            clusters_table(&seg, &names)?,
        ))
    })?;
    Ok((
        k,
        silhouettes,
        PyTable::new(customers),
        PyTable::new(clusters),
    ))
}

/// What `purchase_propensity` returns: AUC, baseline AUC, the model's name, the feature
/// names, the calibration end and the training cutoff (days since 1970-01-01) and the
/// scores table.
type PropensityTuple = (f64, f64, &'static str, Vec<&'static str>, i64, i64, PyTable);

/// A purchase-propensity model trained on the calibration period and validated on the
/// window after it, against the BG/NBD baseline.
#[pyfunction]
#[pyo3(signature = (transactions, *, customer, order, date, amount, horizon_days, model, seed, trees, calibration_end=None, training_horizon_days=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn purchase_propensity(
    py: Python<'_>,
    transactions: PyRef<'_, PyTable>,
    customer: &str,
    order: Option<&str>,
    date: &str,
    amount: &str,
    horizon_days: i128,
    model: &str,
    seed: i128,
    trees: i128,
    calibration_end: Option<&str>,
    training_horizon_days: Option<i128>,
) -> PyResult<PropensityTuple> {
    let frame = &transactions.frame;
    let (p, scores) = run(py, || {
        let columns = Columns::new()
            .customer(customer)
            .order(order)
            .date(date)
            .amount(amount);
        let options = PropensityOptions {
            calibration_end: day_arg("calibration_end", calibration_end)?,
            horizon_days: whole::<u32>("horizon_days", horizon_days, 1, u32::MAX.into())?,
            training_horizon_days: training_horizon_days
                .map(|d| whole::<u32>("training_horizon_days", d, 1, u32::MAX.into()))
                .transpose()?,
            model: PropensityModel::parse(model)?,
            seed: whole::<u64>("seed", seed, 0, u64::MAX)?,
            trees: whole::<u16>("trees", trees, 1, u16::MAX.into())?,
        };
        let tx = Transactions::from_frame(frame, &columns)?;
        let p = segments::purchase_propensity(&tx, &options)?;
        let scores = p.to_frame(customer)?;
        Ok((p, scores))
    })?;
    Ok((
        p.auc,
        p.baseline_auc,
        p.model.as_str(),
        p.features,
        p.calibration_end,
        p.training_cutoff,
        PyTable::new(scores),
    ))
}
