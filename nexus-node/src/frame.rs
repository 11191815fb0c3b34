//! The tables JavaScript gives the analytics, turned into polars `DataFrame`s for the core
//! (`Transactions::from_frame`), and the core's result tables turned back into row objects.
//!
//! # In
//! Two shapes are accepted: an array of row objects, or an object of columns (one array or
//! typed array per column, all the same length). Only the columns named by the options are
//! read. On the JavaScript thread an array of rows, or a plain array of a column, is written
//! as JSON text by one `JSON.stringify` (a `Date` becomes its ISO text through `toJSON`;
//! `undefined`, `NaN` and missing keys become nulls), and typed arrays are copied; reading
//! that text into columns ([`Source::frame`]) runs with the analytics, off the event loop.
//!
//! A column's type follows its values, with no other interpretation: numbers make an
//! integer column when they are all whole, a float column otherwise; text makes a text
//! column; a column mixing numbers and text is read as text (the numbers as JavaScript
//! writes them), which the core parses where it takes text (decimal amounts, ids). The
//! date column's numbers are epoch milliseconds. Nulls are passed on, and the core refuses
//! them naming the column and row; a column missing from every row is left out, and the
//! core says which is missing.
//!
//! # Out
//! [`rows_json`] writes the core's `to_frame` table as JSON text of row objects, parsed by
//! one `JSON.parse` on the JavaScript thread: keys are the core's column names in camelCase,
//! dates are `YYYY-MM-DD` text, nulls are `null`.

use std::fmt::Write as _;

use napi::bindgen_prelude::{
    Float32Array, Float64Array, FromNapiValue, Function, Int8Array, Int16Array, Int32Array, Object,
    TypedArray, TypedArrayType, Uint8Array, Uint16Array, Uint32Array, Unknown,
};
use napi::{Env, JsValue, ValueType};
use nexus_core::Error;
use nexus_core::analytics::rfm::date_of;
use polars::prelude::*;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::json_method;

fn invalid(name: &'static str, message: impl Into<String>) -> Error {
    Error::InvalidArgument {
        name,
        message: message.into(),
    }
}

/// A table as read on the JavaScript thread, to be made a `DataFrame` by [`Source::frame`].
pub(crate) enum Source {
    /// JSON text of an array of row objects.
    Rows(String),
    /// The columns found, by name.
    Columns(Vec<(String, Values)>),
}

/// One column of the columnar shape.
pub(crate) enum Values {
    /// JSON text of a plain array.
    Json(String),
    /// A typed array's numbers.
    Numbers(Vec<f64>),
}

/// `JSON.stringify(value)`; `what` names the argument an error names.
fn stringify(env: &Env, what: &'static str, value: Unknown<'_>) -> Result<String, Error> {
    let stringify: Function<'_, Unknown<'_>, Unknown<'_>> =
        json_method(env, "stringify").map_err(|e| invalid(what, e.reason.clone()))?;
    let text = stringify
        .call(value)
        .map_err(|e| invalid(what, format!("cannot be read: {}", e.reason)))?;
    String::from_unknown(text).map_err(|e| invalid(what, e.reason.clone()))
}

/// The numbers of a typed array (`None` for a value that is not one). `NaN` is a null.
pub(crate) fn typed_numbers(column: &str, value: Unknown<'_>) -> Result<Option<Vec<f64>>, Error> {
    let bad = |e: napi::Error| Error::invalid_data(column, None, e.reason.clone());
    if !value.is_typedarray().map_err(bad)? {
        return Ok(None);
    }
    let kind = TypedArray::from_unknown(value)
        .map_err(bad)?
        .typed_array_type;
    macro_rules! copy {
        ($array:ty) => {
            <$array>::from_unknown(value)
                .map_err(bad)?
                .iter()
                .map(|&v| v as f64)
                .collect::<Vec<f64>>()
        };
    }
    let numbers = match kind {
        TypedArrayType::Float64 => copy!(Float64Array),
        TypedArrayType::Float32 => copy!(Float32Array),
        TypedArrayType::Int32 => copy!(Int32Array),
        TypedArrayType::Uint32 => copy!(Uint32Array),
        TypedArrayType::Int16 => copy!(Int16Array),
        TypedArrayType::Uint16 => copy!(Uint16Array),
        TypedArrayType::Int8 => copy!(Int8Array),
        TypedArrayType::Uint8 => copy!(Uint8Array),
        other => {
            return Err(Error::invalid_data(
                column,
                None,
                format!(
                    "{}Array is not supported: give numbers, text or a Float64Array",
                    other.as_ref()
                ),
            ));
        }
    };
    Ok(Some(numbers))
}

impl Source {
    /// Reads `value`, an array of row objects or an object of columns, keeping the columns
    /// `names` (the others are not read). `what` is the argument's name.
    pub(crate) fn read(
        env: &Env,
        what: &'static str,
        value: Unknown<'_>,
        names: &[&str],
    ) -> Result<Source, Error> {
        let bad = |e: napi::Error| invalid(what, e.reason.clone());
        if value.is_array().map_err(bad)? {
            return Ok(Source::Rows(stringify(env, what, value)?));
        }
        if value.get_type().map_err(bad)? != ValueType::Object
            || value.is_typedarray().map_err(bad)?
        {
            return Err(invalid(
                what,
                "must be an array of row objects or an object of columns (arrays of the same length)",
            ));
        }
        let object = Object::from_unknown(value).map_err(bad)?;
        let mut columns = Vec::new();
        for &name in names {
            let Some(column) = object.get::<Unknown<'_>>(name).map_err(bad)? else {
                continue;
            };
            let values = if let Some(numbers) = typed_numbers(name, column)? {
                Values::Numbers(numbers)
            } else if column.is_array().map_err(bad)? {
                Values::Json(stringify(env, what, column)?)
            } else {
                return Err(Error::invalid_data(
                    name,
                    None,
                    format!(
                        "must be an array or a typed array, not a value of type {}",
                        column.get_type().map_err(bad)?.to_string().to_lowercase()
                    ),
                ));
            };
            columns.push((name.to_owned(), values));
        }
        Ok(Source::Columns(columns))
    }

    /// The table as a `DataFrame` of the columns `names` that were given; `date` names the
    /// column whose numbers are epoch milliseconds.
    pub(crate) fn frame(self, names: &[&str], date: Option<&str>) -> Result<DataFrame, Error> {
        let mut builders: Vec<Builder> = names
            .iter()
            .map(|&name| Builder::new(name, Some(name) == date))
            .collect();
        let height = match self {
            Source::Rows(text) => read_rows(&text, &mut builders)?,
            Source::Columns(columns) => {
                let mut height = None;
                for (name, values) in columns {
                    let Some(b) = builders.iter_mut().find(|b| b.name == name) else {
                        continue;
                    };
                    b.seen = true;
                    match values {
                        Values::Numbers(numbers) => {
                            b.values = Cells::Numbers(
                                numbers
                                    .into_iter()
                                    .map(|v| (!v.is_nan()).then_some(v))
                                    .collect(),
                            );
                        }
                        Values::Json(text) => {
                            let cells: Vec<&RawValue> = serde_json::from_str(&text)
                                .map_err(|e| Error::invalid_data(&name, None, e.to_string()))?;
                            for (row, cell) in cells.into_iter().enumerate() {
                                b.push(row, cell.get())?;
                            }
                        }
                    }
                    let len = b.values.len();
                    match height {
                        None => height = Some((name, len)),
                        Some((ref first, n)) if n != len => {
                            return Err(Error::invalid_data(
                                &name,
                                None,
                                format!("{name} has {len} values but {first} has {n}"),
                            ));
                        }
                        Some(_) => {}
                    }
                }
                height.map_or(0, |(_, n)| n)
            }
        };
        let columns: Vec<Column> = builders
            .into_iter()
            // A column missing everywhere is left out, for the core to name; an empty
            // table keeps every column, so that the core says it is empty.
            .filter(|b| b.seen || height == 0)
            .map(Builder::finish)
            .collect();
        DataFrame::new_infer_height(columns)
            .map_err(|e| Error::invalid_data("", None, e.to_string()))
    }
}

/// A column's values as they are read: nulls only (so far), numbers, booleans or text.
enum Cells {
    Nulls(usize),
    Numbers(Vec<Option<f64>>),
    Bools(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
}

impl Cells {
    fn len(&self) -> usize {
        match self {
            Cells::Nulls(n) => *n,
            Cells::Numbers(v) => v.len(),
            Cells::Bools(v) => v.len(),
            Cells::Text(v) => v.len(),
        }
    }

    /// The values as text, as JavaScript's `String()` writes numbers and booleans; in a
    /// date column (`date`), numbers (epoch milliseconds) as RFC 3339 timestamps.
    fn into_text(self, date: bool) -> Vec<Option<String>> {
        match self {
            Cells::Nulls(n) => vec![None; n],
            Cells::Numbers(v) => v
                .into_iter()
                .map(|x| x.map(|x| number_text(x, date)))
                .collect(),
            Cells::Bools(v) => v.into_iter().map(|x| x.map(|b| b.to_string())).collect(),
            Cells::Text(v) => v,
        }
    }
}

/// A number as text: as JavaScript writes it (Rust too writes whole floats without a
/// fraction, `3`), or in a date column, where a number is epoch milliseconds and the other
/// values are text (a `Date` is written as its ISO text), as an RFC 3339 timestamp.
fn number_text(x: f64, date: bool) -> String {
    if date && let Some(t) = chrono::DateTime::from_timestamp_micros((x * 1000.0).round() as i64) {
        return t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    }
    format!("{x}")
}

/// One JSON value of a cell.
enum Cell {
    Null,
    Number(f64),
    Bool(bool),
    Text(String),
}

fn cell(column: &str, row: usize, raw: &str) -> Result<Cell, Error> {
    let raw = raw.trim();
    let nested = || {
        Error::invalid_data(
            column,
            Some(row),
            format!("{raw} is not a number, text or a date"),
        )
    };
    match raw.as_bytes().first() {
        None | Some(b'n') => Ok(Cell::Null),
        Some(b't') => Ok(Cell::Bool(true)),
        Some(b'f') => Ok(Cell::Bool(false)),
        Some(b'"') => serde_json::from_str(raw)
            .map(Cell::Text)
            .map_err(|e| Error::invalid_data(column, Some(row), e.to_string())),
        Some(b'{' | b'[') => Err(nested()),
        Some(_) => raw.parse().map(Cell::Number).map_err(|_| nested()),
    }
}

/// The values of one column as they are read.
struct Builder {
    name: String,
    /// Numbers are epoch milliseconds.
    date: bool,
    /// Whether any row had the key (or the column was given).
    seen: bool,
    values: Cells,
}

impl Builder {
    fn new(name: &str, date: bool) -> Self {
        Builder {
            name: name.to_owned(),
            date,
            seen: false,
            values: Cells::Nulls(0),
        }
    }

    /// Appends the JSON value `raw` of row `row`.
    fn push(&mut self, row: usize, raw: &str) -> Result<(), Error> {
        let cell = cell(&self.name, row, raw)?;
        let values = std::mem::replace(&mut self.values, Cells::Nulls(0));
        self.values = match (values, cell) {
            (Cells::Nulls(n), Cell::Null) => Cells::Nulls(n + 1),
            (mut values, Cell::Null) => {
                match &mut values {
                    Cells::Numbers(v) => v.push(None),
                    Cells::Bools(v) => v.push(None),
                    Cells::Text(v) => v.push(None),
                    Cells::Nulls(_) => unreachable!("handled above"),
                }
                values
            }
            (Cells::Nulls(n), Cell::Number(x)) => {
                let mut v = vec![None; n];
                v.push(Some(x));
                Cells::Numbers(v)
            }
            (Cells::Nulls(n), Cell::Bool(b)) => {
                let mut v = vec![None; n];
                v.push(Some(b));
                Cells::Bools(v)
            }
            (Cells::Numbers(mut v), Cell::Number(x)) => {
                v.push(Some(x));
                Cells::Numbers(v)
            }
            (Cells::Bools(mut v), Cell::Bool(b)) => {
                v.push(Some(b));
                Cells::Bools(v)
            }
            // Text, or values of two kinds: the column is text.
            (values, cell) => {
                let mut v = values.into_text(self.date);
                v.push(Some(match cell {
                    Cell::Text(s) => s,
                    Cell::Number(x) => number_text(x, self.date),
                    Cell::Bool(b) => b.to_string(),
                    Cell::Null => unreachable!("handled above"),
                }));
                Cells::Text(v)
            }
        };
        Ok(())
    }

    fn finish(self) -> Column {
        let name = PlSmallStr::from(self.name.as_str());
        let whole = |v: &[Option<f64>]| {
            v.iter()
                .flatten()
                .all(|x| x.fract() == 0.0 && x.abs() <= 9_007_199_254_740_992.0)
        };
        let series = match self.values {
            Cells::Nulls(n) => {
                let ints = Int64Chunked::full_null(name, n);
                if self.date {
                    ints.into_datetime(TimeUnit::Milliseconds, None)
                        .into_series()
                } else {
                    ints.into_series()
                }
            }
            Cells::Numbers(v) if self.date => {
                if whole(&v) {
                    Int64Chunked::from_iter_options(
                        name,
                        v.into_iter().map(|x| x.map(|x| x as i64)),
                    )
                    .into_datetime(TimeUnit::Milliseconds, None)
                    .into_series()
                } else {
                    Int64Chunked::from_iter_options(
                        name,
                        v.into_iter()
                            .map(|x| x.map(|x| (x * 1000.0).round() as i64)),
                    )
                    .into_datetime(TimeUnit::Microseconds, None)
                    .into_series()
                }
            }
            Cells::Numbers(v) if whole(&v) => {
                Int64Chunked::from_iter_options(name, v.into_iter().map(|x| x.map(|x| x as i64)))
                    .into_series()
            }
            Cells::Numbers(v) => {
                Float64Chunked::from_iter_options(name, v.into_iter()).into_series()
            }
            Cells::Bools(v) => BooleanChunked::from_iter_options(name, v.into_iter()).into_series(),
            Cells::Text(v) => StringChunked::from_iter_options(name, v.into_iter()).into_series(),
        };
        series.into_column()
    }
}

/// Reads JSON text of an array of row objects into `builders`; returns the number of rows.
fn read_rows(text: &str, builders: &mut [Builder]) -> Result<usize, Error> {
    let rows: Vec<&RawValue> = serde_json::from_str(text)
        .map_err(|e| invalid("transactions", format!("cannot be read: {e}")))?;
    let mut found: Vec<(usize, &RawValue)> = Vec::with_capacity(builders.len());
    for (row, raw) in rows.iter().enumerate() {
        if !raw.get().trim_start().starts_with('{') {
            return Err(Error::invalid_data(
                "",
                Some(row),
                format!("row {} is not an object", raw.get()),
            ));
        }
        found.clear();
        let mut de = serde_json::Deserializer::from_str(raw.get());
        RowSeed {
            names: builders,
            found: &mut found,
        }
        .deserialize(&mut de)
        .map_err(|e| Error::invalid_data("", Some(row), e.to_string()))?;
        for &(i, value) in &found {
            let b = &mut builders[i];
            // A key given twice: the first value counts.
            if b.values.len() == row {
                b.seen = true;
                b.push(row, value.get())?;
            }
        }
        for b in builders.iter_mut() {
            if b.values.len() == row {
                b.push(row, "null")?;
            }
        }
    }
    Ok(rows.len())
}

/// Reads one row object: the values of the keys named by `names`, unparsed.
struct RowSeed<'a, 'de> {
    names: &'a [Builder],
    found: &'a mut Vec<(usize, &'de RawValue)>,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a row object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed(self.names))? {
            match key {
                Some(i) => self.found.push((i, map.next_value::<&'de RawValue>()?)),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A key of a row: the index of the column it names, if any.
struct KeySeed<'a>(&'a [Builder]);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a column name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|b| b.name == key))
    }
}

/// A column name of the core in camelCase (`monetary_value` → `monetaryValue`).
pub(crate) fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, part) in name.split('_').enumerate() {
        let mut chars = part.chars();
        match chars.next() {
            Some(c) if i > 0 => {
                out.extend(c.to_uppercase());
                out.push_str(chars.as_str());
            }
            _ => out.push_str(part),
        }
    }
    out
}

/// One column of a result table, read for writing.
enum Out {
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
}

fn out_column(column: &Column) -> Result<Out, Error> {
    let bad = |e: PolarsError| Error::invalid_data(column.name().as_str(), None, e.to_string());
    let s = column.as_materialized_series();
    let dtype = s.dtype();
    Ok(if dtype.is_integer() {
        let cast = s.cast(&DataType::Int64).map_err(bad)?;
        Out::Int(cast.i64().map_err(bad)?.iter().collect())
    } else if dtype.is_float() {
        let cast = s.cast(&DataType::Float64).map_err(bad)?;
        Out::Float(cast.f64().map_err(bad)?.iter().collect())
    } else if matches!(dtype, DataType::Boolean) {
        Out::Bool(s.bool().map_err(bad)?.iter().collect())
    } else if matches!(dtype, DataType::Date) {
        let days = s.date().map_err(bad)?;
        Out::Text(
            days.physical()
                .iter()
                .map(|d| d.and_then(|d| date_of(d.into())).map(|d| d.to_string()))
                .collect(),
        )
    } else {
        let cast = s.cast(&DataType::String).map_err(bad)?;
        Out::Text(
            cast.str()
                .map_err(bad)?
                .iter()
                .map(|v| v.map(str::to_owned))
                .collect(),
        )
    })
}

/// JSON text of the rows of `frame`: one object per row, the key of each column given by
/// `key` of its name.
pub(crate) fn rows_json(frame: &DataFrame, key: impl Fn(&str) -> String) -> Result<String, Error> {
    let keys: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|name| serde_json::to_string(&key(name.as_str())).unwrap_or_default())
        .collect();
    let columns: Vec<Out> = frame
        .columns()
        .iter()
        .map(out_column)
        .collect::<Result<_, _>>()?;
    let mut out = String::with_capacity(frame.height() * columns.len() * 16 + 2);
    out.push('[');
    for row in 0..frame.height() {
        if row > 0 {
            out.push(',');
        }
        out.push('{');
        for (k, (key, column)) in keys.iter().zip(&columns).enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str(key);
            out.push(':');
            match column {
                Out::Int(v) => match v[row] {
                    Some(x) => {
                        let _ = write!(out, "{x}");
                    }
                    None => out.push_str("null"),
                },
                Out::Float(v) => match v[row] {
                    Some(x) if x.is_finite() => {
                        let _ = write!(out, "{x:?}");
                    }
                    _ => out.push_str("null"),
                },
                Out::Bool(v) => match v[row] {
                    Some(b) => out.push_str(if b { "true" } else { "false" }),
                    None => out.push_str("null"),
                },
                Out::Text(v) => match &v[row] {
                    Some(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
                    None => out.push_str("null"),
                },
            }
        }
        out.push('}');
    }
    out.push(']');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_keys() {
        assert_eq!(camel("monetary_value_holdout"), "monetaryValueHoldout");
        assert_eq!(camel("T"), "T");
        assert_eq!(camel("customerId"), "customerId");
        assert_eq!(camel("rfm_cell"), "rfmCell");
    }

    #[test]
    fn rows_become_typed_columns() {
        let text = r#"[{"id":1,"d":"2024-01-01","a":"10.50","x":true},{"id":2,"d":"2024-01-02","a":3},{"id":"c","a":null}]"#;
        let mut b = vec![
            Builder::new("id", false),
            Builder::new("d", true),
            Builder::new("a", false),
            Builder::new("missing", false),
        ];
        assert_eq!(read_rows(text, &mut b).unwrap(), 3);
        assert!(
            matches!(&b[0].values, Cells::Text(v) if v[0].as_deref() == Some("1") && v[2].as_deref() == Some("c"))
        );
        assert!(matches!(&b[1].values, Cells::Text(v) if v[2].is_none()));
        assert!(
            matches!(&b[2].values, Cells::Text(v) if v[1].as_deref() == Some("3") && v[2].is_none())
        );
        assert!(!b[3].seen);
        let mut dates = vec![Builder::new("d", true)];
        read_rows(
            r#"[{"d":"2024-01-01T00:00:00.000Z"},{"d":1704240000000}]"#,
            &mut dates,
        )
        .unwrap();
        assert!(
            matches!(&dates[0].values, Cells::Text(v) if v[1].as_deref() == Some("2024-01-03T00:00:00Z"))
        );
        let err = read_rows(r#"[{"id":1},[1]]"#, &mut b).unwrap_err();
        assert!(
            matches!(err, Error::InvalidData { row: Some(1), .. }),
            "{err}"
        );
    }
}
