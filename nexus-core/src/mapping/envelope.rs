//! Splitting a payload into its records without parsing them.
//!
//! A payload is a bare record, a JSON list of records, or an envelope object holding the
//! list (`{"orders": [...]}`, `{"items": [...], "total_count": N}`) or one record
//! (`{"order": {...}}`). Records are captured as raw JSON slices, so each one is then parsed
//! on its own and a bad record cannot spoil its neighbours. When the payload stops in the
//! middle, the records before the cut are kept and the cut is reported.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::classify;
use crate::error::{DataError, DataErrorKind};
use crate::model::EntityKind;

/// How the records sit in the payload, for error paths.
pub(super) enum Layout {
    /// A bare record: paths start at the record.
    Bare,
    /// A list, at the top (`key` empty) or under an envelope key.
    List(String),
    /// One record under an envelope key.
    Single(String),
}

/// The records of a payload and a payload-level error, if any.
pub(super) struct Split<'de> {
    pub records: Vec<&'de RawValue>,
    pub error: Option<DataError>,
    layout: Layout,
}

impl Layout {
    /// The path prefix of record `i`.
    pub fn prefix(&self, i: usize) -> String {
        match self {
            Layout::Bare => String::new(),
            Layout::List(key) => format!("{key}[{i}]"),
            Layout::Single(key) => key.clone(),
        }
    }
}

impl Split<'_> {
    /// The path prefix of record `i`.
    pub fn prefix(&self, i: usize) -> String {
        self.layout.prefix(i)
    }

    /// How the records sit in the payload.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    fn failed(kind: DataErrorKind, path: String, message: String) -> Self {
        Split {
            records: Vec::new(),
            error: Some(DataError {
                index: None,
                id: None,
                kind,
                path,
                message,
            }),
            layout: Layout::Bare,
        }
    }
}

/// Pushes each element of a JSON list into `out` as it is read, so that a cut-off list
/// keeps its complete elements.
struct CollectRaw<'a, 'de> {
    out: &'a mut Vec<&'de RawValue>,
}

impl<'de> DeserializeSeed<'de> for CollectRaw<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for CollectRaw<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            self.out.push(raw);
        }
        Ok(())
    }
}

/// What the top-level object turned out to hold.
#[derive(Default)]
struct TopObject<'de> {
    has_id: bool,
    list_key: Option<String>,
    list: Vec<&'de RawValue>,
    single: Option<(String, &'de RawValue)>,
}

struct TopVisitor<'a, 'de> {
    state: &'a mut TopObject<'de>,
    entity: EntityKind,
    id_keys: &'static [&'static str],
}

impl<'de> Visitor<'de> for TopVisitor<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record, a list of records or an envelope")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let key: &str = &key;
            if self.id_keys.contains(&key) {
                self.state.has_id = true;
                map.next_value::<IgnoredAny>()?;
            } else if self.state.list_key.is_none()
                && (key == self.entity.plural() || key == "items")
            {
                self.state.list_key = Some(key.to_owned());
                map.next_value_seed(ListOrOther {
                    out: &mut self.state.list,
                })?;
            } else if key == self.entity.as_str()
                || (self.entity == EntityKind::Variant && key == "variation")
            {
                let raw = map.next_value::<&'de RawValue>()?;
                self.state.single = Some((key.to_owned(), raw));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// A candidate list: collected when it is an array, skipped when it is anything else (a
/// bare Magento order has an `items` array of lines and may have other `items`-named
/// values; the caller decides later what the object was).
struct ListOrOther<'a, 'de> {
    out: &'a mut Vec<&'de RawValue>,
}

impl<'de> DeserializeSeed<'de> for ListOrOther<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListOrOther<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        CollectRaw { out: self.out }.visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

fn cut_error(e: &serde_json::Error, path: String, index: usize) -> DataError {
    let (kind, message) = classify(e);
    DataError {
        index: Some(index),
        id: None,
        kind,
        path,
        message,
    }
}

/// Splits `payload` into raw records.
pub(super) fn split<'de>(
    payload: &'de [u8],
    entity: EntityKind,
    id_keys: &'static [&'static str],
) -> Split<'de> {
    let text = match std::str::from_utf8(payload) {
        Ok(t) => t,
        Err(e) => {
            return Split::failed(
                DataErrorKind::InvalidJson,
                String::new(),
                format!(
                    "payload is not UTF-8 text (invalid byte at offset {})",
                    e.valid_up_to()
                ),
            );
        }
    };
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    match trimmed.as_bytes().first() {
        Some(b'[') => {
            let mut records = Vec::new();
            let mut de = serde_json::Deserializer::from_str(trimmed);
            let res = CollectRaw { out: &mut records }
                .deserialize(&mut de)
                .and_then(|()| de.end());
            let error = res.err().map(|e| {
                let n = records.len();
                cut_error(&e, format!("[{n}]"), n)
            });
            Split {
                records,
                error,
                layout: Layout::List(String::new()),
            }
        }
        Some(b'{') => {
            let mut state = TopObject::default();
            let mut de = serde_json::Deserializer::from_str(trimmed);
            let res = de
                .deserialize_map(TopVisitor {
                    state: &mut state,
                    entity,
                    id_keys,
                })
                .and_then(|()| de.end());
            match res {
                Ok(()) => {
                    if state.has_id {
                        bare(trimmed)
                    } else if let Some(key) = state.list_key {
                        Split {
                            records: state.list,
                            error: None,
                            layout: Layout::List(key),
                        }
                    } else if let Some((key, raw)) = state.single {
                        Split {
                            records: vec![raw],
                            error: None,
                            layout: Layout::Single(key),
                        }
                    } else {
                        // No envelope key and no id: a bare record, whose missing id the
                        // record parser reports.
                        bare(trimmed)
                    }
                }
                Err(e) => match state.list_key {
                    Some(key) if !state.has_id => {
                        let n = state.list.len();
                        let error = Some(cut_error(&e, format!("{key}[{n}]"), n));
                        Split {
                            records: state.list,
                            error,
                            layout: Layout::List(key),
                        }
                    }
                    _ => {
                        let (kind, message) = classify(&e);
                        Split::failed(kind, String::new(), message)
                    }
                },
            }
        }
        None => Split::failed(
            DataErrorKind::InvalidJson,
            String::new(),
            "payload is empty".to_owned(),
        ),
        Some(_) => match serde_json::from_str::<IgnoredAny>(trimmed) {
            Ok(_) => Split::failed(
                DataErrorKind::InvalidEnvelope,
                String::new(),
                format!(
                    "expected a {0} record, a list of {1} or a {{\"{1}\": [...]}} envelope",
                    entity.as_str(),
                    entity.plural()
                ),
            ),
            Err(e) => {
                let (kind, message) = classify(&e);
                Split::failed(kind, String::new(), message)
            }
        },
    }
}

fn bare(text: &str) -> Split<'_> {
    // The whole payload was read once as a valid object, so this cannot fail.
    match serde_json::from_str::<&RawValue>(text) {
        Ok(raw) => Split {
            records: vec![raw],
            error: None,
            layout: Layout::Bare,
        },
        Err(e) => {
            let (kind, message) = classify(&e);
            Split::failed(kind, String::new(), message)
        }
    }
}

/// What the fast path made of a payload.
pub(super) enum Fast {
    /// Every record was parsed and handed to the sink.
    Done,
    /// The payload is one bare record (an object with an id at the top); nothing was
    /// handed over, or what was must be discarded.
    Bare,
    /// Something is wrong somewhere; what was handed over must be discarded.
    Failed,
}

/// The fast path for a clean payload: parses the records in one pass and hands each to
/// `sink` as soon as it is read, without splitting the payload first or collecting the
/// platform structs. On anything unexpected it gives up ([`Fast::Failed`]) and the caller
/// takes the record-by-record path, which reports each problem.
pub(super) fn parse_fast<R, F>(
    payload: &[u8],
    entity: EntityKind,
    id_keys: &'static [&'static str],
    sink: &mut F,
) -> Fast
where
    R: DeserializeOwned,
    F: FnMut(&Layout, usize, R),
{
    // Validating UTF-8 once for the whole payload is much cheaper than string by string.
    let Ok(text) = std::str::from_utf8(payload) else {
        return Fast::Failed;
    };
    let body = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let mut de = serde_json::Deserializer::from_str(body);
    let res = match body.as_bytes().first() {
        Some(b'[') => de.deserialize_seq(Stream::<R, F> {
            layout: &Layout::List(String::new()),
            sink,
            marker: PhantomData,
        }),
        Some(b'{') => de.deserialize_map(FastEnvelope::<R, F> {
            entity,
            id_keys,
            sink,
            marker: PhantomData,
        }),
        _ => return Fast::Failed,
    };
    match res.and_then(|()| de.end()) {
        Ok(()) => Fast::Done,
        Err(e) if e.to_string().starts_with(BARE_MARKER) => Fast::Bare,
        Err(e) if e.to_string().starts_with(NO_ENVELOPE) => Fast::Bare,
        Err(_) => Fast::Failed,
    }
}

/// [`parse_fast`] for a payload that is a plain list, which also gives each record's byte
/// range in the payload (its raw JSON text, as [`split`] would find it), so that keeping
/// the raw records costs no second pass. `None` for anything else, or on anything
/// unexpected: what was handed to `sink` must then be discarded.
pub(super) fn parse_list_spans<R, F>(payload: &[u8], sink: &mut F) -> Option<Vec<(usize, usize)>>
where
    R: DeserializeOwned,
    F: FnMut(&Layout, usize, R),
{
    let text = std::str::from_utf8(payload).ok()?;
    let bytes = text.as_bytes();
    let blank = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let skip = |mut at: usize| {
        while bytes.get(at).copied().is_some_and(blank) {
            at += 1;
        }
        at
    };
    let mut at = skip(text.len() - text.trim_start_matches('\u{feff}').len());
    if bytes.get(at) != Some(&b'[') {
        return None;
    }
    at = skip(at + 1);
    let layout = Layout::List(String::new());
    let mut spans = Vec::new();
    if bytes.get(at) == Some(&b']') {
        at += 1;
    } else {
        loop {
            // One record: the stream reports where it ended.
            let mut one = serde_json::Deserializer::from_str(&text[at..]).into_iter::<R>();
            let rec = one.next()?.ok()?;
            let end = at + one.byte_offset();
            sink(&layout, spans.len(), rec);
            spans.push((at, end));
            at = skip(end);
            match bytes.get(at) {
                Some(b',') => at = skip(at + 1),
                Some(b']') => {
                    at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (skip(at) == bytes.len()).then_some(spans)
}

/// The message with which [`FastEnvelope`] stops when the object is a record itself.
const BARE_MARKER: &str = "nexus: bare record";
/// The message with which [`FastEnvelope`] stops when the object has no envelope key.
const NO_ENVELOPE: &str = "nexus: no envelope";

/// Hands each element of a list to the sink as it is parsed.
struct Stream<'a, R, F> {
    layout: &'a Layout,
    sink: &'a mut F,
    marker: PhantomData<R>,
}

impl<'de, R: DeserializeOwned, F: FnMut(&Layout, usize, R)> DeserializeSeed<'de>
    for Stream<'_, R, F>
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, R: DeserializeOwned, F: FnMut(&Layout, usize, R)> Visitor<'de> for Stream<'_, R, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(rec) = seq.next_element::<R>()? {
            (self.sink)(self.layout, i, rec);
            i += 1;
        }
        Ok(())
    }
}

struct FastEnvelope<'a, R, F> {
    entity: EntityKind,
    id_keys: &'static [&'static str],
    sink: &'a mut F,
    marker: PhantomData<R>,
}

impl<'de, R: DeserializeOwned, F: FnMut(&Layout, usize, R)> Visitor<'de>
    for FastEnvelope<'_, R, F>
{
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an envelope")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let key: &str = &key;
            if self.id_keys.contains(&key) {
                return Err(de::Error::custom(BARE_MARKER));
            } else if !found && (key == self.entity.plural() || key == "items") {
                found = true;
                let layout = Layout::List(key.to_owned());
                map.next_value_seed(Stream::<R, F> {
                    layout: &layout,
                    sink: &mut *self.sink,
                    marker: PhantomData,
                })?;
            } else if !found
                && (key == self.entity.as_str()
                    || (self.entity == EntityKind::Variant && key == "variation"))
            {
                found = true;
                let layout = Layout::Single(key.to_owned());
                let rec = map.next_value::<R>()?;
                (self.sink)(&layout, 0, rec);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if found {
            Ok(())
        } else {
            Err(de::Error::custom(NO_ENVELOPE))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans_of(payload: &str) -> Option<Vec<String>> {
        let mut seen = 0;
        let mut sink = |_: &Layout, i: usize, _: serde_json::Value| {
            assert_eq!(i, seen);
            seen += 1;
        };
        parse_list_spans::<serde_json::Value, _>(payload.as_bytes(), &mut sink)
            .map(|s| s.iter().map(|&(a, b)| payload[a..b].to_owned()).collect())
    }

    #[test]
    fn a_list_is_parsed_with_the_text_of_each_record() {
        let payload = "\u{feff} [ {\"id\": 1, \"s\": \"a ] , [ }\"} ,\n\t{\"id\": 2, \"l\": [1, {\"x\": []}]},7,\"t\" ]\r\n";
        let split: Vec<String> = split(payload.as_bytes(), EntityKind::Order, &["id"])
            .records
            .iter()
            .map(|r| r.get().to_owned())
            .collect();
        assert_eq!(spans_of(payload), Some(split));
        assert_eq!(spans_of(" [ ] "), Some(vec![]));
        // Not a plain list, or not whole: left to the other paths.
        for other in [
            "{\"orders\": []}",
            "[{\"id\": 1}",
            "[{\"id\": 1}] x",
            "[{\"id\": 1},]",
            "[{\"id\": 1} {\"id\": 2}]",
            "",
        ] {
            assert_eq!(spans_of(other), None, "{other}");
        }
    }
}
