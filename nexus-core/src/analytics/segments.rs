//! Customer segments by k-means, and purchase propensity.
//!
//! # Segments ([`segment_customers`])
//! k-means (linfa) on standardized `ln(1 + x)` of recency, frequency and monetary value
//! (and of any extra per-customer feature given, such as a CLV), seeded and deterministic.
//! Without a `k`, the k of the range with the best mean silhouette wins (computed on a
//! seeded sample of at most 2,000 customers, as the silhouette costs n²). Each cluster is
//! described by its size, its centroid in original units (the mean of its customers'
//! values), its share of revenue and the RFM segment most of its customers are in.
//!
//! # Propensity ([`purchase_propensity`])
//! Will a customer buy in the next `horizon_days`? Features of each customer are computed
//! from the history up to a cutoff day: days since the last purchase, tenure, orders,
//! purchase days, total and mean spend, purchase days in the last 30 and 90 days, and the
//! mean days between purchase days. The label is whether the customer bought in the window
//! after the cutoff.
//!
//! The model (logistic regression or a random forest, both from smartcore) is trained on
//! the calibration period: cutoff `calibration_end - training_horizon_days`, labels from
//! the window up to `calibration_end`. It is validated on the time split that follows:
//! features at `calibration_end`, labels from `(calibration_end, calibration_end +
//! horizon_days]`, scored by ROC AUC. The baseline is the BG/NBD model fitted on the
//! calibration summary, ranking customers by their probability of at least one purchase in
//! the horizon: `P(alive) * (1 - ((alpha + T) / (alpha + T + t))^(r + x))`.

use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::Array2;
use polars::prelude::*;
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::rfm::{Day, RfmOptions, SummaryOptions, Unit, fmt_day, frame, rfm_grouped, summarize};
use super::transactions::Transactions;
use super::{CustomerKey, clv};
use crate::{Error, Result};

/// Options of [`segment_customers`].
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentOptions {
    /// The number of clusters; `None`: chosen by silhouette over `k_range`.
    pub k: Option<usize>,
    /// The range of k tried (inclusive) when `k` is `None`.
    pub k_range: (usize, usize),
    /// The seed of the initialization and of the silhouette sample.
    pub seed: u64,
    /// Extra features per customer (in the order of the table's sorted customers), each
    /// with its name: for example a CLV. Standardized like the RFM features (after
    /// `ln(1 + x)` when all values are non-negative).
    pub extra: Vec<(String, Vec<f64>)>,
    /// The day recency is measured to (default: the day after the last transaction).
    pub as_of: Option<Day>,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        SegmentOptions {
            k: None,
            k_range: (2, 8),
            seed: 42,
            extra: Vec::new(),
            as_of: None,
        }
    }
}

/// One cluster of [`Segments`].
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Its index (the value in [`Segments::cluster`]).
    pub id: usize,
    /// Its customers.
    pub size: usize,
    /// Mean recency of its customers (days).
    pub recency: f64,
    /// Mean frequency (orders).
    pub frequency: f64,
    /// Mean monetary value.
    pub monetary: f64,
    /// Means of the extra features, in the order given.
    pub extra: Vec<f64>,
    /// Its share of all revenue (0..1).
    pub revenue_share: f64,
    /// The RFM segment most of its customers are in.
    pub rfm_segment: String,
}

/// The k-means segmentation of the customers.
#[derive(Debug, Clone, PartialEq)]
pub struct Segments {
    /// The customers, sorted.
    pub customers: CustomerKey,
    /// The cluster of each customer.
    pub cluster: Vec<usize>,
    /// The clusters, ordered by revenue share (largest first) and numbered in that order.
    pub clusters: Vec<Cluster>,
    /// The k used.
    pub k: usize,
    /// The mean silhouette of each k tried (empty when `k` was given).
    pub silhouettes: Vec<(usize, f64)>,
}

impl Segments {
    /// Customer and cluster, as a table.
    pub fn to_frame(&self, customer: &str) -> Result<DataFrame> {
        frame(vec![
            self.customers.to_column(customer),
            Column::new(
                "cluster".into(),
                self.cluster.iter().map(|&c| c as u32).collect::<Vec<_>>(),
            ),
        ])
    }

    /// The clusters' description, as a table.
    pub fn clusters_frame(&self) -> Result<DataFrame> {
        let c = &self.clusters;
        let f = |name: &str, g: &dyn Fn(&Cluster) -> f64| {
            Column::new(name.into(), c.iter().map(g).collect::<Vec<f64>>())
        };
        frame(vec![
            Column::new(
                "cluster".into(),
                c.iter().map(|x| x.id as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                "size".into(),
                c.iter().map(|x| x.size as u64).collect::<Vec<_>>(),
            ),
            f("recency", &|x| x.recency),
            f("frequency", &|x| x.frequency),
            f("monetary", &|x| x.monetary),
            f("revenue_share", &|x| x.revenue_share),
            Column::new(
                "rfm_segment".into(),
                c.iter().map(|x| x.rfm_segment.as_str()).collect::<Vec<_>>(),
            ),
        ])
    }
}

fn standardize(columns: &mut [Vec<f64>]) {
    for col in columns.iter_mut() {
        if col.iter().all(|&v| v >= 0.0) {
            col.iter_mut().for_each(|v| *v = v.ln_1p());
        }
        let n = col.len().max(1) as f64;
        let mean = col.iter().sum::<f64>() / n;
        let sd = (col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        let sd = if sd > 0.0 { sd } else { 1.0 };
        col.iter_mut().for_each(|v| *v = (*v - mean) / sd);
    }
}

fn kmeans(data: &Array2<f64>, k: usize, seed: u64) -> Result<Vec<usize>> {
    let rng = Xoshiro256Plus::seed_from_u64(seed);
    let dataset = DatasetBase::from(data.clone());
    let model = KMeans::params_with_rng(k, rng)
        .n_runs(4)
        .max_n_iterations(300)
        .tolerance(1e-6)
        .fit(&dataset)
        .map_err(|e| Error::Fit {
            model: format!("k-means (k = {k})"),
            message: e.to_string(),
        })?;
    Ok(model.predict(data).iter().copied().collect())
}

/// Mean silhouette of a clustering of the rows `sample` of `data`.
fn silhouette(data: &Array2<f64>, labels: &[usize], k: usize, sample: &[usize]) -> f64 {
    let dist = |a: usize, b: usize| {
        data.row(a)
            .iter()
            .zip(data.row(b).iter())
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let mut total = 0.0;
    for &i in sample {
        let mut sum = vec![0.0; k];
        let mut count = vec![0usize; k];
        for &j in sample {
            if i != j {
                sum[labels[j]] += dist(i, j);
                count[labels[j]] += 1;
            }
        }
        let own = labels[i];
        if count[own] == 0 {
            continue; // a singleton's silhouette is 0
        }
        let a = sum[own] / count[own] as f64;
        let b = (0..k)
            .filter(|&c| c != own && count[c] > 0)
            .map(|c| sum[c] / count[c] as f64)
            .fold(f64::INFINITY, f64::min);
        if b.is_finite() {
            total += (b - a) / a.max(b).max(f64::MIN_POSITIVE);
        }
    }
    total / sample.len().max(1) as f64
}

/// Clusters the customers by k-means (see the [module docs](self)).
pub fn segment_customers(tx: &Transactions, options: &SegmentOptions) -> Result<Segments> {
    let rfm = rfm_grouped(
        tx,
        &RfmOptions {
            as_of: options.as_of,
            ..Default::default()
        },
    )?;
    let n = rfm.len();
    for (name, values) in &options.extra {
        if values.len() != n {
            return Err(Error::invalid_data(
                name.as_str(),
                None,
                format!("{} values for {n} customers", values.len()),
            ));
        }
        if let Some(row) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid_data(
                name.as_str(),
                Some(row),
                "not a finite number",
            ));
        }
    }
    let (lo, hi) = options.k_range;
    let k_max = options.k.unwrap_or(hi);
    if options.k == Some(0) || (options.k.is_none() && (lo < 2 || lo > hi)) {
        return Err(Error::InvalidArgument {
            name: "k",
            message: format!("k must be at least 1 and the range {lo}..{hi} start at 2 or more"),
        });
    }
    if n < k_max.max(2) {
        return Err(Error::Fit {
            model: "k-means".into(),
            message: format!("{n} customers for up to {k_max} clusters"),
        });
    }
    let mut cols = vec![
        rfm.recency.iter().map(|&v| v as f64).collect::<Vec<f64>>(),
        rfm.frequency.iter().map(|&v| v as f64).collect(),
        rfm.monetary.clone(),
    ];
    cols.extend(options.extra.iter().map(|(_, v)| v.clone()));
    standardize(&mut cols);
    let width = cols.len();
    let data = Array2::from_shape_fn((n, width), |(i, j)| cols[j][i]);
    let (k, labels, silhouettes) = match options.k {
        Some(k) => (k, kmeans(&data, k, options.seed)?, Vec::new()),
        None => {
            let mut rng = Xoshiro256Plus::seed_from_u64(options.seed ^ 0x5eed);
            let mut sample: Vec<usize> = (0..n).collect();
            if n > 2000 {
                // Partial Fisher-Yates: the first 2,000 of a seeded shuffle.
                for i in 0..2000 {
                    let j = i + (rng.next_u64() % (n - i) as u64) as usize;
                    sample.swap(i, j);
                }
                sample.truncate(2000);
            }
            let mut best: Option<(usize, Vec<usize>, f64)> = None;
            let mut scores = Vec::new();
            for k in lo..=hi.min(n - 1) {
                let labels = kmeans(&data, k, options.seed)?;
                let s = silhouette(&data, &labels, k, &sample);
                scores.push((k, s));
                if best.as_ref().is_none_or(|b| s > b.2) {
                    best = Some((k, labels, s));
                }
            }
            let Some((k, labels, _)) = best else {
                return Err(Error::Fit {
                    model: "k-means".into(),
                    message: "no k to try".into(),
                });
            };
            (k, labels, scores)
        }
    };
    // Describe the clusters, then number them by revenue share.
    let total: f64 = rfm.monetary.iter().sum();
    let mut clusters: Vec<Cluster> = (0..k)
        .map(|c| {
            let members: Vec<usize> = (0..n).filter(|&i| labels[i] == c).collect();
            let m = members.len().max(1) as f64;
            let mean = |f: &dyn Fn(usize) -> f64| members.iter().map(|&i| f(i)).sum::<f64>() / m;
            let revenue: f64 = members.iter().map(|&i| rfm.monetary[i]).sum();
            let mut votes = vec![0usize; rfm.segment_names.len()];
            members
                .iter()
                .for_each(|&i| votes[rfm.segment[i] as usize] += 1);
            let top = (0..votes.len())
                .max_by_key(|&s| (votes[s], usize::MAX - s))
                .unwrap_or(0);
            Cluster {
                id: c,
                size: members.len(),
                recency: mean(&|i| rfm.recency[i] as f64),
                frequency: mean(&|i| rfm.frequency[i] as f64),
                monetary: mean(&|i| rfm.monetary[i]),
                extra: options.extra.iter().map(|(_, v)| mean(&|i| v[i])).collect(),
                revenue_share: if total > 0.0 { revenue / total } else { 0.0 },
                rfm_segment: rfm.segment_names[top].clone(),
            }
        })
        .collect();
    clusters.sort_by(|a, b| {
        b.revenue_share
            .total_cmp(&a.revenue_share)
            .then(a.id.cmp(&b.id))
    });
    let mut renumber = vec![0usize; k];
    for (new, c) in clusters.iter_mut().enumerate() {
        renumber[c.id] = new;
        c.id = new;
    }
    Ok(Segments {
        customers: rfm.customers,
        cluster: labels.iter().map(|&c| renumber[c]).collect(),
        clusters,
        k,
        silhouettes,
    })
}

/// The classifier of [`purchase_propensity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PropensityModel {
    /// Logistic regression on standardized features.
    #[default]
    Logistic,
    /// A random forest: smartcore decision trees on bootstrap samples, each on a random
    /// subset of the features, their class probabilities averaged.
    RandomForest,
}

impl PropensityModel {
    /// Parses `"logistic"` or `"random_forest"`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "logistic" | "logistic_regression" => Ok(Self::Logistic),
            "random_forest" | "forest" => Ok(Self::RandomForest),
            _ => Err(Error::InvalidArgument {
                name: "model",
                message: format!("{s:?}: expected \"logistic\" or \"random_forest\""),
            }),
        }
    }
    /// The model's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logistic => "logistic",
            Self::RandomForest => "random_forest",
        }
    }
}

/// Options of [`purchase_propensity`].
#[derive(Debug, Clone, PartialEq)]
pub struct PropensityOptions {
    /// The last day of the calibration period (inclusive). Default: `horizon_days` before
    /// the last transaction's day, so the validation window ends with the data.
    pub calibration_end: Option<Day>,
    /// The prediction (and validation) window, in days.
    pub horizon_days: u32,
    /// The training label window; default: `horizon_days`, shortened to half the
    /// calibration period when that is shorter.
    pub training_horizon_days: Option<u32>,
    /// The classifier.
    pub model: PropensityModel,
    /// The seed of the random forest.
    pub seed: u64,
    /// Trees of the random forest.
    pub trees: u16,
}

impl Default for PropensityOptions {
    fn default() -> Self {
        PropensityOptions {
            calibration_end: None,
            horizon_days: 90,
            training_horizon_days: None,
            model: PropensityModel::default(),
            seed: 42,
            trees: 100,
        }
    }
}

/// The result of [`purchase_propensity`].
#[derive(Debug, Clone, PartialEq)]
pub struct Propensity {
    /// The customers scored (those who bought by the calibration end), sorted.
    pub customers: CustomerKey,
    /// Probability of a purchase in `(calibration_end, calibration_end + horizon]`.
    pub probability: Vec<f64>,
    /// Whether they did buy then (when the data covers the window).
    pub purchased: Vec<bool>,
    /// The BG/NBD baseline probability of the same event.
    pub baseline: Vec<f64>,
    /// ROC AUC of the model on the validation window.
    pub auc: f64,
    /// ROC AUC of the BG/NBD baseline on the same window.
    pub baseline_auc: f64,
    /// The model.
    pub model: PropensityModel,
    /// The feature names, in the model's order.
    pub features: Vec<&'static str>,
    /// The calibration end used.
    pub calibration_end: Day,
    /// The training cutoff used.
    pub training_cutoff: Day,
}

impl Propensity {
    /// Customer, `probability`, `baseline` and `purchased`, as a table.
    pub fn to_frame(&self, customer: &str) -> Result<DataFrame> {
        frame(vec![
            self.customers.to_column(customer),
            Column::new("probability".into(), &self.probability),
            Column::new("baseline".into(), &self.baseline),
            Column::new("purchased".into(), &self.purchased),
        ])
    }
}

const FEATURES: [&str; 9] = [
    "days_since_last",
    "tenure_days",
    "orders",
    "purchase_days",
    "total_spend",
    "mean_spend",
    "days_last_30",
    "days_last_90",
    "mean_gap_days",
];

/// Features at `cutoff` (inclusive) of every customer with a purchase by then, and whether
/// each bought in `(cutoff, cutoff + window]`.
fn features(tx: &Transactions, cutoff: Day, window: i64) -> (Vec<usize>, Vec<[f64; 9]>, Vec<bool>) {
    let (mut who, mut rows, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    let mut orders_seen: Vec<u64> = Vec::new();
    let g = tx.grouped();
    for c in 0..tx.keys.len() {
        let mut f = [0.0f64; 9];
        let (mut first, mut last, mut prev_day) = (None, 0i64, i64::MIN);
        let mut bought_after = false;
        orders_seen.clear();
        for i in g.range(c) {
            let day = g.day[i] as i64;
            if day > cutoff {
                if day <= cutoff + window {
                    bought_after = true;
                }
                continue;
            }
            first.get_or_insert(day);
            last = day;
            orders_seen.push(g.order.as_ref().map_or(i as u64, |o| o[i]));
            f[4] += g.amount[i];
            if day != prev_day {
                f[3] += 1.0;
                if cutoff - day < 30 {
                    f[6] += 1.0;
                }
                if cutoff - day < 90 {
                    f[7] += 1.0;
                }
                prev_day = day;
            }
        }
        let Some(first) = first else { continue };
        orders_seen.sort_unstable();
        orders_seen.dedup();
        f[0] = (cutoff - last) as f64;
        f[1] = (cutoff - first) as f64;
        f[2] = orders_seen.len() as f64;
        f[5] = f[4] / f[2];
        f[8] = if f[3] > 1.0 {
            (last - first) as f64 / (f[3] - 1.0)
        } else {
            f[1]
        };
        who.push(c);
        rows.push(f);
        labels.push(bought_after);
    }
    (who, rows, labels)
}

/// ROC AUC of `scores` against `labels` (ties counted half), `NaN` without both classes.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let pos = labels.iter().filter(|&&l| l).count() as f64;
    let neg = labels.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return f64::NAN;
    }
    // Mann-Whitney U with mid-ranks for ties.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] {
                rank_sum += mid;
            }
        }
        i = j + 1;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

struct Scaler {
    mean: Vec<f64>,
    sd: Vec<f64>,
}

impl Scaler {
    fn fit(rows: &[[f64; 9]]) -> Self {
        let n = rows.len().max(1) as f64;
        let mean: Vec<f64> = (0..9)
            .map(|j| rows.iter().map(|r| r[j].ln_1p()).sum::<f64>() / n)
            .collect();
        let sd = (0..9)
            .map(|j| {
                let v = rows
                    .iter()
                    .map(|r| (r[j].ln_1p() - mean[j]).powi(2))
                    .sum::<f64>()
                    / n;
                if v > 0.0 { v.sqrt() } else { 1.0 }
            })
            .collect();
        Scaler { mean, sd }
    }
    fn matrix(&self, rows: &[[f64; 9]]) -> Result<DenseMatrix<f64>> {
        let values: Vec<f64> = rows
            .iter()
            .flat_map(|r| (0..9).map(move |j| (r[j].ln_1p() - self.mean[j]) / self.sd[j]))
            .collect();
        DenseMatrix::new(rows.len(), 9, values, false).map_err(fit_error)
    }
}

fn fit_error(e: smartcore::error::Failed) -> Error {
    Error::Fit {
        model: "purchase propensity".into(),
        message: e.to_string(),
    }
}

fn train_and_score(
    model: PropensityModel,
    options: &PropensityOptions,
    train: &DenseMatrix<f64>,
    labels: &[bool],
    test: &DenseMatrix<f64>,
) -> Result<Vec<f64>> {
    let y: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
    match model {
        PropensityModel::Logistic => {
            use smartcore::linear::logistic_regression::{
                LogisticRegression, LogisticRegressionParameters,
            };
            let params = LogisticRegressionParameters::default().with_alpha(1e-3);
            let fitted =
                LogisticRegression::<f64, u32, DenseMatrix<f64>, Vec<u32>>::fit(train, &y, params)
                    .map_err(fit_error)?;
            let (w, b) = (fitted.coefficients(), *fitted.intercept().get((0, 0)));
            let (n, p) = test.shape();
            Ok((0..n)
                .map(|i| {
                    let z = b
                        + (0..p)
                            .map(|j| *test.get((i, j)) * *w.get((0, j)))
                            .sum::<f64>();
                    1.0 / (1.0 + (-z).exp())
                })
                .collect())
        }
        PropensityModel::RandomForest => {
            use smartcore::tree::decision_tree_classifier::{
                DecisionTreeClassifier, DecisionTreeClassifierParameters,
            };
            let (n, p) = train.shape();
            let (m, _) = test.shape();
            let mtry = ((p as f64).sqrt().ceil() as usize).max(2).min(p);
            let mut rng = Xoshiro256Plus::seed_from_u64(options.seed);
            let mut sum = vec![0.0; m];
            let trees = options.trees.max(1);
            for t in 0..trees {
                // A bootstrap sample and a random subset of the features.
                let rows: Vec<usize> = (0..n)
                    .map(|_| (rng.next_u64() % n as u64) as usize)
                    .collect();
                let mut feats: Vec<usize> = (0..p).collect();
                for i in 0..mtry {
                    let j = i + (rng.next_u64() % (p - i) as u64) as usize;
                    feats.swap(i, j);
                }
                feats.truncate(mtry);
                let pick = |x: &DenseMatrix<f64>, rows: &[usize]| {
                    let values: Vec<f64> = rows
                        .iter()
                        .flat_map(|&i| feats.iter().map(move |&j| *x.get((i, j))))
                        .collect();
                    DenseMatrix::new(rows.len(), feats.len(), values, false).map_err(fit_error)
                };
                let x = pick(train, &rows)?;
                let yb: Vec<u32> = rows.iter().map(|&i| y[i]).collect();
                if yb.iter().all(|&v| v == yb[0]) {
                    sum.iter_mut().for_each(|s| *s += yb[0] as f64);
                    continue;
                }
                let mut params = DecisionTreeClassifierParameters::default()
                    .with_max_depth(8)
                    .with_min_samples_leaf(5);
                params.seed = Some(options.seed.wrapping_add(t as u64));
                let tree = DecisionTreeClassifier::<f64, u32, DenseMatrix<f64>, Vec<u32>>::fit(
                    &x, &yb, params,
                )
                .map_err(fit_error)?;
                let all: Vec<usize> = (0..m).collect();
                let proba = tree.predict_proba(&pick(test, &all)?).map_err(fit_error)?;
                // Classes are sorted: column 1 is the purchase class.
                for (i, s) in sum.iter_mut().enumerate() {
                    *s += *proba.get((i, 1));
                }
            }
            Ok(sum.into_iter().map(|s| s / trees as f64).collect())
        }
    }
}

/// Trains a purchase-propensity model and validates it against the BG/NBD baseline (see
/// the [module docs](self)).
pub fn purchase_propensity(tx: &Transactions, options: &PropensityOptions) -> Result<Propensity> {
    let Some(last) = tx.last_day() else {
        return Err(Error::invalid_data(
            "",
            None,
            "the table has no transactions",
        ));
    };
    let first = tx.first_day().unwrap_or(last);
    if options.horizon_days == 0 {
        return Err(Error::InvalidArgument {
            name: "horizon_days",
            message: "must be at least 1".into(),
        });
    }
    let horizon = options.horizon_days as i64;
    let cal_end = options.calibration_end.unwrap_or(last - horizon);
    let span = cal_end - first;
    let train_window = options
        .training_horizon_days
        .map_or((span / 2).min(horizon), |d| d as i64);
    if span < 2 || train_window < 1 || train_window >= span {
        return Err(Error::InvalidArgument {
            name: "calibration_end",
            message: format!(
                "the calibration period {}..{} is too short to train on a {train_window}-day window",
                fmt_day(first),
                fmt_day(cal_end)
            ),
        });
    }
    let cutoff = cal_end - train_window;
    let (_, train_rows, train_labels) = features(tx, cutoff, train_window);
    let (who, test_rows, test_labels) = features(tx, cal_end, horizon);
    if train_labels.iter().all(|&l| l) || train_labels.iter().all(|&l| !l) {
        return Err(Error::Fit {
            model: "purchase propensity".into(),
            message: format!(
                "every one of the {} training customers {} in the training window",
                train_labels.len(),
                if train_labels.first() == Some(&true) {
                    "bought"
                } else {
                    "did not buy"
                }
            ),
        });
    }
    let scaler = Scaler::fit(&train_rows);
    let probability = train_and_score(
        options.model,
        options,
        &scaler.matrix(&train_rows)?,
        &train_labels,
        &scaler.matrix(&test_rows)?,
    )?;
    // The BG/NBD baseline on the calibration summary (days).
    let summary = summarize(
        tx,
        &SummaryOptions {
            observation_end: Some(cal_end),
            calibration_end: None,
            unit: Unit::Days,
        },
    )?;
    let fitted = clv::BetaGeo::default().fit(&summary.frequency, &summary.recency, &summary.t)?;
    let p_alive = fitted.probability_alive(&summary.frequency, &summary.recency, &summary.t)?;
    let prm = fitted.params();
    let baseline: Vec<f64> = (0..summary.len())
        .map(|i| {
            let (x, t_age) = (summary.frequency[i], summary.t[i]);
            let none =
                (prm.r + x) * ((prm.alpha + t_age) / (prm.alpha + t_age + horizon as f64)).ln();
            p_alive[i] * -none.exp_m1()
        })
        .collect();
    // The summary covers the same customers as the test features, in the same order.
    let baseline_auc = roc_auc(&baseline, &test_labels);
    let auc = roc_auc(&probability, &test_labels);
    let idx: Vec<u32> = who.iter().map(|&c| c as u32).collect();
    let customers = super::rfm::subset(&tx.keys, &idx);
    Ok(Propensity {
        customers,
        probability,
        purchased: test_labels,
        baseline,
        auc,
        baseline_auc,
        model: options.model,
        features: FEATURES.to_vec(),
        calibration_end: cal_end,
        training_cutoff: cutoff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_hand() {
        assert_eq!(
            roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
            0.75
        );
        assert_eq!(roc_auc(&[0.5, 0.5], &[false, true]), 0.5);
        assert!(roc_auc(&[0.5, 0.2], &[true, true]).is_nan());
    }
}
