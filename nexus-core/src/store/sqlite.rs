//! The embedded store: one SQLite file in WAL mode (readers never wait for the writer).
//!
//! Two connections: a writer, used by one transaction at a time (`BEGIN IMMEDIATE`), and
//! a reader; a third, on a thread of its own, copies the WAL back into the file. SQLite
//! calls block, so they run on tokio's blocking threads; a sync keeps fetching and encoding
//! the next pages while the previous one is written. `synchronous = NORMAL` in
//! WAL mode keeps every committed transaction through a crash of the process (a kill -9);
//! only a power loss can drop the last ones, never corrupt the file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};

use super::logic::{self, Db, Plan};
use super::sql::{Query, Rows, Stmt, Ty, Val, parse_ts, ts_text};
use super::{StoreKind, impl_store};
use crate::error::{Error, Result};

const MIGRATIONS: &[&str] = &[include_str!("migrations/sqlite_0001.sql")];

/// A SQLite store (the default): a file, no server.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    db: SqliteDb,
}

#[derive(Clone)]
pub(crate) struct SqliteDb {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
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
            let writer = Arc::new(Mutex::new(writer));
            let reader = reader.map_or_else(|| writer.clone(), |r| Arc::new(Mutex::new(r)));
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

fn run_stmt(conn: &Connection, s: &Stmt) -> Result<()> {
    if s.params.is_empty() && !s.sql.contains('?') {
        // DDL and other parameterless statements.
        return conn.execute_batch(&s.sql).map_err(err);
    }
    let mut st = conn.prepare_cached(&s.sql).map_err(err)?;
    st.execute(rusqlite::params_from_iter(s.params.iter()))
        .map_err(err)?;
    Ok(())
}

#[async_trait]
impl Db for SqliteDb {
    async fn query(&self, q: Query) -> Result<Rows> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().unwrap_or_else(|e| e.into_inner());
            run_query(&conn, &q)
        })
        .await
        .map_err(err)?
    }

    async fn transact(&self, first: Query, plan: Plan, _lock: bool) -> Result<()> {
        let writer = self.writer.clone();
        let checkpoints = self.checkpoints.clone();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut conn = writer.lock().unwrap_or_else(|e| e.into_inner());
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(err)?;
            let rows = run_query(&tx, &first)?;
            let stmts = plan(rows)?;
            for s in &stmts {
                run_stmt(&tx, s)?;
            }
            tx.commit().map_err(err)?;
            drop(conn);
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

    fn migrations(&self) -> &'static [&'static str] {
        MIGRATIONS
    }
}
