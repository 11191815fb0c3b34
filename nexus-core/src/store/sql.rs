//! What the two databases share: values, column types, statements, and the SQL text
//! helpers. Statements are written once with `?` placeholders; PostgreSQL gets them
//! numbered (`$1`, `$2`, ...).

use std::borrow::Cow;

use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::model::Timestamp;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    /// Short text held inline (written only; reads give `Text`).
    Small(SmallText),
    Dec(Decimal),
    Ts(Timestamp),
    /// JSON text (TEXT in SQLite, JSON in PostgreSQL).
    Json(String),
    Blob(Vec<u8>),
}

/// The type of a column read back, so each database can decode its own representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Int,
    Bool,
    Text,
    Dec,
    Ts,
    Json,
    Blob,
}

/// Text of at most [`SmallText::CAP`] bytes kept inside the value: the short texts most
/// columns hold (keys, codes, states, currencies, SKUs) then cost no allocation to encode,
/// nor to free after the write.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct SmallText {
    len: u8,
    bytes: [u8; SmallText::CAP],
}

impl SmallText {
    /// As long as a value can hold without growing past the size of `Val::Text`.
    pub const CAP: usize = 22;

    pub fn new(s: &str) -> Option<SmallText> {
        let len = s.len();
        (len <= Self::CAP).then(|| {
            let mut bytes = [0u8; Self::CAP];
            bytes[..len].copy_from_slice(s.as_bytes());
            SmallText {
                len: len as u8,
                bytes,
            }
        })
    }

    pub fn as_str(&self) -> &str {
        // Always whole UTF-8: the bytes were copied from a `&str`.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for SmallText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl Val {
    /// Text, inline when short.
    pub fn text(s: &str) -> Val {
        SmallText::new(s).map_or_else(|| Val::Text(s.to_owned()), Val::Small)
    }
    /// The text of a `Text` or `Small` value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Val::Text(s) => Some(s),
            Val::Small(s) => Some(s.as_str()),
            _ => None,
        }
    }
    pub fn opt_text(v: Option<&str>) -> Val {
        v.map_or(Val::Null, Val::text)
    }
    pub fn opt_dec(v: Option<Decimal>) -> Val {
        v.map_or(Val::Null, Val::Dec)
    }
    pub fn opt_ts(v: Option<Timestamp>) -> Val {
        v.map_or(Val::Null, Val::Ts)
    }
    pub fn opt_int(v: Option<i64>) -> Val {
        v.map_or(Val::Null, Val::Int)
    }
    pub fn opt_bool(v: Option<bool>) -> Val {
        v.map_or(Val::Null, Val::Bool)
    }
}

/// One statement and its parameters.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    /// Borrowed when the text is built once and shared (the multi-row inserts).
    pub sql: Cow<'static, str>,
    pub params: Vec<Val>,
}

impl Stmt {
    pub fn new(sql: impl Into<Cow<'static, str>>, params: Vec<Val>) -> Self {
        Stmt {
            sql: sql.into(),
            params,
        }
    }
}

/// A query and the types of the columns it returns.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub stmt: Stmt,
    pub types: &'static [Ty],
}

/// Rows read back, each a list of values in column order.
pub(crate) type Rows = Vec<Vec<Val>>;

/// Rewrites `?` placeholders as `$1`, `$2`, ... (outside quoted text).
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let (mut n, mut quoted) = (0, false);
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// `INSERT INTO table (cols) VALUES (?, ...), ...` for `rows` rows.
pub(crate) fn insert_sql(table: &str, cols: &[&str], rows: usize) -> String {
    let one = format!("({})", vec!["?"; cols.len()].join(", "));
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        cols.join(", "),
        vec![one; rows].join(", ")
    )
}

/// `?, ?, ?` for an `IN (...)` list of `n`.
pub(crate) fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The largest number of parameters put in one statement (SQLite allows 32,766 and
/// PostgreSQL 65,535; staying well below keeps statements a sensible size).
pub(crate) const MAX_PARAMS: usize = 8_000;

/// Rows per multi-row insert at most.
const MAX_ROWS: usize = 64;

/// Splits `rows` (each `width` values) into multi-row inserts of at most [`MAX_PARAMS`]
/// values; `sql` gives the text of an insert of n rows. Chunk sizes are powers of two (64,
/// 32, ..., 1 rows), so a table only ever needs a handful of statement shapes and the
/// prepared-statement caches keep hitting whatever the page holds.
pub(crate) fn chunked_inserts(
    width: usize,
    rows: Vec<Vec<Val>>,
    sql: impl Fn(usize) -> Cow<'static, str>,
) -> Vec<Stmt> {
    let limit = (MAX_PARAMS / width.max(1)).clamp(1, MAX_ROWS);
    // The largest power of two within the limit.
    let top = 1usize << (usize::BITS - 1 - limit.leading_zeros());
    let mut out = Vec::new();
    let mut rows = rows.into_iter();
    let mut left = rows.len();
    let mut size = top;
    while left > 0 {
        while size > left {
            size /= 2;
        }
        let mut chunk: Vec<Val> = Vec::with_capacity(size * width);
        for row in rows.by_ref().take(size) {
            chunk.extend(row);
        }
        out.push(Stmt::new(sql(size), chunk));
        left -= size;
    }
    out
}

/// A decoding problem in a stored row.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::Store {
        backend: "database",
        message: format!("stored {what} cannot be read back: {detail}"),
        retryable: false,
    }
}

/// Reads the columns of one row in order.
pub(crate) struct Cols<'r> {
    row: std::vec::IntoIter<Val>,
    what: &'r str,
}

impl<'r> Cols<'r> {
    pub fn new(row: Vec<Val>, what: &'r str) -> Self {
        Cols {
            row: row.into_iter(),
            what,
        }
    }

    fn next(&mut self) -> Val {
        self.row.next().unwrap_or(Val::Null)
    }

    pub fn opt_text(&mut self) -> Result<Option<String>> {
        match self.next() {
            Val::Null => Ok(None),
            Val::Text(s) | Val::Json(s) => Ok(Some(s)),
            Val::Small(s) => Ok(Some(s.as_str().to_owned())),
            other => Err(corrupt(self.what, format!("expected text, got {other:?}"))),
        }
    }
    pub fn text(&mut self) -> Result<String> {
        self.opt_text()?
            .ok_or_else(|| corrupt(self.what, "a required text column is null"))
    }
    pub fn opt_int(&mut self) -> Result<Option<i64>> {
        match self.next() {
            Val::Null => Ok(None),
            Val::Int(i) => Ok(Some(i)),
            Val::Bool(b) => Ok(Some(i64::from(b))),
            other => Err(corrupt(
                self.what,
                format!("expected an integer, got {other:?}"),
            )),
        }
    }
    pub fn opt_bool(&mut self) -> Result<Option<bool>> {
        match self.next() {
            Val::Null => Ok(None),
            Val::Bool(b) => Ok(Some(b)),
            Val::Int(i) => Ok(Some(i != 0)),
            other => Err(corrupt(
                self.what,
                format!("expected a boolean, got {other:?}"),
            )),
        }
    }
    pub fn boolean(&mut self) -> Result<bool> {
        self.opt_bool()?
            .ok_or_else(|| corrupt(self.what, "a required boolean column is null"))
    }
    pub fn opt_dec(&mut self) -> Result<Option<Decimal>> {
        match self.next() {
            Val::Null => Ok(None),
            Val::Dec(d) => Ok(Some(d)),
            other => Err(corrupt(
                self.what,
                format!("expected a decimal, got {other:?}"),
            )),
        }
    }
    pub fn dec(&mut self) -> Result<Decimal> {
        self.opt_dec()?
            .ok_or_else(|| corrupt(self.what, "a required decimal column is null"))
    }
    pub fn opt_ts(&mut self) -> Result<Option<Timestamp>> {
        match self.next() {
            Val::Null => Ok(None),
            Val::Ts(t) => Ok(Some(t)),
            other => Err(corrupt(
                self.what,
                format!("expected a timestamp, got {other:?}"),
            )),
        }
    }
    pub fn ts(&mut self) -> Result<Timestamp> {
        self.opt_ts()?
            .ok_or_else(|| corrupt(self.what, "a required timestamp column is null"))
    }
    pub fn opt_blob(&mut self) -> Result<Option<Vec<u8>>> {
        match self.next() {
            Val::Null => Ok(None),
            Val::Blob(b) => Ok(Some(b)),
            other => Err(corrupt(self.what, format!("expected bytes, got {other:?}"))),
        }
    }
    /// A JSON column parsed into `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&mut self) -> Result<T> {
        let text = self.text()?;
        serde_json::from_str(&text).map_err(|e| corrupt(self.what, e))
    }
}

/// Timestamps as SQLite keeps them: RFC 3339 in UTC with microseconds, which sorts as text
/// (`2024-01-05T10:00:00.000000Z`). Written by hand: chrono's formatter parses its format
/// string on every call, and a page writes thousands of timestamps.
pub(crate) fn ts_text(t: &Timestamp) -> String {
    let mut b = Vec::with_capacity(27);
    push_ts(&mut b, t);
    String::from_utf8_lossy(&b).into_owned()
}

/// Appends [`ts_text`]'s text of `t` to `out`.
pub(crate) fn push_ts(out: &mut Vec<u8>, t: &Timestamp) {
    use chrono::{Datelike, Timelike};
    let year = t.year();
    if !(0..=9999).contains(&year) {
        out.extend_from_slice(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string().as_bytes());
        return;
    }
    let mut b = [0u8; 27];
    let mut put = |at: usize, v: u32, width: usize| {
        let mut v = v;
        for i in (0..width).rev() {
            b[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year as u32, 4);
    put(5, t.month(), 2);
    put(8, t.day(), 2);
    put(11, t.hour(), 2);
    put(14, t.minute(), 2);
    put(17, t.second(), 2);
    put(20, (t.nanosecond() % 1_000_000_000) / 1_000, 6);
    b[4] = b'-';
    b[7] = b'-';
    b[10] = b'T';
    b[13] = b':';
    b[16] = b':';
    b[19] = b'.';
    b[26] = b'Z';
    out.extend_from_slice(&b);
}

/// Appends the text of `d` to `out`, exactly as its `Display` writes it (every digit of
/// its scale kept: `5.00`, `-0.05`), without going through the formatter.
pub(crate) fn push_decimal(out: &mut Vec<u8>, d: &Decimal) {
    let mantissa = d.mantissa();
    let scale = d.scale() as usize;
    let mut digits = [0u8; 40];
    let mut n = mantissa.unsigned_abs();
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    // A negative zero keeps its sign, as `Display` writes it.
    if d.is_sign_negative() {
        out.push(b'-');
    }
    // `digits` holds the digits last first.
    if len <= scale {
        out.push(b'0');
        out.push(b'.');
        out.extend(std::iter::repeat_n(b'0', scale - len));
        out.extend(digits[..len].iter().rev());
    } else {
        out.extend(digits[scale..len].iter().rev());
        if scale > 0 {
            out.push(b'.');
            out.extend(digits[..scale].iter().rev());
        }
    }
}

/// Reads a timestamp written by [`ts_text`] (or any RFC 3339 time).
pub(crate) fn parse_ts(s: &str) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A record's version: microseconds since the epoch of its last change.
pub(crate) fn version_of(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_as_display_writes_them() {
        let text = |d: &Decimal| {
            let mut b = Vec::new();
            push_decimal(&mut b, d);
            String::from_utf8(b).expect("ASCII")
        };
        let mut zero = Decimal::new(0, 2);
        zero.set_sign_negative(true);
        let mut all = vec![
            Decimal::ZERO,
            Decimal::new(0, 2),
            zero,
            Decimal::new(500, 2),
            Decimal::new(-5, 2),
            Decimal::new(1, 28),
            Decimal::new(-1, 28),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::new(123_456_789, 0),
            Decimal::new(-100, 1),
        ];
        // A spread of mantissas and scales (xorshift, fixed seed).
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let m = (x as i64) >> (x % 60);
            all.push(Decimal::new(m, (x % 29) as u32));
        }
        for d in &all {
            assert_eq!(text(d), d.to_string(), "{d:?}");
        }
    }

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered("SELECT '?' , x FROM t WHERE a = ? AND b IN (?, ?)"),
            "SELECT '?' , x FROM t WHERE a = $1 AND b IN ($2, $3)"
        );
    }

    #[test]
    fn inserts_are_split_below_the_parameter_limit_in_few_shapes() {
        let cols = ["a", "b", "c", "d"];
        let rows: Vec<Vec<Val>> = (0..5_000).map(|i| vec![Val::Int(i); 4]).collect();
        let stmts = chunked_inserts(cols.len(), rows, |n| insert_sql("t", &cols, n).into());
        assert!(stmts.iter().all(|s| s.params.len() <= MAX_PARAMS));
        assert_eq!(stmts.iter().map(|s| s.params.len()).sum::<usize>(), 20_000);
        // 5,000 = 78 × 64 + 8: 79 statements of two shapes.
        assert_eq!(stmts.len(), 79);
        let shapes: std::collections::BTreeSet<usize> =
            stmts.iter().map(|s| s.params.len() / 4).collect();
        assert_eq!(shapes.into_iter().collect::<Vec<_>>(), vec![8, 64]);
        // Every value is kept, in order.
        let firsts: Vec<i64> = stmts
            .iter()
            .flat_map(|s| s.params.iter().step_by(4))
            .map(|v| match v {
                Val::Int(i) => *i,
                _ => -1,
            })
            .collect();
        assert_eq!(firsts, (0..5_000).collect::<Vec<i64>>());
    }

    #[test]
    fn timestamps_keep_microseconds_and_sort_as_text() {
        let a = parse_ts("2024-01-05T10:00:00.000001Z").unwrap();
        let b = parse_ts("2024-01-05T10:00:01Z").unwrap();
        assert_eq!(ts_text(&a), "2024-01-05T10:00:00.000001Z");
        assert_eq!(ts_text(&a), a.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
        assert_eq!(parse_ts(&ts_text(&a)), Some(a));
        assert!(ts_text(&a) < ts_text(&b));
    }
}
