//! The quality engine as Python sees it: `_RuleSet` (a rule set), `check_quality` (one
//! check of records in the unified JSON form), and the report helpers.
//!
//! All of it is private: `nexus.RuleSet`, `nexus.check_quality` and `nexus.QualityReport`
//! wrap it. Records, reports and rule lists cross the boundary as JSON text; timestamps as
//! RFC 3339 text.

use std::path::PathBuf;

use pyo3::prelude::*;

use nexus_core::Error;
use nexus_core::model::EntityKind;
use nexus_core::quality::{QualityEngine, QualityReport, RuleSet};

use crate::connectors::parse_time;
use crate::{Payload, run};

/// Why the `expect`s below cannot fail: rule summaries and catalog entries are plain
/// structs of strings, booleans and enums, which always serialize.
const SERIALIZES: &str = "rule descriptions serialize to JSON";

/// A rule set: the default pack, or one read from a YAML or JSON rule file (private: use
/// `nexus.RuleSet`).
#[pyclass(module = "nexus._nexus", name = "_RuleSet", frozen)]
pub(crate) struct PyRuleSet {
    rules: RuleSet,
}

impl PyRuleSet {
    fn wrap(
        py: Python<'_>,
        read: impl FnOnce() -> Result<RuleSet, Error> + Send,
    ) -> PyResult<Self> {
        run(py, read).map(|rules| PyRuleSet { rules })
    }
}

#[pymethods]
impl PyRuleSet {
    /// The default pack: every built-in rule, enabled, with its default settings.
    #[staticmethod]
    fn default() -> Self {
        PyRuleSet {
            rules: RuleSet::default_pack(),
        }
    }

    /// Reads a rule file, YAML or JSON by its extension (`.yaml`, `.yml`, `.json`).
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        Self::wrap(py, || RuleSet::from_file(&path))
    }

    /// Reads rules from YAML text.
    #[staticmethod]
    fn from_yaml(py: Python<'_>, text: &str) -> PyResult<Self> {
        Self::wrap(py, || RuleSet::from_yaml(text))
    }

    /// Reads rules from JSON text.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        Self::wrap(py, || RuleSet::from_json(text))
    }

    /// The rules of the set, enabled or not, as the JSON text of a list of objects.
    fn rules(&self) -> String {
        serde_json::to_string(&self.rules.rules()).expect(SERIALIZES)
    }
}

/// Every built-in rule as documented, as the JSON text of a list of objects.
#[pyfunction]
pub(crate) fn rule_catalog() -> String {
    serde_json::to_string(RuleSet::catalog()).expect(SERIALIZES)
}

/// Checks (and, with `cleanse`, cleanses) records given as JSON in the unified form.
///
/// `entity` names the kind of records of a list; `None` means `records` is an object
/// holding lists under `orders`, `customers`, `products`, `variants` and `refunds`, checked
/// together with the cross-entity rules. `previous` is the JSON text of an earlier report,
/// to set the trend against; `as_of` is the RFC 3339 time the data is judged at.
///
/// Returns `(report, records)`: the report's JSON text, and the cleansed records' JSON text
/// when `cleanse` is set (else `None`).
#[pyfunction]
#[pyo3(signature = (entity, records, *, rules=None, cleanse=false, previous=None, as_of=None))]
pub(crate) fn check_quality(
    py: Python<'_>,
    entity: Option<&str>,
    records: Payload,
    rules: Option<PyRef<'_, PyRuleSet>>,
    cleanse: bool,
    previous: Option<&str>,
    as_of: Option<&str>,
) -> PyResult<(String, Option<String>)> {
    let rules = rules.map(|r| r.rules.clone()).unwrap_or_default();
    let payload = records.as_bytes();
    run(py, || {
        let mut engine = QualityEngine::new(rules);
        if let Some(text) = as_of {
            engine = engine.as_of(parse_time("as_of", text)?);
        }
        let entity = entity.map(str::parse::<EntityKind>).transpose()?;
        let previous = previous.map(QualityReport::from_json).transpose()?;
        let check = engine.check_json(entity, payload, cleanse, previous.as_ref())?;
        Ok((check.report.to_json(), check.records))
    })
}

/// Reads a report's JSON text and writes it again in the form `QualityReport::to_json`
/// gives; a text that is not a Nexus quality report raises `nexus.InvalidArgumentError`.
#[pyfunction]
pub(crate) fn report_from_json(py: Python<'_>, text: &str) -> PyResult<String> {
    run(py, || QualityReport::from_json(text).map(|r| r.to_json()))
}

/// The self-contained HTML page of a report given as JSON text.
#[pyfunction]
pub(crate) fn report_html(py: Python<'_>, report_json: &str) -> PyResult<String> {
    run(py, || {
        QualityReport::from_json(report_json).map(|r| r.to_html())
    })
}
