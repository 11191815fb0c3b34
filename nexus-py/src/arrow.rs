//! Tables across the boundary: `_Table`, a polars `DataFrame` read from any Python table
//! through the Arrow PyCapsule interface (`__arrow_c_stream__`), and handed back the same
//! way.
//!
//! Reading imports the producer's C stream with `polars_arrow::ffi`: the columns keep
//! pointing at the producer's buffers (numbers, dates and timestamps are not copied), only
//! text is converted to polars' string views. Only the columns an analytics call reads
//! need to be in the stream; the other names of the user's table become empty
//! placeholders, so that a misspelt column name gets the core's error listing every
//! column of the table.
//!
//! Results go out as an Arrow C stream too (`_Table.__arrow_c_stream__`), which
//! `polars.DataFrame(...)`, `pyarrow.table(...)` and pandas (through pyarrow) read without
//! a copy. For pandas without pyarrow both directions have a plain fallback: columns as
//! little-endian bytes or lists ([`PyTable::from_columns`], [`PyTable::columns`]).

use std::ffi::CStr;

use polars::prelude::*;
use polars_arrow::array::{Array, PrimitiveArray, StructArray};
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField};
use polars_arrow::ffi::{ArrowArrayStream, ArrowArrayStreamReader, export_iterator};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyCapsule};

use nexus_core::Error;

use crate::errors::to_py_err;

/// The capsule name the Arrow PyCapsule interface gives a C stream.
const STREAM: &CStr = c"arrow_array_stream";

/// A table held in Rust (private: the analytics functions of `nexus` take and return the
/// user's own kind of table).
#[pyclass(module = "nexus._nexus", name = "_Table", frozen)]
pub(crate) struct PyTable {
    pub(crate) frame: DataFrame,
}

impl PyTable {
    pub(crate) fn new(frame: DataFrame) -> Self {
        PyTable { frame }
    }
}

fn bad(column: &str, message: impl Into<String>) -> Error {
    Error::invalid_data(column, None, message)
}

/// Whether polars (as built here) reads a column of this Arrow type as it is; the others
/// are converted first ([`convert`]), or would make it panic (structs, types of features
/// it is built without) or mean nothing for a transactions table.
fn readable(dtype: &ArrowDataType) -> bool {
    use ArrowDataType as A;
    match dtype {
        A::Null
        | A::Boolean
        | A::Int32
        | A::Int64
        | A::UInt32
        | A::UInt64
        | A::Float32
        | A::Float64
        | A::Utf8
        | A::LargeUtf8
        | A::Utf8View
        | A::Date32
        | A::Date64
        | A::Timestamp(..) => true,
        A::Dictionary(_, values, _) => {
            matches!(values.as_ref(), A::Utf8 | A::LargeUtf8 | A::Utf8View)
        }
        _ => false,
    }
}

/// `chunk`'s values mapped by `f` into a primitive array of `dtype`, when `chunk` holds
/// values of type `T`.
fn map_values<T, O>(
    chunk: &dyn Array,
    dtype: &ArrowDataType,
    f: impl Fn(T) -> O,
) -> Option<Box<dyn Array>>
where
    T: polars_arrow::types::NativeType,
    O: polars_arrow::types::NativeType,
{
    let a = chunk.as_any().downcast_ref::<PrimitiveArray<T>>()?;
    let values: Vec<O> = a.values().iter().map(|&v| f(v)).collect();
    Some(PrimitiveArray::new(dtype.clone(), values.into(), a.validity().cloned()).boxed())
}

/// Converts one chunk to the type given, with a decimal scale's divisor.
type ChunkConversion = fn(&dyn Array, &ArrowDataType, f64) -> Option<Box<dyn Array>>;

/// A column's new type and chunks.
type Converted = (ArrowDataType, Vec<Box<dyn Array>>);

/// Chunks of a type polars is built without, as one it has: decimals as floats (exact
/// decimals become the nearest `f64`, as the core does with decimal columns), 8- and
/// 16-bit integers as 32-bit ones. `None`: the type needs no conversion.
fn convert(field: &ArrowField, chunks: &[Box<dyn Array>]) -> Option<Result<Converted, Error>> {
    use ArrowDataType as A;
    let (to, convert): (A, ChunkConversion) = match field.dtype {
        A::Decimal(..) | A::Decimal32(..) | A::Decimal64(..) => (A::Float64, |c, d, div| {
            map_values::<i128, f64>(c, d, |v| v as f64 / div)
                .or_else(|| map_values::<i64, f64>(c, d, |v| v as f64 / div))
                .or_else(|| map_values::<i32, f64>(c, d, |v| v as f64 / div))
        }),
        A::Int8 | A::Int16 | A::UInt8 | A::UInt16 => (A::Int32, |c, d, _| {
            map_values::<i8, i32>(c, d, i32::from)
                .or_else(|| map_values::<i16, i32>(c, d, i32::from))
                .or_else(|| map_values::<u8, i32>(c, d, i32::from))
                .or_else(|| map_values::<u16, i32>(c, d, i32::from))
        }),
        _ => return None,
    };
    let scale = match field.dtype {
        A::Decimal(_, s) | A::Decimal32(_, s) | A::Decimal64(_, s) => s,
        _ => 0,
    };
    let div = 10f64.powi(i32::try_from(scale).unwrap_or(i32::MAX));
    let out = chunks
        .iter()
        .map(|c| {
            convert(c.as_ref(), &to, div)
                .ok_or_else(|| bad(&field.name, "column of an unexpected Arrow layout"))
        })
        .collect::<Result<Vec<_>, Error>>();
    Some(out.map(|chunks| (to, chunks)))
}

/// One column of the stream as a polars column.
fn column(field: &ArrowField, chunks: Vec<Box<dyn Array>>) -> Result<Column, Error> {
    let name = field.name.as_str();
    let (field, chunks) = match convert(field, &chunks) {
        Some(converted) => {
            let (dtype, chunks) = converted?;
            (ArrowField::new(field.name.clone(), dtype, true), chunks)
        }
        None if readable(&field.dtype) => (field.clone(), chunks),
        None => {
            return Err(bad(
                name,
                format!(
                    "Arrow type {:?} is not supported: expected integers, floats, decimals, \
                     text, categories, dates or timestamps",
                    field.dtype
                ),
            ));
        }
    };
    if chunks.is_empty() {
        let dtype = DataType::from_arrow_field(&field);
        return Ok(Column::new_empty(field.name.clone(), &dtype));
    }
    Series::try_from((&field, chunks))
        .map(Column::from)
        .map_err(|e| bad(name, e.to_string()))
}

/// Reads a whole Arrow C stream of record batches (struct arrays) into a `DataFrame`.
///
/// # Safety
/// `stream` must be a valid Arrow C stream, as the PyCapsule interface guarantees.
unsafe fn read_stream(stream: ArrowArrayStream, names: &[String]) -> Result<DataFrame, Error> {
    let mut reader = unsafe { ArrowArrayStreamReader::try_new(Box::new(stream)) }
        .map_err(|e| bad("", format!("the Arrow stream could not be read: {e}")))?;
    let ArrowDataType::Struct(fields) = reader.field().dtype.clone() else {
        return Err(bad(
            "",
            "the Arrow stream is not a table (a stream of record batches)",
        ));
    };
    let mut chunks: Vec<Vec<Box<dyn Array>>> = vec![Vec::new(); fields.len()];
    let mut height = 0usize;
    while let Some(batch) = unsafe { reader.next() } {
        let batch = batch.map_err(|e| bad("", format!("the Arrow stream failed: {e}")))?;
        let batch = batch
            .as_any()
            .downcast_ref::<StructArray>()
            .ok_or_else(|| {
                bad(
                    "",
                    "the Arrow stream sent a batch that is not a record batch",
                )
            })?;
        height += batch.len();
        for (i, values) in batch.values().iter().enumerate() {
            chunks[i].push(values.clone());
        }
    }
    let mut columns: Vec<Column> = Vec::with_capacity(names.len().max(fields.len()));
    let mut read: Vec<Option<Column>> = Vec::with_capacity(fields.len());
    for (field, chunks) in fields.iter().zip(chunks) {
        read.push(Some(column(field, chunks)?));
    }
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if !seen.insert(name.as_str()) {
            continue;
        }
        match fields.iter().position(|f| f.name.as_str() == name) {
            Some(i) => {
                if let Some(c) = read[i].take() {
                    columns.push(c);
                }
            }
            None => columns.push(Column::full_null(name.into(), height, &DataType::Null)),
        }
    }
    // Columns of the stream that the names did not list (a pandas index).
    for (field, c) in fields.iter().zip(read) {
        if let Some(c) = c
            && seen.insert(field.name.as_str())
        {
            columns.push(c);
        }
    }
    DataFrame::new(height, columns).map_err(|e| bad("", e.to_string()))
}

/// Bytes as `n` little-endian values of `W` bytes each.
fn words<const W: usize>(column: &str, data: &[u8]) -> Result<Vec<[u8; W]>, Error> {
    if data.len() % W != 0 {
        return Err(bad(
            column,
            format!("{} bytes is not a whole number of values", data.len()),
        ));
    }
    Ok(data
        .chunks_exact(W)
        .map(|c| c.try_into().expect("chunks_exact gives W bytes"))
        .collect())
}

/// A column of the fallback form: `kind` is `f64`, `i64`, `u64` or `datetime_us` (with
/// `data` little-endian bytes) or `str` (with `data` a list of `str | None`); `mask`, when
/// given, has one byte per row, non-zero for a missing value.
fn fallback_column(
    name: &str,
    kind: &str,
    data: &Bound<'_, PyAny>,
    mask: Option<&[u8]>,
) -> PyResult<Column> {
    let py = data.py();
    let err = |e: Error| to_py_err(py, e);
    let null = |i: usize| mask.is_some_and(|m| m.get(i).is_some_and(|&b| b != 0));
    let series = match kind {
        "str" => {
            let values: Vec<Option<String>> = data.extract()?;
            Series::new(name.into(), values)
        }
        _ => {
            let bytes: PyBackedBytes = data.extract()?;
            let raw = words::<8>(name, &bytes).map_err(err)?;
            let opt = |i: usize, v: [u8; 8]| (!null(i)).then_some(v);
            match kind {
                "f64" => Series::new(
                    name.into(),
                    raw.into_iter()
                        .enumerate()
                        .map(|(i, v)| opt(i, v).map(f64::from_le_bytes))
                        .collect::<Vec<_>>(),
                ),
                "u64" => Series::new(
                    name.into(),
                    raw.into_iter()
                        .enumerate()
                        .map(|(i, v)| opt(i, v).map(u64::from_le_bytes))
                        .collect::<Vec<_>>(),
                ),
                "i64" | "datetime_us" => {
                    let ca: Int64Chunked = raw
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| opt(i, v).map(i64::from_le_bytes))
                        .collect();
                    let ca = ca.with_name(name.into());
                    if kind == "i64" {
                        ca.into_series()
                    } else {
                        ca.into_datetime(TimeUnit::Microseconds, None).into_series()
                    }
                }
                other => {
                    return Err(err(bad(name, format!("unknown column kind {other:?}"))));
                }
            }
        }
    };
    Ok(series.into_column())
}

#[pymethods]
impl PyTable {
    /// Reads a table through the Arrow PyCapsule interface: `table.__arrow_c_stream__()`.
    /// `names` are all the column names of the user's table (those not in the stream
    /// become empty placeholders).
    #[staticmethod]
    fn from_arrow(table: &Bound<'_, PyAny>, names: Vec<String>) -> PyResult<Self> {
        let py = table.py();
        let capsule = table
            .call_method0("__arrow_c_stream__")?
            .cast_into::<PyCapsule>()?;
        let ptr = capsule
            .pointer_checked(Some(STREAM))?
            .cast::<ArrowArrayStream>();
        // Move the stream out of the capsule, leaving a released one behind: the capsule's
        // destructor then has nothing to release (the protocol's way of consuming it).
        let stream = unsafe { std::ptr::replace(ptr.as_ptr(), ArrowArrayStream::empty()) };
        let frame = unsafe { read_stream(stream, &names) }.map_err(|e| to_py_err(py, e))?;
        Ok(PyTable::new(frame))
    }

    /// Builds a table from plain columns (pandas without pyarrow): `columns` are
    /// `(name, kind, data, mask)` (see `fallback_column`), `names` all the column names of
    /// the user's table.
    #[staticmethod]
    fn from_columns(
        py: Python<'_>,
        names: Vec<String>,
        columns: Vec<(String, String, Bound<'_, PyAny>, Option<PyBackedBytes>)>,
    ) -> PyResult<Self> {
        let mut read = Vec::with_capacity(columns.len());
        for (name, kind, data, mask) in &columns {
            read.push(fallback_column(name, kind, data, mask.as_deref())?);
        }
        let height = read.first().map_or(0, Column::len);
        if let Some(c) = read.iter().find(|c| c.len() != height) {
            return Err(to_py_err(
                py,
                bad(c.name(), format!("{} values, expected {height}", c.len())),
            ));
        }
        let mut out = Vec::with_capacity(names.len());
        let mut seen = std::collections::HashSet::new();
        for name in &names {
            if !seen.insert(name.as_str()) {
                continue;
            }
            match read.iter().position(|c| c.name().as_str() == name) {
                Some(i) => out.push(read[i].clone()),
                None => out.push(Column::full_null(name.into(), height, &DataType::Null)),
            }
        }
        let frame =
            DataFrame::new(height, out).map_err(|e| to_py_err(py, bad("", e.to_string())))?;
        Ok(PyTable::new(frame))
    }

    /// The table as an Arrow C stream (the Arrow PyCapsule interface). `requested_schema`
    /// is ignored, as the protocol allows: text is sent as `large_string`, dates as
    /// `date32`.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let mut frame = self.frame.clone();
        frame.rechunk_mut();
        let level = CompatLevel::oldest();
        let fields: Vec<ArrowField> = frame
            .columns()
            .iter()
            .map(|c| c.field().to_arrow(level))
            .collect();
        let dtype = ArrowDataType::Struct(fields);
        let batches: Vec<Box<dyn Array>> = frame
            .iter_chunks(level, false)
            .map(|batch| {
                let len = batch.height();
                StructArray::try_new(dtype.clone(), len, batch.into_arrays(), None)
                    .map(|a| a.boxed())
                    .map_err(|e| to_py_err(py, bad("", e.to_string())))
            })
            .collect::<PyResult<_>>()?;
        let stream = export_iterator(
            Box::new(batches.into_iter().map(Ok)),
            ArrowField::new("".into(), dtype, false),
        );
        PyCapsule::new_with_value(py, stream, STREAM)
    }

    /// The columns in the fallback form (pandas without pyarrow): `(name, kind, data)` with
    /// `kind` `f64` (bytes, NaN for a missing value), `i64`, `u64` (bytes), `date` (bytes of
    /// `i64` days since 1970-01-01) or `str` (a list of `str | None`).
    fn columns<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Vec<(String, &'static str, Bound<'py, PyAny>)>> {
        let mut out = Vec::with_capacity(self.frame.width());
        for c in self.frame.columns() {
            let s = c.as_materialized_series();
            let name = c.name().to_string();
            let dtype = s.dtype();
            let bytes = |v: Vec<u8>| PyBytes::new(py, &v).into_any();
            let cast = |to: &DataType| {
                s.cast(to)
                    .map_err(|e| to_py_err(py, bad(&name, e.to_string())))
            };
            let col = if dtype.is_float() || (dtype.is_integer() && s.null_count() > 0) {
                let f = cast(&DataType::Float64)?;
                let v: Vec<u8> = f
                    .f64()
                    .map_err(|e| to_py_err(py, bad(&name, e.to_string())))?
                    .iter()
                    .flat_map(|v| v.unwrap_or(f64::NAN).to_le_bytes())
                    .collect();
                ("f64", bytes(v))
            } else if dtype.is_unsigned_integer() {
                let u = cast(&DataType::UInt64)?;
                let v: Vec<u8> = u
                    .u64()
                    .map_err(|e| to_py_err(py, bad(&name, e.to_string())))?
                    .iter()
                    .flat_map(|v| v.unwrap_or_default().to_le_bytes())
                    .collect();
                ("u64", bytes(v))
            } else if dtype.is_integer() || dtype.is_bool() {
                let i = cast(&DataType::Int64)?;
                let v: Vec<u8> = i
                    .i64()
                    .map_err(|e| to_py_err(py, bad(&name, e.to_string())))?
                    .iter()
                    .flat_map(|v| v.unwrap_or_default().to_le_bytes())
                    .collect();
                ("i64", bytes(v))
            } else if matches!(dtype, DataType::Date) {
                let d = s
                    .date()
                    .map_err(|e| to_py_err(py, bad(&name, e.to_string())))?;
                let v: Vec<u8> = d
                    .physical()
                    .iter()
                    .flat_map(|v| v.map_or(i64::MIN, i64::from).to_le_bytes())
                    .collect();
                ("date", bytes(v))
            } else {
                let t = cast(&DataType::String)?;
                let v: Vec<Option<String>> = t
                    .str()
                    .map_err(|e| to_py_err(py, bad(&name, e.to_string())))?
                    .iter()
                    .map(|v| v.map(str::to_string))
                    .collect();
                ("str", v.into_pyobject(py)?.into_any())
            };
            out.push((name, col.0, col.1));
        }
        Ok(out)
    }

    /// The column names.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    /// The number of rows.
    #[getter]
    fn height(&self) -> usize {
        self.frame.height()
    }

    fn __repr__(&self) -> String {
        format!(
            "<_Table {} rows x {} columns>",
            self.frame.height(),
            self.frame.width()
        )
    }
}
