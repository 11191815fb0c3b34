//! The sync engine: stores read from their platforms into a [`Store`], checked on the way.
//!
//! For each store and entity (customers, products, orders, refunds, in that order) the
//! engine reads pages from the checkpoint the database holds, maps them, checks them with
//! the store's rules, and writes each page's clean records, its quarantined records and the
//! new checkpoint in one transaction ([`Store::write_page`]). Killed at any instant, a
//! rerun resumes from the last checkpoint written and ends in the state an uninterrupted
//! run would have reached: the pages after it are read again, and writing a record twice
//! is harmless (the newer version wins, the same version is written again).
//!
//! A record that does not map, or that breaks an error-severity quality rule, goes to
//! quarantine with its raw payload and the reasons; when it later arrives clean it is
//! written and leaves quarantine.
//!
//! Stores sync concurrently (at most [`Syncer::concurrency`] at once), each under its own
//! connector's rate limits; one failing store never stops the others. While a page is
//! written the next one is already being fetched and mapped, and pages that are ready by
//! then are written together in one transaction (up to 1,000 records). Progress goes to a
//! callback after every write; [`Cancel`] stops a run cleanly between pages (what was written stays,
//! checkpoints included). Each store's [`StoreReport`] is saved in the database as sync
//! history. Counters and timings go through the `metrics` facade (`nexus_sync_*`).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::model::{Customer, EntityKind, Order, PlatformKind, Product, Refund, Timestamp};
use crate::platform::{
    Batch, Checkpointed, ConnectorStats, Platform, ReadOptions, Reader, SyncCursor,
};
use crate::quality::{Checkable, QualityEngine, QualitySummary, QualityTally, RuleSet, Severity};
use crate::store::{PageRecords, PageWrite, QuarantineEntry, RunRecord, Store};

/// Pages fetched ahead of the writer, and written together when they are ready.
const GROUP_PAGES: usize = 8;

/// The most records written in one transaction when pages are grouped.
const GROUP_RECORDS: usize = 1_000;

/// A page write running while the next group is prepared.
struct InFlight {
    write: tokio::task::JoinHandle<Result<crate::store::PageOutcome>>,
    checkpoint: Option<SyncCursor>,
    started: Instant,
}

/// How one store is synced.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The entities to sync, in order (all the connector reads when `None`: customers,
    /// products, orders, refunds).
    pub entities: Option<Vec<EntityKind>>,
    /// How reads run (overlap, page limit).
    pub read: ReadOptions,
    /// The quality rules records are checked with.
    pub rules: Arc<RuleSet>,
    /// Whether the rules' cleansers fix records before they are checked and written.
    pub cleanse: bool,
    /// Whether records that break an error-severity rule go to quarantine (the default)
    /// instead of the data tables.
    pub quarantine_errors: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            entities: None,
            read: ReadOptions::default(),
            rules: Arc::new(RuleSet::default_pack()),
            cleanse: false,
            quarantine_errors: true,
        }
    }
}

/// A store to sync: its name in Nexus, its connector and its options.
#[derive(Debug, Clone)]
pub struct Source {
    /// The store's name (unique in a database).
    pub name: String,
    /// Its connector.
    pub platform: Arc<dyn Platform>,
    /// How it is synced.
    pub options: SyncOptions,
}

/// Where a sync stands, sent after every write (a page, or the pages fetched ahead and
/// written together in one transaction) and at the end of each entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The run.
    pub run_id: String,
    /// The store.
    pub store: String,
    /// Its platform.
    pub platform: PlatformKind,
    /// The entity being read.
    pub entity: EntityKind,
    /// Pages read so far.
    pub pages: u32,
    /// Records received so far.
    pub fetched: u64,
    /// Records written.
    pub written: u64,
    /// Records quarantined.
    pub quarantined: u64,
    /// How many records the read covers, when the platform says (an estimate for keyset
    /// reads).
    pub total: Option<u64>,
    /// Records per second so far.
    pub rate: f64,
    /// Time to the end at the current rate, when the total is known.
    pub eta_seconds: Option<f64>,
    /// Seconds since the entity's read started.
    pub elapsed_seconds: f64,
    /// Whether the entity is finished (the last event of each entity).
    pub done: bool,
}

/// A progress callback.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Stops a sync cleanly: pages being written are finished, nothing after them starts.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<CancelInner>);

#[derive(Debug, Default)]
struct CancelInner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl Cancel {
    /// A new, untriggered token.
    pub fn new() -> Self {
        Self::default()
    }

    /// Triggers it.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether it was triggered.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Waits until it is triggered.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// An error as reports keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// The error's stable code (`auth_failed`, `rate_limited`, ...).
    pub code: String,
    /// What happened.
    pub message: String,
    /// Whether a later run can succeed without a change.
    pub retryable: bool,
}

impl From<&Error> for ErrorInfo {
    fn from(e: &Error) -> Self {
        ErrorInfo {
            code: e.code().to_owned(),
            message: e.to_string(),
            retryable: e.is_retryable(),
        }
    }
}

/// How one entity of one store synced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityReport {
    /// The entity.
    pub entity: EntityKind,
    /// Pages read.
    pub pages: u32,
    /// Records received (mapped or not).
    pub fetched: u64,
    /// Records written (inserted or replaced).
    pub written: u64,
    /// Records dropped because a newer version was already stored.
    pub stale: u64,
    /// Records quarantined.
    pub quarantined: u64,
    /// Records that arrived clean and left quarantine.
    pub released: u64,
    /// Records the store sent twice in the read (dropped).
    pub duplicates: u64,
    /// Records that did not map (quarantined with the mapping error).
    pub unmappable: u64,
    /// Seconds the entity took.
    pub seconds: f64,
    /// The checkpoint after the run.
    pub checkpoint: Option<SyncCursor>,
    /// Whether the read reached the end.
    pub complete: bool,
    /// What stopped it, if something did.
    pub error: Option<ErrorInfo>,
    /// The quality of the records received.
    pub quality: QualitySummary,
}

/// How one store synced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreReport {
    /// The store.
    pub store: String,
    /// Its platform.
    pub platform: PlatformKind,
    /// When its sync started.
    pub started_at: Timestamp,
    /// When it finished.
    pub finished_at: Timestamp,
    /// Whether every entity synced to the end without error.
    pub ok: bool,
    /// Per entity.
    pub entities: Vec<EntityReport>,
    /// The quality of everything received.
    pub quality: QualitySummary,
    /// The connector's requests during the sync (retries, 429s, time held back).
    pub requests: ConnectorStats,
    /// The first error, if any.
    pub error: Option<ErrorInfo>,
}

impl StoreReport {
    /// Records written, all entities.
    pub fn written(&self) -> u64 {
        self.entities.iter().map(|e| e.written).sum()
    }
    /// Records quarantined, all entities.
    pub fn quarantined(&self) -> u64 {
        self.entities.iter().map(|e| e.quarantined).sum()
    }
    /// Records received, all entities.
    pub fn fetched(&self) -> u64 {
        self.entities.iter().map(|e| e.fetched).sum()
    }
    /// The entity's report.
    pub fn entity(&self, entity: EntityKind) -> Option<&EntityReport> {
        self.entities.iter().find(|e| e.entity == entity)
    }
}

/// A sync run over some stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncReport {
    /// The run's id.
    pub run_id: String,
    /// When it started.
    pub started_at: Timestamp,
    /// When it finished.
    pub finished_at: Timestamp,
    /// Per store, in the order given.
    pub stores: Vec<StoreReport>,
    /// Whether it was cancelled.
    pub cancelled: bool,
}

impl SyncReport {
    /// Whether every store synced without error.
    pub fn ok(&self) -> bool {
        self.stores.iter().all(|s| s.ok)
    }

    /// The store's report.
    pub fn store(&self, name: &str) -> Option<&StoreReport> {
        self.stores.iter().find(|s| s.store == name)
    }

    /// The report as a plain-text table.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{:<18} {:<11} {:<9} {:>6} {:>8} {:>8} {:>6} {:>6} {:>7}  {}\n",
            "store",
            "platform",
            "entity",
            "pages",
            "fetched",
            "written",
            "stale",
            "quar.",
            "seconds",
            "quality"
        );
        for s in &self.stores {
            for e in &s.entities {
                out.push_str(&format!(
                    "{:<18} {:<11} {:<9} {:>6} {:>8} {:>8} {:>6} {:>6} {:>7.2}  {} ({:.1}){}\n",
                    s.store,
                    s.platform.as_str(),
                    e.entity.plural(),
                    e.pages,
                    e.fetched,
                    e.written,
                    e.stale,
                    e.quarantined,
                    e.seconds,
                    e.quality.grade,
                    e.quality.score,
                    e.error
                        .as_ref()
                        .map(|x| format!("  ERROR {}: {}", x.code, x.message))
                        .unwrap_or_default()
                ));
            }
            if let Some(e) = s.error.as_ref().filter(|_| s.entities.is_empty()) {
                out.push_str(&format!(
                    "{:<18} {:<11} ERROR {}: {}\n",
                    s.store,
                    s.platform.as_str(),
                    e.code,
                    e.message
                ));
            }
        }
        out
    }
}

/// Runs syncs into one database.
#[derive(Clone)]
pub struct Syncer {
    store: Arc<dyn Store>,
    concurrency: usize,
    progress: Option<ProgressFn>,
    cancel: Cancel,
}

impl std::fmt::Debug for Syncer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Syncer")
            .field("store", &self.store)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

/// A run id: the start time and a counter, sortable and unique in a process.
fn new_run_id(at: Timestamp) -> String {
    use std::sync::atomic::AtomicU32;
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}-{:04x}{:04x}",
        at.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id() & 0xffff,
        N.fetch_add(1, Ordering::Relaxed) & 0xffff
    )
}

impl Syncer {
    /// A syncer writing into `store`, four stores at a time.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Syncer {
            store,
            concurrency: 4,
            progress: None,
            cancel: Cancel::new(),
        }
    }

    /// How many stores sync at once (at least one).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Calls `f` after every page of every store.
    pub fn on_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Uses `cancel` to stop the runs.
    pub fn with_cancel(mut self, cancel: Cancel) -> Self {
        self.cancel = cancel;
        self
    }

    /// The token that stops this syncer's runs.
    pub fn cancel_token(&self) -> Cancel {
        self.cancel.clone()
    }

    /// The database.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Syncs every source, at most [`Self::concurrency`] at once.
    pub async fn sync(&self, sources: &[Source]) -> SyncReport {
        let started_at = Utc::now();
        let run_id = new_run_id(started_at);
        // A first load into empty tables builds their secondary indexes once, at the end.
        let deferred = match self.store.defer_indexes().await {
            Ok(names) => names,
            Err(e) => {
                tracing::warn!(error = %e, "cannot defer the secondary indexes; they are kept up to date row by row");
                Vec::new()
            }
        };
        let permits = Arc::new(tokio::sync::Semaphore::new(self.concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, source) in sources.iter().cloned().enumerate() {
            let this = self.clone();
            let run_id = run_id.clone();
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                (i, this.sync_store(&source, &run_id).await)
            });
        }
        let mut reports: Vec<Option<StoreReport>> = vec![None; sources.len()];
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok((i, r)) => reports[i] = Some(r),
                Err(e) => tracing::error!(error = %e, "a store's sync task panicked"),
            }
        }
        // Always: a sync that died before this point left its deferred indexes unbuilt.
        let build = Instant::now();
        match self.store.build_indexes().await {
            Ok(()) if !deferred.is_empty() => tracing::info!(
                indexes = ?deferred,
                seconds = build.elapsed().as_secs_f64(),
                "secondary indexes built after the load"
            ),
            Ok(()) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot build the secondary indexes; the next open builds them")
            }
        }
        let stores = reports
            .into_iter()
            .zip(sources)
            .map(|(r, s)| {
                r.unwrap_or_else(|| {
                    failed_report(
                        s,
                        started_at,
                        &Error::Cancelled {
                            what: format!("sync of {} (its task ended abnormally)", s.name),
                        },
                    )
                })
            })
            .collect();
        SyncReport {
            run_id,
            started_at,
            finished_at: Utc::now(),
            stores,
            cancelled: self.cancel.is_cancelled(),
        }
    }

    /// Syncs one store and saves its report in the sync history.
    pub async fn sync_store(&self, source: &Source, run_id: &str) -> StoreReport {
        let span = tracing::info_span!("nexus.sync", store = %source.name, platform = %source.platform.kind(), run_id);
        let started_at = Utc::now();
        let before = source.platform.stats();
        let caps = source.platform.capabilities();
        let entities: Vec<EntityKind> = match &source.options.entities {
            Some(list) => list.clone(),
            None => [
                EntityKind::Customer,
                EntityKind::Product,
                EntityKind::Order,
                EntityKind::Refund,
            ]
            .into_iter()
            .filter(|e| caps.entities.contains(e))
            .collect(),
        };
        let mut reports = Vec::new();
        let mut error = None;
        let mut tally = QualityTally::default();
        // Authenticates first (and learns the store's currency, which some platforms'
        // payloads leave out): a store that refuses the credentials is not read at all.
        let checked = tokio::select! {
            r = source.platform.check() => r.map(|_| ()),
            _ = self.cancel.cancelled() => Err(Error::Cancelled { what: format!("sync of {}", source.name) }),
        };
        let entities = match checked {
            Ok(()) => entities,
            Err(e) => {
                tracing::warn!(parent: &span, error = %e, "store check failed");
                error = Some(ErrorInfo::from(&e));
                Vec::new()
            }
        };
        for entity in entities {
            if self.cancel.is_cancelled() {
                error.get_or_insert(ErrorInfo::from(&Error::Cancelled {
                    what: format!("sync of {}", source.name),
                }));
                break;
            }
            let r = {
                let _g = span.enter();
                tracing::info!(entity = %entity, "sync started");
                drop(_g);
                self.sync_entity(source, entity, run_id).await
            };
            let (report, t) = match r {
                Ok(x) => x,
                Err(e) => {
                    let info = ErrorInfo::from(&e);
                    tracing::warn!(parent: &span, entity = %entity, error = %e, "sync failed");
                    error.get_or_insert(info.clone());
                    (
                        EntityReport {
                            entity,
                            pages: 0,
                            fetched: 0,
                            written: 0,
                            stale: 0,
                            quarantined: 0,
                            released: 0,
                            duplicates: 0,
                            unmappable: 0,
                            seconds: 0.0,
                            checkpoint: None,
                            complete: false,
                            error: Some(info),
                            quality: QualityTally::default().summary(&source.options.rules),
                        },
                        QualityTally::default(),
                    )
                }
            };
            if let Some(e) = &report.error {
                error.get_or_insert(e.clone());
            }
            tally.merge(&t);
            let stop = report.error.as_ref().is_some_and(|e| {
                matches!(e.code.as_str(), "auth_failed" | "cancelled" | "store_error")
            });
            reports.push(report);
            if stop {
                break;
            }
        }
        let after = source.platform.stats();
        let report = StoreReport {
            store: source.name.clone(),
            platform: source.platform.kind(),
            started_at,
            finished_at: Utc::now(),
            ok: error.is_none() && reports.iter().all(|e| e.complete),
            entities: reports,
            quality: tally.summary(&source.options.rules),
            requests: ConnectorStats {
                requests: after.requests.saturating_sub(before.requests),
                retries: after.retries.saturating_sub(before.retries),
                rate_limited: after.rate_limited.saturating_sub(before.rate_limited),
                throttled: after.throttled.saturating_sub(before.throttled),
            },
            error,
        };
        self.save(run_id, &report).await;
        metrics::counter!("nexus_sync_runs_total", "store" => source.name.clone(), "ok" => report.ok.to_string())
            .increment(1);
        metrics::histogram!("nexus_sync_store_seconds", "store" => source.name.clone()).record(
            (report.finished_at - report.started_at)
                .to_std()
                .unwrap_or_default()
                .as_secs_f64(),
        );
        tracing::info!(parent: &span, ok = report.ok, written = report.written(), quarantined = report.quarantined(), grade = %report.quality.grade, "sync finished");
        report
    }

    async fn save(&self, run_id: &str, report: &StoreReport) {
        let run = RunRecord {
            run_id: run_id.to_owned(),
            store: report.store.clone(),
            platform: report.platform,
            started_at: report.started_at,
            finished_at: report.finished_at,
            ok: report.ok,
            report: serde_json::to_value(report).unwrap_or_default(),
        };
        if let Err(e) = self.store.save_run(&run).await {
            tracing::error!(store = %report.store, error = %e, "the sync report could not be saved");
        }
    }

    async fn sync_entity(
        &self,
        source: &Source,
        entity: EntityKind,
        run_id: &str,
    ) -> Result<(EntityReport, QualityTally)> {
        match entity {
            EntityKind::Order => self.sync_typed::<Order>(source, run_id).await,
            EntityKind::Customer => self.sync_typed::<Customer>(source, run_id).await,
            EntityKind::Product => self.sync_typed::<Product>(source, run_id).await,
            EntityKind::Refund => self.sync_typed::<Refund>(source, run_id).await,
            other => Err(Error::Unsupported {
                platform: source.platform.kind(),
                entity: other,
            }),
        }
    }

    async fn sync_typed<T: SyncRecord>(
        &self,
        source: &Source,
        run_id: &str,
    ) -> Result<(EntityReport, QualityTally)> {
        let platform = source.platform.clone();
        if !platform
            .capabilities()
            .entities
            .contains(&<T as Checkpointed>::ENTITY)
        {
            return Err(Error::Unsupported {
                platform: platform.kind(),
                entity: <T as Checkpointed>::ENTITY,
            });
        }
        let opts = &source.options;
        let since = self
            .store
            .checkpoint(&source.name, <T as Checkpointed>::ENTITY)
            .await?;
        let started = Instant::now();
        let mut report = EntityReport {
            entity: <T as Checkpointed>::ENTITY,
            pages: 0,
            fetched: 0,
            written: 0,
            stale: 0,
            quarantined: 0,
            released: 0,
            duplicates: 0,
            unmappable: 0,
            seconds: 0.0,
            checkpoint: since.clone(),
            complete: false,
            error: None,
            quality: QualityTally::default().summary(&opts.rules),
        };
        let mut tally = QualityTally::default();
        let engine = QualityEngine::new((*opts.rules).clone());
        // Pages are fetched and mapped ahead while the previous one is written.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Batch<T>>>(GROUP_PAGES);
        let mut reader = Reader::<T>::shared(platform.clone(), since, &opts.read).keep_raw(true);
        let max_pages = opts.read.max_pages;
        let fetch = tokio::spawn(async move {
            while let Some(b) = reader.next_batch().await {
                let failed = b.is_err();
                if tx.send(b).await.is_err() || failed {
                    break;
                }
                if max_pages.is_some_and(|m| reader.pages() >= m) {
                    break;
                }
            }
        });
        let mut total = None;
        let mut ended = false;
        // One write in flight while the next group is checked and encoded: the writer
        // and the rest of the pipeline run on different cores. Writes stay in order (the
        // next one starts only after the previous one has committed).
        let mut in_flight: Option<InFlight> = None;
        loop {
            let next = tokio::select! {
                b = rx.recv() => b,
                _ = self.cancel.cancelled() => {
                    report.error = Some(ErrorInfo::from(&Error::Cancelled {
                        what: format!("sync of {} {}", source.name, <T as Checkpointed>::ENTITY),
                    }));
                    break;
                }
            };
            let batch = match next {
                None => {
                    ended = true;
                    break;
                }
                Some(Err(e)) => {
                    report.error = Some(ErrorInfo::from(&e));
                    break;
                }
                Some(Ok(b)) => b,
            };
            total = batch.read_total.or(total);
            let page_started = Instant::now();
            let (mut page, quality) = self.prepare(source, &engine, batch, &mut report);
            tally.add(&quality);
            // Group commit: pages already fetched are written in the same transaction (up
            // to a limit), their last checkpoint with them; fewer, larger transactions
            // write far less to the WAL. A fetch error is kept for after the write.
            let mut failed = None;
            while page.records.len() + page.quarantine.len() < GROUP_RECORDS {
                match rx.try_recv() {
                    Ok(Ok(b)) => {
                        total = b.read_total.or(total);
                        let (more, quality) = self.prepare(source, &engine, b, &mut report);
                        tally.add(&quality);
                        page.absorb(more);
                    }
                    Ok(Err(e)) => {
                        failed = Some(e);
                        break;
                    }
                    Err(_) => break,
                }
            }
            let checkpoint = page.checkpoint.clone();
            // Encoded here, while the previous page is being written.
            let prepared = crate::store::prepare_page(page);
            if let Some(w) = in_flight.take() {
                let settled = self.settle(w, source, run_id, &mut report, total, started);
                if let Err(e) = settled.await {
                    report.error = Some(e);
                    break;
                }
            }
            let store = self.store.clone();
            in_flight = Some(InFlight {
                write: tokio::spawn(async move { store.write_prepared(prepared).await }),
                checkpoint,
                started: page_started,
            });
            if let Some(e) = failed {
                report.error = Some(ErrorInfo::from(&e));
                break;
            }
        }
        // The last write always completes (a cancelled sync keeps what it fetched).
        if let Some(w) = in_flight.take() {
            if let Err(e) = self
                .settle(w, source, run_id, &mut report, total, started)
                .await
            {
                report.error.get_or_insert(e);
            }
        }
        fetch.abort();
        report.complete =
            ended && report.error.is_none() && max_pages.is_none_or(|m| report.pages < m);
        report.seconds = started.elapsed().as_secs_f64();
        report.quality = tally.summary(&opts.rules);
        self.emit(run_id, source, &report, total, started, true);
        Ok((report, tally))
    }

    /// Waits for a write and adds its outcome to the report.
    async fn settle(
        &self,
        w: InFlight,
        source: &Source,
        run_id: &str,
        report: &mut EntityReport,
        total: Option<u64>,
        started: Instant,
    ) -> std::result::Result<(), ErrorInfo> {
        let out = match w.write.await {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => return Err(ErrorInfo::from(&e)),
            Err(e) => {
                return Err(ErrorInfo::from(&Error::Store {
                    backend: match self.store.kind() {
                        crate::store::StoreKind::Sqlite => "sqlite",
                        crate::store::StoreKind::Postgres => "postgres",
                    },
                    message: format!("the write of a page stopped: {e}"),
                    retryable: false,
                }));
            }
        };
        report.written += out.written;
        report.stale += out.stale;
        report.quarantined += out.quarantined;
        report.released += out.released;
        if w.checkpoint.is_some() {
            report.checkpoint = w.checkpoint;
        }
        let labels = [
            ("store", source.name.clone()),
            ("entity", report.entity.as_str().to_owned()),
        ];
        metrics::counter!("nexus_sync_records_written_total", &labels).increment(out.written);
        metrics::counter!("nexus_sync_records_quarantined_total", &labels)
            .increment(out.quarantined);
        metrics::histogram!("nexus_sync_page_seconds", &labels)
            .record(w.started.elapsed().as_secs_f64());
        self.emit(run_id, source, report, total, started, false);
        Ok(())
    }

    /// Checks a batch and splits it into the page to write and its quarantine.
    fn prepare<T: SyncRecord>(
        &self,
        source: &Source,
        engine: &QualityEngine,
        batch: Batch<T>,
        report: &mut EntityReport,
    ) -> (PageWrite, crate::quality::QualityReport) {
        let opts = &source.options;
        let Batch {
            mut records,
            errors,
            duplicates,
            checkpoint,
            mut raw,
            error_raw,
            ..
        } = batch;
        report.pages += 1;
        report.duplicates += duplicates;
        // Records are kept under the source's name, whatever the connector calls the store.
        for r in &mut records {
            r.set_store(&source.name);
        }
        let unmappable = errors.iter().filter(|e| e.index.is_some()).count() as u64;
        report.unmappable += unmappable;
        report.fetched += records.len() as u64 + unmappable;
        let quality = if opts.cleanse {
            engine.check_and_cleanse(&mut records)
        } else {
            engine.check(&records)
        };
        let mut quarantine: Vec<QuarantineEntry> = errors
            .iter()
            .zip(error_raw.into_iter().chain(std::iter::repeat(None)))
            .filter(|(e, _)| e.index.is_some())
            .map(|(e, r)| QuarantineEntry {
                entity: <T as Checkpointed>::ENTITY,
                source_id: e.id.clone(),
                reason: format!("{} [{}]", e, e.code()),
                rules: vec![],
                raw: r,
            })
            .collect();
        // Records breaking an error-severity rule: their reasons, by position.
        let mut bad: std::collections::BTreeMap<usize, (BTreeSet<String>, Vec<String>)> =
            Default::default();
        if opts.quarantine_errors {
            for v in quality
                .violations
                .iter()
                .filter(|v| v.severity == Severity::Error)
            {
                let e = bad.entry(v.index).or_default();
                e.0.insert(v.rule.to_string());
                e.1.push(format!("{}: {}", v.rule, v.message));
            }
        }
        raw.resize(records.len(), None);
        let mut clean = Vec::with_capacity(records.len());
        for (i, (rec, r)) in records.into_iter().zip(raw).enumerate() {
            match bad.remove(&i) {
                Some((rules, reasons)) => quarantine.push(QuarantineEntry {
                    entity: <T as Checkpointed>::ENTITY,
                    source_id: Some(rec.id().to_owned()),
                    reason: reasons.join("; "),
                    rules: rules.into_iter().collect(),
                    raw: r,
                }),
                None => clean.push((rec, r)),
            }
        }
        (
            PageWrite {
                store: source.name.clone(),
                platform: source.platform.kind(),
                records: T::page(clean),
                quarantine,
                checkpoint,
                at: Utc::now(),
            },
            quality,
        )
    }

    fn emit(
        &self,
        run_id: &str,
        source: &Source,
        r: &EntityReport,
        total: Option<u64>,
        started: Instant,
        done: bool,
    ) {
        let Some(f) = &self.progress else { return };
        let elapsed = started.elapsed();
        let rate = if elapsed > Duration::ZERO {
            r.fetched as f64 / elapsed.as_secs_f64()
        } else {
            0.0
        };
        let total = if done && r.complete {
            Some(r.fetched)
        } else {
            total.map(|t| t.max(r.fetched))
        };
        let eta_seconds = match total {
            Some(t) if rate > 0.0 => Some((t.saturating_sub(r.fetched)) as f64 / rate),
            _ => None,
        };
        f(&Progress {
            run_id: run_id.to_owned(),
            store: source.name.clone(),
            platform: source.platform.kind(),
            entity: r.entity,
            pages: r.pages,
            fetched: r.fetched,
            written: r.written,
            quarantined: r.quarantined,
            total,
            rate,
            eta_seconds,
            elapsed_seconds: elapsed.as_secs_f64(),
            done,
        });
    }
}

fn failed_report(source: &Source, at: Timestamp, e: &Error) -> StoreReport {
    StoreReport {
        store: source.name.clone(),
        platform: source.platform.kind(),
        started_at: at,
        finished_at: Utc::now(),
        ok: false,
        entities: vec![],
        quality: QualityTally::default().summary(&source.options.rules),
        requests: ConnectorStats::default(),
        error: Some(ErrorInfo::from(e)),
    }
}

/// Names the store of a source reference (without allocating when it already is).
fn relabel(source: &mut crate::model::SourceRef, name: &str) {
    if source.store != name {
        source.store = name.to_owned();
    }
}

/// A record the engine syncs.
trait SyncRecord: Checkpointed + Checkable + Send + Sync + 'static {
    fn page(records: Vec<(Self, Option<String>)>) -> PageRecords;
    /// Names the store the record is kept under (the source's name).
    fn set_store(&mut self, name: &str);
}

impl SyncRecord for Order {
    fn set_store(&mut self, name: &str) {
        relabel(&mut self.source, name);
    }
    fn page(records: Vec<(Self, Option<String>)>) -> PageRecords {
        PageRecords::Orders(records)
    }
}

impl SyncRecord for Customer {
    fn set_store(&mut self, name: &str) {
        relabel(&mut self.source, name);
    }
    fn page(records: Vec<(Self, Option<String>)>) -> PageRecords {
        PageRecords::Customers(records)
    }
}

impl SyncRecord for Product {
    fn set_store(&mut self, name: &str) {
        relabel(&mut self.source, name);
        for v in &mut self.variants {
            relabel(&mut v.source, name);
        }
    }
    fn page(records: Vec<(Self, Option<String>)>) -> PageRecords {
        PageRecords::Products(records)
    }
}

impl SyncRecord for Refund {
    fn set_store(&mut self, name: &str) {
        relabel(&mut self.source, name);
    }
    fn page(records: Vec<(Self, Option<String>)>) -> PageRecords {
        PageRecords::Refunds(records)
    }
}
