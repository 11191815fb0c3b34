//! Sync benchmark: a fake store on loopback with no rate limit, synced end to end (fetch,
//! map, check with the default rules, write with raw payloads) into a fresh database.
//!
//! Run with `cargo bench -p nexus-core --bench sync`. For each platform: 20,000 orders
//! (`NEXUS_BENCH_ORDERS`), the platform's largest page, five runs, the median orders per
//! second; beside it the fetch + map rate alone (the same read without checking or
//! writing), so the cost of the database is visible. SQLite always; PostgreSQL too when
//! `NEXUS_BENCH_POSTGRES` names a server URL (`scripts/pg.sh start` prints one).
//! `NEXUS_BENCH_PLATFORMS=woocommerce,magento` limits the run to those platforms, and
//! `NEXUS_BENCH_READ=0` skips the fetch + map runs (for profiling the sync alone);
//! `NEXUS_BENCH_RUNS` sets the number of runs.
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

/// CPU time this process has used so far (user + system, every thread), in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return f64::NAN;
    }
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// Orders per second and CPU microseconds per order of one timed run.
#[derive(Clone, Copy)]
struct Run {
    rate: f64,
    cpu_us: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The median rate and the median CPU per order of some runs, or dashes when none ran.
fn cells(runs: &[Run]) -> String {
    if runs.is_empty() {
        return format!("{:>10} {:>7}", "-", "-");
    }
    format!(
        "{:>10.0} {:>7.1}",
        median(runs.iter().map(|r| r.rate).collect()),
        median(runs.iter().map(|r| r.cpu_us).collect())
    )
}

async fn sync_once(db_url: &str, conn: Arc<dyn Platform>, orders: u64) -> Run {
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
    let cpu = cpu_seconds();
    let report = Syncer::new(db.clone())
        .sync(std::slice::from_ref(&source))
        .await;
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    assert!(report.ok(), "{}", report.to_text());
    let c = db.counts(&ReadFilter::all()).await.expect("counts");
    assert_eq!(
        c.orders + c.quarantined,
        orders,
        "every order written or quarantined"
    );
    Run {
        rate: orders as f64 / secs,
        cpu_us: cpu * 1e6 / orders as f64,
    }
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
    let runs: usize = std::env::var("NEXUS_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let postgres = std::env::var("NEXUS_BENCH_POSTGRES").ok();
    let dir = std::env::temp_dir().join(format!("nexus-bench-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!(
        "sync of {orders} orders, median of {runs} runs: orders/s, and CPU microseconds per order \
         used by this process (fake store included; PostgreSQL's server not)"
    );
    println!(
        "{:<12} {:>10} {:>7} {:>10} {:>7} {:>10} {:>7}",
        "platform", "fetch+map", "cpu", "sqlite", "cpu", "postgres", "cpu"
    );
    let only = std::env::var("NEXUS_BENCH_PLATFORMS").unwrap_or_default();
    let read_too = std::env::var("NEXUS_BENCH_READ").map_or(true, |v| v != "0");
    for platform in PlatformKind::ALL {
        if !only.is_empty() && !only.split(',').any(|p| p.trim() == platform.as_str()) {
            continue;
        }
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
            if read_too {
                let started = Instant::now();
                let cpu = cpu_seconds();
                let r = read_all::<Order>(conn.as_ref(), None, &ReadOptions::default())
                    .await
                    .expect("read");
                let n = r.records.len() as f64;
                read.push(Run {
                    rate: n / started.elapsed().as_secs_f64(),
                    cpu_us: (cpu_seconds() - cpu) * 1e6 / n,
                });
            }
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
            "{:<12} {} {} {}",
            platform.as_str(),
            cells(&read),
            cells(&lite),
            cells(&pg)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
