//! Field deserializers shared by the platform payload types.
//!
//! They read exactly what the platforms send: money as strings or as JSON numbers (kept
//! exact: the workspace enables serde_json's `arbitrary_precision`, so a number arrives here
//! as its text), ids as numbers or strings, and timestamps with or without an offset.
//! Their error messages name the offending value (`expected a decimal, got "abc"`), and the
//! mapper adds the JSON path.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The key under which serde_json hands over a number's text with `arbitrary_precision`.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Parses a decimal's text exactly (plain or scientific notation).
pub(crate) fn parse_decimal(s: &str) -> Option<Decimal> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes().any(|b| b == b'e' || b == b'E') {
        Decimal::from_scientific(t).ok()
    } else {
        Decimal::from_str_exact(t).ok()
    }
}

/// Reads a number's text when the value is a JSON number; what else it sees depends on
/// the visitor that uses it.
pub(crate) fn number_text<'de, A: MapAccess<'de>>(mut map: A) -> Result<String, A::Error> {
    match map.next_key::<Cow<'de, str>>()? {
        Some(k) if k == NUMBER_TOKEN => map.next_value::<String>(),
        _ => Err(de::Error::custom("expected a decimal, got an object")),
    }
}

/// Visits a decimal given as a string or a number. With `allow_empty`, an empty string is
/// read as absent (WooCommerce writes `""` for an unset price).
pub(crate) struct DecimalVisitor {
    pub allow_empty: bool,
}

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Option<Decimal>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if self.allow_empty && v.trim().is_empty() {
            return Ok(None);
        }
        parse_decimal(v)
            .map(Some)
            .ok_or_else(|| E::custom(format_args!("expected a decimal, got {v:?}")))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Decimal::from(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Decimal::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // Only reached through deserializers without arbitrary precision; the shortest
        // round-trip text of the float is the best that can be done there.
        if !v.is_finite() {
            return Err(E::custom(format_args!("expected a decimal, got {v}")));
        }
        self.visit_str(&v.to_string())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let text = number_text(map)?;
        self.visit_str(&text)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Err(E::custom(format_args!("expected a decimal, got {v}")))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom("expected a decimal, got a list"))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A JSON value's text, borrowed from the payload, sorted by what it is.
///
/// Reading ids, amounts and flags as raw text (`serde_json`'s `RawValue`) keeps numbers
/// exact and costs no allocation; the payload parsers always read from a `&str`.
enum Raw<'de> {
    Null,
    Bool(bool),
    /// A number's exact text.
    Number(&'de str),
    /// A string's contents (unescaped).
    Str(Cow<'de, str>),
    /// An object or a list.
    Compound(&'static str),
}

fn raw<'de, D: Deserializer<'de>>(d: D) -> Result<Raw<'de>, D::Error> {
    let text = <&'de RawValue>::deserialize(d)?.get();
    Ok(match text.as_bytes().first() {
        Some(b'"') => {
            let inner = &text[1..text.len() - 1];
            if inner.contains('\\') {
                Raw::Str(Cow::Owned(
                    serde_json::from_str::<String>(text).map_err(de::Error::custom)?,
                ))
            } else {
                Raw::Str(Cow::Borrowed(inner))
            }
        }
        Some(b'n') => Raw::Null,
        Some(b't') => Raw::Bool(true),
        Some(b'f') => Raw::Bool(false),
        Some(b'{') => Raw::Compound("an object"),
        Some(b'[') => Raw::Compound("a list"),
        _ => Raw::Number(text),
    })
}

/// Reads a decimal given as a string or a number; `""` is absent when `allow_empty`.
fn decimal<'de, D: Deserializer<'de>>(
    d: D,
    allow_empty: bool,
) -> Result<Option<Decimal>, D::Error> {
    match raw(d)? {
        Raw::Null => Ok(None),
        Raw::Number(t) => parse_decimal(t)
            .map(Some)
            .ok_or_else(|| de::Error::custom(format_args!("expected a decimal, got {t}"))),
        Raw::Str(s) if allow_empty && s.trim().is_empty() => Ok(None),
        Raw::Str(s) => parse_decimal(&s)
            .map(Some)
            .ok_or_else(|| de::Error::custom(format_args!("expected a decimal, got {s:?}"))),
        Raw::Bool(b) => Err(de::Error::custom(format_args!(
            "expected a decimal, got {b}"
        ))),
        Raw::Compound(what) => Err(de::Error::custom(format_args!(
            "expected a decimal, got {what}"
        ))),
    }
}

/// A required decimal: a string or a number, never null or empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dec(pub Decimal);

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decimal(d, false)?
            .map(Dec)
            .ok_or_else(|| de::Error::custom("expected a decimal, got null"))
    }
}

/// An optional decimal: null, missing and `""` are absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OptDec(pub Option<Decimal>);

impl<'de> Deserialize<'de> for OptDec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decimal(d, true).map(OptDec)
    }
}

impl OptDec {
    /// The amount, zero when absent.
    pub fn or_zero(self) -> Decimal {
        self.0.unwrap_or(Decimal::ZERO)
    }
}

/// Reads an id given as a number or a string. `zero_is_none` reads `0` and `""` as absent
/// (WooCommerce writes `customer_id: 0` for a guest and `variation_id: 0` for no variation).
fn id<'de, D: Deserializer<'de>>(d: D, zero_is_none: bool) -> Result<Option<String>, D::Error> {
    match raw(d)? {
        Raw::Null => Ok(None),
        Raw::Number(t) => {
            if !t.bytes().all(|b| b.is_ascii_digit()) {
                Err(de::Error::custom(format_args!("expected an id, got {t}")))
            } else if zero_is_none && t == "0" {
                Ok(None)
            } else {
                Ok(Some(t.to_owned()))
            }
        }
        Raw::Str(s) => {
            let t = s.trim();
            if t.is_empty() || (zero_is_none && t == "0") {
                if zero_is_none {
                    Ok(None)
                } else {
                    Err(de::Error::custom("expected an id, got \"\""))
                }
            } else {
                Ok(Some(t.to_owned()))
            }
        }
        Raw::Bool(b) => Err(de::Error::custom(format_args!("expected an id, got {b}"))),
        Raw::Compound(what) => Err(de::Error::custom(format_args!(
            "expected an id, got {what}"
        ))),
    }
}

/// A record's own id: required, a number or a non-empty string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Id(pub String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        id(d, false)?
            .map(Id)
            .ok_or_else(|| de::Error::custom("expected an id, got null"))
    }
}

/// A reference to another record: null, `0` and `""` are absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OptId(pub Option<String>);

impl<'de> Deserialize<'de> for OptId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        id(d, true).map(OptId)
    }
}

/// Parses `YYYY-MM-DD[T| ]HH:MM:SS[.fraction][Z|+HH:MM|-HH:MM|+HHMM]`; no offset means UTC.
pub(crate) fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let b = s.trim().as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut v = 0u32;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    if b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut nanos = 0u32;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }
    let time = NaiveTime::from_hms_nano_opt(h, mi, sec, nanos)?;
    let naive = NaiveDateTime::new(date, time);
    let rest = &b[i..];
    let offset_secs: i32 = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let d = |c: &u8| c.is_ascii_digit().then(|| i32::from(c - b'0'));
            let hours = d(h1)? * 10 + d(h2)?;
            let mins = d(m1)? * 10 + d(m2)?;
            if hours > 23 || mins > 59 {
                return None;
            }
            let total = hours * 3600 + mins * 60;
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let offset = FixedOffset::east_opt(offset_secs)?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// An optional timestamp: null, missing and `""` are absent; anything else must parse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OptTs(pub Option<DateTime<Utc>>);

impl<'de> Deserialize<'de> for OptTs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Option::<Cow<'de, str>>::deserialize(d)?;
        match s {
            None => Ok(OptTs(None)),
            Some(s) if s.trim().is_empty() => Ok(OptTs(None)),
            Some(s) => parse_timestamp(&s).map(|t| OptTs(Some(t))).ok_or_else(|| {
                de::Error::custom(format_args!("expected a date and time, got {s:?}"))
            }),
        }
    }
}

/// A string that may be absent; `""` (and whitespace only) reads as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OptStr(pub Option<String>);

impl<'de> Deserialize<'de> for OptStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        Ok(OptStr(s.filter(|s| !s.trim().is_empty())))
    }
}

/// A boolean that some platforms send as `0`/`1` (Magento) or as a string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flag(pub Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match raw(d)? {
            Raw::Null => Ok(Flag(None)),
            Raw::Bool(b) => Ok(Flag(Some(b))),
            Raw::Number(t) => Ok(Flag(Some(parse_decimal(t).is_none_or(|v| !v.is_zero())))),
            Raw::Str(s) => match &*s {
                "1" | "true" | "yes" => Ok(Flag(Some(true))),
                "0" | "false" | "no" | "" => Ok(Flag(Some(false))),
                _ => Err(de::Error::custom(format_args!(
                    "expected a boolean, got {s:?}"
                ))),
            },
            Raw::Compound(what) => Err(de::Error::custom(format_args!(
                "expected a boolean, got {what}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_to_utc() {
        let t = |s| parse_timestamp(s).map(|t| t.to_rfc3339());
        assert_eq!(
            t("2017-03-22T19:28:02").as_deref(),
            Some("2017-03-22T19:28:02+00:00")
        );
        assert_eq!(
            t("2008-01-10T11:00:00-05:00").as_deref(),
            Some("2008-01-10T16:00:00+00:00")
        );
        assert_eq!(
            t("2017-08-21 22:22:19").as_deref(),
            Some("2017-08-21T22:22:19+00:00")
        );
        assert_eq!(
            t("2024-05-01T10:00:00.250Z").as_deref(),
            Some("2024-05-01T10:00:00.250+00:00")
        );
        assert_eq!(
            t("2024-05-01T10:00:00+0530").as_deref(),
            Some("2024-05-01T04:30:00+00:00")
        );
        assert_eq!(
            t("2017-02-30T10:00:00"),
            None,
            "February 30th does not exist"
        );
        assert_eq!(t("2017-01-01T24:00:00"), None);
        assert_eq!(t("yesterday"), None);
        assert_eq!(t("2017-01-01T10:00:00+99:00"), None);
    }

    #[test]
    fn decimals_stay_exact() {
        let d: Dec = serde_json::from_str("0.1").unwrap();
        assert_eq!(d.0.to_string(), "0.1");
        let d: Dec = serde_json::from_str("\"29.35\"").unwrap();
        assert_eq!(d.0.to_string(), "29.35");
        let d: Dec = serde_json::from_str("3.3333333333333335").unwrap();
        assert_eq!(d.0.to_string(), "3.3333333333333335");
        let d: Dec = serde_json::from_str("1e2").unwrap();
        assert_eq!(d.0, Decimal::from(100));
        let e = serde_json::from_str::<Dec>("\"abc\"")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("expected a decimal, got \"abc\""), "{e}");
        let e: OptDec = serde_json::from_str("\"\"").unwrap();
        assert_eq!(e.0, None);
    }

    #[test]
    fn ids_are_exact_strings() {
        let id: Id = serde_json::from_str("9007199254740993").unwrap();
        assert_eq!(
            id.0, "9007199254740993",
            "2^53 + 1 must not pass through a float"
        );
        let id: Id = serde_json::from_str("\"gid-7\"").unwrap();
        assert_eq!(id.0, "gid-7");
        assert!(serde_json::from_str::<Id>("1.5").is_err());
        assert!(serde_json::from_str::<Id>("-3").is_err());
        assert!(serde_json::from_str::<Id>("null").is_err());
        let none: OptId = serde_json::from_str("0").unwrap();
        assert_eq!(none.0, None);
    }
}
