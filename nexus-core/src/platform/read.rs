//! Paging through an entity: a page-by-page [`Pager`], and [`read_all`], which maps,
//! de-duplicates and computes the next checkpoint.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{Page, PageToken, Platform, ReadWindow, SyncCursor};
use crate::error::{DataError, Error, Result};
use crate::mapping::{JsonMapping, Mapper, MappingResult};
use crate::model::{Customer, EntityKind, Order, Product, Refund, Timestamp};

/// A record deleted in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// The entity of the deleted record.
    pub entity: EntityKind,
    /// The platform's id of the deleted record.
    pub id: String,
    /// When it was deleted (UTC).
    pub deleted_at: Timestamp,
}

/// How a read runs.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// How far before the checkpoint the read starts (clock skew, late writes).
    pub overlap: Duration,
    /// The upper bound of the read; `None` fixes it at the moment the read starts.
    pub until: Option<Timestamp>,
    /// Stop after this many pages (the rest is read next time, from the checkpoint).
    pub max_pages: Option<u32>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            overlap: Duration::from_secs(300),
            until: None,
            max_pages: None,
        }
    }
}

/// What a read returns.
#[derive(Debug, Clone)]
pub struct ReadResult<T> {
    /// The records, once each, in the order read.
    pub records: Vec<T>,
    /// Records that did not map.
    pub errors: Vec<DataError>,
    /// Where the next incremental read starts (the newest record seen, or the `since` given).
    pub checkpoint: Option<SyncCursor>,
    /// Pages fetched.
    pub pages: u32,
    /// Records returned more than once (dropped).
    pub duplicates: u64,
    /// Whether the read reached the end (not stopped by `max_pages`).
    pub complete: bool,
}

/// A unified record a read can checkpoint on.
pub trait Checkpointed: Sized {
    /// The entity it is.
    const ENTITY: EntityKind;
    /// Maps a raw page.
    fn map(mapper: &Mapper, body: &[u8]) -> MappingResult<Self>;
    /// Maps a raw page and, when the mapping found them on the way, gives each record's
    /// raw JSON text in payload order (`None`: they are split out afterwards).
    fn map_with_raw(mapper: &Mapper, body: &[u8]) -> (MappingResult<Self>, Option<Vec<String>>) {
        (Self::map(mapper, body), None)
    }
    /// The record's platform id.
    fn id(&self) -> &str;
    /// When the record last changed.
    fn updated_at(&self) -> Option<Timestamp>;
    /// The record's position for checkpoints.
    fn cursor(&self) -> Option<SyncCursor> {
        Some(SyncCursor {
            updated_at: self.updated_at()?,
            id: self.id().to_owned(),
        })
    }
}

impl Checkpointed for Order {
    const ENTITY: EntityKind = EntityKind::Order;
    fn map(mapper: &Mapper, body: &[u8]) -> MappingResult<Self> {
        mapper.map_orders(body)
    }
    fn map_with_raw(mapper: &Mapper, body: &[u8]) -> (MappingResult<Self>, Option<Vec<String>>) {
        mapper.map_orders_with_raw(body)
    }
    fn id(&self) -> &str {
        &self.source.id
    }
    fn updated_at(&self) -> Option<Timestamp> {
        self.updated_at.or(Some(self.created_at))
    }
}

impl Checkpointed for Customer {
    const ENTITY: EntityKind = EntityKind::Customer;
    fn map(mapper: &Mapper, body: &[u8]) -> MappingResult<Self> {
        mapper.map_customers(body)
    }
    fn id(&self) -> &str {
        &self.source.id
    }
    fn updated_at(&self) -> Option<Timestamp> {
        self.updated_at.or(self.created_at)
    }
}

impl Checkpointed for Product {
    const ENTITY: EntityKind = EntityKind::Product;
    fn map(mapper: &Mapper, body: &[u8]) -> MappingResult<Self> {
        mapper.map_products(body)
    }
    fn id(&self) -> &str {
        &self.source.id
    }
    fn updated_at(&self) -> Option<Timestamp> {
        self.updated_at.or(self.created_at)
    }
}

impl Checkpointed for Refund {
    const ENTITY: EntityKind = EntityKind::Refund;
    fn map(mapper: &Mapper, body: &[u8]) -> MappingResult<Self> {
        mapper.map_refunds(body)
    }
    fn id(&self) -> &str {
        &self.source.id
    }
    fn updated_at(&self) -> Option<Timestamp> {
        Some(self.processed_at.unwrap_or(self.created_at))
    }
}

/// The connector a pager reads from: borrowed, or shared (for bindings that keep a read
/// alive across calls).
#[derive(Debug, Clone)]
enum Source<'p> {
    Borrowed(&'p dyn Platform),
    Shared(Arc<dyn Platform>),
}

impl Source<'_> {
    fn get(&self) -> &dyn Platform {
        match self {
            Source::Borrowed(p) => *p,
            Source::Shared(p) => p.as_ref(),
        }
    }
}

/// Pages through one entity of one store, page by page.
#[derive(Debug)]
pub struct Pager<'p> {
    platform: Source<'p>,
    entity: EntityKind,
    window: ReadWindow,
    token: Option<PageToken>,
    /// Every position requested so far: a position that comes back means a cycle.
    visited: HashSet<PageToken>,
    done: bool,
    pages: u32,
}

impl<'p> Pager<'p> {
    /// Starts a read of `entity` after `since` (everything when `None`).
    pub fn new(
        platform: &'p dyn Platform,
        entity: EntityKind,
        since: Option<SyncCursor>,
        options: &ReadOptions,
    ) -> Self {
        Self::with_source(Source::Borrowed(platform), entity, since, options)
    }

    fn with_source(
        platform: Source<'p>,
        entity: EntityKind,
        since: Option<SyncCursor>,
        options: &ReadOptions,
    ) -> Self {
        let window = ReadWindow {
            since,
            overlap: options.overlap,
            until: options.until.unwrap_or_else(Utc::now),
        };
        Pager {
            platform,
            entity,
            window,
            token: None,
            visited: HashSet::new(),
            done: false,
            pages: 0,
        }
    }

    /// The window being read.
    pub fn window(&self) -> &ReadWindow {
        &self.window
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// The next page, or `None` after the last one. A pagination cursor that does not
    /// advance (or comes back to a position already read) is an error, never an endless
    /// loop.
    pub async fn next_page(&mut self) -> Option<Result<Page>> {
        if self.done {
            return None;
        }
        let page = match self
            .platform
            .get()
            .fetch_page(self.entity, &self.window, self.token.as_ref())
            .await
        {
            Ok(p) => p,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        self.pages += 1;
        match &page.next {
            None => self.done = true,
            Some(next) if !self.visited.insert(next.clone()) => {
                self.done = true;
                return Some(Err(Error::CursorStuck {
                    platform: self.platform.get().kind(),
                    entity: self.entity,
                    position: format!("{next:?}"),
                }));
            }
            Some(next) => self.token = Some(next.clone()),
        }
        Some(Ok(page))
    }
}

/// One page of a [`Reader`], mapped.
#[derive(Debug, Clone)]
pub struct Batch<T> {
    /// The page's records not seen before in this read (and not already covered by the
    /// checkpoint the read started from).
    pub records: Vec<T>,
    /// Records of the page that did not map.
    pub errors: Vec<DataError>,
    /// Records of the page already returned earlier in the read (dropped).
    pub duplicates: u64,
    /// How many records the store counts for this request, when it says: the whole read
    /// for offset and cursor paging, what remains from this page on for keyset reads
    /// (WooCommerce, Magento), so it shrinks page by page there.
    pub total: Option<u64>,
    /// Where a later read can resume with nothing lost, after this page: the newest record
    /// seen for reads in `(updated_at, id)` order; the starting checkpoint for unordered
    /// reads until their last page.
    pub checkpoint: Option<SyncCursor>,
    /// Pages fetched so far, this one included.
    pub page: u32,
    /// How many records the whole read covers, as the store counted them on the first
    /// page (records changed during the read can move it a little).
    pub read_total: Option<u64>,
    /// The raw JSON of each record, beside `records` (empty unless the reader was asked to
    /// keep it with [`Reader::keep_raw`]).
    pub raw: Vec<Option<String>>,
    /// The raw JSON of each record that did not map, beside `errors` (likewise).
    pub error_raw: Vec<Option<String>>,
}

/// A stream of mapped, de-duplicated pages of one entity, with running checkpoints.
#[derive(Debug)]
pub struct Reader<'p, T> {
    pager: Pager<'p>,
    mapper: Mapper,
    start: Option<SyncCursor>,
    floor: Option<Timestamp>,
    exact: bool,
    seen: HashSet<String>,
    newest: Option<SyncCursor>,
    ordered: bool,
    keep_raw: bool,
    /// The store's count on the first page: the read's size.
    first_total: Option<u64>,
    _records: std::marker::PhantomData<fn() -> T>,
}

impl<'p, T: Checkpointed> Reader<'p, T> {
    /// Starts a read of every `T` updated after `since`.
    pub fn new(
        platform: &'p dyn Platform,
        since: Option<SyncCursor>,
        options: &ReadOptions,
    ) -> Self {
        Self::with_source(Source::Borrowed(platform), since, options)
    }

    fn with_source(source: Source<'p>, since: Option<SyncCursor>, options: &ReadOptions) -> Self {
        let mapper = source.get().mapper();
        let pager = Pager::with_source(source, T::ENTITY, since.clone(), options);
        let floor = pager.window().floor();
        Reader {
            pager,
            mapper,
            start: since.clone(),
            floor,
            exact: options.overlap.is_zero(),
            seen: HashSet::new(),
            newest: since,
            ordered: true,
            keep_raw: false,
            first_total: None,
            _records: std::marker::PhantomData,
        }
    }

    /// Whether each batch carries the raw JSON of its records (off by default).
    pub fn keep_raw(mut self, keep: bool) -> Self {
        self.keep_raw = keep;
        self
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u32 {
        self.pager.pages()
    }

    /// The next mapped page, or `None` after the last one.
    pub async fn next_batch(&mut self) -> Option<Result<Batch<T>>> {
        let page = match self.pager.next_page().await? {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        self.ordered &= page.ordered;
        let (mut raw, error_raw, mapped) = if self.keep_raw {
            let (mapped, found) = T::map_with_raw(&self.mapper, &page.body);
            let (raw, error_raw) = self.raw_of(&page.body, &mapped, found);
            (raw, error_raw, mapped)
        } else {
            (Vec::new(), Vec::new(), T::map(&self.mapper, &page.body))
        };
        // The first page's count covers the whole read (later keyset pages count only
        // what remains from them on, their first records already read included).
        if self.pager.pages() == 1 {
            self.first_total = page.total;
        }
        let read_total = self.first_total.or(page.total);
        let mut batch = Batch {
            records: Vec::with_capacity(mapped.records.len()),
            errors: mapped.errors,
            duplicates: 0,
            total: page.total,
            checkpoint: None,
            page: self.pager.pages(),
            read_total,
            raw: Vec::new(),
            error_raw,
        };
        let mut raw_iter = raw.drain(..);
        for rec in mapped.records {
            let rec_raw = raw_iter.next();
            // Keep what changed after the checkpoint: platforms without a change filter are
            // read in full, and filtered reads include the checkpoint's own second. Without
            // an overlap, the records the checkpoint already covers are dropped; with one,
            // the overlap is read again on purpose.
            if let (Some(since), Some(floor), Some(c)) =
                (self.start.as_ref(), self.floor, rec.cursor())
            {
                let taken = if self.exact {
                    c <= *since
                } else {
                    c.updated_at < floor
                };
                if taken {
                    continue;
                }
            }
            if !self.seen.insert(rec.id().to_owned()) {
                batch.duplicates += 1;
                continue;
            }
            if let Some(c) = rec.cursor() {
                if self.newest.as_ref().is_none_or(|cp| c > *cp) {
                    self.newest = Some(c);
                }
            }
            batch.records.push(rec);
            if let Some(r) = rec_raw {
                batch.raw.push(r);
            }
        }
        batch.checkpoint = if self.ordered || page.next.is_none() {
            self.newest.clone()
        } else {
            // Unordered pages read in part say nothing about what was not read yet.
            self.start.clone()
        };
        Some(Ok(batch))
    }

    /// The raw JSON of each mapped record and of each record that did not map, matched by
    /// position (records map in payload order, and each error names its record's index).
    fn raw_of(
        &self,
        body: &[u8],
        mapped: &MappingResult<T>,
        found: Option<Vec<String>>,
    ) -> (Vec<Option<String>>, Vec<Option<String>>) {
        let mut all: Vec<Option<String>> = found
            .unwrap_or_else(|| self.mapper.raw_records(T::ENTITY, body))
            .into_iter()
            .map(Some)
            .collect();
        let failed: HashSet<usize> = mapped.errors.iter().filter_map(|e| e.index).collect();
        if all.len() != mapped.records.len() + failed.len() {
            // Not a layout this can match up (it does not happen with the platforms' pages);
            // the records are still written, without their payload.
            return (
                vec![None; mapped.records.len()],
                vec![None; mapped.errors.len()],
            );
        }
        let error_raw = mapped
            .errors
            .iter()
            .map(|e| e.index.and_then(|i| all.get_mut(i).and_then(Option::take)))
            .collect();
        let records = all
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !failed.contains(i))
            .map(|(_, r)| r)
            .collect();
        (records, error_raw)
    }
}

impl<T: Checkpointed> Reader<'static, T> {
    /// Starts a read from a shared connector (the reader owns its handle).
    pub fn shared(
        platform: Arc<dyn Platform>,
        since: Option<SyncCursor>,
        options: &ReadOptions,
    ) -> Self {
        Self::with_source(Source::Shared(platform), since, options)
    }
}

/// Reads every record of `T` updated after `since`, maps them, drops duplicates and
/// returns them with the next checkpoint.
pub async fn read_all<T: Checkpointed>(
    platform: &dyn Platform,
    since: Option<SyncCursor>,
    options: &ReadOptions,
) -> Result<ReadResult<T>> {
    let mut reader = Reader::<T>::new(platform, since.clone(), options);
    let mut out = ReadResult {
        records: Vec::new(),
        errors: Vec::new(),
        checkpoint: since,
        pages: 0,
        duplicates: 0,
        complete: true,
    };
    while let Some(batch) = reader.next_batch().await {
        let batch = batch?;
        out.records.extend(batch.records);
        out.errors.extend(batch.errors);
        out.duplicates += batch.duplicates;
        out.checkpoint = batch.checkpoint;
        if options.max_pages.is_some_and(|m| reader.pages() >= m) {
            out.complete = false;
            break;
        }
    }
    out.pages = reader.pages();
    Ok(out)
}

/// One page of a [`JsonReader`]: the records as JSON text, for the bindings.
#[derive(Debug, Clone)]
pub struct JsonBatch {
    /// The records (a JSON array), their count and the records that did not map.
    pub mapping: JsonMapping,
    /// Records dropped as already returned.
    pub duplicates: u64,
    /// How many records the store counts for this request (see [`Batch::total`]).
    pub total: Option<u64>,
    /// Where a later read can resume (see [`Batch::checkpoint`]).
    pub checkpoint: Option<SyncCursor>,
    /// Pages fetched so far.
    pub page: u32,
}

/// A [`Reader`] of any entity that hands out records as JSON text (what the Python and
/// Node bindings pass on).
#[derive(Debug)]
pub enum JsonReader {
    /// Orders.
    Orders(Reader<'static, Order>),
    /// Customers.
    Customers(Reader<'static, Customer>),
    /// Products (with their variants).
    Products(Reader<'static, Product>),
    /// Refunds.
    Refunds(Reader<'static, Refund>),
}

impl JsonReader {
    /// Starts a read of `entity` from a shared connector.
    pub fn new(
        platform: Arc<dyn Platform>,
        entity: EntityKind,
        since: Option<SyncCursor>,
        options: &ReadOptions,
    ) -> Result<Self> {
        if !platform.capabilities().entities.contains(&entity) {
            return Err(Error::Unsupported {
                platform: platform.kind(),
                entity,
            });
        }
        Ok(match entity {
            EntityKind::Order => JsonReader::Orders(Reader::shared(platform, since, options)),
            EntityKind::Customer => JsonReader::Customers(Reader::shared(platform, since, options)),
            EntityKind::Product => JsonReader::Products(Reader::shared(platform, since, options)),
            EntityKind::Refund => JsonReader::Refunds(Reader::shared(platform, since, options)),
            other => {
                return Err(Error::Unsupported {
                    platform: platform.kind(),
                    entity: other,
                });
            }
        })
    }

    /// The next page, or `None` after the last one.
    pub async fn next_batch(&mut self) -> Option<Result<JsonBatch>> {
        fn json<T: serde::Serialize>(b: Option<Result<Batch<T>>>) -> Option<Result<JsonBatch>> {
            let b = match b? {
                Ok(b) => b,
                Err(e) => return Some(Err(e)),
            };
            let records = match serde_json::to_string(&b.records) {
                Ok(r) => r,
                Err(e) => {
                    return Some(Err(Error::InvalidArgument {
                        name: "records",
                        message: format!("mapped records could not be written as JSON: {e}"),
                    }));
                }
            };
            Some(Ok(JsonBatch {
                mapping: JsonMapping {
                    records,
                    count: b.records.len(),
                    errors: b.errors,
                },
                duplicates: b.duplicates,
                total: b.total,
                checkpoint: b.checkpoint,
                page: b.page,
            }))
        }
        match self {
            JsonReader::Orders(r) => json(r.next_batch().await),
            JsonReader::Customers(r) => json(r.next_batch().await),
            JsonReader::Products(r) => json(r.next_batch().await),
            JsonReader::Refunds(r) => json(r.next_batch().await),
        }
    }
}
