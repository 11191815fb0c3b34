//! Rule sets: the default pack, changed in code (a builder) or by YAML and JSON rule files.
//!
//! A rule file (YAML shown; JSON has the same shape):
//!
//! ```yaml
//! version: 1
//! extends: default          # or "none": start from no built-in rule
//! rules:
//!   order.total_matches: { tolerance: "0.05" }
//!   order.phone_plausible: { enabled: false }
//!   order.currency_iso4217: { allowed: [USD, CAD], severity: warning }
//!   customer.required: { fields: [email, phone] }
//!   order.future_date: { max_future_skew: 1h }
//! field_rules:
//!   - id: shop.note_length
//!     entity: order
//!     field: note
//!     length: { max: 500 }
//!     severity: info
//!   - id: shop.tier
//!     entity: customer
//!     field: metadata.tier
//!     allowed: [gold, silver, bronze]
//! weights: { validity: 30, accuracy: 10 }
//! grades: [{grade: A, min: 90}, {grade: B, min: 80}, {grade: C, min: 70}, {grade: F, min: 0}]
//! cleansing: { enabled: true, cleansers: [trim_whitespace, lowercase_email], skip_fields: [phone] }
//! ```
//!
//! Mistakes get an [`Error::Rules`] naming the file, the line and column, and the key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use chrono::TimeDelta;
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::catalog::{ALL, Builtin, CATALOG, Param};
use super::cleanse::{Cleanser, CleansingOptions};
use super::field::FieldPath;
use super::rules::known_fields;
use super::{Dimension, Severity};
use crate::error::Error;
use crate::model::EntityKind;

/// The settings of one built-in rule.
#[derive(Debug, Clone)]
pub(crate) struct RuleConfig {
    pub enabled: bool,
    pub severity: Severity,
    pub tolerance: Decimal,
    pub fields: Vec<String>,
    /// `fields` as positions in [`known_fields`] of the rule's entity, so the rule does
    /// not compare names on every record.
    pub field_ids: Vec<u16>,
    pub allowed: Option<Vec<String>>,
    pub max_future_skew: TimeDelta,
    pub days: i64,
}

impl RuleConfig {
    /// Sets the required fields (already checked to be known ones).
    pub(crate) fn set_fields(&mut self, entity: EntityKind, fields: Vec<String>) {
        let known = known_fields(entity);
        self.fields.clear();
        self.field_ids.clear();
        for f in fields {
            if let Some(i) = known.iter().position(|k| *k == f) {
                self.field_ids.push(i as u16);
                self.fields.push(f);
            }
        }
    }

    fn default_for(rule: Builtin) -> Self {
        let info = rule.info();
        let fields: &[&str] = match info.entity {
            EntityKind::Order => &[
                "number",
                "email",
                "line_items",
                "billing_address.country_code",
            ],
            EntityKind::Customer => &["email", "first_name", "last_name"],
            EntityKind::Product => &["name"],
            EntityKind::Variant => &["sku", "price"],
            EntityKind::Refund => &["order_id"],
            EntityKind::Transaction => &[],
        };
        let mut c = RuleConfig {
            enabled: true,
            severity: info.severity,
            tolerance: Decimal::new(1, 2),
            fields: Vec::new(),
            field_ids: Vec::new(),
            allowed: None,
            max_future_skew: TimeDelta::minutes(10),
            days: 30,
        };
        c.set_fields(
            info.entity,
            fields.iter().map(|s| (*s).to_owned()).collect(),
        );
        c
    }
}

/// How a user field rule checks its field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldCheck {
    /// The field is present and not null, empty text or an empty list.
    Required,
    /// Text values match the regular expression (numbers are matched as their text).
    Pattern(String),
    /// Numeric values (numbers or decimal strings) lie within the bounds.
    Range {
        /// The smallest allowed value.
        min: Option<f64>,
        /// The largest allowed value.
        max: Option<f64>,
    },
    /// Values are one of these (compared as text).
    Allowed(Vec<String>),
    /// The length of text (in characters) or of a list lies within the bounds.
    Length {
        /// The shortest allowed.
        min: Option<usize>,
        /// The longest allowed.
        max: Option<usize>,
    },
}

/// A rule a user adds without writing Rust: one check on one field of one entity.
///
/// `field` is a path in the unified JSON form: `note`, `billing_address.postal_code`,
/// `line_items[].sku` (every line), `metadata.tier` (a platform field kept in metadata).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldRule {
    /// The rule's id, as it appears in reports (must not clash with a built-in id).
    pub id: String,
    /// The entity it checks.
    pub entity: EntityKind,
    /// The field's path.
    pub field: String,
    /// The check.
    pub check: FieldCheck,
    /// The severity of a violation (default warning).
    pub severity: Severity,
    /// The dimension (default completeness for `Required`, validity otherwise).
    pub dimension: Dimension,
    /// The message of a violation, instead of the generated one.
    pub message: Option<String>,
}

impl FieldRule {
    /// A field rule with the default severity and dimension.
    pub fn new(
        id: impl Into<String>,
        entity: EntityKind,
        field: impl Into<String>,
        check: FieldCheck,
    ) -> Self {
        let dimension = if check == FieldCheck::Required {
            Dimension::Completeness
        } else {
            Dimension::Validity
        };
        FieldRule {
            id: id.into(),
            entity,
            field: field.into(),
            check,
            severity: Severity::Warning,
            dimension,
            message: None,
        }
    }

    /// Sets the severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Sets the dimension.
    pub fn dimension(mut self, dimension: Dimension) -> Self {
        self.dimension = dimension;
        self
    }

    /// Sets the message of its violations.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

/// The weight of each dimension in the overall score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Weights(pub [f64; 6]);

impl Default for Weights {
    fn default() -> Self {
        // completeness, validity, consistency, uniqueness, timeliness, accuracy
        Weights([20.0, 25.0, 20.0, 10.0, 10.0, 15.0])
    }
}

impl Weights {
    /// The weight of a dimension.
    pub fn get(&self, d: Dimension) -> f64 {
        self.0[d.index()]
    }

    /// The weight of a dimension as a share of all weights (0 to 1).
    pub fn share(&self, d: Dimension) -> f64 {
        let total: f64 = self.0.iter().sum();
        if total > 0.0 {
            self.get(d) / total
        } else {
            0.0
        }
    }
}

/// Grades and the lowest score that earns each, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeScale(pub Vec<(String, f64)>);

impl Default for GradeScale {
    fn default() -> Self {
        let steps = [
            ("A+", 97.0),
            ("A", 93.0),
            ("A-", 90.0),
            ("B+", 87.0),
            ("B", 83.0),
            ("B-", 80.0),
            ("C+", 77.0),
            ("C", 73.0),
            ("C-", 70.0),
            ("D+", 67.0),
            ("D", 63.0),
            ("D-", 60.0),
            ("F", 0.0),
        ];
        GradeScale(steps.iter().map(|(g, m)| ((*g).to_owned(), *m)).collect())
    }
}

impl GradeScale {
    /// The grade of a score.
    pub fn grade(&self, score: f64) -> &str {
        self.0
            .iter()
            .find(|(_, min)| score >= *min)
            .or(self.0.last())
            .map(|(g, _)| g.as_str())
            .unwrap_or("F")
    }

    /// The position of a grade on the scale (0 is the best), if it is on it.
    pub fn rank(&self, grade: &str) -> Option<usize> {
        self.0.iter().position(|(g, _)| g == grade)
    }

    fn validate(&self) -> Result<(), String> {
        if self.0.is_empty() {
            return Err("the grade scale is empty".into());
        }
        if !self.0.windows(2).all(|w| w[0].1 > w[1].1) {
            return Err(
                "grades must be listed best first, each with a lower `min` than the one before"
                    .into(),
            );
        }
        if self.0.last().is_some_and(|(_, m)| *m > 0.0) {
            return Err("the last grade must have `min: 0`, so every score gets a grade".into());
        }
        Ok(())
    }
}

/// A set of rules with their settings, the score weights, the grade scale and the
/// cleansing options.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub(crate) builtin: Vec<RuleConfig>,
    pub(crate) field_rules: Vec<(FieldRule, FieldPath)>,
    pub(crate) weights: Weights,
    pub(crate) grades: GradeScale,
    pub(crate) cleansing: CleansingOptions,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet::default_pack()
    }
}

/// A rule of a set as listed by [`RuleSet::rules`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSummary {
    /// The rule's id.
    pub id: String,
    /// The entity it checks.
    pub entity: EntityKind,
    /// Its dimension.
    pub dimension: Dimension,
    /// Its severity in this set.
    pub severity: Severity,
    /// Whether it runs.
    pub enabled: bool,
    /// Whether it is a built-in rule (else a field rule).
    pub builtin: bool,
    /// What it checks.
    pub title: String,
}

impl RuleSet {
    /// The default pack: every built-in rule, enabled, with its default settings.
    pub fn default_pack() -> Self {
        RuleSet {
            builtin: ALL.iter().map(|r| RuleConfig::default_for(*r)).collect(),
            field_rules: Vec::new(),
            weights: Weights::default(),
            grades: GradeScale::default(),
            cleansing: CleansingOptions::default(),
        }
    }

    /// A builder starting from the default pack.
    pub fn builder() -> RuleSetBuilder {
        RuleSetBuilder {
            set: RuleSet::default_pack(),
            error: None,
        }
    }

    /// Every built-in rule as documented.
    pub fn catalog() -> &'static [super::RuleInfo] {
        CATALOG
    }

    /// The rules of this set, enabled or not.
    pub fn rules(&self) -> Vec<RuleSummary> {
        let mut out: Vec<RuleSummary> = ALL
            .iter()
            .zip(&self.builtin)
            .map(|(r, c)| {
                let info = r.info();
                RuleSummary {
                    id: info.id.to_owned(),
                    entity: info.entity,
                    dimension: info.dimension,
                    severity: c.severity,
                    enabled: c.enabled,
                    builtin: true,
                    title: info.title.to_owned(),
                }
            })
            .collect();
        out.extend(self.field_rules.iter().map(|(f, _)| RuleSummary {
            id: f.id.clone(),
            entity: f.entity,
            dimension: f.dimension,
            severity: f.severity,
            enabled: true,
            builtin: false,
            title: format!("{} ({:?})", f.field, f.check),
        }));
        out
    }

    /// The cleansing options of this set.
    pub fn cleansing(&self) -> &CleansingOptions {
        &self.cleansing
    }

    /// The score weights of this set.
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// The grade scale of this set.
    pub fn grades(&self) -> &GradeScale {
        &self.grades
    }

    pub(crate) fn config(&self, rule: Builtin) -> &RuleConfig {
        &self.builtin[rule as usize]
    }

    /// Reads a rule file, YAML or JSON by its extension (`.yaml`, `.yml`, `.json`).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Rules {
            file: Some(name.clone()),
            line: None,
            column: None,
            key: String::new(),
            message: format!("cannot read the rule file: {e}"),
        })?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "json" => parse_json(&text, Some(name)),
            "yaml" | "yml" => parse_yaml(&text, Some(name)),
            _ => Err(Error::Rules {
                file: Some(name),
                line: None,
                column: None,
                key: String::new(),
                message: "a rule file must end in .yaml, .yml or .json".into(),
            }),
        }
    }

    /// Reads rules from YAML text.
    pub fn from_yaml(text: &str) -> Result<Self, Error> {
        parse_yaml(text, None)
    }

    /// Reads rules from JSON text.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        parse_json(text, None)
    }
}

/// Changes a rule set in code. Mistakes (an unknown rule id, a setting the rule does not
/// take) are reported by [`RuleSetBuilder::build`].
#[derive(Debug)]
pub struct RuleSetBuilder {
    set: RuleSet,
    error: Option<Error>,
}

impl RuleSetBuilder {
    /// A builder with no built-in rule enabled.
    pub fn empty() -> Self {
        let mut b = RuleSet::builder();
        for c in &mut b.set.builtin {
            c.enabled = false;
        }
        b
    }

    /// Changes rule `id` with `f`, after checking that the rule exists and takes `param`.
    /// A mistake is kept for `build`: under the rule's id when the rule or setting is
    /// wrong, under `id.param` when `f` refuses the value.
    fn with(
        mut self,
        id: &str,
        param: Option<Param>,
        f: impl FnOnce(Builtin, &mut RuleConfig) -> Result<(), String>,
    ) -> Self {
        if self.error.is_some() {
            return self;
        }
        let outcome = match lookup(id, param) {
            Ok(rule) => f(rule, &mut self.set.builtin[rule as usize]).map_err(|message| {
                let key = param.map_or_else(|| id.to_owned(), |p| format!("{id}.{}", p.as_str()));
                (key, message)
            }),
            Err(message) => Err((id.to_owned(), message)),
        };
        if let Err((key, message)) = outcome {
            self.error = Some(Error::Rules {
                file: None,
                line: None,
                column: None,
                key,
                message,
            });
        }
        self
    }

    /// [`with`](Self::with) for a change that cannot be refused.
    fn set(self, id: &str, param: Option<Param>, f: impl FnOnce(&mut RuleConfig)) -> Self {
        self.with(id, param, |_, c| {
            f(c);
            Ok(())
        })
    }

    /// Turns a rule on.
    pub fn enable(self, id: &str) -> Self {
        self.set(id, None, |c| c.enabled = true)
    }

    /// Turns a rule off.
    pub fn disable(self, id: &str) -> Self {
        self.set(id, None, |c| c.enabled = false)
    }

    /// Changes a rule's severity.
    pub fn severity(self, id: &str, severity: Severity) -> Self {
        self.set(id, None, |c| c.severity = severity)
    }

    /// Sets a rule's money tolerance.
    pub fn tolerance(self, id: &str, tolerance: Decimal) -> Self {
        self.set(id, Some(Param::Tolerance), |c| {
            c.tolerance = tolerance.abs()
        })
    }

    /// Sets the fields a `*.required` rule requires.
    pub fn fields<S: Into<String>>(self, id: &str, fields: impl IntoIterator<Item = S>) -> Self {
        let fields: Vec<String> = fields.into_iter().map(Into::into).collect();
        self.with(id, Some(Param::Fields), |rule, c| {
            let entity = rule.info().entity;
            check_fields(entity, &fields)?;
            c.set_fields(entity, fields);
            Ok(())
        })
    }

    /// Sets the codes a currency or country rule allows.
    pub fn allowed<S: Into<String>>(self, id: &str, codes: impl IntoIterator<Item = S>) -> Self {
        let codes = codes
            .into_iter()
            .map(|c| c.into().trim().to_ascii_uppercase())
            .collect();
        self.set(id, Some(Param::Allowed), |c| c.allowed = Some(codes))
    }

    /// Sets how far in the future a timestamp may be.
    pub fn max_future_skew(self, id: &str, skew: std::time::Duration) -> Self {
        let skew = TimeDelta::from_std(skew).unwrap_or(TimeDelta::MAX);
        self.set(id, Some(Param::MaxFutureSkew), |c| c.max_future_skew = skew)
    }

    /// Sets a rule's number of days.
    pub fn days(self, id: &str, days: u32) -> Self {
        self.set(id, Some(Param::Days), |c| c.days = i64::from(days))
    }

    /// Adds a field rule.
    pub fn field_rule(mut self, rule: FieldRule) -> Self {
        if self.error.is_none()
            && let Err(message) = add_field_rule(&mut self.set, rule.clone())
        {
            self.error = Some(Error::Rules {
                file: None,
                line: None,
                column: None,
                key: rule.id,
                message,
            });
        }
        self
    }

    /// Sets a dimension's weight in the overall score.
    pub fn weight(mut self, dimension: Dimension, weight: f64) -> Self {
        if !(weight.is_finite() && weight >= 0.0) && self.error.is_none() {
            self.error = Some(Error::Rules {
                file: None,
                line: None,
                column: None,
                key: format!("weights.{dimension}"),
                message: format!("a weight must be a number of 0 or more, got {weight}"),
            });
        }
        self.set.weights.0[dimension.index()] = weight;
        self
    }

    /// Replaces the grade scale.
    pub fn grades(mut self, grades: GradeScale) -> Self {
        if let Err(message) = grades.validate()
            && self.error.is_none()
        {
            self.error = Some(Error::Rules {
                file: None,
                line: None,
                column: None,
                key: "grades".into(),
                message,
            });
        }
        self.set.grades = grades;
        self
    }

    /// Sets the cleansing options.
    pub fn cleansing(mut self, options: CleansingOptions) -> Self {
        self.set.cleansing = options;
        self
    }

    /// The rule set, or the first mistake made while building it.
    pub fn build(self) -> Result<RuleSet, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.set.weights.0.iter().all(|w| *w == 0.0) {
            return Err(Error::Rules {
                file: None,
                line: None,
                column: None,
                key: "weights".into(),
                message: "at least one dimension needs a weight above 0".into(),
            });
        }
        Ok(self.set)
    }
}

fn lookup(id: &str, param: Option<Param>) -> Result<Builtin, String> {
    let rule = Builtin::from_id(id).ok_or_else(|| unknown_rule(id))?;
    if let Some(p) = param
        && !rule.info().params.contains(&p)
    {
        return Err(param_not_taken(id, p.as_str(), rule));
    }
    Ok(rule)
}

fn unknown_rule(id: &str) -> String {
    let close: Vec<&str> = CATALOG
        .iter()
        .map(|r| r.id)
        .filter(|r| {
            let (a, b) = (r.split_once('.'), id.split_once('.'));
            matches!((a, b), (Some((ea, na)), Some((eb, nb))) if ea == eb && (na.contains(nb) || nb.contains(na)))
                || r.ends_with(id)
        })
        .take(3)
        .collect();
    if close.is_empty() {
        format!("unknown rule `{id}` (the rules are listed in docs/quality-rules.md)")
    } else {
        format!("unknown rule `{id}`; did you mean {}?", close.join(" or "))
    }
}

fn param_not_taken(id: &str, param: &str, rule: Builtin) -> String {
    let mut takes = vec!["enabled", "severity"];
    takes.extend(rule.info().params.iter().map(|p| p.as_str()));
    format!(
        "rule `{id}` has no setting `{param}` (it takes {})",
        takes.join(", ")
    )
}

fn check_fields(entity: EntityKind, fields: &[String]) -> Result<(), String> {
    let known = known_fields(entity);
    for f in fields {
        if !known.contains(&f.as_str()) {
            return Err(format!(
                "`{f}` is not a field a {} rule can require (known: {}); use a field rule for other paths",
                entity.as_str(),
                known.join(", ")
            ));
        }
    }
    Ok(())
}

fn add_field_rule(set: &mut RuleSet, rule: FieldRule) -> Result<(), String> {
    if Builtin::from_id(&rule.id).is_some() {
        return Err(format!("`{}` is the id of a built-in rule", rule.id));
    }
    if set.field_rules.iter().any(|(r, _)| r.id == rule.id) {
        return Err(format!(
            "there are two field rules with the id `{}`",
            rule.id
        ));
    }
    if !matches!(
        rule.entity,
        EntityKind::Order
            | EntityKind::Customer
            | EntityKind::Product
            | EntityKind::Variant
            | EntityKind::Refund
    ) {
        return Err(format!("the quality engine does not check {}", rule.entity));
    }
    let path = FieldPath::compile(&rule.field, &rule.check)?;
    set.field_rules.push((rule, path));
    Ok(())
}

// ---- rule files ----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    version: Option<Version>,
    #[serde(default)]
    extends: Option<Extends>,
    #[serde(default)]
    rules: RulesMap,
    #[serde(default)]
    field_rules: Vec<FieldRuleSpec>,
    #[serde(default)]
    weights: Option<BTreeMap<DimensionKey, NonNegative>>,
    #[serde(default)]
    grades: Option<GradesSpec>,
    #[serde(default)]
    cleansing: Option<CleansingSpec>,
}

#[derive(Deserialize)]
#[serde(try_from = "u32")]
struct Version;

impl TryFrom<u32> for Version {
    type Error = String;
    fn try_from(v: u32) -> Result<Self, String> {
        if v == 1 {
            Ok(Version)
        } else {
            Err(format!("this Nexus reads rule files of version 1, not {v}"))
        }
    }
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Extends {
    Default,
    None,
}

#[derive(Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(try_from = "String")]
struct DimensionKey(Dimension);

impl TryFrom<String> for DimensionKey {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse().map(DimensionKey)
    }
}

#[derive(Deserialize)]
#[serde(try_from = "f64")]
struct NonNegative(f64);

impl TryFrom<f64> for NonNegative {
    type Error = String;
    fn try_from(v: f64) -> Result<Self, String> {
        if v.is_finite() && v >= 0.0 {
            Ok(NonNegative(v))
        } else {
            Err(format!("a weight must be a number of 0 or more, got {v}"))
        }
    }
}

#[derive(Deserialize)]
#[serde(try_from = "Vec<GradeStep>")]
struct GradesSpec(GradeScale);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GradeStep {
    grade: String,
    min: f64,
}

impl TryFrom<Vec<GradeStep>> for GradesSpec {
    type Error = String;
    fn try_from(steps: Vec<GradeStep>) -> Result<Self, String> {
        let scale = GradeScale(steps.into_iter().map(|s| (s.grade, s.min)).collect());
        scale.validate()?;
        Ok(GradesSpec(scale))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CleansingSpec {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    cleansers: Option<Vec<Cleanser>>,
    #[serde(default)]
    fields: Option<Vec<String>>,
    #[serde(default)]
    skip_fields: Option<Vec<String>>,
}

#[derive(Default)]
struct RuleOverride {
    enabled: Option<bool>,
    severity: Option<SeverityText>,
    tolerance: Option<DecimalText>,
    fields: Option<Vec<String>>,
    allowed: Option<Vec<String>>,
    max_future_skew: Option<DurationText>,
    days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(try_from = "String")]
struct SeverityText(Severity);

impl TryFrom<String> for SeverityText {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse().map(SeverityText)
    }
}

struct DecimalText(Decimal);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = d
            .deserialize_any(crate::mapping::de::DecimalVisitor { allow_empty: false })?
            .ok_or_else(|| de::Error::custom("expected a decimal"))?;
        Ok(DecimalText(v))
    }
}

/// A duration: `30s`, `10m`, `2h`, `1d`, or a number of seconds.
struct DurationText(TimeDelta);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TimeDelta;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"30s\", \"10m\", \"2h\" or \"1d\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TimeDelta, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(TimeDelta::try_seconds)
                    .ok_or_else(|| E::custom("the duration is too long"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TimeDelta, E> {
                parse_duration(v).ok_or_else(|| {
                    E::custom(format_args!(
                        "expected a duration such as \"30s\", \"10m\", \"2h\" or \"1d\", got {v:?}"
                    ))
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TimeDelta, A::Error> {
                // serde_json's arbitrary-precision numbers arrive as a one-entry map.
                let text = crate::mapping::de::number_text(map)?;
                self.visit_str(&text)
            }
        }
        d.deserialize_any(V).map(DurationText)
    }
}

fn parse_duration(v: &str) -> Option<TimeDelta> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: i64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "m" | "min" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    TimeDelta::try_seconds(secs)
}

/// The `rules:` map: every key must be a built-in rule, every setting one it takes.
#[derive(Default)]
struct RulesMap(Vec<(Builtin, RuleOverride)>);

impl<'de> Deserialize<'de> for RulesMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RulesMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map from rule ids to their settings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RulesMap, A::Error> {
                let mut out = Vec::new();
                while let Some(RuleKey(rule)) = map.next_key::<RuleKey>()? {
                    let o: RuleOverride = map.next_value_seed(OverrideSeed(rule))?;
                    out.push((rule, o));
                }
                Ok(RulesMap(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A rule id as a key of `rules:`, checked while the key is read (so the error points at
/// the key's own line).
struct RuleKey(Builtin);

impl<'de> Deserialize<'de> for RuleKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RuleKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a rule id")
            }
            fn visit_str<E: de::Error>(self, id: &str) -> Result<RuleKey, E> {
                Builtin::from_id(id)
                    .map(RuleKey)
                    .ok_or_else(|| E::custom(unknown_rule(id)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Deserializes one rule's settings and refuses the settings that rule does not take, at
/// the setting's own line.
struct OverrideSeed(Builtin);

/// A setting's name, checked against the rule while the key is read.
#[derive(Clone, Copy)]
enum SettingKey {
    Enabled,
    Severity,
    Param(Param),
}

struct SettingSeed(Builtin);

impl<'de> de::DeserializeSeed<'de> for SettingSeed {
    type Value = SettingKey;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<SettingKey, D::Error> {
        struct V(Builtin);
        impl<'de> Visitor<'de> for V {
            type Value = SettingKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a setting name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<SettingKey, E> {
                let rule = self.0;
                let param = match name {
                    "enabled" => return Ok(SettingKey::Enabled),
                    "severity" => return Ok(SettingKey::Severity),
                    "tolerance" => Param::Tolerance,
                    "fields" => Param::Fields,
                    "allowed" => Param::Allowed,
                    "max_future_skew" => Param::MaxFutureSkew,
                    "days" => Param::Days,
                    other => return Err(E::custom(param_not_taken(rule.info().id, other, rule))),
                };
                if rule.info().params.contains(&param) {
                    Ok(SettingKey::Param(param))
                } else {
                    Err(E::custom(param_not_taken(rule.info().id, name, rule)))
                }
            }
        }
        d.deserialize_str(V(self.0))
    }
}

impl<'de> de::DeserializeSeed<'de> for OverrideSeed {
    type Value = RuleOverride;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RuleOverride, D::Error> {
        struct V(Builtin);
        impl<'de> Visitor<'de> for V {
            type Value = RuleOverride;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the rule's settings (a map), or nothing")
            }
            fn visit_unit<E: de::Error>(self) -> Result<RuleOverride, E> {
                Ok(RuleOverride::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<RuleOverride, E> {
                Ok(RuleOverride::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RuleOverride, A::Error> {
                let rule = self.0;
                let mut o = RuleOverride::default();
                while let Some(key) = map.next_key_seed(SettingSeed(rule))? {
                    match key {
                        SettingKey::Enabled => o.enabled = Some(map.next_value()?),
                        SettingKey::Severity => o.severity = Some(map.next_value()?),
                        SettingKey::Param(Param::Tolerance) => {
                            o.tolerance = Some(map.next_value()?)
                        }
                        SettingKey::Param(Param::Fields) => {
                            let fields: Vec<String> = map.next_value()?;
                            check_fields(rule.info().entity, &fields).map_err(de::Error::custom)?;
                            o.fields = Some(fields);
                        }
                        SettingKey::Param(Param::Allowed) => o.allowed = Some(map.next_value()?),
                        SettingKey::Param(Param::MaxFutureSkew) => {
                            o.max_future_skew = Some(map.next_value()?)
                        }
                        SettingKey::Param(Param::Days) => o.days = Some(map.next_value()?),
                    }
                }
                Ok(o)
            }
        }
        d.deserialize_any(V(self.0))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFieldRule {
    id: String,
    entity: String,
    field: String,
    #[serde(default)]
    required: Option<bool>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    range: Option<RangeSpec>,
    #[serde(default)]
    allowed: Option<Vec<String>>,
    #[serde(default)]
    length: Option<LengthSpec>,
    #[serde(default)]
    severity: Option<SeverityText>,
    #[serde(default)]
    dimension: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeSpec {
    min: Option<f64>,
    max: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LengthSpec {
    min: Option<usize>,
    max: Option<usize>,
}

#[derive(Deserialize)]
#[serde(try_from = "RawFieldRule")]
struct FieldRuleSpec(FieldRule, FieldPath);

impl TryFrom<RawFieldRule> for FieldRuleSpec {
    type Error = String;
    fn try_from(r: RawFieldRule) -> Result<Self, String> {
        let entity: EntityKind = r.entity.parse().map_err(|e: Error| e.to_string())?;
        let mut checks = Vec::new();
        if r.required == Some(true) {
            checks.push(FieldCheck::Required);
        }
        if let Some(p) = r.pattern {
            checks.push(FieldCheck::Pattern(p));
        }
        if let Some(x) = r.range {
            if x.min.is_none() && x.max.is_none() {
                return Err("`range` needs `min`, `max` or both".into());
            }
            checks.push(FieldCheck::Range {
                min: x.min,
                max: x.max,
            });
        }
        if let Some(a) = r.allowed {
            checks.push(FieldCheck::Allowed(a));
        }
        if let Some(x) = r.length {
            if x.min.is_none() && x.max.is_none() {
                return Err("`length` needs `min`, `max` or both".into());
            }
            checks.push(FieldCheck::Length {
                min: x.min,
                max: x.max,
            });
        }
        if checks.len() != 1 {
            return Err(format!(
                "field rule `{}` needs exactly one of `required: true`, `pattern`, `range`, `allowed`, `length` (it has {})",
                r.id,
                checks.len()
            ));
        }
        let mut rule = FieldRule::new(r.id, entity, r.field, checks.remove(0));
        if let Some(s) = r.severity {
            rule.severity = s.0;
        }
        if let Some(d) = r.dimension {
            rule.dimension = d.parse()?;
        }
        rule.message = r.message;
        let path = FieldPath::compile(&rule.field, &rule.check)?;
        Ok(FieldRuleSpec(rule, path))
    }
}

fn build_from_spec(spec: FileSpec) -> Result<RuleSet, (String, String)> {
    let _ = spec.version;
    let mut set = RuleSet::default_pack();
    if spec.extends == Some(Extends::None) {
        for c in &mut set.builtin {
            c.enabled = false;
        }
    }
    for (rule, o) in spec.rules.0 {
        let c = &mut set.builtin[rule as usize];
        // Naming a rule in a file that starts from no rules turns it on.
        c.enabled = o.enabled.unwrap_or(true);
        if let Some(s) = o.severity {
            c.severity = s.0;
        }
        if let Some(t) = o.tolerance {
            c.tolerance = t.0.abs();
        }
        if let Some(f) = o.fields {
            c.set_fields(rule.info().entity, f);
        }
        if let Some(a) = o.allowed {
            c.allowed = Some(
                a.into_iter()
                    .map(|s| s.trim().to_ascii_uppercase())
                    .collect(),
            );
        }
        if let Some(s) = o.max_future_skew {
            c.max_future_skew = s.0;
        }
        if let Some(d) = o.days {
            c.days = i64::from(d);
        }
    }
    for (i, FieldRuleSpec(rule, path)) in spec.field_rules.into_iter().enumerate() {
        if Builtin::from_id(&rule.id).is_some()
            || set.field_rules.iter().any(|(r, _)| r.id == rule.id)
        {
            return Err((
                format!("field_rules[{i}].id"),
                format!("the id `{}` is already taken", rule.id),
            ));
        }
        set.field_rules.push((rule, path));
    }
    if let Some(w) = spec.weights {
        for (d, v) in w {
            set.weights.0[d.0.index()] = v.0;
        }
        if set.weights.0.iter().all(|w| *w == 0.0) {
            return Err((
                "weights".into(),
                "at least one dimension needs a weight above 0".into(),
            ));
        }
    }
    if let Some(g) = spec.grades {
        set.grades = g.0;
    }
    if let Some(c) = spec.cleansing {
        if let Some(e) = c.enabled {
            set.cleansing.enabled = e;
        }
        if let Some(cl) = c.cleansers {
            set.cleansing.cleansers = cl;
        }
        if let Some(f) = c.fields {
            set.cleansing.fields = Some(f);
        }
        if let Some(f) = c.skip_fields {
            set.cleansing.skip_fields = f;
        }
    }
    Ok(set)
}

/// A rule-file error at a place the deserializer knows (or, for mistakes found after
/// reading, at none).
fn rules_error(
    file: Option<String>,
    place: Option<(usize, usize)>,
    key: String,
    message: String,
) -> Error {
    Error::Rules {
        file,
        line: place.map(|p| p.0),
        column: place.map(|p| p.1),
        key: if key == "." { String::new() } else { key },
        message,
    }
}

fn parse_yaml(text: &str, file: Option<String>) -> Result<RuleSet, Error> {
    let de = serde_yaml_ng::Deserializer::from_str(text);
    let spec: FileSpec = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let place = inner.location().map(|l| (l.line(), l.column()));
        rules_error(file.clone(), place, key, strip_location(&inner.to_string()))
    })?;
    build_from_spec(spec).map_err(|(key, message)| rules_error(file, None, key, message))
}

fn parse_json(text: &str, file: Option<String>) -> Result<RuleSet, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let spec: FileSpec = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let place = (inner.line() > 0).then(|| (inner.line(), inner.column()));
        rules_error(file.clone(), place, key, strip_location(&inner.to_string()))
    })?;
    build_from_spec(spec).map_err(|(key, message)| rules_error(file, None, key, message))
}

/// The deserializers' messages end with their own "at line N column M"; the error names
/// the place in its own fields.
fn strip_location(message: &str) -> String {
    let m = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    // serde_yaml_ng prefixes the path it knows ("rules.x: ..."); the key field has it.
    match m.split_once(": ") {
        Some((head, rest)) if !head.contains(' ') && head.contains('.') => rest.to_owned(),
        _ => m.to_owned(),
    }
}
