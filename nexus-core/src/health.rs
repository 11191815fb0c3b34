//! Health of the synced stores, and alert rules as data.
//!
//! A store's health is read from the sync history: when it last synced successfully and
//! how long ago (freshness), the share of recent runs that failed, the quarantine's size,
//! the quality score and its movement since the previous run, and how hard the platform's
//! rate limits pressed (429s, time held back). Its status:
//!
//! - `failing`: never synced successfully, or the last run could not authenticate, or the
//!   last three runs failed;
//! - `degraded`: the last run failed, or the data is older than the freshness limit, or
//!   the quality grade fell since the previous run;
//! - `ok` otherwise.
//!
//! Alert rules ([`AlertRule`]) are data (in code, or `[[alerts]]` in the manager's TOML
//! file) and are evaluated after every sync and on demand. Raised alerts are returned for
//! the host application to route, and logged as `tracing` warnings (target
//! `nexus::alert`).

use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{PlatformKind, Timestamp};
use crate::quality::GradeScale;
use crate::store::{ReadFilter, Store};
use crate::sync::{ErrorInfo, StoreReport};

/// Recent runs looked at for error rates.
const RECENT_RUNS: usize = 20;

/// How a store is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Synced recently, without errors.
    Ok,
    /// Working, but something needs a look.
    Degraded,
    /// Not syncing.
    Failing,
}

/// The health of one store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreHealth {
    /// The store.
    pub store: String,
    /// Its platform.
    pub platform: PlatformKind,
    /// Its status.
    pub status: Status,
    /// Why it is not `ok`.
    pub reasons: Vec<String>,
    /// When it last synced without error.
    pub last_success: Option<Timestamp>,
    /// Seconds since then.
    pub freshness_seconds: Option<f64>,
    /// Its last run.
    pub last_run: Option<Timestamp>,
    /// The share of its recent runs (up to 20) that failed, 0-1.
    pub error_rate: f64,
    /// Recent runs looked at.
    pub recent_runs: usize,
    /// Consecutive failed runs up to the last one.
    pub consecutive_failures: usize,
    /// The last run's error.
    pub last_error: Option<ErrorInfo>,
    /// Records in quarantine.
    pub quarantined: u64,
    /// The last run's quality score.
    pub quality_score: Option<f64>,
    /// The last run's grade.
    pub quality_grade: Option<String>,
    /// The score's change since the previous run.
    pub quality_change: Option<f64>,
    /// Grade steps lost since the previous run (negative when it improved).
    pub grade_steps_lost: Option<i64>,
    /// The share of the last run's requests answered 429, 0-1.
    pub rate_limited_share: f64,
    /// The share of the last run's time spent held back by rate limits, 0-1.
    pub throttled_share: f64,
}

/// The health of all stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    /// When it was computed.
    pub checked_at: Timestamp,
    /// The worst status of any store.
    pub status: Status,
    /// Per store.
    pub stores: Vec<StoreHealth>,
}

impl HealthReport {
    /// The store's health.
    pub fn store(&self, name: &str) -> Option<&StoreHealth> {
        self.stores.iter().find(|s| s.store == name)
    }
}

/// When an alert fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "when", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The last successful sync is older than this (or there is none).
    Freshness {
        /// Minutes.
        above_minutes: f64,
    },
    /// More than this share of recent runs failed (0-1).
    ErrorRate {
        /// The share.
        above: f64,
    },
    /// The quality grade fell by at least this many steps since the previous run.
    GradeDrop {
        /// Grade steps (1: from A to A-).
        steps: u32,
    },
    /// The store refused the credentials in its last run.
    AuthFailing,
    /// More records than this are in quarantine.
    Quarantine {
        /// Records.
        above: u64,
    },
    /// The quality score is below this.
    ScoreBelow {
        /// Score, 0-100.
        score: f64,
    },
    /// More than this share of the last run's requests were answered 429 (0-1).
    RateLimited {
        /// The share.
        above: f64,
    },
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    /// Worth a look.
    #[default]
    Warning,
    /// Needs action now.
    Critical,
}

/// An alert rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    /// A name for the rule (defaults to the condition's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When it fires.
    #[serde(flatten)]
    pub condition: Condition,
    /// How urgent it is.
    #[serde(default)]
    pub severity: AlertSeverity,
    /// Only these stores (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<String>,
}

impl AlertRule {
    /// A rule firing on `condition`, as a warning, for every store.
    pub fn new(condition: Condition) -> Self {
        AlertRule {
            name: None,
            condition,
            severity: AlertSeverity::Warning,
            stores: vec![],
        }
    }

    /// Makes it critical.
    pub fn critical(mut self) -> Self {
        self.severity = AlertSeverity::Critical;
        self
    }

    /// The rule's name.
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            match &self.condition {
                Condition::Freshness { .. } => "freshness",
                Condition::ErrorRate { .. } => "error_rate",
                Condition::GradeDrop { .. } => "grade_drop",
                Condition::AuthFailing => "auth_failing",
                Condition::Quarantine { .. } => "quarantine",
                Condition::ScoreBelow { .. } => "score_below",
                Condition::RateLimited { .. } => "rate_limited",
            }
            .to_owned()
        })
    }

    /// Checks the thresholds make sense.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let share = |x: f64, what: &str| {
            if (0.0..=1.0).contains(&x) {
                Ok(())
            } else {
                Err(format!("{what} is a share between 0 and 1, got {x}"))
            }
        };
        match &self.condition {
            Condition::Freshness { above_minutes }
                if above_minutes.is_nan() || *above_minutes <= 0.0 =>
            {
                Err(format!(
                    "above_minutes must be positive, got {above_minutes}"
                ))
            }
            Condition::ErrorRate { above } => share(*above, "above"),
            Condition::RateLimited { above } => share(*above, "above"),
            Condition::GradeDrop { steps: 0 } => Err("steps must be at least 1".into()),
            Condition::ScoreBelow { score } if !(0.0..=100.0).contains(score) => {
                Err(format!("score is 0-100, got {score}"))
            }
            _ => Ok(()),
        }
    }
}

/// The rules used when none are configured: data older than 2 hours, more than 5% of
/// recent runs failing, the grade falling by a step (warnings), and a store that cannot
/// authenticate (critical).
pub fn default_alert_rules() -> Vec<AlertRule> {
    vec![
        AlertRule::new(Condition::Freshness {
            above_minutes: 120.0,
        }),
        AlertRule::new(Condition::ErrorRate { above: 0.05 }),
        AlertRule::new(Condition::GradeDrop { steps: 1 }),
        AlertRule::new(Condition::AuthFailing).critical(),
    ]
}

/// A raised alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The rule's name.
    pub rule: String,
    /// The store.
    pub store: String,
    /// How urgent it is.
    pub severity: AlertSeverity,
    /// What is wrong, in a sentence.
    pub message: String,
    /// The measured value.
    pub value: Option<f64>,
    /// The rule's threshold.
    pub threshold: Option<f64>,
    /// When it was raised.
    pub raised_at: Timestamp,
}

/// The freshness limit the status uses: the first freshness rule's, else 2 hours.
fn freshness_limit(rules: &[AlertRule]) -> Duration {
    rules
        .iter()
        .find_map(|r| match r.condition {
            Condition::Freshness { above_minutes } => {
                Some(Duration::from_secs_f64(above_minutes * 60.0))
            }
            _ => None,
        })
        .unwrap_or(Duration::from_secs(7200))
}

/// Computes the health of `stores` from the database's sync history.
pub async fn health(
    db: &dyn Store,
    stores: &[(String, PlatformKind)],
    rules: &[AlertRule],
) -> Result<HealthReport> {
    let now = Utc::now();
    let limit = freshness_limit(rules);
    let grades = GradeScale::default();
    let mut out = Vec::with_capacity(stores.len());
    for (name, platform) in stores {
        let runs = db.runs(Some(name), RECENT_RUNS).await?;
        let reports: Vec<Option<StoreReport>> = runs
            .iter()
            .map(|r| serde_json::from_value(r.report.clone()).ok())
            .collect();
        let last_success = runs.iter().find(|r| r.ok).map(|r| r.finished_at);
        let freshness = last_success.map(|t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
        let failed = runs.iter().filter(|r| !r.ok).count();
        let consecutive = runs.iter().take_while(|r| !r.ok).count();
        let last = reports.first().cloned().flatten();
        let previous = reports.get(1).cloned().flatten();
        let last_error = last.as_ref().and_then(|r| r.error.clone());
        let quarantined = db.quarantine_size(&ReadFilter::store(name.clone())).await?;
        let scored = |r: &Option<StoreReport>| {
            r.as_ref()
                .filter(|r| r.quality.records > 0)
                .map(|r| (r.quality.score, r.quality.grade.clone()))
        };
        let (score, grade) = scored(&last).map_or((None, None), |(s, g)| (Some(s), Some(g)));
        let prev = scored(&previous);
        let quality_change = score
            .zip(prev.as_ref().map(|p| p.0))
            .map(|(a, b)| ((a - b) * 100.0).round() / 100.0);
        let grade_steps_lost = match (&grade, &prev) {
            (Some(g), Some((_, pg))) => grades
                .rank(g)
                .zip(grades.rank(pg))
                .map(|(now, before)| now as i64 - before as i64),
            _ => None,
        };
        let (rate_limited_share, throttled_share) = last.as_ref().map_or((0.0, 0.0), |r| {
            let req = r.requests.requests.max(1) as f64;
            let secs = (r.finished_at - r.started_at).num_milliseconds().max(1) as f64 / 1000.0;
            (
                r.requests.rate_limited as f64 / req,
                (r.requests.throttled.as_secs_f64() / secs).min(1.0),
            )
        });
        let mut reasons = Vec::new();
        let auth = last_error.as_ref().is_some_and(|e| e.code == "auth_failed");
        let status = if runs.is_empty() {
            reasons.push("never synced".to_owned());
            Status::Failing
        } else if last_success.is_none() || auth || consecutive >= 3 {
            if auth {
                reasons.push("the store refuses the credentials".to_owned());
            }
            if last_success.is_none() {
                reasons.push("no sync has succeeded yet".to_owned());
            }
            if consecutive >= 3 {
                reasons.push(format!("the last {consecutive} runs failed"));
            }
            Status::Failing
        } else {
            if consecutive > 0 {
                reasons.push(match &last_error {
                    Some(e) => format!("the last run failed: {} ({})", e.message, e.code),
                    None => "the last run did not finish".to_owned(),
                });
            }
            if freshness.is_some_and(|f| f > limit.as_secs_f64()) {
                reasons.push(format!(
                    "the data is {} old (limit {})",
                    human(freshness.unwrap_or(0.0)),
                    human(limit.as_secs_f64())
                ));
            }
            if grade_steps_lost.is_some_and(|s| s > 0) {
                reasons.push(format!(
                    "the quality grade fell from {} to {}",
                    prev.as_ref().map(|p| p.1.as_str()).unwrap_or("?"),
                    grade.as_deref().unwrap_or("?")
                ));
            }
            if reasons.is_empty() {
                Status::Ok
            } else {
                Status::Degraded
            }
        };
        out.push(StoreHealth {
            store: name.clone(),
            platform: *platform,
            status,
            reasons,
            last_success,
            freshness_seconds: freshness,
            last_run: runs.first().map(|r| r.finished_at),
            error_rate: if runs.is_empty() {
                0.0
            } else {
                failed as f64 / runs.len() as f64
            },
            recent_runs: runs.len(),
            consecutive_failures: consecutive,
            last_error,
            quarantined,
            quality_score: score,
            quality_grade: grade,
            quality_change,
            grade_steps_lost,
            rate_limited_share,
            throttled_share,
        });
    }
    let status = out.iter().map(|s| s.status).max().unwrap_or(Status::Ok);
    Ok(HealthReport {
        checked_at: now,
        status,
        stores: out,
    })
}

/// A duration in words ("2h 05m", "40s").
fn human(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// The alerts `rules` raise on `health`; each is also logged as a `tracing` warning.
pub fn evaluate(health: &HealthReport, rules: &[AlertRule]) -> Vec<Alert> {
    let mut out = Vec::new();
    for rule in rules {
        for s in &health.stores {
            if !rule.stores.is_empty() && !rule.stores.contains(&s.store) {
                continue;
            }
            let raised = match &rule.condition {
                Condition::Freshness { above_minutes } => {
                    let limit = above_minutes * 60.0;
                    match s.freshness_seconds {
                        Some(f) if f > limit => Some((
                            format!("{} has not synced successfully for {}", s.store, human(f)),
                            Some(f / 60.0),
                            Some(*above_minutes),
                        )),
                        None => Some((
                            format!("{} has never synced successfully", s.store),
                            None,
                            Some(*above_minutes),
                        )),
                        _ => None,
                    }
                }
                Condition::ErrorRate { above } => (s.recent_runs > 0 && s.error_rate > *above)
                    .then(|| {
                        (
                            format!(
                                "{} failed {:.0}% of its last {} runs",
                                s.store,
                                s.error_rate * 100.0,
                                s.recent_runs
                            ),
                            Some(s.error_rate),
                            Some(*above),
                        )
                    }),
                Condition::GradeDrop { steps } => s
                    .grade_steps_lost
                    .filter(|lost| *lost >= i64::from(*steps))
                    .map(|lost| {
                        (
                            format!(
                                "{}'s quality grade fell {lost} step{} to {}",
                                s.store,
                                if lost == 1 { "" } else { "s" },
                                s.quality_grade.as_deref().unwrap_or("?")
                            ),
                            Some(lost as f64),
                            Some(f64::from(*steps)),
                        )
                    }),
                Condition::AuthFailing => s
                    .last_error
                    .as_ref()
                    .filter(|e| e.code == "auth_failed")
                    .map(|e| {
                        (
                            format!("{} refuses the credentials: {}", s.store, e.message),
                            None,
                            None,
                        )
                    }),
                Condition::Quarantine { above } => (s.quarantined > *above).then(|| {
                    (
                        format!("{} has {} records in quarantine", s.store, s.quarantined),
                        Some(s.quarantined as f64),
                        Some(*above as f64),
                    )
                }),
                Condition::ScoreBelow { score } => s.quality_score.filter(|q| q < score).map(|q| {
                    (
                        format!("{}'s quality score is {q:.1}", s.store),
                        Some(q),
                        Some(*score),
                    )
                }),
                Condition::RateLimited { above } => (s.rate_limited_share > *above).then(|| {
                    (
                        format!(
                            "{:.0}% of {}'s requests hit the rate limit",
                            s.rate_limited_share * 100.0,
                            s.store
                        ),
                        Some(s.rate_limited_share),
                        Some(*above),
                    )
                }),
            };
            if let Some((message, value, threshold)) = raised {
                let alert = Alert {
                    rule: rule.name(),
                    store: s.store.clone(),
                    severity: rule.severity,
                    message,
                    value,
                    threshold,
                    raised_at: health.checked_at,
                };
                tracing::warn!(target: "nexus::alert", rule = %alert.rule, store = %alert.store, severity = ?alert.severity, "{}", alert.message);
                out.push(alert);
            }
        }
    }
    out
}
