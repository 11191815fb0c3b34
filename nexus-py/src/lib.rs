//! `nexus._nexus`: the native half of the `nexus` Python package.
//!
//! This module is private: users import `nexus`, whose pure-Python layer turns what these
//! functions return into the public types (`MappingResult`, `MappingError`, dicts).
//!
//! Every function here is thin: it converts its arguments, calls one `nexus-core` function
//! through [`run`] (or, for network calls, [`runtime::run_async`]), and converts the result.
//! Errors become Python exceptions in exactly one place, [`errors::to_py_err`].
//!
//! The connectors (`_Connector`, `_PageIter`) are in [`connectors`], the fake stores
//! (`_FakeStore`) in [`fake`], the quality engine (`_RuleSet`, `check_quality`) in
//! [`quality`], the manager (`_Manager`, `_Cancel`) in [`manager`], tables across the
//! boundary (`_Table`, read and written through the Arrow PyCapsule interface) in
//! [`arrow`], the customer analytics (`summary_data`, `rfm`, `kpis`, `cohorts`) in
//! [`analytics`], the lifetime-value models (`_PurchaseModel`, `_GammaGamma`) in [`clv`],
//! the k-means segments and purchase propensity (`segment_customers`,
//! `purchase_propensity`) in [`segments`], and forecasting (`_FittedEts`, `cross_validate`,
//! `forecast_many`, `forecast_sales`, `product_performance`, `intermittent_forecast`) in
//! [`forecast`].

mod analytics;
mod arrow;
mod clv;
mod connectors;
mod errors;
mod fake;
mod forecast;
mod manager;
mod quality;
mod runtime;
mod segments;

use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};

use nexus_core::Error;
use nexus_core::error::DataError;
use nexus_core::model::Currency;

/// One data error as Python sees it: `(index, id, path, code, message)`.
///
/// The Python layer builds a `nexus.MappingError` from each of these.
type ErrorTuple = (Option<usize>, Option<String>, String, &'static str, String);

fn error_tuple(e: DataError) -> ErrorTuple {
    let code = e.code();
    (e.index, e.id, e.path, code, e.message)
}

/// Runs a core call with the GIL released and turns its error into a Python exception.
///
/// Every call into `nexus-core` from Python goes through here, so every long call lets
/// other Python threads run, and every `nexus_core::Error` is converted the same way.
fn run<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> Result<T, Error> + Send,
    T: Send,
{
    py.detach(f).map_err(|e| errors::to_py_err(py, e))
}

/// A payload as the native functions accept it: text or bytes, borrowed from Python.
#[derive(FromPyObject)]
enum Payload {
    Bytes(PyBackedBytes),
    Text(PyBackedStr),
}

impl Payload {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Payload::Bytes(b) => b,
            Payload::Text(s) => s.as_bytes(),
        }
    }
}

/// Maps a platform payload to the unified JSON form.
///
/// Returns `(records, errors)`: `records` is the JSON text of an array of unified records,
/// `errors` a list of `(index, id, path, code, message)` tuples, one per record that did
/// not map (and one for a payload-level problem such as truncated JSON).
#[pyfunction]
#[pyo3(signature = (platform, entity, payload, *, store=None, currency=None, keep_unmapped=true))]
fn map_json(
    py: Python<'_>,
    platform: &str,
    entity: &str,
    payload: Payload,
    store: Option<&str>,
    currency: Option<&str>,
    keep_unmapped: bool,
) -> PyResult<(String, Vec<ErrorTuple>)> {
    let payload = payload.as_bytes();
    let out = run(py, || {
        let mut mapper =
            nexus_core::mapping::Mapper::new(platform.parse()?).keep_unmapped(keep_unmapped);
        if let Some(store) = store {
            mapper = mapper.store(store);
        }
        if let Some(code) = currency {
            mapper = mapper.currency(Currency::parse(code)?);
        }
        mapper.map_json(entity.parse()?, payload)
    })?;
    Ok((
        out.records,
        out.errors.into_iter().map(error_tuple).collect(),
    ))
}

/// What `verify_webhook` returns: topic, entity, event, source, delivery id, deleted id,
/// the records' JSON text and the mapping errors.
type WebhookTuple = (
    String,
    Option<&'static str>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Vec<ErrorTuple>,
);

/// Verifies a webhook's signature and maps its body.
#[pyfunction]
#[pyo3(signature = (platform, secret, headers, body, *, store=None))]
fn verify_webhook(
    py: Python<'_>,
    platform: &str,
    secret: &str,
    headers: Vec<(String, String)>,
    body: Payload,
    store: Option<&str>,
) -> PyResult<WebhookTuple> {
    let body = body.as_bytes();
    run(py, || {
        let hook = nexus_core::platform::verify_webhook(platform.parse()?, secret, &headers, body)?;
        let mapped = hook.map_json(store.unwrap_or("default"))?;
        Ok((
            hook.topic,
            hook.entity.map(|e| e.plural()),
            hook.event,
            hook.source,
            hook.delivery_id,
            hook.deleted_id,
            mapped.records,
            mapped.errors.into_iter().map(error_tuple).collect(),
        ))
    })
}

/// The JSON Schema of the unified records, as JSON text.
#[pyfunction]
fn json_schema() -> String {
    nexus_core::schema::json_schema_string()
}

/// Native part of the `nexus` package (private: import `nexus` instead).
#[pymodule]
mod _nexus {
    #[pymodule_export]
    use super::{json_schema, map_json, verify_webhook};

    #[pymodule_export]
    use super::analytics::{cohorts, customer_table, kpis, rfm_scores, rfm_segments, summary_data};

    #[pymodule_export]
    use super::arrow::PyTable;

    #[pymodule_export]
    use super::clv::{PyGammaGamma, PyPurchaseModel};

    #[pymodule_export]
    use super::connectors::{Connector, PageIter};

    #[pymodule_export]
    use super::fake::PyFakeStore;

    #[pymodule_export]
    use super::forecast::{
        PyFittedEts, cross_validate, forecast_many, forecast_sales, intermittent_forecast,
        product_performance,
    };

    #[pymodule_export]
    use super::manager::{PyCancel, PyManager, sync_report_text};

    #[pymodule_export]
    use super::segments::{purchase_propensity, segment_customers};

    #[pymodule_export]
    use super::quality::{PyRuleSet, check_quality, report_from_json, report_html, rule_catalog};

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", nexus_core::VERSION)
    }
}
