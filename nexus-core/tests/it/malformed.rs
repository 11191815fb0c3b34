//! Malformed payloads: each gives a typed error with a path, and the good records survive.

use nexus_core::DataErrorKind;
use nexus_core::mapping::{map_customers, map_orders};
use nexus_core::model::PlatformKind;

const GOOD: &str = r#"{"id": 1, "status": "completed", "currency": "EUR", "date_created_gmt": "2024-01-05T10:00:00", "total": "12.50", "line_items": [{"id": 7, "name": "Mug", "quantity": 1, "price": 12.5, "subtotal": "12.50", "total": "12.50"}]}"#;

fn woo(payload: &str) -> nexus_core::mapping::MappingResult<nexus_core::model::Order> {
    map_orders(PlatformKind::WooCommerce, payload.as_bytes())
}

#[test]
fn the_error_message_names_the_path_and_the_value() {
    let bad = GOOD.replace(r#""price": 12.5"#, r#""price": "abc""#);
    let r = woo(&format!("[{GOOD},{GOOD},{GOOD},{bad}]"));
    assert_eq!(r.records.len(), 3);
    let e = &r.errors[0];
    assert_eq!(
        e.to_string(),
        r#"[3].line_items[0].price: expected a decimal, got "abc""#
    );
    assert_eq!(e.kind, DataErrorKind::InvalidDecimal);
    assert_eq!(e.index, Some(3));
    assert_eq!(e.id.as_deref(), Some("1"));
}

#[test]
fn wrong_types_are_invalid_type() {
    let bad = GOOD.replace(r#""line_items": ["#, r#""line_items": "none", "x": ["#);
    let r = woo(&format!("[{bad}]"));
    assert_eq!(r.errors[0].kind, DataErrorKind::InvalidType);
    assert_eq!(r.errors[0].path, "[0].line_items");
}

#[test]
fn a_negative_or_fractional_id_is_refused() {
    for id in ["-4", "1.5", "true", "\"\""] {
        let bad = GOOD.replace(r#""id": 1,"#, &format!(r#""id": {id},"#));
        let r = woo(&format!("[{bad}]"));
        assert_eq!(r.records.len(), 0, "id {id}");
        assert_eq!(r.errors[0].path, "[0].id", "id {id}");
    }
}

#[test]
fn a_missing_currency_or_date_is_named() {
    let no_currency = GOOD.replace(r#""currency": "EUR", "#, "");
    let r = woo(&no_currency);
    assert_eq!(r.errors[0].kind, DataErrorKind::MissingField);
    assert_eq!(r.errors[0].path, "currency");
    let no_date = GOOD.replace(r#""date_created_gmt": "2024-01-05T10:00:00", "#, "");
    let r = woo(&no_date);
    assert_eq!(r.errors[0].path, "date_created_gmt");
}

#[test]
fn impossible_dates_are_invalid_date() {
    for date in [
        "2024-02-30T10:00:00",
        "2024-13-01T10:00:00",
        "2024-01-01T25:00:00",
        "soon",
    ] {
        let bad = GOOD.replace("2024-01-05T10:00:00", date);
        let r = woo(&format!("[{bad}]"));
        assert_eq!(r.errors[0].kind, DataErrorKind::InvalidDate, "{date}");
        assert_eq!(r.errors[0].path, "[0].date_created_gmt");
        assert!(r.errors[0].message.contains(date));
    }
}

#[test]
fn truncation_anywhere_never_panics_and_keeps_whole_records() {
    let page = format!("[{GOOD},{GOOD},{GOOD}]");
    for cut in 0..page.len() {
        let r = woo(&page[..cut]);
        let complete = page[..cut]
            .matches("\"line_items\"")
            .count()
            .saturating_sub(1);
        assert!(r.records.len() <= 3);
        assert!(
            r.records.len() >= complete.min(2),
            "cut at {cut}: {} records",
            r.records.len()
        );
        assert!(!r.errors.is_empty(), "cut at {cut} must be reported");
    }
}

#[test]
fn unknown_fields_and_nulls_are_fine() {
    let extra = GOOD.replace(
        r#""id": 1,"#,
        r#""id": 1, "brand_new_field": {"a": [1, 2]}, "customer_note": null, "billing": null,"#,
    );
    let r = woo(&extra);
    assert!(r.is_clean(), "{:?}", r.errors);
}

#[test]
fn envelope_shapes_are_recognized() {
    let customer = r#"{"id": 5, "email": "x@example.com"}"#;
    for payload in [
        format!("[{customer}]"),
        format!(r#"{{"customers": [{customer}]}}"#),
        format!(r#"{{"customer": {customer}}}"#),
        customer.to_owned(),
    ] {
        let r = map_customers(PlatformKind::Shopify, payload.as_bytes());
        assert_eq!(r.records.len(), 1, "{payload}");
        assert_eq!(r.records[0].source.id, "5");
    }
    let r = map_customers(
        PlatformKind::Magento,
        br#"{"items": [{"id": 1}, {"id": 2}], "total_count": 2}"#,
    );
    assert_eq!(r.records.len(), 2);
    let r = map_customers(PlatformKind::Magento, b"\xff\xfe");
    assert_eq!(r.errors[0].kind, DataErrorKind::InvalidJson);
}
