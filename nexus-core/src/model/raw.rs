//! Verbatim JSON: the `metadata` object of records and the values in it.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, DeserializeOwned};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A JSON value kept exactly as the platform wrote it (numbers keep every digit).
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Parses the value into `T` (`serde_json::Value`, a `String`, a struct, ...).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for RawJson {}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

/// Platform fields with no home in the unified schema, kept verbatim by name.
///
/// The fields a mapper does not read are copied here exactly as the platform sent them (a
/// WooCommerce order's `version` or `_links`, a Shopify order's `client_details`, every
/// `base_*` amount of a Magento order), together with a few fields Nexus reshapes (the
/// WooCommerce `meta_data` list becomes an object keyed by `key`, Shopify's
/// `note_attributes` and Magento's `custom_attributes` likewise). Nothing is dropped.
///
/// It is held as the text of one JSON object, which keeps mapping fast (no allocation per
/// field) and every number exact. [`Metadata::get`] parses a member on demand; the JSON form
/// is the object itself.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Metadata(
    /// The object's text; empty (no allocation) for `{}`.
    String,
);

impl Metadata {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when the object has no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The object's JSON text.
    pub fn as_str(&self) -> &str {
        if self.0.is_empty() { "{}" } else { &self.0 }
    }

    fn open_member(&mut self, key: &str) {
        if self.0.is_empty() {
            self.0.reserve(256);
            self.0.push('{');
        } else {
            self.0.pop(); // the closing brace
            self.0.push(',');
        }
        if key.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            self.0.push('"');
            self.0.push_str(key);
            self.0.push('"');
        } else {
            // Writing a str as a JSON string cannot fail.
            self.0
                .push_str(&serde_json::to_string(key).unwrap_or_default());
        }
        self.0.push(':');
    }

    /// Adds a member whose value is JSON text, verbatim. The caller guarantees that `json`
    /// is one valid JSON value and that `key` is not already present.
    pub(crate) fn push_raw(&mut self, key: &str, json: &str) {
        self.open_member(key);
        self.0.push_str(json);
        self.0.push('}');
    }

    /// Adds a member with `value` serialized as JSON. Keys are not checked for duplicates:
    /// add each key once.
    pub fn insert<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        match serde_json::to_string(value) {
            Ok(json) => self.push_raw(key, &json),
            Err(_) => self.push_raw(key, "null"),
        }
    }

    /// Adds a string member when there is a value.
    pub(crate) fn put(&mut self, key: &str, value: Option<String>) {
        if let Some(v) = value {
            self.insert(key, &v);
        }
    }

    /// Builds an object from `(key, value)` pairs, values verbatim (`None` is `null`), as
    /// platforms send name/value lists (`[{"key": k, "value": v}, ...]`).
    pub(crate) fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, Option<&'a RawValue>)>,
    ) -> Self {
        let mut m = Metadata::new();
        for (k, v) in pairs {
            m.push_raw(k, v.map_or("null", RawValue::get));
        }
        m
    }

    /// Adds a member whose value is another metadata object.
    pub(crate) fn insert_object(&mut self, key: &str, object: &Metadata) {
        self.push_raw(key, object.as_str());
    }

    /// The members as `(key, value)` pairs, in order.
    pub fn entries(&self) -> Vec<(String, RawJson)> {
        let parsed: Result<Vec<(String, Box<RawValue>)>, _> =
            serde_json::from_str::<MembersInOrder>(self.as_str()).map(|m| m.0);
        parsed
            .map(|v| v.into_iter().map(|(k, v)| (k, RawJson(v))).collect())
            .unwrap_or_default()
    }

    /// The value of member `key`, verbatim.
    pub fn get(&self, key: &str) -> Option<RawJson> {
        self.entries()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The value of member `key` parsed into `T`; `None` when absent or of another type.
    pub fn get_as<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.get(key)?.parse().ok()
    }
}

/// Reads an object's members in document order.
struct MembersInOrder(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for MembersInOrder {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = MembersInOrder;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<MembersInOrder, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Box<RawValue>>()? {
                    out.push((k, v));
                }
                Ok(MembersInOrder(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Metadata {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue =
            serde_json::from_str(self.as_str()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let text = raw.get();
        if text.starts_with('{') && text[1..text.len() - 1].trim().is_empty() {
            Ok(Metadata::new())
        } else if raw.get().starts_with('{') {
            Ok(Metadata(raw.get().to_owned()))
        } else {
            Err(de::Error::custom(format_args!(
                "expected a metadata object, got {}",
                raw.get()
            )))
        }
    }
}

impl JsonSchema for Metadata {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Metadata".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Platform fields with no home in the unified schema, verbatim by name.",
            "type": "object",
            "additionalProperties": true
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_appended_and_read_back() {
        let mut m = Metadata::new();
        assert!(m.is_empty());
        m.insert("a", &1);
        m.push_raw("b", r#"{"x": [1.10, "y"]}"#);
        m.insert("quote\"d", "v");
        assert_eq!(
            m.as_str(),
            r#"{"a":1,"b":{"x": [1.10, "y"]},"quote\"d":"v"}"#
        );
        assert_eq!(
            m.get("b").unwrap().get(),
            r#"{"x": [1.10, "y"]}"#,
            "numbers keep their digits"
        );
        assert_eq!(m.get_as::<String>("quote\"d").as_deref(), Some("v"));
        let mut other = Metadata::new();
        other.insert("c", &true);
        m.insert_object("nested", &other);
        assert_eq!(m.entries().len(), 4);
        assert_eq!(m.get("nested").unwrap().get(), r#"{"c":true}"#);
        let json = serde_json::to_string(&m).unwrap();
        let back: Metadata = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }
}
