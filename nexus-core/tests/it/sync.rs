//! The sync engine against the fake stores: exactness, faults, concurrency, failures.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use nexus_core::model::{Customer, Order, Product};
use nexus_core::model::{EntityKind, PlatformKind};
use nexus_core::platform::{Platform, ReadOptions, read_all};
use nexus_core::store::{self, ReadFilter, Store};
use nexus_core::sync::{Source, SyncOptions, Syncer};
use nexus_fake::{FakeConfig, FakeStore, Fault};

use crate::fakes::{quick_http, shopify, woo};
use crate::store::sqlite_path;

fn source(name: &str, platform: Arc<dyn Platform>) -> Source {
    Source {
        name: name.into(),
        platform,
        options: SyncOptions {
            read: ReadOptions {
                overlap: Duration::ZERO,
                ..ReadOptions::default()
            },
            ..SyncOptions::default()
        },
    }
}

fn magento(fake: &FakeStore) -> nexus_core::platform::Magento {
    nexus_core::platform::Magento::builder(fake.url())
        .access_token(fake.credentials().access_token.as_str())
        .page_size(40)
        .allow_plain_http(true)
        .requests_per_minute(100_000)
        .http(quick_http())
        .build()
        .expect("connector")
}

/// What the store holds, read directly and completely through a fresh connector.
async fn truth(platform: &dyn Platform, name: &str) -> (Vec<Order>, Vec<Customer>, Vec<Product>) {
    platform.check().await.expect("check");
    let all = ReadOptions::default();
    let mut o = read_all::<Order>(platform, None, &all)
        .await
        .expect("orders")
        .records;
    let mut c = read_all::<Customer>(platform, None, &all)
        .await
        .expect("customers")
        .records;
    let mut p = read_all::<Product>(platform, None, &all)
        .await
        .expect("products")
        .records;
    o.sort_by(|a, b| a.source.id.cmp(&b.source.id));
    c.sort_by(|a, b| a.source.id.cmp(&b.source.id));
    p.sort_by(|a, b| a.source.id.cmp(&b.source.id));
    // The sync keeps records under the source's name.
    o.iter_mut().for_each(|r| r.source.store = name.into());
    c.iter_mut().for_each(|r| r.source.store = name.into());
    for r in &mut p {
        r.source.store = name.into();
        r.variants
            .iter_mut()
            .for_each(|v| v.source.store = name.into());
    }
    (o, c, p)
}

/// Everything of a store in the database: written records and quarantined ids.
async fn held(
    db: &dyn Store,
    name: &str,
) -> (Vec<Order>, Vec<Customer>, Vec<Product>, Vec<String>) {
    let f = ReadFilter::store(name);
    let by_id = |a: &str, b: &str| a.cmp(b);
    let mut o = db.orders(&f).await.expect("orders");
    let mut c = db.customers(&f).await.expect("customers");
    let mut p = db.products(&f).await.expect("products");
    o.sort_by(|a, b| by_id(&a.source.id, &b.source.id));
    c.sort_by(|a, b| by_id(&a.source.id, &b.source.id));
    p.sort_by(|a, b| by_id(&a.source.id, &b.source.id));
    let q = db
        .quarantined(&f)
        .await
        .expect("quarantine")
        .into_iter()
        .map(|q| format!("{}:{}", q.entity.as_str(), q.source_id.unwrap_or_default()))
        .collect();
    (o, c, p, q)
}

/// Orders, customers and products in the database, field for field, equal what the store
/// holds once quarantined records are set aside; no duplicates.
fn assert_exact(
    truth: &(Vec<Order>, Vec<Customer>, Vec<Product>),
    held: &(Vec<Order>, Vec<Customer>, Vec<Product>, Vec<String>),
) {
    let quarantined = |entity: &str, id: &str| held.3.contains(&format!("{entity}:{id}"));
    let orders: Vec<&Order> = truth
        .0
        .iter()
        .filter(|o| !quarantined("order", &o.source.id))
        .collect();
    assert_eq!(held.0.len(), orders.len(), "orders held");
    for (a, b) in held.0.iter().zip(orders) {
        assert_eq!(a, b, "order {}", b.source.id);
    }
    let customers: Vec<&Customer> = truth
        .1
        .iter()
        .filter(|c| !quarantined("customer", &c.source.id))
        .collect();
    assert_eq!(held.1.iter().collect::<Vec<_>>(), customers, "customers");
    let products: Vec<&Product> = truth
        .2
        .iter()
        .filter(|p| !quarantined("product", &p.source.id))
        .collect();
    assert_eq!(held.2.iter().collect::<Vec<_>>(), products, "products");
    let total = truth.0.len() + truth.1.len() + truth.2.len();
    let kept = held.0.len()
        + held.1.len()
        + held.2.len()
        + held.3.iter().filter(|q| !q.starts_with("refund:")).count();
    assert_eq!(
        kept, total,
        "every record is either written or quarantined, once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faulty_store_syncs_exactly_and_an_incremental_run_catches_up() {
    let mut config = FakeConfig::with_orders(300);
    // A server error, a truncated body, a rate limit and a dropped connection mid-read.
    config.faults = [
        (3, Fault::Status(500)),
        (6, Fault::Truncated),
        (9, Fault::RateLimited(0.05)),
        (12, Fault::Drop),
    ]
    .into_iter()
    .collect();
    let fake = FakeStore::start(PlatformKind::WooCommerce, config)
        .await
        .expect("fake");
    let (_dir, path) = sqlite_path();
    let db = store::open(&path).await.expect("db");
    let conn: Arc<dyn Platform> = Arc::new(woo(&fake, 25));
    let src = source("woo", conn.clone());
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let syncer = Syncer::new(db.clone()).on_progress(move |p| ev.lock().unwrap().push(p.clone()));
    let first = syncer.sync(std::slice::from_ref(&src)).await;
    assert!(first.ok(), "{}", first.to_text());
    let store = first.store("woo").expect("report");
    assert!(
        store.requests.retries >= 3,
        "the faults were retried: {:?}",
        store.requests
    );
    let orders = store.entity(EntityKind::Order).expect("orders");
    assert_eq!(orders.fetched, 300);
    assert!(orders.complete && orders.checkpoint.is_some());
    let t = truth(&woo(&fake, 100), "woo").await;
    assert_exact(&t, &held(db.as_ref(), "woo").await);
    // Progress: per write, counts rising, the last event of each entity marked done.
    let ev = events.lock().unwrap().clone();
    let order_events: Vec<_> = ev
        .iter()
        .filter(|p| p.entity == EntityKind::Order)
        .collect();
    // One event per write (pages fetched ahead are written together), then the last one.
    assert!(order_events.len() >= 2 && order_events.len() as u32 <= orders.pages + 1);
    assert!(
        order_events
            .windows(2)
            .all(|w| w[0].fetched <= w[1].fetched)
    );
    let last = order_events.last().expect("last");
    assert!(last.done && last.total == Some(300) && last.written + last.quarantined == 300);
    assert!(
        order_events[0].total.is_some(),
        "WooCommerce says how many records there are"
    );

    // Edits and new orders in the store; the next run reads only them.
    let changed = fake.mutate(20, 15);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = syncer.sync(std::slice::from_ref(&src)).await;
    assert!(second.ok(), "{}", second.to_text());
    let orders = second
        .store("woo")
        .and_then(|s| s.entity(EntityKind::Order))
        .expect("orders");
    assert_eq!(
        orders.fetched,
        changed.len() as u64,
        "only the changed orders are read again"
    );
    let t = truth(&woo(&fake, 100), "woo").await;
    assert_eq!(t.0.len(), 315);
    assert_exact(&t, &held(db.as_ref(), "woo").await);
    // Both runs are in the history, newest first.
    let runs = db.runs(Some("woo"), 10).await.expect("runs");
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].run_id, second.run_id);
    assert_eq!(runs[0].report["entities"][2]["entity"], "order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_of_different_platforms_sync_at_once_and_a_failing_one_stops_nobody() {
    let shop = FakeStore::start(PlatformKind::Shopify, FakeConfig::with_orders(120))
        .await
        .expect("fake");
    let mage = FakeStore::start(PlatformKind::Magento, FakeConfig::with_orders(90))
        .await
        .expect("fake");
    let broken = FakeStore::start(PlatformKind::WooCommerce, FakeConfig::with_orders(10))
        .await
        .expect("fake");
    let wrong = nexus_core::platform::WooCommerce::builder(broken.url())
        .consumer_key("ck_wrong")
        .consumer_secret("cs_wrong")
        .http(quick_http())
        .build()
        .expect("connector");
    let (_dir, path) = sqlite_path();
    let db = store::open(&path).await.expect("db");
    let sources = [
        source("shopify", Arc::new(shopify(&shop, 50))),
        source("broken", Arc::new(wrong)),
        source("magento", Arc::new(magento(&mage))),
    ];
    let report = Syncer::new(db.clone()).concurrency(3).sync(&sources).await;
    assert!(!report.ok());
    let failed = report.store("broken").expect("broken");
    assert!(!failed.ok);
    assert_eq!(
        failed.error.as_ref().map(|e| e.code.as_str()),
        Some("auth_failed")
    );
    assert!(
        failed.entities.is_empty(),
        "a store that refuses the credentials is not read"
    );
    for (name, fake, n) in [("shopify", &shop, 120u64), ("magento", &mage, 90)] {
        let s = report.store(name).expect(name);
        assert!(s.ok, "{}", report.to_text());
        let o = s.entity(EntityKind::Order).expect("orders");
        assert_eq!(o.written + o.quarantined, n, "{name}");
        let conn: Box<dyn Platform> = if name == "shopify" {
            Box::new(shopify(fake, 250))
        } else {
            Box::new(magento(fake))
        };
        assert_exact(
            &truth(conn.as_ref(), name).await,
            &held(db.as_ref(), name).await,
        );
        assert!(s.quality.records > 0 && !s.quality.grade.is_empty());
    }
    // The two stores' runs overlapped in time.
    let (a, b) = (
        report.store("shopify").unwrap(),
        report.store("magento").unwrap(),
    );
    assert!(a.started_at < b.finished_at && b.started_at < a.finished_at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_sync_stops_between_pages_and_the_next_one_finishes_the_job() {
    let mut config = FakeConfig::with_orders(400);
    config.faults = (2..200)
        .map(|n| (n, Fault::Slow(Duration::from_millis(30))))
        .collect();
    let fake = FakeStore::start(PlatformKind::WooCommerce, config)
        .await
        .expect("fake");
    let (_dir, path) = sqlite_path();
    let db = store::open(&path).await.expect("db");
    let mut src = source("woo", Arc::new(woo(&fake, 10)));
    src.options.entities = Some(vec![EntityKind::Order]);
    let syncer = Syncer::new(db.clone());
    let cancel = syncer.cancel_token();
    let pages = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let seen = pages.clone();
    let syncer = syncer.on_progress(move |_| {
        if seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 3 {
            cancel.cancel();
        }
    });
    let report = syncer.sync(std::slice::from_ref(&src)).await;
    assert!(report.cancelled && !report.ok());
    let o = report
        .store("woo")
        .and_then(|s| s.entity(EntityKind::Order))
        .expect("orders");
    assert_eq!(o.error.as_ref().map(|e| e.code.as_str()), Some("cancelled"));
    let written = db.counts(&ReadFilter::all()).await.expect("counts").orders;
    assert!(written > 0 && written < 400, "{written}");
    assert_eq!(written, o.written, "what the report says is what is stored");
    // A new syncer resumes from the checkpoint the cancelled run left.
    let again = Syncer::new(db.clone())
        .sync(std::slice::from_ref(&src))
        .await;
    assert!(again.ok(), "{}", again.to_text());
    let o2 = again
        .store("woo")
        .and_then(|s| s.entity(EntityKind::Order))
        .expect("orders");
    assert!(o2.fetched < 400, "resumed, not restarted: {}", o2.fetched);
    let c = db.counts(&ReadFilter::all()).await.expect("counts");
    assert_eq!(c.orders + c.quarantined, 400);
}
