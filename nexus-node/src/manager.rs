//! The store registry as Node sees it: `Manager` (a TOML registry of stores with its
//! database: check, sync, health, alerts, the stored records) and `SyncReport`.
//!
//! Reports, records and events cross the boundary as the core's JSON text and become
//! objects with one `JSON.parse`, so their keys are the core's snake_case ones, as for the
//! records and the quality report (and as the sync history in the database and the Python
//! binding have them); option objects are camelCase, as everywhere in the addon.
//!
//! `onProgress` and `onAlert` are called through threadsafe functions from the runtime's
//! threads, without waiting for JavaScript (non-blocking calls: the sync never waits for
//! the event loop). A sync's Promise settles only once every event it raised has been
//! delivered, so `await manager.sync(...)` comes after its last progress event.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use napi::bindgen_prelude::{
    FnArgs, FromNapiValue, Function, JsObjectValue, Object, ObjectFinalize, ObjectRef, PromiseRaw,
    ToNapiValue, Unknown,
};
use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi::{Env, JsValue, Status, ValueType, sys};
use napi_derive::napi;

use nexus_core::Error;
use nexus_core::health::Alert;
use nexus_core::manager as core;
use nexus_core::model::PlatformKind;
use nexus_core::store::ReadFilter;
use nexus_core::sync::{self as sync, Cancel, Progress, ProgressFn};

use crate::connectors::{count, format_time, options};
use crate::promise::{promise, rejection};
use crate::quality::QualityReport;
use crate::{IntoJsError, JsResultExt, Result, parse_json};

fn invalid(name: &'static str, message: impl Into<String>) -> Error {
    Error::InvalidArgument {
        name,
        message: message.into(),
    }
}

/// JSON text written by `nexus-core`, handed to JavaScript as what `JSON.parse` makes of it.
pub struct JsonText(pub(crate) String);

impl ToNapiValue for JsonText {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let env = Env::from_raw(env);
        parse_json(&env, &val.0)
            .map(|value| value.raw())
            .map_err(|e| napi::Error::new(Status::GenericFailure, e.reason.clone()))
    }
}

/// A Promise of the JSON form of what `$future` gives: written on the runtime's thread,
/// parsed on the JavaScript thread.
macro_rules! json_promise {
    ($env:expr, $future:expr) => {
        promise(
            $env,
            async move {
                let value = $future.await?;
                Ok(serde_json::to_string(&value))
            },
            |_, text| Ok(JsonText(text.js()?)),
        )
    };
}

/// The JavaScript callbacks the options take: called with one JSON value.
type Callback<'a> = Function<'a, JsonText, UnknownReturnValue>;

/// A callback option: `None` for `null` or `undefined`, an error naming the option for
/// anything but a function.
fn callback<'a>(
    name: &'static str,
    value: Option<Unknown<'a>>,
) -> std::result::Result<Option<Callback<'a>>, Error> {
    let bad = |e: napi::Error| invalid(name, e.reason.clone());
    let Some(value) = value else { return Ok(None) };
    match value.get_type().map_err(bad)? {
        ValueType::Null | ValueType::Undefined => Ok(None),
        ValueType::Function => Callback::from_unknown(value).map(Some).map_err(bad),
        other => Err(invalid(
            name,
            format!(
                "must be a function, not a value of type {}",
                other.to_string().to_lowercase()
            ),
        )),
    }
}

/// A weak threadsafe function: it never keeps Node's event loop alive by itself.
type Tsfn = ThreadsafeFunction<JsonText, UnknownReturnValue, JsonText, Status, false, true, 0>;

/// What to do, on the JavaScript thread, when a callback throws.
type OnThrow = Box<dyn Fn(napi::Error) -> napi::Result<()> + Send + Sync>;

/// A JavaScript callback called from any thread, without waiting for it, that knows how
/// many of its calls JavaScript has not run yet.
struct Listener {
    tsfn: Tsfn,
    pending: AtomicUsize,
    idle: tokio::sync::Notify,
    on_throw: OnThrow,
}

impl Listener {
    fn new(callback: Callback<'_>, on_throw: OnThrow) -> Result<Arc<Self>> {
        let tsfn = callback
            .build_threadsafe_function::<JsonText>()
            .weak::<true>()
            .build()
            .js()?;
        Ok(Arc::new(Listener {
            tsfn,
            pending: AtomicUsize::new(0),
            idle: tokio::sync::Notify::new(),
            on_throw,
        }))
    }

    /// Queues a call with the value of `text` (JSON); returns at once.
    fn emit(self: &Arc<Self>, text: String) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        let this = self.clone();
        let status = self.tsfn.call_with_return_value(
            JsonText(text),
            ThreadsafeFunctionCallMode::NonBlocking,
            move |returned, _| {
                let outcome = match returned {
                    Ok(_) => Ok(()),
                    Err(thrown) => (this.on_throw)(thrown),
                };
                this.done();
                outcome
            },
        );
        if status != Status::Ok {
            self.done();
        }
    }

    fn done(&self) {
        if self.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
    }

    /// Waits until JavaScript has run every call queued so far.
    async fn settled(&self) {
        loop {
            let idle = self.idle.notified();
            if self.pending.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

/// Options of `Manager.fromToml`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ManagerOptions<'a> {
    /// The database, instead of the file's `database`: a SQLite file (a relative path is
    /// taken from the registry file's folder, as in the file) or a `postgres://` URL.
    pub database: Option<String>,
    /// The values of the file's `secret:NAME` references, by name (`{ 'shopify/us':
    /// token }`). A reference to a name missing here fails that store's connection, with
    /// code `"invalid_settings"`.
    pub secrets: Option<HashMap<String, String>>,
    /// Called with every alert the rules raise after each sync, before the sync's Promise
    /// settles. An exception it throws is an uncaught exception, as from an event listener.
    #[napi(ts_type = "(alert: Alert) => void")]
    pub on_alert: Option<Unknown<'a>>,
}

const MANAGER_OPTIONS: &[&str] = &["database", "secrets", "onAlert"];

/// Options of `check()`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct CheckOptions {
    /// Only these stores (default: every store of the registry).
    pub stores: Option<Vec<String>>,
}

const CHECK_OPTIONS: &[&str] = &["stores"];

/// Options of `sync()`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct SyncOptions<'a> {
    /// Only these stores (default: every store of the registry). An unknown name rejects
    /// with code `"invalid_argument"` before anything is synced.
    pub stores: Option<Vec<String>>,
    /// Called after every page of every store, and once more with `done: true` when an
    /// entity of a store is finished. If it throws, the sync is cancelled and its Promise
    /// rejects with what was thrown.
    #[napi(ts_type = "(event: SyncProgress) => void")]
    pub on_progress: Option<Unknown<'a>>,
    /// Cancels the sync when aborted: the pages being written are finished, nothing after
    /// them starts, and the Promise resolves with the report of what was done
    /// (`cancelled: true`). A later sync resumes from the checkpoints.
    #[napi(ts_type = "AbortSignal | null")]
    pub signal: Option<Unknown<'a>>,
}

const SYNC_OPTIONS: &[&str] = &["stores", "onProgress", "signal"];

/// Which stored records to read.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct RecordFilter {
    /// Only these stores (default: every store).
    pub stores: Option<Vec<String>>,
    /// Only this platform.
    #[napi(ts_type = "PlatformKind")]
    pub platform: Option<String>,
}

const FILTER_OPTIONS: &[&str] = &["stores", "platform"];

/// Options of `transactions()`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct TransactionsOptions {
    /// Only these stores (default: every store).
    pub stores: Option<Vec<String>>,
    /// Only this platform.
    #[napi(ts_type = "PlatformKind")]
    pub platform: Option<String>,
    /// `true`: one object of arrays (one array per field, rows in the same order) instead
    /// of an array of rows (default `false`).
    pub columns: Option<bool>,
}

const TRANSACTIONS_OPTIONS: &[&str] = &["stores", "platform", "columns"];

/// `{"field": [values...], ...}`: the JSON text of `rows` by column, for the fields named.
macro_rules! columns {
    ($rows:expr, $($field:ident),+) => {
        (|| -> serde_json::Result<String> {
            let parts = [$(
                format!(
                    "\"{}\":{}",
                    stringify!($field),
                    serde_json::to_string(&$rows.iter().map(|r| &r.$field).collect::<Vec<_>>())?
                )
            ),+];
            Ok(format!("{{{}}}", parts.join(",")))
        })()
    };
}

/// Options of `runs()`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct RunsOptions {
    /// Only this store's runs (default: every store's).
    pub store: Option<String>,
    /// At most this many runs, newest first (default 20).
    pub limit: Option<i64>,
}

const RUNS_OPTIONS: &[&str] = &["store", "limit"];

fn read_filter(
    stores: Option<Vec<String>>,
    platform: Option<String>,
) -> std::result::Result<ReadFilter, Error> {
    Ok(ReadFilter {
        stores: stores.unwrap_or_default(),
        platform: platform
            .as_deref()
            .map(PlatformKind::from_str)
            .transpose()?,
    })
}

fn names(stores: &Option<Vec<String>>) -> Option<Vec<&str>> {
    stores
        .as_ref()
        .map(|list| list.iter().map(String::as_str).collect())
}

/// An `AbortSignal`'s `abort` listener, kept to be removed when the sync ends (a signal
/// shared by many syncs does not collect listeners).
struct AbortHook {
    /// `{ signal, listener }`.
    held: ObjectRef<false>,
}

impl AbortHook {
    /// Cancels `cancel` when `signal` aborts (at once when it already has); nothing for
    /// `null` or `undefined`. `Ok(Err(_))` when `signal` is not an `AbortSignal`.
    fn attach(
        env: &Env,
        signal: Option<Unknown<'_>>,
        cancel: &Cancel,
    ) -> Result<std::result::Result<Option<AbortHook>, Error>> {
        let not_a_signal = || {
            Ok(Err(invalid(
                "signal",
                "must be an AbortSignal (`new AbortController().signal`, `AbortSignal.timeout(ms)`)",
            )))
        };
        let signal = match signal {
            None => return Ok(Ok(None)),
            Some(s) => match s.get_type().js()? {
                ValueType::Null | ValueType::Undefined => return Ok(Ok(None)),
                ValueType::Object => Object::from_unknown(s).js()?,
                _ => return not_a_signal(),
            },
        };
        let aborted: Unknown<'_> = signal.get_named_property("aborted").js()?;
        let add: Unknown<'_> = signal.get_named_property("addEventListener").js()?;
        if aborted.get_type().js()? != ValueType::Boolean
            || add.get_type().js()? != ValueType::Function
        {
            return not_a_signal();
        }
        if bool::from_unknown(aborted).js()? {
            cancel.cancel();
            return Ok(Ok(None));
        }
        let on_abort = cancel.clone();
        let listener = env
            .create_function_from_closure::<(), (), _>("onAbort", move |_| {
                on_abort.cancel();
                Ok(())
            })
            .js()?;
        let mut held = Object::new(env).js()?;
        held.set("signal", signal).js()?;
        held.set("listener", listener).js()?;
        let listener: Unknown<'_> = held.get_named_property("listener").js()?;
        let add: Function<'_, FnArgs<(&str, Unknown<'_>)>, Unknown<'_>> =
            signal.get_named_property("addEventListener").js()?;
        add.apply(signal, FnArgs::from(("abort", listener))).js()?;
        Ok(Ok(Some(AbortHook {
            held: held.create_ref::<false>().js()?,
        })))
    }

    /// Removes the listener.
    fn detach(self, env: &Env) -> Result<()> {
        let held = self.held.get_value(env).js()?;
        let signal: Object<'_> = held.get_named_property("signal").js()?;
        let listener: Unknown<'_> = held.get_named_property("listener").js()?;
        let remove: Function<'_, FnArgs<(&str, Unknown<'_>)>, Unknown<'_>> =
            signal.get_named_property("removeEventListener").js()?;
        let removed = remove.apply(signal, FnArgs::from(("abort", listener)));
        self.held.unref(env).js()?;
        removed.map(|_| ()).js()
    }
}

/// A registry of stores (a TOML file) with its database: checks the stores' connections,
/// syncs them, reports their health and raises alerts, and reads back what was synced.
///
/// Credentials are never written in the file: each credential field holds a reference,
/// `env:NAME` (an environment variable) or `secret:NAME` (a value of `options.secrets`).
#[napi]
pub struct Manager {
    inner: Arc<core::Manager>,
    /// `options.onAlert`.
    alerts: Option<Arc<Listener>>,
}

#[napi]
impl Manager {
    /// Reads the registry file and opens its database (created and migrated when needed).
    /// Rejects with code `"invalid_settings"` when the file has a mistake, naming the file
    /// and the key (a credential written in plain text, an unknown key or platform, ...).
    #[napi(
        ts_args_type = "path: string, options?: ManagerOptions | undefined | null",
        ts_return_type = "Promise<Manager>"
    )]
    pub fn from_toml<'env>(
        env: &'env Env,
        path: String,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, Manager>> {
        let parsed = self::options::<ManagerOptions>(env, "options", options, MANAGER_OPTIONS)
            .and_then(|o| {
                let o = o.unwrap_or_default();
                Ok((callback("onAlert", o.on_alert)?, o.database, o.secrets))
            });
        let (setup, alerts) = match parsed {
            Err(e) => (Err(e), None),
            Ok((on_alert, database, secrets)) => {
                // An alert callback's exception goes to `uncaughtException`, as from an
                // event listener.
                let alerts = on_alert
                    .map(|f| Listener::new(f, Box::new(Err)))
                    .transpose()?;
                let secrets = secrets.map(|map| {
                    Arc::new(move |name: &str| map.get(name).cloned()) as core::SecretsFn
                });
                let on_alert = alerts.clone().map(|listener| {
                    Arc::new(move |alert: &Alert| {
                        if let Ok(text) = serde_json::to_string(alert) {
                            listener.emit(text);
                        }
                    }) as core::AlertFn
                });
                let options = core::ManagerOptions {
                    database,
                    secrets,
                    on_alert,
                    http: None,
                };
                (Ok(options), alerts)
            }
        };
        promise(
            env,
            async move { core::Manager::from_toml(path, setup?).await },
            move |_, manager| {
                Ok(Manager {
                    inner: Arc::new(manager),
                    alerts,
                })
            },
        )
    }

    /// The stores of the registry, by name (no credentials).
    #[napi(ts_return_type = "StoreEntry[]")]
    pub fn stores<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        let text = serde_json::to_string(&self.inner.stores()).js()?;
        parse_json(env, &text)
    }

    /// Checks the connection and the credentials of every store (or of `options.stores`),
    /// concurrently. A store that fails is reported (`ok: false`, `error`), not thrown.
    #[napi(
        ts_args_type = "options?: CheckOptions | undefined | null",
        ts_return_type = "Promise<CheckResult[]>"
    )]
    pub fn check<'env>(
        &self,
        env: &'env Env,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let stores = self::options::<CheckOptions>(env, "options", options, CHECK_OPTIONS)
            .map(|o| o.and_then(|o| o.stores));
        let m = self.inner.clone();
        json_promise!(env, async move {
            let stores = stores?;
            m.check(names(&stores).as_deref()).await
        })
    }

    /// Syncs every store (or `options.stores`) into the database, concurrently (the file's
    /// `concurrency`), each from its checkpoints, then evaluates the alert rules. One
    /// failing store does not stop the others: its report says what went wrong.
    #[napi(
        ts_args_type = "options?: SyncOptions | undefined | null",
        ts_return_type = "Promise<SyncReport>"
    )]
    pub fn sync<'env>(
        &self,
        env: &'env Env,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, SyncReport>> {
        let cancel = Cancel::new();
        let parsed =
            self::options::<SyncOptions>(env, "options", options, SYNC_OPTIONS).and_then(|o| {
                let o = o.unwrap_or_default();
                Ok((o.stores, callback("onProgress", o.on_progress)?, o.signal))
            });
        let (stores, on_progress, hook) = match parsed {
            Err(e) => (Err(e), None, None),
            Ok((stores, on_progress, signal)) => match AbortHook::attach(env, signal, &cancel)? {
                Err(e) => (Err(e), None, None),
                Ok(hook) => (Ok(stores), on_progress, hook),
            },
        };
        // What the progress callback threw, if it did (kept and dropped on the JavaScript
        // thread only).
        let thrown: Arc<Mutex<Option<napi::Error>>> = Arc::default();
        let progress = on_progress
            .map(|f| {
                let thrown = thrown.clone();
                let cancel = cancel.clone();
                Listener::new(
                    f,
                    Box::new(move |e| {
                        thrown
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .get_or_insert(e);
                        cancel.cancel();
                        Ok(())
                    }),
                )
            })
            .transpose()?;
        let m = self.inner.clone();
        let alerts = self.alerts.clone();
        let listener = progress.clone();
        let future = async move {
            let stores = stores?;
            let on_progress = listener.clone().map(|l| {
                Arc::new(move |p: &Progress| {
                    if let Ok(text) = serde_json::to_string(p) {
                        l.emit(text);
                    }
                }) as ProgressFn
            });
            let report = m
                .sync_with(names(&stores).as_deref(), on_progress, cancel)
                .await;
            for l in listener.iter().chain(alerts.iter()) {
                l.settled().await;
            }
            let report = report?;
            let text = serde_json::to_string(&report);
            Ok((report, text))
        };
        env.spawn_future_with_callback(
            async move { Ok::<_, napi::Error>(future.await) },
            move |env, outcome: std::result::Result<_, Error>| {
                // The listener's last reference goes here, on the JavaScript thread.
                drop(progress);
                let detached = hook.map(|h| h.detach(env)).transpose();
                if let Some(e) = thrown.lock().unwrap_or_else(PoisonError::into_inner).take() {
                    return Err(e);
                }
                (|| {
                    detached?;
                    let (report, text) = outcome.map_err(IntoJsError::into_js)?;
                    SyncReport::new(env, report, &text.js()?)
                })()
                .map_err(|e| rejection(env, e))
            },
        )
        .js()
    }

    /// The health of every store, from the sync history: `ok`, `degraded` or `failing`
    /// with the reasons, freshness, error rate, quarantine, quality and rate-limit pressure.
    #[napi(ts_return_type = "Promise<HealthReport>")]
    pub fn health<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, JsonText>> {
        let m = self.inner.clone();
        json_promise!(env, m.health())
    }

    /// Evaluates the alert rules now (the file's `[[alerts]]`, or the default rules).
    #[napi(ts_return_type = "Promise<Alert[]>")]
    pub fn alerts<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, JsonText>> {
        let m = self.inner.clone();
        json_promise!(env, m.alerts())
    }

    /// The latest sync report of each store that has synced, from the sync history.
    #[napi(ts_return_type = "Promise<StoreReport[]>")]
    pub fn report<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, JsonText>> {
        let m = self.inner.clone();
        json_promise!(env, m.report())
    }

    /// Stored sync runs, newest first.
    #[napi(
        ts_args_type = "options?: RunsOptions | undefined | null",
        ts_return_type = "Promise<SyncRun[]>"
    )]
    pub fn runs<'env>(
        &self,
        env: &'env Env,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let args =
            self::options::<RunsOptions>(env, "options", options, RUNS_OPTIONS).and_then(|o| {
                let o = o.unwrap_or_default();
                let limit = count("limit", o.limit.unwrap_or(20))? as usize;
                Ok((o.store, limit))
            });
        let db = self.inner.database().clone();
        json_promise!(env, async move {
            let (store, limit) = args?;
            db.runs(store.as_deref(), limit).await
        })
    }

    /// A quality report over every stored record (or over one store's, checked with that
    /// store's rules), cross-entity rules included. Quarantined records are not in it.
    #[napi(ts_return_type = "Promise<QualityReport>")]
    pub fn quality_report<'env>(
        &self,
        env: &'env Env,
        store: Option<String>,
    ) -> Result<PromiseRaw<'env, QualityReport>> {
        let m = self.inner.clone();
        promise(
            env,
            async move { m.quality_report(store.as_deref()).await },
            |env, report| QualityReport::new(env, report, None),
        )
    }

    /// Customers matched across stores and platforms by normalized email, with their
    /// combined orders (guest orders with the same email included) and revenue.
    #[napi(ts_return_type = "Promise<CrossStoreCustomer[]>")]
    pub fn customers_across<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, JsonText>> {
        let m = self.inner.clone();
        json_promise!(env, m.customers_across())
    }

    /// The stored orders, in the unified form.
    #[napi(
        ts_args_type = "filter?: RecordFilter | undefined | null",
        ts_return_type = "Promise<Order[]>"
    )]
    pub fn orders<'env>(
        &self,
        env: &'env Env,
        filter: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let filter = self.filter(env, filter);
        let db = self.inner.database().clone();
        json_promise!(env, async move { db.orders(&filter?).await })
    }

    /// The stored customers.
    #[napi(
        ts_args_type = "filter?: RecordFilter | undefined | null",
        ts_return_type = "Promise<Customer[]>"
    )]
    pub fn customers<'env>(
        &self,
        env: &'env Env,
        filter: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let filter = self.filter(env, filter);
        let db = self.inner.database().clone();
        json_promise!(env, async move { db.customers(&filter?).await })
    }

    /// The stored products, with their variants.
    #[napi(
        ts_args_type = "filter?: RecordFilter | undefined | null",
        ts_return_type = "Promise<Product[]>"
    )]
    pub fn products<'env>(
        &self,
        env: &'env Env,
        filter: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let filter = self.filter(env, filter);
        let db = self.inner.database().clone();
        json_promise!(env, async move { db.products(&filter?).await })
    }

    /// The stored refunds.
    #[napi(
        ts_args_type = "filter?: RecordFilter | undefined | null",
        ts_return_type = "Promise<Refund[]>"
    )]
    pub fn refunds<'env>(
        &self,
        env: &'env Env,
        filter: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let filter = self.filter(env, filter);
        let db = self.inner.database().clone();
        json_promise!(env, async move { db.refunds(&filter?).await })
    }

    /// The records kept out of the data tables (they did not map, or broke an
    /// error-severity quality rule), with their reasons and raw payloads.
    #[napi(
        ts_args_type = "filter?: RecordFilter | undefined | null",
        ts_return_type = "Promise<QuarantinedRecord[]>"
    )]
    pub fn quarantined<'env>(
        &self,
        env: &'env Env,
        filter: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let filter = self.filter(env, filter);
        let db = self.inner.database().clone();
        json_promise!(env, async move { db.quarantined(&filter?).await })
    }

    /// How many records are stored, and how many are in quarantine.
    #[napi(
        ts_args_type = "filter?: RecordFilter | undefined | null",
        ts_return_type = "Promise<RecordCounts>"
    )]
    pub fn counts<'env>(
        &self,
        env: &'env Env,
        filter: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let filter = self.filter(env, filter);
        let db = self.inner.database().clone();
        json_promise!(env, async move { db.counts(&filter?).await })
    }

    /// The analytics-ready transactions table, oldest first: one row per order that counts
    /// as a sale (not cancelled, failed, draft or pending), amounts as exact decimal
    /// strings. With `columns: true`, the same values as one array per field.
    #[napi(
        ts_generic_types = "C extends boolean = false",
        ts_args_type = "options?: (TransactionsOptions & { columns?: C }) | undefined | null",
        ts_return_type = "Promise<C extends true ? TransactionColumns : TransactionRow[]>"
    )]
    pub fn transactions<'env>(
        &self,
        env: &'env Env,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let args =
            self::options::<TransactionsOptions>(env, "options", options, TRANSACTIONS_OPTIONS)
                .and_then(|o| {
                    let o = o.unwrap_or_default();
                    Ok((
                        read_filter(o.stores, o.platform)?,
                        o.columns.unwrap_or(false),
                    ))
                });
        let db = self.inner.database().clone();
        promise(
            env,
            async move {
                let (filter, columns) = args?;
                let rows = db.transactions(&filter).await?;
                Ok(if columns {
                    columns!(
                        rows,
                        platform,
                        store,
                        customer_id,
                        order_id,
                        date,
                        amount,
                        refunded,
                        currency,
                        status
                    )
                } else {
                    serde_json::to_string(&rows)
                })
            },
            |_, text| Ok(JsonText(text.js()?)),
        )
    }
}

impl Manager {
    /// The core's filter for `filter`; a bad one rejects the Promise it is for.
    fn filter(
        &self,
        env: &Env,
        filter: Option<Object<'_>>,
    ) -> std::result::Result<ReadFilter, Error> {
        let f: RecordFilter = options(env, "filter", filter, FILTER_OPTIONS)?.unwrap_or_default();
        read_filter(f.stores, f.platform)
    }
}

/// What a sync did, store by store and entity by entity. The getters return the values of
/// the report's JSON form (`toJSON()`, snake_case keys, as the sync history keeps it); each
/// returns the same object on every read.
#[napi(custom_finalize)]
pub struct SyncReport {
    report: sync::SyncReport,
    /// `{ json }`: the report's JSON form parsed by `JSON.parse`, released when the report
    /// is garbage-collected.
    values: ObjectRef<false>,
}

impl ObjectFinalize for SyncReport {
    fn finalize(self, env: Env) -> napi::Result<()> {
        self.values.unref(&env)
    }
}

impl SyncReport {
    fn new(env: &Env, report: sync::SyncReport, text: &str) -> Result<Self> {
        let mut values = Object::new(env).js()?;
        values.set("json", parse_json(env, text)?).js()?;
        let values = values.create_ref::<false>().js()?;
        Ok(SyncReport { report, values })
    }

    fn json<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        self.values
            .get_value(env)
            .js()?
            .get_named_property("json")
            .js()
    }
}

#[napi]
impl SyncReport {
    /// The run's id (shared by the stores synced together; the history's `run_id`).
    #[napi(getter)]
    pub fn run_id(&self) -> String {
        self.report.run_id.clone()
    }

    /// When the run started (RFC 3339, UTC).
    #[napi(getter)]
    pub fn started_at(&self) -> String {
        format_time(&self.report.started_at)
    }

    /// When it finished (RFC 3339, UTC).
    #[napi(getter)]
    pub fn finished_at(&self) -> String {
        format_time(&self.report.finished_at)
    }

    /// Whether every store synced to the end without error.
    #[napi(getter)]
    pub fn ok(&self) -> bool {
        self.report.ok()
    }

    /// Whether the run was cancelled (`options.signal`, or a throwing `onProgress`).
    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.report.cancelled
    }

    /// Per store, in the order given (the registry's order by default).
    #[napi(getter, ts_return_type = "StoreReport[]")]
    pub fn stores<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        self.json(env)?.get_named_property("stores").js()
    }

    /// The report of the store named `name`, or `null` when it was not in the run.
    #[napi(ts_return_type = "StoreReport | null")]
    pub fn store<'env>(&self, env: &'env Env, name: String) -> Result<Option<Unknown<'env>>> {
        let Some(i) = self.report.stores.iter().position(|s| s.store == name) else {
            return Ok(None);
        };
        let stores: Object<'env> = self.json(env)?.get_named_property("stores").js()?;
        stores.get_element(i as u32).map(Some).js()
    }

    /// The report as a plain-text table, a line per store and entity.
    #[napi]
    pub fn to_text(&self) -> String {
        self.report.to_text()
    }

    /// The report's JSON form as a plain object (what `JSON.stringify(report)` writes).
    #[napi(js_name = "toJSON", ts_return_type = "SyncReportJson")]
    pub fn to_json_value<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        self.json(env)
    }
}
