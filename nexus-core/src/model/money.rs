//! Exact money: a decimal amount and an ISO 4217 currency code.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A currency code: three ASCII letters, as the platform sent them.
///
/// The mappers refuse anything that is not three ASCII letters. Whether the code is a real
/// ISO 4217 currency, and its case, are checked and fixed by the quality engine, so that a
/// store's mistakes are reported instead of silently repaired.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// ISO 4217 `XXX`, "no currency": used where a payload has amounts but no currency and
    /// the caller did not give the store's.
    pub const UNKNOWN: Currency = Currency(*b"XXX");

    /// Builds a currency code; `None` unless `code` is exactly three ASCII letters.
    pub fn new(code: &str) -> Option<Self> {
        let b = code.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_alphabetic) {
            Some(Currency([b[0], b[1], b[2]]))
        } else {
            None
        }
    }

    /// Parses a currency code given as an argument (a store's currency, say), with an
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming it when it is not
    /// three ASCII letters.
    pub fn parse(code: &str) -> Result<Self, crate::Error> {
        Currency::new(code.trim()).ok_or_else(|| crate::Error::InvalidArgument {
            name: "currency",
            message: format!("expected a three-letter currency code, got {code:?}"),
        })
    }

    /// The code as a string slice.
    pub fn as_str(&self) -> &str {
        // Every constructor (`new`, `to_uppercase`, deserialization through `new`) stores
        // ASCII letters only; the check is cheap, but this is called on every amount the
        // quality rules look at, so it is done byte by byte instead of by `from_utf8`.
        if self.0.iter().all(u8::is_ascii) {
            // SAFETY: three ASCII bytes are valid UTF-8.
            unsafe { std::str::from_utf8_unchecked(&self.0) }
        } else {
            "???"
        }
    }

    /// The same code in upper case.
    pub fn to_uppercase(self) -> Self {
        Currency(self.0.map(|c| c.to_ascii_uppercase()))
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Currency::new(s).ok_or_else(|| format!("expected a three-letter currency code, got {s:?}"))
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Currency {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Currency".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Currency code: three ASCII letters (ISO 4217 once cleansed).",
            "type": "string",
            "pattern": "^[A-Za-z]{3}$"
        })
    }
}

/// An exact amount of money in one currency.
///
/// JSON form: `{"amount": "29.35", "currency": "USD"}`; the amount is a decimal string so
/// that no language reads it through a binary float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    /// The amount, exact, as a decimal string in JSON.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "DecimalString")]
    pub amount: Decimal,
    /// The currency of the amount.
    pub currency: Currency,
}

impl Money {
    /// Builds an amount of money.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// Zero in the given currency.
    pub fn zero(currency: Currency) -> Self {
        Money {
            amount: Decimal::ZERO,
            currency,
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Schema stand-in for a decimal carried as a string (`"12.50"`).
pub(crate) struct DecimalString;

impl JsonSchema for DecimalString {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Decimal".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An exact decimal number written as a string, e.g. \"12.50\".",
            "type": "string",
            "pattern": "^-?[0-9]+(\\.[0-9]+)?$"
        })
    }
}

/// Serde helpers for an optional decimal carried as a string.
pub(crate) mod opt_decimal_str {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.collect_str(d),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        let s = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.map(|s| s.parse::<Decimal>().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Serde helpers for a quantity: a decimal written as a JSON number.
///
/// Quantities are exact decimals in Rust (Magento sells by weight too); in JSON they are
/// numbers, written as integers when they are whole.
pub(crate) mod quantity {
    use rust_decimal::Decimal;
    use rust_decimal::prelude::ToPrimitive;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        if v.fract().is_zero()
            && let Some(i) = v.to_i64()
        {
            return s.serialize_i64(i);
        }
        s.serialize_f64(v.to_f64().unwrap_or(f64::NAN))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(crate::mapping::de::DecimalVisitor { allow_empty: false })?
            .ok_or_else(|| serde::de::Error::custom("expected a quantity, got null"))
    }
}
