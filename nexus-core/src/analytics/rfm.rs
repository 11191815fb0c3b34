//! Per-customer summaries: the BTYD summary that the lifetime-value models take, and RFM
//! scores with named segments.
//!
//! # The BTYD summary ([`summary_data`])
//! For each customer, with purchases grouped by UTC calendar day (several orders on one day
//! count as one purchase, as in the literature and in `lifetimes`):
//! - `frequency`: the number of repeat purchase days (purchase days minus one);
//! - `recency`: time from the first to the last purchase day;
//! - `T`: time from the first purchase day to the end of the observation period;
//! - `monetary_value`: the mean of the repeat purchase days' amounts (0 without repeats).
//!
//! Times are in days, or in weeks (days / 7, not rounded). With a calibration end, the
//! summary covers the calibration period and a hold-out summary (purchase days, their mean
//! transaction value, and the hold-out duration) is added, as `lifetimes`'
//! `calibration_and_holdout_data` computes it.
//!
//! # RFM ([`rfm`])
//! Recency (days from the last purchase day to `as_of`, by default the day after the last
//! transaction), frequency (distinct orders) and monetary value (the sum), scored 1 to 5 by
//! quintiles as the common pandas recipe does: R is `qcut(recency, 5, labels=[5, 4, 3, 2, 1])`,
//! F is `qcut(frequency.rank(method="first"), 5, labels=[1..5])`, M is
//! `qcut(monetary, 5, labels=[1..5])`. Quantiles interpolate linearly (numpy's default) and
//! bins are closed on the right, the lowest including its edge. Where pandas would fail
//! because two quintile edges coincide (many customers with the same recency or spend), the
//! variable is scored on its first-occurrence rank instead, like F.

use polars::prelude::*;
use rayon::prelude::*;

use super::transactions::{Transactions, civil_from_days};
use crate::{Error, Result};

/// The time unit of a BTYD summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    /// Days.
    #[default]
    Days,
    /// Weeks of seven days (days / 7, unrounded).
    Weeks,
}

impl Unit {
    /// Days per unit.
    pub fn days(self) -> f64 {
        match self {
            Unit::Days => 1.0,
            Unit::Weeks => 7.0,
        }
    }
    /// Parses `"days"`/`"D"` or `"weeks"`/`"W"`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "days" | "day" | "d" => Ok(Unit::Days),
            "weeks" | "week" | "w" => Ok(Unit::Weeks),
            _ => Err(Error::InvalidArgument {
                name: "unit",
                message: format!("{s:?}: expected \"days\" or \"weeks\""),
            }),
        }
    }
}

/// A calendar day, as days since 1970-01-01 (UTC).
pub type Day = i64;

/// Converts a `chrono` date to a [`Day`].
pub fn day_of(date: chrono::NaiveDate) -> Day {
    use chrono::Datelike;
    super::transactions::days_from_civil(date.year() as i64, date.month(), date.day())
}

/// Converts a [`Day`] to a `chrono` date.
pub fn date_of(day: Day) -> Option<chrono::NaiveDate> {
    let (y, m, d) = civil_from_days(day);
    chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// Options of [`summary_data`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SummaryOptions {
    /// The last day observed (inclusive). Default: the day of the last transaction.
    /// Later transactions are left out.
    pub observation_end: Option<Day>,
    /// The last day of the calibration period (inclusive): the summary covers the
    /// calibration period, and a hold-out summary covers the days after it up to
    /// `observation_end`.
    pub calibration_end: Option<Day>,
    /// The time unit of `recency`, `T` and the hold-out duration.
    pub unit: Unit,
}

/// The hold-out part of a calibration/hold-out summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Holdout {
    /// Purchase days in the hold-out period.
    pub frequency: Vec<f64>,
    /// Mean transaction value in the hold-out period (0 without purchases).
    pub monetary_value: Vec<f64>,
    /// The hold-out period's length, in the summary's unit.
    pub duration: f64,
}

/// The BTYD summary of each customer (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The customers (those with a purchase by the end of the observed period), sorted.
    pub customers: super::CustomerKey,
    /// Repeat purchase days.
    pub frequency: Vec<f64>,
    /// Time from the first to the last purchase day.
    pub recency: Vec<f64>,
    /// Time from the first purchase day to the end of the (calibration) period.
    pub t: Vec<f64>,
    /// Mean amount of the repeat purchase days.
    pub monetary_value: Vec<f64>,
    /// The hold-out summary, when a calibration end was given.
    pub holdout: Option<Holdout>,
    /// The time unit.
    pub unit: Unit,
}

impl Summary {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.frequency.len()
    }
    /// Whether there are no customers.
    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }
    /// The summary as a table: the customer column (named `customer`), `frequency`,
    /// `recency`, `T`, `monetary_value`, and with a hold-out `frequency_holdout`,
    /// `monetary_value_holdout` and `duration_holdout`.
    pub fn to_frame(&self, customer: &str) -> Result<DataFrame> {
        let mut cols = vec![
            self.customers.to_column(customer),
            Column::new("frequency".into(), &self.frequency),
            Column::new("recency".into(), &self.recency),
            Column::new("T".into(), &self.t),
            Column::new("monetary_value".into(), &self.monetary_value),
        ];
        if let Some(h) = &self.holdout {
            cols.push(Column::new("frequency_holdout".into(), &h.frequency));
            cols.push(Column::new(
                "monetary_value_holdout".into(),
                &h.monetary_value,
            ));
            cols.push(Column::new(
                "duration_holdout".into(),
                vec![h.duration; h.frequency.len()],
            ));
        }
        frame(cols)
    }
}

pub(crate) fn frame(cols: Vec<Column>) -> Result<DataFrame> {
    DataFrame::new_infer_height(cols).map_err(|e| Error::invalid_data("", None, e.to_string()))
}

/// A polars date column of day numbers.
pub(crate) fn date_column(name: &str, days: impl Iterator<Item = Day>) -> Result<Column> {
    let days: Vec<i32> = days
        .map(|d| i32::try_from(d).map_err(|_| Error::invalid_data(name, None, "date out of range")))
        .collect::<Result<_>>()?;
    Ok(Int32Chunked::from_vec(name.into(), days)
        .into_date()
        .into_series()
        .into_column())
}

#[derive(Default, Clone, Copy)]
struct CustomerSummary {
    present: bool,
    frequency: f64,
    recency: i64,
    first: i64,
    monetary: f64,
    holdout_days: f64,
    holdout_mean: f64,
}

/// Computes the BTYD summary of every customer (see the [module docs](self)).
///
/// Errors: a calibration end at or after the observation end, or a table with no
/// transaction by the end of the observed period.
pub fn summary_data(tx: &Transactions, options: &SummaryOptions) -> Result<Summary> {
    summarize(tx, options)
}

pub(crate) fn summarize(tx: &Transactions, options: &SummaryOptions) -> Result<Summary> {
    let Some(last) = tx.last_day() else {
        return Err(Error::invalid_data(
            "",
            None,
            "the table has no transactions",
        ));
    };
    let obs_end = options.observation_end.unwrap_or(last);
    let cal_end = options.calibration_end.unwrap_or(obs_end);
    if cal_end >= obs_end && options.calibration_end.is_some() {
        return Err(Error::InvalidArgument {
            name: "calibration_end",
            message: format!(
                "{} is not before the end of the observation period {}",
                fmt_day(cal_end),
                fmt_day(obs_end)
            ),
        });
    }
    let per_unit = options.unit.days();
    let g = tx.grouped();
    let stats: Vec<CustomerSummary> = (0..tx.keys.len())
        .into_par_iter()
        .with_min_len(2048)
        .map(|c| {
            let mut s = CustomerSummary::default();
            let mut day_prev = i64::MIN;
            let mut day_sum = 0.0;
            let mut days = 0u32;
            let mut repeat_sum = 0.0;
            let mut hold_days = 0u32;
            let mut hold_sum = 0.0;
            let mut hold_n = 0u32;
            let mut hold_prev = i64::MIN;
            for i in g.range(c) {
                let day = g.day[i] as i64;
                let amount = g.amount[i];
                if day <= cal_end {
                    if day != day_prev {
                        if days >= 2 {
                            repeat_sum += day_sum;
                        }
                        if days == 0 {
                            s.first = day;
                        }
                        days += 1;
                        day_sum = 0.0;
                        day_prev = day;
                    }
                    day_sum += amount;
                } else if day <= obs_end && options.calibration_end.is_some() {
                    if day != hold_prev {
                        hold_days += 1;
                        hold_prev = day;
                    }
                    hold_sum += amount;
                    hold_n += 1;
                }
            }
            if days == 0 {
                return s;
            }
            if days >= 2 {
                repeat_sum += day_sum;
            }
            s.present = true;
            s.frequency = (days - 1) as f64;
            s.recency = day_prev - s.first;
            s.monetary = if days > 1 {
                repeat_sum / (days - 1) as f64
            } else {
                0.0
            };
            s.holdout_days = hold_days as f64;
            s.holdout_mean = if hold_n > 0 {
                hold_sum / hold_n as f64
            } else {
                0.0
            };
            s
        })
        .collect();
    let kept: Vec<u32> = (0..stats.len() as u32)
        .filter(|&c| stats[c as usize].present)
        .collect();
    if kept.is_empty() {
        return Err(Error::invalid_data(
            &tx.columns.date,
            None,
            format!("no transaction on or before {}", fmt_day(cal_end)),
        ));
    }
    let pick = |f: &dyn Fn(&CustomerSummary) -> f64| -> Vec<f64> {
        kept.iter().map(|&c| f(&stats[c as usize])).collect()
    };
    let holdout = options.calibration_end.map(|_| Holdout {
        frequency: pick(&|s| s.holdout_days),
        monetary_value: pick(&|s| s.holdout_mean),
        duration: (obs_end - cal_end) as f64 / per_unit,
    });
    Ok(Summary {
        customers: subset(&tx.keys, &kept),
        frequency: pick(&|s| s.frequency),
        recency: pick(&|s| s.recency as f64 / per_unit),
        t: pick(&|s| (cal_end - s.first) as f64 / per_unit),
        monetary_value: pick(&|s| s.monetary),
        holdout,
        unit: options.unit,
    })
}

/// The customers at `idx` (all of them, cloned, when `idx` covers every customer).
pub(crate) fn subset(keys: &super::CustomerKey, idx: &[u32]) -> super::CustomerKey {
    use super::CustomerKey;
    if idx.len() == keys.len() {
        return keys.clone();
    }
    match keys {
        CustomerKey::Int(v) => CustomerKey::Int(idx.iter().map(|&i| v[i as usize]).collect()),
        CustomerKey::Text(v) => {
            CustomerKey::Text(idx.iter().map(|&i| v[i as usize].clone()).collect())
        }
    }
}

pub(crate) fn fmt_day(day: Day) -> String {
    match date_of(day) {
        Some(d) => d.to_string(),
        None => format!("day {day}"),
    }
}

/// One named segment of a [`SegmentMap`]: the customers whose R, F and M scores fall in
/// the inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRule {
    /// The segment's name.
    pub name: String,
    /// Range of R scores (inclusive).
    pub r: (u8, u8),
    /// Range of F scores (inclusive).
    pub f: (u8, u8),
    /// Range of M scores (inclusive).
    pub m: (u8, u8),
}

impl SegmentRule {
    /// A rule on all three scores.
    pub fn new(name: impl Into<String>, r: (u8, u8), f: (u8, u8), m: (u8, u8)) -> Self {
        SegmentRule {
            name: name.into(),
            r,
            f,
            m,
        }
    }
    fn matches(&self, r: u8, f: u8, m: u8) -> bool {
        let inside = |(lo, hi): (u8, u8), v: u8| lo <= v && v <= hi;
        inside(self.r, r) && inside(self.f, f) && inside(self.m, m)
    }
}

/// How RFM scores become segment names: rules tried in order, the first match wins,
/// customers matching none are `"Others"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentMap {
    /// The rules, in order.
    pub rules: Vec<SegmentRule>,
}

impl Default for SegmentMap {
    fn default() -> Self {
        Self::rf_grid()
    }
}

impl SegmentMap {
    /// The widely used 10-segment grid on R and F scores (M is not used):
    ///
    /// | R \ F | 1 | 2 | 3 | 4 | 5 |
    /// |---|---|---|---|---|---|
    /// | 5 | New Customers | Potential Loyalist | Potential Loyalist | Champions | Champions |
    /// | 4 | Promising | Potential Loyalist | Potential Loyalist | Loyal Customers | Loyal Customers |
    /// | 3 | About To Sleep | About To Sleep | Need Attention | Loyal Customers | Loyal Customers |
    /// | 2 | Hibernating | Hibernating | At Risk | At Risk | Can't Lose Them |
    /// | 1 | Hibernating | Hibernating | At Risk | At Risk | Can't Lose Them |
    pub fn rf_grid() -> Self {
        let any = (1, 5);
        let rule = |name: &str, r, f| SegmentRule::new(name, r, f, any);
        SegmentMap {
            rules: vec![
                rule("Hibernating", (1, 2), (1, 2)),
                rule("At Risk", (1, 2), (3, 4)),
                rule("Can't Lose Them", (1, 2), (5, 5)),
                rule("About To Sleep", (3, 3), (1, 2)),
                rule("Need Attention", (3, 3), (3, 3)),
                rule("Loyal Customers", (3, 4), (4, 5)),
                rule("Promising", (4, 4), (1, 1)),
                rule("New Customers", (5, 5), (1, 1)),
                rule("Potential Loyalist", (4, 5), (2, 3)),
                rule("Champions", (5, 5), (4, 5)),
            ],
        }
    }

    /// A rule-based map on all three scores (first match wins, else `"Others"`), in the
    /// form popularized by e-commerce analytics vendors.
    pub fn rfm_rules() -> Self {
        let rule = SegmentRule::new;
        SegmentMap {
            rules: vec![
                rule("Champions", (4, 5), (4, 5), (4, 5)),
                rule("Loyal Customers", (2, 5), (3, 5), (3, 5)),
                rule("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
                rule("New Customers", (4, 5), (1, 1), (1, 1)),
                rule("Promising", (3, 4), (1, 1), (1, 1)),
                rule("Need Attention", (2, 3), (2, 3), (2, 3)),
                rule("About To Sleep", (2, 3), (1, 2), (1, 2)),
                rule("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
                rule("At Risk", (1, 2), (2, 5), (2, 5)),
                rule("Hibernating", (1, 2), (1, 2), (1, 2)),
            ],
        }
    }

    /// A map from user rules; each score range must lie within 1..=5 with low <= high.
    pub fn from_rules(rules: Vec<SegmentRule>) -> Result<Self> {
        for (i, rule) in rules.iter().enumerate() {
            for (what, (lo, hi)) in [("r", rule.r), ("f", rule.f), ("m", rule.m)] {
                if !(1 <= lo && lo <= hi && hi <= 5) {
                    return Err(Error::InvalidArgument {
                        name: "segments",
                        message: format!(
                            "rule {i} ({:?}): {what} range {lo}..{hi} is not within 1..5",
                            rule.name
                        ),
                    });
                }
            }
        }
        Ok(SegmentMap { rules })
    }

    /// The map named `"rf_grid"` or `"rfm_rules"`.
    pub fn named(name: &str) -> Result<Self> {
        match name {
            "rf_grid" => Ok(Self::rf_grid()),
            "rfm_rules" => Ok(Self::rfm_rules()),
            _ => Err(Error::InvalidArgument {
                name: "segments",
                message: format!(
                    "{name:?}: expected \"rf_grid\", \"rfm_rules\" or a list of rules"
                ),
            }),
        }
    }

    /// The segment of a customer with these scores.
    pub fn segment(&self, r: u8, f: u8, m: u8) -> &str {
        self.rules
            .iter()
            .find(|rule| rule.matches(r, f, m))
            .map_or("Others", |rule| rule.name.as_str())
    }
}

/// Options of [`rfm`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RfmOptions {
    /// The day recency is measured to. Default: the day after the last transaction.
    pub as_of: Option<Day>,
    /// The segment names.
    pub segments: SegmentMap,
}

/// RFM values, scores and segments of each customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Rfm {
    /// The customers, sorted.
    pub customers: super::CustomerKey,
    /// Days from the last purchase day to `as_of`.
    pub recency: Vec<i64>,
    /// Distinct orders.
    pub frequency: Vec<u32>,
    /// Total amount.
    pub monetary: Vec<f64>,
    /// R score, 1 (longest ago) to 5 (most recent).
    pub r_score: Vec<u8>,
    /// F score, 1 to 5.
    pub f_score: Vec<u8>,
    /// M score, 1 to 5.
    pub m_score: Vec<u8>,
    /// The segment of each customer (an index into `segment_names`).
    pub segment: Vec<u16>,
    /// The segment names used, in the map's order, `"Others"` last.
    pub segment_names: Vec<String>,
    /// The day recency was measured to.
    pub as_of: Day,
}

/// One row of [`Rfm::segment_summary`].
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentStats {
    /// The segment.
    pub segment: String,
    /// Its customers.
    pub customers: usize,
    /// Share of all customers (0..1).
    pub customer_share: f64,
    /// Its revenue (sum of monetary).
    pub revenue: f64,
    /// Share of all revenue (0..1).
    pub revenue_share: f64,
    /// Mean recency (days).
    pub recency: f64,
    /// Mean frequency.
    pub frequency: f64,
    /// Mean monetary value.
    pub monetary: f64,
}

impl Rfm {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.recency.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.recency.is_empty()
    }
    /// The RFM cell code of customer `i`, such as `"545"`.
    pub fn cell(&self, i: usize) -> String {
        format!("{}{}{}", self.r_score[i], self.f_score[i], self.m_score[i])
    }
    /// The segment name of customer `i`.
    pub fn segment_of(&self, i: usize) -> &str {
        &self.segment_names[self.segment[i] as usize]
    }
    /// The table: customer, `recency`, `frequency`, `monetary`, `r_score`, `f_score`,
    /// `m_score`, `rfm_cell`, `rfm_score` (R+F+M) and `segment`.
    pub fn to_frame(&self, customer: &str) -> Result<DataFrame> {
        let n = self.len();
        let table: Vec<String> = (0..125)
            .map(|k| format!("{}{}{}", k / 25 + 1, k / 5 % 5 + 1, k % 5 + 1))
            .collect();
        let cells: Vec<&str> = (0..n)
            .map(|i| {
                let k = (self.r_score[i] as usize - 1) * 25
                    + (self.f_score[i] as usize - 1) * 5
                    + (self.m_score[i] as usize - 1);
                table[k].as_str()
            })
            .collect();
        let score: Vec<u32> = (0..n)
            .map(|i| self.r_score[i] as u32 + self.f_score[i] as u32 + self.m_score[i] as u32)
            .collect();
        let segments: Vec<&str> = (0..n).map(|i| self.segment_of(i)).collect();
        let u8s = |v: &[u8]| v.iter().map(|&x| x as u32).collect::<Vec<u32>>();
        frame(vec![
            self.customers.to_column(customer),
            Column::new("recency".into(), &self.recency),
            Column::new("frequency".into(), &self.frequency),
            Column::new("monetary".into(), &self.monetary),
            Column::new("r_score".into(), u8s(&self.r_score)),
            Column::new("f_score".into(), u8s(&self.f_score)),
            Column::new("m_score".into(), u8s(&self.m_score)),
            Column::new("rfm_cell".into(), cells),
            Column::new("rfm_score".into(), score),
            Column::new("segment".into(), segments),
        ])
    }

    /// Customers, revenue and mean R/F/M per segment, in the map's order (segments without
    /// customers are left out).
    pub fn segment_summary(&self) -> Vec<SegmentStats> {
        let k = self.segment_names.len();
        let mut count = vec![0usize; k];
        let mut revenue = vec![0.0; k];
        let mut rec = vec![0.0; k];
        let mut freq = vec![0.0; k];
        for i in 0..self.len() {
            let s = self.segment[i] as usize;
            count[s] += 1;
            revenue[s] += self.monetary[i];
            rec[s] += self.recency[i] as f64;
            freq[s] += self.frequency[i] as f64;
        }
        let total: f64 = revenue.iter().sum();
        let n = self.len().max(1) as f64;
        (0..k)
            .filter(|&s| count[s] > 0)
            .map(|s| {
                let c = count[s] as f64;
                SegmentStats {
                    segment: self.segment_names[s].clone(),
                    customers: count[s],
                    customer_share: c / n,
                    revenue: revenue[s],
                    revenue_share: if total > 0.0 { revenue[s] / total } else { 0.0 },
                    recency: rec[s] / c,
                    frequency: freq[s] / c,
                    monetary: revenue[s] / c,
                }
            })
            .collect()
    }

    /// [`Rfm::segment_summary`] as a table.
    pub fn segment_summary_frame(&self) -> Result<DataFrame> {
        let rows = self.segment_summary();
        let col = |name: &str, f: &dyn Fn(&SegmentStats) -> f64| {
            Column::new(name.into(), rows.iter().map(f).collect::<Vec<f64>>())
        };
        frame(vec![
            Column::new(
                "segment".into(),
                rows.iter().map(|r| r.segment.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "customers".into(),
                rows.iter().map(|r| r.customers as u64).collect::<Vec<_>>(),
            ),
            col("customer_share", &|r| r.customer_share),
            col("revenue", &|r| r.revenue),
            col("revenue_share", &|r| r.revenue_share),
            col("recency", &|r| r.recency),
            col("frequency", &|r| r.frequency),
            col("monetary", &|r| r.monetary),
        ])
    }
}

/// Computes recency, frequency and monetary value, their 1-5 scores and the segments (see
/// the [module docs](self)).
pub fn rfm(tx: &Transactions, options: &RfmOptions) -> Result<Rfm> {
    rfm_grouped(tx, options)
}

pub(crate) fn rfm_grouped(tx: &Transactions, options: &RfmOptions) -> Result<Rfm> {
    let Some(last) = tx.last_day() else {
        return Err(Error::invalid_data(
            "",
            None,
            "the table has no transactions",
        ));
    };
    let as_of = options.as_of.unwrap_or(last + 1);
    let n = tx.keys.len();
    let g = tx.grouped();
    let values: Vec<(i64, u32, f64)> = (0..n)
        .into_par_iter()
        .with_min_len(2048)
        .map_init(Vec::new, |scratch: &mut Vec<u64>, c| {
            let range = g.range(c);
            // Every customer has at least one row.
            let recency = as_of - g.day[range.end - 1] as i64;
            let monetary: f64 = g.amount[range.clone()].iter().sum();
            let frequency = match &g.order {
                None => range.len() as u32,
                Some(_) if range.len() == 1 => 1,
                Some(orders) => {
                    scratch.clear();
                    scratch.extend_from_slice(&orders[range]);
                    scratch.sort_unstable();
                    scratch.dedup();
                    scratch.len() as u32
                }
            };
            (recency, frequency, monetary)
        })
        .collect();
    let recency: Vec<i64> = values.iter().map(|v| v.0).collect();
    let frequency: Vec<u32> = values.iter().map(|v| v.1).collect();
    let monetary: Vec<f64> = values.iter().map(|v| v.2).collect();
    if let Some(i) = recency.iter().position(|&r| r < 0) {
        return Err(Error::InvalidArgument {
            name: "as_of",
            message: format!(
                "{} is before the last purchase of customer {}",
                fmt_day(as_of),
                tx.keys.label(i)
            ),
        });
    }
    let rec_f: Vec<f64> = recency.iter().map(|&r| r as f64).collect();
    let freq_f: Vec<f64> = frequency.iter().map(|&f| f as f64).collect();
    let r_score: Vec<u8> = quintile_scores(&rec_f, false)
        .iter()
        .map(|&s| 6 - s)
        .collect();
    let f_score = quintile_scores(&freq_f, true);
    let m_score = quintile_scores(&monetary, false);
    let mut segment_names: Vec<String> = Vec::new();
    for rule in &options.segments.rules {
        if !segment_names.contains(&rule.name) {
            segment_names.push(rule.name.clone());
        }
    }
    if !segment_names.iter().any(|s| s == "Others") {
        segment_names.push("Others".into());
    }
    // 125 score cells: look each up once.
    let mut cell_segment = [0u16; 125];
    for r in 1..=5u8 {
        for f in 1..=5u8 {
            for m in 1..=5u8 {
                let name = options.segments.segment(r, f, m);
                let idx = segment_names.iter().position(|s| s == name).unwrap_or(0);
                cell_segment[((r - 1) * 25 + (f - 1) * 5 + (m - 1)) as usize] = idx as u16;
            }
        }
    }
    let segment = (0..n)
        .map(|i| {
            cell_segment[((r_score[i] - 1) as usize) * 25
                + ((f_score[i] - 1) as usize) * 5
                + (m_score[i] - 1) as usize]
        })
        .collect();
    Ok(Rfm {
        customers: tx.keys.clone(),
        recency,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        segment,
        segment_names,
        as_of,
    })
}

/// RFM and the BTYD summary of every customer in one table, from one pass over the rows:
/// the columns of [`Rfm::to_frame`], then the summary's as `btyd_frequency`,
/// `btyd_recency`, `T` and `monetary_value` (and the hold-out ones). Customers without a
/// purchase by the end of the (calibration) period have nulls there.
pub fn customer_table(
    tx: &Transactions,
    rfm_options: &RfmOptions,
    summary_options: &SummaryOptions,
) -> Result<DataFrame> {
    let scores = rfm_grouped(tx, rfm_options)?;
    let summary = summarize(tx, summary_options)?;
    let mut table = scores.to_frame(&tx.columns.customer)?;
    // Both are in the sorted customer order; the summary may leave customers out.
    let mut at = vec![None; scores.len()];
    let mut k = 0;
    for (i, slot) in at.iter_mut().enumerate() {
        if k < summary.len() && same_customer(&scores.customers, i, &summary.customers, k) {
            *slot = Some(k);
            k += 1;
        }
    }
    let spread = |name: &str, v: &[f64]| {
        Column::new(
            name.into(),
            at.iter()
                .map(|k| k.map(|k| v[k]))
                .collect::<Vec<Option<f64>>>(),
        )
    };
    let mut extra = vec![
        spread("btyd_frequency", &summary.frequency),
        spread("btyd_recency", &summary.recency),
        spread("T", &summary.t),
        spread("monetary_value", &summary.monetary_value),
    ];
    if let Some(h) = &summary.holdout {
        extra.push(spread("frequency_holdout", &h.frequency));
        extra.push(spread("monetary_value_holdout", &h.monetary_value));
        extra.push(spread(
            "duration_holdout",
            &vec![h.duration; h.frequency.len()],
        ));
    }
    for c in extra {
        table
            .with_column(c)
            .map_err(|e| Error::invalid_data("", None, e.to_string()))?;
    }
    Ok(table)
}

fn same_customer(a: &super::CustomerKey, i: usize, b: &super::CustomerKey, k: usize) -> bool {
    use super::CustomerKey;
    match (a, b) {
        (CustomerKey::Int(a), CustomerKey::Int(b)) => a[i] == b[k],
        (CustomerKey::Text(a), CustomerKey::Text(b)) => a[i] == b[k],
        _ => false,
    }
}

/// Quintile bins 1..5 of `x` as `pandas.qcut(x, 5, labels=[1, 2, 3, 4, 5])`; with `rank`,
/// of `x.rank(method="first")`. Falls back to ranks when quintile edges coincide.
pub(crate) fn quintile_scores(x: &[f64], rank: bool) -> Vec<u8> {
    let n = x.len();
    if n == 0 {
        return Vec::new();
    }
    if !rank {
        let mut sorted = x.to_vec();
        sorted.par_sort_unstable_by(|a, b| a.total_cmp(b));
        let edges: Vec<f64> = (0..=5).map(|k| quantile(&sorted, k as f64 / 5.0)).collect();
        if edges.windows(2).all(|w| w[0] < w[1]) {
            let inner = [edges[1], edges[2], edges[3], edges[4]];
            return x
                .iter()
                .map(|&v| 1 + inner.iter().filter(|&&e| e < v).count() as u8)
                .collect();
        }
    }
    // Ranks 1..n, ties broken by position: bins of the ranks.
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_by(|&a, &b| x[a as usize].total_cmp(&x[b as usize]));
    let ranks: Vec<f64> = (1..=n).map(|r| r as f64).collect();
    let edges: Vec<f64> = (0..=5).map(|k| quantile(&ranks, k as f64 / 5.0)).collect();
    let inner = [edges[1], edges[2], edges[3], edges[4]];
    let mut out = vec![0u8; n];
    for (pos, &i) in order.iter().enumerate() {
        let v = (pos + 1) as f64;
        out[i as usize] = 1 + inner.iter().filter(|&&e| e < v).count() as u8;
    }
    out
}

/// The `q` quantile of sorted data with linear interpolation (numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::{Columns, CustomerKey};

    fn table() -> Transactions {
        // Seven customers; customer 1 buys twice on 2024-01-05 (two orders, one day).
        let frame = df!(
            "customer_id" => [1i64, 1, 1, 2, 3, 3, 4, 5, 5, 5, 5, 6, 7],
            "order_id" => [1i64, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
            "date" => ["2024-01-01", "2024-01-05", "2024-01-05", "2024-01-10", "2024-01-02",
                "2024-01-20", "2024-01-30", "2024-01-03", "2024-01-04", "2024-01-15",
                "2024-01-31", "2024-01-01", "2024-01-25"],
            "amount" => [10.0, 20.0, 30.0, 5.0, 8.0, 12.0, 100.0, 1.0, 2.0, 3.0, 4.0, 7.0, 50.0],
        )
        .unwrap();
        Transactions::from_frame(&frame, &Columns::default()).unwrap()
    }

    #[test]
    fn summary_counts_purchase_days() {
        let s = summary_data(&table(), &SummaryOptions::default()).unwrap();
        assert_eq!(s.customers, CustomerKey::Int(vec![1, 2, 3, 4, 5, 6, 7]));
        // Customer 1: days Jan 1 and Jan 5 (two orders): one repeat day worth 50.
        assert_eq!(s.frequency[0], 1.0);
        assert_eq!(s.recency[0], 4.0);
        assert_eq!(s.t[0], 30.0);
        assert_eq!(s.monetary_value[0], 50.0);
        // Customer 5: four days, the repeat days are worth 2, 3, 4.
        assert_eq!((s.frequency[4], s.recency[4], s.t[4]), (3.0, 28.0, 28.0));
        assert_eq!(s.monetary_value[4], 3.0);
        assert_eq!((s.frequency[1], s.monetary_value[1]), (0.0, 0.0));
        let weeks = summary_data(
            &table(),
            &SummaryOptions {
                unit: Unit::Weeks,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(weeks.t[0], 30.0 / 7.0);
    }

    #[test]
    fn calibration_and_holdout() {
        let options = SummaryOptions {
            calibration_end: Some(day_of(
                chrono::NaiveDate::from_ymd_opt(2024, 1, 10).unwrap(),
            )),
            ..Default::default()
        };
        let s = summary_data(&table(), &options).unwrap();
        // Customers 4 and 7 first buy after the calibration end: not in the summary.
        assert_eq!(s.customers, CustomerKey::Int(vec![1, 2, 3, 5, 6]));
        let h = s.holdout.as_ref().unwrap();
        assert_eq!(h.duration, 21.0);
        // Customer 5: Jan 15 and Jan 31 in the hold-out, mean transaction 3.5.
        assert_eq!((h.frequency[3], h.monetary_value[3]), (2.0, 3.5));
        assert_eq!(s.t[3], 7.0);
        assert_eq!((h.frequency[0], h.monetary_value[0]), (0.0, 0.0));
        let err = summary_data(
            &table(),
            &SummaryOptions {
                calibration_end: Some(day_of(chrono::NaiveDate::from_ymd_opt(2024, 2, 1).unwrap())),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.code(), "invalid_argument");
    }

    #[test]
    fn quintiles_follow_pandas_qcut() {
        // pandas: qcut([1..10], 5, labels=[1..5]) -> 1 1 2 2 3 3 4 4 5 5
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(
            quintile_scores(&x, false),
            vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
        // qcut(rank(method="first")) of [3, 1, 1, 2, 5]: ranks 4 1 2 3 5 -> bins 4 1 2 3 5.
        assert_eq!(
            quintile_scores(&[3.0, 1.0, 1.0, 2.0, 5.0], true),
            vec![4, 1, 2, 3, 5]
        );
        // Duplicate edges: ranks instead of failing.
        assert_eq!(
            quintile_scores(&[1.0, 1.0, 1.0, 1.0, 2.0], false),
            vec![1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn scores_and_segments_by_hand() {
        let r = rfm(&table(), &RfmOptions::default()).unwrap();
        assert_eq!(
            r.as_of,
            day_of(chrono::NaiveDate::from_ymd_opt(2024, 2, 1).unwrap())
        );
        // Recency in days to Feb 1: 27, 22, 12, 2, 1, 31, 7.
        assert_eq!(r.recency, vec![27, 22, 12, 2, 1, 31, 7]);
        assert_eq!(r.frequency, vec![3, 1, 2, 1, 4, 1, 1]);
        // The expected scores and segments are what the pandas recipe gives on this table
        // (pandas 3.1: qcut of recency with labels 5..1, of frequency.rank("first"), of
        // monetary, and the R-F grid applied with Series.replace(regex=True)).
        // qcut(recency) edges 1, 3, 9, 18, 26, 31.
        assert_eq!(r.r_score, vec![1, 2, 3, 5, 5, 1, 4]);
        // rank(first) of frequency: 6 1 5 2 7 3 4 -> edges 1, 2.2, 3.4, 4.6, 5.8, 7.
        assert_eq!(r.f_score, vec![5, 1, 4, 1, 5, 2, 3]);
        // monetary 60 5 20 100 10 7 50 -> edges 5, 7.6, 14, 38, 58, 100.
        assert_eq!(r.m_score, vec![5, 1, 3, 5, 2, 1, 4]);
        assert_eq!(r.cell(0), "155");
        let names: Vec<&str> = (0..r.len()).map(|i| r.segment_of(i)).collect();
        assert_eq!(
            names,
            [
                "Can't Lose Them",
                "Hibernating",
                "Loyal Customers",
                "New Customers",
                "Champions",
                "Hibernating",
                "Potential Loyalist"
            ]
        );
        let summary = r.segment_summary();
        let hib = summary.iter().find(|s| s.segment == "Hibernating").unwrap();
        assert_eq!(hib.customers, 2);
        assert!((hib.revenue_share - 12.0 / 252.0).abs() < 1e-12);
        assert_eq!(hib.recency, 26.5);
    }

    #[test]
    fn one_table_with_rfm_and_the_summary() {
        let options = SummaryOptions {
            calibration_end: Some(day_of(
                chrono::NaiveDate::from_ymd_opt(2024, 1, 10).unwrap(),
            )),
            ..Default::default()
        };
        let t = customer_table(&table(), &RfmOptions::default(), &options).unwrap();
        assert_eq!(t.height(), 7);
        let f = t.column("btyd_frequency").unwrap().f64().unwrap();
        // Customers 4 and 7 first bought after the calibration end: nulls.
        let got: Vec<Option<f64>> = f.iter().collect();
        assert_eq!(
            got,
            vec![
                Some(1.0),
                Some(0.0),
                Some(0.0),
                None,
                Some(1.0),
                Some(0.0),
                None
            ]
        );
        assert_eq!(t.column("segment").unwrap().len(), 7);
        assert!(t.column("frequency_holdout").is_ok());
    }

    #[test]
    fn rule_maps_first_match_wins() {
        let map = SegmentMap::from_rules(vec![
            SegmentRule::new("Big", (1, 5), (1, 5), (5, 5)),
            SegmentRule::new("Recent", (5, 5), (1, 5), (1, 5)),
        ])
        .unwrap();
        assert_eq!(map.segment(5, 1, 5), "Big");
        assert_eq!(map.segment(5, 1, 1), "Recent");
        assert_eq!(map.segment(1, 1, 1), "Others");
        assert!(
            SegmentMap::from_rules(vec![SegmentRule::new("x", (0, 5), (1, 5), (1, 5))]).is_err()
        );
        // The grid covers every R-F cell.
        let grid = SegmentMap::rf_grid();
        for r in 1..=5 {
            for f in 1..=5 {
                assert_ne!(grid.segment(r, f, 3), "Others", "{r}{f}");
            }
        }
        assert_eq!(
            SegmentMap::named("nope").unwrap_err().code(),
            "invalid_argument"
        );
    }
}
