//! The quality engine: every default rule on a record it must flag and one it must pass,
//! cleansers before and after, rule files with mistakes, scores worked out by hand, the
//! fixtures' findings, and the HTML report.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use nexus_core::Error;
use nexus_core::mapping::Mapper;
use nexus_core::model::{Currency, Customer, Order, PlatformKind, Product, Refund, Variant};
use nexus_core::quality::{
    Checkable, Cleanser, CleansingOptions, Dataset, Dimension, FieldCheck, FieldRule, GradeScale,
    QualityEngine, QualityReport, RuleSet, RuleSetBuilder, Severity,
};
use rust_decimal::Decimal;
use serde_json::json;

use crate::common::fixture;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn m(a: &str) -> serde_json::Value {
    json!({"amount": a, "currency": "USD"})
}

fn address() -> serde_json::Value {
    json!({"first_name": "Jane", "last_name": "Doe", "company": null, "line1": "1 Main St",
           "line2": null, "city": "Springfield", "region": "Oregon", "region_code": "OR",
           "postal_code": "97477", "country_code": "US", "country": null,
           "phone": "+1 541 555 0100", "email": "jane@shop.com"})
}

/// A clean order: 2 x 10.00 - 2.00 discount + 5.00 shipping + 1.80 tax = 24.80.
fn order() -> Order {
    serde_json::from_value(json!({
        "source": {"platform": "woocommerce", "store": "shop", "entity": "order", "id": "100"},
        "number": "100", "status": "completed", "platform_status": "completed",
        "payment_status": null, "platform_payment_status": null,
        "fulfillment_status": null, "platform_fulfillment_status": null,
        "currency": "USD", "created_at": "2024-03-01T10:00:00Z",
        "updated_at": "2024-03-02T10:00:00Z", "paid_at": "2024-03-01T10:05:00Z",
        "completed_at": "2024-03-03T10:00:00Z", "cancelled_at": null,
        "customer_id": "7", "email": "jane@shop.com",
        "billing_address": address(), "shipping_address": address(),
        "line_items": [{"source_id": "1", "product_id": "50", "variant_id": null, "sku": "MUG-1",
            "name": "Mug", "quantity": 2, "unit_price": m("10.00"), "subtotal": m("20.00"),
            "discount": m("2.00"), "tax": m("1.80"), "total": m("18.00"), "components": [],
            "metadata": {}}],
        "tax_lines": [], "fee_lines": [], "discount_lines": [], "refunds": [],
        "shipping_lines": [{"source_id": "s1", "method": "flat_rate", "title": "Flat rate",
            "amount": m("5.00"), "discount": m("0"), "tax": m("0")}],
        "subtotal": m("20.00"), "discount_total": m("2.00"), "shipping_total": m("5.00"),
        "fee_total": m("0"), "tax_total": m("1.80"), "total": m("24.80"),
        "refunded_total": m("0"), "prices_include_tax": false, "payment_method": "card",
        "note": null, "tags": [], "metadata": {}
    }))
    .unwrap()
}

fn customer() -> Customer {
    serde_json::from_value(json!({
        "source": {"platform": "woocommerce", "store": "shop", "entity": "customer", "id": "7"},
        "email": "jane@shop.com", "first_name": "Jane", "last_name": "Doe",
        "phone": "+1 541 555 0100", "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-02-01T00:00:00Z", "billing_address": address(),
        "shipping_address": null, "addresses": [], "orders_count": 3,
        "total_spent": m("75.00"), "accepts_marketing": true, "state": null, "tags": [],
        "metadata": {}
    }))
    .unwrap()
}

fn variant_json(id: &str, sku: &str, price: &str) -> serde_json::Value {
    json!({"source": {"platform": "woocommerce", "store": "shop", "entity": "variant", "id": id},
        "product_id": "60", "sku": sku, "title": "S", "price": price, "regular_price": "30.00",
        "currency": "USD", "inventory_quantity": 3, "options": [{"name": "Size", "value": "S"}],
        "status": "active", "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-02-01T00:00:00Z", "metadata": {}})
}

fn variant() -> Variant {
    serde_json::from_value(variant_json("61", "SHIRT-S", "20.00")).unwrap()
}

/// A clean simple product (50) and a clean variable one (60, variants 61 and 62).
fn products() -> Vec<Product> {
    let base = |id: &str| {
        json!({"source": {"platform": "woocommerce", "store": "shop", "entity": "product", "id": id},
            "name": "Mug", "kind": "simple", "platform_type": "simple", "status": "active",
            "platform_status": "publish", "sku": "MUG-1", "handle": "mug", "vendor": null,
            "price": "10.00", "regular_price": "12.00", "currency": "USD",
            "inventory_quantity": 5, "categories": [], "tags": [], "variant_ids": [],
            "variants": [], "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-02-01T00:00:00Z", "metadata": {}})
    };
    let simple: Product = serde_json::from_value(base("50")).unwrap();
    let mut v = base("60");
    v["name"] = json!("Shirt");
    v["kind"] = json!("variable");
    v["sku"] = json!(null);
    v["price"] = json!("20.00");
    v["regular_price"] = json!(null);
    v["inventory_quantity"] = json!(null);
    v["variant_ids"] = json!(["61", "62"]);
    v["variants"] = json!([
        variant_json("61", "SHIRT-S", "20.00"),
        variant_json("62", "SHIRT-M", "25.00")
    ]);
    vec![simple, serde_json::from_value(v).unwrap()]
}

fn refund() -> Refund {
    serde_json::from_value(json!({
        "source": {"platform": "woocommerce", "store": "shop", "entity": "refund", "id": "900"},
        "order_id": "100", "created_at": "2024-03-05T00:00:00Z", "processed_at": null,
        "amount": m("10.00"), "shipping": m("0"), "reason": "damaged", "restock": true,
        "line_items": [{"source_id": "r1", "line_item_id": "1", "product_id": "50",
            "variant_id": null, "sku": "MUG-1", "name": "Mug", "quantity": 1,
            "subtotal": m("9.00"), "tax": m("0.90"), "total": m("9.90")}],
        "metadata": {}
    }))
    .unwrap()
}

fn cur(code: &str) -> Currency {
    Currency::new(code).unwrap()
}

/// The engine the rule cases run in: the default pack, "now" fixed, and the clean records
/// known for the cross-entity rules.
fn engine() -> QualityEngine {
    QualityEngine::new(RuleSet::default_pack())
        .as_of(t("2024-06-01T00:00:00Z"))
        .known_customers(&[customer()])
        .known_products(&products())
        .known_orders(&[order()])
}

fn rules_hit<R: Checkable>(records: &[R]) -> BTreeSet<String> {
    engine()
        .check(records)
        .violations
        .iter()
        .map(|v| v.rule.to_string())
        .collect()
}

type Case<T> = (&'static str, fn(&mut Vec<T>));

fn order_cases() -> Vec<Case<Order>> {
    vec![
        ("order.required", |v| v[0].email = None),
        ("order.email_syntax", |v| {
            v[0].email = Some("jane@shop".into())
        }),
        ("order.email_placeholder", |v| {
            v[0].email = Some("test@example.com".into())
        }),
        ("order.currency_iso4217", |v| v[0].currency = cur("ABC")),
        ("order.currency_consistent", |v| {
            v[0].shipping_lines[0].amount.currency = cur("EUR")
        }),
        ("order.country_iso3166", |v| {
            v[0].billing_address.as_mut().unwrap().country_code = Some("Germany".into())
        }),
        ("order.postal_code", |v| {
            v[0].billing_address.as_mut().unwrap().postal_code = Some("9747".into())
        }),
        ("order.phone_plausible", |v| {
            v[0].billing_address.as_mut().unwrap().phone = Some("555".into())
        }),
        ("order.total_matches", |v| v[0].total.amount = d("30.00")),
        ("order.subtotal_matches", |v| {
            v[0].subtotal.amount = d("25.00")
        }),
        ("order.line_total", |v| {
            v[0].line_items[0].total.amount = d("15.00")
        }),
        ("order.quantity_positive", |v| {
            v[0].line_items[0].quantity = d("0")
        }),
        ("order.amounts_non_negative", |v| {
            v[0].shipping_total.amount = d("-5.00")
        }),
        ("order.refund_not_above_total", |v| {
            v[0].refunded_total.amount = d("30.00")
        }),
        ("order.future_date", |v| {
            v[0].created_at = t("2031-01-01T00:00:00Z")
        }),
        ("order.updated_before_created", |v| {
            v[0].updated_at = Some(t("2024-02-01T00:00:00Z"))
        }),
        ("order.completed_without_payment", |v| v[0].paid_at = None),
        ("order.status_refund_mismatch", |v| {
            v[0].status = nexus_core::model::OrderStatus::Refunded
        }),
        ("order.stale_pending", |v| {
            v[0].status = nexus_core::model::OrderStatus::Pending
        }),
        ("order.duplicate_id", |v| v.push(v[0].clone())),
        ("order.duplicate_number", |v| {
            let mut o = v[0].clone();
            o.source.id = "101".into();
            v.push(o)
        }),
        ("order.line_sku_present", |v| v[0].line_items[0].sku = None),
        ("order.unknown_customer", |v| {
            v[0].customer_id = Some("999".into())
        }),
        ("order.unknown_product", |v| {
            v[0].line_items[0].product_id = Some("999".into())
        }),
    ]
}

fn customer_cases() -> Vec<Case<Customer>> {
    vec![
        ("customer.required", |v| v[0].first_name = None),
        ("customer.email_syntax", |v| {
            v[0].email = Some("jane@@shop.com".into())
        }),
        ("customer.email_placeholder", |v| {
            v[0].email = Some("jane@mailinator.com".into())
        }),
        ("customer.email_normalized", |v| {
            v[0].email = Some("Jane@Shop.com".into())
        }),
        ("customer.whitespace", |v| {
            v[0].first_name = Some("  Jane".into())
        }),
        ("customer.phone_plausible", |v| {
            v[0].phone = Some("0000000".into())
        }),
        ("customer.country_iso3166", |v| {
            v[0].billing_address.as_mut().unwrap().country_code = Some("XX".into())
        }),
        ("customer.postal_code", |v| {
            v[0].billing_address.as_mut().unwrap().postal_code = Some("ABC".into())
        }),
        ("customer.address_complete", |v| {
            v[0].billing_address.as_mut().unwrap().line1 = None
        }),
        ("customer.future_date", |v| {
            v[0].created_at = Some(t("2031-01-01T00:00:00Z"))
        }),
        ("customer.updated_before_created", |v| {
            v[0].updated_at = Some(t("2023-01-01T00:00:00Z"))
        }),
        ("customer.spent_without_orders", |v| {
            v[0].orders_count = Some(0)
        }),
        ("customer.currency_iso4217", |v| {
            v[0].total_spent.as_mut().unwrap().currency = cur("usd")
        }),
        ("customer.duplicate_id", |v| v.push(v[0].clone())),
        ("customer.duplicate_email", |v| {
            let mut c = v[0].clone();
            c.source.id = "8".into();
            c.email = Some("JANE@shop.com ".into());
            v.push(c)
        }),
    ]
}

fn product_cases() -> Vec<Case<Product>> {
    vec![
        ("product.required", |v| v[0].name = String::new()),
        ("product.price_present", |v| v[0].price = None),
        ("product.sku_present", |v| v[0].sku = None),
        ("product.sku_unique", |v| {
            v[1].variants[1].sku = Some("MUG-1".into())
        }),
        ("product.duplicate_id", |v| v.push(v[0].clone())),
        ("product.price_non_negative", |v| {
            v[0].price = Some(d("-1.00"))
        }),
        ("product.sale_above_regular", |v| {
            v[0].price = Some(d("15.00"))
        }),
        ("product.variant_price_range", |v| {
            v[1].price = Some(d("5.00"))
        }),
        ("product.currency_iso4217", |v| {
            v[0].currency = Some(cur("usd"))
        }),
        ("product.negative_stock", |v| {
            v[0].inventory_quantity = Some(-3)
        }),
        ("product.future_date", |v| {
            v[0].created_at = Some(t("2031-01-01T00:00:00Z"))
        }),
        ("product.updated_before_created", |v| {
            v[0].updated_at = Some(t("2023-01-01T00:00:00Z"))
        }),
        ("product.variants_listed", |v| {
            v[1].variant_ids = vec!["61".into()]
        }),
        ("product.variable_without_variants", |v| {
            v[1].variant_ids.clear();
            v[1].variants.clear()
        }),
        ("product.whitespace", |v| v[0].sku = Some("MUG-1 ".into())),
    ]
}

fn variant_cases() -> Vec<Case<Variant>> {
    vec![
        ("variant.required", |v| v[0].sku = None),
        ("variant.price_non_negative", |v| {
            v[0].price = Some(d("-1.00"))
        }),
        ("variant.sale_above_regular", |v| {
            v[0].price = Some(d("35.00"))
        }),
        ("variant.negative_stock", |v| {
            v[0].inventory_quantity = Some(-2)
        }),
        ("variant.currency_iso4217", |v| {
            v[0].currency = Some(cur("usd"))
        }),
        ("variant.future_date", |v| {
            v[0].updated_at = Some(t("2031-01-01T00:00:00Z"))
        }),
        ("variant.duplicate_id", |v| v.push(v[0].clone())),
        ("variant.sku_unique", |v| {
            let mut x = v[0].clone();
            x.source.id = "63".into();
            v.push(x)
        }),
        ("variant.unknown_product", |v| {
            v[0].product_id = Some("999".into())
        }),
    ]
}

fn refund_cases() -> Vec<Case<Refund>> {
    vec![
        ("refund.required", |v| v[0].order_id = None),
        ("refund.amount_positive", |v| v[0].amount.amount = d("0")),
        ("refund.lines_match", |v| {
            v[0].line_items[0].total.amount = d("20.00")
        }),
        ("refund.quantity_positive", |v| {
            v[0].line_items[0].quantity = d("0")
        }),
        ("refund.currency_iso4217", |v| {
            v[0].amount.currency = Currency::UNKNOWN
        }),
        ("refund.future_date", |v| {
            v[0].created_at = t("2031-01-01T00:00:00Z")
        }),
        ("refund.duplicate_id", |v| v.push(v[0].clone())),
        ("refund.unknown_order", |v| {
            v[0].order_id = Some("999".into())
        }),
        ("refund.exceeds_order", |v| {
            let mut r = v[0].clone();
            r.source.id = "901".into();
            r.amount.amount = d("20.00");
            v.push(r)
        }),
    ]
}

fn run_cases<T: Checkable + Clone>(base: Vec<T>, cases: Vec<Case<T>>) -> Vec<&'static str> {
    let clean = rules_hit(&base);
    assert!(clean.is_empty(), "the clean records broke {clean:?}");
    for (rule, mutate) in &cases {
        let mut records = base.clone();
        mutate(&mut records);
        let hit = rules_hit(&records);
        assert!(
            hit.contains(*rule),
            "{rule} did not flag its case; the rules hit were {hit:?}"
        );
    }
    cases.iter().map(|(r, _)| *r).collect()
}

#[test]
fn every_default_rule_flags_its_case_and_passes_clean_records() {
    let mut tested = Vec::new();
    tested.extend(run_cases(vec![order()], order_cases()));
    tested.extend(run_cases(vec![customer()], customer_cases()));
    tested.extend(run_cases(products(), product_cases()));
    tested.extend(run_cases(vec![variant()], variant_cases()));
    tested.extend(run_cases(vec![refund()], refund_cases()));
    let all: BTreeSet<&str> = RuleSet::catalog().iter().map(|r| r.id).collect();
    let tested: BTreeSet<&str> = tested.into_iter().collect();
    let untested: Vec<_> = all.difference(&tested).collect();
    assert!(
        untested.is_empty(),
        "default rules without a case: {untested:?}"
    );
    // The pack has at least 13 rules for each main entity.
    for entity in ["order.", "customer.", "product."] {
        assert!(
            all.iter().filter(|r| r.starts_with(entity)).count() >= 13,
            "{entity}"
        );
    }
}

#[test]
fn violations_name_the_record_field_value_and_dimension() {
    let mut o = order();
    o.line_items[0].total.amount = d("15.00");
    let r = engine().check(&[o]);
    let v = r.violations_of("order.line_total").next().unwrap();
    assert_eq!(v.record_id, "100");
    assert_eq!(v.store, "shop");
    assert_eq!(v.path, "line_items[0].total");
    assert_eq!(v.severity, Severity::Error);
    assert_eq!(v.dimension, Dimension::Consistency);
    assert_eq!(v.value.as_deref(), Some("15.00"));
    assert!(
        v.message.contains("2 x 10.00 - discount 2.00 = 18.00"),
        "{}",
        v.message
    );
    assert!(!v.fixable);
}

#[test]
fn cross_entity_rules_run_only_with_the_other_entity() {
    let mut o = order();
    o.customer_id = Some("999".into());
    let alone = QualityEngine::default()
        .as_of(t("2024-06-01T00:00:00Z"))
        .check(std::slice::from_ref(&o));
    assert!(alone.rule("order.unknown_customer").is_none());
    let data = Dataset {
        orders: vec![o],
        customers: vec![customer()],
        products: products(),
        ..Dataset::default()
    };
    let r = QualityEngine::default()
        .as_of(t("2024-06-01T00:00:00Z"))
        .check_dataset(&data);
    assert_eq!(r.rule("order.unknown_customer").unwrap().records_failed, 1);
    assert_eq!(r.rule("order.unknown_product").unwrap().records_failed, 0);
    assert_eq!(r.records, 4);
    assert_eq!(r.entities.len(), 3);
}

// ---- cleansing -------------------------------------------------------------------------

fn dirty_customer() -> Customer {
    let mut c = customer();
    c.email = Some("  Jane.Doe@Shop.COM ".into());
    c.first_name = Some("  jane   marie ".into());
    c.last_name = Some("DOE".into());
    let a = c.billing_address.as_mut().unwrap();
    a.country_code = Some("Deutschland".into());
    a.phone = Some("030 1234567".into());
    a.postal_code = Some("10115".into());
    a.region_code = Some("be".into());
    c.total_spent.as_mut().unwrap().currency = cur("usd");
    c.phone = Some("(541) 555-0199".into());
    c
}

#[test]
fn cleansers_fix_what_they_promise_and_log_every_change() {
    let engine = QualityEngine::default().as_of(t("2024-06-01T00:00:00Z"));
    let mut cs = vec![dirty_customer()];
    let log = engine.cleanse(&mut cs);
    let c = &cs[0];
    assert_eq!(c.email.as_deref(), Some("jane.doe@shop.com"));
    assert_eq!(
        c.first_name.as_deref(),
        Some("jane marie"),
        "names keep their case unless asked"
    );
    let a = c.billing_address.as_ref().unwrap();
    assert_eq!(a.country_code.as_deref(), Some("DE"));
    assert_eq!(a.phone.as_deref(), Some("+49301234567"));
    assert_eq!(a.region_code.as_deref(), Some("BE"));
    assert_eq!(c.total_spent.unwrap().currency.as_str(), "USD");
    // The customer's own phone takes the country of the billing address (now DE).
    assert_eq!(c.phone.as_deref(), Some("+495415550199"));
    let changed = |field: &str, cleanser: Cleanser| {
        log.changes
            .iter()
            .find(|ch| ch.field == field && ch.cleanser == cleanser)
            .unwrap_or_else(|| panic!("no {cleanser} change of {field} in {:#?}", log.changes))
    };
    let e = changed("email", Cleanser::TrimWhitespace);
    assert_eq!(e.before.as_deref(), Some("  Jane.Doe@Shop.COM "));
    assert_eq!(e.after.as_deref(), Some("Jane.Doe@Shop.COM"));
    assert_eq!(e.record_id, "7");
    let e = changed("email", Cleanser::LowercaseEmail);
    assert_eq!(e.after.as_deref(), Some("jane.doe@shop.com"));
    changed("billing_address.country_code", Cleanser::CountryNames);
    changed("billing_address.phone", Cleanser::PhoneE164);
    changed("total_spent.currency", Cleanser::UppercaseCodes);
    // Running again changes nothing: the cleansers are idempotent.
    assert!(engine.cleanse(&mut cs).is_empty());
}

#[test]
fn title_case_runs_only_when_asked_and_fields_can_be_limited() {
    let opts = CleansingOptions::default()
        .with(Cleanser::TitleCaseNames)
        .only_fields(["first_name", "last_name"]);
    let set = RuleSet::builder().cleansing(opts).build().unwrap();
    let mut cs = vec![dirty_customer()];
    let log = QualityEngine::new(set).cleanse(&mut cs);
    assert_eq!(cs[0].first_name.as_deref(), Some("Jane Marie"));
    assert_eq!(cs[0].last_name.as_deref(), Some("Doe"));
    assert_eq!(
        cs[0].email.as_deref(),
        Some("  Jane.Doe@Shop.COM "),
        "email was not in the fields"
    );
    assert!(
        log.changes
            .iter()
            .all(|c| c.field.ends_with("first_name") || c.field.ends_with("last_name"))
    );

    let skip = RuleSet::builder()
        .cleansing(CleansingOptions::default().skip(["phone"]))
        .build()
        .unwrap();
    let mut cs = vec![dirty_customer()];
    QualityEngine::new(skip).cleanse(&mut cs);
    assert_eq!(cs[0].phone.as_deref(), Some("(541) 555-0199"));
    assert_eq!(
        cs[0].billing_address.as_ref().unwrap().phone.as_deref(),
        Some("030 1234567")
    );

    let off = RuleSet::builder()
        .cleansing(CleansingOptions::off())
        .build()
        .unwrap();
    let mut cs = vec![dirty_customer()];
    assert!(QualityEngine::new(off).cleanse(&mut cs).is_empty());
    assert_eq!(cs[0].email.as_deref(), Some("  Jane.Doe@Shop.COM "));
}

#[test]
fn derivable_amounts_are_filled_and_currencies_follow_the_order() {
    let mut o = order();
    o.currency = cur("usd");
    o.total.currency = cur("usd");
    o.line_items[0].discount.amount = d("0");
    o.line_items[0].total.amount = d("0");
    o.discount_total.amount = d("0");
    o.total.amount = d("26.80");
    let engine = QualityEngine::default().as_of(t("2024-06-01T00:00:00Z"));
    let before = engine.check(std::slice::from_ref(&o));
    assert!(before.rule("order.line_total").unwrap().fixable == 1);
    let mut os = vec![o];
    let report = engine.check_and_cleanse(&mut os);
    assert_eq!(os[0].line_items[0].total.amount, d("20.00"));
    assert_eq!(os[0].currency.as_str(), "USD");
    assert_eq!(os[0].total.currency.as_str(), "USD");
    assert!(
        report
            .cleansing
            .changes
            .iter()
            .any(|c| c.field == "line_items[0].total" && c.cleanser == Cleanser::FillDerived)
    );
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    assert!(report.score > before.score);
}

// ---- rule files ------------------------------------------------------------------------

#[test]
fn a_rule_file_changes_rules_adds_field_rules_weights_and_grades() {
    let yaml = r#"
version: 1
rules:
  order.phone_plausible: { enabled: false }
  order.total_matches: { tolerance: "0.50", severity: warning }
  order.currency_iso4217: { allowed: [eur] }
  customer.required: { fields: [email, phone] }
  order.future_date: { max_future_skew: 2d }
field_rules:
  - id: shop.note_length
    entity: order
    field: note
    length: { max: 5 }
  - id: shop.sku_format
    entity: orders
    field: line_items[].sku
    pattern: "^[A-Z]+-[0-9]+$"
    severity: error
  - id: shop.tier
    entity: customer
    field: metadata.tier
    allowed: [gold, silver]
  - id: shop.quantity
    entity: order
    field: line_items[].quantity
    range: { min: 1, max: 10 }
  - id: shop.number
    entity: order
    field: number
    required: true
    dimension: accuracy
weights: { validity: 50 }
grades: [{grade: good, min: 90}, {grade: fair, min: 50}, {grade: poor, min: 0}]
cleansing: { cleansers: [trim_whitespace], skip_fields: [email] }
"#;
    let set = RuleSet::from_yaml(yaml).unwrap();
    let json_text =
        serde_json::to_string(&serde_yaml_ng::from_str::<serde_json::Value>(yaml).unwrap())
            .unwrap();
    let from_json = RuleSet::from_json(&json_text).unwrap();
    assert_eq!(from_json.rules(), set.rules());
    assert_eq!(set.weights().get(Dimension::Validity), 50.0);
    assert_eq!(set.cleansing().cleansers, vec![Cleanser::TrimWhitespace]);

    let engine = QualityEngine::new(set).as_of(t("2024-06-01T00:00:00Z"));
    let mut o = order();
    o.billing_address.as_mut().unwrap().phone = Some("555".into());
    o.total.amount = d("25.10");
    o.created_at = t("2024-06-02T00:00:00Z");
    o.updated_at = None;
    o.paid_at = None;
    o.completed_at = None;
    o.note = Some("too long".into());
    o.line_items[0].sku = Some("mug_1".into());
    o.line_items[0].quantity = d("20");
    o.line_items[0].total.amount = d("198.00");
    o.line_items[0].subtotal.amount = d("200.00");
    o.subtotal.amount = d("200.00");
    o.total.amount = d("204.80");
    let r = engine.check(&[o]);
    let hit: BTreeSet<&str> = r.violations.iter().map(|v| v.rule.as_ref()).collect();
    assert!(!hit.contains("order.phone_plausible"));
    assert!(
        !hit.contains("order.total_matches"),
        "within the 0.50 tolerance"
    );
    assert!(!hit.contains("order.future_date"), "within the 2-day skew");
    assert!(hit.contains("order.currency_iso4217"), "USD is not allowed");
    for rule in ["shop.note_length", "shop.sku_format", "shop.quantity"] {
        assert!(hit.contains(rule), "{rule} in {hit:?}");
    }
    assert!(!hit.contains("shop.number"));
    let sku = r.violations_of("shop.sku_format").next().unwrap();
    assert_eq!(sku.path, "line_items[0].sku");
    assert_eq!(sku.severity, Severity::Error);
    assert!(["good", "fair", "poor"].contains(&r.grade.as_str()));

    let mut c = customer();
    c.phone = None;
    c.metadata = serde_json::from_value(json!({"tier": "platinum"})).unwrap();
    let r = engine.check(&[c]);
    assert_eq!(
        r.violations_of("customer.required").next().unwrap().path,
        "phone"
    );
    assert!(
        r.violations_of("shop.tier")
            .next()
            .unwrap()
            .message
            .contains("platinum")
    );
}

fn rules_error(result: Result<RuleSet, Error>) -> (Option<String>, Option<usize>, String, String) {
    match result {
        Err(Error::Rules {
            file,
            line,
            key,
            message,
            ..
        }) => (file, line, key, message),
        other => panic!("expected a rule file error, got {other:?}"),
    }
}

#[test]
fn rule_file_mistakes_name_the_file_line_and_key() {
    let (_, line, key, message) = rules_error(RuleSet::from_yaml(
        "rules:\n  order.total_matches: {}\n  order.totl_matches: {}\n",
    ));
    assert_eq!(line, Some(3));
    assert_eq!(key, "rules.order.totl_matches");
    assert!(
        message.contains("unknown rule `order.totl_matches`"),
        "{message}"
    );

    let (_, line, key, message) = rules_error(RuleSet::from_yaml(
        "rules:\n  order.email_syntax:\n    tolerance: 1\n",
    ));
    assert_eq!(line, Some(3));
    assert!(key.starts_with("rules"), "{key}");
    assert!(message.contains("has no setting `tolerance`"), "{message}");

    let (_, line, key, message) = rules_error(RuleSet::from_yaml(
        "rules:\n  order.total_matches:\n    severity: fatal\n",
    ));
    assert_eq!(line, Some(3));
    assert_eq!(key, "rules.order.total_matches.severity");
    assert!(message.contains("unknown severity"), "{message}");

    let (_, line, key, message) = rules_error(RuleSet::from_yaml("version: 1\nrulez: {}\n"));
    assert_eq!(line, Some(2));
    assert!(message.contains("rulez"), "{key}: {message}");

    let (_, _, key, message) = rules_error(RuleSet::from_yaml(
        "field_rules:\n  - id: x\n    entity: order\n    field: note\n    required: true\n    pattern: a\n",
    ));
    assert_eq!(key, "field_rules[0]");
    assert!(message.contains("exactly one"), "{message}");

    let (_, _, _, message) = rules_error(RuleSet::from_yaml(
        "field_rules:\n  - id: x\n    entity: order\n    field: note\n    pattern: \"([a-z\"\n",
    ));
    assert!(
        message.contains("not a valid regular expression"),
        "{message}"
    );

    let (_, _, _, message) = rules_error(RuleSet::from_yaml(
        "rules:\n  customer.required: { fields: [emial] }\n",
    ));
    assert!(message.contains("`emial` is not a field"), "{message}");

    let (_, line, _, message) = rules_error(RuleSet::from_json(
        "{\n  \"rules\": {\n    \"order.nope\": {}\n  }\n}",
    ));
    assert_eq!(line, Some(3));
    assert!(message.contains("unknown rule `order.nope`"), "{message}");

    let dir = std::env::temp_dir().join(format!("nexus-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("shop.yaml");
    std::fs::write(&path, "weights: { validity: -1 }\n").unwrap();
    let err = RuleSet::from_file(&path).unwrap_err();
    assert_eq!(err.code(), "invalid_rules");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}:1:", path.display())),
        "{text}"
    );
    assert!(text.contains("weights.validity"), "{text}");
    let (file, ..) = rules_error(RuleSet::from_file(dir.join("missing.yaml")));
    assert!(file.unwrap().ends_with("missing.yaml"));

    let err = RuleSet::builder()
        .tolerance("order.email_syntax", d("1"))
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("has no setting `tolerance`"),
        "{err}"
    );
    let err = RuleSet::builder()
        .disable("order.nope")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("unknown rule"), "{err}");
    let err = RuleSet::builder()
        .field_rule(FieldRule::new(
            "order.total_matches",
            nexus_core::model::EntityKind::Order,
            "note",
            FieldCheck::Required,
        ))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("built-in"), "{err}");
}

// ---- scores ----------------------------------------------------------------------------

/// Four orders, two rules: `order.email_syntax` (validity, error, weight 1) and
/// `order.line_sku_present` (completeness, info, weight 0.1).
fn scored_orders() -> Vec<Order> {
    let mut os = Vec::new();
    for (id, store, bad_email, no_sku) in [
        ("1", "a", false, false),
        ("2", "a", true, false),
        ("3", "b", false, true),
        ("4", "b", true, true),
    ] {
        let mut o = order();
        o.source.id = id.into();
        o.source.store = store.into();
        if bad_email {
            o.email = Some("nope".into());
        }
        if no_sku {
            o.line_items[0].sku = None;
        }
        os.push(o);
    }
    os
}

fn two_rules() -> RuleSetBuilder {
    RuleSetBuilder::empty()
        .enable("order.email_syntax")
        .enable("order.line_sku_present")
}

#[test]
fn scores_and_grades_are_worked_out_by_hand() {
    let engine = QualityEngine::new(two_rules().build().unwrap()).as_of(t("2024-06-01T00:00:00Z"));
    let r = engine.check(&scored_orders());
    // Validity: 4 records, 2 errors (weight 1 each): 100 x (1 - 2/4) = 50.
    let validity = &r.dimensions[&Dimension::Validity];
    assert_eq!(
        (
            validity.score,
            validity.records_checked,
            validity.records_failed
        ),
        (Some(50.0), 4, 2)
    );
    // Completeness: 4 records, 2 infos (weight 0.1): 100 x (1 - 0.2/4) = 95.
    assert_eq!(r.dimensions[&Dimension::Completeness].score, Some(95.0));
    assert_eq!(r.dimensions[&Dimension::Uniqueness].score, None);
    // Overall: (25 x 50 + 20 x 95) / 45 = 70 -> C-.
    assert_eq!(r.score, 70.0);
    assert_eq!(r.grade, "C-");
    // Store a: validity 50, completeness 100 -> (1250 + 2000) / 45 = 72.22 (C-);
    // store b: validity 50, completeness 90 -> (1250 + 1800) / 45 = 67.78 (D+).
    let a = r
        .stores
        .iter()
        .find(|s| s.store.as_deref() == Some("a"))
        .unwrap();
    let b = r
        .stores
        .iter()
        .find(|s| s.store.as_deref() == Some("b"))
        .unwrap();
    assert_eq!((a.score, a.grade.as_str(), a.records), (72.22, "C-", 2));
    assert_eq!((b.score, b.grade.as_str()), (67.78, "D+"));
    // Recommendations by impact: e-mail 2 x 1 x 25/100 = 0.5; SKU 2 x 0.1 x 20/100 = 0.04.
    assert_eq!(r.recommendations.len(), 2);
    let first = &r.recommendations[0];
    assert_eq!(
        (first.rank, first.rule.as_str(), first.impact, first.share),
        (1, "order.email_syntax", 0.5, 0.5)
    );
    assert_eq!(first.records_affected, 2);
    assert_eq!(first.examples[0].record_id, "2");
    assert!(
        first.problem.starts_with("2 of 4 orders fail"),
        "{}",
        first.problem
    );
    assert_eq!(r.recommendations[1].impact, 0.04);

    // Changed weights: validity 0 leaves completeness alone: 95 -> A.
    let engine = QualityEngine::new(
        two_rules()
            .weight(Dimension::Validity, 0.0)
            .build()
            .unwrap(),
    )
    .as_of(t("2024-06-01T00:00:00Z"));
    let r2 = engine.check(&scored_orders());
    assert_eq!((r2.score, r2.grade.as_str()), (95.0, "A"));
    // A custom scale.
    let scale = GradeScale(vec![("pass".into(), 60.0), ("fail".into(), 0.0)]);
    let engine = QualityEngine::new(two_rules().grades(scale).build().unwrap())
        .as_of(t("2024-06-01T00:00:00Z"));
    assert_eq!(engine.check(&scored_orders()).grade, "pass");
}

#[test]
fn the_trend_compares_against_the_previous_report() {
    let engine = QualityEngine::new(two_rules().build().unwrap()).as_of(t("2024-06-01T00:00:00Z"));
    let clean: Vec<Order> = scored_orders().into_iter().take(1).collect();
    let previous = engine.check(&clean);
    assert_eq!((previous.score, previous.grade.as_str()), (100.0, "A+"));
    let previous = QualityReport::from_json(&previous.to_json()).unwrap();
    let current = engine.check(&scored_orders());
    let trend = engine.trend(&current, &previous);
    assert_eq!(trend.score_change, -30.0);
    assert_eq!(trend.direction, "declined");
    // A+ (rank 0) to C- (rank 8).
    assert_eq!(trend.grade_steps, -8);
    let validity = trend
        .dimensions
        .iter()
        .find(|d| d.dimension == Dimension::Validity)
        .unwrap();
    assert_eq!(validity.change, Some(-50.0));
    assert!(
        trend
            .rules
            .iter()
            .any(|r| r.rule == "order.email_syntax" && r.previous == 0 && r.current == 2)
    );
    assert!(QualityReport::from_json("{\"score\": 1}").is_err());
}

// ---- fixtures ----------------------------------------------------------------------------

fn fixture_orders(platform: PlatformKind, files: &[&str]) -> Vec<Order> {
    let mapper = Mapper::new(platform).store("fixtures");
    files
        .iter()
        .flat_map(|f| {
            let r = mapper.map_orders(&fixture(f));
            assert!(r.errors.is_empty(), "{f}: {:?}", r.errors);
            r.records
        })
        .collect()
}

#[test]
fn the_fixtures_findings() {
    let engine = QualityEngine::default().as_of(t("2025-01-01T00:00:00Z"));
    let woo = fixture_orders(PlatformKind::WooCommerce, &["woocommerce/orders_list.json"]);
    let r = engine.check(&woo);
    // The WooCommerce orders add up: lines, shipping and tax make the total; lines their totals.
    for rule in [
        "order.total_matches",
        "order.subtotal_matches",
        "order.line_total",
        "order.currency_consistent",
    ] {
        assert_eq!(
            r.rule(rule).unwrap().records_failed,
            0,
            "{rule}: {:#?}",
            r.violations
        );
    }
    assert_eq!(r.records, 2);
    let shopify = fixture_orders(PlatformKind::Shopify, &["shopify/orders.json"]);
    let r = engine.check(&shopify);
    for rule in [
        "order.total_matches",
        "order.line_total",
        "order.currency_iso4217",
    ] {
        assert_eq!(
            r.rule(rule).unwrap().records_failed,
            0,
            "{rule}: {:#?}",
            r.violations
        );
    }
    // Shopify's documented example order is Bob Norman's, at mail.example.com.
    assert!(
        r.violations_of("order.email_placeholder")
            .any(|v| v.record_id == "450789469")
    );
    let magento = fixture_orders(PlatformKind::Magento, &["magento/order.json"]);
    let r = engine.check(&magento);
    for rule in [
        "order.total_matches",
        "order.line_total",
        "order.currency_iso4217",
    ] {
        assert_eq!(
            r.rule(rule).unwrap().records_failed,
            0,
            "{rule}: {:#?}",
            r.violations
        );
    }
    // The WooCommerce example orders come from example.com with 555 phone numbers.
    let r = engine.check(&woo);
    assert_eq!(r.rule("order.email_placeholder").unwrap().records_failed, 2);
    assert!(
        r.violations_of("order.phone_plausible")
            .any(|v| v.message.contains("repeats one digit"))
    );
    // Order 723 is completed with no payment date.
    let unpaid: Vec<_> = r
        .violations_of("order.completed_without_payment")
        .map(|v| v.record_id.as_str())
        .collect();
    assert_eq!(unpaid, ["723"]);
}

// ---- reports -----------------------------------------------------------------------------

#[test]
fn the_report_serializes_and_renders_a_self_contained_page() {
    let mut os = scored_orders();
    os[1].email = Some("<script>alert(1)</script>@x.com".into());
    let report = engine().check(&os);
    let json = report.to_json();
    let back = QualityReport::from_json(&json).unwrap();
    assert_eq!(back, report);
    let html = report.to_html();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(&format!(">{}</div>", report.grade)));
    assert!(html.contains("<svg"));
    assert!(html.contains("What to fix first"));
    assert!(!html.contains("<script"), "store data must be escaped");
    assert!(html.contains("&lt;script&gt;"));
    for external in ["http://", "https://", "src=", "href=", "@import"] {
        assert!(
            !html.contains(external),
            "the page must not load {external}"
        );
    }
}

#[test]
fn quality_docs_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/quality-rules.md");
    let expected = nexus_core::quality::rules_markdown();
    if std::env::var_os("NEXUS_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/quality-rules.md is out of date: run NEXUS_UPDATE_DOCS=1 cargo test -p nexus-core quality_docs"
    );
}

// ---- JSON in, as the bindings call it --------------------------------------------------

#[test]
fn json_records_are_checked_and_a_bad_one_does_not_sink_the_batch() {
    use nexus_core::model::EntityKind;
    let mut dirty = order();
    dirty.email = Some(" Jane@Shop.com".into());
    let list = json!([dirty, {"source": {"id": "bad-1"}, "total": "x"}, order()]);
    let text = serde_json::to_vec(&list).unwrap();
    let out = engine()
        .check_json(Some(EntityKind::Order), &text, true, None)
        .unwrap();
    assert_eq!(out.report.records, 2);
    assert_eq!(out.report.rejected.len(), 1);
    let rejected = &out.report.rejected[0];
    assert_eq!(
        (rejected.index, rejected.record_id.as_deref()),
        (1, Some("bad-1"))
    );
    assert!(!rejected.message.is_empty());
    // Changes name the record's position in the list given.
    let email = out
        .report
        .cleansing
        .changes
        .iter()
        .find(|c| c.field == "email")
        .unwrap();
    assert_eq!(email.index, 0);
    // The third record's phone went to E.164: its change names position 2, not 1.
    assert!(
        out.report
            .cleansing
            .changes
            .iter()
            .any(|c| c.index == 2 && c.cleanser == Cleanser::PhoneE164)
    );
    assert!(out.report.cleansing.changes.iter().all(|c| c.index != 1));
    let back: Vec<serde_json::Value> = serde_json::from_str(&out.records.unwrap()).unwrap();
    assert_eq!(back.len(), 3);
    assert_eq!(back[0]["email"], "jane@shop.com");
    assert_eq!(
        back[1], list[1],
        "the rejected record passes through unchanged"
    );
    // The third record keeps its position in violations too.
    let mut o = order();
    o.total.amount = d("1.00");
    let text = serde_json::to_vec(&json!([order(), o])).unwrap();
    let out = engine()
        .check_json(Some(EntityKind::Order), &text, false, None)
        .unwrap();
    assert!(out.records.is_none());
    assert_eq!(
        out.report
            .violations_of("order.total_matches")
            .next()
            .unwrap()
            .index,
        1
    );

    let dataset = json!({"orders": [order()], "customers": [], "refunds": [refund()]});
    let out = QualityEngine::default()
        .as_of(t("2024-06-01T00:00:00Z"))
        .check_json(None, &serde_json::to_vec(&dataset).unwrap(), false, None)
        .unwrap();
    assert_eq!(out.report.records, 2);
    assert!(
        out.report.rule("refund.unknown_order").is_some(),
        "orders were given with the refunds"
    );
    assert!(
        out.report.rule("order.unknown_customer").is_none(),
        "no customers were given"
    );

    let err = engine()
        .check_json(Some(EntityKind::Order), b"{not json", false, None)
        .unwrap_err();
    assert_eq!(err.code(), "invalid_json");
    let err = engine()
        .check_json(None, br#"{"shipments": []}"#, false, None)
        .unwrap_err();
    assert_eq!(err.code(), "unknown_entity");
}

/// The summary the Rust, Python and Node suites compare: scores, grade and failures per
/// rule of the shared dirty orders, checked as they are and cleansed.
fn parity_summary(report: &QualityReport) -> serde_json::Value {
    let dims: serde_json::Map<String, serde_json::Value> = report
        .dimensions
        .iter()
        .map(|(d, s)| (d.to_string(), json!(s.score)))
        .collect();
    let rules: serde_json::Map<String, serde_json::Value> = report
        .rules
        .iter()
        .filter(|r| r.records_failed > 0)
        .map(|r| (r.rule.clone(), json!(r.records_failed)))
        .collect();
    let stores: serde_json::Map<String, serde_json::Value> = report
        .stores
        .iter()
        .map(|s| {
            (
                s.store.clone().unwrap_or_default(),
                json!({"score": s.score, "grade": s.grade}),
            )
        })
        .collect();
    json!({
        "score": report.score,
        "grade": report.grade,
        "records": report.records,
        "dimensions": dims,
        "rules_failed": rules,
        "stores": stores,
        "violations": report.violations.len(),
        "rejected": report.rejected.len(),
        "changes": report.cleansing.changes.len(),
        "top_recommendation": report.recommendations.first().map(|r| r.rule.clone()),
    })
}

#[test]
fn quality_docs_and_the_shared_expected_report_agree() {
    use nexus_core::model::EntityKind;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/quality");
    let data: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("dirty_orders.json")).unwrap()).unwrap();
    let engine = QualityEngine::default().as_of(t(data["as_of"].as_str().unwrap()));
    let orders = serde_json::to_vec(&data["orders"]).unwrap();
    let plain = engine
        .check_json(Some(EntityKind::Order), &orders, false, None)
        .unwrap()
        .report;
    let cleansed = engine
        .check_json(Some(EntityKind::Order), &orders, true, Some(&plain))
        .unwrap()
        .report;
    assert!(cleansed.score > plain.score);
    assert_eq!(cleansed.trend.as_ref().unwrap().direction, "improved");
    let expected = json!({"check": parity_summary(&plain), "cleansed": parity_summary(&cleansed)});
    let path = dir.join("expected_report.json");
    if std::env::var_os("NEXUS_UPDATE_DOCS").is_some() {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&expected).unwrap() + "\n",
        )
        .unwrap();
    }
    let actual: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap_or_default()).unwrap_or_default();
    assert_eq!(
        actual, expected,
        "tests/quality/expected_report.json is out of date: run NEXUS_UPDATE_DOCS=1 cargo test -p nexus-core quality_docs"
    );
}
