//! The manager: a registry of stores (from a TOML file), one database, and everything done
//! with them: check, sync, health, alerts and a customer view across stores.
//!
//! ```toml
//! database = "nexus.db"        # a SQLite file (relative to this file) or a postgres:// URL
//! concurrency = 4              # stores synced at once
//!
//! [defaults]                   # options every store takes unless it sets its own
//! page_size = 100
//! rules = "rules.yaml"         # a quality rule file (see nexus_core::quality)
//!
//! [stores.shop-eu]
//! platform = "woocommerce"
//! url = "https://shop.example.com"
//! consumer_key = "env:SHOP_EU_WOO_KEY"        # read from the environment
//! consumer_secret = "env:SHOP_EU_WOO_SECRET"
//! rate_limit = 120                            # requests per minute
//! entities = ["customers", "orders"]
//!
//! [stores.us]
//! platform = "shopify"
//! url = "us-shop.myshopify.com"
//! access_token = "secret:shopify/us"          # asked of the host's secrets callback
//!
//! [[alerts]]
//! when = "freshness"
//! above_minutes = 120
//! ```
//!
//! Credentials are never written in the file: each credential field holds a reference,
//! `env:NAME` (an environment variable) or `secret:NAME` (resolved by the callback the host
//! application gives, [`ManagerOptions::secrets`]). A plain-text value is refused with an
//! error naming the key ([`Error::Settings`]); resolved secrets live only inside the
//! connectors, which never show them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::health::{self, Alert, AlertRule, HealthReport};
use crate::model::{Currency, EntityKind, PlatformKind, Timestamp};
use crate::platform::{
    HttpOptions, Magento, Platform, ReadOptions, RetryPolicy, Shopify, StoreInfo, WooCommerce,
};
use crate::quality::RuleSet;
use crate::store::{self, ReadFilter, Store};
use crate::sync::{ErrorInfo, ProgressFn, Source, SyncOptions, SyncReport, Syncer};

/// Resolves `secret:NAME` references (a vault, a keyring, the host's settings).
pub type SecretsFn = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// An alert callback.
pub type AlertFn = Arc<dyn Fn(&Alert) + Send + Sync>;

/// The credential fields a store entry may hold; each must be a reference.
const SECRET_FIELDS: [&str; 9] = [
    "consumer_key",
    "consumer_secret",
    "access_token",
    "username",
    "password",
    "oauth_consumer_key",
    "oauth_consumer_secret",
    "oauth_token",
    "oauth_token_secret",
];

/// One store of the registry, as the file describes it (credentials as references).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `woocommerce`, `shopify` or `magento`.
    pub platform: String,
    /// The store's URL (Shopify: the shop's domain).
    pub url: String,
    /// WooCommerce consumer key / Magento OAuth consumer key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer_key: Option<String>,
    /// WooCommerce consumer secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer_secret: Option<String>,
    /// Shopify access token / Magento integration token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// Magento admin user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Magento admin password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Magento OAuth 1.0a consumer key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_consumer_key: Option<String>,
    /// Magento OAuth 1.0a consumer secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_consumer_secret: Option<String>,
    /// Magento OAuth 1.0a access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_token: Option<String>,
    /// Magento OAuth 1.0a access token secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_token_secret: Option<String>,
    /// Magento store view code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_code: Option<String>,
    /// The store's currency, for payloads without one (learnt from the store otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Requests per minute (WooCommerce, Magento); Shopify: the bucket's leak per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// Records per page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// The entities to sync (all the platform offers when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<String>>,
    /// A quality rule file (YAML or JSON), relative to the registry file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
    /// Whether the rules' cleansers fix records before they are written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanse: Option<bool>,
    /// Seconds read again before the checkpoint (clock skew, late writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_seconds: Option<u64>,
    /// Seconds before a request times out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<f64>,
    /// Attempts per request (retries included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// Allows plain `http://` with a token or password (local and test stores only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_plain_http: Option<bool>,
}

impl StoreConfig {
    fn secret_fields(&self) -> [(&'static str, Option<&String>); 9] {
        [
            ("consumer_key", self.consumer_key.as_ref()),
            ("consumer_secret", self.consumer_secret.as_ref()),
            ("access_token", self.access_token.as_ref()),
            ("username", self.username.as_ref()),
            ("password", self.password.as_ref()),
            ("oauth_consumer_key", self.oauth_consumer_key.as_ref()),
            ("oauth_consumer_secret", self.oauth_consumer_secret.as_ref()),
            ("oauth_token", self.oauth_token.as_ref()),
            ("oauth_token_secret", self.oauth_token_secret.as_ref()),
        ]
    }

    /// Fills what this entry leaves unset from `defaults`.
    fn with_defaults(mut self, d: &StoreConfig) -> Self {
        macro_rules! fill {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = d.$f.clone(); } )* };
        }
        fill!(
            store_code,
            currency,
            rate_limit,
            page_size,
            entities,
            rules,
            cleanse,
            overlap_seconds,
            timeout_seconds,
            max_attempts,
            allow_plain_http
        );
        self
    }
}

/// The registry file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagerConfig {
    /// The database: a SQLite file (relative to the registry file) or a `postgres://` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// Stores synced at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    /// Options every store takes unless it sets its own (`platform` and `url` ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<DefaultsConfig>,
    /// The stores, by name.
    #[serde(default)]
    pub stores: BTreeMap<String, StoreConfig>,
    /// Alert rules (the defaults when absent: see [`health::default_alert_rules`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Vec<AlertRule>>,
}

/// Options shared by every store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultsConfig {
    /// See [`StoreConfig::currency`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// See [`StoreConfig::rate_limit`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// See [`StoreConfig::page_size`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// See [`StoreConfig::entities`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<String>>,
    /// See [`StoreConfig::rules`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
    /// See [`StoreConfig::cleanse`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanse: Option<bool>,
    /// See [`StoreConfig::overlap_seconds`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_seconds: Option<u64>,
    /// See [`StoreConfig::timeout_seconds`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<f64>,
    /// See [`StoreConfig::max_attempts`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// See [`StoreConfig::allow_plain_http`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_plain_http: Option<bool>,
}

impl DefaultsConfig {
    fn as_store(&self) -> StoreConfig {
        StoreConfig {
            currency: self.currency.clone(),
            rate_limit: self.rate_limit,
            page_size: self.page_size,
            entities: self.entities.clone(),
            rules: self.rules.clone(),
            cleanse: self.cleanse,
            overlap_seconds: self.overlap_seconds,
            timeout_seconds: self.timeout_seconds,
            max_attempts: self.max_attempts,
            allow_plain_http: self.allow_plain_http,
            ..StoreConfig::default()
        }
    }
}

fn settings(file: Option<&Path>, key: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Settings {
        file: file.map(|f| f.display().to_string()),
        key: key.into(),
        message: message.into(),
    }
}

impl ManagerConfig {
    /// Reads a registry file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| settings(Some(path), "", format!("cannot read the file: {e}")))?;
        Self::parse(&text, Some(path))
    }

    /// Reads a registry from TOML text.
    pub fn from_toml(text: &str) -> Result<Self> {
        Self::parse(text, None)
    }

    fn parse(text: &str, file: Option<&Path>) -> Result<Self> {
        let cfg: ManagerConfig = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let message = e.message().to_owned();
            settings(
                file,
                line.map(|l| format!("line {l}")).unwrap_or_default(),
                message,
            )
        })?;
        for (name, s) in &cfg.stores {
            validate_store(name, s, file)?;
        }
        if let Some(rules) = &cfg.alerts {
            for (i, r) in rules.iter().enumerate() {
                r.validate()
                    .map_err(|m| settings(file, format!("alerts[{i}]"), m))?;
            }
        }
        Ok(cfg)
    }

    /// The registry as TOML (credentials stay references).
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self).map_err(|e| settings(None, "", e.to_string()))
    }
}

/// Checks an entry: a known platform, a URL, credentials as references only.
fn validate_store(name: &str, s: &StoreConfig, file: Option<&Path>) -> Result<()> {
    let key = |f: &str| format!("stores.{name}.{f}");
    if name.trim().is_empty() {
        return Err(settings(file, "stores", "a store needs a name"));
    }
    s.platform
        .parse::<PlatformKind>()
        .map_err(|e| settings(file, key("platform"), e.to_string()))?;
    if s.url.trim().is_empty() {
        return Err(settings(file, key("url"), "the store's URL is missing"));
    }
    for (field, value) in s.secret_fields() {
        if let Some(v) = value {
            if !(v.starts_with("env:") || v.starts_with("secret:")) || v.ends_with(':') {
                return Err(settings(
                    file,
                    key(field),
                    "a credential is written in the file in plain text; write a reference instead: \
                     \"env:VARIABLE\" (an environment variable) or \"secret:NAME\" (the host's secrets callback)",
                ));
            }
        }
    }
    if let Some(c) = &s.currency {
        Currency::parse(c).map_err(|e| settings(file, key("currency"), e.to_string()))?;
    }
    if let Some(list) = &s.entities {
        for e in list {
            e.parse::<EntityKind>()
                .map_err(|err| settings(file, key("entities"), err.to_string()))?;
        }
    }
    debug_assert_eq!(SECRET_FIELDS.len(), s.secret_fields().len());
    Ok(())
}

/// How a manager is opened.
#[derive(Clone, Default)]
pub struct ManagerOptions {
    /// The database, overriding the file's `database` (a SQLite path or a `postgres://`
    /// URL).
    pub database: Option<String>,
    /// Resolves `secret:NAME` references.
    pub secrets: Option<SecretsFn>,
    /// Called with every alert raised after a sync.
    pub on_alert: Option<AlertFn>,
    /// Transport settings for every connector (tests use short timeouts).
    pub http: Option<HttpOptions>,
}

impl std::fmt::Debug for ManagerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerOptions")
            .field("database", &self.database.as_deref().map(redact_url))
            .field("secrets", &self.secrets.is_some())
            .field("on_alert", &self.on_alert.is_some())
            .finish()
    }
}

/// A database location with any password hidden.
fn redact_url(s: &str) -> String {
    match url::Url::parse(s) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => s.to_owned(),
    }
}

/// A store as listed: no credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreEntry {
    /// Its name.
    pub name: String,
    /// Its platform.
    pub platform: PlatformKind,
    /// Its URL.
    pub url: String,
    /// The entities it syncs.
    pub entities: Vec<EntityKind>,
}

/// What checking a store found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The store.
    pub store: String,
    /// Its platform.
    pub platform: PlatformKind,
    /// Whether it answered and accepted the credentials.
    pub ok: bool,
    /// What it said about itself.
    pub info: Option<StoreInfo>,
    /// What went wrong.
    pub error: Option<ErrorInfo>,
    /// Seconds the check took.
    pub seconds: f64,
}

/// A customer matched across stores by normalized email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossStoreCustomer {
    /// The email, trimmed and lower-cased.
    pub email: String,
    /// The customer records it matches: (platform, store, id).
    pub records: Vec<(PlatformKind, String, String)>,
    /// The stores with orders from this email.
    pub stores: Vec<String>,
    /// Orders across all stores (guest orders with the email included).
    pub orders: u64,
    /// Revenue per currency (order totals, refunds deducted).
    pub revenue: BTreeMap<Currency, Decimal>,
    /// The first order.
    pub first_order: Option<Timestamp>,
    /// The latest order.
    pub last_order: Option<Timestamp>,
}

/// A registry of stores with their database.
pub struct Manager {
    config: ManagerConfig,
    base: PathBuf,
    file: Option<PathBuf>,
    db: Arc<dyn Store>,
    secrets: Option<SecretsFn>,
    on_alert: Option<AlertFn>,
    http: Option<HttpOptions>,
    connectors: std::sync::Mutex<BTreeMap<String, Arc<dyn Platform>>>,
}

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager")
            .field("stores", &self.config.stores.keys().collect::<Vec<_>>())
            .field("db", &self.db)
            .finish()
    }
}

impl Manager {
    /// Opens the registry file and its database (created and migrated when needed).
    pub async fn from_toml(path: impl AsRef<Path>, options: ManagerOptions) -> Result<Self> {
        let path = path.as_ref();
        let config = ManagerConfig::from_file(path)?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::open_in(config, base, Some(path.to_path_buf()), options).await
    }

    /// Opens a registry given in code; relative paths are taken from the working directory.
    pub async fn open(config: ManagerConfig, options: ManagerOptions) -> Result<Self> {
        Self::open_in(config, PathBuf::from("."), None, options).await
    }

    async fn open_in(
        config: ManagerConfig,
        base: PathBuf,
        file: Option<PathBuf>,
        options: ManagerOptions,
    ) -> Result<Self> {
        for (name, s) in &config.stores {
            validate_store(name, s, file.as_deref())?;
        }
        let location = options
            .database
            .clone()
            .or_else(|| config.database.clone())
            .unwrap_or_else(|| "nexus.db".to_owned());
        let location = if location.starts_with("postgres://")
            || location.starts_with("postgresql://")
            || location.starts_with("sqlite:")
            || Path::new(&location).is_absolute()
        {
            location
        } else {
            base.join(&location).display().to_string()
        };
        let db = store::open(&location).await?;
        Ok(Manager {
            config,
            base,
            file,
            db,
            secrets: options.secrets,
            on_alert: options.on_alert,
            http: options.http,
            connectors: std::sync::Mutex::new(BTreeMap::new()),
        })
    }

    /// The database.
    pub fn database(&self) -> &Arc<dyn Store> {
        &self.db
    }

    /// The registry.
    pub fn config(&self) -> &ManagerConfig {
        &self.config
    }

    /// The stores, by name (no credentials).
    pub fn stores(&self) -> Vec<StoreEntry> {
        self.config
            .stores
            .iter()
            .filter_map(|(name, s)| {
                let platform = s.platform.parse().ok()?;
                Some(StoreEntry {
                    name: name.clone(),
                    platform,
                    url: s.url.clone(),
                    entities: self.entities_of(s),
                })
            })
            .collect()
    }

    fn entities_of(&self, s: &StoreConfig) -> Vec<EntityKind> {
        let d = self.defaults();
        let s = s.clone().with_defaults(&d);
        match &s.entities {
            Some(list) => list.iter().filter_map(|e| e.parse().ok()).collect(),
            None => vec![
                EntityKind::Customer,
                EntityKind::Product,
                EntityKind::Order,
                EntityKind::Refund,
            ],
        }
    }

    fn defaults(&self) -> StoreConfig {
        self.config
            .defaults
            .as_ref()
            .map(DefaultsConfig::as_store)
            .unwrap_or_default()
    }

    /// Adds a store (replacing none: the name must be new).
    pub fn add(&mut self, name: &str, store: StoreConfig) -> Result<()> {
        if self.config.stores.contains_key(name) {
            return Err(settings(
                self.file.as_deref(),
                format!("stores.{name}"),
                "a store of this name is already registered",
            ));
        }
        validate_store(name, &store, self.file.as_deref())?;
        self.config.stores.insert(name.to_owned(), store);
        Ok(())
    }

    /// Removes a store from the registry (its data stays in the database).
    pub fn remove(&mut self, name: &str) -> Result<StoreConfig> {
        self.connectors_lock().remove(name);
        self.config
            .stores
            .remove(name)
            .ok_or_else(|| unknown_store(name))
    }

    /// Writes the registry back to its file (or to `path`), credentials as references.
    pub fn save(&self, path: Option<&Path>) -> Result<()> {
        let target = path
            .map(Path::to_path_buf)
            .or_else(|| self.file.clone())
            .ok_or_else(|| settings(None, "", "the registry has no file: give a path"))?;
        let text = self.config.to_toml()?;
        std::fs::write(&target, text)
            .map_err(|e| settings(Some(&target), "", format!("cannot write the file: {e}")))
    }

    fn connectors_lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<dyn Platform>>> {
        self.connectors.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn resolve(
        &self,
        name: &str,
        field: &str,
        reference: Option<&String>,
    ) -> Result<Option<String>> {
        let Some(r) = reference else { return Ok(None) };
        let key = format!("stores.{name}.{field}");
        if let Some(var) = r.strip_prefix("env:") {
            return std::env::var(var).map(Some).map_err(|_| {
                settings(
                    self.file.as_deref(),
                    key,
                    format!("the environment variable {var} is not set"),
                )
            });
        }
        if let Some(secret) = r.strip_prefix("secret:") {
            let f = self.secrets.as_ref().ok_or_else(|| {
                settings(
                    self.file.as_deref(),
                    key.clone(),
                    "names a secret, but no secrets callback was given",
                )
            })?;
            return f(secret).map(Some).ok_or_else(|| {
                settings(
                    self.file.as_deref(),
                    key,
                    format!("the secrets callback has no secret {secret:?}"),
                )
            });
        }
        Err(settings(
            self.file.as_deref(),
            key,
            "not a credential reference",
        ))
    }

    /// The connector of a store, built on first use.
    pub fn connector(&self, name: &str) -> Result<Arc<dyn Platform>> {
        if let Some(c) = self.connectors_lock().get(name) {
            return Ok(c.clone());
        }
        let s = self
            .config
            .stores
            .get(name)
            .ok_or_else(|| unknown_store(name))?
            .clone()
            .with_defaults(&self.defaults());
        let conn = self.build(name, &s)?;
        self.connectors_lock().insert(name.to_owned(), conn.clone());
        Ok(conn)
    }

    fn build(&self, name: &str, s: &StoreConfig) -> Result<Arc<dyn Platform>> {
        let platform: PlatformKind = s.platform.parse().map_err(|e: Error| {
            settings(
                self.file.as_deref(),
                format!("stores.{name}.platform"),
                e.to_string(),
            )
        })?;
        let mut http = self.http.clone().unwrap_or_default();
        if let Some(t) = s.timeout_seconds {
            http.timeout = Duration::from_secs_f64(t.max(0.001));
        }
        if let Some(n) = s.max_attempts {
            http.retry = RetryPolicy {
                max_attempts: n.max(1),
                ..http.retry
            };
        }
        let currency = s.currency.as_deref().and_then(Currency::new);
        let r = |field: &str, v: Option<&String>| self.resolve(name, field, v);
        let missing = |what: &str| {
            settings(
                self.file.as_deref(),
                format!("stores.{name}"),
                format!("{platform} needs {what}"),
            )
        };
        let conn: Arc<dyn Platform> = match platform {
            PlatformKind::WooCommerce => {
                let key = r("consumer_key", s.consumer_key.as_ref())?
                    .ok_or_else(|| missing("consumer_key"))?;
                let secret = r("consumer_secret", s.consumer_secret.as_ref())?
                    .ok_or_else(|| missing("consumer_secret"))?;
                let mut b = WooCommerce::builder(s.url.clone())
                    .consumer_key(key)
                    .consumer_secret(secret)
                    .store_name(name)
                    .http(http);
                if let Some(c) = currency {
                    b = b.currency(c);
                }
                if let Some(n) = s.page_size {
                    b = b.page_size(n);
                }
                if let Some(n) = s.rate_limit {
                    b = b.requests_per_minute(n);
                }
                Arc::new(b.build()?)
            }
            PlatformKind::Shopify => {
                let token = r("access_token", s.access_token.as_ref())?
                    .ok_or_else(|| missing("access_token"))?;
                let mut b = Shopify::builder(s.url.clone())
                    .access_token(token)
                    .store_name(name)
                    .http(http);
                if let Some(c) = currency {
                    b = b.currency(c);
                }
                if let Some(n) = s.page_size {
                    b = b.page_size(n);
                }
                if let Some(n) = s.rate_limit {
                    b = b.bucket(40, f64::from(n) / 60.0, 0);
                }
                Arc::new(b.build()?)
            }
            PlatformKind::Magento => {
                let mut b = Magento::builder(s.url.clone()).store_name(name).http(http);
                if let Some(t) = r("access_token", s.access_token.as_ref())? {
                    b = b.access_token(t);
                } else if let (Some(u), Some(p)) = (
                    r("username", s.username.as_ref())?,
                    r("password", s.password.as_ref())?,
                ) {
                    b = b.admin_credentials(u, p);
                } else if let (Some(a), Some(b2), Some(c), Some(d)) = (
                    r("oauth_consumer_key", s.oauth_consumer_key.as_ref())?,
                    r("oauth_consumer_secret", s.oauth_consumer_secret.as_ref())?,
                    r("oauth_token", s.oauth_token.as_ref())?,
                    r("oauth_token_secret", s.oauth_token_secret.as_ref())?,
                ) {
                    b = b.oauth1(a, b2, c, d);
                } else {
                    return Err(missing(
                        "access_token, username and password, or the four oauth_ fields",
                    ));
                }
                if let Some(code) = &s.store_code {
                    b = b.store_code(code.clone());
                }
                if let Some(c) = currency {
                    b = b.currency(c);
                }
                if let Some(n) = s.page_size {
                    b = b.page_size(n);
                }
                if let Some(n) = s.rate_limit {
                    b = b.requests_per_minute(n);
                }
                if s.allow_plain_http == Some(true) {
                    b = b.allow_plain_http(true);
                }
                Arc::new(b.build()?)
            }
        };
        Ok(conn)
    }

    /// A store's quality rules: its rule file, else the default pack.
    fn rules_of(&self, name: &str) -> Result<RuleSet> {
        let s = self
            .config
            .stores
            .get(name)
            .ok_or_else(|| unknown_store(name))?
            .clone()
            .with_defaults(&self.defaults());
        match &s.rules {
            Some(file) => RuleSet::from_file(self.base.join(file)),
            None => Ok(RuleSet::default_pack()),
        }
    }

    fn source(&self, name: &str) -> Result<Source> {
        let s = self
            .config
            .stores
            .get(name)
            .ok_or_else(|| unknown_store(name))?
            .clone()
            .with_defaults(&self.defaults());
        let rules = self.rules_of(name)?;
        let mut read = ReadOptions::default();
        if let Some(o) = s.overlap_seconds {
            read.overlap = Duration::from_secs(o);
        }
        Ok(Source {
            name: name.to_owned(),
            platform: self.connector(name)?,
            options: SyncOptions {
                entities: Some(self.entities_of(&s)),
                read,
                rules: Arc::new(rules),
                cleanse: s.cleanse.unwrap_or(false),
                quarantine_errors: true,
            },
        })
    }

    fn names(&self, stores: Option<&[&str]>) -> Result<Vec<String>> {
        match stores {
            None => Ok(self.config.stores.keys().cloned().collect()),
            Some(list) => list
                .iter()
                .map(|n| {
                    self.config
                        .stores
                        .contains_key(*n)
                        .then(|| (*n).to_owned())
                        .ok_or_else(|| unknown_store(n))
                })
                .collect(),
        }
    }

    /// Checks the connection and credentials of every store (or of some), concurrently.
    pub async fn check_all(&self) -> Vec<CheckResult> {
        self.check(None).await.unwrap_or_default()
    }

    /// Checks some stores (all when `None`), concurrently.
    pub async fn check(&self, stores: Option<&[&str]>) -> Result<Vec<CheckResult>> {
        let names = self.names(stores)?;
        let mut tasks = tokio::task::JoinSet::new();
        for (i, name) in names.iter().enumerate() {
            let conn = self.connector(name);
            let name = name.clone();
            let platform = self
                .config
                .stores
                .get(&name)
                .and_then(|s| s.platform.parse().ok())
                .unwrap_or(PlatformKind::WooCommerce);
            tasks.spawn(async move {
                let started = Instant::now();
                let result = match conn {
                    Ok(c) => c.check().await,
                    Err(e) => Err(e),
                };
                let (ok, info, error) = match result {
                    Ok(info) => (true, Some(info), None),
                    Err(e) => (false, None, Some(ErrorInfo::from(&e))),
                };
                (
                    i,
                    CheckResult {
                        store: name,
                        platform,
                        ok,
                        info,
                        error,
                        seconds: started.elapsed().as_secs_f64(),
                    },
                )
            });
        }
        let mut out: Vec<Option<CheckResult>> = vec![None; names.len()];
        while let Some(Ok((i, r))) = tasks.join_next().await {
            out[i] = Some(r);
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Syncs every store.
    pub async fn sync_all(&self) -> Result<SyncReport> {
        self.sync(None, None).await
    }

    /// Syncs one store.
    pub async fn sync_store(&self, name: &str) -> Result<SyncReport> {
        self.sync(Some(&[name]), None).await
    }

    /// Syncs some stores (all when `None`), concurrently, with progress; evaluates the
    /// alert rules afterwards and hands raised alerts to the alert callback.
    pub async fn sync(
        &self,
        stores: Option<&[&str]>,
        progress: Option<ProgressFn>,
    ) -> Result<SyncReport> {
        self.sync_with(stores, progress, crate::sync::Cancel::new())
            .await
    }

    /// [`Self::sync`] with a cancellation token.
    pub async fn sync_with(
        &self,
        stores: Option<&[&str]>,
        progress: Option<ProgressFn>,
        cancel: crate::sync::Cancel,
    ) -> Result<SyncReport> {
        let names = self.names(stores)?;
        let mut sources = Vec::with_capacity(names.len());
        let mut failed = Vec::new();
        for n in &names {
            match self.source(n) {
                Ok(s) => sources.push(s),
                // A store that cannot even be set up (a missing variable) is reported as
                // failed; the others sync.
                Err(e) => failed.push((n.clone(), e)),
            }
        }
        let mut syncer = Syncer::new(self.db.clone())
            .concurrency(self.config.concurrency.unwrap_or(4))
            .with_cancel(cancel);
        if let Some(p) = progress {
            syncer = syncer.on_progress(move |e| p(e));
        }
        let mut report = syncer.sync(&sources).await;
        for (name, e) in failed {
            let platform = self
                .config
                .stores
                .get(&name)
                .and_then(|s| s.platform.parse().ok())
                .unwrap_or(PlatformKind::WooCommerce);
            let at = chrono::Utc::now();
            let r = crate::sync::StoreReport {
                store: name.clone(),
                platform,
                started_at: at,
                finished_at: at,
                ok: false,
                entities: vec![],
                quality: crate::quality::QualityTally::default().summary(&RuleSet::default_pack()),
                requests: Default::default(),
                error: Some(ErrorInfo::from(&e)),
            };
            let _ = self
                .db
                .save_run(&store::RunRecord {
                    run_id: report.run_id.clone(),
                    store: name,
                    platform,
                    started_at: at,
                    finished_at: at,
                    ok: false,
                    report: serde_json::to_value(&r).unwrap_or_default(),
                })
                .await;
            report.stores.push(r);
        }
        // Alerts after every run.
        match self.alerts().await {
            Ok(alerts) => {
                for a in &alerts {
                    if let Some(f) = &self.on_alert {
                        f(a);
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "alert rules could not be evaluated"),
        }
        Ok(report)
    }

    /// The health of every registered store.
    pub async fn health(&self) -> Result<HealthReport> {
        let names: Vec<(String, PlatformKind)> = self
            .stores()
            .into_iter()
            .map(|s| (s.name, s.platform))
            .collect();
        health::health(self.db.as_ref(), &names, &self.alert_rules()).await
    }

    fn alert_rules(&self) -> Vec<AlertRule> {
        self.config
            .alerts
            .clone()
            .unwrap_or_else(health::default_alert_rules)
    }

    /// Evaluates the alert rules now; raised alerts are also logged with `tracing`.
    pub async fn alerts(&self) -> Result<Vec<Alert>> {
        let h = self.health().await?;
        Ok(health::evaluate(&h, &self.alert_rules()))
    }

    /// The latest run of each store, from the sync history.
    pub async fn report(&self) -> Result<Vec<crate::sync::StoreReport>> {
        let mut out = Vec::new();
        for s in self.stores() {
            if let Some(run) = self.db.runs(Some(&s.name), 1).await?.into_iter().next() {
                if let Ok(r) = serde_json::from_value(run.report) {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// A quality report over everything stored (or one store's records, checked with that
    /// store's rules), cross-entity rules included. Quarantined records are not in it:
    /// they are in [`Store::quarantined`].
    pub async fn quality_report(
        &self,
        store: Option<&str>,
    ) -> Result<crate::quality::QualityReport> {
        let (filter, rules) = match store {
            Some(name) => (ReadFilter::store(name), self.rules_of(name)?),
            None => (ReadFilter::all(), RuleSet::default_pack()),
        };
        let data = crate::quality::Dataset {
            orders: self.db.orders(&filter).await?,
            customers: self.db.customers(&filter).await?,
            products: self.db.products(&filter).await?,
            variants: Vec::new(),
            refunds: self.db.refunds(&filter).await?,
        };
        Ok(crate::quality::QualityEngine::new(rules).check_dataset(&data))
    }

    /// Customers matched across stores and platforms by normalized email, with their
    /// combined orders (guest orders with the same email included).
    pub async fn customers_across(&self) -> Result<Vec<CrossStoreCustomer>> {
        cross_store_customers(self.db.as_ref()).await
    }
}

fn unknown_store(name: &str) -> Error {
    Error::InvalidArgument {
        name: "store",
        message: format!("no store named {name:?} is registered"),
    }
}

/// See [`Manager::customers_across`].
pub async fn cross_store_customers(db: &dyn Store) -> Result<Vec<CrossStoreCustomer>> {
    let all = ReadFilter::all();
    let customers = db.customers(&all).await?;
    let orders = db.orders(&all).await?;
    let mut by_email: BTreeMap<String, CrossStoreCustomer> = BTreeMap::new();
    let mut email_of: BTreeMap<(PlatformKind, String, String), String> = BTreeMap::new();
    let entry = |m: &mut BTreeMap<String, CrossStoreCustomer>, email: &str| {
        m.entry(email.to_owned())
            .or_insert_with(|| CrossStoreCustomer {
                email: email.to_owned(),
                records: vec![],
                stores: vec![],
                orders: 0,
                revenue: BTreeMap::new(),
                first_order: None,
                last_order: None,
            })
            .email
            .clone()
    };
    for c in &customers {
        let Some(email) = crate::store::normalized_email(c.email.as_deref()) else {
            continue;
        };
        entry(&mut by_email, &email);
        let key = (
            c.source.platform,
            c.source.store.clone(),
            c.source.id.clone(),
        );
        if let Some(e) = by_email.get_mut(&email) {
            e.records.push(key.clone());
        }
        email_of.insert(key, email);
    }
    let mut stores: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for o in &orders {
        if matches!(
            o.status,
            crate::model::OrderStatus::Cancelled
                | crate::model::OrderStatus::Failed
                | crate::model::OrderStatus::Draft
        ) {
            continue;
        }
        let email = o
            .customer_id
            .as_ref()
            .and_then(|id| {
                email_of
                    .get(&(o.source.platform, o.source.store.clone(), id.clone()))
                    .cloned()
            })
            .or_else(|| crate::store::normalized_email(o.email.as_deref()));
        let Some(email) = email else { continue };
        entry(&mut by_email, &email);
        if let Some(e) = by_email.get_mut(&email) {
            e.orders += 1;
            *e.revenue.entry(o.currency).or_default() += o.total.amount - o.refunded_total.amount;
            e.first_order = Some(e.first_order.map_or(o.created_at, |t| t.min(o.created_at)));
            e.last_order = Some(e.last_order.map_or(o.created_at, |t| t.max(o.created_at)));
            stores
                .entry(email)
                .or_default()
                .insert(o.source.store.clone());
        }
    }
    Ok(by_email
        .into_values()
        .map(|mut c| {
            c.stores = stores
                .remove(&c.email)
                .unwrap_or_default()
                .into_iter()
                .collect();
            c
        })
        .collect())
}
