//! The production store: PostgreSQL through a connection pool.
//!
//! Money is `NUMERIC`, times `TIMESTAMPTZ`, JSON `JSON` (kept verbatim, so metadata keeps
//! its exact text), raw payloads `BYTEA`. Statements are prepared once per connection and
//! cached. Several processes may open the same database: migrations take an advisory lock.

use async_trait::async_trait;
use bytes::BufMut;
use deadpool_postgres::{Config, Pool, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

use super::logic::{self, Db, Plan};
use super::sql::{Query, Rows, Ty, Val, numbered};
use super::{StoreKind, impl_store};
use crate::error::{Error, Result};

const MIGRATIONS: &[&str] = &[include_str!("migrations/postgres_0001.sql")];

/// The advisory lock id migrations hold ("nexus" in ASCII).
const MIGRATION_LOCK: i64 = 0x6e_65_78_75_73;

/// A PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    db: PgDb,
}

#[derive(Clone)]
pub(crate) struct PgDb {
    pool: Pool,
    /// The URL without its password, for messages.
    shown: String,
}

impl std::fmt::Debug for PgDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgDb").field("url", &self.shown).finish()
    }
}

fn err(e: impl std::fmt::Display) -> Error {
    let message = e.to_string();
    let retryable = message.contains("connection") || message.contains("timed out");
    Error::Store {
        backend: "postgres",
        message,
        retryable,
    }
}

/// A postgres error with the server's detail (the plain `Display` says only "db error").
fn pg_err(e: tokio_postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) => err(format!("{}: {}", db.code().code(), db.message())),
        None => err(e),
    }
}

/// The URL with any password replaced, for logs and errors.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "postgres://(unparseable URL)".to_owned(),
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`), creating the
    /// schema or migrating it when needed. The password never appears in errors or `Debug`.
    pub async fn connect(url: &str) -> Result<Self> {
        let shown = redact(url);
        let cfg = Config {
            url: Some(url.to_owned()),
            ..Config::default()
        };
        let pool = cfg.create_pool(Some(Runtime::Tokio1), NoTls).map_err(|e| {
            err(format!(
                "cannot use {shown}: {}",
                strip_url(&e.to_string(), url)
            ))
        })?;
        // Connect once now, so a wrong URL or password is reported by `connect`.
        drop(pool.get().await.map_err(|e| {
            err(format!(
                "cannot connect to {shown}: {}",
                strip_url(&e.to_string(), url)
            ))
        })?);
        let db = PgDb { pool, shown };
        logic::migrate(&db).await?;
        Ok(PostgresStore { db })
    }
}

/// Removes the URL (with its password) from a driver message, should it quote it.
fn strip_url(message: &str, url: &str) -> String {
    message.replace(url, "(the URL)")
}

impl_store!(PostgresStore, StoreKind::Postgres);

impl ToSql for Val {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(i) => match *ty {
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Val::Bool(b) => b.to_sql(ty, out),
            Val::Text(s) => s.as_str().to_sql(ty, out),
            Val::Small(s) => s.as_str().to_sql(ty, out),
            Val::Dec(d) => d.to_sql(ty, out),
            Val::Ts(t) => match *ty {
                Type::TEXT | Type::VARCHAR => t.to_rfc3339().to_sql(ty, out),
                _ => t.to_sql(ty, out),
            },
            Val::Json(s) => {
                if *ty == Type::JSONB {
                    out.put_u8(1);
                }
                out.put_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            Val::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// JSON or JSONB read as its text.
struct JsonText(String);

impl<'a> FromSql<'a> for JsonText {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let body = if *ty == Type::JSONB && raw.first() == Some(&1) {
            &raw[1..]
        } else {
            raw
        };
        Ok(JsonText(std::str::from_utf8(body)?.to_owned()))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::JSON | Type::JSONB | Type::TEXT | Type::VARCHAR)
    }
}

fn decode(row: &tokio_postgres::Row, i: usize, ty: Ty) -> Result<Val> {
    let col = row.columns()[i].type_().clone();
    let g = |e: tokio_postgres::Error| super::sql::corrupt("row", e);
    Ok(match ty {
        Ty::Int => match col {
            Type::INT2 => row.try_get::<_, Option<i16>>(i).map_err(g)?.map(i64::from),
            Type::INT4 => row.try_get::<_, Option<i32>>(i).map_err(g)?.map(i64::from),
            _ => row.try_get::<_, Option<i64>>(i).map_err(g)?,
        }
        .map_or(Val::Null, Val::Int),
        Ty::Bool => row
            .try_get::<_, Option<bool>>(i)
            .map_err(g)?
            .map_or(Val::Null, Val::Bool),
        Ty::Text => row
            .try_get::<_, Option<String>>(i)
            .map_err(g)?
            .map_or(Val::Null, Val::Text),
        Ty::Json => row
            .try_get::<_, Option<JsonText>>(i)
            .map_err(g)?
            .map_or(Val::Null, |j| Val::Json(j.0)),
        Ty::Dec => row
            .try_get::<_, Option<rust_decimal::Decimal>>(i)
            .map_err(g)?
            .map_or(Val::Null, Val::Dec),
        Ty::Ts => row
            .try_get::<_, Option<chrono::DateTime<chrono::Utc>>>(i)
            .map_err(g)?
            .map_or(Val::Null, Val::Ts),
        Ty::Blob => row
            .try_get::<_, Option<Vec<u8>>>(i)
            .map_err(g)?
            .map_or(Val::Null, Val::Blob),
    })
}

fn params(vals: &[Val]) -> Vec<&(dyn ToSql + Sync)> {
    vals.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

async fn run_query(client: &deadpool_postgres::ClientWrapper, q: &Query) -> Result<Rows> {
    let st = client
        .prepare_cached(&numbered(&q.stmt.sql))
        .await
        .map_err(pg_err)?;
    let rows = client
        .query(&st, &params(&q.stmt.params))
        .await
        .map_err(pg_err)?;
    rows.iter()
        .map(|r| {
            q.types
                .iter()
                .enumerate()
                .map(|(i, ty)| decode(r, i, *ty))
                .collect()
        })
        .collect()
}

#[async_trait]
impl Db for PgDb {
    async fn query(&self, q: Query) -> Result<Rows> {
        let client = self.pool.get().await.map_err(err)?;
        run_query(&client, &q).await
    }

    async fn transact(&self, first: Query, plan: Plan, lock: bool) -> Result<()> {
        let mut client = self.pool.get().await.map_err(err)?;
        let tx = client.transaction().await.map_err(pg_err)?;
        if lock {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await
                .map_err(pg_err)?;
        }
        let rows = {
            let st = tx
                .prepare_cached(&numbered(&first.stmt.sql))
                .await
                .map_err(pg_err)?;
            let rows = tx
                .query(&st, &params(&first.stmt.params))
                .await
                .map_err(pg_err)?;
            rows.iter()
                .map(|r| {
                    first
                        .types
                        .iter()
                        .enumerate()
                        .map(|(i, ty)| decode(r, i, *ty))
                        .collect::<Result<Vec<Val>>>()
                })
                .collect::<Result<Rows>>()?
        };
        for s in plan(rows)? {
            if s.params.is_empty() && !s.sql.contains('?') {
                tx.batch_execute(&s.sql).await.map_err(pg_err)?;
                continue;
            }
            let st = tx.prepare_cached(&numbered(&s.sql)).await.map_err(pg_err)?;
            tx.execute(&st, &params(&s.params)).await.map_err(pg_err)?;
        }
        tx.commit().await.map_err(pg_err)
    }

    fn migrations(&self) -> &'static [&'static str] {
        MIGRATIONS
    }
}
