//! Health and alerts, computed from a crafted sync history.

use chrono::{Duration, Utc};
use nexus_core::health::{self, AlertRule, AlertSeverity, Condition, Status};
use nexus_core::model::PlatformKind;
use nexus_core::quality::{QualitySummary, RuleTally};
use nexus_core::store::{self, RunRecord};
use nexus_core::sync::{ErrorInfo, StoreReport};

use crate::store::sqlite_path;

fn run(
    store: &str,
    minutes_ago: i64,
    ok: bool,
    grade: &str,
    score: f64,
    error: Option<&str>,
) -> RunRecord {
    let at = Utc::now() - Duration::minutes(minutes_ago);
    let report = StoreReport {
        store: store.into(),
        platform: PlatformKind::Shopify,
        started_at: at - Duration::seconds(10),
        finished_at: at,
        ok,
        entities: vec![],
        quality: QualitySummary {
            records: 100,
            score,
            grade: grade.into(),
            rules: vec![RuleTally {
                rule: "order.email_syntax".into(),
                violations: 3,
            }],
        },
        requests: nexus_core::platform::ConnectorStats {
            requests: 100,
            retries: 20,
            rate_limited: 20,
            throttled: std::time::Duration::from_secs(5),
        },
        error: error.map(|code| ErrorInfo {
            code: code.into(),
            message: format!("{code} happened"),
            retryable: false,
        }),
    };
    RunRecord {
        run_id: format!("run-{store}-{minutes_ago}"),
        store: store.into(),
        platform: PlatformKind::Shopify,
        started_at: at - Duration::seconds(10),
        finished_at: at,
        ok,
        report: serde_json::to_value(report).expect("json"),
    }
}

#[tokio::test]
async fn statuses_and_alerts_follow_the_history() {
    let (_dir, path) = sqlite_path();
    let db = store::open(&path).await.expect("db");
    // fresh: two good runs, the grade steady.
    // stale: last success 3 hours ago.
    // slipping: the grade fell from A to B+ (two steps).
    // locked: the last run could not authenticate.
    // flaky: one failed run in the last 10.
    let history = [
        run("fresh", 70, true, "A", 94.0, None),
        run("fresh", 10, true, "A", 94.5, None),
        run("stale", 180, true, "A", 95.0, None),
        run("slipping", 60, true, "A", 94.0, None),
        run("slipping", 5, true, "B+", 88.0, None),
        run("locked", 120, true, "A", 95.0, None),
        run("locked", 3, false, "A", 95.0, Some("auth_failed")),
    ];
    for r in &history {
        db.save_run(r).await.expect("save");
    }
    for i in 0..9 {
        db.save_run(&run("flaky", 100 - i * 2, true, "A", 95.0, None))
            .await
            .expect("save");
    }
    db.save_run(&run("flaky", 95, false, "A", 95.0, Some("network_error")))
        .await
        .expect("save");
    let names: Vec<(String, PlatformKind)> =
        ["fresh", "stale", "slipping", "locked", "flaky", "new"]
            .iter()
            .map(|n| (n.to_string(), PlatformKind::Shopify))
            .collect();
    let rules = health::default_alert_rules();
    let h = health::health(db.as_ref(), &names, &rules)
        .await
        .expect("health");
    let st = |n: &str| h.store(n).expect(n);
    assert_eq!(st("fresh").status, Status::Ok, "{:?}", st("fresh").reasons);
    assert_eq!(st("fresh").quality_change, Some(0.5));
    assert_eq!(st("stale").status, Status::Degraded);
    assert!(
        st("stale").reasons[0].contains("old"),
        "{:?}",
        st("stale").reasons
    );
    assert_eq!(st("slipping").status, Status::Degraded);
    assert_eq!(st("slipping").grade_steps_lost, Some(2));
    assert_eq!(st("locked").status, Status::Failing);
    assert_eq!(st("flaky").error_rate, 0.1);
    assert_eq!(st("flaky").status, Status::Ok, "the last run succeeded");
    assert_eq!(st("new").status, Status::Failing);
    assert_eq!(h.status, Status::Failing);
    assert!((st("fresh").rate_limited_share - 0.2).abs() < 1e-9);

    let alerts = health::evaluate(&h, &rules);
    let fired: Vec<(String, String)> = alerts
        .iter()
        .map(|a| (a.rule.clone(), a.store.clone()))
        .collect();
    let has = |rule: &str, store: &str| fired.contains(&(rule.to_owned(), store.to_owned()));
    assert!(has("freshness", "stale") && has("freshness", "new") && !has("freshness", "fresh"));
    assert!(has("grade_drop", "slipping") && !has("grade_drop", "fresh"));
    assert!(has("auth_failing", "locked"));
    assert!(
        has("error_rate", "flaky") && has("error_rate", "locked") && !has("error_rate", "fresh")
    );
    let auth = alerts
        .iter()
        .find(|a| a.rule == "auth_failing")
        .expect("auth");
    assert_eq!(auth.severity, AlertSeverity::Critical);
    assert!(auth.message.contains("locked refuses the credentials"));

    // Rules are data: thresholds, store filters and severities come from TOML too.
    let custom: Vec<AlertRule> = toml::from_str::<std::collections::BTreeMap<String, Vec<AlertRule>>>(
        "[[alerts]]\nwhen = \"score_below\"\nscore = 90\nstores = [\"slipping\"]\nseverity = \"critical\"\n\
         [[alerts]]\nwhen = \"rate_limited\"\nabove = 0.5\n",
    )
    .expect("toml")
    .remove("alerts")
    .expect("alerts");
    assert_eq!(custom[0].condition, Condition::ScoreBelow { score: 90.0 });
    let alerts = health::evaluate(&h, &custom);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        (alerts[0].store.as_str(), alerts[0].value),
        ("slipping", Some(88.0))
    );
    assert!(
        AlertRule::new(Condition::ErrorRate { above: 5.0 })
            .validate()
            .is_err()
    );
}
