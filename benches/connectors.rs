//! Connector benchmarks against the fake stores on loopback.
//!
//! Run with `cargo bench -p nexus-core --bench connectors`. Two measurements:
//!
//! 1. **Fetch + map throughput.** Every order of a 20,000-order fake store, read with the
//!    platform's largest page and no rate limit, five times; the median orders per second
//!    (the fake renders each page on the same machine, so this is a lower bound for the
//!    client).
//! 2. **Rate-limit efficiency.** A read against a store that enforces its limit, for
//!    `NEXUS_BENCH_SECS` seconds (default 30): WooCommerce at 600 requests a minute, Shopify
//!    with its 40-request bucket leaking 2 a second. The requests achieved as a fraction of
//!    what the limit allows in that time, and the 429s received.
//!
//! Arguments: `throughput` or `rate` runs one part only.

use std::time::{Duration, Instant};

use nexus_core::model::{EntityKind, Order, PlatformKind};
use nexus_core::platform::{
    HttpOptions, Magento, Pager, Platform, ReadOptions, RetryPolicy, Shopify, WooCommerce, read_all,
};
use nexus_fake::{FakeConfig, FakeRate, FakeStore};

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

fn woo(fake: &FakeStore, per_minute: u32, page_size: u32) -> Box<dyn Platform> {
    let c = fake.credentials();
    Box::new(
        WooCommerce::builder(fake.url())
            .consumer_key(c.consumer_key.as_str())
            .consumer_secret(c.consumer_secret.as_str())
            .page_size(page_size)
            .requests_per_minute(per_minute)
            .http(http())
            .build()
            .expect("woocommerce"),
    )
}

fn shopify(fake: &FakeStore, bucket: (u32, f64, u32), page_size: u32) -> Box<dyn Platform> {
    Box::new(
        Shopify::builder(fake.url())
            .access_token(fake.credentials().access_token.as_str())
            .page_size(page_size)
            .bucket(bucket.0, bucket.1, bucket.2)
            .http(http())
            .build()
            .expect("shopify"),
    )
}

fn magento(fake: &FakeStore, page_size: u32) -> Box<dyn Platform> {
    Box::new(
        Magento::builder(fake.url())
            .access_token(fake.credentials().access_token.as_str())
            .allow_plain_http(true)
            .page_size(page_size)
            .requests_per_minute(1_000_000)
            .http(http())
            .build()
            .expect("magento"),
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn throughput(rt: &tokio::runtime::Runtime) {
    const ORDERS: usize = 20_000;
    println!("fetch + map, {ORDERS} orders, largest page, no rate limit, median of 5 runs");
    for platform in [
        PlatformKind::WooCommerce,
        PlatformKind::Shopify,
        PlatformKind::Magento,
    ] {
        let fake = FakeStore::spawn(platform, FakeConfig::with_orders(ORDERS)).expect("fake");
        let conn = match platform {
            PlatformKind::WooCommerce => woo(&fake, 1_000_000, 100),
            PlatformKind::Shopify => shopify(&fake, (1_000_000, 1_000_000.0, 0), 250),
            _ => magento(&fake, 300),
        };
        let mut rates = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let read = rt
                .block_on(read_all::<Order>(
                    conn.as_ref(),
                    None,
                    &ReadOptions::default(),
                ))
                .expect("read");
            let secs = started.elapsed().as_secs_f64();
            assert_eq!(read.records.len(), ORDERS, "every order read");
            assert!(read.errors.is_empty());
            rates.push(ORDERS as f64 / secs);
        }
        println!(
            "  {platform:<12} {:>9.0} orders/s  (runs: {})",
            median(rates.clone()),
            rates
                .iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// Reads pages for `secs` seconds; returns the requests the store received.
fn paced_read(rt: &tokio::runtime::Runtime, conn: &dyn Platform, secs: f64) -> u32 {
    rt.block_on(async {
        let started = Instant::now();
        let mut pager = Pager::new(conn, EntityKind::Order, None, &ReadOptions::default());
        while started.elapsed().as_secs_f64() < secs {
            match pager.next_page().await {
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("read failed: {e}"),
                None => panic!("the store ran out of pages; make it larger"),
            }
        }
        pager.pages()
    })
}

fn rate(rt: &tokio::runtime::Runtime) {
    let secs: f64 = std::env::var("NEXUS_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30.0);
    println!("rate-limit efficiency over {secs} s");
    // WooCommerce: the store allows 600 requests in any minute; the client paces at 600.
    let mut config = FakeConfig::with_orders(50_000);
    config.rate = Some(FakeRate::PerMinute(600));
    let fake = FakeStore::spawn(PlatformKind::WooCommerce, config).expect("fake");
    let conn = woo(&fake, 600, 10);
    let pages = paced_read(rt, conn.as_ref(), secs);
    let stats = fake.stats();
    let allowed = 600.0 / 60.0 * secs;
    println!(
        "  woocommerce 600/min: {} requests ({pages} pages), {:.1}% of the {allowed:.0} allowed, {} 429s",
        stats.requests,
        100.0 * f64::from(pages) / allowed,
        stats.rate_limited
    );
    // Shopify: a 40-request bucket leaking 2 a second; the client keeps 2 slots free.
    let mut config = FakeConfig::with_orders(50_000);
    config.rate = Some(FakeRate::SHOPIFY);
    let fake = FakeStore::spawn(PlatformKind::Shopify, config).expect("fake");
    let conn = shopify(&fake, (40, 2.0, 2), 10);
    let pages = paced_read(rt, conn.as_ref(), secs);
    let stats = fake.stats();
    let allowed = 40.0 + 2.0 * secs;
    println!(
        "  shopify bucket 40 @ 2/s: {} requests ({pages} pages), {:.1}% of the {allowed:.0} allowed, {} 429s",
        stats.requests,
        100.0 * f64::from(pages) / allowed,
        stats.rate_limited
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |part: &str| only.is_empty() || only.iter().any(|a| a == part);
    if wants("throughput") {
        throughput(&rt);
    }
    if wants("rate") {
        rate(&rt);
    }
}
