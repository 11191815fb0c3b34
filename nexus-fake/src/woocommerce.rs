//! The fake WooCommerce store: REST API v3 under `/wp-json/wc/v3`.

use base64::Engine;
use chrono::{DateTime, Utc};
use nexus_core::platform::oauth1;
use serde_json::{Value, json};

use crate::catalog::{self, Customer, Order, Product, by_modified, money};
use std::sync::Arc;

use crate::server::{Req, State, json, json_text, list_body, set_header};

pub(crate) fn error(status: u16, code: &str, message: &str) -> axum::response::Response {
    json(
        status,
        &json!({"code": code, "message": message, "data": {"status": status}}),
    )
}

fn gmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn order_json(o: &Order) -> Value {
    let items: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            let total = money(l.price * i64::from(l.quantity));
            json!({"id": l.id, "name": l.title, "product_id": l.product,
                   "variation_id": if l.variable { l.variant } else { 0 },
                   "quantity": l.quantity, "tax_class": "", "subtotal": total, "subtotal_tax": "0.00",
                   "total": total, "total_tax": "0.00", "taxes": [], "meta_data": [], "sku": l.sku,
                   "price": l.price as f64 / 100.0})
        })
        .collect();
    let refunds: Vec<Value> = o
        .refunds
        .iter()
        .map(|r| json!({"id": r.id, "reason": r.reason, "total": money(-r.amount)}))
        .collect();
    json!({
        "id": o.id, "parent_id": 0, "number": o.number.to_string(), "order_key": format!("wc_order_{}", o.id),
        "created_via": "checkout", "version": "9.4.2", "status": o.status, "currency": "EUR",
        "date_created": gmt(o.created), "date_created_gmt": gmt(o.created),
        "date_modified": gmt(o.modified), "date_modified_gmt": gmt(o.modified),
        "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": money(o.shipping),
        "shipping_tax": "0.00", "cart_tax": "0.00", "total": money(o.total()), "total_tax": "0.00",
        "prices_include_tax": false, "customer_id": o.customer,
        "billing": {"first_name": "", "last_name": "", "email": o.email, "country": "PT"},
        "shipping": {"first_name": "", "last_name": "", "country": "PT"},
        "payment_method": "bacs", "payment_method_title": "Direct bank transfer",
        "date_paid_gmt": if o.status == "pending" { Value::Null } else { json!(gmt(o.created)) },
        "date_completed_gmt": if o.status == "completed" { json!(gmt(o.modified)) } else { Value::Null },
        "line_items": items, "tax_lines": [],
        "shipping_lines": [{"id": o.id * 7, "method_title": "Flat rate", "method_id": "flat_rate",
            "total": money(o.shipping), "total_tax": "0.00", "taxes": []}],
        "fee_lines": [], "coupon_lines": [], "refunds": refunds, "meta_data": [],
        "_links": {"self": [{"href": format!("https://fake.example/wp-json/wc/v3/orders/{}", o.id)}]}
    })
}

fn customer_json(c: &Customer) -> Value {
    json!({"id": c.id, "email": c.email, "first_name": c.first_name, "last_name": c.last_name,
        "role": "customer", "username": c.email.split('@').next().unwrap_or_default(),
        "date_created_gmt": gmt(c.created), "date_modified_gmt": gmt(c.modified),
        "billing": {"first_name": c.first_name, "last_name": c.last_name, "city": c.city, "country": c.country, "email": c.email},
        "shipping": {"first_name": c.first_name, "last_name": c.last_name, "city": c.city, "country": c.country},
        "is_paying_customer": true, "meta_data": []})
}

fn product_json(p: &Product) -> Value {
    let variable = p.variants.len() > 1;
    let first = &p.variants[0];
    json!({"id": p.id, "name": p.title, "slug": format!("product-{}", p.id),
        "type": if variable { "variable" } else { "simple" }, "status": "publish",
        "sku": if variable { format!("SKU-{}", p.id) } else { first.sku.clone() },
        "price": money(first.price), "regular_price": money(first.price), "sale_price": "",
        "date_created_gmt": gmt(p.created), "date_modified_gmt": gmt(p.modified),
        "manage_stock": false, "stock_status": "instock",
        "variations": if variable { json!(p.variants.iter().map(|v| v.id).collect::<Vec<_>>()) } else { json!([]) },
        "meta_data": []})
}

fn refund_json(o: &Order, r: &catalog::Refund) -> Value {
    json!({"id": r.id, "date_created": gmt(r.created), "date_created_gmt": gmt(r.created),
        "amount": money(r.amount), "reason": r.reason, "refunded_by": 1, "refunded_payment": true,
        "meta_data": [], "line_items": [],
        "_links": {"up": [{"href": format!("https://fake.example/wp-json/wc/v3/orders/{}", o.id)}]}})
}

fn deny(code: &str, message: &str) -> Box<axum::response::Response> {
    Box::new(error(401, code, message))
}

fn authenticate(state: &mut State, req: &Req) -> Result<(), Box<axum::response::Response>> {
    let creds = &*crate::CREDENTIALS;
    if let Some(auth) = req.header("authorization") {
        let decoded = auth
            .strip_prefix("Basic ")
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        return if decoded == format!("{}:{}", creds.consumer_key, creds.consumer_secret) {
            Ok(())
        } else {
            Err(deny(
                "woocommerce_rest_authentication_error",
                "Consumer secret is invalid.",
            ))
        };
    }
    let Some(key) = req.param("oauth_consumer_key") else {
        return Err(deny(
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot list resources.",
        ));
    };
    if key != creds.consumer_key {
        return Err(deny(
            "woocommerce_rest_authentication_error",
            "Consumer key is invalid.",
        ));
    }
    let timestamp: i64 = req
        .param("oauth_timestamp")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    if (Utc::now().timestamp() - timestamp).abs() > 15 * 60 {
        return Err(deny(
            "woocommerce_rest_authentication_error",
            "Invalid timestamp.",
        ));
    }
    let method = match req.param("oauth_signature_method") {
        Some("HMAC-SHA1") => oauth1::SignatureMethod::HmacSha1,
        Some("HMAC-SHA256") => oauth1::SignatureMethod::HmacSha256,
        _ => {
            return Err(deny(
                "woocommerce_rest_authentication_error",
                "Invalid signature - signature method is invalid.",
            ));
        }
    };
    let url = format!("{}{}", req.base, req.path);
    let base = oauth1::base_string(&req.method, &url, &req.query);
    let expected = oauth1::sign(method, &base, &creds.consumer_secret, "");
    if req.param("oauth_signature") != Some(expected.as_str()) {
        return Err(deny(
            "woocommerce_rest_authentication_error",
            "Invalid signature - provided signature does not match.",
        ));
    }
    let nonce = req.param("oauth_nonce").unwrap_or_default().to_owned();
    if !state.nonces.insert(nonce) {
        return Err(deny(
            "woocommerce_rest_authentication_error",
            "Invalid nonce - nonce has already been used.",
        ));
    }
    Ok(())
}

/// Paging arguments of a list request.
struct Listing {
    page: usize,
    /// Records to skip (`offset` wins over `page`, as in WordPress).
    offset: Option<usize>,
    per_page: usize,
    by_modified: bool,
    desc: bool,
    after: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
    fields: Option<Vec<String>>,
}

fn listing(state: &State, req: &Req) -> Result<Listing, Box<axum::response::Response>> {
    let per_page: usize = req
        .param("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    if per_page == 0 || per_page > 100 {
        return Err(Box::new(error(
            400,
            "rest_invalid_param",
            "Invalid parameter(s): per_page",
        )));
    }
    let parse = |k: &str| {
        req.param(k)
            .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok())
            .map(|n| n.and_utc())
    };
    Ok(Listing {
        offset: req.param("offset").and_then(|v| v.parse().ok()),
        page: req
            .param("page")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1usize)
            .max(1),
        per_page,
        by_modified: req.param("orderby") == Some("modified"),
        desc: req.param("order") == Some("desc"),
        after: if state.config.ignore_cursor || !state.config.woo_modified_filter {
            None
        } else {
            parse("modified_after")
        },
        before: if state.config.woo_modified_filter {
            parse("modified_before")
        } else {
            None
        },
        fields: req
            .param("_fields")
            .map(|f| f.split(',').map(str::to_owned).collect()),
    })
}

/// A page of `rows`; orders come from the render cache (`cached`) unless `_fields` asks
/// for some fields only.
fn list(
    rows: Vec<usize>,
    l: &Listing,
    cached: Option<&dyn Fn(usize) -> Arc<str>>,
    render: impl Fn(usize) -> Value,
) -> axum::response::Response {
    let total = rows.len();
    let mut rows = rows;
    if l.desc {
        rows.reverse();
    }
    let items: Vec<Arc<str>> = rows
        .into_iter()
        .skip(l.offset.unwrap_or((l.page - 1) * l.per_page))
        .take(l.per_page)
        .map(|i| match (&l.fields, cached) {
            (None, Some(c)) => c(i),
            (Some(f), _) => {
                let v = render(i);
                let kept: serde_json::Map<String, Value> = f
                    .iter()
                    .filter_map(|k| Some((k.clone(), v.get(k)?.clone())))
                    .collect();
                Arc::from(Value::Object(kept).to_string())
            }
            (None, None) => Arc::from(render(i).to_string()),
        })
        .collect();
    let mut r = json_text(200, list_body(None, &items));
    set_header(&mut r, "x-wp-total", &total.to_string());
    set_header(
        &mut r,
        "x-wp-totalpages",
        &total.div_ceil(l.per_page).to_string(),
    );
    r
}

fn sorted<T: catalog::Stamped>(recs: &[T], l: &Listing) -> Vec<usize> {
    let mut rows = by_modified(
        recs,
        l.after.map(|t| (t, false)),
        l.before.map(|t| (t, false)),
    );
    if !l.by_modified {
        rows.sort_unstable_by_key(|&i| recs[i].id());
    }
    rows
}

pub(crate) fn answer(state: &mut State, req: &Req) -> axum::response::Response {
    let path = req.path.as_str();
    if path == "/wp-json" || path == "/wp-json/" {
        return json(
            200,
            &json!({"name": "Fake Woo Store", "url": req.base, "timezone_string": "Europe/Lisbon",
                "gmt_offset": 0, "namespaces": ["wp/v2", "wc/v3"]}),
        );
    }
    let Some(rest) = path.strip_prefix("/wp-json/wc/v3") else {
        return error(
            404,
            "rest_no_route",
            "No route was found matching the URL and request method.",
        );
    };
    if let Err(r) = authenticate(state, req) {
        return *r;
    }
    let l = match rest {
        "/orders" | "/customers" | "/products" => match listing(state, req) {
            Ok(l) => Some(l),
            Err(r) => return *r,
        },
        _ => None,
    };
    match (rest, l) {
        ("" | "/", _) => {
            let args = if state.config.woo_modified_filter {
                json!({"page": {}, "per_page": {}, "modified_after": {}, "modified_before": {}, "dates_are_gmt": {}})
            } else {
                json!({"page": {}, "per_page": {}, "after": {}, "before": {}})
            };
            json(
                200,
                &json!({"namespace": "wc/v3", "routes": {
                    "/wc/v3/orders": {"endpoints": [{"methods": ["GET"], "args": args.clone()}]},
                    "/wc/v3/products": {"endpoints": [{"methods": ["GET"], "args": args}]},
                    "/wc/v3/customers": {"endpoints": [{"methods": ["GET"], "args": {"page": {}, "per_page": {}}}]}
                }}),
            )
        }
        ("/system_status", _) => json(
            200,
            &json!({"environment": {"version": "9.4.2", "site_url": req.base},
                "settings": {"currency": "EUR", "currency_symbol": "€"}}),
        ),
        ("/orders", Some(l)) => {
            state.order_list();
            let rows = if l.by_modified {
                state
                    .catalog
                    .orders_by_modified(l.after.map(|t| (t, false)), l.before.map(|t| (t, false)))
            } else {
                sorted(&state.catalog.orders, &l)
            };
            let orders = &state.catalog.orders;
            let texts = &state.order_texts;
            let cached = |i: usize| {
                let o = &orders[i];
                texts.get(o.id, o.modified.timestamp(), || order_json(o))
            };
            list(rows, &l, Some(&cached), |i| order_json(&orders[i]))
        }
        ("/customers", Some(l)) => {
            // The REST API has no modification filter for customers.
            let recs = &state.catalog.customers;
            let mut rows: Vec<usize> = (0..recs.len()).collect();
            rows.sort_unstable_by_key(|&i| recs[i].id);
            list(rows, &l, None, |i| customer_json(&recs[i]))
        }
        ("/products", Some(l)) => {
            let recs = &state.catalog.products;
            list(sorted(recs, &l), &l, None, |i| product_json(&recs[i]))
        }
        (other, _) => {
            let parts: Vec<&str> = other.trim_matches('/').split('/').collect();
            match parts.as_slice() {
                ["orders", id, "refunds"] => {
                    match id
                        .parse::<u64>()
                        .ok()
                        .and_then(|id| state.catalog.order(id))
                    {
                        Some(o) => json(
                            200,
                            &Value::Array(o.refunds.iter().map(|r| refund_json(o, r)).collect()),
                        ),
                        None => error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID."),
                    }
                }
                _ => error(
                    404,
                    "rest_no_route",
                    "No route was found matching the URL and request method.",
                ),
            }
        }
    }
}
