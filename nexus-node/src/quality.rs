//! The quality engine as Node sees it: `RuleSet`, `checkQuality` and `QualityReport`.
//!
//! Records cross the boundary as JSON text (one `JSON.stringify` of what the caller gives)
//! and go to [`QualityEngine::check_json`]. The report comes back as the core's JSON form,
//! turned into JavaScript values by one `JSON.parse` when the report is made and kept with
//! it, so the getters of `QualityReport` return the very objects of the report's JSON
//! (snake_case keys, as Python and the JSON file have them) without converting anything
//! again.

use std::str::FromStr;

use napi::bindgen_prelude::{
    ClassInstance, FromNapiValue, JavaScriptClassExt, JsObjectValue, Null, Object, ObjectFinalize,
    ObjectRef, Unknown,
};
use napi::{Env, ValueType};
use napi_derive::napi;
use nexus_core::Error;
use nexus_core::model::EntityKind;
use nexus_core::quality::{self as core, JsonCheck, QualityEngine};

use crate::connectors::{format_time, options, parse_time};
use crate::{JsResultExt, Payload, Result, parse_json, payload_bytes};

fn invalid(name: &'static str, message: impl Into<String>) -> Error {
    Error::InvalidArgument {
        name,
        message: message.into(),
    }
}

/// A set of quality rules with their settings, the score weights, the grade scale and the
/// cleansing options: the default pack, or the default pack changed by a rule file.
#[napi]
pub struct RuleSet {
    inner: core::RuleSet,
}

#[napi]
impl RuleSet {
    /// The default pack: every built-in rule, enabled, with its default settings (each
    /// rule is documented in `docs/quality-rules.md`).
    #[napi(factory, js_name = "default")]
    pub fn default_pack() -> Self {
        RuleSet {
            inner: core::RuleSet::default_pack(),
        }
    }

    /// Reads a rule file, YAML or JSON by its extension (`.yaml`, `.yml` or `.json`).
    /// A mistake throws an Error with code `"invalid_rules"` whose message names the file,
    /// the line and column, and the key (`shop.yaml:3:3: rules.order.totl_matches: ...`).
    #[napi(factory)]
    pub fn from_file(path: String) -> Result<Self> {
        let inner = core::RuleSet::from_file(path).js()?;
        Ok(RuleSet { inner })
    }

    /// Reads rules from YAML text. Throws with code `"invalid_rules"` like `fromFile`.
    #[napi(factory)]
    pub fn from_yaml(text: String) -> Result<Self> {
        let inner = core::RuleSet::from_yaml(&text).js()?;
        Ok(RuleSet { inner })
    }

    /// Reads rules from JSON text (the same shape as YAML). Throws with code
    /// `"invalid_rules"` like `fromFile`.
    #[napi(factory)]
    pub fn from_json(text: String) -> Result<Self> {
        let inner = core::RuleSet::from_json(&text).js()?;
        Ok(RuleSet { inner })
    }

    /// Every rule of the set, enabled or not: the built-in rules, then the field rules.
    /// Each read returns a new array.
    #[napi(getter, ts_return_type = "QualityRuleSummary[]")]
    pub fn rules<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        let text = serde_json::to_string(&self.inner.rules()).js()?;
        parse_json(env, &text)
    }
}

/// Options of `checkQuality`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct QualityOptions<'a> {
    /// The entity of a list of records (`"orders"`, `"customers"`, `"products"`,
    /// `"variants"` or `"refunds"`; the singular works too). Required for a list; left out
    /// for a dataset object, whose keys name the entities.
    #[napi(ts_type = "QualityEntity")]
    pub entity: Option<String>,
    /// The rules to run (default `RuleSet.default()`).
    #[napi(ts_type = "RuleSet | null")]
    pub rules: Option<Unknown<'a>>,
    /// Cleanse the records before checking them (default `false`); the report then holds
    /// the changes in `cleansing` and the cleansed records in `cleansedRecords`.
    pub cleanse: Option<bool>,
    /// An earlier report (a `QualityReport` or its JSON text) to compare against: the new
    /// report's `trend` says how the scores moved.
    #[napi(ts_type = "QualityReport | string | null")]
    pub previous: Option<Unknown<'a>>,
    /// The time the data is judged at, as RFC 3339 text (`"2024-06-01T00:00:00Z"`; default:
    /// now). Future dates and stale orders are judged against it, and the report is
    /// reproducible with it.
    pub as_of: Option<String>,
}

const QUALITY_OPTIONS: &[&str] = &["entity", "rules", "cleanse", "previous", "asOf"];

/// `value`, or `None` when it is `null` or `undefined`.
fn given(value: Option<Unknown<'_>>) -> Result<Option<Unknown<'_>>> {
    match value {
        Some(v) if !matches!(v.get_type().js()?, ValueType::Null | ValueType::Undefined) => {
            Ok(Some(v))
        }
        _ => Ok(None),
    }
}

/// The `RuleSet` instance behind `value`. The class is checked first: unwrapping an
/// object of another class as a rule set would read the wrong memory.
fn rule_set<'env>(env: &Env, value: Unknown<'env>) -> Result<ClassInstance<'env, RuleSet>> {
    if value.get_type().js()? != ValueType::Object || !RuleSet::instance_of(env, &value).js()? {
        return Err(invalid(
            "rules",
            "must be a RuleSet (RuleSet.default(), RuleSet.fromFile(path), RuleSet.fromYaml(text) or RuleSet.fromJson(text))",
        ))
        .js();
    }
    ClassInstance::<RuleSet>::from_unknown(value).js()
}

/// The previous report given as `previous`: the instance of an earlier check, or the
/// report read from its JSON text.
enum Previous<'env> {
    Instance(ClassInstance<'env, QualityReport>),
    Parsed(Box<core::QualityReport>),
}

impl Previous<'_> {
    fn read<'env>(env: &Env, value: Unknown<'env>) -> Result<Previous<'env>> {
        match value.get_type().js()? {
            ValueType::String => {
                let text = String::from_unknown(value).js()?;
                Ok(Previous::Parsed(Box::new(
                    core::QualityReport::from_json(&text).js()?,
                )))
            }
            // The class is checked first, as for `rules`.
            ValueType::Object if QualityReport::instance_of(env, &value).js()? => {
                Ok(Previous::Instance(ClassInstance::from_unknown(value).js()?))
            }
            _ => Err(invalid(
                "previous",
                "must be a QualityReport or the JSON text of one (report.toJson())",
            ))
            .js(),
        }
    }

    fn report(&self) -> &core::QualityReport {
        match self {
            Previous::Instance(instance) => &instance.report,
            Previous::Parsed(report) => report,
        }
    }
}

/// Checks records against quality rules and returns the report: scores per DAMA dimension
/// and overall (0-100), a grade A+ to F, counts per rule, every violation, the cleansing
/// log, ranked recommendations and the trend against `options.previous`.
///
/// `records` is a list of unified records of `options.entity` (what `mapOrders(...)`
/// gives in `records`), or a dataset: an object holding lists under `orders`,
/// `customers`, `products`, `variants` and `refunds`, checked together with the
/// cross-entity rules (`options.entity` is then left out). Either can also be given as
/// JSON text or its UTF-8 bytes. A record that is not in the unified form is listed in the
/// report's `rejected` and does not stop the others being checked.
///
/// Throws with code `"invalid_argument"` for a list without `options.entity`, a
/// misspelt option or a bad `asOf`; `"unknown_entity"` for an unknown entity;
/// `"invalid_json"` for text that is not JSON.
#[napi(ts_args_type = "...args: CheckQualityArgs")]
pub fn check_quality(
    env: &Env,
    records: Payload<'_>,
    options: Option<Object<'_>>,
) -> Result<QualityReport> {
    let QualityOptions {
        entity,
        rules,
        cleanse,
        previous,
        as_of,
    } = self::options(env, "options", options, QUALITY_OPTIONS)
        .js()?
        .unwrap_or_default();
    let entity = entity
        .as_deref()
        .map(EntityKind::from_str)
        .transpose()
        .js()?;
    let bytes = payload_bytes(env, "records", &records)?;
    let is_list = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if entity.is_none() && is_list {
        return Err(invalid(
            "entity",
            "a list of records needs `entity` (\"orders\", \"customers\", \"products\", \"variants\" or \"refunds\"); leave it out only for a dataset object with lists under those keys",
        ))
        .js();
    }
    let rules = match given(rules)? {
        Some(value) => rule_set(env, value)?.inner.clone(),
        None => core::RuleSet::default_pack(),
    };
    let previous = given(previous)?
        .map(|value| Previous::read(env, value))
        .transpose()?;
    let mut engine = QualityEngine::new(rules);
    if let Some(at) = as_of {
        engine = engine.as_of(parse_time("asOf", &at).js()?);
    }
    let JsonCheck { report, records } = engine
        .check_json(
            entity,
            &bytes,
            cleanse.unwrap_or(false),
            previous.as_ref().map(Previous::report),
        )
        .js()?;
    QualityReport::new(env, report, records.as_deref())
}

/// What a quality check found. The getters return the values of the report's JSON form
/// (`toJSON()`), with its snake_case keys; each returns the same object on every read, so
/// a change made to it shows in later reads and in `toJSON()`, but not in `toJson()` or
/// `toHtml()`, which are written from the report as the check made it.
#[napi(custom_finalize)]
pub struct QualityReport {
    report: core::QualityReport,
    /// `{ json, dimensions, cleansedRecords }`: the report's JSON form parsed by
    /// `JSON.parse`, the score of each dimension, and the cleansed records (or `null`).
    /// Released when the report is garbage-collected.
    values: ObjectRef<false>,
}

impl ObjectFinalize for QualityReport {
    fn finalize(self, env: Env) -> napi::Result<()> {
        self.values.unref(&env)
    }
}

impl QualityReport {
    pub(crate) fn new(
        env: &Env,
        report: core::QualityReport,
        records: Option<&str>,
    ) -> Result<Self> {
        let text = serde_json::to_string(&report).js()?;
        let mut values = Object::new(env).js()?;
        values.set("json", parse_json(env, &text)?).js()?;
        let mut dimensions = Object::new(env).js()?;
        for (dimension, score) in &report.dimensions {
            dimensions.set(dimension.as_str(), score.score).js()?;
        }
        values.set("dimensions", dimensions).js()?;
        match records {
            Some(records) => values.set("cleansedRecords", parse_json(env, records)?),
            None => values.set("cleansedRecords", Null),
        }
        .js()?;
        let values = values.create_ref::<false>().js()?;
        Ok(QualityReport { report, values })
    }

    /// One of the values kept with the report.
    fn value<'env>(&self, env: &'env Env, key: &str) -> Result<Unknown<'env>> {
        self.values
            .get_value(env)
            .js()?
            .get_named_property(key)
            .js()
    }

    /// A field of the report's JSON form.
    fn field<'env>(&self, env: &'env Env, key: &str) -> Result<Unknown<'env>> {
        self.json(env)?.get_named_property(key).js()
    }

    /// The report's JSON form.
    fn json<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        self.values
            .get_value(env)
            .js()?
            .get_named_property("json")
            .js()
    }
}

#[napi]
impl QualityReport {
    /// Reads a report written by `toJson()` or `JSON.stringify(report)`, for instance to
    /// compare a new check against it. Its `cleansedRecords` is `null`. Throws with code
    /// `"invalid_argument"` when the text is not a Nexus quality report.
    #[napi(factory)]
    pub fn from_json(env: &Env, text: String) -> Result<Self> {
        let report = core::QualityReport::from_json(&text).js()?;
        QualityReport::new(env, report, None)
    }

    /// Overall score, 0-100 (two decimals).
    #[napi(getter)]
    pub fn score(&self) -> f64 {
        self.report.score
    }

    /// Grade of the overall score, `"A+"` to `"F"` (or the rule set's own grades).
    #[napi(getter)]
    pub fn grade(&self) -> String {
        self.report.grade.clone()
    }

    /// How many records were checked (records in `rejected` are not counted).
    #[napi(getter)]
    pub fn records(&self) -> f64 {
        self.report.records as f64
    }

    /// The time the data was judged at (RFC 3339, UTC).
    #[napi(getter)]
    pub fn generated_at(&self) -> String {
        format_time(&self.report.generated_at)
    }

    /// The version of Nexus that made the report.
    #[napi(getter)]
    pub fn nexus_version(&self) -> String {
        self.report.nexus_version.clone()
    }

    /// The score of each dimension, `null` for a dimension that no enabled rule checked.
    #[napi(getter, ts_return_type = "Record<QualityDimension, number | null>")]
    pub fn dimensions<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        self.value(env, "dimensions")
    }

    /// Each dimension's score, weight, records checked and records failed (the JSON's
    /// `dimensions`).
    #[napi(
        getter,
        ts_return_type = "Record<QualityDimension, QualityDimensionScore>"
    )]
    pub fn dimension_details<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        self.field(env, "dimensions")
    }

    /// Scores per entity.
    #[napi(getter, ts_return_type = "QualityGroupScore[]")]
    pub fn entities<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        self.field(env, "entities")
    }

    /// Scores per store.
    #[napi(getter, ts_return_type = "QualityGroupScore[]")]
    pub fn stores<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        self.field(env, "stores")
    }

    /// How each rule that ran fared.
    #[napi(getter, ts_return_type = "QualityRuleCount[]")]
    pub fn rules<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        self.field(env, "rules")
    }

    /// Every violation, in record order.
    #[napi(getter, ts_return_type = "QualityViolation[]")]
    pub fn violations<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        self.field(env, "violations")
    }

    /// Every change cleansing made, in order (the JSON's `cleansing.changes`); empty when
    /// cleansing did not run.
    #[napi(getter, ts_return_type = "QualityChange[]")]
    pub fn cleansing<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        let log: Object<'env> = self.json(env)?.get_named_property("cleansing").js()?;
        log.get_named_property("changes").js()
    }

    /// What to do, most important first.
    #[napi(getter, ts_return_type = "QualityRecommendation[]")]
    pub fn recommendations<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        self.field(env, "recommendations")
    }

    /// How the scores moved against `options.previous`; `null` when none was given.
    #[napi(getter, ts_return_type = "QualityTrend | null")]
    pub fn trend<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        self.field(env, "trend")
    }

    /// Records that are not in the unified form, so no rule could check them.
    #[napi(getter, ts_return_type = "QualityRejected[]")]
    pub fn rejected<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        self.field(env, "rejected")
    }

    /// With `cleanse: true`, the records cleansed, in the order and shape given (a list,
    /// or a dataset object); records listed in `rejected` are passed through unchanged.
    /// `null` when cleansing was not asked for.
    #[napi(getter, ts_return_type = "QualityRecord[] | QualityDataset | null")]
    pub fn cleansed_records<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        self.value(env, "cleansedRecords")
    }

    /// A self-contained HTML page for a shop owner: grade, dimension scores, top issues
    /// with examples, recommendations. No script and nothing loaded from the network.
    #[napi]
    pub fn to_html(&self) -> String {
        self.report.to_html()
    }

    /// The report as JSON text (pretty-printed), for `QualityReport.fromJson`.
    #[napi]
    pub fn to_json(&self) -> String {
        self.report.to_json()
    }

    /// The report's JSON form as a plain object (what `JSON.stringify(report)` writes).
    #[napi(js_name = "toJSON", ts_return_type = "QualityReportJson")]
    pub fn to_json_value<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        self.value(env, "json")
    }
}
