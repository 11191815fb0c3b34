//! The machinery every fake shares: the HTTP server, request counting, the store's rate
//! limit, injected faults and the JSON answers.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use nexus_core::model::PlatformKind;
use serde_json::Value;

use crate::catalog::{Catalog, Sizes};
use crate::{FakeConfig, FakeRate, FakeStats, Fault, lock};

/// A request as the platform modules see it.
pub(crate) struct Req {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    #[allow(dead_code)] // read by the Magento token endpoint
    pub body: Bytes,
}

impl Req {
    /// The first value of a query parameter.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Rendered order texts by `(id, modification second)`, reused across requests so a large
/// store answers fast (an order's text changes only when it is modified).
#[derive(Default)]
pub(crate) struct RenderCache(std::cell::RefCell<HashMap<(u64, i64), Arc<str>>>);

impl RenderCache {
    /// The cached text of a record, rendering it on first use.
    pub fn get(&self, id: u64, modified: i64, render: impl FnOnce() -> Value) -> Arc<str> {
        if let Some(t) = self.0.borrow().get(&(id, modified)) {
            return t.clone();
        }
        let text: Arc<str> = Arc::from(render().to_string());
        self.0.borrow_mut().insert((id, modified), text.clone());
        text
    }
}

/// A JSON object holding one list: `{"<key>": [<items>]}`.
pub(crate) fn list_body(key: Option<&str>, items: &[Arc<str>]) -> String {
    let len: usize = items.iter().map(|t| t.len() + 1).sum();
    let mut body = String::with_capacity(len + 32);
    if let Some(k) = key {
        body.push_str(&format!("{{\"{k}\":"));
    }
    body.push('[');
    for (i, t) in items.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(t);
    }
    body.push(']');
    if key.is_some() {
        body.push('}');
    }
    body
}

/// Everything a fake store keeps between requests.
pub(crate) struct State {
    pub catalog: Catalog,
    pub config: FakeConfig,
    pub stats: FakeStats,
    /// Request times in the last minute (per-minute limits).
    window: VecDeque<Instant>,
    /// Bucket level and when it was measured (Shopify).
    bucket: (f64, Instant),
    /// OAuth nonces already used.
    pub nonces: HashSet<String>,
    /// Magento admin tokens and when they were issued.
    pub tokens: HashMap<String, Instant>,
    /// Order-list requests so far (mutations are triggered by them).
    order_lists: u64,
    /// Rendered orders.
    pub order_texts: RenderCache,
}

impl State {
    /// Counts an order-list request and applies the configured mutation when it is due.
    pub fn order_list(&mut self) {
        self.order_lists += 1;
        if let Some(m) = self.config.mutation {
            if self.order_lists == m.after_lists + 1 {
                self.catalog.mutate(m.modify, m.insert);
            }
        }
    }

    /// The bucket level after the current request (Shopify's call-limit header).
    pub fn bucket_used(&self) -> Option<(u32, u32)> {
        match self.config.rate {
            Some(FakeRate::Bucket { capacity, .. }) => {
                Some((self.bucket.0.ceil() as u32, capacity))
            }
            _ => None,
        }
    }

    /// Takes the request in against the rate limit; `Some(retry_after)` when refused.
    fn admit(&mut self, now: Instant) -> Option<f64> {
        match self.config.rate? {
            FakeRate::PerMinute(limit) => {
                while self
                    .window
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
                {
                    self.window.pop_front();
                }
                if self.window.len() >= limit as usize {
                    let oldest = self.window.front().copied().unwrap_or(now);
                    return Some(60.0 - now.duration_since(oldest).as_secs_f64());
                }
                self.window.push_back(now);
                None
            }
            FakeRate::Bucket {
                capacity,
                leak_per_second,
            } => {
                let (level, at) = self.bucket;
                let level =
                    (level - now.duration_since(at).as_secs_f64() * leak_per_second).max(0.0);
                if level + 1.0 > f64::from(capacity) {
                    self.bucket = (level, now);
                    return Some((level + 1.0 - f64::from(capacity)) / leak_per_second);
                }
                self.bucket = (level + 1.0, now);
                None
            }
        }
    }
}

/// The state shared by the server's handlers and the [`crate::FakeStore`] handle.
pub(crate) struct Shared {
    pub platform: PlatformKind,
    pub base: String,
    state: Mutex<State>,
}

impl Shared {
    pub fn new(
        platform: PlatformKind,
        config: FakeConfig,
        listener: &tokio::net::TcpListener,
    ) -> std::io::Result<(Arc<Shared>, String)> {
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let sizes: Sizes = config.sizes;
        let mut catalog = Catalog::generate(sizes);
        catalog.soil(config.dirt);
        let now = Instant::now();
        let shared = Arc::new(Shared {
            platform,
            base: base.clone(),
            state: Mutex::new(State {
                catalog,
                config,
                stats: FakeStats::default(),
                window: VecDeque::new(),
                bucket: (0.0, now),
                nonces: HashSet::new(),
                tokens: HashMap::new(),
                order_lists: 0,
                order_texts: RenderCache::default(),
            }),
        });
        Ok((shared, base))
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut lock(&self.state))
    }
}

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let app = Router::new().fallback(handle).with_state(shared);
    let _ = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = stop.await;
        })
        .await;
}

/// A JSON answer.
pub(crate) fn json(status: u16, body: &Value) -> Response {
    json_text(status, body.to_string())
}

/// A JSON answer from its text.
pub(crate) fn json_text(status: u16, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// Adds a header (names and values are ASCII made here).
pub(crate) fn set_header(r: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

/// The platform's error body.
fn platform_error(platform: PlatformKind, status: u16, message: &str) -> Response {
    match platform {
        PlatformKind::WooCommerce => crate::woocommerce::error(status, "fake_error", message),
        PlatformKind::Shopify => crate::shopify::error(status, message),
        _ => crate::magento::error(status, message),
    }
}

fn too_many(platform: PlatformKind, retry_after: f64) -> Response {
    let mut r = platform_error(platform, 429, "Too many requests");
    let value = match platform {
        // Shopify sends fractional seconds ("2.0"); the others whole seconds.
        PlatformKind::Shopify => format!("{:.1}", retry_after.max(0.1)),
        _ => format!("{:.0}", retry_after.ceil().max(1.0)),
    };
    set_header(&mut r, "retry-after", &value);
    r
}

async fn handle(AxState(shared): AxState<Arc<Shared>>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let query = url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let req = Req {
        base: shared.base.clone(),
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query,
        headers: parts.headers,
        body,
    };
    let platform = shared.platform;
    let (fault, answer) = {
        let mut state = lock(&shared.state);
        state.stats.requests += 1;
        let n = state.stats.requests;
        if let Some(wait) = state.admit(Instant::now()) {
            state.stats.rate_limited += 1;
            let mut r = too_many(platform, wait);
            decorate(platform, &state, &mut r);
            return r;
        }
        let fault = state.config.faults.get(&n).cloned();
        let mut answer = match platform {
            PlatformKind::WooCommerce => crate::woocommerce::answer(&mut state, &req),
            PlatformKind::Shopify => crate::shopify::answer(&mut state, &req),
            _ => crate::magento::answer(&mut state, &req),
        };
        if answer.status() == 401 {
            state.stats.auth_failures += 1;
        }
        if matches!(fault, Some(Fault::RateLimited(_))) {
            state.stats.rate_limited += 1;
        }
        decorate(platform, &state, &mut answer);
        (fault, answer)
    };
    match fault {
        None => answer,
        Some(Fault::Status(s)) => platform_error(platform, s, "The server encountered an error."),
        Some(Fault::Html) => {
            let mut r = Response::new(Body::from(
                "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>Sorry, you have been blocked</body></html>",
            ));
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/html"));
            r
        }
        Some(Fault::Truncated) => {
            let (mut parts, body) = answer.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            parts.headers.remove("content-length");
            Response::from_parts(parts, Body::from(bytes.slice(0..bytes.len() / 2)))
        }
        Some(Fault::Drop) => {
            let (parts, body) = answer.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let head = bytes.slice(0..bytes.len() / 2);
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(head),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection dropped by the fake store",
                )),
            ];
            Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(chunks)))
        }
        Some(Fault::RateLimited(secs)) => too_many(platform, secs),
        Some(Fault::Slow(d)) => {
            tokio::time::sleep(d).await;
            answer
        }
    }
}

/// Headers every answer of a platform carries.
fn decorate(platform: PlatformKind, state: &State, r: &mut Response) {
    if platform == PlatformKind::Shopify {
        if let Some((used, cap)) = state.bucket_used() {
            set_header(r, "x-shopify-shop-api-call-limit", &format!("{used}/{cap}"));
        }
    }
}
