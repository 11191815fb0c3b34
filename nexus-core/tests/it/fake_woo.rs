//! A fake WooCommerce store on 127.0.0.1 for the connector tests: a seeded catalog served
//! with WooCommerce's protocol (Basic and OAuth 1.0a authentication checked for real,
//! `page`/`per_page`, `orderby`, `modified_after`/`modified_before` with `dates_are_gmt`,
//! `_fields`, `X-WP-Total` headers, refunds per order, error bodies), a per-minute rate
//! limit answered with 429 and `Retry-After`, and injected faults.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use chrono::{DateTime, TimeZone, Timelike, Utc};
use nexus_core::platform::oauth1;
use serde_json::{Value, json};

/// A fault served instead of the normal answer to one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// An error status with a WooCommerce error body.
    Status(u16),
    /// A firewall page in HTML, with status 200.
    Html,
    /// The right answer cut in half.
    Truncated,
    /// 429 with this `Retry-After` in seconds.
    RateLimited(f64),
    /// The answer after this delay.
    Slow(Duration),
}

/// What the fake store holds and how it misbehaves.
#[derive(Debug, Clone)]
pub struct Config {
    pub orders: usize,
    pub customers: usize,
    pub products: usize,
    pub seed: u64,
    pub rate_per_minute: Option<u32>,
    /// Faults by request number (1-based, counting every request).
    pub faults: BTreeMap<u64, Fault>,
    /// After this many order-list requests: modify `.1` existing orders and insert `.2` new ones.
    pub mutate_after: Option<(u64, usize, usize)>,
    /// Whether the API index lists `modified_after` (WooCommerce 5.8 and later).
    pub modified_filter: bool,
    /// A broken server that ignores `modified_after`.
    pub ignore_modified_after: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            orders: 250,
            customers: 60,
            products: 40,
            seed: 7,
            rate_per_minute: None,
            faults: BTreeMap::new(),
            mutate_after: None,
            modified_filter: true,
            ignore_modified_after: false,
        }
    }
}

#[derive(Debug, Clone)]
struct Rec {
    id: u64,
    modified: DateTime<Utc>,
    body: Value,
}

struct Store {
    config: Config,
    orders: Vec<Rec>,
    customers: Vec<Rec>,
    products: Vec<Rec>,
    refunds: BTreeMap<u64, Vec<Value>>,
    next_id: u64,
    requests: u64,
    order_lists: u64,
    window: VecDeque<Instant>,
    nonces: HashSet<String>,
    pub rate_limited: u64,
    rng: u64,
}

impl Store {
    fn rand(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn order_json(
    id: u64,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
    customer: u64,
    lines: u64,
) -> Value {
    let items: Vec<Value> = (0..lines)
        .map(|l| {
            json!({"id": id * 10 + l, "name": format!("Product {}", l + 1), "product_id": 100 + l, "variation_id": 0,
                   "quantity": 1 + l % 3, "subtotal": "10.00", "total": "10.00", "total_tax": "0.00", "sku": format!("SKU-{l}"),
                   "price": 10, "meta_data": []})
        })
        .collect();
    let total = format!("{}.00", 10 * lines + 5);
    json!({
        "id": id, "number": id.to_string(), "status": "completed", "currency": "EUR",
        "date_created": stamp(created), "date_created_gmt": stamp(created),
        "date_modified": stamp(modified), "date_modified_gmt": stamp(modified),
        "total": total, "total_tax": "0.00", "shipping_total": "5.00", "discount_total": "0.00",
        "customer_id": customer,
        "billing": {"first_name": "Ada", "last_name": "Lovelace", "email": format!("c{customer}@example.com"), "country": "PT"},
        "shipping_lines": [{"id": id * 7, "method_id": "flat_rate", "method_title": "Flat rate", "total": "5.00", "total_tax": "0.00"}],
        "line_items": items, "refunds": [],
        "_links": {"self": [{"href": format!("https://fake.example/wp-json/wc/v3/orders/{id}")}]}
    })
}

impl Store {
    fn new(config: Config) -> Self {
        let base = Utc
            .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
            .single()
            .expect("date");
        let mut s = Store {
            config: config.clone(),
            orders: Vec::new(),
            customers: Vec::new(),
            products: Vec::new(),
            refunds: BTreeMap::new(),
            next_id: 1000,
            requests: 0,
            order_lists: 0,
            window: VecDeque::new(),
            nonces: HashSet::new(),
            rate_limited: 0,
            rng: config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        };
        for i in 0..config.customers as u64 {
            let created = base + chrono::Duration::hours(i as i64);
            // Several customers share a modification second, as imports make them.
            let modified = created + chrono::Duration::days((s.rand() % 200) as i64);
            let id = 1 + i;
            s.customers.push(Rec {
                id,
                modified,
                body: json!({"id": id, "email": format!("c{id}@example.com"), "first_name": "Ada", "last_name": format!("C{id}"),
                    "date_created_gmt": stamp(created), "date_modified_gmt": stamp(modified), "billing": {"country": "PT"}}),
            });
        }
        for i in 0..config.products as u64 {
            let id = 100 + i;
            let created = base + chrono::Duration::hours(i as i64);
            let modified = created + chrono::Duration::days((s.rand() % 100) as i64);
            s.products.push(Rec {
                id,
                modified,
                body: json!({"id": id, "name": format!("Product {id}"), "type": "simple", "status": "publish", "sku": format!("SKU-{id}"),
                    "price": "10.00", "regular_price": "10.00", "date_created_gmt": stamp(created), "date_modified_gmt": stamp(modified)}),
            });
        }
        for i in 0..config.orders as u64 {
            let id = s.next_id;
            s.next_id += 1;
            let created = base + chrono::Duration::minutes(37 * i as i64);
            // Every tenth order shares its modification second with the next ones.
            let modified = if i % 10 < 4 {
                base + chrono::Duration::days(300)
            } else {
                created + chrono::Duration::hours((s.rand() % 500) as i64)
            };
            let customer = 1 + s.rand() % config.customers.max(1) as u64;
            let lines = 1 + s.rand() % 4;
            if i % 7 == 0 {
                let created_r = stamp(modified);
                s.refunds.insert(id, vec![json!({"id": id * 100 + 1, "date_created_gmt": created_r, "amount": "5.00", "reason": "damaged",
                    "line_items": [], "_links": {"up": [{"href": format!("https://fake.example/wp-json/wc/v3/orders/{id}")}]}})]);
            }
            s.orders.push(Rec {
                id,
                modified,
                body: order_json(id, created, modified, customer, lines),
            });
        }
        s
    }

    /// Modifies `n` existing orders and inserts `m` new ones, all modified now.
    fn mutate(&mut self, n: usize, m: usize) -> Vec<u64> {
        // WordPress keeps modification times to the second.
        let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
        let mut changed = Vec::new();
        for _ in 0..n {
            let k = (self.rand() % self.orders.len() as u64) as usize;
            let o = &mut self.orders[k];
            o.modified = now;
            o.body["date_modified_gmt"] = json!(stamp(now));
            o.body["date_modified"] = json!(stamp(now));
            o.body["status"] = json!("refunded");
            changed.push(o.id);
        }
        for _ in 0..m {
            let id = self.next_id;
            self.next_id += 1;
            self.orders.push(Rec {
                id,
                modified: now,
                body: order_json(id, now, now, 1, 2),
            });
            changed.push(id);
        }
        changed
    }
}

/// A running fake store.
pub struct FakeWoo {
    pub url: String,
    pub key: String,
    pub secret: String,
    store: Arc<Mutex<Store>>,
}

impl FakeWoo {
    pub async fn start(config: Config) -> FakeWoo {
        let store = Arc::new(Mutex::new(Store::new(config)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let url = format!("http://{addr}");
        let app = Router::new().fallback(handle).with_state(Shared {
            store: store.clone(),
            base: url.clone(),
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeWoo {
            url,
            key: "ck_fake_key_0123456789".into(),
            secret: "cs_fake_secret_0123456789".into(),
            store,
        }
    }

    /// A connector to this store: OAuth 1.0a over loopback HTTP, quick retries, no pacing.
    pub fn connector(&self, page_size: u32) -> nexus_core::platform::WooCommerce {
        use nexus_core::platform::{HttpOptions, RetryPolicy, WooCommerce};
        WooCommerce::builder(&self.url)
            .consumer_key(self.key.as_str())
            .consumer_secret(self.secret.as_str())
            .page_size(page_size)
            .requests_per_minute(100_000)
            .http(HttpOptions {
                timeout: Duration::from_secs(2),
                retry: RetryPolicy {
                    base_delay: Duration::from_millis(5),
                    max_delay: Duration::from_millis(50),
                    ..RetryPolicy::default()
                },
                ..HttpOptions::default()
            })
            .build()
            .expect("connector")
    }

    /// A connector using HTTP Basic over loopback HTTP (explicitly allowed).
    pub fn basic_connector(&self) -> nexus_core::platform::WooCommerce {
        nexus_core::platform::WooCommerce::builder(&self.url)
            .consumer_key(self.key.as_str())
            .consumer_secret(self.secret.as_str())
            .auth(nexus_core::platform::woocommerce::WooAuth::Basic)
            .allow_basic_over_http(true)
            .build()
            .expect("connector")
    }

    pub fn order_ids(&self) -> HashSet<String> {
        self.store
            .lock()
            .unwrap()
            .orders
            .iter()
            .map(|o| o.id.to_string())
            .collect()
    }

    pub fn customer_ids(&self) -> HashSet<String> {
        self.store
            .lock()
            .unwrap()
            .customers
            .iter()
            .map(|o| o.id.to_string())
            .collect()
    }

    pub fn refund_ids(&self) -> HashSet<String> {
        self.store
            .lock()
            .unwrap()
            .refunds
            .values()
            .flatten()
            .map(|r| r["id"].to_string())
            .collect()
    }

    pub fn mutate(&self, modify: usize, insert: usize) -> HashSet<String> {
        self.store
            .lock()
            .unwrap()
            .mutate(modify, insert)
            .into_iter()
            .map(|i| i.to_string())
            .collect()
    }

    pub fn rate_limited(&self) -> u64 {
        self.store.lock().unwrap().rate_limited
    }
}

#[derive(Clone)]
struct Shared {
    store: Arc<Mutex<Store>>,
    base: String,
}

const KEY: &str = "ck_fake_key_0123456789";
const SECRET: &str = "cs_fake_secret_0123456789";

fn error(status: u16, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({"code": code, "message": message, "data": {"status": status}}),
        HeaderMap::new(),
    )
}

fn deny(status: u16, code: &str, message: &str) -> Box<Response> {
    Box::new(error(status, code, message))
}

fn json_response(status: u16, body: &Value, headers: HeaderMap) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut().extend(headers);
    r.headers_mut().insert(
        "content-type",
        "application/json; charset=UTF-8".parse().unwrap(),
    );
    r
}

fn authenticate(
    headers: &HeaderMap,
    method: &str,
    url: &str,
    query: &[(String, String)],
    store: &mut Store,
) -> Result<(), Box<Response>> {
    if let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        let decoded = auth
            .strip_prefix("Basic ")
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        return if decoded == format!("{KEY}:{SECRET}") {
            Ok(())
        } else {
            Err(deny(
                401,
                "woocommerce_rest_authentication_error",
                "Consumer secret is invalid.",
            ))
        };
    }
    let get = |k: &str| query.iter().find(|(q, _)| q == k).map(|(_, v)| v.clone());
    let Some(key) = get("oauth_consumer_key") else {
        return Err(deny(
            401,
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot list resources.",
        ));
    };
    if key != KEY {
        return Err(deny(
            401,
            "woocommerce_rest_authentication_error",
            "Consumer key is invalid.",
        ));
    }
    let timestamp: i64 = get("oauth_timestamp")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    if (Utc::now().timestamp() - timestamp).abs() > 15 * 60 {
        return Err(deny(
            401,
            "woocommerce_rest_authentication_error",
            "Invalid timestamp.",
        ));
    }
    let method_name = get("oauth_signature_method").unwrap_or_default();
    let sig_method = match method_name.as_str() {
        "HMAC-SHA1" => oauth1::SignatureMethod::HmacSha1,
        "HMAC-SHA256" => oauth1::SignatureMethod::HmacSha256,
        _ => {
            return Err(deny(
                401,
                "woocommerce_rest_authentication_error",
                "Invalid signature - signature method is invalid.",
            ));
        }
    };
    let base = oauth1::base_string(method, url, query);
    let expected = oauth1::sign(sig_method, &base, SECRET, "");
    if get("oauth_signature").as_deref() != Some(expected.as_str()) {
        return Err(deny(
            401,
            "woocommerce_rest_authentication_error",
            "Invalid signature - provided signature does not match.",
        ));
    }
    let nonce = get("oauth_nonce").unwrap_or_default();
    if !store.nonces.insert(nonce) {
        return Err(deny(
            401,
            "woocommerce_rest_authentication_error",
            "Invalid nonce - nonce has already been used.",
        ));
    }
    Ok(())
}

fn page_of(
    recs: &[Rec],
    query: &[(String, String)],
    store: &Store,
) -> Result<(Vec<Value>, usize, usize), Box<Response>> {
    let get = |k: &str| query.iter().find(|(q, _)| q == k).map(|(_, v)| v.as_str());
    let per_page: usize = get("per_page").and_then(|v| v.parse().ok()).unwrap_or(10);
    if per_page == 0 || per_page > 100 {
        return Err(deny(
            400,
            "rest_invalid_param",
            "Invalid parameter(s): per_page",
        ));
    }
    let page: usize = get("page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let parse = |v: Option<&str>| {
        v.and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok())
            .map(|n| n.and_utc())
    };
    let after = if store.config.ignore_modified_after {
        None
    } else {
        parse(get("modified_after"))
    };
    let before = parse(get("modified_before"));
    let mut rows: Vec<&Rec> = recs
        .iter()
        .filter(|r| after.is_none_or(|a| r.modified > a) && before.is_none_or(|b| r.modified < b))
        .collect();
    match get("orderby") {
        Some("modified") => rows.sort_by_key(|r| (r.modified, r.id)),
        _ => rows.sort_by_key(|r| r.id),
    }
    if get("order") == Some("desc") {
        rows.reverse();
    }
    let total = rows.len();
    let fields: Option<Vec<&str>> = get("_fields").map(|f| f.split(',').collect());
    let items = rows
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|r| match &fields {
            Some(f) => Value::Object(
                f.iter()
                    .filter_map(|k| Some((k.to_string(), r.body.get(*k)?.clone())))
                    .collect(),
            ),
            None => r.body.clone(),
        })
        .collect();
    Ok((items, total, total.div_ceil(per_page)))
}

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let method = req.method().as_str().to_owned();
    let headers = req.headers().clone();
    let (fault, answer) = {
        let mut store = shared.store.lock().unwrap();
        store.requests += 1;
        let n = store.requests;
        let fault = store.config.faults.get(&n).cloned();
        if let Some(limit) = store.config.rate_per_minute {
            let now = Instant::now();
            while store
                .window
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
            {
                store.window.pop_front();
            }
            if store.window.len() >= limit as usize {
                store.rate_limited += 1;
                let wait = 60.0
                    - now
                        .duration_since(*store.window.front().unwrap())
                        .as_secs_f64();
                let mut h = HeaderMap::new();
                h.insert(
                    "retry-after",
                    format!("{:.0}", wait.ceil()).parse().unwrap(),
                );
                return json_response(
                    429,
                    &json!({"code": "rate_limited", "message": "Too many requests", "data": {"status": 429}}),
                    h,
                );
            }
            store.window.push_back(now);
        }
        (
            fault,
            answer(&mut store, &shared.base, &method, &path, &query, &headers),
        )
    };
    match fault {
        None => answer,
        Some(Fault::Status(s)) => error(
            s,
            "internal_server_error",
            "The server encountered an error.",
        ),
        Some(Fault::Html) => {
            let mut r = Response::new(Body::from(
                "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>blocked</body></html>",
            ));
            r.headers_mut()
                .insert("content-type", "text/html".parse().unwrap());
            r
        }
        Some(Fault::Truncated) => {
            let (parts, body) = answer.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let cut = bytes.slice(0..bytes.len() / 2);
            let mut parts = parts;
            parts.headers.remove("content-length");
            Response::from_parts(parts, Body::from(cut))
        }
        Some(Fault::RateLimited(secs)) => {
            shared.store.lock().unwrap().rate_limited += 1;
            let mut h = HeaderMap::new();
            h.insert("retry-after", format!("{secs}").parse().unwrap());
            json_response(
                429,
                &json!({"code": "rate_limited", "message": "Too many requests", "data": {"status": 429}}),
                h,
            )
        }
        Some(Fault::Slow(d)) => {
            tokio::time::sleep(d).await;
            answer
        }
    }
}

fn answer(
    store: &mut Store,
    base: &str,
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> Response {
    if path == "/wp-json" || path == "/wp-json/" {
        return json_response(
            200,
            &json!({"name": "Fake Woo Store", "timezone_string": "Europe/Lisbon", "gmt_offset": 0,
            "namespaces": ["wc/v3"]}),
            HeaderMap::new(),
        );
    }
    let Some(rest) = path.strip_prefix("/wp-json/wc/v3") else {
        return error(
            404,
            "rest_no_route",
            "No route was found matching the URL and request method.",
        );
    };
    if let Err(r) = authenticate(headers, method, &format!("{base}{path}"), query, store) {
        return *r;
    }
    let list = |store: &Store, recs: &[Rec]| match page_of(recs, query, store) {
        Ok((items, total, pages)) => {
            let mut h = HeaderMap::new();
            h.insert("x-wp-total", total.to_string().parse().unwrap());
            h.insert("x-wp-totalpages", pages.to_string().parse().unwrap());
            json_response(200, &Value::Array(items), h)
        }
        Err(r) => *r,
    };
    match rest {
        "" | "/" => {
            let args = if store.config.modified_filter {
                json!({"page": {}, "per_page": {}, "modified_after": {}, "modified_before": {}, "dates_are_gmt": {}})
            } else {
                json!({"page": {}, "per_page": {}, "after": {}, "before": {}})
            };
            json_response(
                200,
                &json!({"namespace": "wc/v3", "routes": {
                    "/wc/v3/orders": {"endpoints": [{"methods": ["GET"], "args": args.clone()}]},
                    "/wc/v3/products": {"endpoints": [{"methods": ["GET"], "args": args}]},
                    "/wc/v3/customers": {"endpoints": [{"methods": ["GET"], "args": {"page": {}, "per_page": {}}}]}
                }}),
                HeaderMap::new(),
            )
        }
        "/system_status" => json_response(
            200,
            &json!({"environment": {"version": "9.4.2", "site_url": base},
            "settings": {"currency": "EUR"}}),
            HeaderMap::new(),
        ),
        "/orders" => {
            store.order_lists += 1;
            if let Some((after, modify, insert)) = store.config.mutate_after {
                if store.order_lists == after + 1 {
                    store.mutate(modify, insert);
                }
            }
            let recs = store.orders.clone();
            list(store, &recs)
        }
        "/customers" => {
            let recs = store.customers.clone();
            list(store, &recs)
        }
        "/products" => {
            let recs = store.products.clone();
            list(store, &recs)
        }
        other => {
            let parts: Vec<&str> = other.trim_matches('/').split('/').collect();
            match parts.as_slice() {
                ["orders", id, "refunds"] => match id.parse::<u64>() {
                    Ok(id) if store.orders.iter().any(|o| o.id == id) => json_response(
                        200,
                        &Value::Array(store.refunds.get(&id).cloned().unwrap_or_default()),
                        HeaderMap::new(),
                    ),
                    _ => error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID."),
                },
                _ => error(
                    404,
                    "rest_no_route",
                    "No route was found matching the URL and request method.",
                ),
            }
        }
    }
}
