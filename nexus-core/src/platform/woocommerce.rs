//! The WooCommerce REST API v3 connector (`/wp-json/wc/v3`).
//!
//! - **Authentication.** Over HTTPS, HTTP Basic with the consumer key and secret. Over plain
//!   HTTP, OAuth 1.0a one-legged signing (HMAC-SHA256, key = consumer secret + `&`, nonce and
//!   timestamp, parameters in the query string), exactly as WooCommerce verifies it. Basic
//!   credentials are never sent over plain HTTP unless the builder is told
//!   [`allow_basic_over_http`](WooCommerceBuilder::allow_basic_over_http).
//! - **Paging and changes.** Orders and products are read by keyset on their GMT
//!   modification time: `modified_after` / `modified_before` with `dates_are_gmt=true`,
//!   `orderby=modified&order=asc`, `per_page` up to 100. Customers have no modification
//!   filter in the REST API, and stores older than WooCommerce 5.8 lack it for orders and
//!   products too (the connector checks the API index once): those are read in full, by
//!   id, and only the records modified inside the window are kept. The creation filter
//!   `after` is never used for changes: it misses edited records.
//! - **Refunds** have no modification filter; a refund moves its order's modification time,
//!   so refunds are read per changed order (`/orders/<id>/refunds`).
//! - **Rate.** Requests are paced to the configured rate (300 a minute by default).
//! - **Errors.** WooCommerce error bodies (`{"code", "message", "data": {"status"}}`) become
//!   typed errors that keep the code.

use std::sync::Mutex;

use async_trait::async_trait;
use base64::Engine;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Deserialize;

use super::http::{HttpClient, HttpOptions, Request, Response, parse_json, site_url, snippet};
use super::oauth1::{self, SignatureMethod};
use super::rate::RateLimit;
use super::{
    Capabilities, Page, PageToken, Platform, ReadWindow, Secret, StoreInfo, StoreLabel, SyncCursor,
};
use crate::error::{Error, Result};
use crate::mapping::Mapper;
use crate::model::{Currency, EntityKind, PlatformKind, Timestamp};

const PLATFORM: PlatformKind = PlatformKind::WooCommerce;

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WooAuth {
    /// Basic over HTTPS, OAuth 1.0a over HTTP.
    Auto,
    /// HTTP Basic (refused over plain HTTP unless allowed).
    Basic,
    /// OAuth 1.0a query-string signing.
    OAuth1,
}

/// Builds a [`WooCommerce`] connector; `build()` checks the settings.
#[derive(Debug, Clone)]
pub struct WooCommerceBuilder {
    url: String,
    consumer_key: Option<Secret>,
    consumer_secret: Option<Secret>,
    auth: WooAuth,
    allow_basic_over_http: bool,
    store: String,
    currency: Option<Currency>,
    page_size: u32,
    requests_per_minute: u32,
    http: HttpOptions,
}

impl WooCommerceBuilder {
    /// The consumer key (`ck_...`).
    pub fn consumer_key(mut self, key: impl Into<Secret>) -> Self {
        self.consumer_key = Some(key.into());
        self
    }

    /// The consumer secret (`cs_...`).
    pub fn consumer_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.consumer_secret = Some(secret.into());
        self
    }

    /// How requests are authenticated (default: Basic over HTTPS, OAuth 1.0a over HTTP).
    pub fn auth(mut self, auth: WooAuth) -> Self {
        self.auth = auth;
        self
    }

    /// Allows HTTP Basic over plain HTTP (credentials travel readable: only for a store
    /// on a trusted network).
    pub fn allow_basic_over_http(mut self, allow: bool) -> Self {
        self.allow_basic_over_http = allow;
        self
    }

    /// The store's name in Nexus (`source.store` of its records).
    pub fn store_name(mut self, name: impl Into<String>) -> Self {
        self.store = name.into();
        self
    }

    /// The store's currency, for payloads that carry none (`check()` also finds it).
    pub fn currency(mut self, currency: Currency) -> Self {
        self.currency = Some(currency);
        self
    }

    /// Records per page, 1 to 100 (default 100).
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n;
        self
    }

    /// Requests a minute, paced evenly (default 300).
    pub fn requests_per_minute(mut self, n: u32) -> Self {
        self.requests_per_minute = n;
        self
    }

    /// Transport settings (timeouts, retries, user agent, rate limit override).
    pub fn http(mut self, http: HttpOptions) -> Self {
        self.http = http;
        self
    }

    /// Checks the settings and builds the connector.
    pub fn build(self) -> Result<WooCommerce> {
        let config = |message: String| Error::Config {
            platform: PLATFORM,
            message,
        };
        let mut site = site_url(PLATFORM, "the store URL", &self.url)?;
        let trimmed = site
            .path()
            .trim_end_matches('/')
            .trim_end_matches("/wp-json/wc/v3")
            .trim_end_matches('/')
            .to_owned();
        site.set_path(&trimmed);
        let key = self
            .consumer_key
            .filter(|k| !k.is_blank())
            .ok_or_else(|| config("a consumer key is required".into()))?;
        let secret = self
            .consumer_secret
            .filter(|k| !k.is_blank())
            .ok_or_else(|| config("a consumer secret is required".into()))?;
        if !(1..=100).contains(&self.page_size) {
            return Err(config(format!(
                "page_size must be 1 to 100, not {}",
                self.page_size
            )));
        }
        if self.requests_per_minute == 0 {
            return Err(config("requests_per_minute must be at least 1".into()));
        }
        let https = site.scheme() == "https";
        let auth = match self.auth {
            WooAuth::Auto if https => WooAuth::Basic,
            WooAuth::Auto => WooAuth::OAuth1,
            other => other,
        };
        if auth == WooAuth::Basic && !https && !self.allow_basic_over_http {
            return Err(config(
                "HTTP Basic would send the consumer secret readable over plain HTTP; use https, \
                 OAuth 1.0a (the default over http), or allow_basic_over_http(true)"
                    .into(),
            ));
        }
        let http = HttpClient::new(
            PLATFORM,
            &self.http,
            RateLimit::PerMinute(self.requests_per_minute),
        )?;
        Ok(WooCommerce {
            site,
            key,
            secret,
            auth,
            http,
            label: StoreLabel::new(PLATFORM, self.store, self.currency),
            page_size: self.page_size,
            filters: Mutex::new(None),
        })
    }
}

/// Which entities the store can filter by modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Filters {
    orders: bool,
    products: bool,
}

/// A WooCommerce store.
#[derive(Debug)]
pub struct WooCommerce {
    site: url::Url,
    key: Secret,
    secret: Secret,
    auth: WooAuth,
    http: HttpClient,
    label: StoreLabel,
    page_size: u32,
    filters: Mutex<Option<Filters>>,
}

/// What the connector reads of a record to page by keyset.
#[derive(Deserialize)]
struct Stamp {
    id: serde_json::Value,
    #[serde(default)]
    date_modified_gmt: Option<String>,
}

impl Stamp {
    /// The record's id as text, when it is a number or a string.
    fn id_text(&self) -> Option<String> {
        super::id_text(&self.id)
    }
}

#[derive(Deserialize)]
struct WooErrorBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

fn gmt(t: Timestamp) -> String {
    t.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string()
}

impl WooCommerce {
    /// Starts a builder for the store at `url` (the site's address, e.g.
    /// `https://shop.example`).
    pub fn builder(url: impl Into<String>) -> WooCommerceBuilder {
        WooCommerceBuilder {
            url: url.into(),
            consumer_key: None,
            consumer_secret: None,
            auth: WooAuth::Auto,
            allow_basic_over_http: false,
            store: "default".to_owned(),
            currency: None,
            page_size: 100,
            requests_per_minute: 300,
            http: HttpOptions::default(),
        }
    }

    /// The authentication in use.
    pub fn auth(&self) -> WooAuth {
        self.auth
    }

    fn endpoint(&self, path: &str) -> url::Url {
        let mut u = self.site.clone();
        let base = u.path().trim_end_matches('/').to_owned();
        u.set_path(&format!("{base}{path}"));
        u
    }

    /// Builds a signed request for `path` (under the site) with `query`.
    fn request(&self, path: &str, query: &[(String, String)], signed: bool) -> Result<Request> {
        let mut url = self.endpoint(path);
        let mut params: Vec<(String, String)> = query.to_vec();
        let mut headers = Vec::new();
        if signed {
            match self.auth {
                WooAuth::Basic | WooAuth::Auto => {
                    let token = base64::engine::general_purpose::STANDARD.encode(format!(
                        "{}:{}",
                        self.key.expose(),
                        self.secret.expose()
                    ));
                    let mut value =
                        HeaderValue::from_str(&format!("Basic {token}")).map_err(|_| {
                            Error::Config {
                                platform: PLATFORM,
                                message: "the credentials are not valid header text".into(),
                            }
                        })?;
                    value.set_sensitive(true);
                    headers.push((AUTHORIZATION, value));
                }
                WooAuth::OAuth1 => {
                    let method = SignatureMethod::HmacSha256;
                    params.push(("oauth_consumer_key".into(), self.key.expose().to_owned()));
                    params.push(("oauth_nonce".into(), oauth1::nonce()));
                    params.push(("oauth_signature_method".into(), method.as_str().into()));
                    params.push((
                        "oauth_timestamp".into(),
                        chrono::Utc::now().timestamp().to_string(),
                    ));
                    let base = oauth1::base_string("GET", url.as_str(), &params);
                    let signature = oauth1::sign(method, &base, self.secret.expose(), "");
                    params.push(("oauth_signature".into(), signature));
                }
            }
        }
        if !params.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        Ok(Request {
            method: reqwest::Method::GET,
            url,
            headers,
            body: None,
        })
    }

    /// Sends a GET and checks that a JSON body came back.
    async fn get(
        &self,
        path: &str,
        query: Vec<(String, String)>,
        signed: bool,
    ) -> Result<Response> {
        self.get_parsed::<serde::de::IgnoredAny>(path, query, signed)
            .await
            .map(|(resp, _)| resp)
    }

    /// [`WooCommerce::get`], with the body read into `T` in the same pass that checks it
    /// (`Err` inside when it is JSON of another shape).
    async fn get_parsed<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: Vec<(String, String)>,
        signed: bool,
    ) -> Result<(Response, std::result::Result<T, serde_json::Error>)> {
        self.http
            .send_parsed(
                || self.request(path, &query, signed),
                |resp| {
                    self.check_status(resp)?;
                    parse_json(PLATFORM, resp.status, &resp.body)
                },
            )
            .await
    }

    /// The error an unsuccessful response stands for (`Ok` for a 2xx).
    fn check_status(&self, resp: &Response) -> Result<()> {
        if (200..300).contains(&resp.status) {
            return Ok(());
        }
        let body: Option<WooErrorBody> = serde_json::from_slice(&resp.body).ok();
        let message = body
            .as_ref()
            .and_then(|b| b.message.clone())
            .unwrap_or_else(|| snippet(&resp.body));
        let code = body.and_then(|b| b.code);
        if resp.status == 401 || resp.status == 403 {
            return Err(Error::Auth {
                platform: PLATFORM,
                status: resp.status,
                message,
            });
        }
        Err(Error::Platform {
            platform: PLATFORM,
            status: resp.status,
            platform_code: code,
            message,
        })
    }

    /// Whether orders and products can be filtered by modification time (read once from
    /// the API index).
    async fn filters(&self) -> Result<Filters> {
        if let Some(f) = *self.filters.lock().map_err(|_| poisoned())? {
            return Ok(f);
        }
        let resp = self.get("/wp-json/wc/v3", Vec::new(), true).await?;
        let index: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
        let has = |route: &str| {
            index["routes"][route]["endpoints"]
                .as_array()
                .is_some_and(|eps| {
                    eps.iter()
                        .any(|ep| ep["args"].get("modified_after").is_some())
                })
        };
        let f = Filters {
            orders: has("/wc/v3/orders"),
            products: has("/wc/v3/products"),
        };
        *self.filters.lock().map_err(|_| poisoned())? = Some(f);
        Ok(f)
    }

    fn base_query(&self) -> Vec<(String, String)> {
        vec![("per_page".into(), self.page_size.to_string())]
    }

    /// One keyset page of a modification-filtered collection.
    ///
    /// Records are asked for from a modification second on, ordered by `(modified, id)`.
    /// When more records than a page share one second (a tie group), WooCommerce has no id
    /// filter to continue from, so the group is read by `offset`; each such request starts
    /// one record early and checks that this record is the last one seen. If it is not, a
    /// record of the group was edited under the read (it left the window and everything
    /// behind it moved up), and the group is read again from its start: the records already
    /// returned are dropped as duplicates, and none can slip between two pages.
    async fn keyset_page(
        &self,
        path: &str,
        window: &ReadWindow,
        token: Option<&PageToken>,
        fields: Option<&str>,
    ) -> Result<(Response, Option<PageToken>, usize)> {
        let (from, mut offset, mut expect) = match token {
            Some(PageToken::Keyset { after, skip }) if *skip > 0 => {
                (Some(after.updated_at), skip - 1, Some(after.id.as_str()))
            }
            Some(PageToken::Keyset { after, .. }) => (Some(after.updated_at), 0, None),
            _ => (window.floor(), 0, None),
        };
        loop {
            let mut query = self.base_query();
            query.push(("offset".into(), offset.to_string()));
            query.push(("orderby".into(), "modified".into()));
            query.push(("order".into(), "asc".into()));
            query.push(("dates_are_gmt".into(), "true".into()));
            query.push(("modified_before".into(), gmt(window.until)));
            if let Some(f) = from {
                // `modified_after` is exclusive and to the second: one second early includes
                // `from`'s own second (the reader drops what it already has).
                query.push((
                    "modified_after".into(),
                    gmt(f - chrono::Duration::seconds(1)),
                ));
            }
            if let Some(f) = fields {
                query.push(("_fields".into(), f.into()));
            }
            let (resp, stamps) = self.get_parsed::<Vec<Stamp>>(path, query, true).await?;
            let stamps = stamps.map_err(|e| Error::InvalidPage {
                platform: PLATFORM,
                status: resp.status,
                message: format!("expected a list of records: {e}"),
            })?;
            if let Some(id) = expect {
                if stamps.first().and_then(Stamp::id_text).as_deref() != Some(id) {
                    tracing::debug!(
                        platform = %PLATFORM,
                        "a tie group changed during the read; reading it again from its start"
                    );
                    offset = 0;
                    expect = None;
                    continue;
                }
            }
            let n = stamps.len();
            let cursor = |s: &Stamp| {
                let t = crate::mapping::de::parse_timestamp(s.date_modified_gmt.as_deref()?)?;
                Some(SyncCursor {
                    updated_at: t,
                    id: s.id_text()?,
                })
            };
            let next = if n < self.page_size as usize {
                None
            } else {
                stamps.last().and_then(cursor).map(|last| {
                    let same = stamps
                        .iter()
                        .filter(|s| cursor(s).is_some_and(|c| c.updated_at == last.updated_at))
                        .count() as u32;
                    // Still inside the group the request started in: count what came before.
                    let skip = if from == Some(last.updated_at) {
                        offset + same
                    } else {
                        same
                    };
                    PageToken::Keyset { after: last, skip }
                })
            };
            return Ok((resp, next, n));
        }
    }

    /// One page of a full read, by id.
    async fn offset_page(
        &self,
        path: &str,
        token: Option<&PageToken>,
    ) -> Result<(Response, Option<PageToken>)> {
        let page = match token {
            Some(PageToken::Offset(p)) => *p,
            _ => 1,
        };
        let mut query = self.base_query();
        query.push(("page".into(), page.to_string()));
        query.push(("orderby".into(), "id".into()));
        query.push(("order".into(), "asc".into()));
        let (resp, items) = self
            .get_parsed::<Vec<serde::de::IgnoredAny>>(path, query, true)
            .await?;
        let total_pages: Option<u32> = resp
            .header("x-wp-totalpages")
            .and_then(|v| v.trim().parse().ok());
        let count = items.map(|v| v.len()).unwrap_or(0);
        let more = match total_pages {
            Some(t) => page < t,
            None => count >= self.page_size as usize,
        };
        Ok((resp, more.then_some(PageToken::Offset(page + 1))))
    }

    fn total(resp: &Response) -> Option<u64> {
        resp.header("x-wp-total")
            .and_then(|v| v.trim().parse().ok())
    }

    /// Refunds of the orders changed in the window, one page of orders at a time.
    async fn refunds_page(&self, window: &ReadWindow, token: Option<&PageToken>) -> Result<Page> {
        let filters = self.filters().await?;
        let (orders, next, ordered) = if filters.orders {
            let (resp, next, _) = self
                .keyset_page(
                    "/wp-json/wc/v3/orders",
                    window,
                    token,
                    Some("id,date_modified_gmt"),
                )
                .await?;
            (resp, next, true)
        } else {
            let (resp, next) = self.offset_page("/wp-json/wc/v3/orders", token).await?;
            (resp, next, false)
        };
        let stamps: Vec<Stamp> = serde_json::from_slice(&orders.body).unwrap_or_default();
        let floor = window.floor();
        let mut body = String::from("[");
        for s in stamps {
            if !ordered {
                // A full read: only orders modified inside the window can have new refunds.
                let t = s
                    .date_modified_gmt
                    .as_deref()
                    .and_then(crate::mapping::de::parse_timestamp);
                if let (Some(f), Some(t)) = (floor, t) {
                    if t < f || t >= window.until {
                        continue;
                    }
                }
            }
            let Some(id) = s.id_text() else {
                continue;
            };
            let resp = self
                .get(
                    &format!("/wp-json/wc/v3/orders/{id}/refunds"),
                    vec![("per_page".into(), "100".into())],
                    true,
                )
                .await?;
            let text = String::from_utf8_lossy(&resp.body);
            let inner = text
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim();
            if !inner.is_empty() {
                if body.len() > 1 {
                    body.push(',');
                }
                body.push_str(inner);
            }
        }
        body.push(']');
        Ok(Page {
            entity: EntityKind::Refund,
            body: body.into_bytes(),
            next,
            total: None,
            ordered,
        })
    }
}

fn poisoned() -> Error {
    Error::Config {
        platform: PLATFORM,
        message: "connector state was poisoned by a panic".into(),
    }
}

#[async_trait]
impl Platform for WooCommerce {
    fn kind(&self) -> PlatformKind {
        PLATFORM
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            entities: vec![
                EntityKind::Order,
                EntityKind::Customer,
                EntityKind::Product,
                EntityKind::Refund,
            ],
            incremental_field: "modified_after",
            max_page_size: 100,
            default_page_size: 100,
            sees_deletes: false,
        }
    }

    fn stats(&self) -> super::ConnectorStats {
        self.http.stats()
    }

    fn mapper(&self) -> Mapper {
        self.label.mapper()
    }

    async fn check(&self) -> Result<StoreInfo> {
        let status = self
            .get("/wp-json/wc/v3/system_status", Vec::new(), true)
            .await?;
        let status: serde_json::Value = serde_json::from_slice(&status.body).unwrap_or_default();
        let currency = status["settings"]["currency"]
            .as_str()
            .and_then(Currency::new);
        self.label.learn_currency(currency);
        let root = self.get("/wp-json", Vec::new(), false).await.ok();
        let root: serde_json::Value = root
            .and_then(|r| serde_json::from_slice(&r.body).ok())
            .unwrap_or_default();
        let timezone = root["timezone_string"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .or_else(|| root["gmt_offset"].as_f64().map(|o| format!("UTC{o:+}")));
        let filters = self.filters().await?;
        tracing::debug!(
            orders_filter = filters.orders,
            products_filter = filters.products,
            "woocommerce change filters"
        );
        Ok(StoreInfo {
            platform: PLATFORM,
            name: root["name"].as_str().map(str::to_owned),
            currency,
            timezone,
            api_version: Some("wc/v3".into()),
            platform_version: status["environment"]["version"].as_str().map(str::to_owned),
        })
    }

    async fn fetch_page(
        &self,
        entity: EntityKind,
        window: &ReadWindow,
        token: Option<&PageToken>,
    ) -> Result<Page> {
        let path = match entity {
            EntityKind::Order => "/wp-json/wc/v3/orders",
            EntityKind::Product => "/wp-json/wc/v3/products",
            EntityKind::Customer => "/wp-json/wc/v3/customers",
            EntityKind::Refund => return self.refunds_page(window, token).await,
            other => {
                return Err(Error::Unsupported {
                    platform: PLATFORM,
                    entity: other,
                });
            }
        };
        let filters = self.filters().await?;
        let keyset = match entity {
            EntityKind::Order => filters.orders,
            EntityKind::Product => filters.products,
            _ => false,
        };
        if keyset {
            let (resp, next, _) = self.keyset_page(path, window, token, None).await?;
            let total = Self::total(&resp);
            Ok(Page {
                entity,
                body: resp.body,
                next,
                total,
                ordered: true,
            })
        } else {
            let (resp, next) = self.offset_page(path, token).await?;
            let total = Self::total(&resp);
            Ok(Page {
                entity,
                body: resp.body,
                next,
                total,
                ordered: false,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_refuses_bad_settings() {
        let err = |b: WooCommerceBuilder| b.build().unwrap_err().to_string();
        let ok = || {
            WooCommerce::builder("https://shop.example")
                .consumer_key("ck_1")
                .consumer_secret("cs_1")
        };
        assert!(
            err(WooCommerce::builder("not a url")
                .consumer_key("k")
                .consumer_secret("s"))
            .contains("not a URL")
        );
        assert!(
            err(WooCommerce::builder("ftp://x.example")
                .consumer_key("k")
                .consumer_secret("s"))
            .contains("http or https")
        );
        assert!(
            err(WooCommerce::builder("https://shop.example").consumer_secret("s"))
                .contains("consumer key")
        );
        assert!(err(ok().page_size(101)).contains("1 to 100"));
        let basic_http = WooCommerce::builder("http://shop.example")
            .consumer_key("k")
            .consumer_secret("cs_secret")
            .auth(WooAuth::Basic);
        let e = err(basic_http.clone());
        assert!(e.contains("plain HTTP") && !e.contains("cs_secret"), "{e}");
        assert_eq!(
            basic_http
                .allow_basic_over_http(true)
                .build()
                .unwrap()
                .auth(),
            WooAuth::Basic
        );
        assert_eq!(
            WooCommerce::builder("http://shop.example")
                .consumer_key("k")
                .consumer_secret("s")
                .build()
                .unwrap()
                .auth(),
            WooAuth::OAuth1
        );
        assert_eq!(ok().build().unwrap().auth(), WooAuth::Basic);
    }

    #[test]
    fn debug_output_hides_the_credentials() {
        let w = WooCommerce::builder("https://shop.example")
            .consumer_key("ck_visible?")
            .consumer_secret("cs_hidden")
            .build()
            .unwrap();
        let d = format!("{w:?}");
        assert!(!d.contains("cs_hidden") && !d.contains("ck_visible"), "{d}");
    }
}
