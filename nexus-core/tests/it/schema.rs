//! The committed JSON Schema must be what the code generates.

use crate::common::repo;

#[test]
fn committed_schema_matches_the_code() {
    let path = repo().join("schema/nexus.schema.json");
    let generated = nexus_core::schema::json_schema_string();
    if std::env::var_os("NEXUS_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/nexus.schema.json is out of date with the model; rerun the tests with NEXUS_BLESS=1 and commit the file"
    );
}

#[test]
fn schema_defines_every_record_type() {
    let schema = nexus_core::schema::json_schema();
    for name in [
        "Order",
        "Customer",
        "Product",
        "Variant",
        "Refund",
        "Transaction",
        "Money",
        "Address",
        "SourceRef",
    ] {
        assert!(
            schema["$defs"].get(name).is_some(),
            "{name} missing from the schema"
        );
    }
    let money = &schema["$defs"]["Money"]["properties"]["amount"];
    assert!(
        money.to_string().contains("Decimal") || money["type"] == "string",
        "money amounts are strings: {money}"
    );
}
