//! Platform payloads to the unified model.
//!
//! Each platform has typed payload structs (`woocommerce`, `shopify`, `magento`) and a
//! conversion into [`crate::model`]. A payload is given as the bytes the platform sent: one
//! record, a JSON list of records, or the platform's list envelope (`{"orders": [...]}` for
//! Shopify, `{"items": [...], "total_count": N}` for Magento).
//!
//! Mapping never fails as a whole: it returns every record that mapped and one
//! [`DataError`] per record that did not, with the JSON path of the problem
//! (`[3].line_items[0].price: expected a decimal, got "abc"`). A payload that is cut off
//! keeps the records before the cut. Unknown fields are ignored; null or missing optional
//! fields are fine; a missing id is an error.
//!
//! ```
//! use nexus_core::mapping::map_orders;
//! use nexus_core::model::PlatformKind;
//!
//! let page = br#"[{"id": 1, "status": "completed", "currency": "EUR",
//!                  "date_created_gmt": "2024-01-05T10:00:00", "total": "12.50",
//!                  "line_items": [{"id": 7, "name": "Mug", "quantity": 1, "price": 12.5,
//!                                  "subtotal": "12.50", "total": "12.50"}]},
//!                 {"status": "completed"}]"#;
//! let result = map_orders(PlatformKind::WooCommerce, page);
//! assert_eq!(result.records.len(), 1);
//! assert_eq!(result.records[0].total.amount.to_string(), "12.50");
//! assert_eq!(result.errors[0].path, "[1].id");
//! assert_eq!(result.errors[0].code(), "missing_field");
//! ```

mod capture;
pub(crate) mod de;
mod envelope;
mod magento;
mod shopify;
mod woocommerce;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::error::{DataError, DataErrorKind, Error};
use crate::model::{
    Currency, Customer, EntityKind, Metadata, Order, PlatformKind, Product, Refund, SourceRef,
    Transaction, Variant,
};
use capture::Captured;

/// The records that mapped and one error per record that did not.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingResult<T> {
    /// Records in payload order.
    pub records: Vec<T>,
    /// Problems, in payload order; `index` says which record each belongs to.
    pub errors: Vec<DataError>,
}

impl<T> Default for MappingResult<T> {
    fn default() -> Self {
        MappingResult {
            records: Vec::new(),
            errors: Vec::new(),
        }
    }
}

impl<T> MappingResult<T> {
    /// True when no record failed.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Mapped records in their JSON form, with the errors of the records that did not map.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonMapping {
    /// A JSON array of unified records.
    pub records: String,
    /// How many records the array holds.
    pub count: usize,
    /// One error per record that did not map (and payload-level errors).
    pub errors: Vec<DataError>,
}

/// A mapper for one platform and store.
///
/// `store` names the store in every [`SourceRef`]; `currency` is used for product and
/// variant prices when the payload does not say (WooCommerce and Magento product payloads
/// never do).
#[derive(Debug, Clone)]
pub struct Mapper {
    platform: PlatformKind,
    store: String,
    currency: Option<Currency>,
    keep_unmapped: bool,
}

impl Mapper {
    /// A mapper for `platform`, with store name `"default"`.
    pub fn new(platform: PlatformKind) -> Self {
        Mapper {
            platform,
            store: "default".to_owned(),
            currency: None,
            keep_unmapped: true,
        }
    }

    /// Names the store the payloads came from.
    pub fn store(mut self, store: impl Into<String>) -> Self {
        self.store = store.into();
        self
    }

    /// Sets the store's currency, used where a payload carries prices without one.
    pub fn currency(mut self, currency: Currency) -> Self {
        self.currency = Some(currency);
        self
    }

    /// Whether the platform fields that the unified schema has no home for are kept in each
    /// record's `metadata` (the default), verbatim. Turning it off makes mapping about a
    /// quarter faster for payloads with many such fields, at the price of dropping them.
    pub fn keep_unmapped(mut self, keep: bool) -> Self {
        self.keep_unmapped = keep;
        self
    }

    /// The platform this mapper reads.
    pub fn platform(&self) -> PlatformKind {
        self.platform
    }

    /// Maps a payload of orders.
    pub fn map_orders(&self, payload: &[u8]) -> MappingResult<Order> {
        match self.platform {
            PlatformKind::WooCommerce => self.run::<woocommerce::WooOrder>(payload),
            PlatformKind::Shopify => self.run::<shopify::ShopifyOrder>(payload),
            PlatformKind::Magento => self.run::<magento::MagentoOrder>(payload),
        }
    }

    /// Maps a payload of customers.
    pub fn map_customers(&self, payload: &[u8]) -> MappingResult<Customer> {
        match self.platform {
            PlatformKind::WooCommerce => self.run::<woocommerce::WooCustomer>(payload),
            PlatformKind::Shopify => self.run::<shopify::ShopifyCustomer>(payload),
            PlatformKind::Magento => self.run::<magento::MagentoCustomer>(payload),
        }
    }

    /// Maps a payload of products (Shopify products carry their variants).
    pub fn map_products(&self, payload: &[u8]) -> MappingResult<Product> {
        match self.platform {
            PlatformKind::WooCommerce => self.run::<woocommerce::WooProduct>(payload),
            PlatformKind::Shopify => self.run::<shopify::ShopifyProduct>(payload),
            PlatformKind::Magento => self.run::<magento::MagentoProduct>(payload),
        }
    }

    /// Maps a payload of variants (WooCommerce variations, Shopify variants, Magento
    /// configurable children read as products).
    pub fn map_variants(&self, payload: &[u8]) -> MappingResult<Variant> {
        match self.platform {
            PlatformKind::WooCommerce => self.run::<woocommerce::WooVariation>(payload),
            PlatformKind::Shopify => self.run::<shopify::ShopifyVariant>(payload),
            PlatformKind::Magento => self.run::<magento::MagentoVariant>(payload),
        }
    }

    /// Maps a payload of refunds (Magento credit memos).
    pub fn map_refunds(&self, payload: &[u8]) -> MappingResult<Refund> {
        match self.platform {
            PlatformKind::WooCommerce => self.run::<woocommerce::WooRefund>(payload),
            PlatformKind::Shopify => self.run::<shopify::ShopifyRefund>(payload),
            PlatformKind::Magento => self.run::<magento::MagentoCreditMemo>(payload),
        }
    }

    /// Maps a payload of payment transactions (Shopify only).
    pub fn map_transactions(&self, payload: &[u8]) -> Result<MappingResult<Transaction>, Error> {
        match self.platform {
            PlatformKind::Shopify => Ok(self.run::<shopify::ShopifyTransaction>(payload)),
            platform => Err(Error::Unsupported {
                platform,
                entity: EntityKind::Transaction,
            }),
        }
    }

    /// Maps a payload of any entity straight to the unified JSON form.
    ///
    /// This is what the Python and Node bindings call: `records` is a JSON array of the
    /// unified records (the documented public shape), ready to be parsed by the host
    /// language in one go.
    pub fn map_json(&self, entity: EntityKind, payload: &[u8]) -> Result<JsonMapping, Error> {
        fn page<T: serde::Serialize>(r: MappingResult<T>) -> Result<JsonMapping, Error> {
            let records =
                serde_json::to_string(&r.records).map_err(|e| Error::InvalidArgument {
                    name: "payload",
                    message: format!("mapped records could not be written as JSON: {e}"),
                })?;
            Ok(JsonMapping {
                records,
                count: r.records.len(),
                errors: r.errors,
            })
        }
        match entity {
            EntityKind::Order => page(self.map_orders(payload)),
            EntityKind::Customer => page(self.map_customers(payload)),
            EntityKind::Product => page(self.map_products(payload)),
            EntityKind::Variant => page(self.map_variants(payload)),
            EntityKind::Refund => page(self.map_refunds(payload)),
            EntityKind::Transaction => page(self.map_transactions(payload)?),
        }
    }

    /// The raw JSON text of each record of a payload, in payload order: the records the
    /// `map_*` methods read, before mapping. A payload cut off keeps the records before
    /// the cut; one that is not a payload of `entity` gives none.
    pub fn raw_records(&self, entity: EntityKind, payload: &[u8]) -> Vec<String> {
        fn split<R: RawRecord>(payload: &[u8]) -> Vec<String> {
            envelope::split(payload, R::ENTITY, R::ID_KEYS)
                .records
                .iter()
                .map(|r| r.get().to_owned())
                .collect()
        }
        use PlatformKind::{Magento as M, Shopify as S, WooCommerce as W};
        match (self.platform, entity) {
            (W, EntityKind::Order) => split::<woocommerce::WooOrder>(payload),
            (S, EntityKind::Order) => split::<shopify::ShopifyOrder>(payload),
            (M, EntityKind::Order) => split::<magento::MagentoOrder>(payload),
            (W, EntityKind::Customer) => split::<woocommerce::WooCustomer>(payload),
            (S, EntityKind::Customer) => split::<shopify::ShopifyCustomer>(payload),
            (M, EntityKind::Customer) => split::<magento::MagentoCustomer>(payload),
            (W, EntityKind::Product) => split::<woocommerce::WooProduct>(payload),
            (S, EntityKind::Product) => split::<shopify::ShopifyProduct>(payload),
            (M, EntityKind::Product) => split::<magento::MagentoProduct>(payload),
            (W, EntityKind::Variant) => split::<woocommerce::WooVariation>(payload),
            (S, EntityKind::Variant) => split::<shopify::ShopifyVariant>(payload),
            (M, EntityKind::Variant) => split::<magento::MagentoVariant>(payload),
            (W, EntityKind::Refund) => split::<woocommerce::WooRefund>(payload),
            (S, EntityKind::Refund) => split::<shopify::ShopifyRefund>(payload),
            (M, EntityKind::Refund) => split::<magento::MagentoCreditMemo>(payload),
            (S, EntityKind::Transaction) => split::<shopify::ShopifyTransaction>(payload),
            (W | M, EntityKind::Transaction) => Vec::new(),
        }
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            platform: self.platform,
            store: &self.store,
            currency: self.currency,
        }
    }

    /// [`Mapper::map_orders`], with each record's raw JSON text (in payload order, the
    /// records that did not map included) when the payload is a plain list of clean
    /// records, read in the same pass; `None` when it is not (use `raw_records`).
    pub(crate) fn map_orders_with_raw(
        &self,
        payload: &[u8],
    ) -> (MappingResult<Order>, Option<Vec<String>>) {
        match self.platform {
            PlatformKind::WooCommerce => self.run_with_raw::<woocommerce::WooOrder>(payload),
            PlatformKind::Shopify => self.run_with_raw::<shopify::ShopifyOrder>(payload),
            PlatformKind::Magento => self.run_with_raw::<magento::MagentoOrder>(payload),
        }
    }

    fn run_with_raw<R: RawRecord>(
        &self,
        payload: &[u8],
    ) -> (MappingResult<R::Out>, Option<Vec<String>>) {
        let spans = {
            let ctx = self.ctx();
            let _keep = capture::keep_unmapped(self.keep_unmapped);
            let mut out = MappingResult::default();
            let mut sink = |layout: &envelope::Layout, i: usize, rec: Captured<R>| {
                convert_into(&ctx, rec, i, layout, &mut out)
            };
            envelope::parse_list_spans(payload, &mut sink).map(|spans| (out, spans))
        };
        match spans {
            Some((out, spans)) => {
                let raw = spans
                    .into_iter()
                    .map(|(a, b)| String::from_utf8_lossy(&payload[a..b]).into_owned())
                    .collect();
                (out, Some(raw))
            }
            None => (self.run::<R>(payload), None),
        }
    }

    fn run<R: RawRecord>(&self, payload: &[u8]) -> MappingResult<R::Out> {
        let ctx = self.ctx();
        let _keep = capture::keep_unmapped(self.keep_unmapped);
        // Clean payloads (the common case) are parsed in one pass, each record converted as
        // soon as it is read; anything else is split into raw records first, so that each
        // bad record is reported and the rest kept.
        let mut out = MappingResult::default();
        let mut sink = |layout: &envelope::Layout, i: usize, rec: Captured<R>| {
            convert_into(&ctx, rec, i, layout, &mut out)
        };
        match envelope::parse_fast(payload, R::ENTITY, R::ID_KEYS, &mut sink) {
            envelope::Fast::Done => return out,
            envelope::Fast::Bare => {
                out = MappingResult::default();
                if let Some(rec) = std::str::from_utf8(payload)
                    .ok()
                    .and_then(|t| serde_json::from_str::<Captured<R>>(t).ok())
                {
                    convert_into(&ctx, rec, 0, &envelope::Layout::Bare, &mut out);
                    return out;
                }
            }
            envelope::Fast::Failed => {}
        }
        let split = envelope::split(payload, R::ENTITY, R::ID_KEYS);
        let mut out = MappingResult {
            records: Vec::with_capacity(split.records.len()),
            errors: Vec::new(),
        };
        for (i, raw) in split.records.iter().enumerate() {
            match serde_json::from_str::<Captured<R>>(raw.get()) {
                Ok(rec) => convert_into(&ctx, rec, i, split.layout(), &mut out),
                Err(_) => out
                    .errors
                    .push(explain::<R>(raw, Some(i), &split.prefix(i))),
            }
        }
        out.errors.extend(split.error);
        out
    }
}

/// Converts one parsed record, recording a conversion problem as the record's error.
fn convert_into<R: RawRecord>(
    ctx: &Ctx<'_>,
    captured: Captured<R>,
    index: usize,
    layout: &envelope::Layout,
    out: &mut MappingResult<R::Out>,
) {
    let Captured { rec, extras } = captured;
    let id = rec.id().to_owned();
    match rec.convert(ctx, extras) {
        Ok(r) => out.records.push(r),
        Err(fe) => out.errors.push(DataError {
            index: Some(index),
            id: Some(id),
            kind: fe.kind,
            path: join_path(&layout.prefix(index), &fe.path),
            message: fe.message,
        }),
    }
}

/// Maps `payload` as orders of `platform` (store `"default"`). See [`Mapper::map_orders`].
pub fn map_orders(platform: PlatformKind, payload: &[u8]) -> MappingResult<Order> {
    Mapper::new(platform).map_orders(payload)
}

/// Maps `payload` as customers of `platform`. See [`Mapper::map_customers`].
pub fn map_customers(platform: PlatformKind, payload: &[u8]) -> MappingResult<Customer> {
    Mapper::new(platform).map_customers(payload)
}

/// Maps `payload` as products of `platform`. See [`Mapper::map_products`].
pub fn map_products(platform: PlatformKind, payload: &[u8]) -> MappingResult<Product> {
    Mapper::new(platform).map_products(payload)
}

/// Maps `payload` as variants of `platform`. See [`Mapper::map_variants`].
pub fn map_variants(platform: PlatformKind, payload: &[u8]) -> MappingResult<Variant> {
    Mapper::new(platform).map_variants(payload)
}

/// Maps `payload` as refunds of `platform`. See [`Mapper::map_refunds`].
pub fn map_refunds(platform: PlatformKind, payload: &[u8]) -> MappingResult<Refund> {
    Mapper::new(platform).map_refunds(payload)
}

/// Maps `payload` as payment transactions (Shopify). See [`Mapper::map_transactions`].
pub fn map_transactions(
    platform: PlatformKind,
    payload: &[u8],
) -> Result<MappingResult<Transaction>, Error> {
    Mapper::new(platform).map_transactions(payload)
}

/// What a conversion knows besides the payload.
pub(crate) struct Ctx<'a> {
    pub platform: PlatformKind,
    pub store: &'a str,
    pub currency: Option<Currency>,
}

impl Ctx<'_> {
    pub fn source(&self, entity: EntityKind, id: String) -> SourceRef {
        SourceRef {
            platform: self.platform,
            store: self.store.to_owned(),
            entity,
            id,
        }
    }
}

/// A problem found while converting a parsed payload (path relative to the record).
#[derive(Debug)]
pub(crate) struct FieldError {
    pub kind: DataErrorKind,
    pub path: String,
    pub message: String,
}

impl FieldError {
    pub fn new(kind: DataErrorKind, path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            kind,
            path: path.into(),
            message: message.into(),
        }
    }

    pub fn missing(path: impl Into<String>) -> Self {
        Self::new(
            DataErrorKind::MissingField,
            path,
            "required field is missing or null",
        )
    }
}

/// A platform payload type for one record.
pub(crate) trait RawRecord: DeserializeOwned {
    /// The unified type it maps to.
    type Out;
    /// The entity, for envelope keys and source references.
    const ENTITY: EntityKind;
    /// Top-level keys that hold a record's id (an object with one is a bare record, not an
    /// envelope).
    const ID_KEYS: &'static [&'static str];
    /// The record's id, for error reports.
    fn id(&self) -> &str;
    /// Builds the unified record; `extras` holds the payload's fields the struct did not
    /// read, which become the start of the record's `metadata`.
    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Self::Out, FieldError>;
}

/// Joins a record's prefix (`[3]`, `orders[3]`, `order`) and a path inside it.
fn join_path(prefix: &str, inner: &str) -> String {
    match (prefix.is_empty(), inner.is_empty()) {
        (_, true) => prefix.to_owned(),
        (true, false) => inner.to_owned(),
        (false, false) if inner.starts_with('[') => format!("{prefix}{inner}"),
        (false, false) => format!("{prefix}.{inner}"),
    }
}

/// Re-reads a record that failed to parse, tracking the path, to say where and why.
fn explain<R: RawRecord>(raw: &RawValue, index: Option<usize>, prefix: &str) -> DataError {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let err = match serde_path_to_error::deserialize::<_, R>(&mut de) {
        Ok(_) => {
            // Parsing is deterministic; this cannot succeed after failing. Report it anyway.
            return DataError {
                index,
                id: None,
                kind: DataErrorKind::InvalidValue,
                path: prefix.to_owned(),
                message: "record could not be read".to_owned(),
            };
        }
        Err(e) => e,
    };
    let path = err.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let inner = err.into_inner();
    let full = inner.to_string();
    let (kind, message) = classify(&inner);
    let id = record_id(raw, R::ID_KEYS);
    // serde reports a missing field at the struct holding it; name the field itself.
    let path = match missing_field_name(&full) {
        Some(name) => join_path(&path, name),
        None => path,
    };
    DataError {
        index,
        id,
        kind,
        path: join_path(prefix, &path),
        message,
    }
}

/// Sorts a serde_json error into a kind and a message without its line and column.
pub(crate) fn classify(err: &serde_json::Error) -> (DataErrorKind, String) {
    let full = err.to_string();
    let message = match full.rfind(" at line ") {
        Some(at) if err.line() > 0 => full[..at].to_owned(),
        _ => full,
    };
    let kind = match err.classify() {
        serde_json::error::Category::Eof | serde_json::error::Category::Syntax => {
            DataErrorKind::InvalidJson
        }
        serde_json::error::Category::Io => DataErrorKind::InvalidJson,
        serde_json::error::Category::Data => {
            if message.starts_with("missing field") || message.ends_with(", got null") {
                DataErrorKind::MissingField
            } else if message.starts_with("expected a decimal") {
                DataErrorKind::InvalidDecimal
            } else if message.starts_with("expected a date") {
                DataErrorKind::InvalidDate
            } else if message.starts_with("expected a three-letter currency") {
                DataErrorKind::InvalidCurrency
            } else if message.starts_with("invalid type") {
                DataErrorKind::InvalidType
            } else {
                DataErrorKind::InvalidValue
            }
        }
    };
    let message = if kind == DataErrorKind::MissingField && message.starts_with("missing field") {
        "required field is missing".to_owned()
    } else {
        message
    };
    (kind, message)
}

/// The field named by serde's "missing field `x`" message.
fn missing_field_name(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// The id of a record that did not parse, when it can be read at all.
fn record_id(raw: &RawValue, keys: &[&str]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(raw.get()).ok()?;
    keys.iter().find_map(|k| match v.get(k)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Money helpers used by the converters.
pub(crate) mod money {
    use rust_decimal::Decimal;

    use crate::model::{Currency, Money};

    /// A converter's view of one currency.
    #[derive(Clone, Copy)]
    pub struct Cur(pub Currency);

    impl Cur {
        pub fn m(self, amount: Decimal) -> Money {
            Money::new(amount, self.0)
        }
        pub fn zero(self) -> Money {
            Money::zero(self.0)
        }
    }
}

/// Reads a currency field, naming the path on error.
pub(crate) fn currency(path: &str, code: Option<&str>) -> Result<Currency, FieldError> {
    let code = code.ok_or_else(|| FieldError::missing(path))?;
    Currency::new(code.trim()).ok_or_else(|| {
        FieldError::new(
            DataErrorKind::InvalidCurrency,
            path,
            format!("expected a three-letter currency code, got {code:?}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_mapped_with_their_raw_text_match_the_two_pass_path() {
        let payload = br#"[
          {"id": 11, "status": "completed", "currency": "EUR", "date_created_gmt": "2023-11-14T22:13:20",
           "total": "5.00", "line_items": [{"id": 1, "name": "Mug", "quantity": 1, "total": "5.00"}]},
          {"id": 12, "status": "processing", "currency": "XX1", "date_created_gmt": "2023-11-14T22:13:20",
           "total": "7.00", "extra": {"k": [1, 2]}}
        ]"#;
        let m = Mapper::new(PlatformKind::WooCommerce).store("woo");
        let (mapped, raw) = m.map_orders_with_raw(payload);
        let plain = m.map_orders(payload);
        assert_eq!(mapped.records, plain.records);
        assert_eq!(mapped.errors.len(), plain.errors.len());
        assert_eq!(mapped.records.len() + mapped.errors.len(), 2);
        assert_eq!(raw, Some(m.raw_records(EntityKind::Order, payload)));
        // An envelope (Shopify's) has its records split out afterwards.
        let shopify = Mapper::new(PlatformKind::Shopify).store("s");
        let (_, raw) = shopify.map_orders_with_raw(br#"{"orders": []}"#);
        assert_eq!(raw, None);
    }
}
