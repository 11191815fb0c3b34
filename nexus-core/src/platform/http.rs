//! The HTTP machinery every connector shares: one `reqwest` client per connector, retries
//! by policy, client-side rate limiting, timeouts, gzip, a user agent, and `tracing` spans
//! whose URLs have their secret parts redacted.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tracing::Instrument;

use super::rate::{Limiter, RateLimit};
use super::retry::{RetryPolicy, jitter, parse_retry_after};
use crate::error::{Error, Result};
use crate::model::PlatformKind;

/// Transport settings shared by the connectors' builders.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Time allowed for one request, from sending to the last byte of the body.
    pub timeout: Duration,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// When and how often to retry.
    pub retry: RetryPolicy,
    /// Client-side rate limit (each connector sets its platform's default).
    pub rate_limit: Option<RateLimit>,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            rate_limit: None,
            user_agent: format!("nexus/{} (+https://example.invalid/nexus)", crate::VERSION),
        }
    }
}

/// One request, rebuilt for every attempt (so signatures, nonces and timestamps are fresh).
#[derive(Debug)]
pub(crate) struct Request {
    pub method: reqwest::Method,
    /// The full URL, query included.
    pub url: url::Url,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<Vec<u8>>,
}

/// A response whose body has been read in full.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Query parameters whose values never reach logs or errors.
const SECRET_PARAMS: &[&str] = &[
    "oauth_signature",
    "oauth_consumer_key",
    "oauth_token",
    "oauth_nonce",
    "consumer_key",
    "consumer_secret",
    "access_token",
    "password",
    "token",
];

/// The URL with credentials and secret query values replaced by `[redacted]`.
pub(crate) fn redact(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_password(None);
    if !u.username().is_empty() {
        let _ = u.set_username("redacted");
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if SECRET_PARAMS.contains(&k.as_ref()) {
                    "[redacted]".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// A connector's HTTP client.
#[derive(Debug)]
pub(crate) struct HttpClient {
    platform: PlatformKind,
    client: reqwest::Client,
    retry: RetryPolicy,
    limiter: Limiter,
    timeout: Duration,
    stats: Counters,
}

/// Running counts of a connector's requests.
#[derive(Debug, Default)]
struct Counters {
    requests: std::sync::atomic::AtomicU64,
    retries: std::sync::atomic::AtomicU64,
    rate_limited: std::sync::atomic::AtomicU64,
    throttled_us: std::sync::atomic::AtomicU64,
}

impl Counters {
    fn add(c: &std::sync::atomic::AtomicU64, n: u64) {
        c.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }
}

impl HttpClient {
    /// The requests made so far, and how much the rate limits held them back.
    pub fn stats(&self) -> super::ConnectorStats {
        use std::sync::atomic::Ordering::Relaxed;
        super::ConnectorStats {
            requests: self.stats.requests.load(Relaxed),
            retries: self.stats.retries.load(Relaxed),
            rate_limited: self.stats.rate_limited.load(Relaxed),
            throttled: Duration::from_micros(self.stats.throttled_us.load(Relaxed)),
        }
    }

    pub fn new(
        platform: PlatformKind,
        options: &HttpOptions,
        default_limit: RateLimit,
    ) -> Result<Self> {
        let client = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .gzip(true)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| Error::Config {
                platform,
                message: format!("HTTP client: {e}"),
            })?;
        Ok(HttpClient {
            platform,
            client,
            retry: options.retry.clone(),
            limiter: Limiter::new(options.rate_limit.unwrap_or(default_limit)),
            timeout: options.timeout,
            stats: Counters::default(),
        })
    }

    /// Sends the request `build` makes, retrying by policy; `check` turns a response into an
    /// error when it is not usable (its retryable errors are retried too).
    pub async fn send<B, C>(&self, build: B, check: C) -> Result<Response>
    where
        B: Fn() -> Result<Request>,
        C: Fn(&Response) -> Result<()>,
    {
        self.send_parsed(build, check).await.map(|(resp, ())| resp)
    }

    /// [`HttpClient::send`], where `check` also reads what the caller needs from a usable
    /// response (one pass over the body both checks and parses it).
    pub async fn send_parsed<B, C, T>(&self, build: B, check: C) -> Result<(Response, T)>
    where
        B: Fn() -> Result<Request>,
        C: Fn(&Response) -> Result<T>,
    {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let req = build()?;
            let shown = redact(&req.url);
            let span = tracing::debug_span!("nexus.http", platform = %self.platform, method = %req.method, url = %shown, attempt);
            let wait = self.limiter.reserve(Instant::now());
            Counters::add(&self.stats.requests, 1);
            if !wait.is_zero() {
                Counters::add(&self.stats.throttled_us, wait.as_micros() as u64);
                tracing::trace!(parent: &span, wait_ms = wait.as_millis() as u64, "rate limit: waiting");
                tokio::time::sleep(wait).await;
            }
            let outcome = self.attempt(req).instrument(span.clone()).await;
            let (err, retry_after) = match outcome {
                Ok(resp) => {
                    if let Some((used, capacity)) = resp
                        .header("x-shopify-shop-api-call-limit")
                        .and_then(parse_call_limit)
                    {
                        self.limiter.observe_bucket(used, capacity, Instant::now());
                    }
                    let retry_after = resp
                        .header("retry-after")
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    if resp.status == 429 {
                        Counters::add(&self.stats.rate_limited, 1);
                        if let Some(ra) = retry_after {
                            self.limiter.pause_until(Instant::now() + ra);
                        }
                        (
                            Error::RateLimited {
                                platform: self.platform,
                                retry_after,
                            },
                            retry_after,
                        )
                    } else if self.retry.retries_status(resp.status) {
                        (
                            Error::Platform {
                                platform: self.platform,
                                status: resp.status,
                                platform_code: None,
                                message: snippet(&resp.body),
                            },
                            retry_after,
                        )
                    } else {
                        match check(&resp) {
                            Ok(v) => return Ok((resp, v)),
                            Err(e) => (e, None),
                        }
                    }
                }
                Err(e) => (e, None),
            };
            let retryable = match &err {
                Error::Network { .. } | Error::Timeout { .. } => self.retry.retry_network_errors,
                Error::InvalidPage { .. } => self.retry.retry_invalid_pages,
                Error::RateLimited { .. } => true,
                Error::Platform { status, .. } => self.retry.retries_status(*status),
                _ => false,
            };
            if !retryable || attempt >= self.retry.max_attempts {
                return Err(err);
            }
            let delay = self.retry.delay(attempt, jitter(), retry_after);
            Counters::add(&self.stats.retries, 1);
            if matches!(err, Error::RateLimited { .. }) {
                Counters::add(&self.stats.throttled_us, delay.as_micros() as u64);
            }
            tracing::warn!(
                platform = %self.platform,
                attempt,
                delay_ms = delay.as_millis() as u64,
                error = %err,
                "retrying request"
            );
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(&self, req: Request) -> Result<Response> {
        let started = Instant::now();
        let mut builder = self.client.request(req.method, req.url);
        for (k, v) in req.headers {
            builder = builder.header(k, v);
        }
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let resp = builder.send().await.map_err(|e| self.transport_error(e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?
            .to_vec();
        tracing::debug!(
            status,
            bytes = body.len(),
            ms = started.elapsed().as_millis() as u64,
            "response"
        );
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    fn transport_error(&self, e: reqwest::Error) -> Error {
        if e.is_timeout() {
            return Error::Timeout {
                platform: self.platform,
                timeout: self.timeout,
            };
        }
        // reqwest's messages name the URL; drop it, it may carry credentials.
        let e = e.without_url();
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        if e.is_body() || e.is_decode() {
            return Error::InvalidPage {
                platform: self.platform,
                status: 0,
                message,
            };
        }
        Error::Network {
            platform: self.platform,
            message,
        }
    }
}

/// Parses a bucket level header: `32/40` is `(32, 40)`.
pub(crate) fn parse_call_limit(v: &str) -> Option<(u32, u32)> {
    let (used, cap) = v.trim().split_once('/')?;
    Some((used.trim().parse().ok()?, cap.trim().parse().ok()?))
}

/// Parses a store address a builder was given: an http or https URL with a host, its query
/// and fragment dropped. `what` names the address in errors ("the store URL").
pub(crate) fn site_url(platform: PlatformKind, what: &str, text: &str) -> Result<url::Url> {
    let config = |message: String| Error::Config { platform, message };
    let mut site =
        url::Url::parse(text.trim()).map_err(|e| config(format!("{what} is not a URL ({e})")))?;
    if !matches!(site.scheme(), "http" | "https") {
        return Err(config(format!(
            "{what} must be http or https, not {}",
            site.scheme()
        )));
    }
    if site.host_str().is_none() {
        return Err(config(format!("{what} has no host")));
    }
    site.set_query(None);
    site.set_fragment(None);
    Ok(site)
}

/// The start of a body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(160)]);
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.len() > 160 {
        format!("{}...", text.trim())
    } else {
        text.trim().to_owned()
    }
}

/// Checks that a body is one complete JSON value whose first byte is `{` or `[`.
pub(crate) fn check_json(platform: PlatformKind, status: u16, body: &[u8]) -> Result<()> {
    parse_json::<serde::de::IgnoredAny>(platform, status, body).map(|_| ())
}

/// [`check_json`], reading the body into `T` in the same pass. A body that is JSON but
/// not a `T` is usable (`Ok(Err(..))`, for the caller to judge); only a body that is not
/// JSON, or is cut short, is an [`Error::InvalidPage`] (fetched again by policy).
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    platform: PlatformKind,
    status: u16,
    body: &[u8],
) -> Result<std::result::Result<T, serde_json::Error>> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let looks_json = matches!(start.map(|i| body[i]), Some(b'{' | b'['));
    if !looks_json {
        return Err(Error::InvalidPage {
            platform,
            status,
            message: format!("expected JSON, got {:?}", snippet(body)),
        });
    }
    match serde_json::from_slice::<T>(body) {
        Ok(v) => Ok(Ok(v)),
        Err(e) if e.is_data() => {
            // Well-formed JSON of another shape; make sure it is well-formed throughout.
            serde_json::from_slice::<serde::de::IgnoredAny>(body)
                .map(|_| Err(e))
                .map_err(|e| damaged(platform, status, body, &e))
        }
        Err(e) => Err(damaged(platform, status, body, &e)),
    }
}

fn damaged(platform: PlatformKind, status: u16, body: &[u8], e: &serde_json::Error) -> Error {
    Error::InvalidPage {
        platform,
        status,
        message: format!(
            "the JSON body is damaged or cut short ({e}); it starts {:?}",
            snippet(body)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_urls_are_redacted() {
        let u = url::Url::parse("https://user:pw@shop.example/wp-json/wc/v3/orders?page=2&oauth_signature=abc%3D&oauth_consumer_key=ck_1").unwrap();
        let r = redact(&u);
        assert!(
            !r.contains("abc") && !r.contains("ck_1") && !r.contains("pw"),
            "{r}"
        );
        assert!(r.contains("page=2"));
    }

    #[test]
    fn a_body_is_checked_and_parsed_in_one_pass() {
        let p = PlatformKind::Magento;
        let ok: Vec<u32> = parse_json(p, 200, b" [1, 2, 3]")
            .expect("JSON")
            .expect("a list");
        assert_eq!(ok, vec![1, 2, 3]);
        // JSON of another shape is usable; the caller says what it expected.
        let other = parse_json::<Vec<u32>>(p, 200, br#"{"message": "x"}"#).expect("JSON");
        assert!(other.is_err());
        // Cut short or damaged, even after a shape mismatch: an invalid page (fetched again).
        for body in [
            &b"[1, 2"[..],
            b"[1, 2]]",
            br#"{"message": "x", }"#,
            b"<html>",
        ] {
            let e = parse_json::<Vec<u32>>(p, 200, body).expect_err("damaged");
            assert_eq!(
                e.code(),
                "invalid_page",
                "{}",
                String::from_utf8_lossy(body)
            );
            assert!(e.is_retryable());
        }
    }

    #[test]
    fn html_and_cut_bodies_are_invalid_pages() {
        let p = PlatformKind::WooCommerce;
        assert!(check_json(p, 200, b"[{\"id\": 1}]").is_ok());
        let e = check_json(
            p,
            200,
            b"<html><body>Attention Required! | Cloudflare</body></html>",
        )
        .unwrap_err();
        assert_eq!(e.code(), "invalid_page");
        assert!(e.is_retryable());
        assert_eq!(
            check_json(p, 200, b"[{\"id\": 1}, {\"id\"")
                .unwrap_err()
                .code(),
            "invalid_page"
        );
        assert_eq!(check_json(p, 200, b"").unwrap_err().code(), "invalid_page");
    }
}
