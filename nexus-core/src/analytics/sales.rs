//! Sales series: revenue, orders and units per period, for the whole table or for each
//! value of its `by` column, on one gap-free period axis (the input of forecasting).
//!
//! The definitions are those of [`kpis`](super::kpi::kpis), so the two agree period by
//! period: `revenue` is the sum of the amounts, `orders` the distinct orders (order ids
//! within a customer when the table has an order column, else rows), `units` the sum of
//! the items column. Periods are calendar periods ([`Period`]: weeks start on Monday) named
//! by their first day; every period from the one holding `start` to the one holding `end`
//! is listed, with zeros where nothing was sold.

use polars::prelude::*;
use rayon::prelude::*;

use super::kpi::Period;
use super::rfm::{Day, date_column, frame};
use super::transactions::{Transactions, days_from_civil};
use crate::{Error, Result};

/// The most cells (periods x groups) one series may hold.
const MAX_CELLS: usize = 50_000_000;

/// Options of [`sales_series`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SalesOptions {
    /// The period (default: month).
    pub period: Period,
    /// One series per value of the table's `by` column ([`Columns::by`](super::Columns::by))
    /// instead of one for the whole table (default: `false`).
    pub by: bool,
    /// The first day counted (days since 1970-01-01, inclusive); default: the table's first
    /// day.
    pub start: Option<Day>,
    /// The last day counted (days since 1970-01-01, inclusive); default: the table's last
    /// day.
    pub end: Option<Day>,
}

/// One measure of a sales series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// The sum of the amounts.
    Revenue,
    /// Distinct orders.
    Orders,
    /// The sum of the items column.
    Units,
}

impl Measure {
    /// Parses `"revenue"`, `"orders"` or `"units"` (also `"items"`).
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "revenue" | "sales" | "amount" => Ok(Measure::Revenue),
            "orders" | "order" => Ok(Measure::Orders),
            "units" | "unit" | "items" | "quantity" => Ok(Measure::Units),
            _ => Err(Error::InvalidArgument {
                name: "measure",
                message: format!("{s:?}: expected \"revenue\", \"orders\" or \"units\""),
            }),
        }
    }

    /// The measure's name (`"revenue"`), which is also its column in
    /// [`SalesSeries::to_frame`].
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Revenue => "revenue",
            Measure::Orders => "orders",
            Measure::Units => "units",
        }
    }
}

impl std::fmt::Display for Measure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The series of one group (or of the whole table).
#[derive(Debug, Clone, PartialEq)]
pub struct SalesGroup {
    /// The `by` value; `None` for the whole table.
    pub key: Option<String>,
    /// Each period's first day (days since 1970-01-01), oldest first. The first period
    /// may begin before `start` and the last end after `end`: only the days between count.
    pub starts: Vec<Day>,
    /// Revenue per period.
    pub revenue: Vec<f64>,
    /// Distinct orders per period.
    pub orders: Vec<f64>,
    /// Units per period; `None` when the table has no items column.
    pub units: Option<Vec<f64>>,
}

impl SalesGroup {
    /// The values of `measure`, one per period; `None` for units without an items column.
    pub fn measure(&self, measure: Measure) -> Option<&[f64]> {
        match measure {
            Measure::Revenue => Some(&self.revenue),
            Measure::Orders => Some(&self.orders),
            Measure::Units => self.units.as_deref(),
        }
    }

    /// The number of periods.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there are no periods.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
}

/// Sales by period (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct SalesSeries {
    /// The period.
    pub period: Period,
    /// The name of the `by` column when the series are split by it.
    pub by: Option<String>,
    /// One series per group, sorted by key (as text); all on the same period axis. Every
    /// value of the `by` column in the table has one, even if it sold nothing between
    /// `start` and `end`.
    pub groups: Vec<SalesGroup>,
}

impl SalesSeries {
    /// The values of `measure` for group `group` (an index into [`SalesSeries::groups`]);
    /// `None` when there is no such group, or for units without an items column.
    pub fn measure(&self, group: usize, measure: Measure) -> Option<&[f64]> {
        self.groups.get(group)?.measure(measure)
    }

    /// The group whose `by` value is `key`.
    pub fn group(&self, key: &str) -> Option<&SalesGroup> {
        self.groups.iter().find(|g| g.key.as_deref() == Some(key))
    }

    /// The series in long form, one row per group and period: the `by` column (when split
    /// by it), `period` (a date), `revenue`, `orders` (integers) and `units` (when the
    /// table has an items column).
    pub fn to_frame(&self) -> Result<DataFrame> {
        let groups = &self.groups;
        let mut cols = Vec::new();
        if let Some(by) = &self.by {
            let keys: Vec<String> = groups
                .iter()
                .flat_map(|g| std::iter::repeat_n(g.key.clone().unwrap_or_default(), g.len()))
                .collect();
            cols.push(Column::new(by.as_str().into(), keys));
        }
        cols.push(date_column(
            "period",
            groups.iter().flat_map(|g| g.starts.iter().copied()),
        )?);
        let values = |f: &dyn Fn(&SalesGroup) -> &[f64]| -> Vec<f64> {
            groups.iter().flat_map(|g| f(g).iter().copied()).collect()
        };
        cols.push(Column::new("revenue".into(), values(&|g| &g.revenue)));
        cols.push(Column::new(
            "orders".into(),
            values(&|g| &g.orders)
                .into_iter()
                .map(|v| v as u64)
                .collect::<Vec<u64>>(),
        ));
        if groups.iter().all(|g| g.units.is_some()) && !groups.is_empty() {
            cols.push(Column::new(
                "units".into(),
                values(&|g| g.units.as_deref().unwrap_or_default()),
            ));
        }
        frame(cols)
    }
}

/// The range of days the analytics accept as arguments: years -9999 to 9999.
pub(crate) fn check_day(name: &'static str, day: Day) -> Result<Day> {
    let (min, max) = (days_from_civil(-9999, 1, 1), days_from_civil(9999, 12, 31));
    if (min..=max).contains(&day) {
        Ok(day)
    } else {
        Err(Error::InvalidArgument {
            name,
            message: format!("day {day} is outside the years -9999 to 9999"),
        })
    }
}

/// Revenue, orders and units per period (see the [module docs](self)).
///
/// Errors: [`Error::InvalidArgument`] when `by` is asked for a table read without a `by`
/// column, when `start` is after `end`, or when the span holds more than 50 million
/// cells (periods x groups); [`Error::InvalidData`] for an empty table without both
/// `start` and `end`.
pub fn sales_series(tx: &Transactions, opts: &SalesOptions) -> Result<SalesSeries> {
    let by = if opts.by {
        match (&tx.columns.by, &tx.group) {
            (Some(name), Some(_)) => Some(name.clone()),
            _ => {
                return Err(Error::InvalidArgument {
                    name: "by",
                    message: "the transactions were read without a `by` column (name one with Columns::by)"
                        .into(),
                });
            }
        }
    } else {
        None
    };
    let no_rows = || {
        Error::invalid_data(
            "",
            None,
            "the table has no transactions (give both start and end for an all-zero series)",
        )
    };
    let start = match opts.start {
        Some(d) => check_day("start", d)?,
        None => tx.first_day().ok_or_else(no_rows)?,
    };
    let end = match opts.end {
        Some(d) => check_day("end", d)?,
        None => tx.last_day().ok_or_else(no_rows)?,
    };
    if start > end {
        return Err(Error::InvalidArgument {
            name: "start",
            message: format!("start (day {start}) is after end (day {end})"),
        });
    }
    let period = opts.period;
    let (p0, p1) = (period.index(start), period.index(end));
    let np = (p1 - p0 + 1) as usize;
    let ng = if by.is_some() {
        tx.group_names.len()
    } else {
        1
    };
    if np.saturating_mul(ng.max(1)) > MAX_CELLS {
        return Err(Error::InvalidArgument {
            name: "period",
            message: format!(
                "{np} {period}s x {ng} groups is more than {MAX_CELLS} cells: choose a longer period or a shorter span"
            ),
        });
    }
    let cells = np * ng;
    let mut revenue = vec![0.0; cells];
    let mut units = tx.items.as_ref().map(|_| vec![0.0; cells]);
    let mut orders = vec![0.0; cells];
    // (cell, customer, order digest) of every row with an order id, for distinct counts.
    let mut order_keys: Vec<(u32, u32, u64)> = Vec::new();
    for r in 0..tx.len() {
        let day = tx.day[r] as i64;
        if day < start || day > end {
            continue;
        }
        let g = match (&by, &tx.group) {
            (Some(_), Some(group)) => group[r] as usize,
            _ => 0,
        };
        let cell = g * np + (period.index(day) - p0) as usize;
        revenue[cell] += tx.amount[r];
        if let (Some(u), Some(items)) = (units.as_mut(), tx.items.as_ref()) {
            u[cell] += items[r];
        }
        match &tx.order {
            Some(order) => order_keys.push((cell as u32, tx.customer[r], order[r])),
            None => orders[cell] += 1.0,
        }
    }
    if tx.order.is_some() {
        order_keys.par_sort_unstable();
        order_keys.dedup();
        for &(cell, _, _) in &order_keys {
            orders[cell as usize] += 1.0;
        }
    }
    let starts: Vec<Day> = (p0..=p1).map(|p| period.start(p)).collect();
    let groups = (0..ng)
        .map(|g| {
            let cut = |v: &[f64]| v[g * np..(g + 1) * np].to_vec();
            SalesGroup {
                key: by.as_ref().map(|_| tx.group_names[g].clone()),
                starts: starts.clone(),
                revenue: cut(&revenue),
                orders: cut(&orders),
                units: units.as_deref().map(cut),
            }
        })
        .collect();
    Ok(SalesSeries { period, by, groups })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::Columns;
    use crate::analytics::kpi::{KpiOptions, kpis};

    fn d(y: i64, m: u32, dd: u32) -> Day {
        days_from_civil(y, m, dd)
    }

    fn names(f: &DataFrame) -> Vec<&str> {
        f.get_column_names().iter().map(|n| n.as_str()).collect()
    }

    /// Two stores; February has no sale at all, store b sells nothing in March.
    fn table(items: bool, by: bool) -> Transactions {
        let frame = df!(
            "customer_id" => ["ann", "ann", "bob", "bob", "cy", "cy", "ann", "bob"],
            "order_id" => [1i64, 2, 3, 3, 4, 5, 6, 7],
            "date" => ["2024-01-05", "2024-01-20", "2024-01-10", "2024-01-10", "2024-03-01",
                "2024-03-31", "2024-04-02", "2024-04-30"],
            "amount" => [10.0, 30.0, 20.0, 5.0, 8.0, 2.0, 15.0, 4.0],
            "items" => [1.0, 3.0, 2.0, 1.0, 1.0, 1.0, 2.0, 1.0],
            "store" => ["a", "a", "b", "b", "a", "a", "b", "a"],
        )
        .unwrap();
        let cols = Columns::default()
            .items(items.then_some("items"))
            .by(by.then_some("store"));
        Transactions::from_frame(&frame, &cols).unwrap()
    }

    #[test]
    fn monthly_series_by_store_by_hand() {
        let tx = table(true, true);
        let s = sales_series(
            &tx,
            &SalesOptions {
                by: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(s.by.as_deref(), Some("store"));
        assert_eq!(s.groups.len(), 2);
        let (a, b) = (&s.groups[0], &s.groups[1]);
        let months = vec![d(2024, 1, 1), d(2024, 2, 1), d(2024, 3, 1), d(2024, 4, 1)];
        assert_eq!(a.key.as_deref(), Some("a"));
        assert_eq!(a.starts, months);
        assert_eq!(b.starts, months);
        // Store a: Jan 10 + 30 (orders 1, 2), Mar 8 + 2 (orders 4, 5), Apr 4 (order 7).
        assert_eq!(a.revenue, vec![40.0, 0.0, 10.0, 4.0]);
        assert_eq!(a.orders, vec![2.0, 0.0, 2.0, 1.0]);
        assert_eq!(a.units, Some(vec![4.0, 0.0, 2.0, 1.0]));
        // Store b: Jan 20 + 5 in two rows of order 3 (one order), Apr 15 (order 6).
        assert_eq!(b.revenue, vec![25.0, 0.0, 0.0, 15.0]);
        assert_eq!(b.orders, vec![1.0, 0.0, 0.0, 1.0]);
        assert_eq!(b.units, Some(vec![3.0, 0.0, 0.0, 2.0]));
        assert_eq!(s.measure(1, Measure::Revenue), Some(&b.revenue[..]));
        assert_eq!(s.measure(2, Measure::Revenue), None);
        assert_eq!(s.group("b"), Some(b));

        let f = s.to_frame().unwrap();
        assert_eq!(names(&f), ["store", "period", "revenue", "orders", "units"]);
        assert_eq!(f.height(), 8);
        assert_eq!(f.column("period").unwrap().dtype(), &DataType::Date);
        let orders: Vec<u64> = f
            .column("orders")
            .unwrap()
            .u64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(orders, vec![2, 0, 2, 1, 1, 0, 0, 1]);
        // The same numbers as the KPIs by store (both stores sell in January and April).
        let k = kpis(&tx, &KpiOptions::default()).unwrap();
        let kr: Vec<(Option<String>, Day, f64, f64)> = k
            .rows
            .iter()
            .map(|r| (r.group.clone(), r.period, r.revenue, r.orders as f64))
            .collect();
        let sr: Vec<(Option<String>, Day, f64, f64)> = s
            .groups
            .iter()
            .flat_map(|g| {
                (0..g.len()).map(|i| (g.key.clone(), g.starts[i], g.revenue[i], g.orders[i]))
            })
            .collect();
        assert_eq!(kr, sr);
    }

    #[test]
    fn whole_table_agrees_with_kpis() {
        let tx = table(false, false);
        let s = sales_series(&tx, &SalesOptions::default()).unwrap();
        assert_eq!(s.groups.len(), 1);
        let g = &s.groups[0];
        assert_eq!(g.key, None);
        assert_eq!(g.units, None);
        assert_eq!(g.measure(Measure::Units), None);
        assert_eq!(g.revenue, vec![65.0, 0.0, 10.0, 19.0]);
        assert_eq!(g.orders, vec![3.0, 0.0, 2.0, 2.0]);
        let k = kpis(&tx, &KpiOptions::default()).unwrap();
        let kr: Vec<(Day, f64, f64)> = k
            .rows
            .iter()
            .map(|r| (r.period, r.revenue, r.orders as f64))
            .collect();
        let sr: Vec<(Day, f64, f64)> = (0..g.len())
            .map(|i| (g.starts[i], g.revenue[i], g.orders[i]))
            .collect();
        assert_eq!(kr, sr);
        assert_eq!(
            names(&s.to_frame().unwrap()),
            ["period", "revenue", "orders"]
        );
    }

    #[test]
    fn start_and_end_cut_the_days_and_pad_the_axis() {
        let tx = table(true, false);
        // Weeks from Monday 2024-01-08 to Sunday 2024-01-21, then an empty week of 2024-01-22
        // (end Wednesday 2024-01-24): rows of 01-10 (20 + 5, order 3) and 01-20 (30).
        let s = sales_series(
            &tx,
            &SalesOptions {
                period: Period::Week,
                by: false,
                start: Some(d(2024, 1, 8)),
                end: Some(d(2024, 1, 24)),
            },
        )
        .unwrap();
        let g = &s.groups[0];
        assert_eq!(
            g.starts,
            vec![d(2024, 1, 8), d(2024, 1, 15), d(2024, 1, 22)]
        );
        assert_eq!(g.revenue, vec![25.0, 30.0, 0.0]);
        assert_eq!(g.orders, vec![1.0, 1.0, 0.0]);
        // Without an order column each row is an order.
        let frame = df!("customer_id" => [1i64, 1], "date" => ["2024-01-10", "2024-01-10"],
            "amount" => [1.0, 2.0])
        .unwrap();
        let rows = Transactions::from_frame(&frame, &Columns::default().order(None)).unwrap();
        let s = sales_series(&rows, &SalesOptions::default()).unwrap();
        assert_eq!(s.groups[0].orders, vec![2.0]);
    }

    #[test]
    fn bad_options_are_refused() {
        let frame = df!("customer_id" => [1i64], "order_id" => [1i64], "date" => ["2024-01-10"],
            "amount" => [1.0])
        .unwrap();
        let tx = Transactions::from_frame(&frame, &Columns::default()).unwrap();
        let by = SalesOptions {
            by: true,
            ..Default::default()
        };
        assert!(matches!(
            sales_series(&tx, &by),
            Err(Error::InvalidArgument { name: "by", .. })
        ));
        let reversed = SalesOptions {
            start: Some(d(2024, 2, 1)),
            end: Some(d(2024, 1, 1)),
            ..Default::default()
        };
        assert!(sales_series(&tx, &reversed).is_err());
        let huge = SalesOptions {
            start: Some(i64::MIN),
            ..Default::default()
        };
        assert!(sales_series(&tx, &huge).is_err());
        assert!(Measure::parse("profit").is_err());
        assert_eq!(Measure::parse("Units").unwrap(), Measure::Units);
    }
}

/// Options of [`forecast_sales`].
#[derive(Debug, Clone, PartialEq)]
pub struct SalesForecastOptions {
    /// The series to forecast: period, `by`, start and end (default: monthly, whole table).
    pub sales: SalesOptions,
    /// What to forecast (default: revenue).
    pub measure: Measure,
    /// Periods to forecast (default 12).
    pub h: usize,
    /// Prediction-interval levels in percent (default 80 and 95).
    pub levels: Vec<f64>,
    /// The seasonal period; default: the period's usual one (12 for months, 52 for weeks,
    /// 7 and 365 for days, 4 for quarters).
    pub season_length: Option<usize>,
}

impl Default for SalesForecastOptions {
    fn default() -> Self {
        SalesForecastOptions {
            sales: SalesOptions::default(),
            measure: Measure::Revenue,
            h: 12,
            levels: vec![80.0, 95.0],
            season_length: None,
        }
    }
}

/// The forecast of one group's series.
#[derive(Debug, Clone)]
pub struct GroupForecast {
    /// The `by` value; `None` for the whole table.
    pub key: Option<String>,
    /// The model used (`"ETS(M,A,M)"`, `"MSTL(52)+ETS(A,N,N)"`).
    pub model: String,
    /// The first day of each forecast period.
    pub starts: Vec<Day>,
    /// The forecast (negative values clipped at zero: sales cannot be negative).
    pub forecast: crate::analytics::forecast::Forecast,
}

/// Sales forecasts for every group, with the history they were made from.
#[derive(Debug)]
pub struct SalesForecast {
    /// The measure forecast.
    pub measure: Measure,
    /// The history.
    pub history: SalesSeries,
    /// One forecast per group that could be forecast.
    pub groups: Vec<GroupForecast>,
    /// The groups that could not be forecast (too little history), with the reason.
    pub failed: Vec<(Option<String>, Error)>,
}

impl SalesForecast {
    /// The forecasts as a long table: [the `by` column], `period` (the period's first day),
    /// `model`, `mean`, and `lo-{level}` / `hi-{level}` per level.
    pub fn to_frame(&self) -> Result<DataFrame> {
        let mut cols = Vec::new();
        if let Some(by) = &self.history.by {
            let keys: Vec<String> = self
                .groups
                .iter()
                .flat_map(|g| {
                    std::iter::repeat_n(g.key.clone().unwrap_or_default(), g.starts.len())
                })
                .collect();
            cols.push(Column::new(by.as_str().into(), keys));
        }
        cols.push(date_column(
            "period",
            self.groups.iter().flat_map(|g| g.starts.iter().copied()),
        )?);
        let models: Vec<&str> = self
            .groups
            .iter()
            .flat_map(|g| std::iter::repeat_n(g.model.as_str(), g.starts.len()))
            .collect();
        cols.push(Column::new("model".into(), models));
        let mean: Vec<f64> = self
            .groups
            .iter()
            .flat_map(|g| g.forecast.mean.iter().copied())
            .collect();
        cols.push(Column::new("mean".into(), mean));
        let levels: Vec<f64> = self
            .groups
            .first()
            .map(|g| g.forecast.intervals.iter().map(|i| i.level).collect())
            .unwrap_or_default();
        for (i, level) in levels.iter().enumerate() {
            let name = crate::analytics::forecast::level_name(*level);
            let lo: Vec<f64> = self
                .groups
                .iter()
                .flat_map(|g| g.forecast.intervals[i].lower.iter().copied())
                .collect();
            let hi: Vec<f64> = self
                .groups
                .iter()
                .flat_map(|g| g.forecast.intervals[i].upper.iter().copied())
                .collect();
            cols.push(Column::new(format!("lo-{name}").into(), lo));
            cols.push(Column::new(format!("hi-{name}").into(), hi));
        }
        frame(cols)
    }
}

/// Forecasts sales per period (revenue, orders or units; overall or per `by` value) `h`
/// periods ahead with prediction intervals, by
/// [`forecast_period_series`](crate::analytics::forecast::forecast_period_series). The last
/// period is left out of the history when the table ends before it does (a half-finished
/// month would look like a slump).
pub fn forecast_sales(tx: &Transactions, opts: &SalesForecastOptions) -> Result<SalesForecast> {
    crate::analytics::forecast::check_levels(&opts.levels)?;
    let mut history = sales_series(tx, &opts.sales)?;
    let period = opts.sales.period;
    // Drop a trailing period cut short by the end of the data.
    if let (Some(last), Some(g)) = (tx.last_day(), history.groups.first()) {
        let end = opts.sales.end.unwrap_or(last);
        if let Some(&s) = g.starts.last() {
            let next = period.start(period.index(s) + 1);
            if end < next - 1 && g.len() > 1 {
                for g in history.groups.iter_mut() {
                    g.starts.pop();
                    g.revenue.pop();
                    g.orders.pop();
                    if let Some(u) = g.units.as_mut() {
                        u.pop();
                    }
                }
            }
        }
    }
    if opts.measure == Measure::Units && history.groups.iter().any(|g| g.units.is_none()) {
        return Err(Error::InvalidArgument {
            name: "measure",
            message: "units need an items column (Columns::items)".into(),
        });
    }
    let results: Vec<(Option<String>, Result<GroupForecast>)> = history
        .groups
        .par_iter()
        .map(|g| {
            let y = g.measure(opts.measure).unwrap_or(&[]);
            let out = crate::analytics::forecast::forecast_period_series(
                y,
                period,
                opts.season_length,
                opts.h,
                &opts.levels,
            )
            .map(|(model, mut forecast)| {
                forecast.clip_at_zero();
                let last = g.starts.last().copied().unwrap_or(0);
                let base = period.index(last);
                GroupForecast {
                    key: g.key.clone(),
                    model,
                    starts: (1..=opts.h as i64)
                        .map(|k| period.start(base + k))
                        .collect(),
                    forecast,
                }
            });
            (g.key.clone(), out)
        })
        .collect();
    let mut groups = Vec::new();
    let mut failed = Vec::new();
    for (key, r) in results {
        match r {
            Ok(g) => groups.push(g),
            Err(e) => failed.push((key, e)),
        }
    }
    Ok(SalesForecast {
        measure: opts.measure,
        history,
        groups,
        failed,
    })
}
