//! The connectors as Node sees them: `WooCommerce`, `Shopify` and `Magento` (one store
//! each) and `PageStream` (one read, an async iterator of pages).
//!
//! Network calls return Promises through [`promise`]; records cross the boundary as the
//! core's JSON text and become objects with one `JSON.parse`. Timestamps cross as RFC 3339
//! text in UTC (`2024-05-01T10:00:00Z`).

use std::sync::Arc;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use napi::bindgen_prelude::{
    ClassInstance, Either3, FromNapiValue, JavaScriptClassExt, JsObjectValue, Null, Object,
    PromiseRaw, Property, PropertyAttributes, Unknown,
};
use napi::{Env, JsValue, sys};
use napi_derive::napi;

use nexus_core::Error;
use nexus_core::model::{Currency, EntityKind, Timestamp};
use nexus_core::platform::woocommerce::WooAuth;
use nexus_core::platform::{
    HttpOptions, JsonBatch, JsonReader, Platform, ReadOptions as CoreReadOptions, SyncCursor,
};

use crate::promise::promise;
use crate::{JsResultExt, MappingError, Result, parse_json};

fn invalid(name: &'static str, message: String) -> Error {
    Error::InvalidArgument { name, message }
}

/// Converts an options object, refusing keys it does not know: a misspelt option is an
/// error, not silence. `None` (or `undefined`/`null`) gives `None`.
pub(crate) fn options<T: FromNapiValue>(
    env: &Env,
    name: &'static str,
    value: Option<Object<'_>>,
    known: &[&str],
) -> std::result::Result<Option<T>, Error> {
    let Some(object) = value else {
        return Ok(None);
    };
    let bad = |e: napi::Error| invalid(name, e.reason.clone());
    let keys = Object::keys(&object).map_err(bad)?;
    let unknown: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(invalid(
            name,
            format!(
                "unknown option{} {}; expected {}",
                if unknown.len() > 1 { "s" } else { "" },
                unknown.join(", "),
                known.join(", ")
            ),
        ));
    }
    // SAFETY: `object` is a live value of this env, on its thread.
    unsafe { T::from_napi_value(env.raw(), object.raw()) }
        .map(Some)
        .map_err(bad)
}

/// A timestamp as JavaScript gets it: RFC 3339 in UTC, `Z`, fractions only when present.
pub(crate) fn format_time(t: &Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(crate) fn parse_time(name: &'static str, text: &str) -> std::result::Result<Timestamp, Error> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            invalid(
                name,
                format!("{text:?} is not an ISO 8601 / RFC 3339 timestamp ({e})"),
            )
        })
}

/// A count the builders take as `u32`; a negative or huge number is refused here, the
/// platform's own range (`pageSize` 1 to 100, ...) by the builder.
pub(crate) fn count(name: &'static str, value: i64) -> std::result::Result<u32, Error> {
    u32::try_from(value)
        .map_err(|_| invalid(name, format!("must be 0 to {}, not {value}", u32::MAX)))
}

fn millis(name: &'static str, ms: f64) -> std::result::Result<Duration, Error> {
    (ms.is_finite() && ms > 0.0)
        .then(|| Duration::try_from_secs_f64(ms / 1000.0).ok())
        .flatten()
        .ok_or_else(|| {
            invalid(
                name,
                format!("must be more than zero milliseconds, not {ms}"),
            )
        })
}

fn currency(code: Option<&str>) -> std::result::Result<Option<Currency>, Error> {
    code.map(Currency::parse).transpose()
}

/// Transport settings shared by the three constructors.
struct Transport {
    timeout_ms: Option<f64>,
    connect_timeout_ms: Option<f64>,
    max_attempts: Option<i64>,
    user_agent: Option<String>,
}

impl Transport {
    fn options(self) -> std::result::Result<HttpOptions, Error> {
        let mut http = HttpOptions::default();
        if let Some(t) = self.timeout_ms {
            http.timeout = millis("timeoutMs", t)?;
        }
        if let Some(t) = self.connect_timeout_ms {
            http.connect_timeout = millis("connectTimeoutMs", t)?;
        }
        if let Some(n) = self.max_attempts {
            if n < 1 {
                return Err(invalid(
                    "maxAttempts",
                    format!("must be at least 1, not {n}"),
                ));
            }
            http.retry.max_attempts = count("maxAttempts", n)?;
        }
        if let Some(agent) = self.user_agent {
            http.user_agent = agent;
        }
        Ok(http)
    }
}

/// Options of `new WooCommerce(...)`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct WooCommerceOptions {
    /// The site's address (`https://shop.example`).
    pub url: String,
    /// The REST API consumer key (`ck_...`).
    pub consumer_key: String,
    /// The REST API consumer secret (`cs_...`).
    pub consumer_secret: String,
    /// `"auto"` (the default: HTTP Basic over https, OAuth 1.0a over http), `"basic"` or
    /// `"oauth1"`.
    #[napi(ts_type = "'auto' | 'basic' | 'oauth1'")]
    pub auth: Option<String>,
    /// Allows HTTP Basic over plain http (the secret travels readable; default `false`).
    pub allow_basic_over_http: Option<bool>,
    /// The store's name in Nexus (`source.store` of its records; default `"default"`).
    pub store: Option<String>,
    /// The store's currency, for payloads without one (`check()` also finds it).
    pub currency: Option<String>,
    /// Records per page, 1 to 100 (default 100).
    pub page_size: Option<i64>,
    /// Requests a minute, paced evenly (default 300).
    pub requests_per_minute: Option<i64>,
    /// Time allowed for one request, in milliseconds (default 60000).
    pub timeout_ms: Option<f64>,
    /// Time allowed to connect, in milliseconds (default 10000).
    pub connect_timeout_ms: Option<f64>,
    /// Attempts per request, the first included (default 6; 1 = no retry).
    pub max_attempts: Option<i64>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
}

const WOO_OPTIONS: &[&str] = &[
    "url",
    "consumerKey",
    "consumerSecret",
    "auth",
    "allowBasicOverHttp",
    "store",
    "currency",
    "pageSize",
    "requestsPerMinute",
    "timeoutMs",
    "connectTimeoutMs",
    "maxAttempts",
    "userAgent",
];

/// A Shopify shop's leaky bucket.
#[napi(object, object_to_js = false)]
pub struct ShopifyBucket {
    /// Requests the bucket holds (40; 400 on Shopify Plus).
    pub capacity: i64,
    /// Requests drained each second (2; 20 on Shopify Plus).
    pub leak_per_second: f64,
    /// Slots kept free for other apps of the shop (default 2).
    pub reserve: Option<i64>,
}

/// Options of `new Shopify(...)`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ShopifyOptions {
    /// The shop: its name (`my-shop`), its myshopify.com domain, or its address.
    pub shop: String,
    /// The Admin API access token (`shpat_...`).
    pub access_token: String,
    /// The Admin API version (`YYYY-MM`).
    pub api_version: Option<String>,
    /// The store's name in Nexus (default the shop's host name).
    pub store: Option<String>,
    /// The store's currency, for payloads without one (`check()` also finds it).
    pub currency: Option<String>,
    /// Records per page, 1 to 250 (default 250).
    pub page_size: Option<i64>,
    /// The shop's bucket (default 40 requests, 2 a second, 2 kept free).
    pub bucket: Option<ShopifyBucket>,
    /// Time allowed for one request, in milliseconds (default 60000).
    pub timeout_ms: Option<f64>,
    /// Time allowed to connect, in milliseconds (default 10000).
    pub connect_timeout_ms: Option<f64>,
    /// Attempts per request, the first included (default 6; 1 = no retry).
    pub max_attempts: Option<i64>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
}

const SHOPIFY_OPTIONS: &[&str] = &[
    "shop",
    "accessToken",
    "apiVersion",
    "store",
    "currency",
    "pageSize",
    "bucket",
    "timeoutMs",
    "connectTimeoutMs",
    "maxAttempts",
    "userAgent",
];

/// Options of `new Magento(...)`. Give one kind of credentials: `token`; `username` and
/// `password`; or `consumerKey`, `consumerSecret`, `accessToken` and `accessTokenSecret`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct MagentoOptions {
    /// The site's address (`https://shop.example`), with or without `/rest/<code>/V1`.
    pub url: String,
    /// An integration's access token, sent as a bearer token.
    pub token: Option<String>,
    /// An admin user's name (with `password`): exchanged for an admin token, renewed when
    /// it expires.
    pub username: Option<String>,
    /// The admin user's password.
    pub password: Option<String>,
    /// OAuth 1.0a consumer key of an integration.
    pub consumer_key: Option<String>,
    /// OAuth 1.0a consumer secret.
    pub consumer_secret: Option<String>,
    /// OAuth 1.0a access token.
    pub access_token: Option<String>,
    /// OAuth 1.0a access token secret.
    pub access_token_secret: Option<String>,
    /// Allows a token or a password over plain http (default `false`).
    pub allow_plain_http: Option<bool>,
    /// The store view code (`/rest/<code>/V1`; default `default`, or the code in `url`).
    pub store_code: Option<String>,
    /// The store's name in Nexus (`source.store` of its records; default `"default"`).
    pub store: Option<String>,
    /// The store's currency, for payloads without one (`check()` also finds it).
    pub currency: Option<String>,
    /// Records per page, 1 to 300 (default 100).
    pub page_size: Option<i64>,
    /// Requests a minute, paced evenly (default 600).
    pub requests_per_minute: Option<i64>,
    /// Time allowed for one request, in milliseconds (default 60000).
    pub timeout_ms: Option<f64>,
    /// Time allowed to connect, in milliseconds (default 10000).
    pub connect_timeout_ms: Option<f64>,
    /// Attempts per request, the first included (default 6; 1 = no retry).
    pub max_attempts: Option<i64>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
}

const MAGENTO_OPTIONS: &[&str] = &[
    "url",
    "token",
    "username",
    "password",
    "consumerKey",
    "consumerSecret",
    "accessToken",
    "accessTokenSecret",
    "allowPlainHttp",
    "storeCode",
    "store",
    "currency",
    "pageSize",
    "requestsPerMinute",
    "timeoutMs",
    "connectTimeoutMs",
    "maxAttempts",
    "userAgent",
];

/// Where a read stopped: the newest record it took in. Pass it as `since` to the next
/// read; it is plain JSON, to be stored between runs.
#[napi(object)]
pub struct Checkpoint {
    /// The record's last modification time (RFC 3339, UTC).
    pub updated_at: String,
    /// The record's id.
    pub id: String,
}

impl From<SyncCursor> for Checkpoint {
    fn from(c: SyncCursor) -> Self {
        Checkpoint {
            updated_at: format_time(&c.updated_at),
            id: c.id,
        }
    }
}

/// `since` as JavaScript gives it: a checkpoint, a moment as an ISO 8601 string (every
/// record updated from that moment on), or `null` (everything, as a first read's missing
/// checkpoint says).
type Since = Either3<String, Checkpoint, Null>;

fn cursor(since: Option<Since>) -> std::result::Result<Option<SyncCursor>, Error> {
    match since {
        None | Some(Either3::C(Null)) => Ok(None),
        Some(Either3::A(at)) => Ok(Some(SyncCursor {
            updated_at: parse_time("since", &at)?,
            id: String::new(),
        })),
        Some(Either3::B(c)) => Ok(Some(SyncCursor {
            updated_at: parse_time("since", &c.updated_at)?,
            id: c.id,
        })),
    }
}

/// Options of `pages()`.
#[napi(object, object_to_js = false)]
pub struct PagesOptions {
    /// Read the records updated after this checkpoint, or from this ISO 8601 moment
    /// (everything when absent).
    #[napi(ts_type = "Checkpoint | string | null")]
    pub since: Option<Since>,
    /// How far before `since` the read starts, in seconds, to absorb clock skew and late
    /// writes (default 300; 0 reads exactly what changed after the checkpoint).
    pub overlap_seconds: Option<f64>,
    /// Records updated before this ISO 8601 moment (default: when the read starts).
    pub until: Option<String>,
}

const PAGES_OPTIONS: &[&str] = &["since", "overlapSeconds", "until"];

/// Options of `read()`.
#[napi(object, object_to_js = false)]
pub struct ReadOptions {
    /// Read the records updated after this checkpoint, or from this ISO 8601 moment
    /// (everything when absent).
    #[napi(ts_type = "Checkpoint | string | null")]
    pub since: Option<Since>,
    /// How far before `since` the read starts, in seconds (default 300).
    pub overlap_seconds: Option<f64>,
    /// Records updated before this ISO 8601 moment (default: when the read starts).
    pub until: Option<String>,
    /// Stop after this many pages; the checkpoint says where to go on (default: no limit).
    pub max_pages: Option<i64>,
}

const READ_OPTIONS: &[&str] = &["since", "overlapSeconds", "until", "maxPages"];

fn read_options(
    since: Option<Since>,
    overlap_seconds: Option<f64>,
    until: Option<String>,
) -> std::result::Result<(Option<SyncCursor>, CoreReadOptions), Error> {
    let mut options = CoreReadOptions::default();
    if let Some(s) = overlap_seconds {
        options.overlap = (s.is_finite() && s >= 0.0)
            .then(|| Duration::try_from_secs_f64(s).ok())
            .flatten()
            .ok_or_else(|| {
                invalid(
                    "overlapSeconds",
                    format!("must be zero or more seconds, not {s}"),
                )
            })?;
    }
    options.until = until.map(|u| parse_time("until", &u)).transpose()?;
    Ok((cursor(since)?, options))
}

/// Facts about a store, as `check()` finds them.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct StoreInfo {
    /// The platform.
    #[napi(ts_type = "PlatformKind")]
    pub platform: String,
    /// The store's name or title.
    pub name: Option<String>,
    /// The store's currency (three letters).
    pub currency: Option<String>,
    /// The store's time zone (an IANA name or an offset), where it says.
    pub timezone: Option<String>,
    /// The API version in use.
    pub api_version: Option<String>,
    /// The platform's software version, where it says (WooCommerce, Magento).
    pub platform_version: Option<String>,
}

/// What a connector can do.
#[napi(object, object_from_js = false)]
pub struct Capabilities {
    /// Entities it can read (`"orders"`, `"customers"`, `"products"`, `"refunds"`).
    #[napi(ts_type = "ReadEntity[]")]
    pub entities: Vec<String>,
    /// The platform's filter for changed records (`modified_after`, `updated_at_min`, ...).
    pub incremental_field: String,
    /// The largest page the platform serves.
    pub max_page_size: u32,
    /// The page size used unless configured.
    pub default_page_size: u32,
    /// Whether deletions can be seen (`tombstones()`).
    pub sees_deletes: bool,
}

/// A record deleted in the store.
#[napi(object, object_from_js = false)]
pub struct Tombstone {
    /// The entity of the deleted record.
    #[napi(ts_type = "ReadEntity")]
    pub entity: String,
    /// The deleted record's id.
    pub id: String,
    /// When it was deleted (RFC 3339, UTC).
    pub deleted_at: String,
}

/// A connector to one store: what the three classes share.
pub(crate) struct Connector {
    platform: Arc<dyn Platform>,
}

impl Connector {
    fn new<P: Platform + 'static>(platform: P) -> Self {
        Connector {
            platform: Arc::new(platform),
        }
    }

    fn kind(&self) -> &'static str {
        self.platform.kind().as_str()
    }

    fn check<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, StoreInfo>> {
        let platform = self.platform.clone();
        promise(env, async move { platform.check().await }, |_, info| {
            Ok(StoreInfo {
                platform: info.platform.as_str().to_owned(),
                name: info.name,
                currency: info.currency.map(|c| c.to_string()),
                timezone: info.timezone,
                api_version: info.api_version,
                platform_version: info.platform_version,
            })
        })
    }

    fn capabilities(&self) -> Capabilities {
        let c = self.platform.capabilities();
        Capabilities {
            entities: c.entities.iter().map(|e| e.plural().to_owned()).collect(),
            incremental_field: c.incremental_field.to_owned(),
            max_page_size: c.max_page_size,
            default_page_size: c.default_page_size,
            sees_deletes: c.sees_deletes,
        }
    }

    fn reader(
        &self,
        entity: &str,
        since: Option<SyncCursor>,
        options: &CoreReadOptions,
    ) -> std::result::Result<JsonReader, Error> {
        let entity: EntityKind = entity.parse()?;
        JsonReader::new(self.platform.clone(), entity, since, options)
    }

    fn pages<'env>(
        &self,
        env: &'env Env,
        entity: String,
        options: Option<Object<'_>>,
    ) -> Result<ClassInstance<'env, PageStream>> {
        let options: Option<PagesOptions> =
            self::options(env, "options", options, PAGES_OPTIONS).js()?;
        let (since, overlap, until) = options
            .map(|o| (o.since, o.overlap_seconds, o.until))
            .unwrap_or_default();
        let reader = read_options(since, overlap, until)
            .and_then(|(since, options)| self.reader(&entity, since, &options))
            .js()?;
        PageStream::start(env, reader)
    }

    fn read<'env>(
        &self,
        env: &'env Env,
        entity: String,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'env, Object<'env>>> {
        // Bad arguments reject the Promise, as every failure of an async call does.
        let setup = (|| {
            let options: Option<ReadOptions> =
                self::options(env, "options", options, READ_OPTIONS)?;
            let (since, overlap, until, max_pages) = options
                .map(|o| (o.since, o.overlap_seconds, o.until, o.max_pages))
                .unwrap_or_default();
            let max_pages = match max_pages {
                Some(n) if n < 1 => {
                    return Err(invalid("maxPages", format!("must be at least 1, not {n}")));
                }
                Some(n) => Some(count("maxPages", n)?),
                None => None,
            };
            let (since, options) = read_options(since, overlap, until)?;
            let reader = self.reader(&entity, since.clone(), &options)?;
            Ok((reader, since, max_pages))
        })();
        promise(
            env,
            async move {
                let (mut reader, start, max_pages) = setup?;
                collect(&mut reader, start, max_pages).await
            },
            |env, all| {
                let mut result = Object::new(env).js()?;
                result.set("records", parse_json(env, &all.records)?).js()?;
                result.set("errors", all.errors).js()?;
                result
                    .set("checkpoint", all.checkpoint.map(Checkpoint::from))
                    .js()?;
                result.set("pages", all.pages).js()?;
                result.set("duplicates", all.duplicates as f64).js()?;
                result.set("complete", all.complete).js()?;
                Ok(result)
            },
        )
    }

    fn tombstones<'env>(
        &self,
        env: &'env Env,
        entity: String,
        since: Option<String>,
    ) -> Result<PromiseRaw<'env, Vec<Tombstone>>> {
        let platform = self.platform.clone();
        let args = (|| {
            let entity: EntityKind = entity.parse()?;
            let since = since.map(|s| parse_time("since", &s)).transpose()?;
            Ok::<_, Error>((entity, since))
        })();
        promise(
            env,
            async move {
                let (entity, since) = args?;
                platform.tombstones(entity, since).await
            },
            |_, stones| {
                Ok(stones
                    .into_iter()
                    .map(|t| Tombstone {
                        entity: t.entity.plural().to_owned(),
                        id: t.id,
                        deleted_at: format_time(&t.deleted_at),
                    })
                    .collect())
            },
        )
    }
}

/// Everything a `read()` took in: the pages' records joined into one JSON array.
struct Collected {
    records: String,
    errors: Vec<MappingError>,
    checkpoint: Option<SyncCursor>,
    pages: u32,
    duplicates: u64,
    complete: bool,
}

async fn collect(
    reader: &mut JsonReader,
    start: Option<SyncCursor>,
    max_pages: Option<u32>,
) -> std::result::Result<Collected, Error> {
    let mut all = Collected {
        records: String::from("["),
        errors: Vec::new(),
        checkpoint: start,
        pages: 0,
        duplicates: 0,
        complete: true,
    };
    while let Some(batch) = reader.next_batch().await {
        let batch = batch?;
        // Each page is one JSON array written by serde_json: `[...]`.
        let text = batch.mapping.records.trim();
        let inner = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or("")
            .trim();
        if !inner.is_empty() {
            if all.records.len() > 1 {
                all.records.push(',');
            }
            all.records.push_str(inner);
        }
        all.errors
            .extend(batch.mapping.errors.into_iter().map(MappingError::from));
        all.duplicates += batch.duplicates;
        all.checkpoint = batch.checkpoint;
        all.pages = batch.page;
        if max_pages.is_some_and(|m| batch.page >= m) {
            all.complete = false;
            break;
        }
    }
    all.records.push(']');
    Ok(all)
}

/// One page of a read, as JavaScript gets it.
fn page_object<'env>(env: &'env Env, batch: JsonBatch) -> Result<Object<'env>> {
    let errors: Vec<MappingError> = batch
        .mapping
        .errors
        .into_iter()
        .map(MappingError::from)
        .collect();
    let mut page = Object::new(env).js()?;
    page.set("records", parse_json(env, &batch.mapping.records)?)
        .js()?;
    page.set("errors", errors).js()?;
    page.set("checkpoint", batch.checkpoint.map(Checkpoint::from))
        .js()?;
    page.set("total", batch.total.map(|t| t as f64)).js()?;
    page.set("duplicates", batch.duplicates as f64).js()?;
    page.set("number", batch.page).js()?;
    Ok(page)
}

/// `{ value, done }` of the async iterator protocol.
fn iterator_result<'env>(env: &'env Env, value: Option<Object<'env>>) -> Result<Object<'env>> {
    let mut result = Object::new(env).js()?;
    result.set("done", value.is_none()).js()?;
    match value {
        Some(page) => result.set("value", page).js()?,
        None => result.set("value", ()).js()?,
    }
    Ok(result)
}

/// A read in progress: an async iterator of pages (`for await (const page of
/// shop.pages('orders'))`). After the last page, an error or `return()`, it is done.
#[napi]
pub struct PageStream {
    /// `None` once done. Locked for a whole page fetch: concurrent `next()` calls take
    /// turns, in order.
    reader: Arc<tokio::sync::Mutex<Option<JsonReader>>>,
}

/// `[Symbol.asyncIterator]()` of a page stream: the stream itself.
unsafe extern "C" fn return_this(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut this = std::ptr::null_mut();
    // SAFETY: napi calls this with a valid env and callback info; on failure `this` stays
    // null, which napi reads as `undefined`.
    unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut this,
            std::ptr::null_mut(),
        );
    }
    this
}

impl PageStream {
    fn start<'env>(env: &'env Env, reader: JsonReader) -> Result<ClassInstance<'env, PageStream>> {
        let stream = PageStream {
            reader: Arc::new(tokio::sync::Mutex::new(Some(reader))),
        }
        .into_instance(env)
        .js()?;
        // napi classes cannot name a method by a symbol: the stream becomes async-iterable
        // here, with a non-enumerable `[Symbol.asyncIterator]` returning itself.
        let symbol: Unknown<'_> = env
            .get_global()
            .and_then(|g| g.get_named_property("Symbol"))
            .js()?;
        // `Symbol` is a function: read it as the object it also is.
        let symbol = Object::from_raw(env.raw(), symbol.raw());
        let async_iterator: Unknown<'_> = symbol.get_named_property("asyncIterator").js()?;
        let property = Property::new()
            .with_name(env, async_iterator)
            .js()?
            .with_method(return_this)
            .with_property_attributes(PropertyAttributes::Configurable);
        stream.as_object(env).define_properties(&[property]).js()?;
        Ok(stream)
    }
}

#[napi]
impl PageStream {
    /// The next page as `{ value: page, done: false }`, or `{ value: undefined, done: true }`
    /// after the last one. A failure rejects with an `Error` carrying a `code`, and ends
    /// the read.
    #[napi(ts_return_type = "Promise<IteratorResult<Page<NexusRecord>, undefined>>")]
    pub fn next<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Object<'env>>> {
        let reader = self.reader.clone();
        promise(
            env,
            async move {
                let mut slot = reader.lock().await;
                let Some(r) = slot.as_mut() else {
                    return Ok(None);
                };
                let next = r.next_batch().await.transpose();
                if !matches!(next, Ok(Some(_))) {
                    *slot = None;
                }
                next
            },
            |env, batch| {
                let page = batch.map(|b| page_object(env, b)).transpose()?;
                iterator_result(env, page)
            },
        )
    }

    /// Ends the read (what `break` in a `for await` loop calls): `{ value: undefined,
    /// done: true }`.
    #[napi(
        js_name = "return",
        ts_return_type = "Promise<IteratorResult<Page<NexusRecord>, undefined>>"
    )]
    pub fn finish<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Object<'env>>> {
        let reader = self.reader.clone();
        promise(
            env,
            async move {
                reader.lock().await.take();
                Ok(())
            },
            |env, ()| iterator_result(env, None),
        )
    }
}

/// The methods the three connector classes share, each a call to [`Connector`].
macro_rules! connector_methods {
    ($class:ident) => {
        #[napi]
        impl $class {
            /// The platform: `"woocommerce"`, `"shopify"` or `"magento"`.
            #[napi(getter, ts_return_type = "PlatformKind")]
            pub fn platform(&self) -> &'static str {
                self.inner.kind()
            }

            /// Authenticates and returns facts about the store. Rejects with code
            /// `"auth_failed"` when the store refuses the credentials.
            #[napi(ts_return_type = "Promise<StoreInfo>")]
            pub fn check<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, StoreInfo>> {
                self.inner.check(env)
            }

            /// What the connector can do.
            #[napi]
            pub fn capabilities(&self) -> Capabilities {
                self.inner.capabilities()
            }

            /// Reads the records of `entity` updated after `options.since`, page by page:
            /// an async iterator (`for await (const page of shop.pages('orders'))`). Each
            /// page carries a checkpoint to resume from. Throws with code
            /// `"unknown_entity"` or `"invalid_argument"` for bad arguments.
            #[napi(
                ts_generic_types = "E extends ReadEntity",
                ts_args_type = "entity: E, options?: PagesOptions | undefined | null",
                ts_return_type = "PageIterator<RecordOf<E>>"
            )]
            pub fn pages<'env>(
                &self,
                env: &'env Env,
                entity: String,
                options: Option<Object<'_>>,
            ) -> Result<ClassInstance<'env, PageStream>> {
                self.inner.pages(env, entity, options)
            }

            /// Reads every record of `entity` updated after `options.since` (all pages, or
            /// `options.maxPages`): the records, the mapping errors, the checkpoint to
            /// resume from, and how many pages were read.
            #[napi(
                ts_generic_types = "E extends ReadEntity",
                ts_args_type = "entity: E, options?: ReadOptions | undefined | null",
                ts_return_type = "Promise<ReadResult<RecordOf<E>>>"
            )]
            pub fn read<'env>(
                &self,
                env: &'env Env,
                entity: String,
                options: Option<Object<'_>>,
            ) -> Result<PromiseRaw<'env, Object<'env>>> {
                self.inner.read(env, entity, options)
            }

            /// Records of `entity` deleted since `since` (an ISO 8601 moment), where the
            /// platform reports deletions (Shopify); an empty list elsewhere.
            #[napi(
                ts_args_type = "entity: ReadEntity, since?: string | undefined | null",
                ts_return_type = "Promise<Tombstone[]>"
            )]
            pub fn tombstones<'env>(
                &self,
                env: &'env Env,
                entity: String,
                since: Option<String>,
            ) -> Result<PromiseRaw<'env, Vec<Tombstone>>> {
                self.inner.tombstones(env, entity, since)
            }
        }
    };
}

/// A WooCommerce store (REST API v3). Over https it authenticates with HTTP Basic, over
/// plain http with OAuth 1.0a signatures, so the secret never travels readable.
#[napi]
pub struct WooCommerce {
    inner: Connector,
}

impl WooCommerce {
    pub(crate) fn build(o: WooCommerceOptions) -> std::result::Result<Self, Error> {
        let auth = match o
            .auth
            .as_deref()
            .map(|a| a.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("auto") => WooAuth::Auto,
            Some("basic") => WooAuth::Basic,
            Some("oauth1" | "oauth") => WooAuth::OAuth1,
            Some(other) => {
                return Err(invalid(
                    "auth",
                    format!("expected \"auto\", \"basic\" or \"oauth1\", not {other:?}"),
                ));
            }
        };
        let transport = Transport {
            timeout_ms: o.timeout_ms,
            connect_timeout_ms: o.connect_timeout_ms,
            max_attempts: o.max_attempts,
            user_agent: o.user_agent,
        };
        let mut b = nexus_core::platform::WooCommerce::builder(o.url)
            .consumer_key(o.consumer_key)
            .consumer_secret(o.consumer_secret)
            .auth(auth)
            .allow_basic_over_http(o.allow_basic_over_http.unwrap_or(false))
            .http(transport.options()?);
        if let Some(s) = o.store {
            b = b.store_name(s);
        }
        if let Some(c) = currency(o.currency.as_deref())? {
            b = b.currency(c);
        }
        if let Some(n) = o.page_size {
            b = b.page_size(count("pageSize", n)?);
        }
        if let Some(n) = o.requests_per_minute {
            b = b.requests_per_minute(count("requestsPerMinute", n)?);
        }
        Ok(WooCommerce {
            inner: Connector::new(b.build()?),
        })
    }
}

#[napi]
impl WooCommerce {
    /// Connects to nothing yet: checks the options (code `"invalid_config"` or
    /// `"invalid_argument"` when they are wrong). `check()` is the first request.
    #[napi(constructor, ts_args_type = "options: WooCommerceOptions")]
    pub fn new(env: &Env, options: Object<'_>) -> Result<Self> {
        let options = self::options(env, "options", Some(options), WOO_OPTIONS)
            .js()?
            .unwrap_or_default();
        Self::build(options).js()
    }
}

connector_methods!(WooCommerce);

/// A Shopify shop (Admin REST API), paced by its leaky bucket.
#[napi]
pub struct Shopify {
    inner: Connector,
}

impl Shopify {
    pub(crate) fn build(o: ShopifyOptions) -> std::result::Result<Self, Error> {
        let transport = Transport {
            timeout_ms: o.timeout_ms,
            connect_timeout_ms: o.connect_timeout_ms,
            max_attempts: o.max_attempts,
            user_agent: o.user_agent,
        };
        let mut b = nexus_core::platform::Shopify::builder(o.shop)
            .access_token(o.access_token)
            .http(transport.options()?);
        if let Some(v) = o.api_version {
            b = b.api_version(v);
        }
        if let Some(s) = o.store {
            b = b.store_name(s);
        }
        if let Some(c) = currency(o.currency.as_deref())? {
            b = b.currency(c);
        }
        if let Some(n) = o.page_size {
            b = b.page_size(count("pageSize", n)?);
        }
        if let Some(bucket) = o.bucket {
            b = b.bucket(
                count("bucket.capacity", bucket.capacity)?,
                bucket.leak_per_second,
                count("bucket.reserve", bucket.reserve.unwrap_or(2))?,
            );
        }
        Ok(Shopify {
            inner: Connector::new(b.build()?),
        })
    }
}

#[napi]
impl Shopify {
    /// Checks the options (code `"invalid_config"` or `"invalid_argument"` when they are
    /// wrong). `check()` is the first request.
    #[napi(constructor, ts_args_type = "options: ShopifyOptions")]
    pub fn new(env: &Env, options: Object<'_>) -> Result<Self> {
        let options = self::options(env, "options", Some(options), SHOPIFY_OPTIONS)
            .js()?
            .unwrap_or_default();
        Self::build(options).js()
    }
}

connector_methods!(Shopify);

/// A Magento 2 / Adobe Commerce store (REST API), with an integration token, admin
/// credentials (the admin token is renewed when it expires) or OAuth 1.0a.
#[napi]
pub struct Magento {
    inner: Connector,
}

impl Magento {
    pub(crate) fn build(o: MagentoOptions) -> std::result::Result<Self, Error> {
        let transport = Transport {
            timeout_ms: o.timeout_ms,
            connect_timeout_ms: o.connect_timeout_ms,
            max_attempts: o.max_attempts,
            user_agent: o.user_agent,
        };
        let mut b = nexus_core::platform::Magento::builder(o.url)
            .allow_plain_http(o.allow_plain_http.unwrap_or(false))
            .http(transport.options()?);
        if let Some(t) = o.token {
            b = b.access_token(t);
        }
        // A half-given set of credentials goes to the builder with blanks, which names
        // what is missing.
        if o.username.is_some() || o.password.is_some() {
            b = b.admin_credentials(
                o.username.unwrap_or_default(),
                o.password.unwrap_or_default(),
            );
        }
        let oauth = [
            o.consumer_key,
            o.consumer_secret,
            o.access_token,
            o.access_token_secret,
        ];
        if oauth.iter().any(Option::is_some) {
            let [ck, cs, at, ats] = oauth.map(Option::unwrap_or_default);
            b = b.oauth1(ck, cs, at, ats);
        }
        if let Some(code) = o.store_code {
            b = b.store_code(code);
        }
        if let Some(s) = o.store {
            b = b.store_name(s);
        }
        if let Some(c) = currency(o.currency.as_deref())? {
            b = b.currency(c);
        }
        if let Some(n) = o.page_size {
            b = b.page_size(count("pageSize", n)?);
        }
        if let Some(n) = o.requests_per_minute {
            b = b.requests_per_minute(count("requestsPerMinute", n)?);
        }
        Ok(Magento {
            inner: Connector::new(b.build()?),
        })
    }
}

#[napi]
impl Magento {
    /// Checks the options (code `"invalid_config"` or `"invalid_argument"` when they are
    /// wrong). `check()` is the first request.
    #[napi(constructor, ts_args_type = "options: MagentoOptions")]
    pub fn new(env: &Env, options: Object<'_>) -> Result<Self> {
        let options = self::options(env, "options", Some(options), MAGENTO_OPTIONS)
            .js()?
            .unwrap_or_default();
        Self::build(options).js()
    }
}

connector_methods!(Magento);
