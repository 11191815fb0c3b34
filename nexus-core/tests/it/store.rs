//! The stores: the same suite against SQLite and PostgreSQL.
//!
//! The PostgreSQL half needs a server: `NEXUS_TEST_POSTGRES` names a URL of a role allowed
//! to create databases (`scripts/test.sh` starts one with `scripts/pg.sh`). Each test gets
//! a database of its own.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{TimeZone, Utc};
use nexus_core::mapping::Mapper;
use nexus_core::model::{EntityKind, Order, PlatformKind};
use nexus_core::platform::SyncCursor;
use nexus_core::store::{self, PageRecords, PageWrite, QuarantineEntry, ReadFilter, RunRecord};

use crate::common::fixture;

/// A fresh PostgreSQL database for one test.
pub async fn postgres_url() -> String {
    let admin = std::env::var("NEXUS_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "NEXUS_TEST_POSTGRES is not set: the PostgreSQL store tests need a server. \
             Run `bash scripts/test.sh`, or `scripts/pg.sh start` and export the URL it prints."
        )
    });
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "nexus_t_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .expect("connect to NEXUS_TEST_POSTGRES");
    tokio::spawn(conn);
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        client
            .batch_execute(&sql)
            .await
            .expect("create test database");
    }
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    format!("{base}/{name}")
}

/// A fresh SQLite file for one test.
pub fn sqlite_path() -> (tempdir::Dir, String) {
    let dir = tempdir::Dir::new();
    let path = dir.path().join("nexus.db").display().to_string();
    (dir, path)
}

/// A temporary directory removed when dropped.
pub mod tempdir {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU32, Ordering};

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> Self {
            static N: AtomicU32 = AtomicU32::new(0);
            let p = std::env::temp_dir().join(format!(
                "nexus-test-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).expect("temp dir");
            Dir(p)
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Runs the async test body against both stores.
macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (_dir, path) = super::sqlite_path();
                super::$body(&path).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let url = super::postgres_url().await;
                super::$body(&url).await;
            }
        }
    };
}

fn at(s: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + s, 0)
        .single()
        .expect("time")
}

fn page(store: &str, platform: PlatformKind, records: PageRecords) -> PageWrite {
    PageWrite {
        store: store.into(),
        platform,
        records,
        quarantine: vec![],
        checkpoint: None,
        at: at(0),
    }
}

fn with_raw<T>(records: Vec<T>) -> Vec<(T, Option<String>)> {
    records
        .into_iter()
        .enumerate()
        .map(|(i, r)| (r, Some(format!("{{\"raw\": {i}}}"))))
        .collect()
}

/// The documented payloads of every platform and entity, written then read back.
async fn round_trip(url: &str) {
    let db = store::open(url).await.expect("open");
    let sets: [(PlatformKind, &str, &str, &str, &str); 3] = [
        (
            PlatformKind::WooCommerce,
            "woocommerce/orders_list.json",
            "woocommerce/customers_list.json",
            "woocommerce/products_list.json",
            "woocommerce/order_refunds_list.json",
        ),
        (
            PlatformKind::Shopify,
            "shopify/orders.json",
            "shopify/customers.json",
            "shopify/products.json",
            "shopify/order_refunds.json",
        ),
        (
            PlatformKind::Magento,
            "magento/order.json",
            "magento/customer.json",
            "magento/product_configurable.json",
            "magento/invoice.json",
        ),
    ];
    let usd = nexus_core::model::Currency::new("USD").expect("USD");
    let (mut orders, mut customers, mut products, mut refunds) = (vec![], vec![], vec![], vec![]);
    for (platform, o, c, p, r) in sets {
        let name = format!("shop-{platform}");
        let m = Mapper::new(platform).store(name.clone()).currency(usd);
        let o = m.map_orders(&fixture(o)).records;
        let c = m.map_customers(&fixture(c)).records;
        let p = m.map_products(&fixture(p)).records;
        let r = if platform == PlatformKind::Magento {
            vec![]
        } else {
            m.map_refunds(&fixture(r)).records
        };
        assert!(
            !o.is_empty() && !c.is_empty() && !p.is_empty(),
            "{platform} fixtures map"
        );
        for (records, kind) in [
            (PageRecords::Orders(with_raw(o.clone())), "orders"),
            (PageRecords::Customers(with_raw(c.clone())), "customers"),
            (PageRecords::Products(with_raw(p.clone())), "products"),
            (PageRecords::Refunds(with_raw(r.clone())), "refunds"),
        ] {
            let n = records.len() as u64;
            let out = db
                .write_page(page(&name, platform, records))
                .await
                .expect(kind);
            assert_eq!(out.written, n, "{platform} {kind}");
        }
        orders.extend(o);
        customers.extend(c);
        products.extend(p);
        refunds.extend(r);
    }
    let key = |s: &nexus_core::model::SourceRef| {
        (
            s.platform.as_str().to_owned(),
            s.store.clone(),
            s.id.clone(),
        )
    };
    orders.sort_by_key(|o| key(&o.source));
    customers.sort_by_key(|c| key(&c.source));
    products.sort_by_key(|p| key(&p.source));
    refunds.sort_by_key(|r| key(&r.source));
    let all = ReadFilter::all();
    let back = db.orders(&all).await.expect("orders");
    assert_eq!(back.len(), orders.len());
    for (a, b) in back.iter().zip(&orders) {
        assert_eq!(a, b, "order {} reads back field for field", b.source.id);
    }
    assert_eq!(db.customers(&all).await.expect("customers"), customers);
    assert_eq!(db.products(&all).await.expect("products"), products);
    assert_eq!(db.refunds(&all).await.expect("refunds"), refunds);
    // Only one store, when asked.
    let shopify = db
        .orders(&ReadFilter::store("shop-shopify"))
        .await
        .expect("filtered");
    assert!(!shopify.is_empty());
    assert!(
        shopify
            .iter()
            .all(|o| o.source.platform == PlatformKind::Shopify)
    );
    let counts = db.counts(&all).await.expect("counts");
    assert_eq!(counts.orders, orders.len() as u64);
    assert_eq!(counts.products, products.len() as u64);
    // The raw payload is kept beside each record.
    let first = &orders[0].source;
    let raw = db.raw_payload(first).await.expect("raw").expect("kept");
    assert!(raw.starts_with("{\"raw\": "), "{raw}");
}
both!(records_read_back_field_for_field, round_trip);

fn order(id: &str, updated: i64, total: &str) -> Order {
    let page = format!(
        r#"[{{"id": {id}, "status": "completed", "currency": "EUR",
            "date_created_gmt": "2023-11-14T22:13:20", "date_modified_gmt": "{}",
            "total": "{total}", "customer_id": 7, "billing": {{"email": "Ann@Example.com", "first_name": "Ann"}},
            "line_items": [{{"id": {id}1, "name": "Mug", "product_id": 3, "quantity": 1, "price": {total},
                             "subtotal": "{total}", "total": "{total}"}}]}}]"#,
        at(updated).format("%Y-%m-%dT%H:%M:%S")
    );
    let mut r = Mapper::new(PlatformKind::WooCommerce)
        .store("woo")
        .map_orders(page.as_bytes());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    r.records.remove(0)
}

/// An older copy never replaces a newer one; children follow their record.
async fn newest_version_wins(url: &str) {
    let db = store::open(url).await.expect("open");
    let p = PlatformKind::WooCommerce;
    let v2 = order("10", 200, "20.00");
    let v1 = order("10", 100, "10.00");
    let v3 = order("10", 300, "30.00");
    let w = |o: &Order| page("woo", p, PageRecords::Orders(vec![(o.clone(), None)]));
    assert_eq!(db.write_page(w(&v2)).await.expect("v2").written, 1);
    let late = db.write_page(w(&v1)).await.expect("v1");
    assert_eq!((late.written, late.stale), (0, 1));
    assert_eq!(
        db.orders(&ReadFilter::all()).await.expect("read"),
        vec![v2.clone()]
    );
    // The same version again is written (an idempotent re-read), and a newer one replaces
    // it with its lines.
    assert_eq!(db.write_page(w(&v2)).await.expect("again").written, 1);
    assert_eq!(db.write_page(w(&v3)).await.expect("v3").written, 1);
    let back = db.orders(&ReadFilter::all()).await.expect("read");
    assert_eq!(back, vec![v3.clone()]);
    assert_eq!(
        back[0].line_items.len(),
        1,
        "the old lines went with the old version"
    );
    // The transactions table for analytics.
    let tx = db
        .transactions(&ReadFilter::all())
        .await
        .expect("transactions");
    assert_eq!(tx.len(), 1);
    assert_eq!(tx[0].order_id, "10");
    assert_eq!(tx[0].customer_id.as_deref(), Some("7"));
    assert_eq!(tx[0].amount.to_string(), "30.00");
    assert_eq!(tx[0].currency.as_str(), "EUR");
}
both!(
    an_older_copy_never_replaces_a_newer_one,
    newest_version_wins
);

/// One page holding a stale copy, a newer copy and a new record: only the stale one's rows
/// (its lines included) stay out.
async fn a_mixed_page_keeps_only_what_is_newer(url: &str) {
    let db = store::open(url).await.expect("open");
    let p = PlatformKind::WooCommerce;
    let stored = vec![
        (order("10", 200, "20.00"), None),
        (order("11", 200, "21.00"), None),
    ];
    let first = db
        .write_page(page("woo", p, PageRecords::Orders(stored)))
        .await
        .expect("first page");
    assert_eq!(first.written, 2);
    // The stale copy has two lines where the stored one has one.
    let mut stale = order("10", 100, "10.00");
    let mut second_line = stale.line_items[0].clone();
    second_line.source_id = "102".into();
    stale.line_items.push(second_line);
    let newer = order("11", 300, "31.00");
    let new = order("12", 100, "12.00");
    let out = db
        .write_page(page(
            "woo",
            p,
            PageRecords::Orders(vec![
                (stale, None),
                (newer.clone(), None),
                (new.clone(), None),
            ]),
        ))
        .await
        .expect("mixed page");
    assert_eq!((out.written, out.stale), (2, 1));
    let mut back = db.orders(&ReadFilter::all()).await.expect("read");
    back.sort_by(|a, b| a.source.id.cmp(&b.source.id));
    assert_eq!(back, vec![order("10", 200, "20.00"), newer, new]);
    assert_eq!(
        back[0].line_items.len(),
        1,
        "the stale copy's lines stayed out"
    );
}
both!(
    a_page_mixing_stale_newer_and_new_records,
    a_mixed_page_keeps_only_what_is_newer
);

/// Quarantined records are kept with their reason; arriving clean releases them.
async fn quarantine_and_release(url: &str) {
    let db = store::open(url).await.expect("open");
    let p = PlatformKind::WooCommerce;
    let bad = QuarantineEntry {
        entity: EntityKind::Order,
        source_id: Some("10".into()),
        reason: "order.total_matches: total 10.00 is not the sum of its parts".into(),
        rules: vec!["order.total_matches".into()],
        raw: Some("{\"id\": 10}".into()),
    };
    let unidentified = QuarantineEntry {
        entity: EntityKind::Order,
        source_id: None,
        reason: "[3].id: required field is missing or null".into(),
        rules: vec![],
        raw: Some("{\"status\": \"x\"}".into()),
    };
    let mut w = page("woo", p, PageRecords::Orders(vec![]));
    w.quarantine = vec![bad.clone(), unidentified.clone()];
    w.checkpoint = Some(SyncCursor {
        updated_at: at(5),
        id: "10".into(),
    });
    assert_eq!(
        db.write_page(w.clone()).await.expect("write").quarantined,
        2
    );
    // Seen again: counted, not duplicated.
    w.at = at(60);
    db.write_page(w).await.expect("again");
    let q = db
        .quarantined(&ReadFilter::all())
        .await
        .expect("quarantine");
    assert_eq!(q.len(), 2);
    let entry = q
        .iter()
        .find(|e| e.source_id.as_deref() == Some("10"))
        .expect("entry");
    assert_eq!(entry.rules, vec!["order.total_matches".to_owned()]);
    assert_eq!(entry.raw.as_deref(), Some("{\"id\": 10}"));
    assert_eq!(
        (entry.first_seen, entry.last_seen, entry.times_seen),
        (at(0), at(60), 2)
    );
    assert!(q.iter().any(|e| e.key.starts_with("unidentified:")));
    assert_eq!(
        db.checkpoint("woo", EntityKind::Order).await.expect("cp"),
        Some(SyncCursor {
            updated_at: at(5),
            id: "10".into()
        })
    );
    // The order arrives clean: it is written and leaves quarantine.
    let clean = db
        .write_page(page(
            "woo",
            p,
            PageRecords::Orders(vec![(order("10", 400, "12.00"), None)]),
        ))
        .await
        .expect("clean");
    assert_eq!((clean.written, clean.released), (1, 1));
    let q = db
        .quarantined(&ReadFilter::all())
        .await
        .expect("quarantine");
    assert_eq!(q.len(), 1);
    assert_eq!(
        db.counts(&ReadFilter::store("woo"))
            .await
            .expect("counts")
            .quarantined,
        1
    );
    assert_eq!(
        db.quarantine_size(&ReadFilter::store("woo"))
            .await
            .expect("size"),
        1
    );
    assert_eq!(
        db.quarantine_size(&ReadFilter::store("other"))
            .await
            .expect("size"),
        0
    );
    db.reset_checkpoints("woo").await.expect("reset");
    assert_eq!(
        db.checkpoint("woo", EntityKind::Order).await.expect("cp"),
        None
    );
}
both!(
    quarantined_records_leave_when_they_arrive_clean,
    quarantine_and_release
);

/// Writes order "1" of store "woo".
async fn write_one_order(db: &dyn store::Store) {
    db.write_page(page(
        "woo",
        PlatformKind::WooCommerce,
        PageRecords::Orders(vec![(order("1", 1, "5.00"), None)]),
    ))
    .await
    .expect("write");
}

/// Reopening keeps the data; the sync history is kept and read newest first.
async fn reopen_and_history(url: &str) {
    {
        let db = store::open(url).await.expect("open");
        assert_eq!(
            db.schema_version().await.expect("version"),
            store::SCHEMA_VERSION
        );
        write_one_order(db.as_ref()).await;
        for (i, ok) in [(1, true), (2, false)] {
            db.save_run(&RunRecord {
                run_id: format!("run-{i}"),
                store: "woo".into(),
                platform: PlatformKind::WooCommerce,
                started_at: at(i * 100),
                finished_at: at(i * 100 + 5),
                ok,
                report: serde_json::json!({"orders": {"written": i}}),
            })
            .await
            .expect("run");
        }
    }
    let db = store::open(url).await.expect("reopen");
    assert_eq!(
        db.schema_version().await.expect("version"),
        store::SCHEMA_VERSION
    );
    assert_eq!(
        db.counts(&ReadFilter::all()).await.expect("counts").orders,
        1
    );
    let runs = db.runs(Some("woo"), 10).await.expect("runs");
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].run_id, "run-2");
    assert!(!runs[0].ok);
    assert_eq!(runs[1].report["orders"]["written"], 1);
    assert_eq!(db.runs(None, 1).await.expect("runs").len(), 1);
}
both!(
    a_reopened_store_keeps_its_data_and_history,
    reopen_and_history
);

/// Two handles on one database (two processes, say): what one writes, the other sees
/// before it writes, even where it had written alone so far.
async fn two_writers(url: &str) {
    let a = store::open(url).await.expect("open a");
    let b = store::open(url).await.expect("open b");
    let p = PlatformKind::WooCommerce;
    let w = |o: Order| page("woo", p, PageRecords::Orders(vec![(o, None)]));
    assert_eq!(
        a.write_page(w(order("1", 100, "1.00")))
            .await
            .expect("a")
            .written,
        1
    );
    // `b` writes an order `a` has never seen, newer than the copy `a` writes next.
    assert_eq!(
        b.write_page(w(order("2", 500, "5.00")))
            .await
            .expect("b")
            .written,
        1
    );
    let late = a
        .write_page(w(order("2", 200, "2.00")))
        .await
        .expect("a late");
    assert_eq!(
        (late.written, late.stale),
        (0, 1),
        "the older copy is stale"
    );
    // And the other way round: a newer copy from `a` replaces `b`'s, lines and all.
    let newer = a
        .write_page(w(order("2", 900, "9.00")))
        .await
        .expect("a newer");
    assert_eq!(newer.written, 1);
    let back = b.orders(&ReadFilter::all()).await.expect("read");
    assert_eq!(back.len(), 2);
    let two = back.iter().find(|o| o.source.id == "2").expect("order 2");
    assert_eq!(two.total.amount.to_string(), "9.00");
    assert_eq!(two.line_items.len(), 1);
}
both!(a_second_writer_is_seen_before_each_write, two_writers);

/// The secondary indexes the database holds, by name.
async fn index_names(url: &str) -> Vec<String> {
    let mut names: Vec<String> = if url.starts_with("postgres") {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(conn);
        client
            .query(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() \
                 AND indexname NOT LIKE '%_pkey'",
                &[],
            )
            .await
            .expect("indexes")
            .iter()
            .map(|r| r.get(0))
            .collect()
    } else {
        let c = rusqlite::Connection::open(url).expect("open");
        let mut st = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            .expect("prepare");
        st.query_map([], |r| r.get(0))
            .expect("indexes")
            .collect::<Result<_, _>>()
            .expect("names")
    };
    names.sort();
    names
}

/// A first load drops the indexes of empty tables and builds them at the end; a store
/// opened after a load that died first builds them too; tables with rows keep theirs.
async fn deferred_indexes(url: &str) {
    let all = {
        let db = store::open(url).await.expect("open");
        let all = index_names(url).await;
        let mut dropped = db.defer_indexes().await.expect("defer");
        dropped.sort();
        let secondary: Vec<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|n| *n != "sync_runs_store")
            .collect();
        assert_eq!(dropped, secondary, "every record table is empty");
        assert_eq!(index_names(url).await, vec!["sync_runs_store".to_owned()]);
        write_one_order(db.as_ref()).await;
        all
        // Dropped here without building the indexes, as a process killed mid-load.
    };
    let db = store::open(url).await.expect("reopen");
    assert_eq!(
        index_names(url).await,
        all,
        "the open builds what is missing"
    );
    let again = db.defer_indexes().await.expect("defer");
    assert!(
        !again.iter().any(|n| n.starts_with("orders_")),
        "orders holds rows: {again:?}"
    );
    db.build_indexes().await.expect("build");
    assert_eq!(index_names(url).await, all);
    let found = db
        .orders(&ReadFilter::store("woo"))
        .await
        .expect("read back");
    assert_eq!(found.len(), 1);
}
both!(a_first_load_builds_its_indexes_at_the_end, deferred_indexes);

#[tokio::test]
async fn a_database_from_a_newer_nexus_is_refused() {
    let (_dir, path) = sqlite_path();
    drop(store::open(&path).await.expect("create"));
    // What a future Nexus would leave behind: a schema version this one does not know.
    rusqlite::Connection::open(&path)
        .and_then(|c| c.execute("INSERT INTO nexus_schema VALUES (99, 'later', '9.9.9')", []))
        .expect("mark the schema as newer");
    let err = store::open(&path).await.expect_err("newer schema");
    assert_eq!(err.code(), "schema_too_new");
    assert!(err.to_string().contains("schema version 99"), "{err}");
}

#[tokio::test]
async fn a_wrong_postgres_password_is_an_error_without_the_password() {
    let Ok(admin) = std::env::var("NEXUS_TEST_POSTGRES") else {
        panic!("NEXUS_TEST_POSTGRES is not set: run `bash scripts/test.sh`");
    };
    let url = match url::Url::parse(&admin) {
        Ok(mut u) => {
            u.set_username("nobody-here").expect("user");
            u.set_password(Some("s3cr3t-pw")).expect("password");
            u.to_string()
        }
        Err(e) => panic!("bad NEXUS_TEST_POSTGRES: {e}"),
    };
    let err = store::open(&url).await.expect_err("refused");
    assert_eq!(err.code(), "store_error");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("s3cr3t-pw"), "{text}");
}
