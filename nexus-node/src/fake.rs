//! `FakeStore`: a fake WooCommerce, Shopify or Magento 2 store on 127.0.0.1, from
//! `nexus-fake`, to try Nexus and test code against without a store account.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use napi::Env;
use napi::bindgen_prelude::{Either3, Object};
use napi_derive::napi;

use nexus_core::Error;
use nexus_core::model::{EntityKind, PlatformKind};
use nexus_fake::{FakeConfig, FakeRate, Fault, Sizes};

use crate::connectors::{
    Magento, MagentoOptions, Shopify, ShopifyBucket, ShopifyOptions, WooCommerce,
    WooCommerceOptions, count, options,
};
use crate::{ErrorCode, JsResultExt, Result};

fn invalid(name: &'static str, message: String) -> Error {
    Error::InvalidArgument { name, message }
}

/// Reads a fault as the bindings spell it (`"503"`, `"429:0.5"`, `"html"`, `"truncated"`,
/// `"drop"`, `"slow:2"`; see `Fault`'s `FromStr` in nexus-fake), as the Python binding does.
fn parse_fault(text: &str) -> std::result::Result<Fault, Error> {
    text.parse()
        .map_err(|message: String| invalid("faults", message))
}

/// Faults by request number, as JavaScript gives them: `{ 3: '503', 5: 'html' }`.
fn parse_faults(
    faults: Option<HashMap<String, String>>,
) -> std::result::Result<BTreeMap<u64, Fault>, Error> {
    faults
        .unwrap_or_default()
        .into_iter()
        .map(|(n, f)| {
            let n = n
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    invalid(
                        "faults",
                        format!("{n:?} is not a request number (1 is the first request)"),
                    )
                })?;
            Ok((n, parse_fault(&f)?))
        })
        .collect()
}

/// Ids in the store's order: numerically.
fn sorted(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut ids: Vec<String> = ids.into_iter().collect();
    ids.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    ids
}

/// Options of `new FakeStore(...)`.
#[napi(object, object_to_js = false)]
pub struct FakeStoreOptions {
    /// Orders in the store (default 250).
    pub orders: Option<i64>,
    /// Customers (default 60).
    pub customers: Option<i64>,
    /// Products (default 40).
    pub products: Option<i64>,
    /// The seed of the generated catalog (default 7): the same seed, the same store.
    pub seed: Option<i64>,
    /// The store's own rate limit: at most this many requests in any minute, then 429 with
    /// `Retry-After` (default: none).
    pub rate_per_minute: Option<i64>,
    /// Shopify's leaky bucket (40 requests, draining 2 a second) with 429 and a fractional
    /// `Retry-After` when full (default `false`).
    pub shopify_bucket: Option<bool>,
    /// Faults to inject, by request number (1 is the first request): an HTTP status
    /// (`"503"`), `"429"` or `"429:<seconds>"`, `"html"` (a firewall page with status 200),
    /// `"truncated"` (the body cut in half), `"drop"` (the connection dropped), `"slow"` or
    /// `"slow:<seconds>"`.
    #[napi(ts_type = "Record<number, FaultSpec>")]
    pub faults: Option<HashMap<String, String>>,
}

const FAKE_OPTIONS: &[&str] = &[
    "orders",
    "customers",
    "products",
    "seed",
    "ratePerMinute",
    "shopifyBucket",
    "faults",
];

/// The credentials a fake store accepts; each platform uses its own.
#[napi(object, object_from_js = false)]
pub struct FakeCredentials {
    /// WooCommerce consumer key.
    pub consumer_key: String,
    /// WooCommerce consumer secret.
    pub consumer_secret: String,
    /// Shopify Admin API access token; Magento integration token.
    pub access_token: String,
    /// Magento admin user name.
    pub username: String,
    /// Magento admin password.
    pub password: String,
    /// Magento OAuth 1.0a consumer key.
    pub oauth_consumer_key: String,
    /// Magento OAuth 1.0a consumer secret.
    pub oauth_consumer_secret: String,
    /// Magento OAuth 1.0a access token.
    pub oauth_token: String,
    /// Magento OAuth 1.0a access token secret.
    pub oauth_token_secret: String,
}

/// What a fake store has seen.
#[napi(object, object_from_js = false)]
pub struct FakeStats {
    /// Requests received.
    pub requests: i64,
    /// 429 answers sent (from the rate limit or injected).
    pub rate_limited: i64,
    /// Requests refused for authentication.
    pub auth_failures: i64,
    /// Magento admin tokens issued.
    pub tokens_issued: i64,
}

/// Options of `FakeStore.connector()`: the connector's own options, minus the address and
/// the credentials, which the store fills in.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct FakeConnectorOptions {
    /// WooCommerce: `"auto"` (the default: OAuth 1.0a over the loopback http), `"basic"`
    /// or `"oauth1"`. Magento: which credentials to use, `"token"` (the default),
    /// `"password"` or `"oauth1"`.
    #[napi(ts_type = "'auto' | 'basic' | 'oauth1' | 'token' | 'password'")]
    pub auth: Option<String>,
    /// The store's name in Nexus.
    pub store: Option<String>,
    /// The store's currency, for payloads without one.
    pub currency: Option<String>,
    /// Records per page.
    pub page_size: Option<i64>,
    /// WooCommerce and Magento: requests a minute (default: the store's `ratePerMinute`, or
    /// 60000 when it has no limit).
    pub requests_per_minute: Option<i64>,
    /// Shopify: the Admin API version.
    pub api_version: Option<String>,
    /// Shopify: the shop's bucket.
    pub bucket: Option<ShopifyBucket>,
    /// Time allowed for one request, in milliseconds.
    pub timeout_ms: Option<f64>,
    /// Time allowed to connect, in milliseconds.
    pub connect_timeout_ms: Option<f64>,
    /// Attempts per request, the first included.
    pub max_attempts: Option<i64>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
}

const CONNECTOR_OPTIONS: &[&str] = &[
    "auth",
    "store",
    "currency",
    "pageSize",
    "requestsPerMinute",
    "apiVersion",
    "bucket",
    "timeoutMs",
    "connectTimeoutMs",
    "maxAttempts",
    "userAgent",
];

/// A fake WooCommerce, Shopify or Magento 2 store serving its platform's real protocol on
/// 127.0.0.1 (authentication, paging, filters, rate limits, injected faults), on its own
/// thread. Close it with `close()` when done.
#[napi]
pub struct FakeStore {
    platform: PlatformKind,
    url: String,
    rate_per_minute: Option<u32>,
    store: Mutex<Option<nexus_fake::FakeStore>>,
}

impl FakeStore {
    fn with<T>(&self, f: impl FnOnce(&nexus_fake::FakeStore) -> T) -> Result<T> {
        let guard = self.store.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(store) => Ok(f(store)),
            None => Err(napi::Error::new(
                ErrorCode::Addon("closed"),
                "the fake store is closed",
            )),
        }
    }
}

#[napi]
impl FakeStore {
    /// Starts a fake store of `platform` (`"woocommerce"`, `"shopify"` or `"magento"`) on a
    /// free port of 127.0.0.1.
    #[napi(
        constructor,
        ts_args_type = "platform: PlatformKind, options?: FakeStoreOptions | undefined | null"
    )]
    pub fn new(env: &Env, platform: String, options: Option<Object<'_>>) -> Result<Self> {
        let (platform, config, rate_per_minute) = (|| {
            let platform: PlatformKind = platform.parse()?;
            let o: Option<FakeStoreOptions> = self::options(env, "options", options, FAKE_OPTIONS)?;
            let o = o.unwrap_or(FakeStoreOptions {
                orders: None,
                customers: None,
                products: None,
                seed: None,
                rate_per_minute: None,
                shopify_bucket: None,
                faults: None,
            });
            let defaults = FakeConfig::default();
            let size = |name: &'static str, n: Option<i64>, default: usize| match n {
                None => Ok(default),
                Some(n) => usize::try_from(n)
                    .map_err(|_| invalid(name, format!("must be zero or more, not {n}"))),
            };
            let sizes = Sizes {
                orders: size("orders", o.orders, defaults.sizes.orders)?,
                customers: size("customers", o.customers, defaults.sizes.customers)?,
                products: size("products", o.products, defaults.sizes.products)?,
                seed: match o.seed {
                    None => defaults.sizes.seed,
                    Some(s) => u64::try_from(s)
                        .map_err(|_| invalid("seed", format!("must be zero or more, not {s}")))?,
                },
            };
            let per_minute = o
                .rate_per_minute
                .map(|n| count("ratePerMinute", n))
                .transpose()?;
            let bucket = o.shopify_bucket.unwrap_or(false);
            let rate = match (per_minute, bucket) {
                (Some(_), true) => {
                    return Err(invalid(
                        "ratePerMinute",
                        "give ratePerMinute or shopifyBucket, not both".into(),
                    ));
                }
                (Some(0), _) => {
                    return Err(invalid("ratePerMinute", "must be at least 1".into()));
                }
                (Some(n), _) => Some(FakeRate::PerMinute(n)),
                (None, true) => Some(FakeRate::SHOPIFY),
                (None, false) => None,
            };
            let config = FakeConfig {
                sizes,
                rate,
                faults: parse_faults(o.faults)?,
                ..defaults
            };
            Ok::<_, Error>((platform, config, per_minute))
        })()
        .js()?;
        let store = nexus_fake::FakeStore::spawn(platform, config).map_err(|e| {
            napi::Error::new(
                ErrorCode::Addon("io_error"),
                format!("could not start the fake store: {e}"),
            )
        })?;
        Ok(FakeStore {
            platform,
            url: store.url().to_owned(),
            rate_per_minute,
            store: Mutex::new(Some(store)),
        })
    }

    /// The platform served.
    #[napi(getter, ts_return_type = "PlatformKind")]
    pub fn platform(&self) -> &'static str {
        self.platform.as_str()
    }

    /// The store's address, `http://127.0.0.1:<port>`: the site URL for WooCommerce and
    /// Magento, the shop address for Shopify.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The credentials the store accepts.
    #[napi(getter)]
    pub fn credentials(&self) -> Result<FakeCredentials> {
        self.with(|s| {
            let c = s.credentials().clone();
            FakeCredentials {
                consumer_key: c.consumer_key,
                consumer_secret: c.consumer_secret,
                access_token: c.access_token,
                username: c.username,
                password: c.password,
                oauth_consumer_key: c.oauth_consumer_key,
                oauth_consumer_secret: c.oauth_consumer_secret,
                oauth_token: c.oauth_token,
                oauth_token_secret: c.oauth_token_secret,
            }
        })
    }

    /// The ids of every record of `entity` the store holds now, in numeric order.
    #[napi(ts_args_type = "entity: ReadEntity")]
    pub fn ids(&self, entity: String) -> Result<Vec<String>> {
        let entity: EntityKind = entity.parse().js()?;
        self.with(|s| sorted(s.ids(entity)))
    }

    /// Modifies `modify` existing orders and inserts `insert` new ones, all modified now;
    /// returns their ids.
    #[napi]
    pub fn mutate(&self, modify: i64, insert: Option<i64>) -> Result<Vec<String>> {
        let modify = count("modify", modify).js()? as usize;
        let insert = count("insert", insert.unwrap_or(0)).js()? as usize;
        self.with(|s| sorted(s.mutate(modify, insert)))
    }

    /// Deletes `n` records of `entity` (orders, customers or products); returns their ids.
    #[napi(ts_args_type = "entity: ReadEntity, n: number")]
    pub fn delete(&self, entity: String, n: i64) -> Result<Vec<String>> {
        let entity: EntityKind = entity.parse().js()?;
        let n = count("n", n).js()? as usize;
        self.with(|s| sorted(s.delete(entity, n)))
    }

    /// What the store has seen so far.
    #[napi]
    pub fn stats(&self) -> Result<FakeStats> {
        self.with(|s| {
            let st = s.stats();
            let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            FakeStats {
                requests: n(st.requests),
                rate_limited: n(st.rate_limited),
                auth_failures: n(st.auth_failures),
                tokens_issued: n(st.tokens_issued),
            }
        })
    }

    /// Replaces the faults to inject, counted from the next request (1 is the next one).
    #[napi(ts_args_type = "faults: Record<number, FaultSpec>")]
    pub fn set_faults(&self, faults: HashMap<String, String>) -> Result<()> {
        let faults = parse_faults(Some(faults)).js()?;
        self.with(|s| s.set_faults(faults))
    }

    /// Expires every Magento admin token issued so far (the next request gets 401).
    #[napi]
    pub fn expire_tokens(&self) -> Result<()> {
        self.with(nexus_fake::FakeStore::expire_tokens)
    }

    /// Whether `close()` was called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    /// Stops the store and its thread. Closing twice is harmless.
    #[napi]
    pub fn close(&self) {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(store);
    }

    /// A connector to this store (`WooCommerce`, `Shopify` or `Magento`), with its address
    /// and credentials filled in: for WooCommerce OAuth 1.0a over the loopback http; for
    /// Magento the integration token (or `auth: 'password'` / `'oauth1'`).
    #[napi(
        ts_args_type = "options?: FakeConnectorOptions | undefined | null",
        ts_return_type = "WooCommerce | Shopify | Magento"
    )]
    pub fn connector(
        &self,
        env: &Env,
        options: Option<Object<'_>>,
    ) -> Result<Either3<WooCommerce, Shopify, Magento>> {
        let creds = self.with(|s| s.credentials().clone())?;
        let url = self.url.clone();
        let pace = self.rate_per_minute.map_or(60_000, i64::from);
        let built = (|| {
            let o: FakeConnectorOptions =
                self::options(env, "options", options, CONNECTOR_OPTIONS)?.unwrap_or_default();
            let requests_per_minute = Some(o.requests_per_minute.unwrap_or(pace));
            Ok::<_, Error>(match self.platform {
                PlatformKind::WooCommerce => Either3::A(WooCommerce::build(WooCommerceOptions {
                    url,
                    consumer_key: creds.consumer_key,
                    consumer_secret: creds.consumer_secret,
                    auth: o.auth,
                    allow_basic_over_http: None,
                    store: o.store,
                    currency: o.currency,
                    page_size: o.page_size,
                    requests_per_minute,
                    timeout_ms: o.timeout_ms,
                    connect_timeout_ms: o.connect_timeout_ms,
                    max_attempts: o.max_attempts,
                    user_agent: o.user_agent,
                })?),
                PlatformKind::Shopify => Either3::B(Shopify::build(ShopifyOptions {
                    shop: url,
                    access_token: creds.access_token,
                    api_version: o.api_version,
                    store: o.store,
                    currency: o.currency,
                    page_size: o.page_size,
                    bucket: o.bucket,
                    timeout_ms: o.timeout_ms,
                    connect_timeout_ms: o.connect_timeout_ms,
                    max_attempts: o.max_attempts,
                    user_agent: o.user_agent,
                })?),
                PlatformKind::Magento => {
                    let mut m = MagentoOptions {
                        url,
                        store: o.store,
                        currency: o.currency,
                        page_size: o.page_size,
                        requests_per_minute,
                        timeout_ms: o.timeout_ms,
                        connect_timeout_ms: o.connect_timeout_ms,
                        max_attempts: o.max_attempts,
                        user_agent: o.user_agent,
                        ..MagentoOptions::default()
                    };
                    match o.auth.as_deref().unwrap_or("token") {
                        "token" => {
                            m.token = Some(creds.access_token);
                            m.allow_plain_http = Some(true);
                        }
                        "password" => {
                            m.username = Some(creds.username);
                            m.password = Some(creds.password);
                            m.allow_plain_http = Some(true);
                        }
                        "oauth1" => {
                            m.consumer_key = Some(creds.oauth_consumer_key);
                            m.consumer_secret = Some(creds.oauth_consumer_secret);
                            m.access_token = Some(creds.oauth_token);
                            m.access_token_secret = Some(creds.oauth_token_secret);
                        }
                        other => {
                            return Err(invalid(
                                "auth",
                                format!(
                                    "expected \"token\", \"password\" or \"oauth1\", not {other:?}"
                                ),
                            ));
                        }
                    }
                    Either3::C(Magento::build(m)?)
                }
            })
        })();
        built.js()
    }
}
