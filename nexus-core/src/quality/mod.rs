//! Data quality: declarative rules, audited cleansing, scores, grades, recommendations and
//! reports, for every entity of the unified schema.
//!
//! ```
//! use nexus_core::mapping::map_orders;
//! use nexus_core::model::PlatformKind;
//! use nexus_core::quality::{QualityEngine, RuleSet};
//!
//! let page = br#"{"orders": [{"id": 1, "currency": "usd", "email": "Jane@Example.org ",
//!     "created_at": "2024-01-10T11:00:00Z", "total_price": "10.00", "subtotal_price": "10.00",
//!     "total_line_items_price": "10.00", "financial_status": "paid", "line_items": []}]}"#;
//! let mut orders = map_orders(PlatformKind::Shopify, page).records;
//! let engine = QualityEngine::new(RuleSet::default_pack());
//! let before = engine.check(&orders);
//! assert!(before.violations.iter().any(|v| v.rule == "order.currency_iso4217"));
//! let log = engine.cleanse(&mut orders);
//! assert_eq!(orders[0].currency.as_str(), "USD");
//! assert!(log.changes.iter().any(|c| c.field == "currency"));
//! let after = engine.check(&orders);
//! assert!(after.score > before.score);
//! ```
//!
//! The pieces:
//!
//! - a [`RuleSet`]: the default pack ([`RuleSet::default_pack`], documented rule by rule in
//!   `docs/quality-rules.md`), changed in code with [`RuleSet::builder`] or by a YAML or JSON
//!   file ([`RuleSet::from_yaml`], [`RuleSet::from_json`], [`RuleSet::from_file`]);
//! - a [`QualityEngine`] that checks records ([`QualityEngine::check`]), cleanses them
//!   ([`QualityEngine::cleanse`]) or both ([`QualityEngine::check_and_cleanse`]), for one
//!   entity or a whole [`Dataset`] with its cross-entity checks;
//! - a [`QualityReport`]: scores per DAMA dimension and overall (0-100), a grade A+ to F,
//!   counts per rule, every violation with its record id and field path, the cleansing log,
//!   ranked recommendations and the trend against a previous report. It serializes to JSON
//!   and renders a self-contained HTML page ([`QualityReport::to_html`]).
//!
//! ## Scoring
//!
//! For each dimension, every record checked by at least one enabled rule of that dimension
//! counts once, and loses the weight of the most severe violation it has there: 1 for an
//! error, 0.5 for a warning, 0.1 for an info. The dimension's score is
//! `100 x (1 - lost / records checked)`. The overall score is the mean of the dimension
//! scores weighted by the dimension weights (validity 25, completeness 20, consistency 20,
//! accuracy 15, uniqueness 10, timeliness 10 by default; configurable), over the dimensions
//! that were checked. Scores are given to two decimals. Grades: A+ from 97, A from 93, A-
//! from 90, B+ 87, B 83, B- 80, C+ 77, C 73, C- 70, D+ 67, D 63, D- 60, F below
//! (configurable).

mod catalog;
mod cleanse;
mod config;
mod engine;
mod field;
mod html;
pub(crate) mod refdata;
mod report;
mod rules;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use catalog::Param;
pub use catalog::RuleInfo;
pub use cleanse::{Change, Cleanser, CleansingLog, CleansingOptions};
pub use config::{
    FieldCheck, FieldRule, GradeScale, RuleSet, RuleSetBuilder, RuleSummary, Weights,
};
pub use engine::{Checkable, Dataset, JsonCheck, QualityEngine};
pub use report::{
    DimensionScore, Example, GroupScore, QualityReport, QualitySummary, QualityTally,
    Recommendation, Rejected, RuleCount, RuleTally, Trend, TrendDimension, TrendRule,
};

use crate::model::{EntityKind, PlatformKind};

/// The documentation of the default pack as Markdown (the text of `docs/quality-rules.md`).
pub fn rules_markdown() -> String {
    catalog::markdown()
}

/// How bad a violation is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The record is wrong: totals that do not add up, an unknown currency, a duplicate id.
    Error,
    /// The record is probably wrong or incomplete.
    Warning,
    /// Worth knowing; rarely wrong on its own.
    Info,
}

impl Severity {
    /// The weight a violation of this severity costs its record in the score (1, 0.5, 0.1).
    pub fn weight(self) -> f64 {
        match self {
            Severity::Error => 1.0,
            Severity::Warning => 0.5,
            Severity::Info => 0.1,
        }
    }

    /// The name used in JSON and rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" => Ok(Severity::Error),
            "warning" | "warn" => Ok(Severity::Warning),
            "info" => Ok(Severity::Info),
            _ => Err(format!(
                "unknown severity {s:?}: expected \"error\", \"warning\" or \"info\""
            )),
        }
    }
}

/// The DAMA data-quality dimensions.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Required values are present.
    Completeness,
    /// Values have the right form: syntax, codes, ranges.
    Validity,
    /// Values agree with each other: totals add up, dates in order, statuses match.
    Consistency,
    /// Each thing is recorded once.
    Uniqueness,
    /// Values are current: no dates in the future, no orders pending for months.
    Timeliness,
    /// Values describe the real world: no placeholder addresses, no refunds above payment.
    Accuracy,
}

impl Dimension {
    /// Every dimension, in report order.
    pub const ALL: [Dimension; 6] = [
        Dimension::Completeness,
        Dimension::Validity,
        Dimension::Consistency,
        Dimension::Uniqueness,
        Dimension::Timeliness,
        Dimension::Accuracy,
    ];

    /// The name used in JSON and rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Completeness => "completeness",
            Dimension::Validity => "validity",
            Dimension::Consistency => "consistency",
            Dimension::Uniqueness => "uniqueness",
            Dimension::Timeliness => "timeliness",
            Dimension::Accuracy => "accuracy",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Dimension {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown dimension {s:?}: expected one of completeness, validity, consistency, uniqueness, timeliness, accuracy"
                )
            })
    }
}

/// One problem found in one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Violation {
    /// The rule's id (`"order.total_matches"`).
    pub rule: Cow<'static, str>,
    /// The kind of record.
    pub entity: EntityKind,
    /// The record's platform.
    pub platform: PlatformKind,
    /// The record's store.
    pub store: String,
    /// The record's platform id.
    pub record_id: String,
    /// The record's position in the checked list.
    pub index: usize,
    /// The field, as a path in the unified JSON form (`line_items[2].total`).
    pub path: String,
    /// How bad it is.
    pub severity: Severity,
    /// The DAMA dimension.
    pub dimension: Dimension,
    /// What is wrong, naming the offending value.
    pub message: String,
    /// The offending value, as text, where there is one.
    pub value: Option<String>,
    /// Whether one of the cleansers can fix it.
    pub fixable: bool,
}
