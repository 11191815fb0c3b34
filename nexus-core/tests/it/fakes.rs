//! Connectors configured for the fake stores of `nexus-fake`: loopback HTTP, quick retries,
//! short timeouts and no client-side pacing unless a test asks for it.

use std::collections::HashSet;
use std::time::Duration;

use nexus_core::platform::woocommerce::WooAuth;
use nexus_core::platform::{HttpOptions, RetryPolicy, WooCommerce};
use nexus_fake::FakeStore;

/// Transport settings for tests: 2 s timeout, retries after 5-50 ms.
pub fn quick_http() -> HttpOptions {
    HttpOptions {
        timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        },
        ..HttpOptions::default()
    }
}

/// A WooCommerce connector to a fake store: OAuth 1.0a over loopback HTTP, no pacing.
pub fn woo(fake: &FakeStore, page_size: u32) -> WooCommerce {
    let c = fake.credentials();
    WooCommerce::builder(fake.url())
        .consumer_key(c.consumer_key.as_str())
        .consumer_secret(c.consumer_secret.as_str())
        .page_size(page_size)
        .requests_per_minute(100_000)
        .http(quick_http())
        .build()
        .expect("connector")
}

/// A WooCommerce connector using HTTP Basic over loopback HTTP (explicitly allowed).
pub fn woo_basic(fake: &FakeStore) -> WooCommerce {
    let c = fake.credentials();
    WooCommerce::builder(fake.url())
        .consumer_key(c.consumer_key.as_str())
        .consumer_secret(c.consumer_secret.as_str())
        .auth(WooAuth::Basic)
        .allow_basic_over_http(true)
        .build()
        .expect("connector")
}

/// The ids of records, as a set.
pub fn ids<T>(records: &[T], id: impl Fn(&T) -> &str) -> HashSet<String> {
    records.iter().map(|r| id(r).to_owned()).collect()
}

/// A Shopify connector to a fake store, with a bucket far larger than any test uses.
pub fn shopify(fake: &FakeStore, page_size: u32) -> nexus_core::platform::Shopify {
    nexus_core::platform::Shopify::builder(fake.url())
        .access_token(fake.credentials().access_token.as_str())
        .page_size(page_size)
        .bucket(100_000, 100_000.0, 0)
        .http(quick_http())
        .build()
        .expect("connector")
}
