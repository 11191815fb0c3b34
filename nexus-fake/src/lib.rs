//! Fake WooCommerce, Shopify and Magento 2 stores on 127.0.0.1.
//!
//! Each fake serves its platform's real protocol from a generated, seeded catalog (see
//! [`catalog`]): authentication checked for real, the platform's paging, headers, filters,
//! sort orders and quirks, its rate limits answered with 429 and `Retry-After`, and faults
//! injected by configuration. Nexus's own tests and benchmarks run against them, and the
//! Python and Node bindings expose them so users can try Nexus and test their code without
//! a store account.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use nexus_core::model::PlatformKind;
//! use nexus_fake::{FakeConfig, FakeStore};
//!
//! let fake = FakeStore::start(PlatformKind::WooCommerce, FakeConfig::default()).await?;
//! println!("{} key={}", fake.url(), fake.credentials().consumer_key);
//! # Ok(()) }
//! ```
//!
//! | platform | protocol served |
//! |---|---|
//! | WooCommerce | `/wp-json/wc/v3`: Basic auth, verified OAuth 1.0a (timestamp window, nonce replay refused), `page`/`per_page` ≤ 100, `orderby`/`order`, `modified_after`/`modified_before` with `dates_are_gmt`, `_fields`, `X-WP-Total(Pages)`, refunds per order, WooCommerce error bodies |
//! | Shopify | `/admin/api/<version>`: `X-Shopify-Access-Token`, `limit` ≤ 250, `Link` header `page_info` cursors (filters refused beside `page_info`), `updated_at_min/max`, `status=any`, `order=updated_at asc`, `fields`, events (`verb=destroy`), the 40-request bucket leaking 2/s with `X-Shopify-Shop-Api-Call-Limit` and fractional `Retry-After` |
//! | Magento 2 | `/rest/<store>/V1`: integration bearer token, admin token from `/V1/integration/admin/token` (expiring), OAuth 1.0a header signing; `searchCriteria` filter groups, sort orders, `pageSize`/`currentPage` (the last page served again past the end), `total_count` |

#![recursion_limit = "256"]

pub mod catalog;
mod magento;
mod server;
mod shopify;
mod woocommerce;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nexus_core::model::{EntityKind, PlatformKind};

pub use catalog::Sizes;
use server::Shared;

/// A fault served instead of the normal answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// An error status with the platform's error body.
    Status(u16),
    /// A firewall page in HTML, with status 200.
    Html,
    /// The right answer cut in half.
    Truncated,
    /// 429 with this `Retry-After`, in seconds.
    RateLimited(f64),
    /// The answer after this delay (past a client's timeout, it is a timeout).
    Slow(Duration),
    /// The connection dropped in the middle of the body.
    Drop,
}

impl std::str::FromStr for Fault {
    type Err = String;

    /// Reads a fault as the bindings spell it: an HTTP status (`"503"`), `"429"` or
    /// `"429:<seconds>"` (a rate-limit answer with that `Retry-After`, 1 s by default),
    /// `"html"`, `"truncated"`, `"drop"`, or `"slow"` / `"slow:<seconds>"` (the answer after
    /// that delay, 2 s by default).
    fn from_str(text: &str) -> Result<Fault, String> {
        let bad = || {
            format!(
                "unknown fault {text:?}: expected an HTTP status such as \"503\", \"429\" or \
                 \"429:<seconds>\", \"html\", \"truncated\", \"drop\", \"slow\" or \"slow:<seconds>\""
            )
        };
        let lower = text.trim().to_ascii_lowercase();
        let (name, arg) = match lower.split_once(':') {
            Some((n, a)) => (n, Some(a.trim().parse::<f64>().map_err(|_| bad())?)),
            None => (lower.as_str(), None),
        };
        if arg.is_some_and(|s| !(s.is_finite() && s >= 0.0)) {
            return Err(bad());
        }
        Ok(match (name, arg) {
            ("html", None) => Fault::Html,
            ("truncated", None) => Fault::Truncated,
            ("drop", None) => Fault::Drop,
            ("slow", secs) => Fault::Slow(Duration::from_secs_f64(secs.unwrap_or(2.0))),
            ("429", secs) => Fault::RateLimited(secs.unwrap_or(1.0)),
            (status, None) => match status.parse::<u16>() {
                Ok(s @ 400..=599) => Fault::Status(s),
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        })
    }
}

/// The store's own rate limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FakeRate {
    /// At most this many requests in any 60 seconds (WooCommerce hosts, Magento); 429 with
    /// `Retry-After` in whole seconds past it.
    PerMinute(u32),
    /// Shopify's leaky bucket: `capacity` requests, draining `leak_per_second`; 429 with a
    /// fractional `Retry-After` when full.
    Bucket {
        /// Requests the bucket holds.
        capacity: u32,
        /// Requests drained each second.
        leak_per_second: f64,
    },
}

impl FakeRate {
    /// Shopify's standard REST bucket: 40 requests, leaking 2 a second.
    pub const SHOPIFY: FakeRate = FakeRate::Bucket {
        capacity: 40,
        leak_per_second: 2.0,
    };
}

/// Orders changed in the store while a client pages through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mutation {
    /// After this many order-list requests...
    pub after_lists: u64,
    /// ...modify this many existing orders...
    pub modify: usize,
    /// ...and insert this many new ones.
    pub insert: usize,
}

/// What a fake store holds and how it misbehaves.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Orders, customers, products and the seed of the generated catalog.
    pub sizes: Sizes,
    /// The store's rate limit (none by default).
    pub rate: Option<FakeRate>,
    /// Faults by request number (1-based, counting every request).
    pub faults: BTreeMap<u64, Fault>,
    /// Orders changed while a client pages.
    pub mutation: Option<Mutation>,
    /// WooCommerce: whether the API index lists `modified_after` (5.8 and later).
    pub woo_modified_filter: bool,
    /// A broken server that ignores the change filter and cursor (the same page again).
    pub ignore_cursor: bool,
    /// Magento: how long an admin token lives (Magento's default is 4 hours).
    pub admin_token_ttl: Duration,
    /// The share of records with realistic dirt (0 by default; see [`catalog::Catalog::soil`]).
    pub dirt: f64,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            sizes: Sizes {
                orders: 250,
                customers: 60,
                products: 40,
                seed: 7,
            },
            rate: None,
            faults: BTreeMap::new(),
            mutation: None,
            woo_modified_filter: true,
            ignore_cursor: false,
            admin_token_ttl: Duration::from_secs(4 * 3600),
            dirt: 0.0,
        }
    }
}

impl FakeConfig {
    /// A store with this many orders (customers and products scaled to match).
    pub fn with_orders(orders: usize) -> Self {
        let mut c = FakeConfig::default();
        c.sizes.orders = orders;
        c.sizes.customers = (orders / 4).clamp(10, 50_000);
        c.sizes.products = (orders / 20).clamp(10, 5_000);
        c
    }
}

/// The credentials a fake store accepts. Each platform uses its own fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// WooCommerce consumer key.
    pub consumer_key: String,
    /// WooCommerce consumer secret.
    pub consumer_secret: String,
    /// Shopify Admin API access token; Magento integration access token (bearer).
    pub access_token: String,
    /// Magento admin user name.
    pub username: String,
    /// Magento admin password.
    pub password: String,
    /// Magento OAuth 1.0a consumer key.
    pub oauth_consumer_key: String,
    /// Magento OAuth 1.0a consumer secret.
    pub oauth_consumer_secret: String,
    /// Magento OAuth 1.0a access token.
    pub oauth_token: String,
    /// Magento OAuth 1.0a access token secret.
    pub oauth_token_secret: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            consumer_key: "ck_fake_key_0123456789".into(),
            consumer_secret: "cs_fake_secret_0123456789".into(),
            access_token: "shpat_fake_token_0123456789".into(),
            username: "admin".into(),
            password: "fake-admin-password-1".into(),
            oauth_consumer_key: "mg_consumer_key_0123456789".into(),
            oauth_consumer_secret: "mg_consumer_secret_0123456789".into(),
            oauth_token: "mg_access_token_0123456789".into(),
            oauth_token_secret: "mg_token_secret_0123456789".into(),
        }
    }
}

/// The credentials every fake store accepts, made once (the handlers check them on every
/// request).
pub(crate) static CREDENTIALS: std::sync::LazyLock<Credentials> =
    std::sync::LazyLock::new(Credentials::default);

/// What a fake store has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FakeStats {
    /// Requests received.
    pub requests: u64,
    /// 429 answers sent (from the rate limit or injected).
    pub rate_limited: u64,
    /// Requests refused for authentication.
    pub auth_failures: u64,
    /// Magento admin tokens issued.
    pub tokens_issued: u64,
}

/// A running fake store; it stops when dropped.
pub struct FakeStore {
    platform: PlatformKind,
    url: String,
    credentials: Credentials,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for FakeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeStore")
            .field("platform", &self.platform)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl FakeStore {
    /// Starts a fake store on the current tokio runtime, on a free port of 127.0.0.1.
    pub async fn start(platform: PlatformKind, config: FakeConfig) -> std::io::Result<FakeStore> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let (shared, url) = Shared::new(platform, config, &listener)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(server::serve(listener, shared.clone(), rx));
        Ok(FakeStore {
            platform,
            url,
            credentials: CREDENTIALS.clone(),
            shared,
            shutdown: Some(tx),
            thread: None,
        })
    }

    /// Starts a fake store on its own thread and runtime (for callers without a tokio
    /// runtime: the Python and Node bindings, benchmarks).
    pub fn spawn(platform: PlatformKind, config: FakeConfig) -> std::io::Result<FakeStore> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("nexus-fake")
            .enable_all()
            .build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let (shared, url) = Shared::new(platform, config, &listener)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("nexus-fake".into())
            .spawn(move || runtime.block_on(server::serve(listener, serving, rx)))?;
        Ok(FakeStore {
            platform,
            url,
            credentials: CREDENTIALS.clone(),
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The platform served.
    pub fn platform(&self) -> PlatformKind {
        self.platform
    }

    /// The store's address (`http://127.0.0.1:<port>`): the site URL for WooCommerce and
    /// Magento, the shop address for Shopify.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The credentials the store accepts.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The ids of every record of `entity` the store holds now.
    pub fn ids(&self, entity: EntityKind) -> HashSet<String> {
        self.shared
            .with(|s| s.catalog.ids(entity))
            .into_iter()
            .map(|i| i.to_string())
            .collect()
    }

    /// Modifies `modify` orders and inserts `insert` new ones, modified now; returns their
    /// ids.
    pub fn mutate(&self, modify: usize, insert: usize) -> HashSet<String> {
        self.shared
            .with(|s| s.catalog.mutate(modify, insert))
            .into_iter()
            .map(|i| i.to_string())
            .collect()
    }

    /// Marks these orders modified now; returns the ids found.
    pub fn touch(&self, ids: &[&str]) -> HashSet<String> {
        let ids: Vec<u64> = ids.iter().filter_map(|i| i.parse().ok()).collect();
        self.shared
            .with(|s| s.catalog.touch(&ids))
            .into_iter()
            .map(|i| i.to_string())
            .collect()
    }

    /// Deletes `n` records of `entity` (orders, customers, products); returns their ids.
    pub fn delete(&self, entity: EntityKind, n: usize) -> HashSet<String> {
        self.shared
            .with(|s| s.catalog.delete(entity, n))
            .into_iter()
            .map(|i| i.to_string())
            .collect()
    }

    /// What the store has seen so far.
    pub fn stats(&self) -> FakeStats {
        self.shared.with(|s| s.stats)
    }

    /// Replaces the faults to inject, counted from the next request.
    pub fn set_faults(&self, faults: impl IntoIterator<Item = (u64, Fault)>) {
        self.shared.with(|s| {
            let base = s.stats.requests;
            s.config.faults = faults.into_iter().map(|(n, f)| (base + n, f)).collect();
        });
    }

    /// Expires every Magento admin token issued so far (the next request gets 401).
    pub fn expire_tokens(&self) {
        self.shared.with(|s| s.tokens.clear());
    }
}

impl Drop for FakeStore {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Shared state behind a mutex that a panic in a handler must not make unusable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_from_text() {
        assert_eq!("503".parse(), Ok(Fault::Status(503)));
        assert_eq!("429:0.5".parse(), Ok(Fault::RateLimited(0.5)));
        assert_eq!(" HTML ".parse(), Ok(Fault::Html));
        assert_eq!("slow".parse(), Ok(Fault::Slow(Duration::from_secs(2))));
        for bad in ["200", "html:1", "slow:-1", "boom", "429:x"] {
            assert!(bad.parse::<Fault>().is_err(), "{bad}");
        }
    }
}
