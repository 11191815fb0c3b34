//! Keeping the fields a payload struct does not read.
//!
//! [`Captured<T>`] deserializes a derived payload struct `T` as usual and, in the same pass,
//! collects every key of the JSON object that `T` has no field for, with its value. The
//! mappers put those into the record's `metadata`, so nothing the platform sent is dropped
//! even where the unified schema has no home for it.
//!
//! It works by intercepting the one `deserialize_struct` call of `T` and wrapping the map
//! access its visitor reads: every key goes to `T`'s visitor as usual, and when that visitor
//! asks to skip a value (it asks for `IgnoredAny`, which is how derived structs skip keys
//! they have no field for), the value is kept as raw JSON under its key instead.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::model::Metadata;

/// A payload struct and the fields of its object that it did not read.
pub(crate) struct Captured<T> {
    pub rec: T,
    pub extras: Metadata,
}

thread_local! {
    /// Whether [`Captured`] keeps unread fields on this thread (see [`keep_unmapped`]).
    static KEEP: Cell<bool> = const { Cell::new(true) };
}

/// Restores the previous setting of [`keep_unmapped`] when dropped.
pub(crate) struct KeepGuard(bool);

impl Drop for KeepGuard {
    fn drop(&mut self) {
        KEEP.with(|k| k.set(self.0));
    }
}

/// Turns the keeping of unread fields on or off for the current thread, until the guard
/// is dropped. Off, [`Captured`] costs nothing beyond `T` itself.
pub(crate) fn keep_unmapped(on: bool) -> KeepGuard {
    KeepGuard(KEEP.with(|k| k.replace(on)))
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Captured<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if !KEEP.with(Cell::get) {
            return Ok(Captured {
                rec: T::deserialize(d)?,
                extras: Metadata::new(),
            });
        }
        let mut extras = Metadata::new();
        let rec = T::deserialize(Intercept {
            inner: d,
            extras: &mut extras,
        })?;
        Ok(Captured { rec, extras })
    }
}

/// A deserializer that routes the struct's keys and keeps the rest.
struct Intercept<'a, D> {
    inner: D,
    extras: &'a mut Metadata,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Intercept<'_, D> {
    type Error = D::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(Route {
            visitor,
            extras: self.extras,
        })
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        // A newtype around a payload struct: intercept the struct inside.
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// Visits the object and lets the struct's visitor see only its own keys.
struct Route<'a, V> {
    visitor: V,
    extras: &'a mut Metadata,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Route<'_, V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.visitor.expecting(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(Filtered {
            inner: map,
            key: Cow::Borrowed(""),
            extras: self.extras,
        })
    }
}

struct Filtered<'a, 'de, A> {
    inner: A,
    /// The key whose value comes next.
    key: Cow<'de, str>,
    extras: &'a mut Metadata,
}

/// Whether a seed asks to skip its value (a derived struct's unknown key).
fn skips<T>() -> bool {
    std::any::type_name::<T>().ends_with("::IgnoredAny")
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Filtered<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.inner.next_key::<Cow<'de, str>>()? else {
            return Ok(None);
        };
        self.key = key.clone();
        let de: de::value::CowStrDeserializer<'de, A::Error> = key.into_deserializer();
        seed.deserialize(de).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        if skips::<S::Value>() {
            let raw = self.inner.next_value::<&'de RawValue>()?;
            self.extras.push_raw(&self.key, raw.get());
            return seed.deserialize(().into_deserializer());
        }
        self.inner.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        None
    }
}
