//! The manager: the TOML registry, secrets, check, sync, health, alerts, the cross-store view.

use std::sync::{Arc, Mutex};

use nexus_core::health::Status;
use nexus_core::manager::{Manager, ManagerConfig, ManagerOptions, StoreConfig};
use nexus_core::model::PlatformKind;
use nexus_core::store::ReadFilter;
use nexus_fake::{FakeConfig, FakeStore};

use crate::fakes::quick_http;
use crate::store::tempdir;

/// A registry of a WooCommerce and a Shopify fake store, credentials from the environment.
fn registry(woo: &FakeStore, shop: &FakeStore, tag: &str) -> String {
    let c = woo.credentials();
    // SAFETY: the variables are unique to this test (the tag) and set before any thread
    // of the test reads them.
    unsafe {
        std::env::set_var(format!("NX_{tag}_WOO_KEY"), &c.consumer_key);
        std::env::set_var(format!("NX_{tag}_WOO_SECRET"), &c.consumer_secret);
    }
    format!(
        r#"
database = "nexus.db"
concurrency = 2

[defaults]
page_size = 50
overlap_seconds = 0

[stores.eu]
platform = "woocommerce"
url = "{}"
consumer_key = "env:NX_{tag}_WOO_KEY"
consumer_secret = "env:NX_{tag}_WOO_SECRET"
rate_limit = 100000

[stores.us]
platform = "shopify"
url = "{}"
access_token = "secret:shopify/us"

[[alerts]]
when = "quarantine"
above = 0
severity = "critical"
"#,
        woo.url(),
        shop.url()
    )
}

fn options(shop: &FakeStore, alerts: Arc<Mutex<Vec<String>>>) -> ManagerOptions {
    let token = shop.credentials().access_token.clone();
    ManagerOptions {
        secrets: Some(Arc::new(move |name: &str| {
            (name == "shopify/us").then(|| token.clone())
        })),
        on_alert: Some(Arc::new(move |a| {
            alerts
                .lock()
                .unwrap()
                .push(format!("{}:{}", a.rule, a.store))
        })),
        http: Some(quick_http()),
        ..ManagerOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_syncs_checks_and_reports_health() {
    let woo = FakeStore::start(PlatformKind::WooCommerce, FakeConfig::with_orders(80))
        .await
        .expect("fake");
    let shop = FakeStore::start(PlatformKind::Shopify, FakeConfig::with_orders(60))
        .await
        .expect("fake");
    let dir = tempdir::Dir::new();
    let file = dir.path().join("nexus.toml");
    std::fs::write(&file, registry(&woo, &shop, "A")).expect("write");
    let raised = Arc::new(Mutex::new(Vec::new()));
    let m = Manager::from_toml(&file, options(&shop, raised.clone()))
        .await
        .expect("manager");
    assert_eq!(
        m.stores()
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["eu", "us"]
    );
    // Before any sync: both stores are failing (never synced).
    let h = m.health().await.expect("health");
    assert_eq!(h.status, Status::Failing);
    // Check: connection and credentials, concurrently.
    let checks = m.check_all().await;
    assert!(checks.iter().all(|c| c.ok), "{checks:?}");
    assert_eq!(
        checks[1]
            .info
            .as_ref()
            .and_then(|i| i.currency)
            .map(|c| c.to_string())
            .as_deref(),
        Some("EUR")
    );
    let report = m.sync_all().await.expect("sync");
    assert!(report.ok(), "{}", report.to_text());
    let orders = m
        .database()
        .orders(&ReadFilter::all())
        .await
        .expect("orders")
        .len() as u64;
    let quarantined_orders: u64 = report
        .stores
        .iter()
        .filter_map(|s| s.entity(nexus_core::model::EntityKind::Order))
        .map(|e| e.quarantined)
        .sum();
    assert_eq!(
        orders + quarantined_orders,
        140,
        "every order is written or quarantined"
    );
    let h = m.health().await.expect("health");
    for s in &h.stores {
        assert_ne!(s.status, Status::Failing, "{s:?}");
        assert!(s.freshness_seconds.is_some_and(|f| f < 60.0));
        assert_eq!(s.error_rate, 0.0);
        assert!(s.quality_grade.is_some());
    }
    // Alerts from the file's rule fire after the run for stores with quarantined records.
    let alerts = m.alerts().await.expect("alerts");
    let q: Vec<_> = alerts.iter().filter(|a| a.rule == "quarantine").collect();
    for s in &h.stores {
        assert_eq!(
            q.iter().any(|a| a.store == s.store),
            s.quarantined > 0,
            "{}",
            s.store
        );
    }
    assert_eq!(
        raised.lock().unwrap().len(),
        alerts.len(),
        "the callback saw the same alerts"
    );
    // The latest report of each store comes back from the history.
    let latest = m.report().await.expect("report");
    assert_eq!(latest.len(), 2);
    assert_eq!(latest[0].written(), report.stores[0].written());
    // One store alone.
    let again = m.sync_store("us").await.expect("sync us");
    assert_eq!(again.stores.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_text_secret_is_refused_and_secrets_never_leave_their_connector() {
    let plain = r#"
[stores.shop1]
platform = "woocommerce"
url = "https://shop.example.com"
consumer_key = "env:SHOP1_KEY"
consumer_secret = "cs_live_0123456789abcdef"
"#;
    let err = ManagerConfig::from_toml(plain).expect_err("plain secret");
    assert_eq!(err.code(), "invalid_settings");
    let text = err.to_string();
    assert!(text.contains("stores.shop1.consumer_secret"), "{text}");
    assert!(text.contains("env:"), "{text}");
    assert!(
        !text.contains("cs_live_0123456789abcdef"),
        "the error does not repeat the secret: {text}"
    );
    // Unknown keys and platforms are named too.
    let typo = "[stores.a]\nplatform = \"woocommerce\"\nurl = \"https://a.example\"\nconsumer_secrett = \"env:X\"\n";
    let err = ManagerConfig::from_toml(typo).expect_err("typo");
    assert!(err.to_string().contains("consumer_secrett"), "{err}");
    assert!(err.to_string().contains("line 4"), "{err}");
    let bad = "[stores.a]\nplatform = \"bigcommerce\"\nurl = \"https://a.example\"\n";
    assert!(
        ManagerConfig::from_toml(bad)
            .expect_err("platform")
            .to_string()
            .contains("stores.a.platform")
    );

    // Resolved secrets reach neither the saved registry, nor Debug, nor the reports.
    let woo = FakeStore::start(PlatformKind::WooCommerce, FakeConfig::with_orders(20))
        .await
        .expect("fake");
    let shop = FakeStore::start(PlatformKind::Shopify, FakeConfig::with_orders(20))
        .await
        .expect("fake");
    let dir = tempdir::Dir::new();
    let file = dir.path().join("nexus.toml");
    std::fs::write(&file, registry(&woo, &shop, "B")).expect("write");
    let mut m = Manager::from_toml(&file, options(&shop, Arc::default()))
        .await
        .expect("manager");
    let report = m.sync_all().await.expect("sync");
    let secrets = [
        woo.credentials().consumer_key.clone(),
        woo.credentials().consumer_secret.clone(),
        shop.credentials().access_token.clone(),
    ];
    let saved = dir.path().join("saved.toml");
    m.add(
        "mage",
        StoreConfig {
            platform: "magento".into(),
            url: "https://mage.example.com".into(),
            access_token: Some("env:MAGE_TOKEN".into()),
            ..StoreConfig::default()
        },
    )
    .expect("add");
    assert!(
        m.add("mage", StoreConfig::default()).is_err(),
        "names are unique"
    );
    m.save(Some(&saved)).expect("save");
    let runs = m.database().runs(None, 10).await.expect("runs");
    let texts = [
        std::fs::read_to_string(&saved).expect("saved"),
        format!("{m:?} {:?}", m.connector("eu").expect("connector")),
        serde_json::to_string(&report).expect("json"),
        serde_json::to_string(&runs).expect("json"),
    ];
    for t in &texts {
        for s in &secrets {
            assert!(!t.contains(s.as_str()), "a secret leaked into: {t}");
        }
    }
    assert!(texts[0].contains("env:NX_B_WOO_SECRET") && texts[0].contains("[stores.mage]"));
    let back = ManagerConfig::from_file(&saved).expect("reload");
    assert_eq!(back.stores.len(), 3);
    m.remove("mage").expect("remove");
    assert!(m.remove("mage").is_err());
    // A variable that is not set is named, without failing the other stores.
    let mut cfg = back.clone();
    cfg.stores.remove("mage");
    if let Some(s) = cfg.stores.get_mut("eu") {
        s.consumer_secret = Some("env:NX_NOT_SET_ANYWHERE".into());
    }
    cfg.database = Some(dir.path().join("other.db").display().to_string());
    let m2 = Manager::open(cfg, options(&shop, Arc::default()))
        .await
        .expect("manager");
    let r = m2.sync_all().await.expect("sync");
    let eu = r.store("eu").expect("eu");
    assert!(
        !eu.ok
            && eu
                .error
                .as_ref()
                .is_some_and(|e| e.message.contains("NX_NOT_SET_ANYWHERE"))
    );
    assert!(r.store("us").expect("us").ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_matched_across_stores_by_email() {
    let woo = FakeStore::start(PlatformKind::WooCommerce, FakeConfig::with_orders(60))
        .await
        .expect("fake");
    let shop = FakeStore::start(PlatformKind::Shopify, FakeConfig::with_orders(60))
        .await
        .expect("fake");
    let dir = tempdir::Dir::new();
    let file = dir.path().join("nexus.toml");
    std::fs::write(&file, registry(&woo, &shop, "C")).expect("write");
    let m = Manager::from_toml(&file, options(&shop, Arc::default()))
        .await
        .expect("manager");
    m.sync_all().await.expect("sync");
    let view = m.customers_across().await.expect("view");
    // The fakes generate customers from one seeded list, so the same people shop in both.
    let both: Vec<_> = view.iter().filter(|c| c.stores.len() == 2).collect();
    assert!(!both.is_empty(), "some customers bought in both stores");
    let db = m.database();
    let orders = db.orders(&ReadFilter::all()).await.expect("orders");
    for c in both.iter().take(5) {
        assert_eq!(c.email, c.email.trim().to_lowercase());
        assert!(c.records.iter().any(|r| r.1 == "eu") && c.records.iter().any(|r| r.1 == "us"));
        let mine = orders
            .iter()
            .filter(|o| {
                !matches!(
                    o.status,
                    nexus_core::model::OrderStatus::Cancelled
                        | nexus_core::model::OrderStatus::Failed
                        | nexus_core::model::OrderStatus::Draft
                ) && c.records.iter().any(|r| {
                    r.0 == o.source.platform
                        && r.1 == o.source.store
                        && Some(&r.2) == o.customer_id.as_ref()
                })
            })
            .count() as u64;
        assert!(c.orders >= mine && c.orders > 0, "{c:?}");
        assert!(c.first_order <= c.last_order);
    }
}
