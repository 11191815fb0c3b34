//! The fake Magento 2 store: the REST API under `/rest/<store_code>/V1` (store codes
//! `default` and `all`, and `/rest/V1` for the default store).
//!
//! - **Authentication**, checked for real: the integration access token as a bearer token;
//!   admin tokens issued by `POST .../V1/integration/admin/token` for the admin user name
//!   and password, expiring after [`FakeConfig::admin_token_ttl`](crate::FakeConfig) (or at
//!   [`FakeStore::expire_tokens`](crate::FakeStore::expire_tokens)); OAuth 1.0a
//!   `Authorization: OAuth ...` headers, whose HMAC-SHA1 or HMAC-SHA256 signature is checked
//!   over the method, the URL and every query and OAuth parameter (key
//!   `consumer_secret&token_secret`), within 600 seconds of the store's clock, each nonce
//!   once.
//! - **Search**: `searchCriteria` with filter groups (ANDed; the filters of a group ORed;
//!   `eq`, `neq`, `gt`, `gteq`, `lt`, `lteq`, `in`, `nin`, `like`), sort orders, `pageSize`
//!   and `currentPage`, with Magento's quirk: a `currentPage` past the end serves the last
//!   page again. Answers are `{"items", "search_criteria", "total_count"}`. Without a
//!   `searchCriteria` the store answers 400, as Magento does.
//! - **Entities**: orders (`/orders`, `/orders/<id>`), customers (`/customers/search`,
//!   `/customers/<id>`), products (`/products`), refunds as credit memos (`/creditmemos`),
//!   and `/store/storeConfigs` (EUR, Europe/Lisbon).
//! - **Errors** in Magento's shape: `{"message": "... %1 ...", "parameters": ...}`.

use std::cmp::Ordering;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use nexus_core::platform::oauth1;
use serde_json::{Value, json};

use crate::catalog::{self, Customer, Order, Product, money};
use crate::server::{Req, State, json, json_text, list_body};

type Response = axum::response::Response;

/// A Magento error body.
pub(crate) fn error(status: u16, message: &str) -> Response {
    json(status, &json!({"message": message}))
}

/// A Magento error body with placeholders and their parameters.
fn error_with(status: u16, message: &str, parameters: Value) -> Response {
    json(
        status,
        &json!({"message": message, "parameters": parameters}),
    )
}

fn no_route() -> Response {
    error(404, "Request does not match any route.")
}

fn not_found() -> Response {
    error(
        404,
        "The entity that was requested doesn't exist. Verify the entity and try again.",
    )
}

/// Magento's time format: `YYYY-MM-DD HH:MM:SS`, UTC.
fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|n| n.and_utc())
}

/// An amount in cents as a JSON number, as Magento sends money (`165`, `12.34`).
fn amount(cents: i64) -> Value {
    if cents % 100 == 0 {
        json!(cents / 100)
    } else {
        money(cents)
            .parse::<serde_json::Number>()
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

// ---------------------------------------------------------------------------------------
// Rendering

fn find_customer(customers: &[Customer], id: u64) -> Option<&Customer> {
    customers
        .binary_search_by_key(&id, |c| c.id)
        .ok()
        .map(|i| &customers[i])
}

fn find_product(products: &[Product], id: u64) -> Option<&Product> {
    products
        .binary_search_by_key(&id, |p| p.id)
        .ok()
        .map(|i| &products[i])
}

/// Magento's `(state, status)` for a catalog status.
fn state_status(status: &str) -> (&'static str, &'static str) {
    match status {
        "completed" => ("complete", "complete"),
        "processing" => ("processing", "processing"),
        "cancelled" => ("canceled", "canceled"),
        "refunded" => ("closed", "closed"),
        _ => ("new", "pending"),
    }
}

/// Units of each line refunded by the order's credit memos.
fn refunded_units(o: &Order) -> Vec<u32> {
    let mut units = vec![0u32; o.lines.len()];
    for r in &o.refunds {
        for (k, qty) in memo_lines(o, r) {
            units[k] += qty;
        }
    }
    units
}

/// The lines a credit memo refunds, as `(line index, units)`: the whole order, or one unit
/// of its first line.
fn memo_lines(o: &Order, r: &catalog::Refund) -> Vec<(usize, u32)> {
    if r.amount == o.total() {
        o.lines
            .iter()
            .enumerate()
            .map(|(k, l)| (k, l.quantity))
            .collect()
    } else if o.lines.first().is_some_and(|l| l.price == r.amount) {
        vec![(0, 1)]
    } else {
        Vec::new()
    }
}

fn address(o: &Order, c: Option<&Customer>, kind: &str, id: u64) -> Value {
    let (first, last, city, country) = match c {
        Some(c) => (
            c.first_name.as_str(),
            c.last_name.as_str(),
            c.city,
            c.country,
        ),
        None => ("", "", "Lisboa", "PT"),
    };
    json!({"address_type": kind, "entity_id": id, "parent_id": o.id, "firstname": first,
        "lastname": last, "street": [format!("{} Rua Augusta", 1 + o.customer % 200)],
        "city": city, "postcode": "1100-048", "country_id": country, "region": null,
        "region_id": null, "telephone": format!("+351 21 000 {:04}", o.customer % 10_000),
        "email": o.email})
}

fn order_json(o: &Order, customers: &[Customer], products: &[Product]) -> Value {
    let (state, status) = state_status(o.status);
    let customer = find_customer(customers, o.customer);
    let invoiced = !matches!(o.status, "pending" | "cancelled");
    let refunded = refunded_units(o);
    let mut items = Vec::with_capacity(o.lines.len());
    for (k, l) in o.lines.iter().enumerate() {
        let product = find_product(products, l.product);
        let configurable = product.is_some_and(|p| p.variants.len() > 1);
        let row = l.price * i64::from(l.quantity);
        let common = |item_id: u64, price: i64, row: i64| {
            json!({"item_id": item_id, "order_id": o.id, "sku": l.sku, "qty_ordered": l.quantity,
                "qty_invoiced": if invoiced { l.quantity } else { 0 },
                "qty_refunded": refunded[k], "qty_canceled": if o.status == "cancelled" { l.quantity } else { 0 },
                "qty_shipped": if o.status == "completed" { l.quantity } else { 0 },
                "price": amount(price), "base_price": amount(price), "original_price": amount(price),
                "price_incl_tax": amount(price), "row_total": amount(row), "base_row_total": amount(row),
                "row_total_incl_tax": amount(row), "tax_amount": 0, "tax_percent": 0,
                "discount_amount": 0, "discount_percent": 0, "created_at": ts(o.created),
                "updated_at": ts(o.modified), "store_id": 1, "is_virtual": 0, "weight": 1})
        };
        let mut parent = common(l.id, l.price, row);
        parent["product_id"] = json!(l.product);
        parent["name"] = json!(l.title);
        parent["product_type"] = json!(if configurable {
            "configurable"
        } else {
            "simple"
        });
        items.push(parent);
        if configurable {
            let option = product
                .and_then(|p| p.variants.iter().find(|v| v.id == l.variant))
                .map(|v| v.option)
                .unwrap_or_default();
            let mut child = common(l.id + 1_000_000_000, 0, 0);
            child["parent_item_id"] = json!(l.id);
            child["product_id"] = json!(l.variant);
            child["name"] = json!(format!("{}-{option}", l.title));
            child["product_type"] = json!("simple");
            items.push(child);
        }
    }
    let subtotal = o.total() - o.shipping;
    let refunded_total: i64 = o.refunds.iter().map(|r| r.amount).sum();
    let units: u32 = o.lines.iter().map(|l| l.quantity).sum();
    let (first, last) = customer
        .map(|c| (c.first_name.as_str(), c.last_name.as_str()))
        .unwrap_or_default();
    let shipping_total = json!({"shipping_amount": amount(o.shipping),
        "base_shipping_amount": amount(o.shipping), "shipping_incl_tax": amount(o.shipping),
        "shipping_tax_amount": 0, "shipping_discount_amount": 0});
    json!({
        "entity_id": o.id, "increment_id": format!("{:09}", o.number), "state": state,
        "status": status, "created_at": ts(o.created), "updated_at": ts(o.modified),
        "customer_id": o.customer, "customer_email": o.email, "customer_firstname": first,
        "customer_lastname": last, "customer_is_guest": 0, "customer_group_id": 1,
        "customer_note_notify": 1, "email_sent": 1, "protect_code": format!("{:06x}", o.id % 0xff_ffff),
        "quote_id": o.id + 7, "order_currency_code": "EUR", "base_currency_code": "EUR",
        "global_currency_code": "EUR", "store_currency_code": "EUR",
        "base_to_global_rate": 1, "base_to_order_rate": 1,
        "grand_total": amount(o.total()), "base_grand_total": amount(o.total()),
        "subtotal": amount(subtotal), "base_subtotal": amount(subtotal),
        "subtotal_incl_tax": amount(subtotal), "shipping_amount": amount(o.shipping),
        "base_shipping_amount": amount(o.shipping), "shipping_incl_tax": amount(o.shipping),
        "shipping_tax_amount": 0, "shipping_discount_amount": 0, "discount_amount": 0,
        "base_discount_amount": 0, "tax_amount": 0, "base_tax_amount": 0,
        "total_paid": if invoiced { amount(o.total()) } else { Value::Null },
        "total_invoiced": if invoiced { amount(o.total()) } else { Value::Null },
        "total_refunded": if refunded_total > 0 { amount(refunded_total) } else { Value::Null },
        "total_due": if invoiced { json!(0) } else { amount(o.total()) },
        "total_qty_ordered": units, "total_item_count": items.len(),
        "shipping_description": "Flat Rate - Fixed", "is_virtual": 0, "weight": units,
        "store_id": 1, "store_name": "Main Website\nMain Website Store\nDefault Store View",
        "remote_ip": "203.0.113.7",
        "items": items,
        "billing_address_id": o.id * 2, "billing_address": address(o, customer, "billing", o.id * 2),
        "payment": {"entity_id": o.id, "parent_id": o.id, "method": "checkmo",
            "amount_ordered": amount(o.total()), "base_amount_ordered": amount(o.total()),
            "shipping_amount": amount(o.shipping), "additional_information": ["Check / Money order"]},
        "status_histories": [],
        "extension_attributes": {
            "shipping_assignments": [{"shipping": {
                "address": address(o, customer, "shipping", o.id * 2 + 1),
                "method": "flatrate_flatrate", "total": shipping_total}}],
            "payment_additional_info": [{"key": "method_title", "value": "Check / Money order"}],
            "applied_taxes": [], "item_applied_taxes": []
        }
    })
}

fn customer_json(c: &Customer) -> Value {
    json!({"id": c.id, "group_id": 1, "default_billing": c.id.to_string(),
        "default_shipping": c.id.to_string(), "created_at": ts(c.created), "updated_at": ts(c.modified),
        "created_in": "Default Store View", "email": c.email, "firstname": c.first_name,
        "lastname": c.last_name, "gender": 0, "store_id": 1, "website_id": 1,
        "addresses": [{"id": c.id, "customer_id": c.id,
            "region": {"region_code": null, "region": null, "region_id": 0}, "region_id": 0,
            "country_id": c.country, "street": [format!("{} Rua Augusta", 1 + c.id % 200)],
            "telephone": format!("+351 21 000 {:04}", c.id % 10_000), "postcode": "1100-048",
            "city": c.city, "firstname": c.first_name, "lastname": c.last_name,
            "default_shipping": true, "default_billing": true}],
        "disable_auto_group_change": 0,
        "extension_attributes": {"is_subscribed": c.id % 3 == 0}})
}

fn product_json(p: &Product) -> Value {
    let configurable = p.variants.len() > 1;
    let first = &p.variants[0];
    let mut ext = json!({"website_ids": [1],
        "category_links": [{"position": 0, "category_id": "2"}],
        "stock_item": {"item_id": p.id, "product_id": p.id, "stock_id": 1,
            "qty": if configurable { 0 } else { 100 }, "is_in_stock": true,
            "is_qty_decimal": false, "manage_stock": true, "min_qty": 0, "min_sale_qty": 1,
            "max_sale_qty": 10000, "backorders": 0, "low_stock_date": null}});
    if configurable {
        ext["configurable_product_options"] = json!([{"id": p.id, "attribute_id": "144",
            "label": "Size", "position": 0, "product_id": p.id,
            "values": p.variants.iter().map(|v| json!({"value_index": 160 + v.id % 10})).collect::<Vec<_>>()}]);
        ext["configurable_product_links"] =
            json!(p.variants.iter().map(|v| v.id).collect::<Vec<_>>());
    }
    json!({"id": p.id, "sku": if configurable { format!("SKU-{}", p.id) } else { first.sku.clone() },
        "name": p.title, "attribute_set_id": 4,
        "price": if configurable { json!(0) } else { amount(first.price) },
        "status": 1, "visibility": 4, "type_id": if configurable { "configurable" } else { "simple" },
        "created_at": ts(p.created), "updated_at": ts(p.modified), "weight": 1,
        "extension_attributes": ext, "product_links": [], "options": [],
        "media_gallery_entries": [], "tier_prices": [],
        "custom_attributes": [
            {"attribute_code": "url_key", "value": format!("product-{}", p.id)},
            {"attribute_code": "tax_class_id", "value": "2"},
            {"attribute_code": "category_ids", "value": ["2"]},
            {"attribute_code": "description", "value": format!("<p>{}</p>", p.title)}]})
}

fn creditmemo_json(o: &Order, r: &catalog::Refund) -> Value {
    let lines = memo_lines(o, r);
    let items: Vec<Value> = lines
        .iter()
        .map(|&(k, qty)| {
            let l = &o.lines[k];
            let row = l.price * i64::from(qty);
            json!({"entity_id": r.id * 10 + k as u64, "parent_id": r.id, "order_item_id": l.id,
                "product_id": l.product, "sku": l.sku, "name": l.title, "qty": qty,
                "price": amount(l.price), "base_price": amount(l.price),
                "row_total": amount(row), "base_row_total": amount(row),
                "row_total_incl_tax": amount(row), "tax_amount": 0, "discount_amount": 0})
        })
        .collect();
    let lines_total: i64 = lines
        .iter()
        .map(|&(k, qty)| o.lines[k].price * i64::from(qty))
        .sum();
    let full = r.amount == o.total();
    let shipping = if full { o.shipping } else { 0 };
    let adjustment = r.amount - lines_total - shipping;
    json!({"entity_id": r.id, "order_id": o.id, "increment_id": format!("{:09}", r.id),
        "invoice_id": o.id, "state": 2, "creditmemo_status": 2, "store_id": 1, "email_sent": 1,
        "order_currency_code": "EUR", "base_currency_code": "EUR",
        "store_currency_code": "EUR", "global_currency_code": "EUR",
        "created_at": ts(r.created), "updated_at": ts(r.created),
        "grand_total": amount(r.amount), "base_grand_total": amount(r.amount),
        "subtotal": amount(lines_total), "base_subtotal": amount(lines_total),
        "shipping_amount": amount(shipping), "base_shipping_amount": amount(shipping),
        "adjustment": amount(adjustment), "adjustment_positive": amount(adjustment.max(0)),
        "adjustment_negative": 0, "tax_amount": 0, "discount_amount": 0,
        "items": items,
        "comments": [{"entity_id": r.id, "parent_id": r.id, "comment": r.reason,
            "is_customer_notified": 0, "is_visible_on_front": 0, "created_at": ts(r.created)}]})
}

fn store_configs(base: &str) -> Value {
    json!([{"id": 1, "code": "default", "website_id": 1, "locale": "pt_PT",
        "base_currency_code": "EUR", "default_display_currency_code": "EUR",
        "timezone": "Europe/Lisbon", "weight_unit": "kgs",
        "base_url": format!("{base}/"), "base_link_url": format!("{base}/"),
        "base_static_url": format!("{base}/static/"), "base_media_url": format!("{base}/media/"),
        "secure_base_url": format!("{base}/"), "secure_base_link_url": format!("{base}/"),
        "secure_base_static_url": format!("{base}/static/"),
        "secure_base_media_url": format!("{base}/media/")}])
}

// ---------------------------------------------------------------------------------------
// Authentication

/// The ACL resource Magento names when it refuses a request.
fn resource(route: &str) -> &'static str {
    if route.starts_with("/orders") {
        "Magento_Sales::actions_view"
    } else if route.starts_with("/creditmemos") {
        "Magento_Sales::sales_creditmemo"
    } else if route.starts_with("/customers") {
        "Magento_Customer::customer"
    } else if route.starts_with("/products") {
        "Magento_Catalog::products"
    } else {
        "Magento_Backend::store"
    }
}

fn unauthorized(route: &str) -> Box<Response> {
    Box::new(error_with(
        401,
        "The consumer isn't authorized to access %resources.",
        json!({"resources": resource(route)}),
    ))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 3 <= b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parameters of an `Authorization: OAuth k="v", ...` header, decoded.
fn oauth_params(header: &str) -> Vec<(String, String)> {
    header
        .split(',')
        .filter_map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            let v = v.trim().trim_matches('"');
            Some((percent_decode(k.trim()), percent_decode(v)))
        })
        .collect()
}

fn check_oauth(state: &mut State, req: &Req, header: &str) -> Result<(), Box<Response>> {
    let creds = &*crate::CREDENTIALS;
    let deny = |message: &str| Box::new(error(401, message));
    let params: Vec<(String, String)> = oauth_params(header)
        .into_iter()
        .filter(|(k, _)| k != "realm")
        .collect();
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    for required in [
        "oauth_consumer_key",
        "oauth_token",
        "oauth_signature_method",
        "oauth_signature",
        "oauth_timestamp",
        "oauth_nonce",
    ] {
        if get(required).is_none() {
            return Err(Box::new(error_with(
                401,
                "oauth_problem=parameter_absent&oauth_parameters_absent=%1",
                json!([required]),
            )));
        }
    }
    if get("oauth_consumer_key") != Some(creds.oauth_consumer_key.as_str()) {
        return Err(deny("A consumer having the specified key does not exist"));
    }
    if get("oauth_token") != Some(creds.oauth_token.as_str()) {
        return Err(deny("Specified token does not exist"));
    }
    let timestamp: i64 = get("oauth_timestamp")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    if (Utc::now().timestamp() - timestamp).abs() > 600 {
        return Err(deny(
            "The timestamp is out of the allowed range. Verify and try again.",
        ));
    }
    let method = match get("oauth_signature_method") {
        Some("HMAC-SHA1") => oauth1::SignatureMethod::HmacSha1,
        Some("HMAC-SHA256") => oauth1::SignatureMethod::HmacSha256,
        other => {
            return Err(Box::new(error_with(
                401,
                "Signature method %1 is not supported",
                json!([other.unwrap_or_default()]),
            )));
        }
    };
    let mut all = req.query.clone();
    all.extend(params.iter().cloned());
    let url = format!("{}{}", req.base, req.path);
    let base = oauth1::base_string(&req.method, &url, &all);
    let expected = oauth1::sign(
        method,
        &base,
        &creds.oauth_consumer_secret,
        &creds.oauth_token_secret,
    );
    if get("oauth_signature") != Some(expected.as_str()) {
        return Err(deny("The signature is invalid. Verify and try again."));
    }
    let nonce = format!(
        "{}:{}",
        creds.oauth_consumer_key,
        get("oauth_nonce").unwrap_or_default()
    );
    if !state.nonces.insert(nonce) {
        return Err(Box::new(error_with(
            401,
            "The nonce is already being used by the consumer with ID %1.",
            json!(["1"]),
        )));
    }
    Ok(())
}

fn authenticate(state: &mut State, req: &Req, route: &str) -> Result<(), Box<Response>> {
    let Some(header) = req.header("authorization") else {
        return Err(unauthorized(route));
    };
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("oauth") {
        return check_oauth(state, req, rest);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(unauthorized(route));
    }
    let token = rest.trim();
    if token == crate::CREDENTIALS.access_token {
        return Ok(());
    }
    let ttl = state.config.admin_token_ttl;
    match state.tokens.get(token) {
        Some(issued) if issued.elapsed() < ttl => Ok(()),
        Some(_) => {
            state.tokens.remove(token);
            Err(unauthorized(route))
        }
        None => Err(unauthorized(route)),
    }
}

fn issue_admin_token(state: &mut State, req: &Req) -> Response {
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(_) => return error(400, "Decoding error: the request body is not valid JSON."),
    };
    for field in ["username", "password"] {
        if !body[field].is_string() {
            return error_with(
                400,
                "\"%fieldName\" is required. Enter and try again.",
                json!({"fieldName": field}),
            );
        }
    }
    let creds = &*crate::CREDENTIALS;
    if body["username"] != creds.username.as_str() || body["password"] != creds.password.as_str() {
        return error(
            401,
            "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later.",
        );
    }
    let token = oauth1::nonce().to_lowercase();
    state.tokens.insert(token.clone(), Instant::now());
    state.stats.tokens_issued += 1;
    json(200, &Value::String(token))
}

// ---------------------------------------------------------------------------------------
// Search criteria

/// One filter of a filter group.
#[derive(Debug, Clone, Default)]
struct Cond {
    field: String,
    value: String,
    condition: String,
    /// `value` read as a time and as an integer, once per request: a search compares it
    /// with every candidate record.
    time: Option<DateTime<Utc>>,
    int: Option<i64>,
}

/// A parsed `searchCriteria`.
#[derive(Debug, Default)]
struct Criteria {
    groups: Vec<Vec<Cond>>,
    sorts: Vec<(String, bool)>,
    page_size: Option<usize>,
    current_page: Option<usize>,
    /// The parameters as given, for the answer's `search_criteria`.
    echo: Value,
}

/// `[a][b][c]` as `["a", "b", "c"]`.
fn brackets(s: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        out.push(&inner[..end]);
        rest = &inner[end + 1..];
    }
    Some(out)
}

fn bad_criteria(field: &str) -> Box<Response> {
    Box::new(error_with(
        400,
        "Invalid value of \"%value\" provided for the %fieldName field.",
        json!({"value": field, "fieldName": "searchCriteria"}),
    ))
}

fn parse_criteria(req: &Req) -> Result<Criteria, Box<Response>> {
    use std::collections::BTreeMap;
    let mut seen = false;
    let mut filters: BTreeMap<usize, BTreeMap<usize, Cond>> = BTreeMap::new();
    let mut sorts: BTreeMap<usize, (String, bool)> = BTreeMap::new();
    let mut c = Criteria::default();
    for (k, v) in &req.query {
        let Some(rest) = k.strip_prefix("searchCriteria") else {
            continue;
        };
        seen = true;
        let Some(parts) = brackets(rest) else {
            return Err(bad_criteria(k));
        };
        let index = |s: &str| s.parse::<usize>().map_err(|_| bad_criteria(k));
        match parts.as_slice() {
            [] => {}
            ["filter_groups" | "filterGroups", g, "filters", f, attr] => {
                let cond = filters
                    .entry(index(g)?)
                    .or_default()
                    .entry(index(f)?)
                    .or_default();
                match *attr {
                    "field" => cond.field = v.clone(),
                    "value" => cond.value = v.clone(),
                    "condition_type" | "conditionType" => cond.condition = v.clone(),
                    _ => return Err(bad_criteria(k)),
                }
            }
            ["sort_orders" | "sortOrders", i, attr] => {
                let s = sorts.entry(index(i)?).or_default();
                match *attr {
                    "field" => s.0 = v.clone(),
                    "direction" => s.1 = v.eq_ignore_ascii_case("DESC"),
                    _ => return Err(bad_criteria(k)),
                }
            }
            ["page_size" | "pageSize"] => c.page_size = Some(index(v)?),
            ["current_page" | "currentPage"] => c.current_page = Some(index(v)?),
            _ => return Err(bad_criteria(k)),
        }
    }
    if !seen {
        return Err(Box::new(error_with(
            400,
            "\"%fieldName\" is required. Enter and try again.",
            json!({"fieldName": "searchCriteria"}),
        )));
    }
    for group in filters.into_values() {
        let mut conds = Vec::new();
        for mut cond in group.into_values() {
            if cond.field.is_empty() {
                return Err(bad_criteria("field"));
            }
            if cond.condition.is_empty() {
                cond.condition = "eq".into();
            }
            if !matches!(
                cond.condition.as_str(),
                "eq" | "neq" | "gt" | "gteq" | "lt" | "lteq" | "in" | "nin" | "like"
            ) {
                return Err(bad_criteria(&cond.condition));
            }
            cond.time = parse_time(&cond.value);
            cond.int = cond.value.trim().parse().ok();
            conds.push(cond);
        }
        c.groups.push(conds);
    }
    c.sorts = sorts.into_values().filter(|s| !s.0.is_empty()).collect();
    let mut echo = serde_json::Map::new();
    if !c.groups.is_empty() {
        echo.insert(
            "filter_groups".into(),
            json!(c.groups.iter().map(|g| json!({"filters": g.iter().map(|f| json!({
                "field": f.field, "value": f.value, "condition_type": f.condition})).collect::<Vec<_>>()})).collect::<Vec<_>>()),
        );
    }
    if !c.sorts.is_empty() {
        echo.insert(
            "sort_orders".into(),
            json!(
                c.sorts
                    .iter()
                    .map(|(f, desc)| json!({"field": f,
                "direction": if *desc { "DESC" } else { "ASC" }}))
                    .collect::<Vec<_>>()
            ),
        );
    }
    if let Some(p) = c.page_size {
        echo.insert("page_size".into(), json!(p));
    }
    if let Some(p) = c.current_page {
        echo.insert("current_page".into(), json!(p));
    }
    c.echo = Value::Object(echo);
    Ok(c)
}

/// A field's value, typed for comparison.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Val {
    Int(i64),
    Time(DateTime<Utc>),
    Text(String),
}

impl Val {
    fn cmp_text(&self, s: &str) -> Option<Ordering> {
        match self {
            Val::Int(i) => s.trim().parse::<i64>().ok().map(|v| i.cmp(&v)),
            Val::Time(t) => parse_time(s).map(|v| t.cmp(&v)),
            Val::Text(t) => Some(t.as_str().cmp(s)),
        }
    }

    /// Compares with the condition's single value, read as this value's type.
    fn cmp_value(&self, cond: &Cond) -> Option<Ordering> {
        match self {
            Val::Int(i) => cond.int.map(|v| i.cmp(&v)),
            Val::Time(t) => cond.time.map(|v| t.cmp(&v)),
            Val::Text(t) => Some(t.as_str().cmp(cond.value.as_str())),
        }
    }

    fn matches(&self, cond: &Cond) -> bool {
        let c = |s: &str| self.cmp_text(s);
        let one = self.cmp_value(cond);
        match cond.condition.as_str() {
            "eq" => one == Some(Ordering::Equal),
            "neq" => one != Some(Ordering::Equal),
            "gt" => one == Some(Ordering::Greater),
            "gteq" => matches!(one, Some(Ordering::Greater | Ordering::Equal)),
            "lt" => one == Some(Ordering::Less),
            "lteq" => matches!(one, Some(Ordering::Less | Ordering::Equal)),
            "in" => cond
                .value
                .split(',')
                .any(|v| c(v.trim()) == Some(Ordering::Equal)),
            "nin" => !cond
                .value
                .split(',')
                .any(|v| c(v.trim()) == Some(Ordering::Equal)),
            "like" => {
                let text = match self {
                    Val::Int(i) => i.to_string(),
                    Val::Time(t) => ts(*t),
                    Val::Text(s) => s.clone(),
                };
                let parts: Vec<&str> = cond.value.split('%').collect();
                like(
                    &text.to_lowercase(),
                    &parts.iter().map(|p| p.to_lowercase()).collect::<Vec<_>>(),
                )
            }
            _ => false,
        }
    }
}

/// SQL `LIKE` with `%` only: `parts` are the pattern split at `%`.
fn like(text: &str, parts: &[String]) -> bool {
    match parts {
        [] => text.is_empty(),
        [only] => text == only,
        [first, middle @ .., last] => {
            let Some(mut rest) = text.strip_prefix(first.as_str()) else {
                return false;
            };
            for m in middle {
                match rest.find(m.as_str()) {
                    Some(i) => rest = &rest[i + m.len()..],
                    None => return false,
                }
            }
            rest.len() >= last.len() && rest.ends_with(last.as_str())
        }
    }
}

/// The fields a collection can filter and sort on.
trait Fields {
    fn field(&self, name: &str) -> Option<Val>;
    fn key(&self) -> u64;
}

impl Fields for Order {
    fn field(&self, name: &str) -> Option<Val> {
        Some(match name {
            "entity_id" => Val::Int(self.id as i64),
            "increment_id" => Val::Text(format!("{:09}", self.number)),
            "created_at" => Val::Time(self.created),
            "updated_at" => Val::Time(self.modified),
            "status" => Val::Text(state_status(self.status).1.into()),
            "state" => Val::Text(state_status(self.status).0.into()),
            "customer_id" => Val::Int(self.customer as i64),
            "customer_email" => Val::Text(self.email.clone()),
            "store_id" => Val::Int(1),
            _ => return None,
        })
    }
    fn key(&self) -> u64 {
        self.id
    }
}

impl Fields for Customer {
    fn field(&self, name: &str) -> Option<Val> {
        Some(match name {
            "entity_id" | "id" => Val::Int(self.id as i64),
            "email" => Val::Text(self.email.clone()),
            "firstname" => Val::Text(self.first_name.clone()),
            "lastname" => Val::Text(self.last_name.clone()),
            "created_at" => Val::Time(self.created),
            "updated_at" => Val::Time(self.modified),
            "website_id" | "store_id" | "group_id" => Val::Int(1),
            _ => return None,
        })
    }
    fn key(&self) -> u64 {
        self.id
    }
}

impl Fields for Product {
    fn field(&self, name: &str) -> Option<Val> {
        let configurable = self.variants.len() > 1;
        Some(match name {
            "entity_id" | "id" => Val::Int(self.id as i64),
            "sku" => Val::Text(if configurable {
                format!("SKU-{}", self.id)
            } else {
                self.variants[0].sku.clone()
            }),
            "name" => Val::Text(self.title.clone()),
            "type_id" => Val::Text(
                if configurable {
                    "configurable"
                } else {
                    "simple"
                }
                .into(),
            ),
            "status" | "visibility" => Val::Int(if name == "status" { 1 } else { 4 }),
            "created_at" => Val::Time(self.created),
            "updated_at" => Val::Time(self.modified),
            _ => return None,
        })
    }
    fn key(&self) -> u64 {
        self.id
    }
}

/// A credit memo: an order and one of its refunds.
struct Memo<'a>(&'a Order, &'a catalog::Refund);

impl Fields for Memo<'_> {
    fn field(&self, name: &str) -> Option<Val> {
        Some(match name {
            "entity_id" => Val::Int(self.1.id as i64),
            "order_id" => Val::Int(self.0.id as i64),
            "increment_id" => Val::Text(format!("{:09}", self.1.id)),
            "created_at" | "updated_at" => Val::Time(self.1.created),
            "state" => Val::Int(2),
            "store_id" => Val::Int(1),
            _ => return None,
        })
    }
    fn key(&self) -> u64 {
        self.1.id
    }
}

/// Whether a filter is on the change time or the id (what a broken server ignores).
fn is_cursor_field(field: &str) -> bool {
    matches!(field, "updated_at" | "entity_id" | "id")
}

/// Checks that every filter and sort field exists on the collection.
fn known_fields<R: Fields>(sample: Option<&R>, c: &Criteria) -> Result<(), Box<Response>> {
    let Some(r) = sample else {
        return Ok(());
    };
    let fields = c
        .groups
        .iter()
        .flatten()
        .map(|f| f.field.as_str())
        .chain(c.sorts.iter().map(|s| s.0.as_str()));
    for f in fields {
        if r.field(f).is_none() {
            return Err(bad_criteria(f));
        }
    }
    Ok(())
}

/// Whether `r` passes every group (a group passes when one of its filters does).
fn passes<R: Fields>(r: &R, groups: &[Vec<Cond>]) -> bool {
    groups.iter().all(|g| {
        g.iter()
            .any(|f| r.field(&f.field).is_some_and(|v| v.matches(f)))
    })
}

fn compare<R: Fields>(a: &R, b: &R, sorts: &[(String, bool)]) -> Ordering {
    for (field, desc) in sorts {
        let o = match (a.field(field), b.field(field)) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => Ordering::Equal,
        };
        let o = if *desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.key().cmp(&b.key())
}

/// Filters and sorts `candidates` (indexes into `recs`); `presorted` when they already come
/// in the order asked for.
fn select<R: Fields>(
    recs: &[R],
    candidates: Vec<usize>,
    presorted: bool,
    c: &Criteria,
) -> Vec<usize> {
    let mut rows: Vec<usize> = candidates
        .into_iter()
        .filter(|&i| passes(&recs[i], &c.groups))
        .collect();
    if !presorted {
        rows.sort_by(|&a, &b| compare(&recs[a], &recs[b], &c.sorts));
    }
    rows
}

/// The search answer for `rows`, one page of them (the last page again past the end).
/// `render` gives each record's JSON text (orders come from the render cache).
fn page(rows: &[usize], c: &Criteria, render: impl Fn(usize) -> Arc<str>) -> Response {
    let total = rows.len();
    let items: Vec<Arc<str>> = match c.page_size.filter(|p| *p > 0) {
        None => rows.iter().map(|&i| render(i)).collect(),
        Some(size) => {
            let last_page = total.div_ceil(size).max(1);
            let current = c.current_page.unwrap_or(1).clamp(1, last_page);
            rows.iter()
                .skip((current - 1) * size)
                .take(size)
                .map(|&i| render(i))
                .collect()
        }
    };
    let mut body = list_body(Some("items"), &items);
    body.pop();
    body.push_str(&format!(
        ",\"search_criteria\":{},\"total_count\":{total}}}",
        c.echo
    ));
    json_text(200, body)
}

/// A record's JSON text, rendered now.
fn text(v: Value) -> Arc<str> {
    Arc::from(v.to_string())
}

/// The tightest single-filter bounds on `updated_at` among the groups, for the catalog's
/// sorted order index.
type Bound = Option<(DateTime<Utc>, bool)>;

fn modified_bounds(groups: &[Vec<Cond>]) -> (Bound, Bound) {
    let mut lo: Bound = None;
    let mut hi: Bound = None;
    for g in groups {
        let [f] = g.as_slice() else { continue };
        if f.field != "updated_at" {
            continue;
        }
        let Some(t) = f.time else {
            continue;
        };
        match f.condition.as_str() {
            "gt" | "gteq" if lo.is_none_or(|(l, _)| t > l) => {
                lo = Some((t, f.condition == "gteq"));
            }
            "lt" | "lteq" if hi.is_none_or(|(h, _)| t < h) => {
                hi = Some((t, f.condition == "lteq"));
            }
            _ => {}
        }
    }
    (lo, hi)
}

fn search(state: &mut State, route: &str, req: &Req) -> Response {
    let mut c = match parse_criteria(req) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    if state.config.ignore_cursor {
        for g in &mut c.groups {
            g.retain(|f| !is_cursor_field(&f.field));
        }
        c.groups.retain(|g| !g.is_empty());
    }
    let by_change = c
        .sorts
        .iter()
        .map(|(f, desc)| (f.as_str(), *desc))
        .collect::<Vec<_>>();
    let change_order = matches!(
        by_change.as_slice(),
        [("updated_at", false)] | [("updated_at", false), ("entity_id" | "id", false)]
    );
    let catalog = &mut state.catalog;
    match route {
        "/orders" => {
            if let Err(r) = known_fields(catalog.orders.first(), &c) {
                return *r;
            }
            let (candidates, presorted) = if change_order {
                let (lo, hi) = modified_bounds(&c.groups);
                (catalog.orders_by_modified(lo, hi), true)
            } else {
                ((0..catalog.orders.len()).collect(), false)
            };
            let rows = select(&catalog.orders, candidates, presorted, &c);
            let (orders, customers, products) =
                (&catalog.orders, &catalog.customers, &catalog.products);
            let texts = &state.order_texts;
            page(&rows, &c, |i| {
                let o = &orders[i];
                texts.get(o.id, o.modified.timestamp(), || {
                    order_json(o, customers, products)
                })
            })
        }
        "/customers/search" => {
            let recs = &catalog.customers;
            if let Err(r) = known_fields(recs.first(), &c) {
                return *r;
            }
            let rows = select(recs, (0..recs.len()).collect(), false, &c);
            page(&rows, &c, |i| text(customer_json(&recs[i])))
        }
        "/products" => {
            let recs = &catalog.products;
            if let Err(r) = known_fields(recs.first(), &c) {
                return *r;
            }
            let rows = select(recs, (0..recs.len()).collect(), false, &c);
            page(&rows, &c, |i| text(product_json(&recs[i])))
        }
        _ => {
            let memos: Vec<Memo<'_>> = catalog
                .orders
                .iter()
                .flat_map(|o| o.refunds.iter().map(move |r| Memo(o, r)))
                .collect();
            if let Err(r) = known_fields(memos.first(), &c) {
                return *r;
            }
            let rows = select(&memos, (0..memos.len()).collect(), false, &c);
            page(&rows, &c, |i| text(creditmemo_json(memos[i].0, memos[i].1)))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Routing

pub(crate) fn answer(state: &mut State, req: &Req) -> Response {
    let Some(rest) = req.path.strip_prefix("/rest/") else {
        return no_route();
    };
    let (store, after) = match rest.strip_prefix("V1") {
        Some(after) => ("default", after),
        None => match rest.split_once('/') {
            Some((store, after)) => (store, after.strip_prefix("V1").unwrap_or("!")),
            None => return no_route(),
        },
    };
    if !(after.is_empty() || after.starts_with('/')) {
        return no_route();
    }
    if !matches!(store, "default" | "all") {
        return error(
            404,
            "The store that was requested wasn't found. Verify the store and try again.",
        );
    }
    let route = after.trim_end_matches('/');
    if route == "/integration/admin/token" {
        return match req.method.as_str() {
            "POST" => issue_admin_token(state, req),
            _ => no_route(),
        };
    }
    // Magento matches the route before it checks who asks.
    let parts: Vec<&str> = route.trim_start_matches('/').split('/').collect();
    let known = matches!(
        parts.as_slice(),
        ["store", "storeConfigs"]
            | ["orders"]
            | ["orders", _]
            | ["customers", "search"]
            | ["customers", _]
            | ["products"]
            | ["creditmemos"]
    );
    if req.method != "GET" || !known {
        return no_route();
    }
    if let Err(r) = authenticate(state, req, route) {
        return *r;
    }
    match route {
        "/store/storeConfigs" => json(200, &store_configs(&req.base)),
        "/orders" => {
            state.order_list();
            search(state, route, req)
        }
        "/customers/search" | "/products" | "/creditmemos" => search(state, route, req),
        _ => {
            let id = parts.get(1).and_then(|i| i.parse::<u64>().ok());
            let catalog = &state.catalog;
            match (parts.as_slice(), id) {
                (["orders", _], Some(id)) => match catalog.order(id) {
                    Some(o) => json(200, &order_json(o, &catalog.customers, &catalog.products)),
                    None => not_found(),
                },
                (["customers", _], Some(id)) => match find_customer(&catalog.customers, id) {
                    Some(c) => json(200, &customer_json(c)),
                    None => error_with(
                        404,
                        "No such entity with %fieldName = %fieldValue",
                        json!({"fieldName": "customerId", "fieldValue": id}),
                    ),
                },
                _ => no_route(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_matches_sql_patterns() {
        let p = |s: &str| s.split('%').map(str::to_owned).collect::<Vec<_>>();
        assert!(like("ada.lovelace1@example.com", &p("%@example.com")));
        assert!(like("ada.lovelace1@example.com", &p("ada%")));
        assert!(like("ada.lovelace1@example.com", &p("%love%")));
        assert!(!like("ada", &p("%love%")));
        assert!(like("abc", &p("abc")));
    }

    #[test]
    fn oauth_header_parameters_are_decoded() {
        let p = oauth_params(r#"realm="x", oauth_signature="a%2Bb%3D", oauth_nonce="n1""#);
        assert_eq!(p[1], ("oauth_signature".into(), "a+b=".into()));
        assert_eq!(p[2], ("oauth_nonce".into(), "n1".into()));
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn money_is_a_json_number() {
        assert_eq!(amount(16500).to_string(), "165");
        assert_eq!(amount(1234).to_string(), "12.34");
        assert_eq!(amount(1205).to_string(), "12.05");
    }
}
