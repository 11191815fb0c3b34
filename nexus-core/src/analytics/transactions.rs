//! The transactions table: one row per order, read from a polars `DataFrame` into plain
//! columns, validated once, and grouped by customer for the analytics that follow.

use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use crate::{Error, Result};

/// Microseconds in a day.
pub(crate) const DAY_MICROS: i64 = 86_400_000_000;

/// The names of the columns of a transactions table.
///
/// The defaults are the names of the store's `transactions` view: `customer_id`,
/// `order_id`, `date` and `amount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// The customer id (integers, text or categorical).
    pub customer: String,
    /// The order id (integers or text). `None`: every row is one order.
    pub order: Option<String>,
    /// When the order was placed (a date, a datetime, or text such as `2024-05-01` or an
    /// RFC 3339 timestamp).
    pub date: String,
    /// The order's amount (floats, integers, decimals or decimal text; never negative).
    pub amount: String,
    /// The number of items in the order, for items per order (optional).
    pub items: Option<String>,
    /// The amount refunded of the order, for the refund rate (optional).
    pub refunded: Option<String>,
    /// A column to break KPIs down by, such as `store` or `platform` (optional).
    pub by: Option<String>,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            customer: "customer_id".into(),
            order: Some("order_id".into()),
            date: "date".into(),
            amount: "amount".into(),
            items: None,
            refunded: None,
            by: None,
        }
    }
}

impl Columns {
    /// The default names (`customer_id`, `order_id`, `date`, `amount`).
    pub fn new() -> Self {
        Self::default()
    }
    /// Names the customer column.
    pub fn customer(mut self, name: impl Into<String>) -> Self {
        self.customer = name.into();
        self
    }
    /// Names the order column (`None`: every row is one order).
    pub fn order(mut self, name: Option<&str>) -> Self {
        self.order = name.map(str::to_string);
        self
    }
    /// Names the date column.
    pub fn date(mut self, name: impl Into<String>) -> Self {
        self.date = name.into();
        self
    }
    /// Names the amount column.
    pub fn amount(mut self, name: impl Into<String>) -> Self {
        self.amount = name.into();
        self
    }
    /// Names the items column.
    pub fn items(mut self, name: Option<&str>) -> Self {
        self.items = name.map(str::to_string);
        self
    }
    /// Names the column KPIs are broken down by (`store`, `platform`).
    pub fn by(mut self, name: Option<&str>) -> Self {
        self.by = name.map(str::to_string);
        self
    }
    /// Names the refunded-amount column.
    pub fn refunded(mut self, name: Option<&str>) -> Self {
        self.refunded = name.map(str::to_string);
        self
    }
}

/// The distinct customer ids of a table, sorted (numerically or as text).
#[derive(Debug, Clone, PartialEq)]
pub enum CustomerKey {
    /// Integer ids.
    Int(Vec<i64>),
    /// Text ids.
    Text(Vec<String>),
}

impl CustomerKey {
    /// How many customers.
    pub fn len(&self) -> usize {
        match self {
            CustomerKey::Int(v) => v.len(),
            CustomerKey::Text(v) => v.len(),
        }
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The id of customer `i` as text.
    pub fn label(&self, i: usize) -> String {
        match self {
            CustomerKey::Int(v) => v[i].to_string(),
            CustomerKey::Text(v) => v[i].clone(),
        }
    }
    /// The ids as a column named `name`.
    pub fn to_column(&self, name: &str) -> Column {
        match self {
            CustomerKey::Int(v) => Column::new(name.into(), v),
            CustomerKey::Text(v) => Column::new(name.into(), v),
        }
    }
}

/// A validated transactions table, one row per order, held as plain columns.
///
/// Built with [`Transactions::from_frame`]; every analytics function of the crate takes
/// one. Times are UTC; a day is a UTC calendar day.
#[derive(Debug, Clone)]
pub struct Transactions {
    pub(crate) columns: Columns,
    pub(crate) keys: CustomerKey,
    /// Per row: the customer's index in `keys`.
    pub(crate) customer: Vec<u32>,
    /// Per row: a 64-bit digest of the order id (`None`: each row its own order).
    pub(crate) order: Option<Vec<u64>>,
    /// Per row: the UTC day (days since 1970-01-01).
    pub(crate) day: Vec<i32>,
    pub(crate) amount: Vec<f64>,
    pub(crate) items: Option<Vec<f64>>,
    pub(crate) refunded: Option<Vec<f64>>,
    /// Per row: the index of the row's `by` value in `group_names`.
    pub(crate) group: Option<Vec<u32>>,
    pub(crate) group_names: Vec<String>,
    /// The rows in customer order, computed once when first needed.
    pub(crate) grouped: OnceLock<Grouped>,
}

impl Transactions {
    /// Reads and checks a transactions table.
    ///
    /// Errors ([`Error::InvalidData`], naming the column and the first row at fault): a
    /// missing column, a null, a negative or non-finite amount, a date that does not parse,
    /// a column of a type that cannot mean what it is used for.
    pub fn from_frame(frame: &DataFrame, columns: &Columns) -> Result<Self> {
        let customer_col = column(frame, &columns.customer)?;
        let (keys, customer) = customer_codes(&columns.customer, customer_col)?;
        let day = read_days(&columns.date, column(frame, &columns.date)?)?;
        let amount = read_amounts(&columns.amount, column(frame, &columns.amount)?, false)?;
        let order = match &columns.order {
            Some(name) => Some(order_digests(name, column(frame, name)?)?),
            None => None,
        };
        let items = match &columns.items {
            Some(name) => Some(read_amounts(name, column(frame, name)?, false)?),
            None => None,
        };
        let refunded = match &columns.refunded {
            Some(name) => Some(read_amounts(name, column(frame, name)?, false)?),
            None => None,
        };
        let (group, group_names) = match &columns.by {
            Some(name) => {
                let series = column(frame, name)?;
                let text = series
                    .cast(&DataType::String)
                    .map_err(|_| type_error(name, series, "text or integers"))?;
                let (keys, codes) = customer_codes(name, &text)?;
                let names = match keys {
                    CustomerKey::Text(names) => names,
                    CustomerKey::Int(ids) => ids.iter().map(i64::to_string).collect(),
                };
                (Some(codes), names)
            }
            None => (None, Vec::new()),
        };
        Ok(Transactions {
            group,
            group_names,
            columns: columns.clone(),
            keys,
            customer,
            order,
            day,
            grouped: OnceLock::new(),
            amount,
            items,
            refunded,
        })
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.customer.len()
    }
    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }
    /// The distinct customers, sorted.
    pub fn customers(&self) -> &CustomerKey {
        &self.keys
    }
    /// The column names the table was read with.
    pub fn columns(&self) -> &Columns {
        &self.columns
    }
    /// The UTC day (days since 1970-01-01) of the last transaction, `None` when empty.
    pub fn last_day(&self) -> Option<i64> {
        self.day.par_iter().max().map(|&d| d as i64)
    }
    /// The UTC day of the first transaction, `None` when empty.
    pub fn first_day(&self) -> Option<i64> {
        self.day.par_iter().min().map(|&d| d as i64)
    }

    /// Lays the rows out customer by customer now (each analysis does it when first
    /// needed; it is done once per table). Returns the table, for chaining.
    pub fn prepare(&self) -> &Self {
        self.grouped();
        self
    }

    /// The rows grouped by customer, each customer's rows in day order (computed once).
    pub(crate) fn grouped(&self) -> &Grouped {
        self.grouped.get_or_init(|| Grouped::new(self))
    }
}

/// The rows laid out customer by customer (a counting sort on the customer index), each
/// customer's rows in day order, with the columns every analysis reads copied into that
/// order so the per-customer loops read memory sequentially.
#[derive(Debug, Clone)]
pub(crate) struct Grouped {
    /// Customer `c`'s rows are `offsets[c]..offsets[c + 1]`.
    pub(crate) offsets: Vec<u32>,
    pub(crate) day: Vec<i32>,
    pub(crate) amount: Vec<f64>,
    pub(crate) order: Option<Vec<u64>>,
    /// The original row of each position.
    pub(crate) row: Vec<u32>,
}

impl Grouped {
    fn new(tx: &Transactions) -> Self {
        let n = tx.keys.len();
        let len = tx.customer.len();
        let mut offsets = vec![0u32; n + 1];
        for &c in &tx.customer {
            offsets[c as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        // Scatter (day, row) packed in a u64 into customer order, in two radix passes so
        // the writes stay in cache: first into buckets of 2^shift consecutive customers
        // (at most 1,024 buckets), then, bucket by bucket in parallel, to each customer's
        // place. Rows keep the table's order within a customer.
        let mut shift = 0;
        while (n >> shift) >= 1024 {
            shift += 1;
        }
        let buckets = (n >> shift) + 1;
        let bucket_start: Vec<u32> = (0..=buckets)
            .map(|b| offsets[(b << shift).min(n)])
            .collect();
        let mut staged = vec![(0u32, 0u64); len];
        let mut next = bucket_start.clone();
        for (r, (&c, &d)) in tx.customer.iter().zip(&tx.day).enumerate() {
            let slot = &mut next[(c >> shift) as usize];
            staged[*slot as usize] = (c, ((d as u32 ^ 0x8000_0000) as u64) << 32 | r as u64);
            *slot += 1;
        }
        drop(next);
        let mut packed = vec![0u64; len];
        split_by(&mut packed, &bucket_start)
            .into_par_iter()
            .enumerate()
            .for_each(|(b, out)| {
                let base = bucket_start[b];
                let first = (b << shift).min(n);
                let last = ((b + 1) << shift).min(n);
                let mut next: Vec<u32> = offsets[first..last].iter().map(|&o| o - base).collect();
                for &(c, p) in &staged[base as usize..bucket_start[b + 1] as usize] {
                    let slot = &mut next[c as usize - first];
                    out[*slot as usize] = p;
                    *slot += 1;
                }
            });
        drop(staged);
        split_by(&mut packed, &offsets)
            .into_par_iter()
            .with_min_len(4096)
            .for_each(|p| {
                if p.windows(2).any(|w| w[0] > w[1]) {
                    p.sort_unstable();
                }
            });
        let day: Vec<i32> = packed
            .par_iter()
            .map(|&p| ((p >> 32) as u32 ^ 0x8000_0000) as i32)
            .collect();
        let row: Vec<u32> = packed.par_iter().map(|&p| p as u32).collect();
        drop(packed);
        let gather_f64 = |col: &[f64]| row.par_iter().map(|&r| col[r as usize]).collect();
        let gather_u64 = |col: &[u64]| row.par_iter().map(|&r| col[r as usize]).collect();
        Grouped {
            day,
            amount: gather_f64(&tx.amount),
            order: tx.order.as_deref().map(gather_u64),
            offsets,
            row,
        }
    }

    /// The positions of customer `c`.
    pub(crate) fn range(&self, c: usize) -> std::ops::Range<usize> {
        self.offsets[c] as usize..self.offsets[c + 1] as usize
    }
}

fn split_by<'a, T>(values: &'a mut [T], offsets: &[u32]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(offsets.len().saturating_sub(1));
    let mut rest = values;
    for w in offsets.windows(2) {
        let (head, tail) = std::mem::take(&mut rest).split_at_mut((w[1] - w[0]) as usize);
        out.push(head);
        rest = tail;
    }
    out
}

/// The store's transactions (`Store::transactions`) as a table for the analytics:
/// `customer_id` and `order_id` prefixed with the store's name (`shop1:42`), so ids of two
/// stores never collide, `date` (UTC), `amount` and `refunded` (floats), `currency`,
/// `store` and `platform`. Orders with neither a customer id nor an email are left out.
#[cfg(feature = "store")]
pub fn transactions_frame(rows: &[crate::store::TransactionRow]) -> Result<DataFrame> {
    use rust_decimal::prelude::ToPrimitive;
    let rows: Vec<&crate::store::TransactionRow> =
        rows.iter().filter(|r| r.customer_id.is_some()).collect();
    let text = |name: &str, f: &dyn Fn(&crate::store::TransactionRow) -> String| {
        Column::new(
            name.into(),
            rows.iter().map(|r| f(r)).collect::<Vec<String>>(),
        )
    };
    let money = |name: &str, f: &dyn Fn(&crate::store::TransactionRow) -> rust_decimal::Decimal| {
        Column::new(
            name.into(),
            rows.iter()
                .map(|r| f(r).to_f64().unwrap_or(f64::NAN))
                .collect::<Vec<f64>>(),
        )
    };
    let micros: Vec<i64> = rows.iter().map(|r| r.date.timestamp_micros()).collect();
    let date = Int64Chunked::from_vec("date".into(), micros)
        .into_datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC))
        .into_series()
        .into_column();
    DataFrame::new_infer_height(vec![
        text("customer_id", &|r| {
            format!("{}:{}", r.store, r.customer_id.as_deref().unwrap_or(""))
        }),
        text("order_id", &|r| format!("{}:{}", r.store, r.order_id)),
        date,
        money("amount", &|r| r.amount),
        money("refunded", &|r| r.refunded),
        text("currency", &|r| r.currency.to_string()),
        text("store", &|r| r.store.clone()),
        text("platform", &|r| r.platform.as_str().to_string()),
    ])
    .map_err(|e| Error::invalid_data("", None, e.to_string()))
}

pub(crate) fn column<'a>(frame: &'a DataFrame, name: &str) -> Result<&'a Series> {
    match frame.column(name) {
        Ok(c) => Ok(c.as_materialized_series()),
        Err(_) => {
            let names: Vec<String> = frame
                .get_column_names()
                .iter()
                .map(|n| n.to_string())
                .collect();
            Err(Error::invalid_data(
                name,
                None,
                format!("no such column; the table has {}", names.join(", ")),
            ))
        }
    }
}

fn null_error(name: &str, series: &Series) -> Error {
    let row = series.is_null().iter().position(|v| v == Some(true));
    Error::invalid_data(name, row, "null value")
}

fn type_error(name: &str, series: &Series, wanted: &str) -> Error {
    Error::invalid_data(
        name,
        None,
        format!("{} column, expected {wanted}", series.dtype()),
    )
}

pub(crate) fn customer_codes(name: &str, series: &Series) -> Result<(CustomerKey, Vec<u32>)> {
    if series.null_count() > 0 {
        return Err(null_error(name, series));
    }
    let dtype = series.dtype();
    if dtype.is_integer() {
        if matches!(dtype, DataType::UInt64) {
            let ca = series
                .u64()
                .map_err(|_| type_error(name, series, "integers"))?;
            if let Some(row) = ca
                .iter()
                .position(|v| v.is_some_and(|v| v > i64::MAX as u64))
            {
                return Err(Error::invalid_data(name, Some(row), "id above 2^63 - 1"));
            }
        }
        let cast = series
            .cast(&DataType::Int64)
            .map_err(|e| Error::invalid_data(name, None, e.to_string()))?;
        let ca = cast
            .i64()
            .map_err(|_| type_error(name, series, "integers"))?;
        let values: Vec<i64> = ca.iter().map(Option::unwrap_or_default).collect();
        if let Some(dense) = dense_codes(&values) {
            return Ok(dense);
        }
        let mut map: FxHashMap<i64, u32> =
            FxHashMap::with_capacity_and_hasher(values.len() / 4 + 16, FxBuildHasher);
        let mut keys = Vec::new();
        let mut codes = Vec::with_capacity(values.len());
        for &v in &values {
            let next = keys.len() as u32;
            let code = *map.entry(v).or_insert_with(|| {
                keys.push(v);
                next
            });
            codes.push(code);
        }
        let (keys, codes) = sort_keys(keys, codes, |a, b| a.cmp(b));
        return Ok((CustomerKey::Int(keys), codes));
    }
    let text;
    let ca = match dtype {
        DataType::String => series.str().map_err(|_| type_error(name, series, "text"))?,
        DataType::Categorical(..) | DataType::Enum(..) => {
            text = series
                .cast(&DataType::String)
                .map_err(|e| Error::invalid_data(name, None, e.to_string()))?;
            text.str().map_err(|_| type_error(name, series, "text"))?
        }
        _ => return Err(type_error(name, series, "integer or text ids")),
    };
    let mut map: FxHashMap<&str, u32> =
        FxHashMap::with_capacity_and_hasher(ca.len() / 4 + 16, FxBuildHasher);
    let mut keys: Vec<&str> = Vec::new();
    let mut codes = Vec::with_capacity(ca.len());
    for v in ca.iter().map(Option::unwrap_or_default) {
        let next = keys.len() as u32;
        let code = *map.entry(v).or_insert_with(|| {
            keys.push(v);
            next
        });
        codes.push(code);
    }
    let (keys, codes) = sort_keys(keys, codes, |a, b| a.cmp(b));
    Ok((
        CustomerKey::Text(keys.into_iter().map(str::to_string).collect()),
        codes,
    ))
}

/// Integer ids within a range not much wider than the table (database ids usually are):
/// a presence table and its running count give each id its rank directly, already sorted.
fn dense_codes(values: &[i64]) -> Option<(CustomerKey, Vec<u32>)> {
    let (&min, &max) = (values.iter().min()?, values.iter().max()?);
    let width = (max as i128 - min as i128 + 1) as u128;
    if width > (values.len() as u128) * 4 + 1024 || width > u32::MAX as u128 {
        return None;
    }
    let mut rank = vec![0u32; width as usize];
    for &v in values {
        rank[(v - min) as usize] = 1;
    }
    let mut keys = Vec::new();
    for (i, slot) in rank.iter_mut().enumerate() {
        if *slot == 1 {
            *slot = keys.len() as u32;
            keys.push(min + i as i64);
        }
    }
    let codes = values
        .par_iter()
        .map(|&v| rank[(v - min) as usize])
        .collect();
    Some((CustomerKey::Int(keys), codes))
}

/// Sorts the distinct keys and renumbers the per-row codes to match.
fn sort_keys<K: Copy + Send + Sync>(
    keys: Vec<K>,
    codes: Vec<u32>,
    cmp: impl Fn(&K, &K) -> std::cmp::Ordering + Sync,
) -> (Vec<K>, Vec<u32>) {
    let mut order: Vec<u32> = (0..keys.len() as u32).collect();
    order.par_sort_unstable_by(|&a, &b| cmp(&keys[a as usize], &keys[b as usize]));
    let mut rank = vec![0u32; keys.len()];
    for (new, &old) in order.iter().enumerate() {
        rank[old as usize] = new as u32;
    }
    let sorted = order.iter().map(|&o| keys[o as usize]).collect();
    let codes = codes.par_iter().map(|&c| rank[c as usize]).collect();
    (sorted, codes)
}

fn order_digests(name: &str, series: &Series) -> Result<Vec<u64>> {
    if series.null_count() > 0 {
        return Err(null_error(name, series));
    }
    let dtype = series.dtype();
    if dtype.is_integer() {
        let cast = series
            .cast(&DataType::Int64)
            .map_err(|e| Error::invalid_data(name, None, e.to_string()))?;
        let ca = cast
            .i64()
            .map_err(|_| type_error(name, series, "integers"))?;
        return Ok(ca
            .iter()
            .map(Option::unwrap_or_default)
            .map(|v| v as u64)
            .collect());
    }
    let text = series
        .cast(&DataType::String)
        .map_err(|_| type_error(name, series, "integer or text ids"))?;
    let ca = text
        .str()
        .map_err(|_| type_error(name, series, "integer or text ids"))?;
    Ok(ca
        .iter()
        .map(Option::unwrap_or_default)
        .map(|s| {
            let mut h = FxHasher::default();
            s.hash(&mut h);
            h.finish()
        })
        .collect())
}

pub(crate) fn read_days(name: &str, series: &Series) -> Result<Vec<i32>> {
    if series.null_count() > 0 {
        return Err(null_error(name, series));
    }
    let per_day = |unit: TimeUnit| match unit {
        TimeUnit::Nanoseconds => DAY_MICROS * 1000,
        TimeUnit::Microseconds => DAY_MICROS,
        TimeUnit::Milliseconds => DAY_MICROS / 1000,
    };
    let day_of = |row: usize, v: i64, per_day: i64| -> Result<i32> {
        i32::try_from(v.div_euclid(per_day))
            .map_err(|_| Error::invalid_data(name, Some(row), "date out of range"))
    };
    match series.dtype() {
        DataType::Date => {
            let ca = series
                .date()
                .map_err(|_| type_error(name, series, "dates"))?;
            Ok(ca
                .physical()
                .iter()
                .map(Option::unwrap_or_default)
                .collect())
        }
        DataType::Datetime(unit, _) => {
            let ca = series
                .datetime()
                .map_err(|_| type_error(name, series, "datetimes"))?;
            let per_day = per_day(*unit);
            let mut out = Vec::with_capacity(ca.len());
            for arr in ca.physical().downcast_iter() {
                for &v in arr.values().iter() {
                    // Days of the era of any real order fit; check only the rare others.
                    let d = v.div_euclid(per_day);
                    if d as i32 as i64 == d {
                        out.push(d as i32);
                    } else {
                        out.push(day_of(out.len(), v, per_day)?);
                    }
                }
            }
            Ok(out)
        }
        DataType::String => {
            let ca = series
                .str()
                .map_err(|_| type_error(name, series, "dates"))?;
            let mut out = Vec::with_capacity(ca.len());
            for (row, s) in ca.iter().map(Option::unwrap_or_default).enumerate() {
                match parse_timestamp(s) {
                    Some(m) => out.push(day_of(row, m, DAY_MICROS)?),
                    None => {
                        return Err(Error::invalid_data(
                            name,
                            Some(row),
                            format!(
                                "{s:?} is not a date (expected YYYY-MM-DD, YYYYMMDD or an RFC 3339 timestamp)"
                            ),
                        ));
                    }
                }
            }
            Ok(out)
        }
        _ => Err(type_error(name, series, "dates, datetimes or date text")),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
    })
}

fn valid_date(y: i64, m: u32, d: u32) -> bool {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let len = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    (1..=12).contains(&m) && d >= 1 && d <= len[(m - 1) as usize]
}

/// Parses `YYYY-MM-DD`, `YYYYMMDD`, `YYYY-MM-DD HH:MM:SS[.f]` (UTC) and RFC 3339 into
/// microseconds since the epoch.
pub(crate) fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let (y, m, d) = match b.len() {
        8 => (digits(&b[0..4])?, digits(&b[4..6])?, digits(&b[6..8])?),
        n if n >= 10 && b[4] == b'-' && b[7] == b'-' => {
            (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?)
        }
        _ => return None,
    };
    let y = y as i64;
    if !valid_date(y, m, d) {
        return None;
    }
    let day = days_from_civil(y, m, d) * DAY_MICROS;
    if b.len() == 8 || b.len() == 10 {
        return Some(day);
    }
    let text = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_micros());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, fmt) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    None
}

/// Reads a numeric column as f64: floats, integers, decimals or decimal text. Values must
/// be finite and (unless `allow_negative`) not negative.
pub(crate) fn read_amounts(name: &str, series: &Series, allow_negative: bool) -> Result<Vec<f64>> {
    if series.null_count() > 0 {
        return Err(null_error(name, series));
    }
    let dtype = series.dtype();
    let values: Vec<f64> = if dtype.is_primitive_numeric() || dtype.is_decimal() {
        let cast = series
            .cast(&DataType::Float64)
            .map_err(|e| Error::invalid_data(name, None, e.to_string()))?;
        let ca = cast
            .f64()
            .map_err(|_| type_error(name, series, "numbers"))?;
        ca.iter().map(Option::unwrap_or_default).collect()
    } else if matches!(dtype, DataType::String) {
        let ca = series
            .str()
            .map_err(|_| type_error(name, series, "numbers"))?;
        let mut out = Vec::with_capacity(ca.len());
        for (row, s) in ca.iter().map(Option::unwrap_or_default).enumerate() {
            match s.trim().parse::<f64>() {
                Ok(v) => out.push(v),
                Err(_) => {
                    return Err(Error::invalid_data(
                        name,
                        Some(row),
                        format!("{s:?} is not a number"),
                    ));
                }
            }
        }
        out
    } else {
        return Err(type_error(name, series, "numbers"));
    };
    if let Some(row) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid_data(
            name,
            Some(row),
            format!("{} is not a finite number", values[row]),
        ));
    }
    if !allow_negative && let Some(row) = values.iter().position(|&v| v < 0.0) {
        return Err(Error::invalid_data(
            name,
            Some(row),
            format!(
                "negative value {}: refunds and returns belong in their own column, not as negative orders",
                values[row]
            ),
        ));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip() {
        for z in [-800_000i64, -1, 0, 1, 10_957, 19_000, 2_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1997, 1, 1), 9862);
    }

    #[test]
    fn timestamps_parse_in_the_usual_forms() {
        let day = days_from_civil(1997, 9, 30) * DAY_MICROS;
        assert_eq!(parse_timestamp("1997-09-30"), Some(day));
        assert_eq!(parse_timestamp("19970930"), Some(day));
        assert_eq!(
            parse_timestamp("1997-09-30 01:00:00"),
            Some(day + 3_600_000_000)
        );
        assert_eq!(
            parse_timestamp("1997-09-30T02:00:00+01:00"),
            Some(day + 3_600_000_000)
        );
        assert_eq!(parse_timestamp("1997-02-30"), None);
        assert_eq!(parse_timestamp("30/09/1997"), None);
    }

    fn frame() -> DataFrame {
        df!(
            "customer_id" => [3i64, 1, 3, 2],
            "order_id" => ["a", "b", "c", "d"],
            "date" => ["2024-01-02", "2024-01-01", "2024-01-01", "2024-03-01"],
            "amount" => [10.0, 5.0, 2.5, 1.0],
        )
        .unwrap()
    }

    #[test]
    fn customers_are_sorted_and_rows_grouped_in_time_order() {
        let t = Transactions::from_frame(&frame(), &Columns::default()).unwrap();
        assert_eq!(t.customers(), &CustomerKey::Int(vec![1, 2, 3]));
        let g = t.grouped();
        assert_eq!(&g.row[g.range(2)], &[2, 0]);
        assert_eq!(&g.row[g.range(0)], &[1]);
        assert_eq!(&g.amount[g.range(2)], &[2.5, 10.0]);
    }

    #[test]
    fn grouping_of_many_customers_keeps_every_row_in_day_order() {
        // More than 1,024 customers: the two-pass layout with several customers a bucket.
        let rows = 40_000usize;
        let mut state = 12345u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let customer: Vec<i64> = (0..rows).map(|_| (next() % 7_000) as i64 * 3).collect();
        let days: Vec<i32> = (0..rows).map(|_| (next() % 400) as i32 + 19_000).collect();
        let date = Int32Chunked::from_vec("date".into(), days.clone()).into_date();
        let frame = DataFrame::new_infer_height(vec![
            Column::new("customer_id".into(), &customer),
            date.into_series().into_column(),
            Column::new(
                "amount".into(),
                (0..rows).map(|r| r as f64).collect::<Vec<_>>(),
            ),
        ])
        .unwrap();
        let t = Transactions::from_frame(&frame, &Columns::default().order(None)).unwrap();
        let g = t.grouped();
        let CustomerKey::Int(keys) = t.customers() else {
            panic!("integer ids")
        };
        let mut seen = vec![false; rows];
        for (c, key) in keys.iter().enumerate() {
            let range = g.range(c);
            assert!(!range.is_empty());
            for i in range.clone() {
                let r = g.row[i] as usize;
                assert_eq!(customer[r], *key);
                assert_eq!(g.day[i], days[r]);
                assert_eq!(g.amount[i], r as f64);
                assert!(!seen[r]);
                seen[r] = true;
            }
            for w in range.collect::<Vec<_>>().windows(2) {
                let (a, b) = (w[0], w[1]);
                assert!((g.day[a], g.row[a]) < (g.day[b], g.row[b]));
            }
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn bad_input_names_the_column_and_row() {
        let mut f = frame();
        let err = Transactions::from_frame(&f, &Columns::default().amount("total")).unwrap_err();
        assert_eq!(err.code(), "invalid_data");
        assert!(err.to_string().contains("column `total`"), "{err}");
        f.replace(
            "amount",
            Column::new("amount".into(), [1.0, -2.0, 3.0, 4.0]),
        )
        .unwrap();
        let err = Transactions::from_frame(&f, &Columns::default()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidData { column, row: Some(1), .. } if column == "amount"),
            "{err}"
        );
        f.replace(
            "date",
            Column::new("date".into(), ["2024-01-02", "2024-01-01", "soon", "x"]),
        )
        .unwrap();
        f.replace("amount", Column::new("amount".into(), [1.0, 2.0, 3.0, 4.0]))
            .unwrap();
        let err = Transactions::from_frame(&f, &Columns::default()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidData { column, row: Some(2), .. } if column == "date"),
            "{err}"
        );
        let nulls = df!("customer_id" => [Some(1i64), None], "order_id" => [1, 2],
            "date" => ["2024-01-01", "2024-01-01"], "amount" => [1.0, 2.0])
        .unwrap();
        let err = Transactions::from_frame(&nulls, &Columns::default()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidData { row: Some(1), .. }),
            "{err}"
        );
        assert!(err.to_string().contains("null"), "{err}");
    }
}
