//! The JSON Schema of the unified model.
//!
//! The schema is generated from the Rust types, so it always says exactly what the mappers
//! produce. It is committed as `schema/nexus.schema.json` at the top of the repository; a
//! test fails when the committed file differs from what the code generates; run the tests
//! with `NEXUS_BLESS=1` to rewrite it after a deliberate change of the model.

use schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::{Map, Value, json};

use crate::model::{Customer, Order, Product, Refund, Transaction, Variant};

/// Every property of every object is always present in the JSON form (absent values are
/// `null`, empty lists `[]`), so every property is listed as required.
fn require_all(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::Object(props)) = o.get("properties") {
                let keys: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                o.insert("required".to_owned(), Value::Array(keys));
            }
            o.values_mut().for_each(require_all);
        }
        Value::Array(a) => a.iter_mut().for_each(require_all),
        _ => {}
    }
}

fn one<T: JsonSchema>(defs: &mut Map<String, Value>) -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Some(Value::Object(d)) = schema.as_object_mut().and_then(|o| o.remove("$defs")) {
        defs.extend(d);
    }
    if let Some(o) = schema.as_object_mut() {
        o.remove("$schema");
    }
    schema
}

/// The JSON Schema document: one definition per record type (`Order`, `Customer`,
/// `Product`, `Variant`, `Refund`, `Transaction`) and the types they use, under `$defs`.
pub fn json_schema() -> Value {
    let mut defs = Map::new();
    let records = [
        ("Order", one::<Order>(&mut defs)),
        ("Customer", one::<Customer>(&mut defs)),
        ("Product", one::<Product>(&mut defs)),
        ("Variant", one::<Variant>(&mut defs)),
        ("Refund", one::<Refund>(&mut defs)),
        ("Transaction", one::<Transaction>(&mut defs)),
    ];
    for (name, schema) in records {
        defs.insert(name.to_owned(), schema);
    }
    let mut defs = Value::Object(defs);
    require_all(&mut defs);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://nexus-commerce.invalid/schema/nexus.schema.json",
        "title": "Nexus unified commerce schema",
        "description": "The JSON form of every record Nexus produces. Money amounts are decimal strings; timestamps are UTC; ids are strings.",
        "oneOf": [
            {"$ref": "#/$defs/Order"}, {"$ref": "#/$defs/Customer"}, {"$ref": "#/$defs/Product"},
            {"$ref": "#/$defs/Variant"}, {"$ref": "#/$defs/Refund"}, {"$ref": "#/$defs/Transaction"}
        ],
        "$defs": defs,
    })
}

/// The schema as the pretty-printed text that is committed.
pub fn json_schema_string() -> String {
    let mut s = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    s.push('\n');
    s
}
