//! What both stores do, written once over the [`Db`] primitives: migrations, page writes,
//! read-back and the sync history.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use chrono::Utc;

use super::codec::{
    self, ADDRESSES, Children, DISCOUNT_LINES, FEE_LINES, ORDER_LINES, ORDER_REFUNDS, Owner,
    REFUND_LINES, SHIPPING_LINES, Stored, TAX_LINES, Table, TableRows, VARIANTS,
};
use super::sql::{Cols, Query, Rows, Stmt, Ty, Val, chunked_inserts, corrupt, insert_sql, marks};
use super::{
    Counts, PageOutcome, PageRecords, PageWrite, Quarantined, ReadFilter, RunRecord,
    SCHEMA_VERSION, TransactionRow,
};
use crate::error::{Error, Result};
use crate::model::{Customer, EntityKind, Order, PlatformKind, Product, Refund, SourceRef};
use crate::platform::SyncCursor;

/// Statements to run after the first query of a transaction, planned from its rows.
pub(crate) type Plan = Box<dyn FnOnce(Rows) -> Result<Vec<Stmt>> + Send>;

/// What a database must offer.
#[async_trait]
pub(crate) trait Db: Send + Sync {
    /// Runs a read-only query.
    async fn query(&self, q: Query) -> Result<Rows>;
    /// In one transaction: runs `first`, then the statements `plan` makes of its rows.
    /// `lock` takes the database's migration lock first (PostgreSQL), so that two
    /// processes opening a new database do not both create it.
    async fn transact(&self, first: Query, plan: Plan, lock: bool) -> Result<()>;
    /// Runs statements in one transaction.
    async fn exec(&self, stmts: Vec<Stmt>) -> Result<()> {
        let q = Query {
            stmt: Stmt::new("SELECT 1", vec![]),
            types: &[Ty::Int],
        };
        self.transact(q, Box::new(move |_| Ok(stmts)), false).await
    }
    /// Writes a page in one transaction: `first` (which of the page's ids are stored, or
    /// in quarantine), then the statements `plan` makes of its rows. A database that can
    /// tell that none of them is stored may skip `first` and plan from no rows.
    async fn write_page(&self, first: Query, plan: Plan, keys: PageKeys) -> Result<()> {
        let _ = keys;
        self.transact(first, plan, false).await
    }
    /// The migrations, in version order.
    fn migrations(&self) -> &'static [&'static str];
}

/// What a page write touches, for a database that remembers which keys it has written.
#[derive(Debug, Clone)]
pub(crate) struct PageKeys {
    pub platform: PlatformKind,
    pub store: String,
    pub entity: EntityKind,
    /// The entity's table.
    pub main: &'static str,
    /// Digests of the ids of the page's clean records (what `first` looks up).
    pub ids: Vec<u64>,
    /// Digests of every key the page writes: those ids and the quarantined records' keys.
    pub written: Vec<u64>,
}

/// The digest of a record key in [`PageKeys`].
pub(crate) fn key_digest(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

/// Applies the migrations the database lacks; refuses a database from a newer Nexus.
pub(crate) async fn migrate(db: &dyn Db) -> Result<()> {
    db.exec(vec![Stmt::new(
        "CREATE TABLE IF NOT EXISTS nexus_schema (version INTEGER PRIMARY KEY, \
         applied_at TEXT NOT NULL, nexus_version TEXT NOT NULL)",
        vec![],
    )])
    .await?;
    let migrations = db.migrations();
    let q = Query {
        stmt: Stmt::new("SELECT MAX(version) FROM nexus_schema", vec![]),
        types: &[Ty::Int],
    };
    let found = Arc::new(Mutex::new(0u32));
    let seen = found.clone();
    db.transact(
        q,
        Box::new(move |rows| {
            let current = current_version(&rows);
            *seen.lock().unwrap_or_else(|e| e.into_inner()) = current;
            if current > SCHEMA_VERSION {
                return Ok(Vec::new());
            }
            let mut stmts = Vec::new();
            for (i, script) in migrations.iter().enumerate() {
                let version = i as u32 + 1;
                if version <= current {
                    continue;
                }
                stmts.extend(
                    script
                        .split(";\n")
                        .map(strip_comments)
                        .filter(|s| !s.is_empty())
                        .map(|s| Stmt::new(s, vec![])),
                );
                stmts.push(Stmt::new(
                    "INSERT INTO nexus_schema (version, applied_at, nexus_version) VALUES (?, ?, ?)",
                    vec![
                        Val::Int(version.into()),
                        Val::Text(Utc::now().to_rfc3339()),
                        Val::Text(crate::VERSION.to_owned()),
                    ],
                ));
            }
            Ok(stmts)
        }),
        true,
    )
    .await?;
    let found = *found.lock().unwrap_or_else(|e| e.into_inner());
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    restore_indexes(db).await
}

/// The secondary indexes: (name, table, the statement that builds it). Each is also in the
/// migration that introduced it; this list is what a bulk load builds again.
const SECONDARY_INDEXES: &[(&str, &str, &str)] = &[
    (
        "orders_created",
        "orders",
        "CREATE INDEX IF NOT EXISTS orders_created ON orders (created_at)",
    ),
    (
        "orders_customer",
        "orders",
        "CREATE INDEX IF NOT EXISTS orders_customer ON orders (platform, store, customer_id)",
    ),
    (
        "order_lines_product",
        "order_lines",
        "CREATE INDEX IF NOT EXISTS order_lines_product ON order_lines (platform, store, product_id)",
    ),
    (
        "customers_email",
        "customers",
        "CREATE INDEX IF NOT EXISTS customers_email ON customers (email_normalized)",
    ),
    (
        "variants_source",
        "variants",
        "CREATE INDEX IF NOT EXISTS variants_source ON variants (platform, store, source_id)",
    ),
    (
        "refunds_order",
        "refunds",
        "CREATE INDEX IF NOT EXISTS refunds_order ON refunds (platform, store, order_id)",
    ),
];

/// Before a sync: drops the secondary indexes of the record tables that are empty, so
/// that a first load inserts each row into its table alone and the indexes are built once
/// at the end ([`restore_indexes`]), from sorted keys, instead of row by row. Tables
/// holding rows keep their indexes. Returns the indexes dropped.
pub(crate) async fn defer_indexes(db: &dyn Db) -> Result<Vec<&'static str>> {
    let mut tables: Vec<&'static str> = SECONDARY_INDEXES.iter().map(|i| i.1).collect();
    tables.dedup();
    let probes: Vec<String> = tables
        .iter()
        .map(|t| format!("EXISTS (SELECT 1 FROM {t})"))
        .collect();
    const TYPES: [Ty; 8] = [Ty::Bool; 8];
    let q = Query {
        stmt: Stmt::new(format!("SELECT {}", probes.join(", ")), vec![]),
        types: &TYPES[..tables.len()],
    };
    let dropped = Arc::new(Mutex::new(Vec::new()));
    let out = dropped.clone();
    db.transact(
        q,
        Box::new(move |rows| {
            let filled = rows.first().cloned().unwrap_or_default();
            let empty = |table: &str| {
                let i = tables.iter().position(|t| *t == table);
                matches!(i.and_then(|i| filled.get(i)), Some(Val::Bool(false)))
            };
            let names: Vec<&'static str> = SECONDARY_INDEXES
                .iter()
                .filter(|(_, table, _)| empty(table))
                .map(|(name, _, _)| *name)
                .collect();
            let stmts = names
                .iter()
                .map(|n| Stmt::new(format!("DROP INDEX IF EXISTS {n}"), vec![]))
                .collect();
            *out.lock().unwrap_or_else(|e| e.into_inner()) = names;
            Ok(stmts)
        }),
        false,
    )
    .await?;
    let names = std::mem::take(&mut *dropped.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(names)
}

/// Builds every secondary index that is missing: after a sync, and when a store is opened
/// (a sync killed before its end leaves them to the next open).
///
/// Under the migration lock: two PostgreSQL sessions creating one index at once can
/// collide even with `IF NOT EXISTS`.
pub(crate) async fn restore_indexes(db: &dyn Db) -> Result<()> {
    let stmts = SECONDARY_INDEXES
        .iter()
        .map(|(_, _, sql)| Stmt::new(*sql, vec![]))
        .collect();
    let q = Query {
        stmt: Stmt::new("SELECT 1", vec![]),
        types: &[Ty::Int],
    };
    db.transact(q, Box::new(move |_| Ok(stmts)), true).await
}

fn current_version(rows: &Rows) -> u32 {
    match rows.first().and_then(|r| r.first()) {
        Some(Val::Int(v)) => (*v).max(0) as u32,
        _ => 0,
    }
}

fn strip_comments(s: &str) -> String {
    s.lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

pub(crate) async fn schema_version(db: &dyn Db) -> Result<u32> {
    let rows = db
        .query(Query {
            stmt: Stmt::new("SELECT MAX(version) FROM nexus_schema", vec![]),
            types: &[Ty::Int],
        })
        .await?;
    Ok(current_version(&rows))
}

/// The records of a page, encoded, with what the write needs to know of each.
struct Encoded {
    main: &'static Table,
    children: Vec<(&'static Table, Owner)>,
    /// (source id, version) per record.
    keys: Vec<(String, i64)>,
    /// Rows per record: main row then children.
    rows: Vec<TableRows>,
}

fn compress(raw: Option<String>) -> Option<Vec<u8>> {
    raw.map(|r| lz4_flex::compress_prepend_size(r.as_bytes()))
}

fn decompress(what: &str, blob: Option<Vec<u8>>) -> Result<Option<String>> {
    let Some(b) = blob else { return Ok(None) };
    let bytes = lz4_flex::decompress_size_prepended(&b).map_err(|e| corrupt(what, e))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| corrupt(what, e))
}

fn encode_all<T: Stored>(
    records: Vec<(T, Option<String>)>,
    at: crate::model::Timestamp,
) -> Encoded {
    let (main, children) = codec::tables_of(T::ENTITY);
    let mut keys = Vec::with_capacity(records.len());
    let mut rows = Vec::with_capacity(records.len());
    for (rec, raw) in records {
        keys.push((
            rec.source().id.clone(),
            super::sql::version_of(rec.changed_at()),
        ));
        let mut r = TableRows::default();
        rec.encode(compress(raw), at, &mut r);
        rows.push(r);
    }
    Encoded {
        main,
        children,
        keys,
        rows,
    }
}

/// The inserts of one table, built before the write; `owner` is the column holding the
/// owning record's source id (so a stale record's rows can be taken out).
struct Prebuilt {
    table: &'static Table,
    main: bool,
    owner: usize,
    stmts: Vec<Stmt>,
}

/// A page encoded and turned into statements ahead of its transaction: the query of the
/// stored versions, and the plan that finishes the write from its answer.
pub(crate) struct Prepared {
    first: Query,
    plan: Plan,
    outcome: Arc<Mutex<PageOutcome>>,
    keys: PageKeys,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared").finish_non_exhaustive()
    }
}

/// The multi-row inserts of `rows` into `table`; the record tables' inserts update an
/// existing row unless it is newer.
fn insert_statements(table: &'static Table, main: bool, rows: Vec<Vec<Val>>) -> Vec<Stmt> {
    chunked_inserts(table.cols.len(), rows, |n| {
        Cow::Borrowed(insert_text(table, main, n))
    })
}

/// The text of an insert of `rows` rows into `table`, built once per shape and kept for
/// the life of the process (a few dozen texts: tables times chunk sizes).
fn insert_text(table: &'static Table, main: bool, rows: usize) -> &'static str {
    /// Texts by (table, upsert or not, rows).
    type Texts = HashMap<(&'static str, bool, usize), &'static str>;
    static TEXTS: OnceLock<Mutex<Texts>> = OnceLock::new();
    let mut texts = TEXTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    texts.entry((table.name, main, rows)).or_insert_with(|| {
        let names = table.names();
        let mut sql = insert_sql(table.name, &names, rows);
        if main {
            let sets: Vec<String> = names[table.key..]
                .iter()
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            sql.push_str(&format!(
                " ON CONFLICT (platform, store, source_id) DO UPDATE SET {} WHERE excluded.version >= {}.version",
                sets.join(", "),
                table.name
            ));
        }
        Box::leak(sql.into_boxed_str())
    })
}

fn column_index(table: &Table, name: &str) -> usize {
    table
        .cols
        .iter()
        .position(|c| c.0 == name)
        .unwrap_or_else(|| unreachable!("{} has no column {name}", table.name))
}

/// Encodes a page and builds its statements, assuming no stored record is newer (the plan
/// takes the rows of any that are out again): the work that needs no database, done
/// before the transaction so the writer only writes.
pub(crate) fn prepare_page(page: PageWrite) -> Prepared {
    let PageWrite {
        store,
        platform,
        records,
        quarantine,
        checkpoint,
        at,
    } = page;
    let entity = records.entity();
    let enc = match records {
        PageRecords::Orders(r) => encode_all(r, at),
        PageRecords::Customers(r) => encode_all(r, at),
        PageRecords::Products(r) => encode_all(r, at),
        PageRecords::Refunds(r) => encode_all(r, at),
    };
    let ids: Vec<Val> = enc.keys.iter().map(|(id, _)| Val::text(id)).collect();
    // The versions stored for the page's ids, and which of them are in quarantine (none
    // when the page has no clean record).
    let first = Query {
        stmt: if ids.is_empty() {
            Stmt::new(
                "SELECT source_id, version, 0 FROM orders WHERE 1 = 0",
                vec![],
            )
        } else {
            let n = ids.len();
            let mut params = vec![Val::text(platform.as_str()), Val::text(&store)];
            params.extend(ids.iter().cloned());
            params.extend([
                Val::text(platform.as_str()),
                Val::text(&store),
                Val::text(entity.as_str()),
            ]);
            params.extend(ids.iter().cloned());
            Stmt::new(
                format!(
                    "SELECT source_id, version, 0 FROM {} WHERE platform = ? AND store = ? AND source_id IN ({m}) \
                     UNION ALL SELECT record_key, 0, 1 FROM quarantine WHERE platform = ? AND store = ? AND entity = ? \
                     AND record_key IN ({m})",
                    enc.main.name,
                    m = marks(n),
                ),
                params,
            )
        },
        types: &[Ty::Text, Ty::Int, Ty::Int],
    };
    // The platform and store values every statement starts with.
    let pv = Val::text(platform.as_str());
    let sv = Val::text(&store);
    let p = move || pv.clone();
    let s = move || sv.clone();
    // Every record's rows, by table.
    let mut all = TableRows::default();
    for rows in enc.rows {
        for (table, rs) in rows.tables {
            for r in rs {
                all.push(table, r);
            }
        }
    }
    let inserts: Vec<Prebuilt> = all
        .tables
        .into_iter()
        .map(|(table, rows)| {
            let main = table.name == enc.main.name;
            let owner = if main {
                column_index(table, "source_id")
            } else {
                match enc.children.iter().find(|(t, _)| t.name == table.name) {
                    Some((_, Owner::Column(col))) => column_index(table, col),
                    _ => column_index(table, "owner_id"),
                }
            };
            Prebuilt {
                table,
                main,
                owner,
                stmts: insert_statements(table, main, rows),
            }
        })
        .collect();
    // After the records: the clean ones leave quarantine, the bad ones enter it, and the
    // checkpoint moves.
    let mut tail = Vec::new();
    let digests: Vec<u64> = enc.keys.iter().map(|(id, _)| key_digest(id)).collect();
    let mut written = digests.clone();
    let quarantined = quarantine.len() as u64;
    for q in quarantine {
        let key = q.key();
        written.push(key_digest(&key));
        tail.push(Stmt::new(
            "INSERT INTO quarantine (platform, store, entity, record_key, source_id, reason, rules, raw, first_seen, last_seen, times_seen) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (platform, store, entity, record_key) DO UPDATE SET \
             source_id = excluded.source_id, reason = excluded.reason, rules = excluded.rules, raw = excluded.raw, \
             last_seen = excluded.last_seen, times_seen = quarantine.times_seen + 1",
            vec![
                p(),
                s(),
                Val::Text(q.entity.as_str().to_owned()),
                Val::Text(key),
                Val::opt_text(q.source_id.as_deref()),
                Val::Text(q.reason),
                Val::Json(serde_json::to_string(&q.rules).unwrap_or_else(|_| "[]".into())),
                compress(q.raw).map_or(Val::Null, Val::Blob),
                Val::Ts(at),
                Val::Ts(at),
            ],
        ));
    }
    if let Some(cp) = checkpoint {
        tail.push(Stmt::new(
            "INSERT INTO checkpoints (store, entity, platform, cursor_updated_at, cursor_id, saved_at) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (store, entity) DO UPDATE SET platform = excluded.platform, cursor_updated_at = excluded.cursor_updated_at, \
             cursor_id = excluded.cursor_id, saved_at = excluded.saved_at",
            vec![
                s(),
                Val::Text(entity.as_str().to_owned()),
                p(),
                Val::Ts(cp.updated_at),
                Val::Text(cp.id),
                Val::Ts(at),
            ],
        ));
    }
    let keys = enc.keys;
    let children = enc.children;
    let main_table = enc.main.name;
    let outcome = Arc::new(Mutex::new(PageOutcome::default()));
    let out = outcome.clone();
    let plan: Plan = Box::new(move |rows| {
        let mut stored: HashMap<String, i64> = HashMap::new();
        let mut o = PageOutcome {
            quarantined,
            ..PageOutcome::default()
        };
        let mut released = Vec::new();
        for r in rows {
            match (r.first(), r.get(1), r.get(2)) {
                (Some(Val::Text(id)), Some(Val::Int(v)), Some(Val::Int(0))) => {
                    stored.insert(id.clone(), *v);
                }
                (Some(Val::Text(id)), _, Some(Val::Int(_))) => released.push(id.clone()),
                _ => {}
            }
        }
        o.released = released.len() as u64;
        let mut replaced = Vec::new();
        let mut stale = std::collections::HashSet::new();
        for (id, version) in keys {
            match stored.get(&id) {
                Some(v) if *v > version => {
                    o.stale += 1;
                    stale.insert(id);
                    continue;
                }
                Some(_) => replaced.push(Val::Text(id)),
                None => {}
            }
            o.written += 1;
        }
        let mut stmts = Vec::new();
        // The children of replaced records go; the new ones come with the new version.
        if !replaced.is_empty() {
            for (table, owner) in &children {
                let mut params = vec![p(), s()];
                let cond = match owner {
                    Owner::Column(col) => format!("{col} IN ({})", marks(replaced.len())),
                    Owner::Address(kind) => {
                        params.push(Val::Text((*kind).to_owned()));
                        format!("owner = ? AND owner_id IN ({})", marks(replaced.len()))
                    }
                };
                params.extend(replaced.iter().cloned());
                stmts.push(Stmt::new(
                    format!(
                        "DELETE FROM {} WHERE platform = ? AND store = ? AND {cond}",
                        table.name
                    ),
                    params,
                ));
            }
        }
        for b in inserts {
            if stale.is_empty() {
                stmts.extend(b.stmts);
                continue;
            }
            // Rare: a stored record is newer than the page's copy. Its rows come out.
            let width = b.table.cols.len();
            let mut rows = Vec::new();
            for st in b.stmts {
                let mut params = st.params.into_iter();
                loop {
                    let row: Vec<Val> = params.by_ref().take(width).collect();
                    if row.is_empty() {
                        break;
                    }
                    let keep = row[b.owner].as_text().is_none_or(|id| !stale.contains(id));
                    if keep {
                        rows.push(row);
                    }
                }
            }
            stmts.extend(insert_statements(b.table, b.main, rows));
        }
        // The clean records that were in quarantine leave it.
        if !released.is_empty() {
            let n = released.len();
            let mut params = vec![p(), s(), Val::Text(entity.as_str().to_owned())];
            params.extend(released.into_iter().map(Val::Text));
            stmts.push(Stmt::new(
                format!(
                    "DELETE FROM quarantine WHERE platform = ? AND store = ? AND entity = ? AND record_key IN ({})",
                    marks(n)
                ),
                params,
            ));
        }
        stmts.extend(tail);
        *out.lock().unwrap_or_else(|e| e.into_inner()) = o;
        Ok(stmts)
    });
    Prepared {
        first,
        plan,
        outcome,
        keys: PageKeys {
            platform,
            store,
            entity,
            main: main_table,
            ids: digests,
            written,
        },
    }
}

/// Writes a prepared page in one transaction.
pub(crate) async fn write_prepared(db: &dyn Db, page: Prepared) -> Result<PageOutcome> {
    let Prepared {
        first,
        plan,
        outcome,
        keys,
    } = page;
    db.write_page(first, plan, keys).await?;
    let o = *outcome.lock().unwrap_or_else(|e| e.into_inner());
    Ok(o)
}

pub(crate) async fn checkpoint(
    db: &dyn Db,
    store: &str,
    entity: EntityKind,
) -> Result<Option<SyncCursor>> {
    let rows = db
        .query(Query {
            stmt: Stmt::new(
                "SELECT cursor_updated_at, cursor_id FROM checkpoints WHERE store = ? AND entity = ?",
                vec![
                    Val::Text(store.to_owned()),
                    Val::Text(entity.as_str().to_owned()),
                ],
            ),
            types: &[Ty::Ts, Ty::Text],
        })
        .await?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let mut c = Cols::new(row, "checkpoint");
    match (c.opt_ts()?, c.opt_text()?) {
        (Some(updated_at), Some(id)) => Ok(Some(SyncCursor { updated_at, id })),
        _ => Ok(None),
    }
}

pub(crate) async fn reset_checkpoints(db: &dyn Db, store: &str) -> Result<()> {
    db.exec(vec![Stmt::new(
        "DELETE FROM checkpoints WHERE store = ?",
        vec![Val::Text(store.to_owned())],
    )])
    .await
}

/// `WHERE` conditions of a filter (on columns `platform` and `store`) and their values.
fn filter_sql(f: &ReadFilter, prefix: &str) -> (String, Vec<Val>) {
    let mut conds = Vec::new();
    let mut params = Vec::new();
    if !f.stores.is_empty() {
        conds.push(format!("{prefix}store IN ({})", marks(f.stores.len())));
        params.extend(f.stores.iter().map(|s| Val::Text(s.clone())));
    }
    if let Some(p) = f.platform {
        conds.push(format!("{prefix}platform = ?"));
        params.push(Val::Text(p.as_str().to_owned()));
    }
    if conds.is_empty() {
        (String::new(), params)
    } else {
        (format!(" WHERE {}", conds.join(" AND ")), params)
    }
}

/// Types of a table's columns read back, leaked once per table (they are constants).
fn types_of(table: &'static Table) -> &'static [Ty] {
    use std::sync::OnceLock;
    static CACHE: OnceLock<Mutex<HashMap<&'static str, &'static [Ty]>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(table.name)
        .or_insert_with(|| Box::leak(table.read_types().into_boxed_slice()))
}

async fn select(db: &dyn Db, table: &'static Table, f: &ReadFilter, order: &str) -> Result<Rows> {
    let (cond, params) = filter_sql(f, "");
    db.query(Query {
        stmt: Stmt::new(
            format!(
                "SELECT {} FROM {}{cond} ORDER BY {order}",
                table.read_names().join(", "),
                table.name
            ),
            params,
        ),
        types: types_of(table),
    })
    .await
}

async fn children(
    db: &dyn Db,
    table: &'static Table,
    owner: Owner,
    f: &ReadFilter,
) -> Result<Children> {
    let (mut cond, mut params) = filter_sql(f, "");
    let order = match owner {
        Owner::Column(col) => format!("platform, store, {col}, position"),
        Owner::Address(kind) => {
            cond = if cond.is_empty() {
                " WHERE owner = ?".to_owned()
            } else {
                format!("{cond} AND owner = ?")
            };
            params.push(Val::Text(kind.to_owned()));
            "platform, store, owner_id, role, position".to_owned()
        }
    };
    let rows = db
        .query(Query {
            stmt: Stmt::new(
                format!(
                    "SELECT {} FROM {}{cond} ORDER BY {order}",
                    table.read_names().join(", "),
                    table.name
                ),
                params,
            ),
            types: types_of(table),
        })
        .await?;
    Ok(Children::group(rows, matches!(owner, Owner::Address(_)), 4))
}

const BY_KEY: &str = "platform, store, source_id";

pub(crate) async fn orders(db: &dyn Db, f: &ReadFilter) -> Result<Vec<Order>> {
    let main = select(db, &codec::ORDERS, f, BY_KEY).await?;
    let col = Owner::Column("order_id");
    let ch = codec::OrderChildren {
        lines: children(db, &ORDER_LINES, col, f).await?,
        tax: children(db, &TAX_LINES, col, f).await?,
        shipping: children(db, &SHIPPING_LINES, col, f).await?,
        fees: children(db, &FEE_LINES, col, f).await?,
        discounts: children(db, &DISCOUNT_LINES, col, f).await?,
        refunds: children(db, &ORDER_REFUNDS, col, f).await?,
        addresses: children(db, &ADDRESSES, Owner::Address("order"), f).await?,
    };
    codec::decode_orders(main, ch)
}

pub(crate) async fn customers(db: &dyn Db, f: &ReadFilter) -> Result<Vec<Customer>> {
    let main = select(db, &codec::CUSTOMERS, f, BY_KEY).await?;
    let addrs = children(db, &ADDRESSES, Owner::Address("customer"), f).await?;
    codec::decode_customers(main, addrs)
}

pub(crate) async fn products(db: &dyn Db, f: &ReadFilter) -> Result<Vec<Product>> {
    let main = select(db, &codec::PRODUCTS, f, BY_KEY).await?;
    let vars = children(db, &VARIANTS, Owner::Column("parent_id"), f).await?;
    codec::decode_products(main, vars)
}

pub(crate) async fn refunds(db: &dyn Db, f: &ReadFilter) -> Result<Vec<Refund>> {
    let main = select(db, &codec::REFUNDS, f, BY_KEY).await?;
    let lines = children(db, &REFUND_LINES, Owner::Column("refund_id"), f).await?;
    codec::decode_refunds(main, lines)
}

pub(crate) async fn transactions(db: &dyn Db, f: &ReadFilter) -> Result<Vec<TransactionRow>> {
    let (cond, params) = filter_sql(f, "");
    let rows = db
        .query(Query {
            stmt: Stmt::new(
                format!(
                    "SELECT platform, store, customer_id, order_id, date, amount, refunded, currency, status \
                     FROM transactions{cond} ORDER BY date, platform, store, order_id"
                ),
                params,
            ),
            types: &[Ty::Text, Ty::Text, Ty::Text, Ty::Text, Ty::Ts, Ty::Dec, Ty::Dec, Ty::Text, Ty::Text],
        })
        .await?;
    rows.into_iter()
        .map(|row| {
            let mut c = Cols::new(row, "transaction");
            Ok(TransactionRow {
                platform: platform_of(&c.text()?)?,
                store: c.text()?,
                customer_id: c.opt_text()?,
                order_id: c.text()?,
                date: c.ts()?,
                amount: c.dec()?,
                refunded: c.dec()?,
                currency: crate::model::Currency::new(&c.text()?)
                    .ok_or_else(|| corrupt("transaction", "bad currency"))?,
                status: c.text()?,
            })
        })
        .collect()
}

fn platform_of(s: &str) -> Result<PlatformKind> {
    s.parse().map_err(|e| corrupt("platform", e))
}

fn entity_of(s: &str) -> Result<EntityKind> {
    s.parse().map_err(|e| corrupt("entity", e))
}

pub(crate) async fn quarantined(db: &dyn Db, f: &ReadFilter) -> Result<Vec<Quarantined>> {
    let (cond, params) = filter_sql(f, "");
    let rows = db
        .query(Query {
            stmt: Stmt::new(
                format!(
                    "SELECT platform, store, entity, record_key, source_id, reason, rules, raw, first_seen, last_seen, times_seen \
                     FROM quarantine{cond} ORDER BY platform, store, entity, record_key"
                ),
                params,
            ),
            types: &[
                Ty::Text, Ty::Text, Ty::Text, Ty::Text, Ty::Text, Ty::Text, Ty::Json, Ty::Blob, Ty::Ts, Ty::Ts, Ty::Int,
            ],
        })
        .await?;
    rows.into_iter()
        .map(|row| {
            let mut c = Cols::new(row, "quarantined record");
            Ok(Quarantined {
                platform: platform_of(&c.text()?)?,
                store: c.text()?,
                entity: entity_of(&c.text()?)?,
                key: c.text()?,
                source_id: c.opt_text()?,
                reason: c.text()?,
                rules: c.json()?,
                raw: decompress("quarantined payload", c.opt_blob()?)?,
                first_seen: c.ts()?,
                last_seen: c.ts()?,
                times_seen: c.opt_int()?.unwrap_or(0).max(0) as u64,
            })
        })
        .collect()
}

pub(crate) async fn raw_payload(db: &dyn Db, source: &SourceRef) -> Result<Option<String>> {
    let table = match source.entity {
        EntityKind::Order => "orders",
        EntityKind::Customer => "customers",
        EntityKind::Product => "products",
        EntityKind::Refund => "refunds",
        other => {
            return Err(Error::Unsupported {
                platform: source.platform,
                entity: other,
            });
        }
    };
    let rows = db
        .query(Query {
            stmt: Stmt::new(
                format!(
                    "SELECT raw FROM {table} WHERE platform = ? AND store = ? AND source_id = ?"
                ),
                vec![
                    Val::Text(source.platform.as_str().to_owned()),
                    Val::Text(source.store.clone()),
                    Val::Text(source.id.clone()),
                ],
            ),
            types: &[Ty::Blob],
        })
        .await?;
    match rows.into_iter().next() {
        Some(row) => decompress("raw payload", Cols::new(row, "raw payload").opt_blob()?),
        None => Ok(None),
    }
}

/// Row counts of `tables` for the records `f` selects, in one query.
async fn count_rows(db: &dyn Db, tables: &[&str], f: &ReadFilter) -> Result<Vec<u64>> {
    let (cond, params) = filter_sql(f, "");
    let sql = tables
        .iter()
        .map(|t| format!("(SELECT COUNT(*) FROM {t}{cond})"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut all = Vec::new();
    for _ in tables {
        all.extend(params.iter().cloned());
    }
    const INTS: [Ty; 8] = [Ty::Int; 8];
    let rows = db
        .query(Query {
            stmt: Stmt::new(format!("SELECT {sql}"), all),
            types: &INTS[..tables.len().min(INTS.len())],
        })
        .await?;
    let row = rows.into_iter().next().unwrap_or_default();
    let mut c = Cols::new(row, "counts");
    tables
        .iter()
        .map(|_| Ok(c.opt_int()?.unwrap_or(0).max(0) as u64))
        .collect()
}

pub(crate) async fn counts(db: &dyn Db, f: &ReadFilter) -> Result<Counts> {
    let n = count_rows(
        db,
        &["orders", "customers", "products", "refunds", "quarantine"],
        f,
    )
    .await?;
    Ok(Counts {
        orders: n[0],
        customers: n[1],
        products: n[2],
        refunds: n[3],
        quarantined: n[4],
    })
}

pub(crate) async fn quarantine_size(db: &dyn Db, f: &ReadFilter) -> Result<u64> {
    Ok(count_rows(db, &["quarantine"], f).await?[0])
}

pub(crate) async fn save_run(db: &dyn Db, run: &RunRecord) -> Result<()> {
    db.exec(vec![Stmt::new(
        "INSERT INTO sync_runs (run_id, store, platform, started_at, finished_at, ok, report) VALUES (?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (run_id, store) DO UPDATE SET finished_at = excluded.finished_at, ok = excluded.ok, report = excluded.report",
        vec![
            Val::Text(run.run_id.clone()),
            Val::Text(run.store.clone()),
            Val::Text(run.platform.as_str().to_owned()),
            Val::Ts(run.started_at),
            Val::Ts(run.finished_at),
            Val::Bool(run.ok),
            Val::Json(run.report.to_string()),
        ],
    )])
    .await
}

pub(crate) async fn runs(db: &dyn Db, store: Option<&str>, limit: usize) -> Result<Vec<RunRecord>> {
    let (cond, mut params) = match store {
        Some(s) => (" WHERE store = ?", vec![Val::Text(s.to_owned())]),
        None => ("", vec![]),
    };
    params.push(Val::Int(limit.min(i64::MAX as usize) as i64));
    let rows = db
        .query(Query {
            stmt: Stmt::new(
                format!(
                    "SELECT run_id, store, platform, started_at, finished_at, ok, report FROM sync_runs{cond} \
                     ORDER BY started_at DESC, store LIMIT ?"
                ),
                params,
            ),
            types: &[Ty::Text, Ty::Text, Ty::Text, Ty::Ts, Ty::Ts, Ty::Bool, Ty::Json],
        })
        .await?;
    rows.into_iter()
        .map(|row| {
            let mut c = Cols::new(row, "sync run");
            Ok(RunRecord {
                run_id: c.text()?,
                store: c.text()?,
                platform: platform_of(&c.text()?)?,
                started_at: c.ts()?,
                finished_at: c.ts()?,
                ok: c.boolean()?,
                report: c.json()?,
            })
        })
        .collect()
}
