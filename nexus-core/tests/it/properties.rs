//! Properties over generated input: the mappers never panic, and the unified JSON form
//! round-trips losslessly.

use nexus_core::mapping::Mapper;
use nexus_core::model::{Customer, EntityKind, Order, PlatformKind, Product, Refund};
use proptest::prelude::*;
use serde_json::Value;

use crate::common::fixture;

/// Arbitrary JSON values, biased towards the keys the mappers read.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("id".to_owned()),
        Just("entity_id".to_owned()),
        Just("currency".to_owned()),
        Just("total".to_owned()),
        Just("price".to_owned()),
        Just("line_items".to_owned()),
        Just("items".to_owned()),
        Just("orders".to_owned()),
        Just("created_at".to_owned()),
        Just("date_created_gmt".to_owned()),
        Just("quantity".to_owned()),
        Just("parent_item_id".to_owned()),
        "[a-z_]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[0-9.:T -]{0,22}".prop_map(Value::String),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn map_all(bytes: &[u8]) {
    for platform in PlatformKind::ALL {
        let m = Mapper::new(platform);
        for entity in [
            EntityKind::Order,
            EntityKind::Customer,
            EntityKind::Product,
            EntityKind::Variant,
            EntityKind::Refund,
        ] {
            let out = m
                .map_json(entity, bytes)
                .expect("map_json never fails for these entities");
            let parsed: Vec<Value> = serde_json::from_str(&out.records).expect("records are JSON");
            assert_eq!(parsed.len(), out.count);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn mappers_never_panic_on_arbitrary_json(v in json_value()) {
        map_all(v.to_string().as_bytes());
    }

    #[test]
    fn mappers_never_panic_on_arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..256)) {
        map_all(&b);
    }

    #[test]
    fn mappers_never_panic_on_damaged_fixtures(cut in 0usize..4000, flip in 0usize..4000, byte in any::<u8>()) {
        for name in ["woocommerce/order.json", "shopify/order.json", "magento/order.json"] {
            let mut b = fixture(name);
            let cut = cut.min(b.len());
            b.truncate(b.len() - cut);
            if !b.is_empty() {
                let i = flip % b.len();
                b[i] = byte;
            }
            map_all(&b);
        }
    }
}

fn round_trip<T>(records: &[T])
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    for r in records {
        let json = serde_json::to_string(r).unwrap();
        let back: T = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, r, "Rust -> JSON -> Rust changed the record");
        let again = serde_json::to_string(&back).unwrap();
        assert_eq!(json, again, "JSON -> Rust -> JSON changed the text");
    }
}

#[test]
fn unified_json_round_trips_losslessly() {
    let mut orders: Vec<Order> = Vec::new();
    let mut customers: Vec<Customer> = Vec::new();
    let mut products: Vec<Product> = Vec::new();
    let mut refunds: Vec<Refund> = Vec::new();
    for platform in PlatformKind::ALL {
        let m = Mapper::new(platform);
        let dir = crate::common::repo()
            .join("tests/fixtures")
            .join(platform.as_str());
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let b = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.contains("order") && !name.contains("refund") && !name.contains("transaction") {
                orders.extend(m.map_orders(&b).records);
            }
            if name.contains("customer") {
                customers.extend(m.map_customers(&b).records);
            }
            if name.contains("product") {
                products.extend(m.map_products(&b).records);
            }
            if name.contains("refund") {
                refunds.extend(m.map_refunds(&b).records);
            }
        }
    }
    assert!(orders.len() >= 5 && customers.len() >= 5 && products.len() >= 6 && refunds.len() >= 4);
    round_trip(&orders);
    round_trip(&customers);
    round_trip(&products);
    round_trip(&refunds);
}
