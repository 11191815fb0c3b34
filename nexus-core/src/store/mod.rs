//! Stores: where synced records live. SQLite (embedded, the default) and PostgreSQL.
//!
//! Both hold the same normalized schema (see `migrations/`): one table per entity keyed by
//! `(platform, store, source_id)`, child tables for order lines of every kind, addresses,
//! variants and refund lines, a `quarantine` table, sync `checkpoints`, the `sync_runs`
//! history and a `transactions` view for analytics. The schema is versioned; migrations are
//! embedded in the library and applied when a store is opened, and a database written by a
//! newer Nexus is refused ([`Error::SchemaTooNew`]).
//!
//! Writes come a page at a time ([`PageWrite`]): the page's records, its quarantined
//! records and the new checkpoint are written in one transaction, so a sync killed at any
//! moment resumes from a checkpoint that matches the data. A record replaces the stored one
//! only when it is at least as new (`updated_at`, or the creation time when the platform
//! has no change time); an older copy arriving late is counted as stale and dropped. Every
//! value is bound as a parameter. Each record's raw payload is kept beside it,
//! LZ4-compressed, so a later Nexus can re-map it without fetching it again
//! ([`Store::raw_payload`]).
//!
//! A sync into tables that are still empty defers their secondary indexes
//! ([`Store::defer_indexes`]): each row goes into its table alone, and the indexes are
//! built once at the end from sorted keys ([`Store::build_indexes`]). Opening a store
//! builds any index that is missing, so a load killed halfway loses no index either.
//!
//! ```no_run
//! # async fn demo() -> nexus_core::Result<()> {
//! use nexus_core::store::{self, ReadFilter};
//!
//! let db = store::open("nexus.db").await?; // or "postgres://user@127.0.0.1/nexus"
//! let orders = db.orders(&ReadFilter::all()).await?;
//! let tx = db.transactions(&ReadFilter::store("shop-eu")).await?;
//! # Ok(()) }
//! ```

mod codec;
mod logic;
mod postgres;
mod sql;
mod sqlite;

use std::fmt;

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub(crate) use codec::normalized_email;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use crate::error::{Error, Result};
use crate::model::{
    Currency, Customer, EntityKind, Order, PlatformKind, Product, Refund, SourceRef, Timestamp,
};
use crate::platform::SyncCursor;

/// The schema version this Nexus writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Which database a store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// SQLite, embedded.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Postgres => "postgres",
        })
    }
}

/// Opens (creating and migrating when needed) the store at `location`: a
/// `postgres://`/`postgresql://` URL, or a SQLite file (`nexus.db`, `sqlite:nexus.db`,
/// `sqlite::memory:` for a private in-memory database).
pub async fn open(location: &str) -> Result<std::sync::Arc<dyn Store>> {
    let loc = location.trim();
    if loc.starts_with("postgres://") || loc.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PostgresStore::connect(loc).await?))
    } else {
        let path = loc
            .strip_prefix("sqlite://")
            .or_else(|| loc.strip_prefix("sqlite:"))
            .unwrap_or(loc);
        if path.is_empty() {
            return Err(Error::InvalidArgument {
                name: "database",
                message: "empty location: give a SQLite file path or a postgres:// URL".into(),
            });
        }
        Ok(std::sync::Arc::new(SqliteStore::open(path).await?))
    }
}

/// The records of one page, each with its raw payload (the JSON the platform sent).
#[derive(Debug, Clone)]
pub enum PageRecords {
    /// Orders.
    Orders(Vec<(Order, Option<String>)>),
    /// Customers.
    Customers(Vec<(Customer, Option<String>)>),
    /// Products (with their variants).
    Products(Vec<(Product, Option<String>)>),
    /// Refunds.
    Refunds(Vec<(Refund, Option<String>)>),
}

impl PageRecords {
    /// The entity of the records.
    pub fn entity(&self) -> EntityKind {
        match self {
            PageRecords::Orders(_) => EntityKind::Order,
            PageRecords::Customers(_) => EntityKind::Customer,
            PageRecords::Products(_) => EntityKind::Product,
            PageRecords::Refunds(_) => EntityKind::Refund,
        }
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        match self {
            PageRecords::Orders(r) => r.len(),
            PageRecords::Customers(r) => r.len(),
            PageRecords::Products(r) => r.len(),
            PageRecords::Refunds(r) => r.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the records of `other` (of the same entity; others are ignored).
    pub fn append(&mut self, other: PageRecords) {
        match (self, other) {
            (PageRecords::Orders(a), PageRecords::Orders(b)) => a.extend(b),
            (PageRecords::Customers(a), PageRecords::Customers(b)) => a.extend(b),
            (PageRecords::Products(a), PageRecords::Products(b)) => a.extend(b),
            (PageRecords::Refunds(a), PageRecords::Refunds(b)) => a.extend(b),
            _ => {}
        }
    }
}

/// A record kept out of the data tables: it did not map, or it broke an error-severity
/// quality rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    /// The record's entity.
    pub entity: EntityKind,
    /// The record's platform id, when it could be read.
    pub source_id: Option<String>,
    /// Why it is quarantined (the mapping error, or the rules' messages).
    pub reason: String,
    /// The quality rules it broke (empty for mapping errors).
    pub rules: Vec<String>,
    /// The raw payload of the record.
    pub raw: Option<String>,
}

impl QuarantineEntry {
    /// The key the entry is kept under: the source id, or a digest of the payload for a
    /// record without a readable id.
    pub fn key(&self) -> String {
        match &self.source_id {
            Some(id) => id.clone(),
            None => {
                use std::hash::{Hash, Hasher};
                let mut h = rustc_hash::FxHasher::default();
                self.raw.as_deref().unwrap_or(&self.reason).hash(&mut h);
                format!("unidentified:{:016x}", h.finish())
            }
        }
    }
}

/// One page to write in one transaction.
#[derive(Debug, Clone)]
pub struct PageWrite {
    /// The store's name in Nexus.
    pub store: String,
    /// Its platform.
    pub platform: PlatformKind,
    /// The page's clean records.
    pub records: PageRecords,
    /// Its quarantined records.
    pub quarantine: Vec<QuarantineEntry>,
    /// The checkpoint after this page (`None` leaves the stored one as it is).
    pub checkpoint: Option<SyncCursor>,
    /// When it is written.
    pub at: Timestamp,
}

impl PageWrite {
    /// Takes in the next page of the same store and entity: its records and quarantine,
    /// and its checkpoint when it has one (written together, in one transaction).
    pub fn absorb(&mut self, next: PageWrite) {
        self.records.append(next.records);
        self.quarantine.extend(next.quarantine);
        if next.checkpoint.is_some() {
            self.checkpoint = next.checkpoint;
        }
        self.at = next.at;
    }
}

/// A page encoded into rows and statements, ready for [`Store::write_prepared`]: the part
/// of a write that needs no database, so it can run while the previous page is written.
#[derive(Debug)]
pub struct PreparedPage(logic::Prepared);

/// Encodes `page` for [`Store::write_prepared`] (the same for every database).
pub fn prepare_page(page: PageWrite) -> PreparedPage {
    PreparedPage(logic::prepare_page(page))
}

/// What writing a page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageOutcome {
    /// Records inserted or replaced.
    pub written: u64,
    /// Records dropped because a newer version is stored.
    pub stale: u64,
    /// Records put in (or kept in) quarantine.
    pub quarantined: u64,
    /// Records that arrived clean and left quarantine.
    pub released: u64,
}

/// Which records to read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadFilter {
    /// Only these stores (all when empty).
    pub stores: Vec<String>,
    /// Only this platform.
    pub platform: Option<PlatformKind>,
}

impl ReadFilter {
    /// Every record.
    pub fn all() -> Self {
        Self::default()
    }

    /// The records of one store.
    pub fn store(name: impl Into<String>) -> Self {
        ReadFilter {
            stores: vec![name.into()],
            platform: None,
        }
    }
}

/// One row of the analytics-ready transactions table: an order that counts as a sale
/// (not cancelled, failed, draft or pending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionRow {
    /// The platform.
    pub platform: PlatformKind,
    /// The store's name.
    pub store: String,
    /// The customer's id, or `email:<address>` for a guest order.
    pub customer_id: Option<String>,
    /// The order's id.
    pub order_id: String,
    /// When the order was placed (UTC).
    pub date: Timestamp,
    /// The order total.
    pub amount: Decimal,
    /// What was refunded of it.
    pub refunded: Decimal,
    /// The currency.
    pub currency: Currency,
    /// The normalized order status.
    pub status: String,
}

/// A quarantined record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    /// The store's name.
    pub store: String,
    /// The platform.
    pub platform: PlatformKind,
    /// The entity.
    pub entity: EntityKind,
    /// The key it is kept under (its id, or a digest for a record without one).
    pub key: String,
    /// Its platform id, when readable.
    pub source_id: Option<String>,
    /// Why it is quarantined.
    pub reason: String,
    /// The quality rules it broke.
    pub rules: Vec<String>,
    /// Its raw payload.
    pub raw: Option<String>,
    /// When it was first quarantined.
    pub first_seen: Timestamp,
    /// When it was last seen.
    pub last_seen: Timestamp,
    /// How many times it arrived bad.
    pub times_seen: u64,
}

/// A stored sync run of one store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run's id (shared by the stores synced together).
    pub run_id: String,
    /// The store's name.
    pub store: String,
    /// Its platform.
    pub platform: PlatformKind,
    /// When the store's sync started.
    pub started_at: Timestamp,
    /// When it finished.
    pub finished_at: Timestamp,
    /// Whether every entity synced without error.
    pub ok: bool,
    /// The store's report, as JSON.
    pub report: serde_json::Value,
}

/// Record counts of a store (or of all stores).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Orders.
    pub orders: u64,
    /// Customers.
    pub customers: u64,
    /// Products.
    pub products: u64,
    /// Refunds.
    pub refunds: u64,
    /// Quarantined records.
    pub quarantined: u64,
}

/// Where synced records are kept.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    /// Which database it is.
    fn kind(&self) -> StoreKind;

    /// The schema version of the database.
    async fn schema_version(&self) -> Result<u32>;

    /// Writes a page (records, quarantine, checkpoint) in one transaction.
    async fn write_page(&self, page: PageWrite) -> Result<PageOutcome> {
        self.write_prepared(prepare_page(page)).await
    }

    /// Writes a page made ready by [`prepare_page`], in one transaction.
    async fn write_prepared(&self, page: PreparedPage) -> Result<PageOutcome>;

    /// The checkpoint of a store's entity.
    async fn checkpoint(&self, store: &str, entity: EntityKind) -> Result<Option<SyncCursor>>;

    /// Forgets a store's checkpoints, so the next sync reads everything again.
    async fn reset_checkpoints(&self, store: &str) -> Result<()>;

    /// Orders, as unified records.
    async fn orders(&self, filter: &ReadFilter) -> Result<Vec<Order>>;

    /// Customers.
    async fn customers(&self, filter: &ReadFilter) -> Result<Vec<Customer>>;

    /// Products with their variants.
    async fn products(&self, filter: &ReadFilter) -> Result<Vec<Product>>;

    /// Refunds.
    async fn refunds(&self, filter: &ReadFilter) -> Result<Vec<Refund>>;

    /// The analytics-ready transactions table, oldest first.
    async fn transactions(&self, filter: &ReadFilter) -> Result<Vec<TransactionRow>>;

    /// Quarantined records.
    async fn quarantined(&self, filter: &ReadFilter) -> Result<Vec<Quarantined>>;

    /// The raw payload a record was mapped from.
    async fn raw_payload(&self, source: &SourceRef) -> Result<Option<String>>;

    /// Record counts.
    async fn counts(&self, filter: &ReadFilter) -> Result<Counts>;

    /// Records in quarantine (what [`Counts::quarantined`] says, without counting the rest).
    async fn quarantine_size(&self, filter: &ReadFilter) -> Result<u64>;

    /// Saves a sync run in the history.
    async fn save_run(&self, run: &RunRecord) -> Result<()>;

    /// The latest runs of a store (all stores when `None`), newest first.
    async fn runs(&self, store: Option<&str>, limit: usize) -> Result<Vec<RunRecord>>;

    /// Before a bulk write (a sync): drops the secondary indexes of the record tables that
    /// are still empty, so that a first load builds them once at the end rather than row
    /// by row. Returns the indexes dropped. [`Store::build_indexes`] puts them back; so does
    /// the next open, should the process die first.
    async fn defer_indexes(&self) -> Result<Vec<&'static str>> {
        Ok(Vec::new())
    }

    /// Builds the secondary indexes that are missing.
    async fn build_indexes(&self) -> Result<()> {
        Ok(())
    }
}

/// Implements [`Store`] for a type with a `db` field that is a `logic::Db`.
macro_rules! impl_store {
    ($t:ty, $kind:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $t {
            fn kind(&self) -> $crate::store::StoreKind {
                $kind
            }
            async fn schema_version(&self) -> $crate::Result<u32> {
                $crate::store::logic::schema_version(&self.db).await
            }
            async fn defer_indexes(&self) -> $crate::Result<Vec<&'static str>> {
                $crate::store::logic::defer_indexes(&self.db).await
            }
            async fn build_indexes(&self) -> $crate::Result<()> {
                $crate::store::logic::restore_indexes(&self.db).await
            }
            async fn write_prepared(
                &self,
                page: $crate::store::PreparedPage,
            ) -> $crate::Result<$crate::store::PageOutcome> {
                $crate::store::logic::write_prepared(&self.db, page.0).await
            }
            async fn checkpoint(
                &self,
                store: &str,
                entity: $crate::model::EntityKind,
            ) -> $crate::Result<Option<$crate::platform::SyncCursor>> {
                $crate::store::logic::checkpoint(&self.db, store, entity).await
            }
            async fn reset_checkpoints(&self, store: &str) -> $crate::Result<()> {
                $crate::store::logic::reset_checkpoints(&self.db, store).await
            }
            async fn orders(
                &self,
                f: &$crate::store::ReadFilter,
            ) -> $crate::Result<Vec<$crate::model::Order>> {
                $crate::store::logic::orders(&self.db, f).await
            }
            async fn customers(
                &self,
                f: &$crate::store::ReadFilter,
            ) -> $crate::Result<Vec<$crate::model::Customer>> {
                $crate::store::logic::customers(&self.db, f).await
            }
            async fn products(
                &self,
                f: &$crate::store::ReadFilter,
            ) -> $crate::Result<Vec<$crate::model::Product>> {
                $crate::store::logic::products(&self.db, f).await
            }
            async fn refunds(
                &self,
                f: &$crate::store::ReadFilter,
            ) -> $crate::Result<Vec<$crate::model::Refund>> {
                $crate::store::logic::refunds(&self.db, f).await
            }
            async fn transactions(
                &self,
                f: &$crate::store::ReadFilter,
            ) -> $crate::Result<Vec<$crate::store::TransactionRow>> {
                $crate::store::logic::transactions(&self.db, f).await
            }
            async fn quarantined(
                &self,
                f: &$crate::store::ReadFilter,
            ) -> $crate::Result<Vec<$crate::store::Quarantined>> {
                $crate::store::logic::quarantined(&self.db, f).await
            }
            async fn raw_payload(
                &self,
                source: &$crate::model::SourceRef,
            ) -> $crate::Result<Option<String>> {
                $crate::store::logic::raw_payload(&self.db, source).await
            }
            async fn counts(
                &self,
                f: &$crate::store::ReadFilter,
            ) -> $crate::Result<$crate::store::Counts> {
                $crate::store::logic::counts(&self.db, f).await
            }
            async fn quarantine_size(&self, f: &$crate::store::ReadFilter) -> $crate::Result<u64> {
                $crate::store::logic::quarantine_size(&self.db, f).await
            }
            async fn save_run(&self, run: &$crate::store::RunRecord) -> $crate::Result<()> {
                $crate::store::logic::save_run(&self.db, run).await
            }
            async fn runs(
                &self,
                store: Option<&str>,
                limit: usize,
            ) -> $crate::Result<Vec<$crate::store::RunRecord>> {
                $crate::store::logic::runs(&self.db, store, limit).await
            }
        }
    };
}
pub(crate) use impl_store;
