//! Business KPIs by period, and cohort retention.
//!
//! [`kpis`] computes, per period (and per value of the `by` column when one is named):
//! - `revenue`, `orders` (distinct orders), `customers` (distinct customers);
//! - `aov`: revenue / orders; `items_per_order` when an items column is named;
//! - `new_customers` (first purchase ever, within the `by` group, in this period) and
//!   `returning_customers`, with their revenue;
//! - `repeat_rate`: the share of the period's customers with two or more orders in it;
//! - `refund_rate`: refunded amount / revenue, when a refunded column is named;
//! - `revenue_per_customer`: historical revenue per customer, the revenue up to the end
//!   of the period divided by the customers who bought up to then.
//!
//! Periods without a sale between the first and the last are listed with zeros (ratios
//! are then `None`). Weeks start on Monday; a period is named by its first day.
//!
//! [`cohorts`] groups customers by the period of their first purchase and follows each
//! cohort: how many of its customers buy in each later period (retention) and what they
//! spend.

use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::rfm::{Day, date_column, frame};
use super::transactions::{Transactions, civil_from_days, days_from_civil};
use crate::{Error, Result};

/// A calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Period {
    /// A UTC day.
    Day,
    /// A week starting on Monday.
    Week,
    /// A calendar month.
    #[default]
    Month,
    /// A calendar quarter.
    Quarter,
    /// A calendar year.
    Year,
}

impl Period {
    /// Parses `"day"`, `"week"`, `"month"`, `"quarter"` or `"year"`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "day" | "d" | "daily" => Ok(Period::Day),
            "week" | "w" | "weekly" => Ok(Period::Week),
            "month" | "m" | "monthly" => Ok(Period::Month),
            "quarter" | "q" | "quarterly" => Ok(Period::Quarter),
            "year" | "y" | "yearly" => Ok(Period::Year),
            _ => Err(Error::InvalidArgument {
                name: "period",
                message: format!(
                    "{s:?}: expected \"day\", \"week\", \"month\", \"quarter\" or \"year\""
                ),
            }),
        }
    }

    /// The period's name (`"month"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    /// A consecutive index of the period containing `day` (one apart for neighbours).
    pub fn index(self, day: Day) -> i64 {
        match self {
            Period::Day => day,
            // 1970-01-01 was a Thursday: day + 3 counts from Monday 1969-12-29.
            Period::Week => (day + 3).div_euclid(7),
            _ => {
                let (y, m, _) = civil_from_days(day);
                match self {
                    Period::Month => y * 12 + (m as i64 - 1),
                    Period::Quarter => y * 4 + (m as i64 - 1) / 3,
                    _ => y,
                }
            }
        }
    }

    /// The first day of the period of index `i`.
    pub fn start(self, i: i64) -> Day {
        match self {
            Period::Day => i,
            Period::Week => i * 7 - 3,
            Period::Month => days_from_civil(i.div_euclid(12), (i.rem_euclid(12) + 1) as u32, 1),
            Period::Quarter => {
                days_from_civil(i.div_euclid(4), (i.rem_euclid(4) * 3 + 1) as u32, 1)
            }
            Period::Year => days_from_civil(i, 1, 1),
        }
    }
}

/// Options of [`kpis`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KpiOptions {
    /// The period.
    pub period: Period,
}

/// The KPIs of one period (of one group).
#[derive(Debug, Clone, PartialEq)]
pub struct KpiRow {
    /// The `by` value, when the table was broken down.
    pub group: Option<String>,
    /// The period's first day.
    pub period: Day,
    /// Revenue.
    pub revenue: f64,
    /// Distinct orders.
    pub orders: u64,
    /// Distinct customers.
    pub customers: u64,
    /// Revenue per order.
    pub aov: Option<f64>,
    /// Items per order, when the table has an items column.
    pub items_per_order: Option<f64>,
    /// Customers whose first purchase falls in this period.
    pub new_customers: u64,
    /// Customers who had bought before.
    pub returning_customers: u64,
    /// Revenue of the new customers.
    pub new_revenue: f64,
    /// Revenue of the returning customers.
    pub returning_revenue: f64,
    /// Share of the period's customers with two or more orders in it.
    pub repeat_rate: Option<f64>,
    /// Refunded amount / revenue, when the table has a refunded column.
    pub refund_rate: Option<f64>,
    /// Revenue to the end of the period / customers to the end of the period.
    pub revenue_per_customer: Option<f64>,
}

/// KPIs by period (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Kpis {
    /// The period.
    pub period: Period,
    /// The name of the `by` column, when there was one.
    pub by: Option<String>,
    /// One row per group and period, in order.
    pub rows: Vec<KpiRow>,
}

#[derive(Default, Clone)]
struct Acc {
    revenue: f64,
    orders: u64,
    customers: u64,
    items: f64,
    refunded: f64,
    new_customers: u64,
    new_revenue: f64,
    repeaters: u64,
}

/// One customer's activity: (group, period, order digest, amount, items, refunded) per row,
/// sorted.
type Visit = (u32, i64, u64, f64, f64, f64);

fn visits(tx: &Transactions, rows: &[u32], period: Period, out: &mut Vec<Visit>) {
    out.clear();
    for &r in rows {
        let r = r as usize;
        let day = tx.day[r] as i64;
        out.push((
            tx.group.as_ref().map_or(0, |g| g[r]),
            period.index(day),
            tx.order.as_ref().map_or(r as u64, |o| o[r]),
            tx.amount[r],
            tx.items.as_ref().map_or(0.0, |i| i[r]),
            tx.refunded.as_ref().map_or(0.0, |i| i[r]),
        ));
    }
    out.sort_unstable_by_key(|v| (v.0, v.1, v.2));
}

/// Computes the KPIs of each period (see the [module docs](self)).
pub fn kpis(tx: &Transactions, options: &KpiOptions) -> Result<Kpis> {
    if tx.is_empty() {
        return Err(Error::invalid_data(
            "",
            None,
            "the table has no transactions",
        ));
    }
    let period = options.period;
    let g = tx.grouped();
    let mut acc: FxHashMap<(u32, i64), Acc> = FxHashMap::default();
    // New customers per (group, period) for the cumulative customer count.
    let mut scratch = Vec::new();
    for c in 0..tx.keys.len() {
        visits(tx, &g.row[g.range(c)], period, &mut scratch);
        let mut i = 0;
        let mut first_group = u32::MAX;
        while i < scratch.len() {
            let (g, p) = (scratch[i].0, scratch[i].1);
            let new = g != first_group;
            first_group = g;
            let a = acc.entry((g, p)).or_default();
            a.customers += 1;
            let mut orders = 0u64;
            let mut last_order = None;
            let mut revenue = 0.0;
            while i < scratch.len() && scratch[i].0 == g && scratch[i].1 == p {
                let v = scratch[i];
                if last_order != Some(v.2) {
                    orders += 1;
                    last_order = Some(v.2);
                }
                revenue += v.3;
                a.items += v.4;
                a.refunded += v.5;
                i += 1;
            }
            a.orders += orders;
            a.revenue += revenue;
            if orders >= 2 {
                a.repeaters += 1;
            }
            if new {
                a.new_customers += 1;
                a.new_revenue += revenue;
            }
        }
    }
    let mut keys: Vec<(u32, i64)> = acc.keys().copied().collect();
    keys.sort_unstable();
    let mut rows = Vec::new();
    let mut k = 0;
    while k < keys.len() {
        let g = keys[k].0;
        let first = keys[k].1;
        let mut last = first;
        while k < keys.len() && keys[k].0 == g {
            last = keys[k].1;
            k += 1;
        }
        let (mut cum_revenue, mut cum_customers) = (0.0, 0u64);
        let empty = Acc::default();
        for p in first..=last {
            let a = acc.get(&(g, p)).unwrap_or(&empty);
            cum_revenue += a.revenue;
            cum_customers += a.new_customers;
            let ratio = |num: f64, den: f64| (den > 0.0).then(|| num / den);
            rows.push(KpiRow {
                group: tx
                    .group
                    .as_ref()
                    .map(|_| tx.group_names[g as usize].clone()),
                period: period.start(p),
                revenue: a.revenue,
                orders: a.orders,
                customers: a.customers,
                aov: ratio(a.revenue, a.orders as f64),
                items_per_order: tx
                    .items
                    .as_ref()
                    .and_then(|_| ratio(a.items, a.orders as f64)),
                new_customers: a.new_customers,
                returning_customers: a.customers - a.new_customers,
                new_revenue: a.new_revenue,
                returning_revenue: a.revenue - a.new_revenue,
                repeat_rate: ratio(a.repeaters as f64, a.customers as f64),
                refund_rate: tx
                    .refunded
                    .as_ref()
                    .and_then(|_| ratio(a.refunded, a.revenue)),
                revenue_per_customer: ratio(cum_revenue, cum_customers as f64),
            });
        }
    }
    Ok(Kpis {
        period,
        by: tx.columns.by.clone(),
        rows,
    })
}

impl Kpis {
    /// The KPIs as a table: the `by` column (when there was one), `period` (a date), then
    /// one column per [`KpiRow`] field (`items_per_order` and `refund_rate` only when the
    /// table had those columns).
    pub fn to_frame(&self) -> Result<DataFrame> {
        let rows = &self.rows;
        let mut cols = Vec::new();
        if let Some(by) = &self.by {
            cols.push(Column::new(
                by.as_str().into(),
                rows.iter()
                    .map(|r| r.group.clone().unwrap_or_default())
                    .collect::<Vec<_>>(),
            ));
        }
        cols.push(date_column("period", rows.iter().map(|r| r.period))?);
        let f = |name: &str, g: &dyn Fn(&KpiRow) -> f64| {
            Column::new(name.into(), rows.iter().map(g).collect::<Vec<f64>>())
        };
        let u = |name: &str, g: &dyn Fn(&KpiRow) -> u64| {
            Column::new(name.into(), rows.iter().map(g).collect::<Vec<u64>>())
        };
        let o = |name: &str, g: &dyn Fn(&KpiRow) -> Option<f64>| {
            Column::new(
                name.into(),
                rows.iter().map(g).collect::<Vec<Option<f64>>>(),
            )
        };
        cols.push(f("revenue", &|r| r.revenue));
        cols.push(u("orders", &|r| r.orders));
        cols.push(u("customers", &|r| r.customers));
        cols.push(o("aov", &|r| r.aov));
        if rows.iter().any(|r| r.items_per_order.is_some()) {
            cols.push(o("items_per_order", &|r| r.items_per_order));
        }
        cols.push(u("new_customers", &|r| r.new_customers));
        cols.push(u("returning_customers", &|r| r.returning_customers));
        cols.push(f("new_revenue", &|r| r.new_revenue));
        cols.push(f("returning_revenue", &|r| r.returning_revenue));
        cols.push(o("repeat_rate", &|r| r.repeat_rate));
        if rows.iter().any(|r| r.refund_rate.is_some()) {
            cols.push(o("refund_rate", &|r| r.refund_rate));
        }
        cols.push(o("revenue_per_customer", &|r| r.revenue_per_customer));
        frame(cols)
    }
}

/// One cell of a cohort table.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortCell {
    /// The first day of the cohort's first-purchase period.
    pub cohort: Day,
    /// Periods since the cohort's period (0 = the first-purchase period).
    pub offset: u32,
    /// The first day of this period.
    pub period: Day,
    /// Customers in the cohort.
    pub size: u64,
    /// Cohort customers who bought in this period.
    pub active: u64,
    /// `active / size`.
    pub retention: f64,
    /// Revenue of the cohort in this period.
    pub revenue: f64,
    /// `revenue / size`.
    pub revenue_per_customer: f64,
}

/// A cohort table (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Cohorts {
    /// The period.
    pub period: Period,
    /// One cell per cohort and later period up to the last period of the data, cohorts in
    /// order, offsets in order.
    pub cells: Vec<CohortCell>,
}

/// Groups customers by the period of their first purchase and follows each cohort to the
/// last period of the table.
pub fn cohorts(tx: &Transactions, period: Period) -> Result<Cohorts> {
    let Some(last_day) = tx.last_day() else {
        return Err(Error::invalid_data(
            "",
            None,
            "the table has no transactions",
        ));
    };
    let last = period.index(last_day);
    let g = tx.grouped();
    let mut size: FxHashMap<i64, u64> = FxHashMap::default();
    let mut cell: FxHashMap<(i64, i64), (u64, f64)> = FxHashMap::default();
    for c in 0..tx.keys.len() {
        let range = g.range(c);
        let first = period.index(g.day[range.start] as i64);
        *size.entry(first).or_default() += 1;
        let mut prev = None;
        for i in range {
            let p = period.index(g.day[i] as i64);
            let e = cell.entry((first, p)).or_default();
            if prev != Some(p) {
                e.0 += 1;
                prev = Some(p);
            }
            e.1 += g.amount[i];
        }
    }
    let mut starts: Vec<i64> = size.keys().copied().collect();
    starts.sort_unstable();
    let mut cells = Vec::new();
    for &cohort in &starts {
        let n = size[&cohort];
        for p in cohort..=last {
            let (active, revenue) = cell.get(&(cohort, p)).copied().unwrap_or_default();
            cells.push(CohortCell {
                cohort: period.start(cohort),
                offset: (p - cohort) as u32,
                period: period.start(p),
                size: n,
                active,
                retention: active as f64 / n as f64,
                revenue,
                revenue_per_customer: revenue / n as f64,
            });
        }
    }
    Ok(Cohorts { period, cells })
}

impl Cohorts {
    /// The table in long form: `cohort`, `offset`, `period`, `size`, `active`,
    /// `retention`, `revenue`, `revenue_per_customer`.
    pub fn to_frame(&self) -> Result<DataFrame> {
        let c = &self.cells;
        frame(vec![
            date_column("cohort", c.iter().map(|x| x.cohort))?,
            Column::new(
                "offset".into(),
                c.iter().map(|x| x.offset).collect::<Vec<_>>(),
            ),
            date_column("period", c.iter().map(|x| x.period))?,
            Column::new("size".into(), c.iter().map(|x| x.size).collect::<Vec<_>>()),
            Column::new(
                "active".into(),
                c.iter().map(|x| x.active).collect::<Vec<_>>(),
            ),
            Column::new(
                "retention".into(),
                c.iter().map(|x| x.retention).collect::<Vec<_>>(),
            ),
            Column::new(
                "revenue".into(),
                c.iter().map(|x| x.revenue).collect::<Vec<_>>(),
            ),
            Column::new(
                "revenue_per_customer".into(),
                c.iter().map(|x| x.revenue_per_customer).collect::<Vec<_>>(),
            ),
        ])
    }

    /// Retention as a matrix: one row per cohort (in order), one column per offset; cells
    /// past the end of the data are `None`.
    pub fn retention_matrix(&self) -> Vec<(Day, Vec<Option<f64>>)> {
        let width = self
            .cells
            .iter()
            .map(|c| c.offset as usize + 1)
            .max()
            .unwrap_or(0);
        let mut out: Vec<(Day, Vec<Option<f64>>)> = Vec::new();
        for c in &self.cells {
            if out.last().is_none_or(|(d, _)| *d != c.cohort) {
                out.push((c.cohort, vec![None; width]));
            }
            if let Some((_, row)) = out.last_mut() {
                row[c.offset as usize] = Some(c.retention);
            }
        }
        out
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::Columns;
    use crate::analytics::rfm::day_of;

    fn d(y: i32, m: u32, dd: u32) -> Day {
        day_of(chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap())
    }

    #[test]
    fn period_indices_and_starts() {
        // 2024-01-03 is a Wednesday: its week starts Monday 2024-01-01.
        assert_eq!(
            Period::Week.start(Period::Week.index(d(2024, 1, 3))),
            d(2024, 1, 1)
        );
        assert_eq!(
            Period::Week.start(Period::Week.index(d(2024, 1, 7))),
            d(2024, 1, 1)
        );
        assert_eq!(
            Period::Week.start(Period::Week.index(d(2024, 1, 8))),
            d(2024, 1, 8)
        );
        assert_eq!(
            Period::Month.start(Period::Month.index(d(2024, 2, 29))),
            d(2024, 2, 1)
        );
        assert_eq!(
            Period::Quarter.start(Period::Quarter.index(d(2024, 6, 30))),
            d(2024, 4, 1)
        );
        assert_eq!(
            Period::Year.start(Period::Year.index(d(1997, 6, 30))),
            d(1997, 1, 1)
        );
        assert_eq!(
            Period::Month.index(d(2024, 1, 31)) + 1,
            Period::Month.index(d(2024, 2, 1))
        );
        assert!(Period::parse("fortnight").is_err());
    }

    fn table(by: bool) -> Transactions {
        // Alice: Jan (2 orders), Mar. Bob: Jan, Feb. Cy: Mar (2 rows of one order).
        let frame = df!(
            "customer_id" => ["alice", "alice", "bob", "bob", "alice", "cy", "cy"],
            "order_id" => [1i64, 2, 3, 4, 5, 6, 6],
            "date" => ["2024-01-05", "2024-01-20", "2024-01-10", "2024-02-02", "2024-03-01",
                "2024-03-15", "2024-03-15"],
            "amount" => [10.0, 30.0, 20.0, 5.0, 15.0, 8.0, 2.0],
            "items" => [1.0, 3.0, 2.0, 1.0, 1.0, 1.0, 1.0],
            "refunded" => [0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            "store" => ["a", "a", "b", "a", "a", "b", "b"],
        )
        .unwrap();
        let cols = Columns::default()
            .items(Some("items"))
            .refunded(Some("refunded"))
            .by(by.then_some("store"));
        Transactions::from_frame(&frame, &cols).unwrap()
    }

    #[test]
    fn monthly_kpis_by_hand() {
        let k = kpis(
            &table(false),
            &KpiOptions {
                period: Period::Month,
            },
        )
        .unwrap();
        assert_eq!(k.rows.len(), 3);
        let (jan, feb, mar) = (&k.rows[0], &k.rows[1], &k.rows[2]);
        assert_eq!(jan.period, d(2024, 1, 1));
        assert_eq!((jan.revenue, jan.orders, jan.customers), (60.0, 3, 2));
        assert_eq!(jan.aov, Some(20.0));
        assert_eq!(jan.items_per_order, Some(2.0));
        assert_eq!((jan.new_customers, jan.returning_customers), (2, 0));
        assert_eq!(jan.repeat_rate, Some(0.5));
        assert_eq!(jan.refund_rate, Some(10.0 / 60.0));
        assert_eq!(jan.revenue_per_customer, Some(30.0));
        assert_eq!(
            (feb.revenue, feb.new_customers, feb.returning_customers),
            (5.0, 0, 1)
        );
        assert_eq!(feb.returning_revenue, 5.0);
        // March: Alice returns (15), Cy is new with one order of two rows (10).
        assert_eq!((mar.orders, mar.customers, mar.new_customers), (2, 2, 1));
        assert_eq!((mar.new_revenue, mar.returning_revenue), (10.0, 15.0));
        assert_eq!(mar.revenue_per_customer, Some(90.0 / 3.0));
        let frame = k.to_frame().unwrap();
        assert_eq!(frame.height(), 3);
        assert!(frame.column("refund_rate").is_ok());
    }

    #[test]
    fn kpis_by_store_fill_empty_periods() {
        let k = kpis(
            &table(true),
            &KpiOptions {
                period: Period::Month,
            },
        )
        .unwrap();
        let rows: Vec<(&str, Day, f64, u64)> = k
            .rows
            .iter()
            .map(|r| {
                (
                    r.group.as_deref().unwrap(),
                    r.period,
                    r.revenue,
                    r.new_customers,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("a", d(2024, 1, 1), 40.0, 1),
                ("a", d(2024, 2, 1), 5.0, 1), // Bob's first order in store a
                ("a", d(2024, 3, 1), 15.0, 0),
                ("b", d(2024, 1, 1), 20.0, 1),
                ("b", d(2024, 2, 1), 0.0, 0),
                ("b", d(2024, 3, 1), 10.0, 1),
            ]
        );
        assert_eq!(k.rows[4].aov, None);
        assert_eq!(k.to_frame().unwrap().column("store").unwrap().len(), 6);
    }

    #[test]
    fn cohort_retention_by_hand() {
        let c = cohorts(&table(false), Period::Month).unwrap();
        // January cohort: Alice and Bob. Feb: Bob only; Mar: Alice only. March cohort: Cy.
        let jan: Vec<(u32, u64, f64, f64)> = c
            .cells
            .iter()
            .filter(|x| x.cohort == d(2024, 1, 1))
            .map(|x| (x.offset, x.active, x.retention, x.revenue))
            .collect();
        assert_eq!(
            jan,
            vec![(0, 2, 1.0, 60.0), (1, 1, 0.5, 5.0), (2, 1, 0.5, 15.0)]
        );
        let mar: Vec<_> = c
            .cells
            .iter()
            .filter(|x| x.cohort == d(2024, 3, 1))
            .collect();
        assert_eq!(mar.len(), 1);
        assert_eq!((mar[0].size, mar[0].revenue_per_customer), (1, 10.0));
        let m = c.retention_matrix();
        assert_eq!(m[0].1, vec![Some(1.0), Some(0.5), Some(0.5)]);
        assert_eq!(m[1].1, vec![Some(1.0), None, None]);
        assert_eq!(c.to_frame().unwrap().height(), 4);
    }
}
