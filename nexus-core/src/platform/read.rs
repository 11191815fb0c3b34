//! Paging through an entity: a page-by-page [`Pager`], and [`read_all`], which maps,
//! de-duplicates and computes the next checkpoint.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{Page, PageToken, Platform, ReadWindow, SyncCursor};
use crate::error::{DataError, Error, Result};
use crate::mapping::{Mapper, MappingResult};
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

/// Pages through one entity of one store, page by page.
#[derive(Debug)]
pub struct Pager<'p> {
    platform: &'p dyn Platform,
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
                    platform: self.platform.kind(),
                    entity: self.entity,
                    position: format!("{next:?}"),
                }));
            }
            Some(next) => self.token = Some(next.clone()),
        }
        Some(Ok(page))
    }
}

/// Reads every record of `T` updated after `since`, maps them, drops duplicates and
/// returns them with the next checkpoint.
pub async fn read_all<T: Checkpointed>(
    platform: &dyn Platform,
    since: Option<SyncCursor>,
    options: &ReadOptions,
) -> Result<ReadResult<T>> {
    let mapper = platform.mapper();
    let mut pager = Pager::new(platform, T::ENTITY, since.clone(), options);
    let floor = pager.window().floor();
    let mut out = ReadResult {
        records: Vec::new(),
        errors: Vec::new(),
        checkpoint: since,
        pages: 0,
        duplicates: 0,
        complete: true,
    };
    let mut seen: HashSet<String> = HashSet::new();
    let start = out.checkpoint.clone();
    let mut ordered = true;
    while let Some(page) = pager.next_page().await {
        let page = page?;
        ordered &= page.ordered;
        let mapped = T::map(&mapper, &page.body);
        out.errors.extend(mapped.errors);
        for rec in mapped.records {
            // Keep what changed after the checkpoint: platforms without a change filter are
            // read in full, and filtered reads include the checkpoint's own second. Without
            // an overlap, the records the checkpoint already covers are dropped; with one,
            // the overlap is read again on purpose.
            if let (Some(since), Some(floor), Some(c)) = (start.as_ref(), floor, rec.cursor()) {
                let taken = if options.overlap.is_zero() {
                    c <= *since
                } else {
                    c.updated_at < floor
                };
                if taken {
                    continue;
                }
            }
            if !seen.insert(rec.id().to_owned()) {
                out.duplicates += 1;
                continue;
            }
            if let Some(c) = rec.cursor() {
                if out.checkpoint.as_ref().is_none_or(|cp| c > *cp) {
                    out.checkpoint = Some(c);
                }
            }
            out.records.push(rec);
        }
        if options.max_pages.is_some_and(|m| pager.pages() >= m) {
            out.complete = false;
            break;
        }
    }
    if !out.complete && !ordered {
        // Unordered pages read in part say nothing about what was not read yet.
        out.checkpoint = start;
    }
    out.pages = pager.pages();
    Ok(out)
}
