//! Sync benchmark: a fake store on loopback with no rate limit, synced end to end (fetch,
//! map, check with the default rules, write with raw payloads) into a fresh database.
//!
//! Run with `cargo bench -p nexus-core --bench sync`. For each platform: 20,000 orders
//! (`NEXUS_BENCH_ORDERS`), the platform's largest page, five runs, the median orders per
//! second; beside it the fetch + map rate alone (the same read without checking or
//! writing), so the cost of the database is visible. SQLite always; PostgreSQL too when
//! `NEXUS_BENCH_POSTGRES` names a server URL (`scripts/pg.sh start` prints one).
//! The fake renders every page on the same machine, so the figures are a lower bound.

use std::sync::Arc;
use std::time::{Duration, Instant};

use nexus_core::model::{EntityKind, Order, PlatformKind};
use nexus_core::platform::{
    HttpOptions, Magento, Platform, ReadOptions, RetryPolicy, Shopify, WooCommerce, read_all,
};
use nexus_core::store::{self, ReadFilter};
use nexus_core::sync::{Source, SyncOptions, Syncer};
use nexus_fake::{FakeConfig, FakeStore};

fn http() -> HttpOptions {
    HttpOptions {
        timeout: Duration::from_secs(30),
        retry: RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        ..HttpOptions::default()
    }
}

fn connector(fake: &FakeStore) -> Arc<dyn Platform> {
    let c = fake.credentials();
    match fake.platform() {
        PlatformKind::WooCommerce => Arc::new(
            WooCommerce::builder(fake.url())
                .consumer_key(c.consumer_key.as_str())
                .consumer_secret(c.consumer_secret.as_str())
                .page_size(100)
                .requests_per_minute(1_000_000)
                .http(http())
                .build()
                .expect("woocommerce"),
        ),
        PlatformKind::Shopify => Arc::new(
            Shopify::builder(fake.url())
                .access_token(c.access_token.as_str())
                .page_size(250)
                .bucket(1_000_000, 1_000_000.0, 0)
                .http(http())
                .build()
                .expect("shopify"),
        ),
        PlatformKind::Magento => Arc::new(
            Magento::builder(fake.url())
                .access_token(c.access_token.as_str())
                .allow_plain_http(true)
                .page_size(300)
                .requests_per_minute(1_000_000)
                .http(http())
                .build()
                .expect("magento"),
        ),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn sync_once(db_url: &str, conn: Arc<dyn Platform>, orders: u64) -> f64 {
    let db = store::open(db_url).await.expect("database");
    let source = Source {
        name: "bench".into(),
        platform: conn,
        options: SyncOptions {
            entities: Some(vec![EntityKind::Order]),
            ..SyncOptions::default()
        },
    };
    let started = Instant::now();
    let report = Syncer::new(db.clone())
        .sync(std::slice::from_ref(&source))
        .await;
    let secs = started.elapsed().as_secs_f64();
    assert!(report.ok(), "{}", report.to_text());
    let c = db.counts(&ReadFilter::all()).await.expect("counts");
    assert_eq!(
        c.orders + c.quarantined,
        orders,
        "every order written or quarantined"
    );
    orders as f64 / secs
}

/// A fresh PostgreSQL database on the server `admin` names.
async fn fresh_postgres(admin: &str, name: &str) -> String {
    let (client, conn) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
        .await
        .expect("NEXUS_BENCH_POSTGRES");
    tokio::spawn(conn);
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        client.batch_execute(&sql).await.expect("create database");
    }
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    format!("{base}/{name}")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let orders: usize = std::env::var("NEXUS_BENCH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let runs = 5;
    let postgres = std::env::var("NEXUS_BENCH_POSTGRES").ok();
    let dir = std::env::temp_dir().join(format!("nexus-bench-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!("sync of {orders} orders, median of {runs} runs (orders/s)");
    println!(
        "{:<12} {:>12} {:>12} {:>12}",
        "platform", "fetch+map", "sqlite", "postgres"
    );
    for platform in PlatformKind::ALL {
        let mut config = FakeConfig::with_orders(orders);
        config.dirt = 0.02;
        let fake = FakeStore::start(platform, config)
            .await
            .expect("fake store");
        let conn = connector(&fake);
        conn.check().await.expect("check");
        let mut read = Vec::new();
        let mut lite = Vec::new();
        let mut pg = Vec::new();
        for run in 0..runs {
            let started = Instant::now();
            let r = read_all::<Order>(conn.as_ref(), None, &ReadOptions::default())
                .await
                .expect("read");
            read.push(r.records.len() as f64 / started.elapsed().as_secs_f64());
            let path = dir.join(format!("{}-{run}.db", platform.as_str()));
            lite.push(sync_once(&path.display().to_string(), conn.clone(), orders as u64).await);
            let _ = std::fs::remove_file(&path);
            if let Some(admin) = &postgres {
                let url =
                    fresh_postgres(admin, &format!("nexus_bench_{}_{run}", platform.as_str()))
                        .await;
                pg.push(sync_once(&url, conn.clone(), orders as u64).await);
            }
        }
        println!(
            "{:<12} {:>12.0} {:>12.0} {:>12}",
            platform.as_str(),
            median(read),
            median(lite),
            if pg.is_empty() {
                "-".to_owned()
            } else {
                format!("{:.0}", median(pg))
            }
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
