//! Every case of `tests/expectations.json` (shared with the Python and Node suites), plus
//! checks that need Rust types.

use nexus_core::mapping::{Mapper, map_customers, map_orders, map_products, map_refunds};
use nexus_core::model::{Currency, OrderStatus, PlatformKind, ProductKind};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::common::{fixture, map_value, repo};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn expectations_hold_for_every_case() {
    let text = std::fs::read_to_string(repo().join("tests/expectations.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 30, "the shared expectations lost cases");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let payload = match (case.get("fixture"), case.get("payload")) {
            (Some(f), _) => fixture(f.as_str().unwrap()),
            (None, Some(p)) => p.as_str().unwrap().as_bytes().to_vec(),
            _ => panic!("{name}: no payload"),
        };
        let (records, out) = map_value(
            case["platform"].as_str().unwrap(),
            case["entity"].as_str().unwrap(),
            &payload,
            case.get("store").and_then(Value::as_str),
            case.get("currency").and_then(Value::as_str),
            case.get("keep_unmapped")
                .and_then(Value::as_bool)
                .unwrap_or(true),
        );
        let want = case["records"].as_u64().unwrap() as usize;
        if records.len() != want {
            failures.push(format!(
                "{name}: {} records, expected {want}; errors {:?}",
                records.len(),
                out.errors
            ));
        }
        let got_errors: Vec<Value> = out
            .errors
            .iter()
            .map(|e| serde_json::json!({"index": e.index, "path": e.path, "code": e.code()}))
            .collect();
        if got_errors != case["errors"].as_array().unwrap().clone() {
            failures.push(format!(
                "{name}: errors {got_errors:?}, expected {}; messages {:?}",
                case["errors"], out.errors
            ));
        }
        for check in case["values"].as_array().unwrap() {
            let i = check["record"].as_u64().unwrap() as usize;
            let path = check["path"].as_str().unwrap();
            let got = records.get(i).and_then(|r| r.pointer(path));
            if let Some(expected) = check.get("equals") {
                if got != Some(expected) {
                    failures.push(format!(
                        "{name}: record {i} {path} = {got:?}, expected {expected}"
                    ));
                }
            }
            if check.get("absent") == Some(&Value::Bool(true)) && got.is_some() {
                failures.push(format!(
                    "{name}: record {i} {path} = {got:?}, expected it absent"
                ));
            }
            if let Some(len) = check.get("length") {
                let got_len = got.and_then(Value::as_array).map(Vec::len);
                if got_len != len.as_u64().map(|l| l as usize) {
                    failures.push(format!(
                        "{name}: record {i} {path} has length {got_len:?}, expected {len}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn woocommerce_orders_add_up_exactly() {
    let r = map_orders(
        PlatformKind::WooCommerce,
        &fixture("woocommerce/orders_list.json"),
    );
    assert!(r.is_clean(), "{:?}", r.errors);
    for o in &r.records {
        let lines: Decimal = o.line_items.iter().map(|l| l.total.amount).sum();
        let fees: Decimal = o.fee_lines.iter().map(|f| f.amount.amount).sum();
        let computed = lines + o.shipping_total.amount + fees + o.tax_total.amount;
        assert_eq!(
            computed, o.total.amount,
            "order {} does not add up",
            o.source.id
        );
        for l in &o.line_items {
            assert_eq!(
                l.unit_price.amount * l.quantity,
                l.subtotal.amount,
                "line {}",
                l.source_id
            );
        }
    }
    let first = &r.records[0];
    assert_eq!(first.total.amount, dec("29.35"));
    assert_eq!(first.total.currency, Currency::new("USD").unwrap());
    assert_eq!(first.status, OrderStatus::Processing);
    assert_eq!(first.line_items.len(), 2);
    assert_eq!(first.line_items[0].quantity, Decimal::from(2));
    // The refunds listed on order 723 are negative in the payload and positive here.
    let second = &r.records[1];
    assert_eq!(
        second
            .refunds
            .iter()
            .map(|r| r.amount.amount)
            .sum::<Decimal>(),
        dec("19.00")
    );
    assert!(
        second
            .refunds
            .iter()
            .all(|r| r.amount.amount > Decimal::ZERO)
    );
}

#[test]
fn shopify_order_converts_the_shop_offset_to_utc_and_adds_up() {
    let r = map_orders(PlatformKind::Shopify, &fixture("shopify/order.json"));
    let o = &r.records[0];
    assert_eq!(o.created_at.to_rfc3339(), "2008-01-10T16:00:00+00:00");
    let lines: Decimal = o.line_items.iter().map(|l| l.total.amount).sum();
    assert_eq!(
        lines + o.shipping_total.amount + o.tax_total.amount,
        o.total.amount
    );
    assert_eq!(o.subtotal.amount - o.discount_total.amount, lines);
}

#[test]
fn magento_parent_and_child_items_count_each_unit_once() {
    let r = map_orders(PlatformKind::Magento, &fixture("magento/order.json"));
    let o = &r.records[0];
    // The payload has 9 items: 2 plain, 1 bundle with 4 children, 1 configurable with 1 child.
    assert_eq!(o.line_items.len(), 4);
    let units: Decimal = o.line_items.iter().map(|l| l.quantity).sum();
    assert_eq!(
        units,
        Decimal::from(4),
        "total_qty_ordered in the payload is 4"
    );
    let lines: Decimal = o.line_items.iter().map(|l| l.subtotal.amount).sum();
    assert_eq!(lines, o.subtotal.amount);
    assert_eq!(lines + o.shipping_total.amount, o.total.amount);
}

#[test]
fn customers_products_and_refunds_map_on_every_platform() {
    let c = map_customers(PlatformKind::Magento, &fixture("magento/customer.json"));
    assert_eq!(c.records[0].email.as_deref(), Some("jdoe@example.com"));
    let p = map_products(PlatformKind::Shopify, &fixture("shopify/products.json"));
    assert_eq!(p.records.len(), 2);
    assert_eq!(p.records[0].kind, ProductKind::Variable);
    assert_eq!(p.records[0].variants.len(), 4);
    let f = Mapper::new(PlatformKind::WooCommerce)
        .currency(Currency::new("USD").unwrap())
        .map_refunds(&fixture("woocommerce/order_refunds_list.json"));
    assert_eq!(f.records.len(), 2);
    assert_eq!(
        f.records[1].line_items[0].quantity,
        Decimal::ONE,
        "refunded quantity is positive"
    );
    let s = map_refunds(PlatformKind::Shopify, &fixture("shopify/order_refund.json"));
    assert_eq!(s.records[0].amount.amount, dec("209.00"));
}

#[test]
fn transactions_are_shopify_only() {
    let err = Mapper::new(PlatformKind::Magento)
        .map_transactions(b"[]")
        .unwrap_err();
    assert_eq!(err.code(), "unsupported");
}
