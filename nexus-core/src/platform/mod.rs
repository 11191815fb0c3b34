//! Connectors: the [`Platform`] trait and the WooCommerce, Shopify and Magento 2 clients.
//!
//! A connector authenticates, pages through an entity and hands back raw pages (the bytes
//! the store sent, plus where the next page starts); [`crate::mapping`] turns them into
//! unified records. The machinery every connector shares is written once: retries as data
//! ([`RetryPolicy`]), client-side rate limiting ([`RateLimit`]), timeouts, gzip, a user
//! agent, `tracing` spans with secrets redacted, and secrets that never reach `Debug`,
//! logs or errors ([`Secret`]).
//!
//! # Incremental reads
//!
//! A read covers a window: records updated after a [`SyncCursor`] (the newest
//! `(updated_at, id)` a previous run took in), moved back by an overlap to absorb clock
//! skew, and up to an upper bound fixed when the run starts, so a record edited while the
//! run pages through is left for the next run instead of shifting the pages under it.
//! WooCommerce and Magento page by keyset on `(updated_at, id)` (each request asks for
//! records updated from the last one seen), so a record that changes mid-run cannot make
//! another one slip between two pages; Shopify's own cursor pagination is already stable.
//! Records seen twice in one run are dropped by id.

mod http;
pub mod magento;
pub mod oauth1;
mod rate;
mod read;
mod retry;
mod secret;
pub mod shopify;
mod webhook;
pub mod woocommerce;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use http::HttpOptions;
pub use magento::{Magento, MagentoBuilder};
pub use rate::RateLimit;
pub use read::{
    Batch, Checkpointed, JsonBatch, JsonReader, Pager, ReadOptions, ReadResult, Reader, Tombstone,
    read_all,
};
pub use retry::{RetryPolicy, parse_retry_after};
pub use secret::Secret;
pub use shopify::{Shopify, ShopifyBuilder};
pub use webhook::{Webhook, verify_webhook};
pub use woocommerce::{WooCommerce, WooCommerceBuilder};

use crate::error::Result;
use crate::mapping::Mapper;
use crate::model::{Currency, EntityKind, PlatformKind, Timestamp};

/// What a connector can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Entities it can read.
    pub entities: Vec<EntityKind>,
    /// The platform's filter for changed records (`modified_after`, `updated_at_min`, ...).
    pub incremental_field: &'static str,
    /// The largest page the platform serves.
    pub max_page_size: u32,
    /// The page size used unless configured.
    pub default_page_size: u32,
    /// Whether deletions can be seen (as tombstones).
    pub sees_deletes: bool,
}

/// Facts about a store, as `check()` finds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    /// The platform.
    pub platform: PlatformKind,
    /// The store's name or title.
    pub name: Option<String>,
    /// The store's currency.
    pub currency: Option<Currency>,
    /// The store's time zone (an IANA name or an offset), where it says.
    pub timezone: Option<String>,
    /// The API version in use.
    pub api_version: Option<String>,
    /// The platform's software version, where it says (WooCommerce, Magento).
    pub platform_version: Option<String>,
}

/// How a connector's requests went: counts since it was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorStats {
    /// Requests sent (retries included).
    pub requests: u64,
    /// Requests retried.
    pub retries: u64,
    /// Answers of 429 (rate limit reached).
    pub rate_limited: u64,
    /// Time spent held back by the client-side limit and the store's `Retry-After`.
    #[serde(with = "millis")]
    pub throttled: Duration,
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// The newest record a read took in: where the next incremental read starts.
///
/// Cursors are ordered by `updated_at`, then by id as the platforms sort them: numerically
/// when both ids are decimal numbers (`"99" < "100"`), as text otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SyncCursor {
    /// The record's last modification time (UTC).
    pub updated_at: Timestamp,
    /// The record's id (ties on `updated_at` are ordered by id).
    pub id: String,
}

impl Ord for SyncCursor {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.updated_at
            .cmp(&other.updated_at)
            .then_with(|| compare_ids(&self.id, &other.id))
    }
}

impl PartialOrd for SyncCursor {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Orders ids numerically when both are decimal numbers, as text otherwise.
fn compare_ids(a: &str, b: &str) -> std::cmp::Ordering {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if numeric(a) && numeric(b) {
        let (x, y) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
        // Equal numbers written differently ("0100", "100") still differ, as `Eq` says.
        x.len()
            .cmp(&y.len())
            .then_with(|| x.cmp(y))
            .then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

/// The records a read covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadWindow {
    /// Records updated after this cursor (all records when `None`).
    pub since: Option<SyncCursor>,
    /// How far before `since` the read starts, to absorb clock skew and late writes.
    pub overlap: Duration,
    /// Records updated before this moment, fixed when the read starts.
    pub until: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_order_numeric_ids_as_numbers() {
        let t = chrono::Utc::now();
        let c = |id: &str| SyncCursor {
            updated_at: t,
            id: id.into(),
        };
        assert!(c("99") < c("100"));
        assert!(c("0100") > c("99"));
        assert!(c("abc") > c("abb"));
        assert!(
            SyncCursor {
                updated_at: t - chrono::Duration::seconds(1),
                id: "9".into()
            } < c("1")
        );
    }
}

impl ReadWindow {
    /// The earliest modification time the read covers: `since` moved back by the overlap
    /// (`None` for a read of everything).
    pub fn floor(&self) -> Option<Timestamp> {
        let overlap = chrono::Duration::from_std(self.overlap).unwrap_or_default();
        self.since.as_ref().map(|c| c.updated_at - overlap)
    }
}

/// Where the next page starts; opaque to callers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PageToken {
    /// A page number (platforms with offset paging, and reads without a change filter).
    Offset(u32),
    /// Records updated from `after` on, skipping the first `skip` records updated at
    /// exactly `after.updated_at` (when more of them than a page share one timestamp and the
    /// platform cannot filter on the id).
    Keyset {
        /// The last record seen.
        after: SyncCursor,
        /// Records of the tie group already read.
        skip: u32,
    },
    /// An opaque platform cursor (Shopify `page_info`).
    Cursor(String),
}

/// A raw page of records, as the store sent it.
#[derive(Debug, Clone)]
pub struct Page {
    /// The entity the page holds.
    pub entity: EntityKind,
    /// The body, exactly as received (after gzip decoding).
    pub body: Vec<u8>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<PageToken>,
    /// How many records the whole read covers, when the store says.
    pub total: Option<u64>,
    /// Whether pages come in `(updated_at, id)` order, so a read stopped early can still
    /// checkpoint (`false` for full reads of entities without a change filter).
    pub ordered: bool,
}

/// A record id as text, when the JSON holds a number or a string.
fn id_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// What a connector stamps on its records: the store's name in Nexus and the currency for
/// payloads without one (configured, or learnt from the store by `check()`).
#[derive(Debug)]
struct StoreLabel {
    platform: PlatformKind,
    name: String,
    currency: std::sync::Mutex<Option<Currency>>,
}

impl StoreLabel {
    fn new(platform: PlatformKind, name: String, currency: Option<Currency>) -> Self {
        StoreLabel {
            platform,
            name,
            currency: std::sync::Mutex::new(currency),
        }
    }

    /// A mapper for the store's payloads.
    fn mapper(&self) -> Mapper {
        let mut m = Mapper::new(self.platform).store(self.name.clone());
        if let Some(c) = self.currency.lock().ok().and_then(|c| *c) {
            m = m.currency(c);
        }
        m
    }

    /// Takes in the currency the store reports, unless one was configured.
    fn learn_currency(&self, currency: Option<Currency>) {
        if let (Some(c), Ok(mut slot)) = (currency, self.currency.lock()) {
            slot.get_or_insert(c);
        }
    }
}

/// A connector to one store.
#[async_trait]
pub trait Platform: Send + Sync + std::fmt::Debug {
    /// The platform.
    fn kind(&self) -> PlatformKind;

    /// What the connector can do.
    fn capabilities(&self) -> Capabilities;

    /// A mapper for this store's payloads (store name and currency filled in).
    fn mapper(&self) -> Mapper;

    /// Authenticates and returns facts about the store.
    async fn check(&self) -> Result<StoreInfo>;

    /// Fetches one page of `entity` within `window`, from `token` (the first page when
    /// `None`).
    async fn fetch_page(
        &self,
        entity: EntityKind,
        window: &ReadWindow,
        token: Option<&PageToken>,
    ) -> Result<Page>;

    /// How the connector's requests went so far (zero for connectors that do not count).
    fn stats(&self) -> ConnectorStats {
        ConnectorStats::default()
    }

    /// Records deleted in the store since `since`, where the platform reports deletions.
    async fn tombstones(
        &self,
        _entity: EntityKind,
        _since: Option<Timestamp>,
    ) -> Result<Vec<Tombstone>> {
        Ok(Vec::new())
    }
}
