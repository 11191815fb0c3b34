//! The fake Shopify store: the Admin REST API under `/admin/api/<version>`.
//!
//! Quirks served as Shopify serves them: orders default to `status=open` (closed and
//! cancelled orders are left out unless `status=any`), cursor pages through `Link` headers
//! whose `page_info` carries the filters (no other filter may sit beside it), `limit` up to
//! 250, timestamps with the shop's UTC offset, and the 40-request bucket leaking 2 a second
//! (see [`crate::FakeRate::SHOPIFY`]) reported in `X-Shopify-Shop-Api-Call-Limit`.

use base64::Engine;
use chrono::{DateTime, FixedOffset, Utc};
use nexus_core::model::EntityKind;
use serde_json::{Value, json};

use crate::catalog::{Customer, Deletion, Order, Product, Stamped, by_modified, money};
use std::sync::Arc;

use crate::server::{RenderCache, Req, State, json, json_text, list_body, set_header};

pub(crate) fn error(status: u16, message: &str) -> axum::response::Response {
    json(status, &json!({"errors": message}))
}

/// The shop's offset from UTC (New York in winter, like Shopify's documentation examples).
fn local(t: DateTime<Utc>) -> String {
    FixedOffset::west_opt(5 * 3600)
        .map_or_else(|| t.to_rfc3339(), |o| t.with_timezone(&o).to_rfc3339())
}

fn money_set(cents: i64) -> Value {
    let m = json!({"amount": money(cents), "currency_code": "EUR"});
    json!({"shop_money": m, "presentment_money": m})
}

fn financial_status(o: &Order) -> &'static str {
    match o.status {
        "pending" => "pending",
        "cancelled" => "voided",
        "refunded" => "refunded",
        _ if !o.refunds.is_empty() => "partially_refunded",
        _ => "paid",
    }
}

fn refund_json(o: &Order, r: &crate::catalog::Refund) -> Value {
    json!({"id": r.id, "admin_graphql_api_id": format!("gid://shopify/Refund/{}", r.id),
        "order_id": o.id, "created_at": local(r.created), "processed_at": local(r.created),
        "note": r.reason, "restock": false, "user_id": null, "order_adjustments": [],
        "refund_line_items": [],
        "transactions": [{"id": r.id + 7, "order_id": o.id, "kind": "refund", "gateway": "bogus",
            "status": "success", "amount": money(r.amount), "currency": "EUR",
            "created_at": local(r.created), "processed_at": local(r.created), "test": false}]})
}

fn order_json(o: &Order) -> Value {
    let lines: i64 = o.total() - o.shipping;
    let items: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            json!({"id": l.id, "admin_graphql_api_id": format!("gid://shopify/LineItem/{}", l.id),
                "name": l.title, "title": l.title, "variant_title": null, "product_id": l.product,
                "variant_id": l.variant, "sku": l.sku, "vendor": "Nexus Fake", "quantity": l.quantity,
                "current_quantity": l.quantity, "price": money(l.price), "price_set": money_set(l.price),
                "total_discount": "0.00", "taxable": true, "requires_shipping": true, "gift_card": false,
                "fulfillment_status": if o.status == "completed" { json!("fulfilled") } else { Value::Null },
                "tax_lines": [], "discount_allocations": [], "properties": []})
        })
        .collect();
    json!({
        "id": o.id, "admin_graphql_api_id": format!("gid://shopify/Order/{}", o.id),
        "name": format!("#{}", o.number), "number": o.number - 1000, "order_number": o.number,
        "email": o.email, "contact_email": o.email,
        "created_at": local(o.created), "updated_at": local(o.modified), "processed_at": local(o.created),
        "closed_at": if o.status == "completed" { json!(local(o.modified)) } else { Value::Null },
        "cancelled_at": if o.status == "cancelled" { json!(local(o.modified)) } else { Value::Null },
        "cancel_reason": if o.status == "cancelled" { json!("customer") } else { Value::Null },
        "currency": "EUR", "presentment_currency": "EUR",
        "financial_status": financial_status(o),
        "fulfillment_status": if o.status == "completed" { json!("fulfilled") } else { Value::Null },
        "total_price": money(o.total()), "total_price_set": money_set(o.total()),
        "subtotal_price": money(lines), "total_line_items_price": money(lines),
        "total_tax": "0.00", "total_discounts": "0.00", "taxes_included": false, "test": false,
        "tags": "", "note": null, "source_name": "web", "tax_lines": [], "discount_codes": [],
        "customer": {"id": o.customer, "email": o.email},
        "billing_address": {"country_code": "PT", "country": "Portugal"},
        "line_items": items,
        "shipping_lines": [{"id": o.id * 7, "title": "Standard", "code": "Standard",
            "price": money(o.shipping), "price_set": money_set(o.shipping), "tax_lines": [],
            "discount_allocations": []}],
        "refunds": o.refunds.iter().map(|r| refund_json(o, r)).collect::<Vec<_>>(),
    })
}

fn customer_json(c: &Customer) -> Value {
    let address = json!({"id": c.id * 3, "customer_id": c.id, "first_name": c.first_name,
        "last_name": c.last_name, "city": c.city, "country_code": c.country, "default": true});
    json!({"id": c.id, "email": c.email, "first_name": c.first_name, "last_name": c.last_name,
        "created_at": local(c.created), "updated_at": local(c.modified), "state": "enabled",
        "orders_count": 0, "total_spent": "0.00", "currency": "EUR", "verified_email": true,
        "tags": "", "phone": null, "tax_exempt": false,
        "admin_graphql_api_id": format!("gid://shopify/Customer/{}", c.id),
        "addresses": [address.clone()], "default_address": address})
}

fn product_json(p: &Product) -> Value {
    let variants: Vec<Value> = p
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({"id": v.id, "product_id": p.id, "title": v.option, "price": money(v.price),
                "sku": v.sku, "position": i + 1, "option1": v.option, "option2": null, "option3": null,
                "compare_at_price": null, "taxable": true, "inventory_quantity": 10,
                "created_at": local(p.created), "updated_at": local(p.modified)})
        })
        .collect();
    json!({"id": p.id, "title": p.title, "handle": format!("product-{}", p.id), "vendor": "Nexus Fake",
        "product_type": "Thing", "status": "active", "tags": "", "body_html": "<p>A thing.</p>",
        "created_at": local(p.created), "updated_at": local(p.modified), "published_at": local(p.created),
        "admin_graphql_api_id": format!("gid://shopify/Product/{}", p.id),
        "options": [{"name": "Size", "position": 1}], "variants": variants, "images": []})
}

fn event_json(d: &Deletion) -> Value {
    let kind = subject_type(d.entity);
    json!({"id": d.event_id, "subject_id": d.id, "subject_type": kind, "verb": "destroy",
        "created_at": local(d.at), "arguments": [], "body": null, "author": "Shopify",
        "message": format!("{kind} was deleted."), "description": format!("{kind} was deleted."),
        "path": null})
}

fn subject_type(e: EntityKind) -> &'static str {
    match e {
        EntityKind::Order => "Order",
        EntityKind::Customer => "Customer",
        _ => "Product",
    }
}

/// The filters of a listing, carried inside `page_info` from page to page.
#[derive(Debug, Clone, Default)]
struct Filters {
    status: String,
    updated_min: Option<i64>,
    updated_max: Option<i64>,
    created_min: Option<i64>,
    by_updated: bool,
    verb: Option<String>,
    subjects: Option<String>,
    /// The sort key of the last record returned: `(updated_at or 0, id)`.
    after: Option<(i64, u64)>,
}

/// `page_info` is opaque to clients; here it is base64 of a small JSON object.
impl Filters {
    fn encode(&self) -> String {
        let v = json!({"s": self.status, "u0": self.updated_min, "u1": self.updated_max,
            "c0": self.created_min, "o": self.by_updated, "v": self.verb, "f": self.subjects,
            "a": self.after.map(|(t, i)| json!([t, i]))});
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    fn decode(s: &str) -> Option<Filters> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()?;
        let v: Value = serde_json::from_slice(&bytes).ok()?;
        Some(Filters {
            status: v["s"].as_str()?.to_owned(),
            updated_min: v["u0"].as_i64(),
            updated_max: v["u1"].as_i64(),
            created_min: v["c0"].as_i64(),
            by_updated: v["o"].as_bool()?,
            verb: v["v"].as_str().map(str::to_owned),
            subjects: v["f"].as_str().map(str::to_owned),
            after: v["a"]
                .as_array()
                .and_then(|a| Some((a.first()?.as_i64()?, a.get(1)?.as_u64()?))),
        })
    }
}

fn parse_time(v: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(v.trim())
        .ok()
        .map(|t| t.timestamp())
}

/// A 400 in Shopify's shape for a bad parameter.
fn bad_param(name: &str, problem: &str) -> axum::response::Response {
    json(400, &json!({"errors": {name: [problem]}}))
}

/// A list request: its filters, page size and `fields`.
struct Listing {
    f: Filters,
    limit: usize,
    fields: Option<Vec<String>>,
}

/// Reads the listing's filters from the query or from `page_info`.
fn filters(req: &Req, state: &State) -> Result<Listing, Box<axum::response::Response>> {
    let limit: usize = match req.param("limit") {
        None => 50,
        Some(v) => match v.parse() {
            Ok(n) if (1..=250).contains(&n) => n,
            _ => return Err(Box::new(bad_param("limit", "must be between 1 and 250"))),
        },
    };
    let fields = req
        .param("fields")
        .map(|f| f.split(',').map(|s| s.trim().to_owned()).collect());
    if let Some(info) = req.param("page_info") {
        if let Some(extra) = req
            .query
            .iter()
            .find(|(k, _)| !matches!(k.as_str(), "page_info" | "limit" | "fields"))
        {
            return Err(Box::new(bad_param(
                "page_info",
                &format!("cannot be combined with the filter {}", extra.0),
            )));
        }
        let Some(mut f) = Filters::decode(info) else {
            return Err(Box::new(bad_param("page_info", "Invalid value.")));
        };
        if state.config.ignore_cursor {
            f.after = None;
        }
        return Ok(Listing { f, limit, fields });
    }
    let time = |k: &str| -> Result<Option<i64>, Box<axum::response::Response>> {
        match req.param(k) {
            None => Ok(None),
            Some(v) => parse_time(v)
                .map(Some)
                .ok_or_else(|| Box::new(bad_param(k, "is not a valid date"))),
        }
    };
    let order = req.param("order").unwrap_or("");
    let f = Filters {
        status: req.param("status").unwrap_or("open").to_owned(),
        updated_min: if state.config.ignore_cursor {
            None
        } else {
            time("updated_at_min")?
        },
        updated_max: time("updated_at_max")?,
        created_min: time("created_at_min")?,
        by_updated: order.starts_with("updated_at"),
        verb: req.param("verb").map(str::to_owned),
        subjects: req.param("filter").map(str::to_owned),
        after: None,
    };
    Ok(Listing { f, limit, fields })
}

fn keep_fields(v: Value, fields: &Option<Vec<String>>) -> Value {
    match fields {
        None => v,
        Some(f) => Value::Object(
            f.iter()
                .filter_map(|k| Some((k.clone(), v.get(k)?.clone())))
                .collect(),
        ),
    }
}

/// A page of `rows` (already filtered and sorted) after the cursor in `f`, with its
/// `Link` header.
fn page<T: Stamped>(
    req: &Req,
    key: &str,
    recs: &[T],
    rows: Vec<usize>,
    l: &Listing,
    cache: Option<&RenderCache>,
    render: impl Fn(&T) -> Value,
) -> axum::response::Response {
    let (f, limit, fields) = (&l.f, l.limit, &l.fields);
    let sort_key = |r: &T| {
        (
            if f.by_updated {
                r.modified().timestamp()
            } else {
                0
            },
            r.id(),
        )
    };
    let start = match f.after {
        None => 0,
        Some(a) => rows.partition_point(|&i| sort_key(&recs[i]) <= a),
    };
    let chunk: Vec<usize> = rows.iter().skip(start).take(limit).copied().collect();
    let more = start + chunk.len() < rows.len();
    let items: Vec<Arc<str>> = chunk
        .iter()
        .map(|&i| {
            let rec = &recs[i];
            match (fields, cache) {
                (None, Some(c)) => c.get(rec.id(), rec.modified().timestamp(), || render(rec)),
                _ => Arc::from(keep_fields(render(rec), fields).to_string()),
            }
        })
        .collect();
    let mut r = json_text(200, list_body(Some(key), &items));
    let mut links = Vec::new();
    let link = |info: String, rel: &str| {
        let mut u = format!("{}{}?limit={limit}", req.base, req.path);
        if let Some(fl) = fields {
            u.push_str(&format!("&fields={}", fl.join(",")));
        }
        format!("<{u}&page_info={info}>; rel=\"{rel}\"")
    };
    if f.after.is_some() {
        let prev = Filters {
            after: None,
            ..f.clone()
        };
        links.push(link(prev.encode(), "previous"));
    }
    if more {
        if let Some(&last) = chunk.last() {
            let next = Filters {
                after: Some(sort_key(&recs[last])),
                ..f.clone()
            };
            links.push(link(next.encode(), "next"));
        }
    }
    if !links.is_empty() {
        set_header(&mut r, "link", &links.join(", "));
    }
    r
}

fn in_window<T: Stamped>(recs: &[T], f: &Filters) -> Vec<usize> {
    let t = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or_default();
    by_modified(
        recs,
        f.updated_min.map(|s| (t(s), true)),
        f.updated_max.map(|s| (t(s), true)),
    )
}

pub(crate) fn answer(state: &mut State, req: &Req) -> axum::response::Response {
    let Some(rest) = req.path.strip_prefix("/admin/api/") else {
        return error(404, "Not Found");
    };
    let Some((version, resource)) = rest.split_once('/') else {
        return error(404, "Not Found");
    };
    let token = &crate::CREDENTIALS.access_token;
    if req.header("x-shopify-access-token") != Some(token.as_str()) {
        return error(
            401,
            "[API] Invalid API key or access token (unrecognized login or wrong password)",
        );
    }
    let mut r = route(state, req, resource);
    set_header(&mut r, "x-shopify-api-version", version);
    r
}

fn route(state: &mut State, req: &Req, resource: &str) -> axum::response::Response {
    if resource == "shop.json" {
        return json(
            200,
            &json!({"shop": {"id": 548380009, "name": "Fake Shopify Store", "email": "owner@example.com",
                "domain": "fake.example", "myshopify_domain": "fake-store.myshopify.com",
                "currency": "EUR", "iana_timezone": "America/New_York",
                "timezone": "(GMT-05:00) Eastern Time (US & Canada)", "country_code": "US",
                "plan_name": "basic", "money_format": "€{{amount}}"}}),
        );
    }
    if let Some(id) = resource
        .strip_prefix("orders/")
        .and_then(|r| r.strip_suffix("/refunds.json"))
    {
        return match id
            .parse::<u64>()
            .ok()
            .and_then(|id| state.catalog.order(id))
        {
            Some(o) => json(
                200,
                &json!({"refunds": o.refunds.iter().map(|r| refund_json(o, r)).collect::<Vec<_>>()}),
            ),
            None => error(404, "Not Found"),
        };
    }
    let mut l = match filters(req, state) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = l.f.clone();
    match resource {
        "orders.json" => {
            state.order_list();
            let t = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or_default();
            let mut rows = state.catalog.orders_by_modified(
                f.updated_min.map(|s| (t(s), true)),
                f.updated_max.map(|s| (t(s), true)),
            );
            let orders = &state.catalog.orders;
            rows.retain(|&i| match f.status.as_str() {
                "any" => true,
                "closed" => orders[i].status == "completed",
                "cancelled" => orders[i].status == "cancelled",
                _ => !matches!(orders[i].status, "completed" | "cancelled"),
            });
            if let Some(c) = f.created_min {
                rows.retain(|&i| orders[i].created.timestamp() >= c);
            }
            if !f.by_updated {
                rows.sort_unstable_by_key(|&i| orders[i].id);
            }
            page(
                req,
                "orders",
                orders,
                rows,
                &l,
                Some(&state.order_texts),
                order_json,
            )
        }
        "customers.json" => {
            let recs = &state.catalog.customers;
            let mut rows = in_window(recs, &f);
            rows.sort_unstable_by_key(|&i| recs[i].id);
            l.f.by_updated = false;
            page(req, "customers", recs, rows, &l, None, customer_json)
        }
        "products.json" => {
            let recs = &state.catalog.products;
            let mut rows = in_window(recs, &f);
            rows.sort_unstable_by_key(|&i| recs[i].id);
            l.f.by_updated = false;
            page(req, "products", recs, rows, &l, None, product_json)
        }
        "events.json" => {
            let recs: Vec<EventRow> = state
                .catalog
                .deletions
                .iter()
                .filter(|_| f.verb.as_deref().is_none_or(|v| v == "destroy"))
                .filter(|d| {
                    f.subjects
                        .as_deref()
                        .is_none_or(|s| s.split(',').any(|k| k.trim() == subject_type(d.entity)))
                })
                .filter(|d| f.created_min.is_none_or(|c| d.at.timestamp() >= c))
                .map(|d| EventRow {
                    id: d.event_id,
                    deletion: d.clone(),
                })
                .collect();
            let rows: Vec<usize> = (0..recs.len()).collect();
            l.f.by_updated = false;
            page(req, "events", &recs, rows, &l, None, |e| {
                event_json(&e.deletion)
            })
        }
        _ => error(404, "Not Found"),
    }
}

/// An event, pageable by its own id.
struct EventRow {
    id: u64,
    deletion: Deletion,
}

impl Stamped for EventRow {
    fn id(&self) -> u64 {
        self.id
    }
    fn modified(&self) -> DateTime<Utc> {
        self.deletion.at
    }
}
