//! The embedded store: one SQLite file in WAL mode (readers never wait for the writer).
//!
//! Two connections: a writer, used by one transaction at a time (`BEGIN IMMEDIATE`), and
//! a reader; a third, on a thread of its own, copies the WAL back into the file. SQLite
//! calls block, so they run on tokio's blocking threads; a sync keeps fetching and encoding
//! the next pages while the previous one is written. The writer binds a page's values
//! where they are instead of copying them (see `Bulk`), and skips the lookup of stored
//! versions for pages whose keys it knows it has never written to a store that was empty
//! (see `Fresh`). `synchronous = NORMAL` in
//! WAL mode keeps every committed transaction through a crash of the process (a kill -9);
//! only a power loss can drop the last ones, never corrupt the file.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::ffi::c_int;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql, ffi};

use super::logic::{self, Db, PageKeys, Plan};
use super::sql::{Query, Rows, Stmt, Ty, Val, parse_ts, push_decimal, push_ts, ts_text};
use super::{StoreKind, impl_store};
use crate::error::{Error, Result};
use crate::model::{EntityKind, PlatformKind};

const MIGRATIONS: &[&str] = &[include_str!("migrations/sqlite_0001.sql")];

/// A SQLite store (the default): a file, no server.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    db: SqliteDb,
}

#[derive(Clone)]
pub(crate) struct SqliteDb {
    path: PathBuf,
    writer: Arc<Mutex<Conn>>,
    reader: Arc<Mutex<Conn>>,
    /// Wakes the background checkpointer (file databases only).
    checkpoints: Option<Checkpoints>,
}

/// Copying the WAL back into the database file runs on a thread of its own, with its own
/// connection, so the writer does not stop for it: after a commit the writer only looks at
/// the WAL's size and, past [`CHECKPOINT_BYTES`], wakes the thread, which runs a passive
/// checkpoint (it never blocks the writer or the readers). The writer's own automatic
/// checkpoint stays on as a backstop, much further out.
#[derive(Clone)]
struct Checkpoints {
    wal: PathBuf,
    wake: std::sync::mpsc::SyncSender<()>,
}

/// The WAL size that wakes the checkpointer.
const CHECKPOINT_BYTES: u64 = 8 << 20;

/// The writer's own automatic checkpoint, in pages (64 MiB of 4 KiB pages): reached only
/// when the checkpointer falls behind, and cheap then, since most frames are copied.
const BACKSTOP_PAGES: i64 = 16_384;

impl Checkpoints {
    fn start(path: &Path) -> Result<Self> {
        let conn = connect(path, None)?;
        let (wake, rx) = std::sync::mpsc::sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("nexus-sqlite-checkpoint".into())
            .spawn(move || {
                // Ends when the last handle on the database is dropped.
                while rx.recv().is_ok() {
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::debug!(error = %e, "background checkpoint failed; the writer's own checkpoint takes over");
                    }
                }
            })
            .map_err(|e| err(format!("cannot start the checkpoint thread: {e}")))?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        Ok(Checkpoints {
            wal: PathBuf::from(wal),
            wake,
        })
    }

    /// Called after a commit: wakes the checkpointer when the WAL has grown enough.
    fn after_commit(&self) {
        if std::fs::metadata(&self.wal).is_ok_and(|m| m.len() > CHECKPOINT_BYTES) {
            // A wake-up already pending is enough.
            let _ = self.wake.try_send(());
        }
    }
}

impl std::fmt::Debug for SqliteDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDb")
            .field("path", &self.path)
            .finish()
    }
}

fn err(e: impl std::fmt::Display) -> Error {
    let message = e.to_string();
    let retryable = message.contains("locked") || message.contains("busy");
    Error::Store {
        backend: "sqlite",
        message,
        retryable,
    }
}

fn connect(path: &Path, memory_name: Option<&str>) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = match memory_name {
        Some(name) => Connection::open_with_flags(format!("file:{name}?mode=memory"), flags),
        None => Connection::open_with_flags(path, flags),
    }
    .map_err(|e| err(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(err)?;
    if memory_name.is_none() {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
    }
    // 64 MiB of page cache: a sync's pages and indexes stay in memory between transactions.
    conn.pragma_update(None, "cache_size", -65536)
        .map_err(err)?;
    // Checkpoint the WAL into the database every 16 MiB rather than every 4 MiB: fewer
    // fsyncs and fewer copies of pages every commit rewrites.
    conn.pragma_update(None, "wal_autocheckpoint", 4000)
        .map_err(err)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(err)?;
    // A multi-row insert keeps a statement journal (the pages it changed, to undo the
    // statement alone); past 64 KiB SQLite spills it to a temporary file, which cost a
    // page write of its own for every page a page write touched. In memory it stays.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(err)?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating and migrating when needed) the SQLite file at `path`; `:memory:`
    /// opens a private in-memory database.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_owned();
        let memory = (path.as_os_str() == ":memory:").then(|| {
            use std::sync::atomic::{AtomicU64, Ordering};
            static N: AtomicU64 = AtomicU64::new(0);
            format!(
                "nexus-mem-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            )
        });
        let p = path.clone();
        let (writer, reader, checkpoints) = tokio::task::spawn_blocking(move || -> Result<_> {
            if memory.is_none() {
                if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
                }
            }
            let writer = connect(&p, memory.as_deref())?;
            // An in-memory database is private to its connection: read through the writer.
            let (reader, checkpoints) = match memory {
                Some(_) => (None, None),
                None => {
                    writer
                        .pragma_update(None, "wal_autocheckpoint", BACKSTOP_PAGES)
                        .map_err(err)?;
                    (Some(connect(&p, None)?), Some(Checkpoints::start(&p)?))
                }
            };
            let writer = Arc::new(Mutex::new(Conn::new(writer)));
            let reader =
                reader.map_or_else(|| writer.clone(), |r| Arc::new(Mutex::new(Conn::new(r))));
            Ok((writer, reader, checkpoints))
        })
        .await
        .map_err(err)??;
        let db = SqliteDb {
            path,
            writer,
            reader,
            checkpoints,
        };
        logic::migrate(&db).await?;
        Ok(SqliteStore { db })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.db.path
    }
}

impl_store!(SqliteStore, StoreKind::Sqlite);

impl SqliteDb {
    /// One write transaction: `first`, then what `plan` makes of its rows. A page write
    /// (`keys`) skips `first` when the connection knows none of the page's ids is stored.
    async fn write(&self, first: Query, plan: Plan, keys: Option<PageKeys>) -> Result<()> {
        let writer = self.writer.clone();
        let checkpoints = self.checkpoints.clone();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut guard = writer.lock().unwrap_or_else(|e| e.into_inner());
            let Conn { bulk, conn, fresh } = &mut *guard;
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(err)?;
            let absent = match &keys {
                Some(k) => fresh.knows_absent(&tx, k)?,
                None => false,
            };
            let rows = if absent {
                Vec::new()
            } else {
                run_query(&tx, &first)?
            };
            let stmts = plan(rows)?;
            for s in &stmts {
                run_stmt(&tx, bulk, s)?;
            }
            tx.commit().map_err(err)?;
            if let Some(k) = &keys {
                fresh.wrote(k);
            }
            drop(guard);
            if let Some(c) = &checkpoints {
                c.after_commit();
            }
            // Freeing a page's values takes a while: not on the writer's way.
            runtime.spawn_blocking(move || drop(stmts));
            Ok(())
        })
        .await
        .map_err(err)?
    }
}

impl ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            Val::Int(i) => ToSqlOutput::Owned((*i).into()),
            Val::Bool(b) => ToSqlOutput::Owned(i64::from(*b).into()),
            Val::Text(s) | Val::Json(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Val::Small(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_str().as_bytes())),
            Val::Dec(d) => ToSqlOutput::Owned(d.to_string().into()),
            Val::Ts(t) => ToSqlOutput::Owned(ts_text(t).into()),
            Val::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn decode(v: ValueRef<'_>, ty: Ty) -> Result<Val> {
    let bad = |what: &str| {
        super::sql::corrupt("row", format!("expected {what}, found {:?}", v.data_type()))
    };
    Ok(match (v, ty) {
        (ValueRef::Null, _) => Val::Null,
        (ValueRef::Integer(i), Ty::Int) => Val::Int(i),
        (ValueRef::Integer(i), Ty::Bool) => Val::Bool(i != 0),
        (ValueRef::Text(t), Ty::Text | Ty::Json) => {
            let s = std::str::from_utf8(t).map_err(|_| bad("UTF-8 text"))?;
            if ty == Ty::Json {
                Val::Json(s.to_owned())
            } else {
                Val::Text(s.to_owned())
            }
        }
        (ValueRef::Text(t), Ty::Dec) => {
            let s = std::str::from_utf8(t).map_err(|_| bad("a decimal"))?;
            Val::Dec(s.parse().map_err(|_| bad("a decimal"))?)
        }
        (ValueRef::Integer(i), Ty::Dec) => Val::Dec(i.into()),
        (ValueRef::Text(t), Ty::Ts) => {
            let s = std::str::from_utf8(t).map_err(|_| bad("a timestamp"))?;
            Val::Ts(parse_ts(s).ok_or_else(|| bad("a timestamp"))?)
        }
        (ValueRef::Blob(b), Ty::Blob) => Val::Blob(b.to_vec()),
        (ValueRef::Integer(i), Ty::Text) => Val::Text(i.to_string()),
        (_, Ty::Int) => return Err(bad("an integer")),
        (_, Ty::Bool) => return Err(bad("a boolean")),
        (_, Ty::Text | Ty::Json) => return Err(bad("text")),
        (_, Ty::Dec) => return Err(bad("a decimal")),
        (_, Ty::Ts) => return Err(bad("a timestamp")),
        (_, Ty::Blob) => return Err(bad("bytes")),
    })
}

fn run_query(conn: &Connection, q: &Query) -> Result<Rows> {
    let mut st = conn.prepare_cached(&q.stmt.sql).map_err(err)?;
    let mut rows = st
        .query(rusqlite::params_from_iter(q.stmt.params.iter()))
        .map_err(err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(err)? {
        let mut vals = Vec::with_capacity(q.types.len());
        for (i, ty) in q.types.iter().enumerate() {
            vals.push(decode(row.get_ref(i).map_err(err)?, *ty)?);
        }
        out.push(vals);
    }
    Ok(out)
}

fn run_stmt(conn: &Connection, bulk: &mut Bulk, s: &Stmt) -> Result<()> {
    if s.params.is_empty() && !s.sql.contains('?') {
        // DDL and other parameterless statements.
        return conn.execute_batch(&s.sql).map_err(err);
    }
    bulk.run(conn, s)
}

/// A connection and, for the writer, its statements bound without copies.
pub(crate) struct Conn {
    // Declared first so its statements are finalized before the connection closes.
    bulk: Bulk,
    conn: Connection,
    /// What this connection knows it wrote (the writer's only).
    fresh: Fresh,
}

impl Conn {
    fn new(conn: Connection) -> Self {
        Conn {
            bulk: Bulk::default(),
            conn,
            fresh: Fresh::default(),
        }
    }
}

/// The keys this connection has written, for the (platform, store, entity) triples that
/// held no record and no quarantined one when it first wrote to them: for those, a key it
/// has not written is not stored, and a page of such keys needs no lookup of stored
/// versions. Kept as digests (a digest shared by two keys only costs a lookup). Another
/// connection's commit (`PRAGMA data_version` moves) makes all of it unknown again.
#[derive(Default)]
struct Fresh {
    data_version: Option<i64>,
    /// `None`: the triple held rows when first seen, nothing is known of it.
    keys: HashMap<(PlatformKind, String, EntityKind), Option<HashSet<u64>>>,
}

/// Past this many keys a triple is forgotten (its pages are looked up again), which
/// bounds the memory at a few dozen megabytes.
const FRESH_KEYS: usize = 2_000_000;

impl Fresh {
    /// Whether none of the page's ids can be stored (the lookup may be skipped).
    fn knows_absent(&mut self, tx: &Connection, keys: &PageKeys) -> Result<bool> {
        let version: i64 = tx
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(err)?;
        if self.data_version != Some(version) {
            self.keys.clear();
            self.data_version = Some(version);
        }
        let triple = (keys.platform, keys.store.clone(), keys.entity);
        let known = match self.keys.entry(triple) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let sql = format!(
                    "SELECT EXISTS (SELECT 1 FROM {} WHERE platform = ?1 AND store = ?2) \
                     OR EXISTS (SELECT 1 FROM quarantine WHERE platform = ?1 AND store = ?2 AND entity = ?3)",
                    keys.main
                );
                let held: bool = tx
                    .prepare_cached(&sql)
                    .and_then(|mut st| {
                        st.query_row(
                            rusqlite::params![
                                keys.platform.as_str(),
                                keys.store,
                                keys.entity.as_str()
                            ],
                            |r| r.get(0),
                        )
                    })
                    .map_err(err)?;
                e.insert((!held).then(HashSet::new))
            }
        };
        Ok(known
            .as_ref()
            .is_some_and(|set| keys.ids.iter().all(|id| !set.contains(id))))
    }

    /// After a commit: the page's keys are written.
    fn wrote(&mut self, keys: &PageKeys) {
        let triple = (keys.platform, keys.store.clone(), keys.entity);
        if let Some(Some(set)) = self.keys.get_mut(&triple) {
            set.extend(keys.written.iter().copied());
            if set.len() > FRESH_KEYS {
                self.keys.insert(triple, None);
            }
        }
    }
}

/// The writer's statements, bound in place. rusqlite copies every text and blob it binds
/// (`SQLITE_TRANSIENT`: an allocation and a copy per value, a third of a page write);
/// a page's values stay alive and unchanged until its statement has run, so SQLite may
/// read them where they are (`SQLITE_STATIC`). Decimals and times are rendered into one
/// scratch buffer first and bound from it.
#[derive(Default)]
struct Bulk {
    /// Statements of shared texts (the multi-row inserts), prepared once.
    cached: HashMap<&'static str, RawStmt>,
    /// Statements of texts built per page (deletes by a list of ids), kept while they are
    /// few: pages of the same size repeat them.
    recent: HashMap<String, RawStmt>,
    scratch: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

/// How many per-page statement texts [`Bulk`] keeps prepared.
const RECENT_STATEMENTS: usize = 64;

/// A prepared statement owned by [`Bulk`].
struct RawStmt(NonNull<ffi::sqlite3_stmt>);

// SAFETY: a statement is only used through its connection, which the store's mutex hands
// to one thread at a time (the connection is opened in SQLite's multi-thread mode).
unsafe impl Send for RawStmt {}

impl Drop for RawStmt {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared by sqlite3_prepare_v3 and is finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.0.as_ptr());
        }
    }
}

/// The connection's last error message.
fn db_error(db: *mut ffi::sqlite3, what: &str) -> Error {
    // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the connection,
    // valid until the next call on it; it is copied at once.
    let message = unsafe {
        let p = ffi::sqlite3_errmsg(db);
        if p.is_null() {
            String::from("unknown error")
        } else {
            std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    };
    err(format!("{what}: {message}"))
}

/// Prepares a statement the writer keeps (`SQLITE_PREPARE_PERSISTENT`).
fn prepare_raw(db: *mut ffi::sqlite3, sql: &str) -> Result<RawStmt> {
    let len = c_int::try_from(sql.len()).map_err(|_| err("statement too long"))?;
    let mut stmt = std::ptr::null_mut();
    let flags = ffi::SQLITE_PREPARE_PERSISTENT as std::ffi::c_uint;
    // SAFETY: `sql` is valid for `len` bytes; SQLite writes the new statement to `stmt`.
    let rc = unsafe {
        ffi::sqlite3_prepare_v3(
            db,
            sql.as_ptr().cast(),
            len,
            flags,
            &mut stmt,
            std::ptr::null_mut(),
        )
    };
    match NonNull::new(stmt) {
        Some(p) if rc == ffi::SQLITE_OK => Ok(RawStmt(p)),
        Some(p) => {
            drop(RawStmt(p));
            Err(db_error(db, "cannot prepare a statement"))
        }
        None => Err(db_error(db, "cannot prepare a statement")),
    }
}

impl Bulk {
    /// Runs one statement with its parameters bound in place.
    fn run(&mut self, conn: &Connection, s: &Stmt) -> Result<()> {
        // SAFETY: the handle is only used while `conn` is borrowed, on this thread.
        let db = unsafe { conn.handle() };
        let stmt = match &s.sql {
            Cow::Borrowed(sql) => match self.cached.entry(sql) {
                Entry::Occupied(e) => e.into_mut().0,
                Entry::Vacant(e) => e.insert(prepare_raw(db, sql)?).0,
            },
            Cow::Owned(sql) => match self.recent.get(sql.as_str()) {
                Some(r) => r.0,
                None => {
                    if self.recent.len() >= RECENT_STATEMENTS {
                        self.recent.clear();
                    }
                    let r = prepare_raw(db, sql)?;
                    let p = r.0;
                    self.recent.insert(sql.clone(), r);
                    p
                }
            },
        };
        let raw = stmt.as_ptr();
        // SAFETY: `raw` is a live statement of this connection.
        let expected = unsafe { ffi::sqlite3_bind_parameter_count(raw) };
        if usize::try_from(expected).ok() != Some(s.params.len()) {
            return Err(err(format!(
                "a statement takes {expected} values but was given {}",
                s.params.len()
            )));
        }
        // Decimals and times as text, rendered before anything is bound so the buffer
        // no longer moves.
        self.scratch.clear();
        self.spans.clear();
        for v in &s.params {
            let start = self.scratch.len();
            match v {
                Val::Dec(d) => push_decimal(&mut self.scratch, d),
                Val::Ts(t) => push_ts(&mut self.scratch, t),
                _ => continue,
            }
            self.spans.push((start, self.scratch.len()));
        }
        let mut spans = self.spans.iter();
        let result = (|| {
            for (i, v) in s.params.iter().enumerate() {
                let at = (i + 1) as c_int;
                // SAFETY: every pointer bound is into `s.params` or `self.scratch`, which
                // stay alive and unchanged until the statement has been stepped and
                // reset below; SQLITE_STATIC tells SQLite not to copy or free them.
                let rc = unsafe {
                    match v {
                        Val::Null => ffi::sqlite3_bind_null(raw, at),
                        Val::Int(n) => ffi::sqlite3_bind_int64(raw, at, *n),
                        Val::Bool(b) => ffi::sqlite3_bind_int64(raw, at, i64::from(*b)),
                        Val::Text(t) | Val::Json(t) => bind_text(raw, at, t.as_bytes()),
                        Val::Small(t) => bind_text(raw, at, t.as_str().as_bytes()),
                        Val::Dec(_) | Val::Ts(_) => {
                            let (a, b) = spans.next().copied().unwrap_or((0, 0));
                            bind_text(raw, at, &self.scratch[a..b])
                        }
                        Val::Blob(b) => match c_int::try_from(b.len()) {
                            Ok(n) => ffi::sqlite3_bind_blob(
                                raw,
                                at,
                                b.as_ptr().cast(),
                                n,
                                ffi::SQLITE_STATIC(),
                            ),
                            Err(_) => ffi::SQLITE_TOOBIG,
                        },
                    }
                };
                if rc != ffi::SQLITE_OK {
                    return Err(db_error(db, "cannot bind a value"));
                }
            }
            // SAFETY: all parameters are bound; an insert or delete returns no rows.
            match unsafe { ffi::sqlite3_step(raw) } {
                ffi::SQLITE_DONE | ffi::SQLITE_ROW => Ok(()),
                _ => Err(db_error(db, "statement failed")),
            }
        })();
        // SAFETY: resetting and clearing a live statement; afterwards it holds no
        // pointer into this page's values.
        unsafe {
            ffi::sqlite3_reset(raw);
            ffi::sqlite3_clear_bindings(raw);
        }
        result
    }
}

/// Binds UTF-8 text without a copy.
///
/// # Safety
/// `raw` must be a live statement and `bytes` must outlive its next step.
unsafe fn bind_text(raw: *mut ffi::sqlite3_stmt, at: c_int, bytes: &[u8]) -> c_int {
    match c_int::try_from(bytes.len()) {
        // SAFETY: as the caller promises.
        Ok(n) => unsafe {
            ffi::sqlite3_bind_text(raw, at, bytes.as_ptr().cast(), n, ffi::SQLITE_STATIC())
        },
        Err(_) => ffi::SQLITE_TOOBIG,
    }
}

#[async_trait]
impl Db for SqliteDb {
    async fn query(&self, q: Query) -> Result<Rows> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().unwrap_or_else(|e| e.into_inner());
            run_query(&conn.conn, &q)
        })
        .await
        .map_err(err)?
    }

    async fn transact(&self, first: Query, plan: Plan, _lock: bool) -> Result<()> {
        self.write(first, plan, None).await
    }

    async fn write_page(&self, first: Query, plan: Plan, keys: PageKeys) -> Result<()> {
        self.write(first, plan, Some(keys)).await
    }

    fn migrations(&self) -> &'static [&'static str] {
        MIGRATIONS
    }
}
