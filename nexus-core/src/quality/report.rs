//! The quality report: scores, grade, counts per rule, violations, the cleansing log,
//! recommendations and the trend.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cleanse::CleansingLog;
use super::config::{GradeScale, RuleSet};
use super::engine::{Group, Run};
use super::{Dimension, Severity, Violation};
use crate::error::Error;
use crate::model::{EntityKind, PlatformKind, Timestamp};

/// The score of one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionScore {
    /// 0-100, `None` when no enabled rule of the dimension checked anything.
    pub score: Option<f64>,
    /// The dimension's weight in the overall score.
    pub weight: f64,
    /// Records checked by at least one rule of the dimension.
    pub records_checked: u64,
    /// Records with at least one violation in the dimension.
    pub records_failed: u64,
    /// The weight lost by the records (each loses its worst violation's weight: error 1,
    /// warning 0.5, info 0.1); the score is `100 × (1 − penalty / records_checked)`, so
    /// reports of separate batches add up exactly ([`QualityTally`](super::QualityTally)).
    #[serde(default)]
    pub penalty: f64,
}

/// Scores of a part of the data: one entity, or one store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupScore {
    /// The entity, for a per-entity score.
    pub entity: Option<EntityKind>,
    /// The platform, for a per-store score.
    pub platform: Option<PlatformKind>,
    /// The store, for a per-store score.
    pub store: Option<String>,
    /// Records in the part.
    pub records: u64,
    /// Overall score, 0-100.
    pub score: f64,
    /// Grade.
    pub grade: String,
    /// Scores per dimension.
    pub dimensions: BTreeMap<Dimension, DimensionScore>,
}

/// How one rule fared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCount {
    /// The rule's id.
    pub rule: String,
    /// The entity it checked.
    pub entity: EntityKind,
    /// Its dimension.
    pub dimension: Dimension,
    /// Its severity.
    pub severity: Severity,
    /// What it checks.
    pub title: String,
    /// Records it checked.
    pub checked: u64,
    /// Records with at least one violation of it.
    pub records_failed: u64,
    /// Its violations (a record can have several).
    pub violations: u64,
    /// Violations a cleanser can fix.
    pub fixable: u64,
}

/// One example of a problem, to find it in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// The record's platform id.
    pub record_id: String,
    /// The record's store.
    pub store: String,
    /// The field.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// What to do about one rule's findings, ranked by impact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// 1 for the most important.
    pub rank: usize,
    /// The rule behind it.
    pub rule: String,
    /// The entity.
    pub entity: EntityKind,
    /// The dimension.
    pub dimension: Dimension,
    /// The severity.
    pub severity: Severity,
    /// What is wrong.
    pub problem: String,
    /// Records affected.
    pub records_affected: u64,
    /// Their share of the records checked (0 to 1).
    pub share: f64,
    /// records affected x severity weight x dimension weight share.
    pub impact: f64,
    /// Up to three examples.
    pub examples: Vec<Example>,
    /// What to change at the source.
    pub fix: String,
    /// The cleanser that fixes some of it, and how many of the violations it can fix.
    pub cleanser: Option<String>,
    /// Violations the cleanser can fix.
    pub fixable: u64,
    /// The rule setting that changes what is reported, with its current value.
    pub setting: Option<String>,
    /// The stores affected.
    pub stores: Vec<String>,
}

/// How one dimension moved against the previous report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendDimension {
    /// The dimension.
    pub dimension: Dimension,
    /// Its previous score.
    pub previous: Option<f64>,
    /// The change (positive is better).
    pub change: Option<f64>,
}

/// How one rule's failures moved against the previous report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendRule {
    /// The rule.
    pub rule: String,
    /// Records failing it before.
    pub previous: u64,
    /// Records failing it now.
    pub current: u64,
}

/// The report against a previous one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// When the previous report was made.
    pub previous_generated_at: Timestamp,
    /// The previous overall score.
    pub previous_score: f64,
    /// The change of the overall score (positive is better).
    pub score_change: f64,
    /// The previous grade.
    pub previous_grade: String,
    /// Grade steps gained (positive) or lost (negative).
    pub grade_steps: i64,
    /// `"improved"`, `"declined"` or `"unchanged"` (a score change under 0.5 is unchanged).
    pub direction: String,
    /// Per dimension.
    pub dimensions: Vec<TrendDimension>,
    /// The rules whose failure count changed.
    pub rules: Vec<TrendRule>,
}

/// What a quality check found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    /// The Nexus version that made the report.
    pub nexus_version: String,
    /// The time the data was judged at ("now" for future dates).
    pub generated_at: Timestamp,
    /// Records checked.
    pub records: u64,
    /// Overall score, 0-100.
    pub score: f64,
    /// Grade, A+ to F.
    pub grade: String,
    /// Scores per dimension.
    pub dimensions: BTreeMap<Dimension, DimensionScore>,
    /// Scores per entity.
    pub entities: Vec<GroupScore>,
    /// Scores per store.
    pub stores: Vec<GroupScore>,
    /// Counts per rule that ran.
    pub rules: Vec<RuleCount>,
    /// Every violation, in record order.
    pub violations: Vec<Violation>,
    /// What cleansing changed (empty when it did not run).
    pub cleansing: CleansingLog,
    /// What to do, most important first.
    pub recommendations: Vec<Recommendation>,
    /// The movement against a previous report, when one was given.
    pub trend: Option<Trend>,
    /// Records given as JSON that are not in the unified form, so no rule could check
    /// them (they are passed through unchanged).
    #[serde(default)]
    pub rejected: Vec<Rejected>,
}

/// A record given as JSON that is not in the unified form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    /// The kind of record it was given as.
    pub entity: EntityKind,
    /// Its position in the list.
    pub index: usize,
    /// Its id, when it has a readable `source.id`.
    pub record_id: Option<String>,
    /// Where in the record the problem is.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Scores of a set of groups taken together.
fn score_of(groups: &[&Group], rules: &RuleSet) -> (f64, BTreeMap<Dimension, DimensionScore>) {
    let mut dims = BTreeMap::new();
    let (mut sum, mut weights) = (0.0, 0.0);
    for d in Dimension::ALL {
        let i = d.index();
        let checked: u64 = groups.iter().map(|g| g.checked[i]).sum();
        let failed: u64 = groups.iter().map(|g| g.failed[i]).sum();
        let penalty: f64 = groups.iter().map(|g| g.penalty[i]).sum();
        let w = rules.weights.get(d);
        let score = (checked > 0).then(|| 100.0 * (1.0 - penalty / checked as f64));
        if let Some(s) = score {
            sum += w * s;
            weights += w;
        }
        dims.insert(
            d,
            DimensionScore {
                score: score.map(round2),
                weight: w,
                records_checked: checked,
                records_failed: failed,
                penalty,
            },
        );
    }
    let overall = if weights > 0.0 { sum / weights } else { 100.0 };
    (round2(overall), dims)
}

pub(crate) fn build(
    run: Run,
    rules: &RuleSet,
    as_of: Timestamp,
    records: u64,
    cleansing: CleansingLog,
) -> QualityReport {
    let all: Vec<&Group> = run.groups.iter().collect();
    let (score, dimensions) = score_of(&all, rules);

    let mut entities = Vec::new();
    let mut seen_entities: Vec<EntityKind> = Vec::new();
    for g in &run.groups {
        if !seen_entities.contains(&g.entity) {
            seen_entities.push(g.entity);
        }
    }
    for e in seen_entities {
        let part: Vec<&Group> = run.groups.iter().filter(|g| g.entity == e).collect();
        let (s, d) = score_of(&part, rules);
        entities.push(GroupScore {
            entity: Some(e),
            platform: None,
            store: None,
            records: part.iter().map(|g| g.records).sum(),
            score: s,
            grade: rules.grades.grade(s).to_owned(),
            dimensions: d,
        });
    }
    let mut store_keys: Vec<(PlatformKind, String)> = Vec::new();
    for g in &run.groups {
        if !store_keys
            .iter()
            .any(|(p, s)| *p == g.platform && *s == g.store)
        {
            store_keys.push((g.platform, g.store.clone()));
        }
    }
    let stores = store_keys
        .into_iter()
        .map(|(p, s)| {
            let part: Vec<&Group> = run
                .groups
                .iter()
                .filter(|g| g.platform == p && g.store == s)
                .collect();
            let (sc, d) = score_of(&part, rules);
            GroupScore {
                entity: None,
                platform: Some(p),
                store: Some(s),
                records: part.iter().map(|g| g.records).sum(),
                score: sc,
                grade: rules.grades.grade(sc).to_owned(),
                dimensions: d,
            }
        })
        .collect();

    let rule_counts = run
        .slots
        .iter()
        .map(|s| RuleCount {
            rule: s.id.to_string(),
            entity: s.entity,
            dimension: s.dimension,
            severity: s.severity,
            title: s.title.clone(),
            checked: s.checked,
            records_failed: s.records_failed,
            violations: s.violations,
            fixable: s.fixable,
        })
        .collect();

    let mut recommendations: Vec<Recommendation> = run
        .slots
        .iter()
        .filter(|s| s.records_failed > 0)
        .map(|s| {
            let share = if s.checked > 0 {
                s.records_failed as f64 / s.checked as f64
            } else {
                0.0
            };
            let impact =
                s.records_failed as f64 * s.severity.weight() * rules.weights.share(s.dimension);
            let cleanser = (s.fixable > 0).then_some(s.cleanser).flatten();
            let mut fix = s.advice.clone();
            if let Some(c) = cleanser {
                fix.push_str(&format!(
                    ". Meanwhile `{c}` fixes {} of the {} violations when cleansing runs",
                    s.fixable, s.violations
                ));
            }
            Recommendation {
                rank: 0,
                rule: s.id.to_string(),
                entity: s.entity,
                dimension: s.dimension,
                severity: s.severity,
                problem: format!(
                    "{} of {} {} fail: {}",
                    s.records_failed,
                    s.checked,
                    s.entity.plural(),
                    lower_first(&s.title)
                ),
                records_affected: s.records_failed,
                share: (share * 10_000.0).round() / 10_000.0,
                impact: round2(impact),
                examples: s.examples.clone(),
                fix,
                cleanser: cleanser.map(|c| c.to_string()),
                fixable: s.fixable,
                setting: s.setting.clone(),
                stores: s.stores.clone(),
            }
        })
        .collect();
    recommendations.sort_by(|a, b| {
        b.impact
            .total_cmp(&a.impact)
            .then(a.severity.cmp(&b.severity))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    for (i, r) in recommendations.iter_mut().enumerate() {
        r.rank = i + 1;
    }

    QualityReport {
        nexus_version: crate::VERSION.to_owned(),
        generated_at: as_of,
        records,
        score,
        grade: rules.grades.grade(score).to_owned(),
        dimensions,
        entities,
        stores,
        rules: rule_counts,
        violations: run.sink.violations,
        cleansing,
        recommendations,
        trend: None,
        rejected: Vec::new(),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub(crate) fn trend(
    current: &QualityReport,
    previous: &QualityReport,
    grades: &GradeScale,
) -> Trend {
    let change = round2(current.score - previous.score);
    let steps = match (grades.rank(&previous.grade), grades.rank(&current.grade)) {
        (Some(p), Some(c)) => p as i64 - c as i64,
        _ => 0,
    };
    let direction = if change >= 0.5 {
        "improved"
    } else if change <= -0.5 {
        "declined"
    } else {
        "unchanged"
    };
    let dimensions = Dimension::ALL
        .into_iter()
        .map(|d| {
            let prev = previous.dimensions.get(&d).and_then(|s| s.score);
            let cur = current.dimensions.get(&d).and_then(|s| s.score);
            TrendDimension {
                dimension: d,
                previous: prev,
                change: prev.zip(cur).map(|(p, c)| round2(c - p)),
            }
        })
        .collect();
    let mut rules: Vec<TrendRule> = Vec::new();
    for r in &current.rules {
        let prev = previous
            .rules
            .iter()
            .find(|p| p.rule == r.rule)
            .map_or(0, |p| p.records_failed);
        if prev != r.records_failed {
            rules.push(TrendRule {
                rule: r.rule.clone(),
                previous: prev,
                current: r.records_failed,
            });
        }
    }
    for p in &previous.rules {
        if p.records_failed > 0 && !current.rules.iter().any(|r| r.rule == p.rule) {
            rules.push(TrendRule {
                rule: p.rule.clone(),
                previous: p.records_failed,
                current: 0,
            });
        }
    }
    Trend {
        previous_generated_at: previous.generated_at,
        previous_score: previous.score,
        score_change: change,
        previous_grade: previous.grade.clone(),
        grade_steps: steps,
        direction: direction.to_owned(),
        dimensions,
        rules,
    }
}

impl QualityReport {
    /// The report as JSON text (pretty-printed).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Reads a report written by [`QualityReport::to_json`] (to compare against it).
    pub fn from_json(text: &str) -> Result<Self, Error> {
        serde_json::from_str(text).map_err(|e| Error::InvalidArgument {
            name: "report",
            message: format!("not a Nexus quality report: {e}"),
        })
    }

    /// A self-contained HTML page for a shop owner: grade, dimension scores, top issues
    /// with examples, recommendations. No script, no network: inline CSS and SVG.
    pub fn to_html(&self) -> String {
        super::html::render(self)
    }

    /// Sets the trend against a previous report, on the default grade scale.
    pub fn with_trend(mut self, previous: &QualityReport) -> Self {
        self.trend = Some(trend(&self, previous, &GradeScale::default()));
        self
    }

    /// The violations of one rule.
    pub fn violations_of<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a Violation> + 'a {
        self.violations.iter().filter(move |v| v.rule == rule)
    }

    /// The counts of one rule, if it ran.
    pub fn rule(&self, rule: &str) -> Option<&RuleCount> {
        self.rules.iter().find(|r| r.rule == rule)
    }
}

/// The quality of data checked in separate batches (the pages of a sync), added up: the
/// same score and grade one report over all the records would give.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QualityTally {
    records: u64,
    /// Per dimension: records checked, records failed, weight lost.
    dimensions: BTreeMap<Dimension, (u64, u64, f64)>,
    /// Violations per rule.
    rules: BTreeMap<String, u64>,
}

/// A rule's violations in a [`QualitySummary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTally {
    /// The rule's id.
    pub rule: String,
    /// Its violations.
    pub violations: u64,
}

/// Score, grade and the most broken rules of a [`QualityTally`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualitySummary {
    /// Records checked.
    pub records: u64,
    /// Overall score, 0-100.
    pub score: f64,
    /// Grade, A+ to F.
    pub grade: String,
    /// Rules with violations, most violations first.
    pub rules: Vec<RuleTally>,
}

impl QualityTally {
    /// Adds a report's records.
    pub fn add(&mut self, report: &QualityReport) {
        self.records += report.records;
        for (d, s) in &report.dimensions {
            let e = self.dimensions.entry(*d).or_insert((0, 0, 0.0));
            e.0 += s.records_checked;
            e.1 += s.records_failed;
            e.2 += s.penalty;
        }
        for r in &report.rules {
            if r.violations > 0 {
                *self.rules.entry(r.rule.clone()).or_default() += r.violations;
            }
        }
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: &QualityTally) {
        self.records += other.records;
        for (d, (c, f, p)) in &other.dimensions {
            let e = self.dimensions.entry(*d).or_insert((0, 0, 0.0));
            e.0 += c;
            e.1 += f;
            e.2 += p;
        }
        for (r, n) in &other.rules {
            *self.rules.entry(r.clone()).or_default() += n;
        }
    }

    /// Records checked.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The overall score, weighted as `rules` weighs the dimensions.
    pub fn score(&self, rules: &RuleSet) -> f64 {
        let (mut sum, mut weights) = (0.0, 0.0);
        for (d, (checked, _, penalty)) in &self.dimensions {
            if *checked > 0 {
                let w = rules.weights.get(*d);
                sum += w * 100.0 * (1.0 - penalty / *checked as f64);
                weights += w;
            }
        }
        round2(if weights > 0.0 { sum / weights } else { 100.0 })
    }

    /// Score, grade and rules broken.
    pub fn summary(&self, rules: &RuleSet) -> QualitySummary {
        let score = self.score(rules);
        let mut broken: Vec<RuleTally> = self
            .rules
            .iter()
            .map(|(rule, n)| RuleTally {
                rule: rule.clone(),
                violations: *n,
            })
            .collect();
        broken.sort_by(|a, b| b.violations.cmp(&a.violations).then(a.rule.cmp(&b.rule)));
        QualitySummary {
            records: self.records,
            score,
            grade: rules.grades.grade(score).to_owned(),
            rules: broken,
        }
    }
}
