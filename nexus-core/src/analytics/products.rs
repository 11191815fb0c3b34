//! Product performance over a window: revenue ranking and ABC classes, demand variability
//! (XYZ), velocity, trends (Mann-Kendall), refund rates, dead stock and a demand forecast
//! per product.
//!
//! The input is one row per order line (product, date, quantity, line revenue), read with
//! [`ProductLines::from_frame`] under configurable names ([`ProductColumns`]);
//! `product_lines_frame` builds such a table from the unified model's orders.
//!
//! Definitions, for an analysis as of day `as_of` over a window of `window_days` days
//! ending on it (`as_of - window_days + 1 ..= as_of`); lines after `as_of` are ignored:
//! - `revenue`, `units`, `orders` (distinct order ids, else lines), refunded units: the
//!   product's lines in the window; `avg_price` is revenue / units;
//! - ranking: by revenue, highest first, ties by product id (numeric ids numerically);
//!   `share` is the product's part of the window's revenue, `cumulative_share` the running
//!   total down the ranking;
//! - ABC: class A is the smallest run of top products that together make at least `abc.0`
//!   of the revenue (the product that crosses the cut-off is A: a product is A when the
//!   share of the products ranked above it is below `abc.0`), B the following ones up to
//!   `abc.1` by the same rule, C the rest; a product without revenue is always C;
//! - demand: units per *full* calendar period ([`Period`], weeks start on Monday) inside
//!   the window, oldest first; a period is full when it ends on or before `as_of` and
//!   starts on or after the window's first day, and periods before the one holding the
//!   data's first day are not counted (they were not observed). A period that `as_of`
//!   cuts short is left out of demand, trend and forecast: a partial period would look like
//!   a drop in sales;
//! - XYZ: the coefficient of variation of demand (population standard deviation / mean):
//!   X when at most `xyz.0`, Y when at most `xyz.1`, Z above, and Z when the mean is zero
//!   (`cv` is then `None`);
//! - velocity: window units per observed day of the window (the days from the later of the
//!   window's first day and the data's first day, to `as_of`);
//! - trend: the Mann-Kendall test (normal approximation, tie-corrected variance, continuity
//!   correction, two-sided p-value) and Sen's slope on the product's last `trend_periods`
//!   full periods (fewer when its history is shorter; fewer than three: flat). Rising or
//!   declining (by the sign of S) only when p < `trend_alpha`; `relative_slope` is Sen's
//!   slope over the mean of those periods (0 when that mean is 0);
//! - history (what the forecaster sees): units per full period from the period of the
//!   product's first sale to the last full period, oldest first; the forecast's first step
//!   is the period after that;
//! - refund rate: refunded units / units of the window's lines (refunds count on the date
//!   of the line they refund);
//! - dead stock: no sale in the last `dead_days` days up to `as_of`, that is
//!   `days_since_last_sale >= dead_days`.
//!
//! Amounts of several currencies are added as they are: give one currency at a time.

use std::panic::{AssertUnwindSafe, catch_unwind};

use polars::prelude::*;
use rayon::prelude::*;

use super::forecast::{Forecast, Interval, check_levels, normal_cdf};
use super::kpi::Period;
use super::rfm::{Day, frame};
use super::sales::check_day;
use super::transactions::{Columns, CustomerKey, Transactions};
use crate::{Error, Result};

/// The longest trend window accepted (Sen's slope is quadratic in it).
const MAX_TREND_PERIODS: usize = 1000;

/// Tolerance of the ABC and XYZ cut-off comparisons (shares computed as running sums).
const CUT_EPS: f64 = 1e-9;

/// The names of the columns of an order-lines table.
///
/// The defaults (`product`, `date`, `quantity`, `amount`, `order`) are the names
/// `product_lines_frame` writes; it also writes `refunded` and `name`, which are read only
/// when named here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductColumns {
    /// The product id (integers or text).
    pub product: String,
    /// When the line was sold (a date, a datetime, or text such as `2024-05-01` or an
    /// RFC 3339 timestamp).
    pub date: String,
    /// Units sold on the line (never negative).
    pub quantity: String,
    /// The line's revenue (never negative).
    pub amount: String,
    /// The order id (integers or text). `None`: every line is one order.
    pub order: Option<String>,
    /// Units of the line refunded (optional; never negative).
    pub refunded: Option<String>,
    /// The product's title (optional, text; nulls allowed): the most recent non-empty one
    /// is carried into the results.
    pub name: Option<String>,
}

impl Default for ProductColumns {
    fn default() -> Self {
        ProductColumns {
            product: "product".into(),
            date: "date".into(),
            quantity: "quantity".into(),
            amount: "amount".into(),
            order: Some("order".into()),
            refunded: None,
            name: None,
        }
    }
}

impl ProductColumns {
    /// The default names (`product`, `date`, `quantity`, `amount`, `order`).
    pub fn new() -> Self {
        Self::default()
    }
    /// Names the product column.
    pub fn product(mut self, name: impl Into<String>) -> Self {
        self.product = name.into();
        self
    }
    /// Names the date column.
    pub fn date(mut self, name: impl Into<String>) -> Self {
        self.date = name.into();
        self
    }
    /// Names the quantity column.
    pub fn quantity(mut self, name: impl Into<String>) -> Self {
        self.quantity = name.into();
        self
    }
    /// Names the line-revenue column.
    pub fn amount(mut self, name: impl Into<String>) -> Self {
        self.amount = name.into();
        self
    }
    /// Names the order column (`None`: every line is one order).
    pub fn order(mut self, name: Option<&str>) -> Self {
        self.order = name.map(str::to_string);
        self
    }
    /// Names the refunded-quantity column.
    pub fn refunded(mut self, name: Option<&str>) -> Self {
        self.refunded = name.map(str::to_string);
        self
    }
    /// Names the product-title column.
    pub fn name(mut self, name: Option<&str>) -> Self {
        self.name = name.map(str::to_string);
        self
    }
}

/// A validated order-lines table, held as plain columns grouped by product.
#[derive(Debug, Clone)]
pub struct ProductLines {
    columns: ProductColumns,
    /// The lines read as a transactions table whose "customer" is the product.
    tx: Transactions,
    /// Per row: units.
    quantity: Vec<f64>,
    /// Per row: refunded units.
    refunded: Option<Vec<f64>>,
    /// Per product: its most recent title.
    names: Option<Vec<Option<String>>>,
}

impl ProductLines {
    /// Reads and checks an order-lines table.
    ///
    /// Errors ([`Error::InvalidData`], naming the column and the first row at fault): a
    /// missing column, a null (except in the name column), a negative or non-finite
    /// quantity, amount or refunded quantity, a date that does not parse, a column of a
    /// type that cannot mean what it is used for.
    pub fn from_frame(frame: &DataFrame, columns: &ProductColumns) -> Result<Self> {
        let mut tx = Transactions::from_frame(
            frame,
            &Columns {
                customer: columns.product.clone(),
                order: columns.order.clone(),
                date: columns.date.clone(),
                amount: columns.amount.clone(),
                items: Some(columns.quantity.clone()),
                refunded: columns.refunded.clone(),
                by: None,
            },
        )?;
        let quantity = tx.items.take().unwrap_or_default();
        let refunded = tx.refunded.take();
        let names = match &columns.name {
            Some(name) => Some(read_names(frame, name, &tx)?),
            None => None,
        };
        Ok(ProductLines {
            columns: columns.clone(),
            tx,
            quantity,
            refunded,
            names,
        })
    }

    /// The number of lines.
    pub fn len(&self) -> usize {
        self.tx.len()
    }
    /// Whether the table has no lines.
    pub fn is_empty(&self) -> bool {
        self.tx.is_empty()
    }
    /// The distinct products, sorted (numerically or as text).
    pub fn products(&self) -> &CustomerKey {
        self.tx.customers()
    }
    /// The column names the table was read with.
    pub fn columns(&self) -> &ProductColumns {
        &self.columns
    }
    /// The UTC day (days since 1970-01-01) of the first line, `None` when empty.
    pub fn first_day(&self) -> Option<Day> {
        self.tx.first_day()
    }
    /// The UTC day of the last line, `None` when empty.
    pub fn last_day(&self) -> Option<Day> {
        self.tx.last_day()
    }
}

/// Per product, the last non-empty title of its lines (in day order).
fn read_names(frame: &DataFrame, name: &str, tx: &Transactions) -> Result<Vec<Option<String>>> {
    let column = frame.column(name).map_err(|_| {
        let names: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        Error::invalid_data(
            name,
            None,
            format!("no such column; the table has {}", names.join(", ")),
        )
    })?;
    let series = column.as_materialized_series();
    let wrong = || {
        Error::invalid_data(
            name,
            None,
            format!("{} column, expected text", series.dtype()),
        )
    };
    let text = series.cast(&DataType::String).map_err(|_| wrong())?;
    let ca = text.str().map_err(|_| wrong())?;
    let values: Vec<Option<&str>> = ca.iter().collect();
    let g = tx.grouped();
    Ok((0..tx.keys.len())
        .map(|c| {
            g.row[g.range(c)].iter().rev().find_map(|&r| {
                values[r as usize]
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            })
        })
        .collect())
}

/// Options of [`product_performance_with`].
#[derive(Debug, Clone, PartialEq)]
pub struct ProductOptions {
    /// The window's length in days, ending on `as_of` (default 90).
    pub window_days: u32,
    /// The day of the analysis (days since 1970-01-01); default: the last day of the data.
    pub as_of: Option<Day>,
    /// The demand buckets of variability, trend and forecast (default: week).
    pub period: Period,
    /// Cumulative revenue-share cut-offs of classes A and B (default 0.80, 0.95).
    pub abc: (f64, f64),
    /// Coefficient-of-variation cut-offs of classes X and Y (default 0.5, 1.0).
    pub xyz: (f64, f64),
    /// How many of the most recent full periods the trend test reads (default 8; 3 to
    /// 1,000).
    pub trend_periods: usize,
    /// The trend test's significance level (default 0.05).
    pub trend_alpha: f64,
    /// Days without a sale that make a product dead stock (default 60).
    pub dead_days: u32,
    /// Periods to forecast (default 4; 0: no forecast).
    pub h: usize,
    /// Prediction-interval levels in percent (default 80, 95).
    pub levels: Vec<f64>,
    /// The length of the top-sellers, rising and declining lists (default 10).
    pub top: usize,
}

impl Default for ProductOptions {
    fn default() -> Self {
        ProductOptions {
            window_days: 90,
            as_of: None,
            period: Period::Week,
            abc: (0.80, 0.95),
            xyz: (0.5, 1.0),
            trend_periods: 8,
            trend_alpha: 0.05,
            dead_days: 60,
            h: 4,
            levels: vec![80.0, 95.0],
            top: 10,
        }
    }
}

impl ProductOptions {
    fn check(&self) -> Result<()> {
        let bad =
            |name: &'static str, message: String| Err(Error::InvalidArgument { name, message });
        if self.window_days == 0 {
            return bad("window_days", "the window is at least one day".into());
        }
        let (a, b) = self.abc;
        if !(a > 0.0 && a <= b && b <= 1.0) {
            return bad(
                "abc",
                format!("({a}, {b}): expected cut-offs with 0 < A <= B <= 1"),
            );
        }
        let (x, y) = self.xyz;
        if !(x >= 0.0 && x <= y && y.is_finite()) {
            return bad(
                "xyz",
                format!("({x}, {y}): expected finite cut-offs with 0 <= X <= Y"),
            );
        }
        if !(3..=MAX_TREND_PERIODS).contains(&self.trend_periods) {
            return bad(
                "trend_periods",
                format!(
                    "{}: the trend test reads 3 to {MAX_TREND_PERIODS} periods",
                    self.trend_periods
                ),
            );
        }
        if !(self.trend_alpha > 0.0 && self.trend_alpha < 1.0) {
            return bad(
                "trend_alpha",
                format!(
                    "{}: a significance level is between 0 and 1",
                    self.trend_alpha
                ),
            );
        }
        if self.dead_days == 0 {
            return bad(
                "dead_days",
                "dead stock is at least one day without a sale".into(),
            );
        }
        check_levels(&self.levels)
    }
}

/// The direction of a product's demand trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrendDirection {
    /// A significant upward trend.
    Rising,
    /// A significant downward trend.
    Declining,
    /// No significant trend.
    Flat,
}

impl TrendDirection {
    /// `"rising"`, `"declining"` or `"flat"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrendDirection::Rising => "rising",
            TrendDirection::Declining => "declining",
            TrendDirection::Flat => "flat",
        }
    }
}

impl std::fmt::Display for TrendDirection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A product's demand trend (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Rising or declining when the Mann-Kendall test is significant, else flat.
    pub direction: TrendDirection,
    /// Sen's slope: the median of the pairwise slopes, in units per period.
    pub slope: f64,
    /// `slope` over the mean demand of the periods tested (0 when that mean is 0).
    pub relative_slope: f64,
    /// The two-sided p-value of the Mann-Kendall test (1 when untestable).
    pub p_value: f64,
}

/// A product's demand forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductForecast {
    /// The method the forecaster used.
    pub method: String,
    /// Units per period for steps 1..=h.
    pub mean: Vec<f64>,
    /// The prediction intervals, one per level.
    pub intervals: Vec<Interval>,
    /// The sum of `mean`: units over the whole horizon.
    pub total: f64,
}

/// The performance of one product (see the [module docs](self) for the definitions).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRow {
    /// The product id.
    pub product: String,
    /// Its most recent title, when the table has a name column.
    pub name: Option<String>,
    /// Revenue in the window.
    pub revenue: f64,
    /// Units sold in the window.
    pub units: f64,
    /// Distinct orders in the window.
    pub orders: u64,
    /// Revenue / units (`None` without units).
    pub avg_price: Option<f64>,
    /// Share of the window's revenue.
    pub share: f64,
    /// Share of the window's revenue of this product and those ranked above it.
    pub cumulative_share: f64,
    /// ABC class: `'A'`, `'B'` or `'C'`.
    pub abc: char,
    /// Coefficient of variation of demand (`None` when mean demand is 0 or there is no
    /// full period in the window).
    pub cv: Option<f64>,
    /// XYZ class: `'X'`, `'Y'` or `'Z'`.
    pub xyz: char,
    /// Units per observed day of the window.
    pub velocity: f64,
    /// The demand trend.
    pub trend: Trend,
    /// Refunded units / units, when the table has a refunded column and the product sold
    /// units in the window.
    pub refund_rate: Option<f64>,
    /// The day of its first sale (on or before `as_of`).
    pub first_sale: Option<Day>,
    /// The day of its last sale (on or before `as_of`).
    pub last_sale: Option<Day>,
    /// `as_of - last_sale`.
    pub days_since_last_sale: Option<i64>,
    /// Units per full period of the window, oldest first (periods
    /// [`ProductPerformance::demand_starts`]).
    pub demand: Vec<f64>,
    /// The forecast of the next periods, when it was asked for and succeeded.
    pub forecast: Option<ProductForecast>,
    /// Why there is no forecast: the forecaster's error, or no full period of history.
    pub forecast_error: Option<String>,
}

/// Product performance (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductPerformance {
    /// The day of the analysis.
    pub as_of: Day,
    /// The window's first and last day (inclusive).
    pub window: (Day, Day),
    /// The demand period.
    pub period: Period,
    /// The first day of each demand period ([`ProductRow::demand`]).
    pub demand_starts: Vec<Day>,
    /// The first day of the first forecast period.
    pub forecast_start: Day,
    /// Every product with a line on or before `as_of`, ranked by window revenue.
    pub products: Vec<ProductRow>,
    /// Indices into `products`: the first `top` with revenue.
    pub top_sellers: Vec<usize>,
    /// Indices into `products`: significant rising trends, steepest relative slope first,
    /// at most `top`.
    pub rising: Vec<usize>,
    /// Indices into `products`: significant declining trends, steepest relative slope
    /// first, at most `top`.
    pub declining: Vec<usize>,
    /// Indices into `products`: every dead-stock product, longest without a sale first.
    pub dead_stock: Vec<usize>,
}

/// The Mann-Kendall statistics of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MannKendall {
    /// S: the sum of the signs of all later-minus-earlier differences.
    pub(crate) s: f64,
    /// The variance of S under no trend, corrected for ties.
    pub(crate) var_s: f64,
    /// The standardized statistic, with continuity correction.
    pub(crate) z: f64,
    /// The two-sided p-value.
    pub(crate) p: f64,
}

/// The Mann-Kendall trend test, normal approximation (as `pymannkendall.original_test`).
pub(crate) fn mann_kendall(x: &[f64]) -> MannKendall {
    let n = x.len();
    let mut s = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            s += match x[j].partial_cmp(&x[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j < n && sorted[j] == sorted[i] {
            j += 1;
        }
        let t = (j - i).max(1) as f64;
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        i = j.max(i + 1);
    }
    let nf = n as f64;
    let var_s = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    let s = s as f64;
    if var_s <= 0.0 {
        return MannKendall {
            s,
            var_s: 0.0,
            z: 0.0,
            p: 1.0,
        };
    }
    let z = if s > 0.0 {
        (s - 1.0) / var_s.sqrt()
    } else if s < 0.0 {
        (s + 1.0) / var_s.sqrt()
    } else {
        0.0
    };
    MannKendall {
        s,
        var_s,
        z,
        p: (2.0 * normal_cdf(-z.abs())).min(1.0),
    }
}

/// Sen's slope: the median of `(x[j] - x[i]) / (j - i)` over all `i < j` (0 below two
/// values).
pub(crate) fn sens_slope(x: &[f64]) -> f64 {
    let n = x.len();
    let mut slopes = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            slopes.push((x[j] - x[i]) / (j - i) as f64);
        }
    }
    median(&mut slopes)
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn trend_of(y: &[f64], alpha: f64) -> Trend {
    if y.len() < 3 {
        return Trend {
            direction: TrendDirection::Flat,
            slope: 0.0,
            relative_slope: 0.0,
            p_value: 1.0,
        };
    }
    let mk = mann_kendall(y);
    let slope = sens_slope(y);
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let direction = if mk.p < alpha && mk.s > 0.0 {
        TrendDirection::Rising
    } else if mk.p < alpha && mk.s < 0.0 {
        TrendDirection::Declining
    } else {
        TrendDirection::Flat
    };
    Trend {
        direction,
        slope,
        relative_slope: if mean > 0.0 { slope / mean } else { 0.0 },
        p_value: mk.p,
    }
}

/// The coefficient of variation (population standard deviation / mean); `None` for an
/// empty series or a zero mean.
fn coefficient_of_variation(y: &[f64]) -> Option<f64> {
    if y.is_empty() {
        return None;
    }
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    if mean <= 0.0 {
        return None;
    }
    let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    Some(var.sqrt() / mean)
}

fn xyz_class(cv: Option<f64>, (x, y): (f64, f64)) -> char {
    match cv {
        Some(cv) if cv <= x + CUT_EPS => 'X',
        Some(cv) if cv <= y + CUT_EPS => 'Y',
        _ => 'Z',
    }
}

/// The ABC class of a product from the revenue share of the products ranked above it.
fn abc_class(revenue: f64, share_above: f64, (a, b): (f64, f64)) -> char {
    if revenue <= 0.0 {
        'C'
    } else if share_above < a - CUT_EPS {
        'A'
    } else if share_above < b - CUT_EPS {
        'B'
    } else {
        'C'
    }
}

/// What every product's computation shares.
struct Setup<'a> {
    lines: &'a ProductLines,
    opts: &'a ProductOptions,
    as_of: Day,
    window_start: Day,
    observed_days: f64,
    /// Demand periods `demand_first..=last_full`.
    demand_first: i64,
    last_full: i64,
}

fn product_row<F>(fr: &Setup<'_>, c: usize, forecaster: &F) -> Option<ProductRow>
where
    F: Fn(&[f64], usize, &[f64]) -> Result<(String, Forecast)> + Sync,
{
    let tx = &fr.lines.tx;
    let g = tx.grouped();
    let range = g.range(c);
    let days = &g.day[range.clone()];
    let end = range.start + days.partition_point(|&d| d as i64 <= fr.as_of);
    if end == range.start {
        return None;
    }
    let window = range.start + days.partition_point(|&d| (d as i64) < fr.window_start);
    let first_sale = g.day[range.start] as i64;
    let last_sale = g.day[end - 1] as i64;
    let period = fr.opts.period;
    let quantity = &fr.lines.quantity;

    let (mut revenue, mut units, mut refunded) = (0.0, 0.0, 0.0);
    let mut orders: Vec<u64> = Vec::new();
    for i in window..end {
        let r = g.row[i] as usize;
        revenue += g.amount[i];
        units += quantity[r];
        if let Some(f) = &fr.lines.refunded {
            refunded += f[r];
        }
        orders.push(tx.order.as_ref().map_or(r as u64, |o| o[r]));
    }
    orders.sort_unstable();
    orders.dedup();

    let first_period = period.index(first_sale);
    let history_len = (fr.last_full - first_period + 1).max(0) as usize;
    let mut history = vec![0.0; history_len];
    for i in range.start..end {
        let p = period.index(g.day[i] as i64);
        if p <= fr.last_full {
            history[(p - first_period) as usize] += quantity[g.row[i] as usize];
        }
    }
    let demand: Vec<f64> = (fr.demand_first..=fr.last_full)
        .map(|p| {
            if p >= first_period {
                history[(p - first_period) as usize]
            } else {
                0.0
            }
        })
        .collect();
    let cv = coefficient_of_variation(&demand);
    let tested = &history[history.len().saturating_sub(fr.opts.trend_periods)..];
    let trend = trend_of(tested, fr.opts.trend_alpha);

    let (forecast, forecast_error) = if fr.opts.h == 0 {
        (None, None)
    } else if history.is_empty() {
        (
            None,
            Some("no full period of sales up to as_of to forecast from".to_string()),
        )
    } else {
        run_forecaster(forecaster, &history, fr.opts.h, &fr.opts.levels)
    };

    Some(ProductRow {
        product: tx.keys.label(c),
        name: fr.lines.names.as_ref().and_then(|n| n[c].clone()),
        revenue,
        units,
        orders: orders.len() as u64,
        avg_price: (units > 0.0).then(|| revenue / units),
        share: 0.0,
        cumulative_share: 0.0,
        abc: 'C',
        cv,
        xyz: xyz_class(cv, fr.opts.xyz),
        velocity: units / fr.observed_days,
        trend,
        refund_rate: fr
            .lines
            .refunded
            .as_ref()
            .and_then(|_| (units > 0.0).then(|| refunded / units)),
        first_sale: Some(first_sale),
        last_sale: Some(last_sale),
        days_since_last_sale: Some(fr.as_of - last_sale),
        demand,
        forecast,
        forecast_error,
    })
}

/// Calls the forecaster, turning its error, a malformed forecast or a panic into the
/// error text of this one product.
fn run_forecaster<F>(
    forecaster: &F,
    history: &[f64],
    h: usize,
    levels: &[f64],
) -> (Option<ProductForecast>, Option<String>)
where
    F: Fn(&[f64], usize, &[f64]) -> Result<(String, Forecast)> + Sync,
{
    match catch_unwind(AssertUnwindSafe(|| forecaster(history, h, levels))) {
        Ok(Ok((method, f))) => {
            let bad_len = f.mean.len() != h
                || f.intervals
                    .iter()
                    .any(|i| i.lower.len() != h || i.upper.len() != h);
            if bad_len {
                (
                    None,
                    Some(format!(
                        "{method}: the forecast does not have {h} steps in its mean and every interval"
                    )),
                )
            } else if f.mean.iter().any(|v| !v.is_finite()) {
                (None, Some(format!("{method}: the forecast is not finite")))
            } else {
                let total = f.mean.iter().sum();
                (
                    Some(ProductForecast {
                        method,
                        mean: f.mean,
                        intervals: f.intervals,
                        total,
                    }),
                    None,
                )
            }
        }
        Ok(Err(e)) => (None, Some(e.to_string())),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            (None, Some(format!("the forecaster panicked: {what}")))
        }
    }
}

/// Product performance with the given forecaster (see the [module docs](self)).
///
/// `forecaster(history, h, levels)` receives a product's units per full period up to
/// `as_of`, oldest first, and returns the name of its method and the forecast of the next
/// `h` periods. It runs for every product in parallel; its error (or a forecast of the
/// wrong length, or a panic) leaves that product with `forecast: None` and the reason in
/// `forecast_error`, the other products unaffected.
///
/// Errors: [`Error::InvalidArgument`] for options out of range or an `as_of` before the
/// first line; [`Error::InvalidData`] for an empty table.
pub fn product_performance_with<F>(
    lines: &ProductLines,
    opts: &ProductOptions,
    forecaster: F,
) -> Result<ProductPerformance>
where
    F: Fn(&[f64], usize, &[f64]) -> Result<(String, Forecast)> + Sync,
{
    opts.check()?;
    let (Some(first_day), Some(last_day)) = (lines.first_day(), lines.last_day()) else {
        return Err(Error::invalid_data("", None, "the table has no lines"));
    };
    let as_of = check_day("as_of", opts.as_of.unwrap_or(last_day))?;
    if as_of < first_day {
        return Err(Error::InvalidArgument {
            name: "as_of",
            message: format!("day {as_of} is before the first line (day {first_day})"),
        });
    }
    let window_start = as_of - opts.window_days as i64 + 1;
    let observed_start = window_start.max(first_day);
    let period = opts.period;
    let current = period.index(as_of);
    let last_full = if period.start(current + 1) - 1 == as_of {
        current
    } else {
        current - 1
    };
    let mut demand_first = period.index(window_start);
    if period.start(demand_first) < window_start {
        demand_first += 1;
    }
    demand_first = demand_first.max(period.index(first_day));
    let fr = Setup {
        lines,
        opts,
        as_of,
        window_start,
        observed_days: (as_of - observed_start + 1) as f64,
        demand_first,
        last_full,
    };
    lines.tx.prepare();
    let mut rows: Vec<(usize, ProductRow)> = (0..lines.tx.keys.len())
        .into_par_iter()
        .filter_map(|c| product_row(&fr, c, &forecaster).map(|row| (c, row)))
        .collect();
    rows.sort_by(|(a, ra), (b, rb)| rb.revenue.total_cmp(&ra.revenue).then(a.cmp(b)));
    let mut products: Vec<ProductRow> = rows.into_iter().map(|(_, row)| row).collect();

    let total: f64 = products.iter().map(|r| r.revenue).sum();
    let mut running = 0.0;
    for row in &mut products {
        let above = if total > 0.0 { running / total } else { 0.0 };
        running += row.revenue;
        if total > 0.0 {
            row.share = row.revenue / total;
            row.cumulative_share = running / total;
        }
        row.abc = abc_class(row.revenue, above, opts.abc);
    }

    let top_sellers: Vec<usize> = (0..products.len())
        .filter(|&i| products[i].revenue > 0.0)
        .take(opts.top)
        .collect();
    let trending = |direction: TrendDirection| {
        let mut v: Vec<usize> = (0..products.len())
            .filter(|&i| products[i].trend.direction == direction)
            .collect();
        v.sort_by(|&a, &b| {
            let (x, y) = (&products[a].trend, &products[b].trend);
            y.relative_slope
                .abs()
                .total_cmp(&x.relative_slope.abs())
                .then(a.cmp(&b))
        });
        v.truncate(opts.top);
        v
    };
    let rising = trending(TrendDirection::Rising);
    let declining = trending(TrendDirection::Declining);
    let mut dead_stock: Vec<usize> = (0..products.len())
        .filter(|&i| {
            products[i]
                .days_since_last_sale
                .is_some_and(|d| d >= opts.dead_days as i64)
        })
        .collect();
    dead_stock.sort_by_key(|&i| (std::cmp::Reverse(products[i].days_since_last_sale), i));

    Ok(ProductPerformance {
        as_of,
        window: (window_start, as_of),
        period,
        demand_starts: (demand_first..=last_full)
            .map(|p| period.start(p))
            .collect(),
        forecast_start: period.start(last_full + 1),
        products,
        top_sellers,
        rising,
        declining,
        dead_stock,
    })
}

fn opt_date_column(name: &str, days: impl Iterator<Item = Option<Day>>) -> Result<Column> {
    let days: Vec<Option<i32>> = days
        .map(|d| {
            d.map(|d| {
                i32::try_from(d).map_err(|_| Error::invalid_data(name, None, "date out of range"))
            })
            .transpose()
        })
        .collect::<Result<_>>()?;
    Ok(
        Int32Chunked::from_iter_options(name.into(), days.into_iter())
            .into_date()
            .into_series()
            .into_column(),
    )
}

impl ProductPerformance {
    /// One row per product, in rank order: `product`, `name` (when the table had one),
    /// `revenue`, `units`, `orders`, `avg_price`, `share`, `cumulative_share`, `abc`, `cv`,
    /// `xyz`, `velocity`, `trend` (`"rising"`, `"declining"` or `"flat"`), `trend_slope`,
    /// `trend_relative_slope`, `trend_p_value`, `refund_rate` (when the table had a
    /// refunded column), `first_sale`, `last_sale` (dates), `days_since_last_sale`,
    /// `forecast_method`, `forecast_total` and `forecast_error`.
    pub fn to_frame(&self) -> Result<DataFrame> {
        let rows = &self.products;
        let f = |name: &str, g: &dyn Fn(&ProductRow) -> f64| {
            Column::new(name.into(), rows.iter().map(g).collect::<Vec<f64>>())
        };
        let o = |name: &str, g: &dyn Fn(&ProductRow) -> Option<f64>| {
            Column::new(
                name.into(),
                rows.iter().map(g).collect::<Vec<Option<f64>>>(),
            )
        };
        let s = |name: &str, g: &dyn Fn(&ProductRow) -> Option<String>| {
            Column::new(
                name.into(),
                rows.iter().map(g).collect::<Vec<Option<String>>>(),
            )
        };
        let mut cols = vec![Column::new(
            "product".into(),
            rows.iter().map(|r| r.product.clone()).collect::<Vec<_>>(),
        )];
        if rows.iter().any(|r| r.name.is_some()) {
            cols.push(s("name", &|r| r.name.clone()));
        }
        cols.push(f("revenue", &|r| r.revenue));
        cols.push(f("units", &|r| r.units));
        cols.push(Column::new(
            "orders".into(),
            rows.iter().map(|r| r.orders).collect::<Vec<u64>>(),
        ));
        cols.push(o("avg_price", &|r| r.avg_price));
        cols.push(f("share", &|r| r.share));
        cols.push(f("cumulative_share", &|r| r.cumulative_share));
        cols.push(s("abc", &|r| Some(r.abc.to_string())));
        cols.push(o("cv", &|r| r.cv));
        cols.push(s("xyz", &|r| Some(r.xyz.to_string())));
        cols.push(f("velocity", &|r| r.velocity));
        cols.push(s("trend", &|r| {
            Some(r.trend.direction.as_str().to_string())
        }));
        cols.push(f("trend_slope", &|r| r.trend.slope));
        cols.push(f("trend_relative_slope", &|r| r.trend.relative_slope));
        cols.push(f("trend_p_value", &|r| r.trend.p_value));
        if rows.iter().any(|r| r.refund_rate.is_some()) {
            cols.push(o("refund_rate", &|r| r.refund_rate));
        }
        cols.push(opt_date_column(
            "first_sale",
            rows.iter().map(|r| r.first_sale),
        )?);
        cols.push(opt_date_column(
            "last_sale",
            rows.iter().map(|r| r.last_sale),
        )?);
        cols.push(Column::new(
            "days_since_last_sale".into(),
            rows.iter()
                .map(|r| r.days_since_last_sale)
                .collect::<Vec<Option<i64>>>(),
        ));
        cols.push(s("forecast_method", &|r| {
            r.forecast.as_ref().map(|f| f.method.clone())
        }));
        cols.push(o("forecast_total", &|r| {
            r.forecast.as_ref().map(|f| f.total)
        }));
        cols.push(s("forecast_error", &|r| r.forecast_error.clone()));
        frame(cols)
    }

    /// The four lists in one long table: `list` (`"top_sellers"`, `"rising"`,
    /// `"declining"`, `"dead_stock"`), `rank` (1-based within the list), `product`, `name`
    /// (when the table had one), `revenue`, `units`, and the figure the list is ordered by:
    /// `figure` (`"revenue"`, `"relative_slope"`, `"days_since_last_sale"`) and its
    /// `value`.
    pub fn summary_frame(&self) -> Result<DataFrame> {
        type Figure = fn(&ProductRow) -> f64;
        let lists: [(&str, &[usize], &str, Figure); 4] = [
            ("top_sellers", &self.top_sellers, "revenue", |r| r.revenue),
            ("rising", &self.rising, "relative_slope", |r| {
                r.trend.relative_slope
            }),
            ("declining", &self.declining, "relative_slope", |r| {
                r.trend.relative_slope
            }),
            (
                "dead_stock",
                &self.dead_stock,
                "days_since_last_sale",
                |r| r.days_since_last_sale.unwrap_or_default() as f64,
            ),
        ];
        let (mut list, mut rank, mut product, mut name) = (vec![], vec![], vec![], vec![]);
        let (mut revenue, mut units, mut value, mut figure) = (vec![], vec![], vec![], vec![]);
        for (label, indices, fig, get) in lists {
            for (k, &i) in indices.iter().enumerate() {
                let Some(row) = self.products.get(i) else {
                    continue;
                };
                list.push(label);
                rank.push(k as u32 + 1);
                product.push(row.product.clone());
                name.push(row.name.clone());
                revenue.push(row.revenue);
                units.push(row.units);
                value.push(get(row));
                figure.push(fig);
            }
        }
        let mut cols = vec![
            Column::new("list".into(), list),
            Column::new("rank".into(), rank),
            Column::new("product".into(), product),
        ];
        if self.products.iter().any(|r| r.name.is_some()) {
            cols.push(Column::new("name".into(), name));
        }
        cols.push(Column::new("revenue".into(), revenue));
        cols.push(Column::new("units".into(), units));
        cols.push(Column::new("value".into(), value));
        cols.push(Column::new("figure".into(), figure));
        frame(cols)
    }
}

/// The order lines of the unified model's orders as a table for [`ProductLines`]: one row
/// per line item of every order the store's `transactions` view counts (not cancelled,
/// failed, draft or pending), with
/// - `product`: the line's SKU, else its product id, else its name, prefixed with the
///   store's name (`shop1:MUG-1`) so that two stores' products never merge;
/// - `name` (the line's name), `order` (`shop1:1001`), `date` (the order's creation, UTC);
/// - `quantity`, `amount` (the line's total after discounts, before tax) and `refunded`:
///   the units refunded by the `refunds` of the order (matched by the refund line's
///   `line_item_id`, else by a variant id, product id or SKU that only one line of the order
///   has; at most the line's quantity), 0 when none can be matched;
/// - `currency`, `store` and `platform`.
///
/// Components of bundle lines are not rows: their parent line is.
#[cfg(feature = "store")]
pub fn product_lines_frame(
    orders: &[crate::model::Order],
    refunds: &[crate::model::Refund],
) -> Result<DataFrame> {
    use crate::model::{LineItem, OrderStatus, RefundLineItem};
    use rust_decimal::prelude::ToPrimitive;
    use rustc_hash::FxHashMap;

    let f = |d: rust_decimal::Decimal| d.to_f64().unwrap_or(f64::NAN);
    let mut by_order: FxHashMap<(crate::model::PlatformKind, &str, &str), Vec<&RefundLineItem>> =
        FxHashMap::default();
    for refund in refunds {
        if let Some(order) = &refund.order_id {
            by_order
                .entry((
                    refund.source.platform,
                    refund.source.store.as_str(),
                    order.as_str(),
                ))
                .or_default()
                .extend(refund.line_items.iter());
        }
    }
    // The one line of `lines` that `pick` identifies with `key`.
    fn unique(
        lines: &[LineItem],
        key: Option<&str>,
        pick: fn(&LineItem) -> Option<&str>,
    ) -> Option<usize> {
        let key = key?;
        let mut found = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| pick(l) == Some(key));
        let (i, _) = found.next()?;
        found.next().is_none().then_some(i)
    }

    let (mut product, mut name, mut order_col, mut micros) = (vec![], vec![], vec![], vec![]);
    let (mut quantity, mut amount, mut refunded) = (vec![], vec![], vec![]);
    let (mut currency, mut store, mut platform) = (vec![], vec![], vec![]);
    for o in orders {
        if matches!(
            o.status,
            OrderStatus::Cancelled
                | OrderStatus::Failed
                | OrderStatus::Draft
                | OrderStatus::Pending
        ) {
            continue;
        }
        let lines = &o.line_items;
        let mut back = vec![0.0; lines.len()];
        let key = (
            o.source.platform,
            o.source.store.as_str(),
            o.source.id.as_str(),
        );
        for rl in by_order.get(&key).map(Vec::as_slice).unwrap_or_default() {
            let line = rl
                .line_item_id
                .as_deref()
                .and_then(|id| lines.iter().position(|l| l.source_id == id))
                .or_else(|| unique(lines, rl.variant_id.as_deref(), |l| l.variant_id.as_deref()))
                .or_else(|| unique(lines, rl.product_id.as_deref(), |l| l.product_id.as_deref()))
                .or_else(|| unique(lines, rl.sku.as_deref(), |l| l.sku.as_deref()));
            if let Some(i) = line {
                back[i] += f(rl.quantity);
            }
        }
        for (line, back) in lines.iter().zip(back) {
            let key = [line.sku.as_deref(), line.product_id.as_deref()]
                .into_iter()
                .flatten()
                .map(str::trim)
                .find(|s| !s.is_empty())
                .unwrap_or(line.name.as_str());
            let q = f(line.quantity);
            product.push(format!("{}:{key}", o.source.store));
            name.push(line.name.clone());
            order_col.push(format!("{}:{}", o.source.store, o.source.id));
            micros.push(o.created_at.timestamp_micros());
            quantity.push(q);
            amount.push(f(line.total.amount));
            refunded.push(back.min(q));
            currency.push(line.total.currency.to_string());
            store.push(o.source.store.clone());
            platform.push(o.source.platform.as_str().to_string());
        }
    }
    let date = Int64Chunked::from_vec("date".into(), micros)
        .into_datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC))
        .into_series()
        .into_column();
    frame(vec![
        Column::new("product".into(), product),
        Column::new("name".into(), name),
        Column::new("order".into(), order_col),
        date,
        Column::new("quantity".into(), quantity),
        Column::new("amount".into(), amount),
        Column::new("refunded".into(), refunded),
        Column::new("currency".into(), currency),
        Column::new("store".into(), store),
        Column::new("platform".into(), platform),
    ])
}

/// Product performance with each product's demand forecast from
/// [`demand_forecast`](crate::analytics::forecast::demand_forecast): Croston, SBA or TSB for
/// intermittent sellers, AutoETS for regular ones.
pub fn product_performance(
    lines: &ProductLines,
    opts: &ProductOptions,
) -> Result<ProductPerformance> {
    product_performance_with(lines, opts, crate::analytics::forecast::demand_forecast)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::transactions::days_from_civil;

    fn d(y: i64, m: u32, dd: u32) -> Day {
        days_from_civil(y, m, dd)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    /// product, date, quantity, amount, order, refunded, title
    type Line = (
        &'static str,
        &'static str,
        f64,
        f64,
        String,
        f64,
        Option<&'static str>,
    );

    /// Weeks (Monday to Sunday) of the window: Feb 26, Mar 4, Mar 11, Mar 18, Mar 25 2024;
    /// every line is on the week's Wednesday. Units per week:
    ///   mug  10 10 10 10 10  at 10 (week 1 in two lines of order m0; 5 refunded in week 5)
    ///   tee   1  2  3  4  5  at 20 (week 1 in order m0 with the mug)
    ///   cap   6  0  6  0  3  at 10
    ///   dec   4  3  2  1  0  at  4
    ///   pen   0  0  0  0  5  at  2
    /// and before the window: bag (Thu Feb 1, 1 x 7), hat (Wed Jan 31, 2 x 4.5), old
    /// (Wed Jan 10, 3 x 10).
    fn lines() -> ProductLines {
        let wed = [
            "2024-02-28",
            "2024-03-06",
            "2024-03-13",
            "2024-03-20",
            "2024-03-27",
        ];
        let mut rows: Vec<Line> = vec![
            ("mug", wed[0], 4.0, 40.0, "m0".into(), 0.0, Some("Mug")),
            ("mug", wed[0], 6.0, 60.0, "m0".into(), 0.0, None),
        ];
        for (k, day) in wed.iter().enumerate().skip(1) {
            let refunded = if k == 4 { 5.0 } else { 0.0 };
            rows.push((
                "mug",
                day,
                10.0,
                100.0,
                format!("m{k}"),
                refunded,
                Some("Mug"),
            ));
        }
        for (k, day) in wed.iter().enumerate() {
            let u = (k + 1) as f64;
            let order = if k == 0 { "m0".into() } else { format!("t{k}") };
            let name = if k == 0 { "T-shirt" } else { "Tee" };
            rows.push(("tee", day, u, 20.0 * u, order, 0.0, Some(name)));
        }
        for (k, u) in [(0, 6.0), (2, 6.0), (4, 3.0)] {
            rows.push((
                "cap",
                wed[k],
                u,
                10.0 * u,
                format!("c{k}"),
                0.0,
                Some("Cap"),
            ));
        }
        for (k, u) in [(0, 4.0), (1, 3.0), (2, 2.0), (3, 1.0)] {
            rows.push(("dec", wed[k], u, 4.0 * u, format!("d{k}"), 0.0, None));
        }
        rows.push(("pen", wed[4], 5.0, 10.0, "p4".into(), 0.0, None));
        rows.push(("bag", "2024-02-01", 1.0, 7.0, "b".into(), 0.0, None));
        rows.push(("hat", "2024-01-31", 2.0, 9.0, "h".into(), 0.0, None));
        rows.push(("old", "2024-01-10", 3.0, 30.0, "o".into(), 0.0, Some("Old")));
        let frame = df!(
            "product" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "date" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "quantity" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "amount" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            "order" => rows.iter().map(|r| r.4.clone()).collect::<Vec<_>>(),
            "refunded" => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
            "title" => rows.iter().map(|r| r.6).collect::<Vec<_>>(),
        )
        .unwrap();
        let cols = ProductColumns::default()
            .refunded(Some("refunded"))
            .name(Some("title"));
        ProductLines::from_frame(&frame, &cols).unwrap()
    }

    fn options() -> ProductOptions {
        ProductOptions {
            window_days: 35,
            as_of: Some(d(2024, 3, 31)),
            trend_periods: 5,
            h: 2,
            ..Default::default()
        }
    }

    /// The mean of the last four periods (fewer if shorter), intervals at half and one and
    /// a half times it; fails on series longer than 10 periods (old's 12 weeks).
    fn mean4(y: &[f64], h: usize, levels: &[f64]) -> Result<(String, Forecast)> {
        if y.len() > 10 {
            return Err(Error::invalid_data("y", None, "longer than 10 periods"));
        }
        let tail = &y[y.len().saturating_sub(4)..];
        let m = tail.iter().sum::<f64>() / tail.len() as f64;
        let intervals = levels
            .iter()
            .map(|&level| Interval {
                level,
                lower: vec![m * 0.5; h],
                upper: vec![m * 1.5; h],
            })
            .collect();
        Ok((
            "mean4".into(),
            Forecast {
                mean: vec![m; h],
                intervals,
            },
        ))
    }

    fn find<'a>(p: &'a ProductPerformance, id: &str) -> &'a ProductRow {
        p.products.iter().find(|r| r.product == id).unwrap()
    }

    #[test]
    fn performance_by_hand() {
        let p = product_performance_with(&lines(), &options(), mean4).unwrap();
        assert_eq!(p.as_of, d(2024, 3, 31));
        // 35 days ending on Sunday Mar 31: from Monday Feb 26, five full weeks.
        assert_eq!(p.window, (d(2024, 2, 26), d(2024, 3, 31)));
        let weeks: Vec<Day> = (0..5).map(|k| d(2024, 2, 26) + 7 * k).collect();
        assert_eq!(p.demand_starts, weeks);
        assert_eq!(p.forecast_start, d(2024, 4, 1));

        // Ranking by window revenue 500, 300, 150, 40, 10, then the zeros by id.
        let ids: Vec<&str> = p.products.iter().map(|r| r.product.as_str()).collect();
        assert_eq!(
            ids,
            ["mug", "tee", "cap", "dec", "pen", "bag", "hat", "old"]
        );
        let rev: Vec<f64> = p.products.iter().map(|r| r.revenue).collect();
        assert_eq!(rev, [500.0, 300.0, 150.0, 40.0, 10.0, 0.0, 0.0, 0.0]);
        // Of 1000: shares .5 .3 .15 .04 .01; cumulative .5 .8 .95 .99 1.
        let cum: Vec<f64> = p.products.iter().map(|r| r.cumulative_share).collect();
        for (c, e) in cum.iter().zip([0.5, 0.8, 0.95, 0.99, 1.0, 1.0, 1.0, 1.0]) {
            assert!(close(*c, e), "{cum:?}");
        }
        assert!(close(p.products[2].share, 0.15));
        // ABC at the boundaries: tee brings the total to exactly 80% (A), cap starts at 80%
        // (B) and brings it to exactly 95%, dec starts at 95% (C); no revenue: C.
        let abc: String = p.products.iter().map(|r| r.abc).collect();
        assert_eq!(abc, "AABCCCCC");

        let mug = find(&p, "mug");
        assert_eq!(mug.name.as_deref(), Some("Mug"));
        assert_eq!((mug.units, mug.orders), (50.0, 5)); // m0 counted once
        assert_eq!(mug.avg_price, Some(10.0));
        assert_eq!(mug.demand, vec![10.0; 5]);
        // Constant demand: cv 0, X; all ties: Mann-Kendall variance 0, p = 1, flat.
        assert_eq!((mug.cv, mug.xyz), (Some(0.0), 'X'));
        assert_eq!(mug.trend.direction, TrendDirection::Flat);
        assert_eq!((mug.trend.slope, mug.trend.p_value), (0.0, 1.0));
        assert!(close(mug.velocity, 50.0 / 35.0));
        assert_eq!(mug.refund_rate, Some(5.0 / 50.0));
        assert_eq!(mug.first_sale, Some(d(2024, 2, 28)));
        assert_eq!(mug.last_sale, Some(d(2024, 3, 27)));
        assert_eq!(mug.days_since_last_sale, Some(4));
        let f = mug.forecast.as_ref().unwrap();
        assert_eq!((f.method.as_str(), f.total), ("mean4", 20.0));
        assert_eq!(f.mean, vec![10.0, 10.0]);
        assert_eq!(f.intervals[1].level, 95.0);
        assert_eq!(f.intervals[1].upper, vec![15.0, 15.0]);

        let tee = find(&p, "tee");
        assert_eq!(tee.name.as_deref(), Some("Tee")); // the latest title
        assert_eq!((tee.orders, tee.refund_rate), (5, Some(0.0)));
        // Demand 1..5: mean 3, population sd sqrt(2): cv 0.4714 (X, <= 0.5).
        assert!(close(tee.cv.unwrap(), 2f64.sqrt() / 3.0));
        assert_eq!(tee.xyz, 'X');
        // Mann-Kendall on 1..5: S = 10, var = 5*4*15/18 = 16.67, z = 9/4.08 = 2.2045,
        // p = 0.027486 (pymannkendall 1.4.3 original_test); Sen's slope 1, / mean 3.
        assert_eq!(tee.trend.direction, TrendDirection::Rising);
        assert!(close(tee.trend.p_value, 0.027_486_336), "{:?}", tee.trend);
        assert_eq!(tee.trend.slope, 1.0);
        assert!(close(tee.trend.relative_slope, 1.0 / 3.0));
        assert_eq!(tee.forecast.as_ref().unwrap().total, 7.0); // 2 x mean(2, 3, 4, 5)

        // cap 6 0 6 0 3: mean 3, variance (9+9+9+9+0)/5 = 7.2, cv sqrt(7.2)/3 = 0.894 (Y);
        // S = -2, p = 0.794: flat; Sen's slope -0.375.
        let cap = find(&p, "cap");
        assert!(close(cap.cv.unwrap(), 7.2f64.sqrt() / 3.0));
        assert_eq!(cap.xyz, 'Y');
        assert_eq!(cap.trend.direction, TrendDirection::Flat);
        assert!(close(cap.trend.p_value, 0.794_002_68));
        assert_eq!(cap.trend.slope, -0.375);
        assert_eq!(cap.orders, 3);

        // dec 4 3 2 1 0: cv sqrt(2)/2 = 0.707 (Y); declining, slope -1, relative -1/2.
        let dec = find(&p, "dec");
        assert!(close(dec.cv.unwrap(), 0.5f64.sqrt()));
        assert_eq!(dec.xyz, 'Y');
        assert_eq!(dec.trend.direction, TrendDirection::Declining);
        assert_eq!(dec.trend.relative_slope, -0.5);
        assert_eq!(dec.days_since_last_sale, Some(11));

        // pen 0 0 0 0 5: mean 1, variance (4*1 + 16)/5 = 4, cv 2 (Z); one week of history,
        // too short for a trend.
        let pen = find(&p, "pen");
        assert_eq!((pen.cv, pen.xyz), (Some(2.0), 'Z'));
        assert_eq!(
            (pen.trend.direction, pen.trend.p_value),
            (TrendDirection::Flat, 1.0)
        );
        assert_eq!(pen.forecast.as_ref().unwrap().mean, vec![5.0, 5.0]);

        // Sold only before the window: no revenue, demand all zero, cv None (Z).
        let old = find(&p, "old");
        assert_eq!((old.revenue, old.units, old.orders), (0.0, 0.0, 0));
        assert_eq!((old.avg_price, old.cv, old.xyz), (None, None, 'Z'));
        assert_eq!(old.refund_rate, None);
        assert_eq!(old.demand, vec![0.0; 5]);
        assert_eq!(old.velocity, 0.0);
        assert_eq!(old.name.as_deref(), Some("Old"));
        // Jan 10 to Mar 31: 21 + 29 + 31 = 81 days. Its 12 weeks of history (Jan 8 to
        // Mar 25) make the test forecaster fail: only old loses its forecast.
        assert_eq!(old.days_since_last_sale, Some(81));
        assert_eq!(old.forecast, None);
        assert!(
            old.forecast_error
                .as_deref()
                .unwrap()
                .contains("longer than 10")
        );
        let bag = find(&p, "bag");
        assert_eq!(bag.forecast.as_ref().unwrap().total, 0.0);
        assert_eq!(bag.forecast_error, None);

        // Lists. Dead stock: 60 days or more without a sale: old (81), hat (Jan 31: 60),
        // not bag (Feb 1: 59).
        assert_eq!(p.top_sellers, vec![0, 1, 2, 3, 4]);
        assert_eq!(p.rising, vec![1]);
        assert_eq!(p.declining, vec![3]);
        assert_eq!(p.dead_stock, vec![7, 6]);
        assert_eq!(find(&p, "hat").days_since_last_sale, Some(60));
        assert_eq!(find(&p, "bag").days_since_last_sale, Some(59));

        let frame = p.to_frame().unwrap();
        assert_eq!(frame.height(), 8);
        for c in [
            "name",
            "refund_rate",
            "trend",
            "forecast_total",
            "forecast_method",
        ] {
            assert!(frame.column(c).is_ok(), "{c}");
        }
        assert_eq!(frame.column("last_sale").unwrap().dtype(), &DataType::Date);
        let summary = p.summary_frame().unwrap();
        assert_eq!(summary.height(), 5 + 1 + 1 + 2);
        let last = summary.get(8).unwrap();
        assert_eq!(last[0], AnyValue::String("dead_stock"));
        assert_eq!(last[2], AnyValue::String("hat"));
        assert_eq!(
            summary.column("value").unwrap().f64().unwrap().get(7),
            Some(81.0)
        );

        let top3 = ProductOptions {
            top: 3,
            ..options()
        };
        let p3 = product_performance_with(&lines(), &top3, mean4).unwrap();
        assert_eq!(p3.top_sellers, vec![0, 1, 2]);
    }

    #[test]
    fn a_period_cut_short_by_as_of_is_left_out_of_demand() {
        // As of the last line, Wednesday Mar 27: the week of Mar 25 is not full. The window
        // (Feb 22 to Mar 27) holds the full weeks of Feb 26 to Mar 18.
        let opts = ProductOptions {
            as_of: None,
            ..options()
        };
        let p = product_performance_with(&lines(), &opts, mean4).unwrap();
        assert_eq!(p.window, (d(2024, 2, 22), d(2024, 3, 27)));
        assert_eq!(p.demand_starts.len(), 4);
        assert_eq!(p.forecast_start, d(2024, 3, 25));
        let mug = find(&p, "mug");
        assert_eq!(mug.revenue, 500.0); // Mar 27 is in the window
        assert_eq!(mug.demand, vec![10.0; 4]);
        // tee 1 2 3 4 (week 5 left out): S = 6, var = 4*3*13/18 = 8.67, z = 5/2.944 = 1.698,
        // p = 0.089429 (pymannkendall 1.4.3): flat at 0.05.
        let tee = find(&p, "tee");
        assert_eq!(tee.trend.direction, TrendDirection::Flat);
        assert!(close(tee.trend.p_value, 0.089_429_359), "{:?}", tee.trend);
    }

    #[test]
    fn mann_kendall_against_pymannkendall() {
        // pymannkendall 1.4.3, original_test: rising with one tie (3, 3) and one step down.
        // S = 26 rises - 1 fall = 25; var = (8*7*21 - 2*1*9)/18 = 64.33; z = 24/8.02.
        let mk = mann_kendall(&[2.0, 3.0, 3.0, 5.0, 4.0, 6.0, 8.0, 9.0]);
        assert_eq!(mk.s, 25.0);
        assert!(close(mk.var_s, 64.333_333_333));
        assert!(close(mk.z, 2.992_217_885_7));
        assert!(close(mk.p, 0.002_769_585_2));
        assert_eq!(sens_slope(&[2.0, 3.0, 3.0, 5.0, 4.0, 6.0, 8.0, 9.0]), 1.0);
        // Noisy and flat: S = 5, var 64.33, z = 0.4987, p = 0.61799, Sen's slope 7/24.
        let noisy = [6.0, 9.0, 5.0, 7.0, 4.0, 8.0, 6.0, 10.0];
        let mk = mann_kendall(&noisy);
        assert_eq!(mk.s, 5.0);
        assert!(close(mk.z, 0.498_702_981));
        assert!(close(mk.p, 0.617_988_644));
        assert!(close(sens_slope(&noisy), 0.291_666_667));
        let t = trend_of(&noisy, 0.05);
        assert_eq!(t.direction, TrendDirection::Flat);
        // Zeros then a sale: the four tied zeros leave var = (300 - 156)/18 = 8,
        // z = 3/sqrt(8) = 1.0607, p = 0.28884.
        let mk = mann_kendall(&[0.0, 0.0, 0.0, 0.0, 5.0]);
        assert_eq!((mk.s, mk.var_s), (4.0, 8.0));
        assert!(close(mk.p, 0.288_844_366));
    }

    #[test]
    fn abc_crossing_xyz_cut_offs_and_observed_days() {
        // Revenue 90, 6, 4: the first product alone crosses 80% and is A; the second starts
        // at 90% (< 95%): B; the third starts at 96%: C. Integer ids: 9 ranks before 10 on
        // a tie, numerically.
        let frame = df!(
            "product" => [1i64, 2, 3, 10, 9],
            "date" => ["2024-03-01", "2024-03-05", "2024-03-10", "2024-03-10", "2024-03-10"],
            "quantity" => [20.0, 2.0, 1.0, 0.0, 0.0],
            "amount" => [90.0, 6.0, 4.0, 0.0, 0.0],
        )
        .unwrap();
        let lines = ProductLines::from_frame(&frame, &ProductColumns::new().order(None)).unwrap();
        let opts = ProductOptions {
            h: 0,
            ..Default::default()
        };
        let p = product_performance_with(&lines, &opts, mean4).unwrap();
        let ids: Vec<&str> = p.products.iter().map(|r| r.product.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3", "9", "10"]);
        let abc: String = p.products.iter().map(|r| r.abc).collect();
        assert_eq!(abc, "ABCCC");
        // The data starts on Mar 1, inside the 90-day window: 10 observed days, so
        // 20 units sell at 2 a day.
        assert_eq!(p.window, (d(2024, 3, 10) - 89, d(2024, 3, 10)));
        assert_eq!(p.products[0].velocity, 2.0);
        // h = 0: no forecast and no error.
        assert!(
            p.products
                .iter()
                .all(|r| r.forecast.is_none() && r.forecast_error.is_none())
        );
        assert_eq!(p.products[0].orders, 1);
        // Cut-offs are inclusive: X up to 0.5, Y up to 1.0.
        assert_eq!(coefficient_of_variation(&[1.0, 3.0]), Some(0.5));
        assert_eq!(xyz_class(Some(0.5), (0.5, 1.0)), 'X');
        assert_eq!(xyz_class(Some(0.500_001), (0.5, 1.0)), 'Y');
        assert_eq!(xyz_class(Some(1.0), (0.5, 1.0)), 'Y');
        assert_eq!(xyz_class(Some(1.01), (0.5, 1.0)), 'Z');
        assert_eq!(xyz_class(None, (0.5, 1.0)), 'Z');
    }

    #[test]
    fn a_panicking_or_malformed_forecaster_only_loses_its_product() {
        let f = |y: &[f64], h: usize, _: &[f64]| -> Result<(String, Forecast)> {
            if y.len() == 9 {
                panic!("nine weeks");
            }
            let steps = if y.len() == 1 { h + 1 } else { h };
            Ok((
                "naive".into(),
                Forecast {
                    mean: vec![y[y.len() - 1]; steps],
                    intervals: vec![],
                },
            ))
        };
        let p = product_performance_with(&lines(), &options(), f).unwrap();
        // bag and hat have nine weeks of history; pen one (a forecast one step too long).
        for id in ["bag", "hat"] {
            let e = find(&p, id).forecast_error.as_deref().unwrap();
            assert!(e.contains("nine weeks"), "{e}");
        }
        assert!(
            find(&p, "pen")
                .forecast_error
                .as_deref()
                .unwrap()
                .contains("2 steps")
        );
        assert_eq!(find(&p, "mug").forecast.as_ref().unwrap().total, 20.0);
    }

    #[test]
    fn bad_rows_and_options_are_named() {
        let good = || {
            df!(
                "product" => ["a", "b", "c"],
                "order" => [1i64, 2, 3],
                "date" => ["2024-01-01", "2024-01-02", "2024-01-03"],
                "quantity" => [1.0, 2.0, 3.0],
                "amount" => [1.0, 2.0, 3.0],
            )
            .unwrap()
        };
        let mut f = good();
        f.replace("quantity", Column::new("quantity".into(), [1.0, 2.0, -3.0]))
            .unwrap();
        let err = ProductLines::from_frame(&f, &ProductColumns::default()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidData { column, row: Some(2), .. } if column == "quantity"),
            "{err}"
        );
        let mut f = good();
        f.replace("amount", Column::new("amount".into(), [1.0, -2.0, 3.0]))
            .unwrap();
        let err = ProductLines::from_frame(&f, &ProductColumns::default()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidData { column, row: Some(1), .. } if column == "amount"),
            "{err}"
        );
        let mut f = good();
        f.replace(
            "product",
            Column::new("product".into(), [Some("a"), None, Some("c")]),
        )
        .unwrap();
        let err = ProductLines::from_frame(&f, &ProductColumns::default()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidData { column, row: Some(1), .. } if column == "product"),
            "{err}"
        );
        let err = ProductLines::from_frame(&good(), &ProductColumns::default().name(Some("title")))
            .unwrap_err();
        assert!(err.to_string().contains("column `title`"), "{err}");

        let lines = ProductLines::from_frame(&good(), &ProductColumns::default()).unwrap();
        let bad = [
            ProductOptions {
                window_days: 0,
                ..Default::default()
            },
            ProductOptions {
                abc: (0.9, 0.8),
                ..Default::default()
            },
            ProductOptions {
                xyz: (1.0, f64::NAN),
                ..Default::default()
            },
            ProductOptions {
                trend_periods: 2,
                ..Default::default()
            },
            ProductOptions {
                trend_alpha: 1.5,
                ..Default::default()
            },
            ProductOptions {
                levels: vec![100.0],
                ..Default::default()
            },
            ProductOptions {
                as_of: Some(d(2023, 12, 31)),
                ..Default::default()
            },
            ProductOptions {
                as_of: Some(i64::MAX),
                ..Default::default()
            },
        ];
        for opts in bad {
            let err = product_performance_with(&lines, &opts, mean4).unwrap_err();
            assert_eq!(err.code(), "invalid_argument", "{opts:?}: {err}");
        }
        let empty = good().head(Some(0));
        let lines = ProductLines::from_frame(&empty, &ProductColumns::default()).unwrap();
        assert!(product_performance_with(&lines, &ProductOptions::default(), mean4).is_err());
    }

    #[cfg(feature = "store")]
    #[test]
    fn lines_of_model_orders_with_their_refunds() {
        use crate::model::{Order, Refund};
        use serde_json::json;
        let m = |a: &str| json!({"amount": a, "currency": "USD"});
        let line = |id: &str,
                    product: Option<&str>,
                    sku: Option<&str>,
                    name: &str,
                    q: u32,
                    total: &str| {
            json!({"source_id": id, "product_id": product, "variant_id": null, "sku": sku,
                "name": name, "quantity": q, "unit_price": m("1.00"), "subtotal": m(total),
                "discount": m("0"), "tax": m("0"), "total": m(total), "components": [],
                "metadata": {}})
        };
        let order = |store: &str, id: &str, status: &str| -> Order {
            serde_json::from_value(json!({
                "source": {"platform": "woocommerce", "store": store, "entity": "order", "id": id},
                "number": id, "status": status, "platform_status": status,
                "payment_status": null, "platform_payment_status": null,
                "fulfillment_status": null, "platform_fulfillment_status": null,
                "currency": "USD", "created_at": "2024-03-01T10:00:00Z",
                "updated_at": null, "paid_at": null, "completed_at": null, "cancelled_at": null,
                "customer_id": "7", "email": null, "billing_address": null,
                "shipping_address": null,
                "line_items": [
                    line("1", Some("50"), Some("MUG-1"), "Mug", 2, "18.00"),
                    line("2", Some("60"), None, "Shirt", 3, "30.00"),
                    line("3", None, None, "Gift wrap", 1, "2.00"),
                ],
                "tax_lines": [], "fee_lines": [], "discount_lines": [], "refunds": [],
                "shipping_lines": [],
                "subtotal": m("50.00"), "discount_total": m("0"), "shipping_total": m("0"),
                "fee_total": m("0"), "tax_total": m("0"), "total": m("50.00"),
                "refunded_total": m("0"), "prices_include_tax": false, "payment_method": null,
                "note": null, "tags": [], "metadata": {}
            }))
            .unwrap()
        };
        let refund_line = |line: Option<&str>, product: Option<&str>, q: u32| {
            json!({"source_id": null, "line_item_id": line, "product_id": product,
                "variant_id": null, "sku": null, "name": null, "quantity": q,
                "subtotal": m("1.00"), "tax": m("0"), "total": m("1.00")})
        };
        let refund = |store: &str, lines: Vec<serde_json::Value>| -> Refund {
            serde_json::from_value(json!({
                "source": {"platform": "woocommerce", "store": store, "entity": "refund", "id": "900"},
                "order_id": "100", "created_at": "2024-03-05T00:00:00Z", "processed_at": null,
                "amount": m("10.00"), "shipping": m("0"), "reason": null, "restock": null,
                "line_items": lines, "metadata": {}
            }))
            .unwrap()
        };
        let orders = vec![
            order("shop", "100", "completed"),
            order("shop", "101", "cancelled"),
        ];
        let refunds = vec![
            // One mug by its line id; five shirts by product id (only line 2 has product 60),
            // at most the 3 sold.
            refund(
                "shop",
                vec![
                    refund_line(Some("1"), None, 1),
                    refund_line(None, Some("60"), 5),
                ],
            ),
            // Another store's order 100: not this one.
            refund("other", vec![refund_line(Some("3"), None, 1)]),
        ];
        let frame = product_lines_frame(&orders, &refunds).unwrap();
        assert_eq!(frame.height(), 3, "the cancelled order is left out");
        let text = |c: &str| -> Vec<String> {
            frame
                .column(c)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|s| s.unwrap_or_default().to_string())
                .collect()
        };
        let num = |c: &str| -> Vec<f64> {
            frame
                .column(c)
                .unwrap()
                .f64()
                .unwrap()
                .into_no_null_iter()
                .collect()
        };
        assert_eq!(text("product"), ["shop:MUG-1", "shop:60", "shop:Gift wrap"]);
        assert_eq!(text("order"), ["shop:100"; 3]);
        assert_eq!(num("quantity"), [2.0, 3.0, 1.0]);
        assert_eq!(num("amount"), [18.0, 30.0, 2.0]);
        assert_eq!(num("refunded"), [1.0, 3.0, 0.0]);
        assert_eq!(text("platform"), ["woocommerce"; 3]);

        let cols = ProductColumns::default()
            .refunded(Some("refunded"))
            .name(Some("name"));
        let lines = ProductLines::from_frame(&frame, &cols).unwrap();
        let p = product_performance_with(&lines, &ProductOptions::default(), mean4).unwrap();
        let shirt = find(&p, "shop:60");
        assert_eq!(shirt.name.as_deref(), Some("Shirt"));
        assert_eq!(shirt.refund_rate, Some(1.0));
        assert_eq!(find(&p, "shop:MUG-1").refund_rate, Some(0.5));
    }
}
