//! The Magento 2 / Adobe Commerce REST connector (`<site>/rest/<store_code>/V1`).
//!
//! - **Authentication**, one of three (the builder refuses none or several):
//!   - an integration's access token, sent as `Authorization: Bearer`
//!     ([`access_token`](MagentoBuilder::access_token));
//!   - an admin user name and password, exchanged for an admin token at
//!     `POST /V1/integration/admin/token` and exchanged again when the store refuses it
//!     (tokens expire after 4 hours by default): a 401 fetches a new token and sends the
//!     same request once more, so no page is lost
//!     ([`admin_credentials`](MagentoBuilder::admin_credentials));
//!   - OAuth 1.0a for integrations: consumer key and secret plus access token and secret,
//!     an `Authorization: OAuth ...` header signed with HMAC-SHA256 over the method, the URL
//!     and every query and OAuth parameter, with the key `consumer_secret&token_secret`
//!     ([`oauth1`](MagentoBuilder::oauth1)).
//!
//!   A bearer token or a password is not sent over plain HTTP unless the builder is told
//!   [`allow_plain_http`](MagentoBuilder::allow_plain_http); OAuth 1.0a never sends a secret.
//! - **Paging and changes.** Every entity is read by keyset on `(updated_at, entity_id)`
//!   with `searchCriteria`: filter groups are ANDed and the filters inside one group ORed,
//!   so "after the last record seen" is exact:
//!   `updated_at >= t AND (updated_at > t OR entity_id > id) AND updated_at < until`, sorted
//!   by `updated_at` then `entity_id`, always `currentPage=1`. A record edited while the read
//!   pages through moves past `until` and is left for the next run; no record can shift
//!   between two pages, even inside a group of records sharing one second larger than a
//!   page, and nothing is read twice. The read ends on a short page or when `total_count`
//!   says the page held everything left. Magento serves the last page again for a
//!   `currentPage` past the end; the keyset never asks for one, and a page that comes back
//!   with records at or before the last one seen (a server that ignores the filters) is a
//!   [`Error::CursorStuck`], never an endless loop.
//! - **Entities.** Orders (`/orders`), customers (`/customers/search`), products
//!   (`/products`) and refunds, which are credit memos (`/creditmemos`).
//! - **Rate.** Requests are paced to the configured rate (600 a minute by default).
//! - **Errors.** Magento error bodies (`{"message": "... %1 ...", "parameters": [...]}`)
//!   become typed errors with the parameters put in: [`Error::Auth`] for 401,
//!   [`Error::Platform`] otherwise. No credential reaches `Debug` output, logs or errors.

use async_trait::async_trait;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use serde_json::Value;

use super::http::{
    HttpClient, HttpOptions, Request, Response, check_json, parse_json, site_url, snippet,
};
use super::oauth1::{self, SignatureMethod};
use super::rate::RateLimit;
use super::{
    Capabilities, Page, PageToken, Platform, ReadWindow, Secret, StoreInfo, StoreLabel, SyncCursor,
};
use crate::error::{Error, Result};
use crate::mapping::Mapper;
use crate::model::{Currency, EntityKind, PlatformKind, Timestamp};

const PLATFORM: PlatformKind = PlatformKind::Magento;

/// The largest page the connector asks for.
const MAX_PAGE_SIZE: u32 = 300;

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MagentoAuth {
    /// An integration access token, sent as a bearer token.
    Token,
    /// An admin user name and password, exchanged for an admin token (renewed on expiry).
    AdminPassword,
    /// OAuth 1.0a request signing with an integration's four credentials.
    OAuth1,
}

/// The credentials, as the builder received them.
#[derive(Debug, Clone)]
enum Credentials {
    Token(Secret),
    Admin {
        username: Secret,
        password: Secret,
    },
    OAuth1 {
        consumer_key: Secret,
        consumer_secret: Secret,
        token: Secret,
        token_secret: Secret,
    },
}

impl Credentials {
    fn kind(&self) -> MagentoAuth {
        match self {
            Credentials::Token(_) => MagentoAuth::Token,
            Credentials::Admin { .. } => MagentoAuth::AdminPassword,
            Credentials::OAuth1 { .. } => MagentoAuth::OAuth1,
        }
    }

    /// The values scrubbed from error messages (not the admin user name: it is no secret,
    /// and a common word like `admin` would garble messages).
    fn secrets(&self) -> Vec<&Secret> {
        match self {
            Credentials::Token(t) => vec![t],
            Credentials::Admin { password, .. } => vec![password],
            Credentials::OAuth1 {
                consumer_key,
                consumer_secret,
                token,
                token_secret,
            } => vec![consumer_key, consumer_secret, token, token_secret],
        }
    }
}

/// Builds a [`Magento`] connector; `build()` checks the settings.
#[derive(Debug, Clone)]
pub struct MagentoBuilder {
    url: String,
    access_token: Option<Secret>,
    admin: Option<(Secret, Secret)>,
    oauth: Option<[Secret; 4]>,
    allow_plain_http: bool,
    store_code: Option<String>,
    store: String,
    currency: Option<Currency>,
    page_size: u32,
    requests_per_minute: u32,
    http: HttpOptions,
}

impl MagentoBuilder {
    /// An integration's access token (System > Integrations), sent as a bearer token.
    pub fn access_token(mut self, token: impl Into<Secret>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    /// An admin user's name and password, exchanged for an admin token that is renewed
    /// when it expires.
    pub fn admin_credentials(
        mut self,
        username: impl Into<Secret>,
        password: impl Into<Secret>,
    ) -> Self {
        self.admin = Some((username.into(), password.into()));
        self
    }

    /// An integration's OAuth 1.0a credentials: consumer key and secret, access token and
    /// access token secret. Requests are signed (HMAC-SHA256); no secret is sent.
    pub fn oauth1(
        mut self,
        consumer_key: impl Into<Secret>,
        consumer_secret: impl Into<Secret>,
        access_token: impl Into<Secret>,
        access_token_secret: impl Into<Secret>,
    ) -> Self {
        self.oauth = Some([
            consumer_key.into(),
            consumer_secret.into(),
            access_token.into(),
            access_token_secret.into(),
        ]);
        self
    }

    /// Allows a bearer token or an admin password over plain HTTP (they travel readable:
    /// only for a store on a trusted network, or a local one).
    pub fn allow_plain_http(mut self, allow: bool) -> Self {
        self.allow_plain_http = allow;
        self
    }

    /// The store view code in the URL (`/rest/<code>/V1`; default `default`, or the code in
    /// the URL given to [`Magento::builder`]). `all` reads across store views.
    pub fn store_code(mut self, code: impl Into<String>) -> Self {
        self.store_code = Some(code.into());
        self
    }

    /// The store's name in Nexus (`source.store` of its records).
    pub fn store_name(mut self, name: impl Into<String>) -> Self {
        self.store = name.into();
        self
    }

    /// The store's currency, for payloads that carry none (products); `check()` also finds
    /// it.
    pub fn currency(mut self, currency: Currency) -> Self {
        self.currency = Some(currency);
        self
    }

    /// Records per page, 1 to 300 (default 100).
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n;
        self
    }

    /// Requests a minute, paced evenly (default 600).
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
    pub fn build(self) -> Result<Magento> {
        let config = |message: String| Error::Config {
            platform: PLATFORM,
            message,
        };
        let mut site = site_url(PLATFORM, "the store URL", &self.url)?;
        let _ = site.set_username("");
        let _ = site.set_password(None);
        // The site, without any `/rest/<code>/V1` the URL was given with.
        let segments: Vec<String> = site
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default();
        let rest = segments.iter().position(|s| s == "rest");
        let url_code = rest
            .and_then(|i| segments.get(i + 1))
            .filter(|s| !s.eq_ignore_ascii_case("V1"))
            .cloned();
        let kept = &segments[..rest.unwrap_or(segments.len())];
        let store_code = self
            .store_code
            .or(url_code)
            .unwrap_or_else(|| "default".to_owned());
        if store_code.is_empty()
            || !store_code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(config(format!(
                "the store code must be letters, digits and underscores, not {store_code:?}"
            )));
        }
        let mut path = String::new();
        for s in kept {
            path.push('/');
            path.push_str(s);
        }
        path.push_str(&format!("/rest/{store_code}/V1"));
        site.set_path(&path);

        let given = [
            self.access_token.is_some(),
            self.admin.is_some(),
            self.oauth.is_some(),
        ];
        let credentials = match (self.access_token, self.admin, self.oauth) {
            _ if given.iter().filter(|g| **g).count() > 1 => {
                return Err(config(
                    "give one kind of credentials: an access token, admin credentials or \
                     OAuth 1.0a credentials, not several"
                        .into(),
                ));
            }
            (Some(t), None, None) => {
                if t.is_blank() {
                    return Err(config("the access token is empty".into()));
                }
                Credentials::Token(t)
            }
            (None, Some((username, password)), None) => {
                if username.is_blank() || password.is_blank() {
                    return Err(config(
                        "admin credentials need a user name and a password".into(),
                    ));
                }
                Credentials::Admin { username, password }
            }
            (None, None, Some([consumer_key, consumer_secret, token, token_secret])) => {
                if [&consumer_key, &consumer_secret, &token, &token_secret]
                    .iter()
                    .any(|s| s.is_blank())
                {
                    return Err(config(
                        "OAuth 1.0a needs a consumer key and secret and an access token and \
                         secret"
                            .into(),
                    ));
                }
                Credentials::OAuth1 {
                    consumer_key,
                    consumer_secret,
                    token,
                    token_secret,
                }
            }
            _ => {
                return Err(config(
                    "credentials are required: an access token, admin credentials or OAuth \
                     1.0a credentials"
                        .into(),
                ));
            }
        };
        if site.scheme() != "https"
            && credentials.kind() != MagentoAuth::OAuth1
            && !self.allow_plain_http
        {
            return Err(config(
                "a bearer token or a password would travel readable over plain HTTP; use \
                 https, OAuth 1.0a, or allow_plain_http(true)"
                    .into(),
            ));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(config(format!(
                "page_size must be 1 to {MAX_PAGE_SIZE}, not {}",
                self.page_size
            )));
        }
        if self.requests_per_minute == 0 {
            return Err(config("requests_per_minute must be at least 1".into()));
        }
        let http = HttpClient::new(
            PLATFORM,
            &self.http,
            RateLimit::PerMinute(self.requests_per_minute),
        )?;
        Ok(Magento {
            base: site,
            store_code,
            credentials,
            admin_token: tokio::sync::Mutex::new(None),
            http,
            label: StoreLabel::new(PLATFORM, self.store, self.currency),
            page_size: self.page_size,
        })
    }
}

/// A Magento 2 store.
#[derive(Debug)]
pub struct Magento {
    /// `<site>/rest/<store_code>/V1`.
    base: url::Url,
    store_code: String,
    credentials: Credentials,
    /// The admin token in use (admin credentials only); the lock is held while a new one
    /// is fetched, so concurrent reads fetch it once.
    admin_token: tokio::sync::Mutex<Option<Secret>>,
    http: HttpClient,
    label: StoreLabel,
    page_size: u32,
}

/// What the connector reads of a search result to page by keyset.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    items: Option<Vec<Stamp>>,
    #[serde(default)]
    total_count: Option<u64>,
}

/// What the connector reads of a record to page by keyset.
#[derive(Deserialize)]
struct Stamp {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    entity_id: Option<Value>,
    #[serde(default)]
    updated_at: Option<String>,
}

fn id_text(v: Option<&Value>) -> Option<String> {
    super::id_text(v?).filter(|s| !s.is_empty())
}

/// A time as Magento's filters take it: `YYYY-MM-DD HH:MM:SS`, UTC, whole seconds.
fn magento_time(t: Timestamp) -> String {
    t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A Magento error message with its `%1` / `%name` placeholders filled in from
/// `parameters` (a list or an object).
fn error_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let mut message = v.get("message")?.as_str()?.to_owned();
    let text = |p: &Value| match p {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match v.get("parameters") {
        Some(Value::Array(list)) => {
            // From the last, so that `%1` does not eat the start of `%10`.
            for (i, p) in list.iter().enumerate().rev() {
                message = message.replace(&format!("%{}", i + 1), &text(p));
            }
        }
        Some(Value::Object(map)) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
            for k in keys {
                message = message.replace(&format!("%{k}"), &text(&map[k]));
            }
        }
        _ => {}
    }
    Some(message)
}

/// One `searchCriteria` filter: field, value, condition.
type Filter = (&'static str, String, &'static str);

/// Appends a filter group (its filters are ORed; groups are ANDed).
fn push_group(query: &mut Vec<(String, String)>, group: usize, filters: &[Filter]) {
    for (i, (field, value, condition)) in filters.iter().enumerate() {
        let p = format!("searchCriteria[filter_groups][{group}][filters][{i}]");
        query.push((format!("{p}[field]"), (*field).to_owned()));
        query.push((format!("{p}[value]"), value.clone()));
        query.push((format!("{p}[condition_type]"), (*condition).to_owned()));
    }
}

/// The `searchCriteria` of one keyset page: records of the window after `after` (from the
/// window's floor when `None`), by `(updated_at, entity_id)`.
fn keyset_criteria(
    window: &ReadWindow,
    after: Option<&SyncCursor>,
    page_size: u32,
) -> Vec<(String, String)> {
    let mut query = Vec::new();
    let mut groups = Vec::<Vec<Filter>>::new();
    match after {
        Some(a) => {
            let t = magento_time(a.updated_at);
            groups.push(vec![("updated_at", t.clone(), "gteq")]);
            groups.push(vec![
                ("updated_at", t, "gt"),
                ("entity_id", a.id.clone(), "gt"),
            ]);
        }
        None => {
            if let Some(floor) = window.floor() {
                groups.push(vec![("updated_at", magento_time(floor), "gteq")]);
            }
        }
    }
    // Whole seconds, rounded down: a record stored in the second of `until` may have been
    // written after the read started, so it is left for the next read.
    groups.push(vec![("updated_at", magento_time(window.until), "lt")]);
    for (g, filters) in groups.iter().enumerate() {
        push_group(&mut query, g, filters);
    }
    for (i, field) in ["updated_at", "entity_id"].iter().enumerate() {
        query.push((
            format!("searchCriteria[sortOrders][{i}][field]"),
            (*field).to_owned(),
        ));
        query.push((
            format!("searchCriteria[sortOrders][{i}][direction]"),
            "ASC".to_owned(),
        ));
    }
    query.push(("searchCriteria[pageSize]".into(), page_size.to_string()));
    query.push(("searchCriteria[currentPage]".into(), "1".into()));
    query
}

/// A header value that is kept out of debug output.
fn sensitive(text: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(text).map_err(|_| Error::Config {
        platform: PLATFORM,
        message: "the credentials are not valid header text".into(),
    })?;
    v.set_sensitive(true);
    Ok(v)
}

impl Magento {
    /// Starts a builder for the store at `url`: the site's address
    /// (`https://shop.example`), with or without `/rest/<store_code>/V1`.
    pub fn builder(url: impl Into<String>) -> MagentoBuilder {
        MagentoBuilder {
            url: url.into(),
            access_token: None,
            admin: None,
            oauth: None,
            allow_plain_http: false,
            store_code: None,
            store: "default".to_owned(),
            currency: None,
            page_size: 100,
            requests_per_minute: 600,
            http: HttpOptions::default(),
        }
    }

    /// The authentication in use.
    pub fn auth(&self) -> MagentoAuth {
        self.credentials.kind()
    }

    /// The store view code in the URL.
    pub fn store_code(&self) -> &str {
        &self.store_code
    }

    /// The API base, `<site>/rest/<store_code>/V1`.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    fn endpoint(&self, path: &str) -> url::Url {
        let mut u = self.base.clone();
        let base = u.path().trim_end_matches('/').to_owned();
        u.set_path(&format!("{base}{path}"));
        u
    }

    /// The `Authorization` header of a request (signed afresh for each attempt).
    fn authorization(
        &self,
        method: &reqwest::Method,
        url: &url::Url,
        bearer: Option<&Secret>,
    ) -> Result<Option<HeaderValue>> {
        match &self.credentials {
            Credentials::Token(t) => sensitive(&format!("Bearer {}", t.expose())).map(Some),
            Credentials::Admin { .. } => match bearer {
                Some(t) => sensitive(&format!("Bearer {}", t.expose())).map(Some),
                None => Ok(None),
            },
            Credentials::OAuth1 {
                consumer_key,
                consumer_secret,
                token,
                token_secret,
            } => {
                let signature_method = SignatureMethod::HmacSha256;
                let oauth: Vec<(String, String)> = vec![
                    (
                        "oauth_consumer_key".into(),
                        consumer_key.expose().to_owned(),
                    ),
                    ("oauth_nonce".into(), oauth1::nonce()),
                    (
                        "oauth_signature_method".into(),
                        signature_method.as_str().into(),
                    ),
                    (
                        "oauth_timestamp".into(),
                        chrono::Utc::now().timestamp().to_string(),
                    ),
                    ("oauth_token".into(), token.expose().to_owned()),
                    ("oauth_version".into(), "1.0".into()),
                ];
                let mut bare = url.clone();
                bare.set_query(None);
                bare.set_fragment(None);
                let mut params: Vec<(String, String)> = url
                    .query_pairs()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                params.extend(oauth.iter().cloned());
                let base = oauth1::base_string(method.as_str(), bare.as_str(), &params);
                let signature = oauth1::sign(
                    signature_method,
                    &base,
                    consumer_secret.expose(),
                    token_secret.expose(),
                );
                let fields: Vec<String> = oauth
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .chain([("oauth_signature", signature.as_str())])
                    .map(|(k, v)| format!("{k}=\"{}\"", oauth1::encode(v)))
                    .collect();
                sensitive(&format!("OAuth {}", fields.join(", "))).map(Some)
            }
        }
    }

    /// Builds one attempt of a request to `path` (under the API base).
    fn request(
        &self,
        method: &reqwest::Method,
        path: &str,
        query: &[(String, String)],
        bearer: Option<&Secret>,
    ) -> Result<Request> {
        let mut url = self.endpoint(path);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        let mut headers = vec![(ACCEPT, HeaderValue::from_static("application/json"))];
        if let Some(auth) = self.authorization(method, &url, bearer)? {
            headers.push((AUTHORIZATION, auth));
        }
        Ok(Request {
            method: method.clone(),
            url,
            headers,
            body: None,
        })
    }

    /// The admin token request: the user name and password as a JSON body, no
    /// `Authorization` header.
    fn token_request(&self, body: &[u8]) -> Request {
        Request {
            method: reqwest::Method::POST,
            url: self.endpoint("/integration/admin/token"),
            headers: vec![
                (ACCEPT, HeaderValue::from_static("application/json")),
                (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            ],
            body: Some(body.to_vec()),
        }
    }

    /// `message` with every credential in use replaced by `[redacted]`.
    fn scrub(&self, mut message: String, bearer: Option<&Secret>) -> String {
        for s in self.credentials.secrets().into_iter().chain(bearer) {
            let v = s.expose();
            if v.len() >= 4 && message.contains(v) {
                message = message.replace(v, "[redacted]");
            }
        }
        message
    }

    /// Turns a response that is not a success into a typed error.
    fn check(&self, resp: &Response, bearer: Option<&Secret>) -> Result<()> {
        self.check_status(resp, bearer)?;
        check_json(PLATFORM, resp.status, &resp.body)
    }

    /// The error an unsuccessful response stands for (`Ok` for a 2xx).
    fn check_status(&self, resp: &Response, bearer: Option<&Secret>) -> Result<()> {
        if (200..300).contains(&resp.status) {
            return Ok(());
        }
        let message = error_message(&resp.body).unwrap_or_else(|| snippet(&resp.body));
        let message = self.scrub(message, bearer);
        if resp.status == 401 {
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

    /// Sends one GET with the token given (retried by policy); the body is read into `T`
    /// in the pass that checks it (`Err` inside when it is JSON of another shape).
    async fn send_get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
        bearer: Option<&Secret>,
    ) -> Result<(Response, std::result::Result<T, serde_json::Error>)> {
        let method = reqwest::Method::GET;
        self.http
            .send_parsed(
                || self.request(&method, path, query, bearer),
                |resp| {
                    self.check_status(resp, bearer)?;
                    parse_json(PLATFORM, resp.status, &resp.body)
                },
            )
            .await
    }

    /// Sends a GET; with admin credentials, a refused token is exchanged for a new one and
    /// the request sent once more.
    async fn get(&self, path: &str, query: Vec<(String, String)>) -> Result<Response> {
        self.get_parsed::<serde::de::IgnoredAny>(path, query)
            .await
            .map(|(resp, _)| resp)
    }

    /// [`Magento::get`], with the body read into `T` on the way.
    async fn get_parsed<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: Vec<(String, String)>,
    ) -> Result<(Response, std::result::Result<T, serde_json::Error>)> {
        let token = self.admin_token(None).await?;
        let first = self.send_get(path, &query, token.as_ref()).await;
        match first {
            Err(Error::Auth { status: 401, .. }) if token.is_some() => {
                tracing::debug!(platform = %PLATFORM, "admin token refused; fetching a new one");
                let fresh = self.admin_token(token.as_ref()).await?;
                self.send_get(path, &query, fresh.as_ref()).await
            }
            other => other,
        }
    }

    /// The admin token to use (`None` without admin credentials), fetched when there is
    /// none or when `stale` is the one held.
    async fn admin_token(&self, stale: Option<&Secret>) -> Result<Option<Secret>> {
        let Credentials::Admin { username, password } = &self.credentials else {
            return Ok(None);
        };
        let mut slot = self.admin_token.lock().await;
        if let (Some(old), Some(held)) = (stale, slot.as_ref()) {
            if old.expose() == held.expose() {
                *slot = None;
            }
        }
        if slot.is_none() {
            *slot = Some(self.fetch_admin_token(username, password).await?);
        }
        Ok(slot.clone())
    }

    /// Exchanges the admin user name and password for a token.
    async fn fetch_admin_token(&self, username: &Secret, password: &Secret) -> Result<Secret> {
        let body = serde_json::json!({
            "username": username.expose(),
            "password": password.expose(),
        })
        .to_string()
        .into_bytes();
        let resp = self
            .http
            .send(
                || Ok(self.token_request(&body)),
                |resp| {
                    if !(200..300).contains(&resp.status) {
                        return self.check(resp, None);
                    }
                    match serde_json::from_slice::<Value>(&resp.body) {
                        Ok(Value::String(s)) if !s.trim().is_empty() => Ok(()),
                        _ => Err(Error::InvalidPage {
                            platform: PLATFORM,
                            status: resp.status,
                            message: "expected the admin token as a JSON string".into(),
                        }),
                    }
                },
            )
            .await?;
        let token: String = serde_json::from_slice(&resp.body).map_err(|_| Error::InvalidPage {
            platform: PLATFORM,
            status: resp.status,
            message: "expected the admin token as a JSON string".into(),
        })?;
        tracing::debug!(platform = %PLATFORM, "admin token issued");
        Ok(Secret::new(token))
    }
}

#[async_trait]
impl Platform for Magento {
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
            incremental_field: "updated_at",
            max_page_size: MAX_PAGE_SIZE,
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
        let resp = self.get("/store/storeConfigs", Vec::new()).await?;
        let configs: Vec<Value> =
            serde_json::from_slice(&resp.body).map_err(|e| Error::InvalidPage {
                platform: PLATFORM,
                status: resp.status,
                message: format!("expected a list of store configurations: {e}"),
            })?;
        let config = configs
            .iter()
            .find(|c| c["code"].as_str() == Some(self.store_code.as_str()))
            .or_else(|| configs.iter().find(|c| c["code"] == "default"))
            .or_else(|| configs.first())
            .cloned()
            .unwrap_or_default();
        let currency = config["base_currency_code"]
            .as_str()
            .and_then(Currency::new);
        self.label.learn_currency(currency);
        Ok(StoreInfo {
            platform: PLATFORM,
            name: config["code"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| Some(self.store_code.clone())),
            currency,
            timezone: config["timezone"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            api_version: Some("V1".into()),
            platform_version: None,
        })
    }

    async fn fetch_page(
        &self,
        entity: EntityKind,
        window: &ReadWindow,
        token: Option<&PageToken>,
    ) -> Result<Page> {
        let (path, id_key) = match entity {
            EntityKind::Order => ("/orders", "entity_id"),
            EntityKind::Customer => ("/customers/search", "id"),
            EntityKind::Product => ("/products", "id"),
            EntityKind::Refund => ("/creditmemos", "entity_id"),
            other => {
                return Err(Error::Unsupported {
                    platform: PLATFORM,
                    entity: other,
                });
            }
        };
        let after = match token {
            None => None,
            Some(PageToken::Keyset { after, .. }) => Some(after),
            Some(other) => {
                return Err(Error::InvalidArgument {
                    name: "token",
                    message: format!("not a Magento page position: {other:?}"),
                });
            }
        };
        let query = keyset_criteria(window, after, self.page_size);
        let (resp, envelope) = self.get_parsed::<Envelope>(path, query).await?;
        let envelope = envelope.map_err(|e| Error::InvalidPage {
            platform: PLATFORM,
            status: resp.status,
            message: format!("expected a search result: {e}"),
        })?;
        let items = envelope.items.unwrap_or_default();
        let cursor = |s: &Stamp| -> Option<SyncCursor> {
            let id = match id_key {
                "id" => id_text(s.id.as_ref()),
                _ => id_text(s.entity_id.as_ref()),
            }?;
            let t = crate::mapping::de::parse_timestamp(s.updated_at.as_deref()?)?;
            Some(SyncCursor { updated_at: t, id })
        };
        if let Some(after) = after {
            // Every record of a keyset page comes after the last one seen; one that does
            // not means the store ignored the filters (or served a page again).
            if let Some(back) = items.iter().filter_map(cursor).find(|c| c <= after) {
                return Err(Error::CursorStuck {
                    platform: PLATFORM,
                    entity,
                    position: format!(
                        "a record at {} (id {}) came back after {} (id {})",
                        magento_time(back.updated_at),
                        back.id,
                        magento_time(after.updated_at),
                        after.id
                    ),
                });
            }
        }
        let n = items.len() as u64;
        let more = n >= u64::from(self.page_size) && envelope.total_count.is_none_or(|t| t > n);
        let next =
            if more {
                let last = items.last().and_then(cursor).ok_or_else(|| Error::InvalidPage {
                platform: PLATFORM,
                status: resp.status,
                message: format!(
                    "the last record of a full page has no {id_key} or updated_at to page on"
                ),
            })?;
                Some(PageToken::Keyset {
                    after: last,
                    skip: 0,
                })
            } else {
                None
            };
        Ok(Page {
            entity,
            body: resp.body,
            next,
            // Later pages count what is left after them, not the whole read.
            total: if after.is_none() {
                envelope.total_count
            } else {
                None
            },
            ordered: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> MagentoBuilder {
        Magento::builder("https://shop.example").access_token("tok_1")
    }

    #[test]
    fn builder_refuses_bad_settings() {
        let err = |b: MagentoBuilder| b.build().unwrap_err().to_string();
        assert!(err(Magento::builder("not a url").access_token("t")).contains("not a URL"));
        assert!(err(Magento::builder("ftp://x.example").access_token("t")).contains("http or"));
        assert!(err(Magento::builder("https://shop.example")).contains("credentials are required"));
        let both = Magento::builder("https://shop.example")
            .access_token("tok_secret_1")
            .admin_credentials("admin", "pw_secret_1");
        let e = err(both);
        assert!(e.contains("not several"), "{e}");
        assert!(
            !e.contains("tok_secret_1") && !e.contains("pw_secret_1"),
            "{e}"
        );
        assert!(err(ok().page_size(0)).contains("1 to 300"));
        assert!(err(ok().page_size(301)).contains("1 to 300"));
        assert!(err(ok().requests_per_minute(0)).contains("at least 1"));
        assert!(err(ok().store_code("de/../x")).contains("store code"));
        assert!(
            err(Magento::builder("https://shop.example").admin_credentials("admin", " "))
                .contains("password")
        );
        assert!(
            err(Magento::builder("https://shop.example").oauth1("ck", "cs", "", "ts"))
                .contains("OAuth")
        );
        let e = err(Magento::builder("http://shop.example").admin_credentials("admin", "pw_x1"));
        assert!(e.contains("plain HTTP") && !e.contains("pw_x1"), "{e}");
        assert!(
            Magento::builder("http://shop.example")
                .admin_credentials("admin", "pw")
                .allow_plain_http(true)
                .build()
                .is_ok()
        );
        let oauth = Magento::builder("http://shop.example")
            .oauth1("ck", "cs", "at", "ats")
            .build()
            .unwrap();
        assert_eq!(oauth.auth(), MagentoAuth::OAuth1);
    }

    #[test]
    fn the_url_may_name_the_rest_path_and_store_code() {
        let m = |u: &str| ok_at(u).build().unwrap();
        fn ok_at(u: &str) -> MagentoBuilder {
            Magento::builder(u).access_token("t")
        }
        assert_eq!(
            m("https://shop.example").base_url(),
            "https://shop.example/rest/default/V1"
        );
        assert_eq!(
            m("https://shop.example/shop/").base_url(),
            "https://shop.example/shop/rest/default/V1"
        );
        let de = m("https://shop.example/rest/de/V1/");
        assert_eq!(de.store_code(), "de");
        assert_eq!(de.base_url(), "https://shop.example/rest/de/V1");
        assert_eq!(
            m("https://shop.example/rest/V1").base_url(),
            "https://shop.example/rest/default/V1"
        );
        let chosen = ok_at("https://shop.example/rest/de/V1")
            .store_code("all")
            .build()
            .unwrap();
        assert_eq!(chosen.base_url(), "https://shop.example/rest/all/V1");
    }

    #[test]
    fn debug_output_hides_the_credentials() {
        let shown = [
            format!(
                "{:?}",
                Magento::builder("https://shop.example")
                    .oauth1("ck_abcdef", "cs_abcdef", "at_abcdef", "ts_abcdef")
                    .build()
                    .unwrap()
            ),
            format!(
                "{:?}",
                Magento::builder("https://shop.example")
                    .admin_credentials("adm_abcdef", "pw_abcdef")
            ),
            format!("{:?}", ok().access_token("tok_abcdef").build().unwrap()),
        ];
        for d in shown {
            assert!(!d.contains("_abcdef"), "{d}");
        }
    }

    #[test]
    fn error_parameters_are_put_in_the_message() {
        let named = br#"{"message":"The consumer isn't authorized to access %resources.","parameters":{"resources":"Magento_Sales::actions_view"}}"#;
        assert_eq!(
            error_message(named).unwrap(),
            "The consumer isn't authorized to access Magento_Sales::actions_view."
        );
        let listed = br#"{"message":"%1 of %2 and %10","parameters":["a",2,"x","x","x","x","x","x","x","ten"]}"#;
        assert_eq!(error_message(listed).unwrap(), "a of 2 and ten");
        assert_eq!(error_message(br#"{"message":"plain"}"#).unwrap(), "plain");
        assert!(error_message(b"<html>").is_none());
    }

    #[test]
    fn keyset_criteria_are_exact_after_a_record() {
        let until = crate::mapping::de::parse_timestamp("2024-05-01 10:00:00").unwrap();
        let window = ReadWindow {
            since: None,
            overlap: std::time::Duration::ZERO,
            until: until + chrono::Duration::milliseconds(700),
        };
        let after = SyncCursor {
            updated_at: crate::mapping::de::parse_timestamp("2024-04-01 08:00:00").unwrap(),
            id: "42".into(),
        };
        let q = keyset_criteria(&window, Some(&after), 50);
        let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let f = "searchCriteria[filter_groups]";
        assert_eq!(
            get(&format!("{f}[0][filters][0][condition_type]")),
            Some("gteq")
        );
        assert_eq!(
            get(&format!("{f}[1][filters][0][condition_type]")),
            Some("gt")
        );
        assert_eq!(
            get(&format!("{f}[1][filters][1][field]")),
            Some("entity_id")
        );
        assert_eq!(get(&format!("{f}[1][filters][1][value]")), Some("42"));
        assert_eq!(
            get(&format!("{f}[2][filters][0][value]")),
            Some("2024-05-01 10:00:00")
        );
        assert_eq!(
            get(&format!("{f}[2][filters][0][condition_type]")),
            Some("lt")
        );
        assert_eq!(
            get("searchCriteria[sortOrders][1][field]"),
            Some("entity_id")
        );
        assert_eq!(get("searchCriteria[pageSize]"), Some("50"));
        let first = keyset_criteria(&window, None, 50);
        assert!(first.iter().all(|(k, _)| !k.contains("[1][filters]")));
    }

    #[test]
    fn oauth_header_is_signed_and_shows_no_secret() {
        let m = Magento::builder("http://shop.example")
            .oauth1("ck_1", "cs_secret_1", "at_1", "ts_secret_1")
            .build()
            .unwrap();
        let url = url::Url::parse("http://shop.example/rest/default/V1/orders?a=1").unwrap();
        let h = m
            .authorization(&reqwest::Method::GET, &url, None)
            .unwrap()
            .unwrap();
        assert!(h.is_sensitive());
        let text = h.to_str().unwrap();
        assert!(
            text.starts_with("OAuth oauth_consumer_key=\"ck_1\""),
            "{text}"
        );
        assert!(text.contains("oauth_signature_method=\"HMAC-SHA256\""));
        assert!(text.contains("oauth_signature=\""));
        assert!(!text.contains("secret"), "{text}");
    }
}
