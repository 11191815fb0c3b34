//! Helpers shared by the integration tests.

use std::path::PathBuf;

use nexus_core::mapping::{JsonMapping, Mapper};
use nexus_core::model::{Currency, EntityKind, PlatformKind};

/// The repository's top-level folder.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fixture payload's bytes (`woocommerce/order.json`).
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = repo().join("tests/fixtures").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Maps a payload through the JSON path the bindings use and parses the records.
pub fn map_value(
    platform: &str,
    entity: &str,
    payload: &[u8],
    store: Option<&str>,
    currency: Option<&str>,
    keep_unmapped: bool,
) -> (Vec<serde_json::Value>, JsonMapping) {
    let platform: PlatformKind = platform.parse().expect("platform");
    let entity: EntityKind = entity.parse().expect("entity");
    let mut mapper = Mapper::new(platform).keep_unmapped(keep_unmapped);
    if let Some(s) = store {
        mapper = mapper.store(s);
    }
    if let Some(c) = currency {
        mapper = mapper.currency(Currency::new(c).expect("currency"));
    }
    let out = mapper.map_json(entity, payload).expect("map_json");
    let records: Vec<serde_json::Value> = serde_json::from_str(&out.records).expect("records JSON");
    assert_eq!(records.len(), out.count);
    (records, out)
}
