//! The Shopify Admin REST API connector (`/admin/api/<version>`).
//!
//! - **Authentication.** The app's Admin API access token in `X-Shopify-Access-Token`.
//! - **Paging and changes.** Cursor pages from the `Link` header (`page_info`, `limit` up to
//!   250); the first request carries the filters (`updated_at_min`/`updated_at_max`, and
//!   `status=any` for orders: Shopify's default, `open`, leaves closed and cancelled orders
//!   out), later ones only `page_info`, as Shopify requires. Orders are asked for in
//!   `updated_at asc` order, so a read stopped early can checkpoint; customers and products
//!   come in id order and are checkpointed only when read to the end. Shopify's cursors are
//!   keysets, so edits during a read do not shift pages.
//! - **Refunds** are part of each order: they are read from the changed orders' `refunds`
//!   (one request per page of orders, with `fields=id,updated_at,refunds`).
//! - **Rate.** The leaky bucket (40 requests draining 2 a second on standard plans) is
//!   modelled on the client, corrected by every `X-Shopify-Shop-Api-Call-Limit` header; a
//!   429 waits its `Retry-After` (fractional seconds).
//! - **Deletions.** Orders, customers and products deleted in the store are read from the
//!   events endpoint (`verb=destroy`) as [`Tombstone`]s.

use async_trait::async_trait;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;

use super::http::{HttpClient, HttpOptions, Request, Response, check_json, site_url, snippet};
use super::rate::RateLimit;
use super::{
    Capabilities, Page, PageToken, Platform, ReadWindow, Secret, StoreInfo, StoreLabel, Tombstone,
};
use crate::error::{Error, Result};
use crate::mapping::Mapper;
use crate::model::{Currency, EntityKind, PlatformKind, Timestamp};

const PLATFORM: PlatformKind = PlatformKind::Shopify;

/// The Admin API version used unless configured.
pub const DEFAULT_API_VERSION: &str = "2026-10";

/// Builds a [`Shopify`] connector; `build()` checks the settings.
#[derive(Debug, Clone)]
pub struct ShopifyBuilder {
    shop: String,
    access_token: Option<Secret>,
    api_version: String,
    store: Option<String>,
    currency: Option<Currency>,
    page_size: u32,
    bucket: (u32, f64, u32),
    http: HttpOptions,
}

impl ShopifyBuilder {
    /// The Admin API access token (`shpat_...`).
    pub fn access_token(mut self, token: impl Into<Secret>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    /// The Admin API version (`YYYY-MM`, default [`DEFAULT_API_VERSION`]).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// The store's name in Nexus (`source.store` of its records; default the shop's
    /// host name).
    pub fn store_name(mut self, name: impl Into<String>) -> Self {
        self.store = Some(name.into());
        self
    }

    /// The store's currency, for payloads that carry none (`check()` also finds it).
    pub fn currency(mut self, currency: Currency) -> Self {
        self.currency = Some(currency);
        self
    }

    /// Records per page, 1 to 250 (default 250).
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n;
        self
    }

    /// The shop's bucket: capacity, leak per second, and slots kept free for other apps
    /// (default 40, 2.0 and 2; Shopify Plus shops have 400 and 20.0).
    pub fn bucket(mut self, capacity: u32, leak_per_second: f64, reserve: u32) -> Self {
        self.bucket = (capacity, leak_per_second, reserve);
        self
    }

    /// Transport settings (timeouts, retries, user agent, rate limit override).
    pub fn http(mut self, http: HttpOptions) -> Self {
        self.http = http;
        self
    }

    /// Checks the settings and builds the connector.
    pub fn build(self) -> Result<Shopify> {
        let config = |message: String| Error::Config {
            platform: PLATFORM,
            message,
        };
        let shop = self.shop.trim();
        if shop.is_empty() {
            return Err(config("the shop is required (its name or address)".into()));
        }
        // A bare name is a myshopify.com shop; an address without a scheme is https.
        let address = if shop.contains("://") {
            shop.to_owned()
        } else if shop.contains('.') || shop.contains(':') {
            format!("https://{shop}")
        } else {
            format!("https://{shop}.myshopify.com")
        };
        let mut base = site_url(PLATFORM, "the shop address", &address)?;
        let host = base.host_str().unwrap_or_default().to_owned();
        let version = self.api_version.trim();
        let valid_version = version.len() == 7
            && version.as_bytes()[4] == b'-'
            && version
                .bytes()
                .enumerate()
                .all(|(i, b)| i == 4 || b.is_ascii_digit());
        if !valid_version && version != "unstable" {
            return Err(config(format!(
                "api_version must look like 2026-10, not {version:?}"
            )));
        }
        let token = self
            .access_token
            .filter(|t| !t.is_blank())
            .ok_or_else(|| config("an access token is required".into()))?;
        HeaderValue::from_str(token.expose())
            .map_err(|_| config("the access token is not valid header text".into()))?;
        if !(1..=250).contains(&self.page_size) {
            return Err(config(format!(
                "page_size must be 1 to 250, not {}",
                self.page_size
            )));
        }
        let (capacity, leak, reserve) = self.bucket;
        if capacity == 0 || !(leak > 0.0 && leak.is_finite()) || reserve >= capacity {
            return Err(config(format!(
                "the bucket needs a capacity above its reserve and a positive leak, not {capacity}, {leak}, {reserve}"
            )));
        }
        let path = base
            .path()
            .trim_end_matches('/')
            .split("/admin")
            .next()
            .unwrap_or("")
            .to_owned();
        base.set_path(&format!("{path}/admin/api/{version}"));
        let http = HttpClient::new(
            PLATFORM,
            &self.http,
            RateLimit::LeakyBucket {
                capacity,
                leak_per_second: leak,
                reserve,
            },
        )?;
        Ok(Shopify {
            base,
            token,
            api_version: version.to_owned(),
            http,
            label: StoreLabel::new(PLATFORM, self.store.unwrap_or(host), self.currency),
            page_size: self.page_size,
        })
    }
}

/// A Shopify store.
#[derive(Debug)]
pub struct Shopify {
    base: url::Url,
    token: Secret,
    api_version: String,
    http: HttpClient,
    label: StoreLabel,
    page_size: u32,
}

#[derive(Deserialize)]
struct ShopBody {
    shop: ShopFacts,
}

#[derive(Deserialize)]
struct ShopFacts {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    iana_timezone: Option<String>,
}

#[derive(Deserialize)]
struct Event {
    subject_id: serde_json::Value,
    subject_type: String,
    created_at: String,
}

#[derive(Deserialize)]
struct Events {
    events: Vec<Event>,
}

/// Timestamps in Shopify's filters: RFC 3339 in UTC.
fn iso(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The `page_info` of the `rel="next"` link in a `Link` header. Targets are read between
/// `<` and `>`, since their queries may hold commas (`fields=id,updated_at`).
fn next_page_info(link: &str) -> Option<String> {
    let mut rest = link;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        let params = after.split('<').next().unwrap_or(after);
        let is_next = params
            .split([';', ','])
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        if is_next {
            let u = url::Url::parse(target).ok()?;
            return u
                .query_pairs()
                .find(|(k, _)| k == "page_info")
                .map(|(_, v)| v.into_owned());
        }
        rest = after;
    }
    None
}

/// The text of Shopify's `errors` member (a string, a list, or fields with lists).
fn error_text(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let errors = v.get("errors").or_else(|| v.get("error"))?;
    Some(match errors {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                let list = match v {
                    serde_json::Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other
                        .as_str()
                        .map_or_else(|| other.to_string(), str::to_owned),
                };
                format!("{k}: {list}")
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })
}

impl Shopify {
    /// Starts a builder for a shop: its name (`my-shop`), its `myshopify.com` host, or its
    /// full address (`https://my-shop.myshopify.com`).
    pub fn builder(shop: impl Into<String>) -> ShopifyBuilder {
        ShopifyBuilder {
            shop: shop.into(),
            access_token: None,
            api_version: DEFAULT_API_VERSION.to_owned(),
            store: None,
            currency: None,
            page_size: 250,
            bucket: (40, 2.0, 2),
            http: HttpOptions::default(),
        }
    }

    /// The Admin API version in use.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    fn request(&self, resource: &str, query: &[(String, String)]) -> Result<Request> {
        let mut url = self.base.clone();
        let path = format!("{}/{resource}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        let mut token = HeaderValue::from_str(self.token.expose()).map_err(|_| Error::Config {
            platform: PLATFORM,
            message: "the access token is not valid header text".into(),
        })?;
        token.set_sensitive(true);
        Ok(Request {
            method: reqwest::Method::GET,
            url,
            headers: vec![(HeaderName::from_static("x-shopify-access-token"), token)],
            body: None,
        })
    }

    async fn get(&self, resource: &str, query: Vec<(String, String)>) -> Result<Response> {
        self.http
            .send(|| self.request(resource, &query), check)
            .await
    }

    /// One page of a list resource: the first with `filters`, later ones by `page_info`.
    async fn list(
        &self,
        resource: &str,
        filters: Vec<(String, String)>,
        fields: Option<&str>,
        token: Option<&PageToken>,
    ) -> Result<(Response, Option<PageToken>)> {
        let mut query = vec![("limit".to_owned(), self.page_size.to_string())];
        match token {
            Some(PageToken::Cursor(info)) => query.push(("page_info".into(), info.clone())),
            _ => query.extend(filters),
        }
        if let Some(f) = fields {
            query.push(("fields".into(), f.into()));
        }
        let resp = self.get(resource, query).await?;
        let next = resp
            .header("link")
            .and_then(next_page_info)
            .map(PageToken::Cursor);
        Ok((resp, next))
    }

    fn window_filters(window: &ReadWindow) -> Vec<(String, String)> {
        let mut q = vec![("updated_at_max".to_owned(), iso(window.until))];
        if let Some(f) = window.floor() {
            q.push(("updated_at_min".into(), iso(f)));
        }
        q
    }

    fn order_filters(window: &ReadWindow) -> Vec<(String, String)> {
        let mut q = vec![
            ("status".to_owned(), "any".to_owned()),
            ("order".into(), "updated_at asc".into()),
        ];
        q.extend(Self::window_filters(window));
        q
    }

    /// Refunds of the orders changed in the window, from the orders' own `refunds`.
    async fn refunds_page(&self, window: &ReadWindow, token: Option<&PageToken>) -> Result<Page> {
        let (resp, next) = self
            .list(
                "orders.json",
                Self::order_filters(window),
                Some("id,updated_at,refunds"),
                token,
            )
            .await?;
        #[derive(Deserialize)]
        struct Orders<'a> {
            #[serde(borrow)]
            orders: Vec<WithRefunds<'a>>,
        }
        #[derive(Deserialize)]
        struct WithRefunds<'a> {
            #[serde(borrow, default)]
            refunds: Vec<&'a serde_json::value::RawValue>,
        }
        let orders: Orders =
            serde_json::from_slice(&resp.body).map_err(|e| Error::InvalidPage {
                platform: PLATFORM,
                status: resp.status,
                message: format!("expected {{\"orders\": [...]}}: {e}"),
            })?;
        let refunds: Vec<&str> = orders
            .orders
            .iter()
            .flat_map(|o| o.refunds.iter().map(|r| r.get()))
            .collect();
        let body = format!("{{\"refunds\":[{}]}}", refunds.join(","));
        Ok(Page {
            entity: EntityKind::Refund,
            body: body.into_bytes(),
            next,
            total: None,
            ordered: true,
        })
    }
}

fn check(resp: &Response) -> Result<()> {
    if (200..300).contains(&resp.status) {
        return check_json(PLATFORM, resp.status, &resp.body);
    }
    let message = error_text(&resp.body).unwrap_or_else(|| snippet(&resp.body));
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
        platform_code: None,
        message,
    })
}

#[async_trait]
impl Platform for Shopify {
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
            incremental_field: "updated_at_min",
            max_page_size: 250,
            default_page_size: 250,
            sees_deletes: true,
        }
    }

    fn stats(&self) -> super::ConnectorStats {
        self.http.stats()
    }

    fn mapper(&self) -> Mapper {
        self.label.mapper()
    }

    async fn check(&self) -> Result<StoreInfo> {
        let resp = self.get("shop.json", Vec::new()).await?;
        let shop: ShopBody =
            serde_json::from_slice(&resp.body).map_err(|e| Error::InvalidPage {
                platform: PLATFORM,
                status: resp.status,
                message: format!("expected {{\"shop\": {{...}}}}: {e}"),
            })?;
        let currency = shop.shop.currency.as_deref().and_then(Currency::new);
        self.label.learn_currency(currency);
        Ok(StoreInfo {
            platform: PLATFORM,
            name: shop.shop.name,
            currency,
            timezone: shop.shop.iana_timezone,
            api_version: Some(
                resp.header("x-shopify-api-version")
                    .unwrap_or(&self.api_version)
                    .to_owned(),
            ),
            platform_version: None,
        })
    }

    async fn fetch_page(
        &self,
        entity: EntityKind,
        window: &ReadWindow,
        token: Option<&PageToken>,
    ) -> Result<Page> {
        let (resource, filters, ordered) = match entity {
            EntityKind::Order => ("orders.json", Self::order_filters(window), true),
            EntityKind::Customer => ("customers.json", Self::window_filters(window), false),
            EntityKind::Product => ("products.json", Self::window_filters(window), false),
            EntityKind::Refund => return self.refunds_page(window, token).await,
            other => {
                return Err(Error::Unsupported {
                    platform: PLATFORM,
                    entity: other,
                });
            }
        };
        let (resp, next) = self.list(resource, filters, None, token).await?;
        Ok(Page {
            entity,
            body: resp.body,
            next,
            total: None,
            ordered,
        })
    }

    async fn tombstones(
        &self,
        entity: EntityKind,
        since: Option<Timestamp>,
    ) -> Result<Vec<Tombstone>> {
        let subject = match entity {
            EntityKind::Order => "Order",
            EntityKind::Customer => "Customer",
            EntityKind::Product => "Product",
            _ => return Ok(Vec::new()),
        };
        let mut filters = vec![
            ("filter".to_owned(), subject.to_owned()),
            ("verb".into(), "destroy".into()),
        ];
        if let Some(s) = since {
            filters.push(("created_at_min".into(), iso(s)));
        }
        let mut out = Vec::new();
        let mut token: Option<PageToken> = None;
        let mut seen = std::collections::HashSet::new();
        loop {
            let (resp, next) = self
                .list("events.json", filters.clone(), None, token.as_ref())
                .await?;
            let events: Events =
                serde_json::from_slice(&resp.body).map_err(|e| Error::InvalidPage {
                    platform: PLATFORM,
                    status: resp.status,
                    message: format!("expected {{\"events\": [...]}}: {e}"),
                })?;
            for e in events.events {
                if e.subject_type != subject {
                    continue;
                }
                let Some(id) = super::id_text(&e.subject_id) else {
                    continue;
                };
                let Some(at) = crate::mapping::de::parse_timestamp(&e.created_at) else {
                    continue;
                };
                out.push(Tombstone {
                    entity,
                    id,
                    deleted_at: at,
                });
            }
            match next {
                Some(n) if seen.insert(n.clone()) => token = Some(n),
                Some(n) => {
                    return Err(Error::CursorStuck {
                        platform: PLATFORM,
                        entity,
                        position: format!("{n:?}"),
                    });
                }
                None => break,
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shop_can_be_named_several_ways() {
        let url = |shop: &str| {
            Shopify::builder(shop)
                .access_token("shpat_x")
                .build()
                .map(|s| s.base.to_string())
        };
        assert_eq!(
            url("my-shop").unwrap(),
            format!("https://my-shop.myshopify.com/admin/api/{DEFAULT_API_VERSION}")
        );
        assert_eq!(
            url("my-shop.myshopify.com").unwrap(),
            url("https://my-shop.myshopify.com/admin").unwrap()
        );
        assert_eq!(
            url("http://127.0.0.1:8080").unwrap(),
            format!("http://127.0.0.1:8080/admin/api/{DEFAULT_API_VERSION}")
        );
    }

    #[test]
    fn builder_refuses_bad_settings() {
        let err = |b: ShopifyBuilder| b.build().unwrap_err().to_string();
        assert!(err(Shopify::builder("my-shop")).contains("access token"));
        assert!(err(Shopify::builder(" ").access_token("t")).contains("shop is required"));
        assert!(err(Shopify::builder("ftp://x.example").access_token("t")).contains("http"));
        assert!(
            err(Shopify::builder("s")
                .access_token("t")
                .api_version("2026-1"))
            .contains("2026-10")
        );
        assert!(err(Shopify::builder("s").access_token("t").page_size(251)).contains("1 to 250"));
        assert!(err(Shopify::builder("s").access_token("t").bucket(4, 2.0, 4)).contains("bucket"));
        let e = err(Shopify::builder("s").access_token("bad\ntoken-secret"));
        assert!(!e.contains("token-secret"), "{e}");
    }

    #[test]
    fn debug_output_hides_the_token() {
        let s = Shopify::builder("my-shop")
            .access_token("shpat_hidden_value")
            .build()
            .unwrap();
        assert!(!format!("{s:?}").contains("shpat_hidden_value"));
    }

    #[test]
    fn link_headers_give_the_next_cursor() {
        let link = "<https://s.myshopify.com/admin/api/2026-10/orders.json?limit=3&page_info=abc>; rel=\"previous\", <https://s.myshopify.com/admin/api/2026-10/orders.json?limit=3&page_info=def>; rel=\"next\"";
        assert_eq!(next_page_info(link).as_deref(), Some("def"));
        let with_fields =
            "<https://s/o.json?limit=3&fields=id,refunds&page_info=ghi>; rel=\"next\"";
        assert_eq!(next_page_info(with_fields).as_deref(), Some("ghi"));
        assert_eq!(
            next_page_info("<https://s/x.json?page_info=abc>; rel=\"previous\""),
            None
        );
    }

    #[test]
    fn error_bodies_become_text() {
        assert_eq!(
            error_text(br#"{"errors":"[API] Invalid API key"}"#).as_deref(),
            Some("[API] Invalid API key")
        );
        assert_eq!(
            error_text(br#"{"errors":{"limit":["must be at most 250"]}}"#).as_deref(),
            Some("limit: must be at most 250")
        );
    }
}
