//! The one place where `nexus_core::Error` becomes a Python exception.
//!
//! The exception classes are defined in Python (`nexus/_errors.py`), because several of them
//! also derive from `ValueError`, which a Rust-defined exception type cannot do. This module
//! picks the class for each error and builds the exception with the error's message and
//! stable code. A new core error kind (authentication, rate limits, ...) is one new Python
//! class and one new match arm here.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyType};

use nexus_core::Error;

/// The Python module that defines the exception classes.
const ERRORS_MODULE: &str = "nexus._errors";

/// The name of the `nexus` exception class for `err`.
fn class_name(err: &Error) -> &'static str {
    match err {
        Error::Data(_) => "DataError",
        Error::UnknownPlatform { .. } => "UnknownPlatformError",
        Error::UnknownEntity { .. } => "UnknownEntityError",
        Error::Unsupported { .. } => "UnsupportedError",
        Error::InvalidArgument { .. } => "InvalidArgumentError",
        Error::Config { .. } => "ConfigError",
        Error::Auth { .. } => "AuthError",
        Error::RateLimited { .. } => "RateLimitedError",
        Error::Platform { .. } => "PlatformError",
        Error::Network { .. } => "NetworkError",
        Error::Timeout { .. } => "NexusTimeoutError",
        Error::InvalidPage { .. } => "InvalidPageError",
        Error::CursorStuck { .. } => "CursorStuckError",
        Error::Rules { .. } => "RuleError",
        Error::Settings { .. } => "SettingsError",
        Error::Store { .. } | Error::SchemaTooNew { .. } => "DatabaseError",
        Error::InvalidData { .. } => "InvalidDataError",
        Error::Fit { .. } => "FitError",
        // `Error` is non-exhaustive: a kind this binding does not know yet is still a
        // `NexusError` with the right code.
        _ => "NexusError",
    }
}

/// Converts a core error into the matching `nexus.NexusError` subclass.
///
/// The exception's message is the error's `Display` text and its `code` attribute is
/// `Error::code()`. A `DataError` also carries the problem in its `errors` list; the errors
/// of a store carry their structured fields as attributes (`platform`, `status`,
/// `platform_code`, `retry_after`, `timeout`, `entity`, `position`), a rule set's
/// mistake carries where it is (`file`, `line`, `column`, `key`), a settings mistake its
/// `file` and `key`, a database error its `backend` and whether it is `retryable`, bad
/// analytics input its `column` and `row` (and the problem in its `errors` list, as a
/// `DataError`'s), and a model that could not be fitted its `model`.
///
/// Should building the exception itself fail (the Python package is broken), that failure is
/// what gets raised.
pub(crate) fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    build(py, err).unwrap_or_else(|e| e)
}

fn build(py: Python<'_>, err: Error) -> PyResult<PyErr> {
    let module = py.import(ERRORS_MODULE)?;
    let class = module.getattr(class_name(&err))?.cast_into::<PyType>()?;
    let (message, code) = (err.to_string(), err.code());
    let exc = match err {
        Error::Data(data) => {
            let mapping_error = module.getattr("MappingError")?;
            let problem = mapping_error.call1(crate::error_tuple(*data))?;
            class.call1((message, code, PyList::new(py, [problem])?))?
        }
        Error::InvalidData {
            column,
            row,
            message: detail,
        } => {
            let column = (!column.is_empty()).then_some(column);
            let mapping_error = module.getattr("MappingError")?;
            let path = column.clone().unwrap_or_default();
            let problem = mapping_error.call1((row, None::<String>, path, code, detail))?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("column", column)?;
            kwargs.set_item("row", row)?;
            class.call((message, code, PyList::new(py, [problem])?), Some(&kwargs))?
        }
        other => {
            let kwargs = PyDict::new(py);
            match other {
                Error::Config { platform, .. } => kwargs.set_item("platform", platform.as_str())?,
                Error::Auth {
                    platform, status, ..
                } => {
                    kwargs.set_item("platform", platform.as_str())?;
                    kwargs.set_item("status", status)?;
                }
                Error::RateLimited {
                    platform,
                    retry_after,
                } => {
                    kwargs.set_item("platform", platform.as_str())?;
                    kwargs.set_item("retry_after", retry_after.map(|d| d.as_secs_f64()))?;
                }
                Error::Platform {
                    platform,
                    status,
                    platform_code,
                    ..
                } => {
                    kwargs.set_item("platform", platform.as_str())?;
                    kwargs.set_item("status", status)?;
                    kwargs.set_item("platform_code", platform_code)?;
                }
                Error::Network { platform, .. } => {
                    kwargs.set_item("platform", platform.as_str())?;
                }
                Error::Timeout { platform, timeout } => {
                    kwargs.set_item("platform", platform.as_str())?;
                    kwargs.set_item("timeout", timeout.as_secs_f64())?;
                }
                Error::InvalidPage {
                    platform, status, ..
                } => {
                    kwargs.set_item("platform", platform.as_str())?;
                    kwargs.set_item("status", status)?;
                }
                Error::CursorStuck {
                    platform,
                    entity,
                    position,
                } => {
                    kwargs.set_item("platform", platform.as_str())?;
                    kwargs.set_item("entity", entity.plural())?;
                    kwargs.set_item("position", position)?;
                }
                Error::Rules {
                    file,
                    line,
                    column,
                    key,
                    ..
                } => {
                    kwargs.set_item("file", file)?;
                    kwargs.set_item("line", line)?;
                    kwargs.set_item("column", column)?;
                    kwargs.set_item("key", (!key.is_empty()).then_some(key))?;
                }
                Error::Settings { file, key, .. } => {
                    kwargs.set_item("file", file)?;
                    kwargs.set_item("key", (!key.is_empty()).then_some(key))?;
                }
                Error::Store {
                    backend, retryable, ..
                } => {
                    kwargs.set_item("backend", backend)?;
                    kwargs.set_item("retryable", retryable)?;
                }
                Error::Fit { model, .. } => kwargs.set_item("model", model)?,
                _ => {}
            }
            class.call((message, code), Some(&kwargs))?
        }
    };
    Ok(PyErr::from_value(exc))
}
