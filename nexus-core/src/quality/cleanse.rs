//! Safe, deterministic cleansers, each change recorded.
//!
//! | cleanser | what it does |
//! |---|---|
//! | `trim_whitespace` | trims text and collapses runs of whitespace (names, e-mail, phone, address lines, SKUs) |
//! | `lowercase_email` | writes e-mail addresses in lower case |
//! | `phone_e164` | rewrites phone numbers in E.164 (`+4930123456`) when the country is known or the number is international |
//! | `uppercase_codes` | upper-cases currency, country and region codes (a record's currency change covers every amount of the record) |
//! | `country_names` | replaces country names and aliases (`Deutschland`, `U.S.A.`) with ISO 3166-1 codes, and fills a missing code from the country name |
//! | `title_case_names` | writes given and family names in title case; off unless asked, since `McDonald` and `van der Berg` are not title case |
//! | `fill_derived` | fills what can be derived: a line total (and subtotal) from quantity x price when it is missing (zero with no discount), an order subtotal from its lines, a refund line total from its subtotal and tax |
//!
//! Nothing is changed silently: every change is a [`Change`] in the [`CleansingLog`], with
//! the record, the field, the value before and after, and the cleanser. Cleansing can be
//! turned off, limited to some cleansers, or limited to (or kept away from) some fields.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::refdata;
use crate::model::{
    Address, Currency, Customer, EntityKind, Money, Order, PlatformKind, Product, Refund,
    SourceRef, Variant,
};

/// A cleanser.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Cleanser {
    /// Trim text and collapse runs of whitespace.
    TrimWhitespace,
    /// Lower-case e-mail addresses.
    LowercaseEmail,
    /// Phone numbers in E.164 form.
    PhoneE164,
    /// Upper-case currency, country and region codes.
    UppercaseCodes,
    /// Country names to ISO 3166-1 alpha-2 codes.
    CountryNames,
    /// Title-case given and family names (only when asked).
    TitleCaseNames,
    /// Fill derivable amounts.
    FillDerived,
}

impl Cleanser {
    /// Every cleanser.
    pub const ALL: [Cleanser; 7] = [
        Cleanser::TrimWhitespace,
        Cleanser::LowercaseEmail,
        Cleanser::PhoneE164,
        Cleanser::UppercaseCodes,
        Cleanser::CountryNames,
        Cleanser::TitleCaseNames,
        Cleanser::FillDerived,
    ];

    /// The name used in JSON and rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Cleanser::TrimWhitespace => "trim_whitespace",
            Cleanser::LowercaseEmail => "lowercase_email",
            Cleanser::PhoneE164 => "phone_e164",
            Cleanser::UppercaseCodes => "uppercase_codes",
            Cleanser::CountryNames => "country_names",
            Cleanser::TitleCaseNames => "title_case_names",
            Cleanser::FillDerived => "fill_derived",
        }
    }
}

impl fmt::Display for Cleanser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Cleanser {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Cleanser::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown cleanser {s:?}: expected one of {}",
                    Cleanser::ALL.map(|c| c.as_str()).join(", ")
                )
            })
    }
}

/// What cleansing may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleansingOptions {
    /// Whether cleansing changes anything at all.
    pub enabled: bool,
    /// The cleansers that run (default: all but `title_case_names`).
    pub cleansers: Vec<Cleanser>,
    /// When set, only these fields are changed: a path of the unified form with list
    /// positions left out (`billing_address.phone`, `line_items[].total`), a field name
    /// (`phone`: every phone), or an object (`billing_address`: all its fields).
    pub fields: Option<Vec<String>>,
    /// Fields never changed, named the same way.
    pub skip_fields: Vec<String>,
}

impl Default for CleansingOptions {
    fn default() -> Self {
        CleansingOptions {
            enabled: true,
            cleansers: Cleanser::ALL
                .into_iter()
                .filter(|c| *c != Cleanser::TitleCaseNames)
                .collect(),
            fields: None,
            skip_fields: Vec::new(),
        }
    }
}

impl CleansingOptions {
    /// Options that change nothing.
    pub fn off() -> Self {
        CleansingOptions {
            enabled: false,
            ..Self::default()
        }
    }

    /// Adds a cleanser (`title_case_names`, say) to the ones that run.
    pub fn with(mut self, cleanser: Cleanser) -> Self {
        if !self.cleansers.contains(&cleanser) {
            self.cleansers.push(cleanser);
        }
        self
    }

    /// Removes a cleanser.
    pub fn without(mut self, cleanser: Cleanser) -> Self {
        self.cleansers.retain(|c| *c != cleanser);
        self
    }

    /// Limits cleansing to these fields.
    pub fn only_fields<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.fields = Some(fields.into_iter().map(Into::into).collect());
        self
    }

    /// Keeps cleansing away from these fields.
    pub fn skip<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.skip_fields.extend(fields.into_iter().map(Into::into));
        self
    }

    fn runs(&self, c: Cleanser) -> bool {
        self.enabled && self.cleansers.contains(&c)
    }

    fn field_allowed(&self, path: &str) -> bool {
        let normalized = normalize(path);
        let matches = |f: &String| {
            let f = f.trim();
            normalized == f
                || normalized.rsplit('.').next() == Some(f)
                || normalized
                    .strip_prefix(f)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        };
        if self.skip_fields.iter().any(matches) {
            return false;
        }
        self.fields.as_ref().is_none_or(|fs| fs.iter().any(matches))
    }
}

/// `line_items[2].total` -> `line_items[].total`.
fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// One change made by a cleanser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// The kind of record.
    pub entity: EntityKind,
    /// The record's platform.
    pub platform: PlatformKind,
    /// The record's store.
    pub store: String,
    /// The record's platform id.
    pub record_id: String,
    /// The record's position in the list.
    pub index: usize,
    /// The field, as a path of the unified form.
    pub field: String,
    /// The value before (`None`: it was missing).
    pub before: Option<String>,
    /// The value after.
    pub after: Option<String>,
    /// The cleanser that made the change.
    pub cleanser: Cleanser,
}

/// Every change cleansing made, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CleansingLog {
    /// The changes.
    pub changes: Vec<Change>,
}

impl CleansingLog {
    /// Whether nothing was changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many changes each cleanser made.
    pub fn counts(&self) -> Vec<(Cleanser, usize)> {
        let mut out: Vec<(Cleanser, usize)> = Vec::new();
        for c in &self.changes {
            match out.iter_mut().find(|(k, _)| *k == c.cleanser) {
                Some((_, n)) => *n += 1,
                None => out.push((c.cleanser, 1)),
            }
        }
        out
    }
}

/// The record being cleansed and where its changes go.
pub(crate) struct Cx<'a> {
    pub opts: &'a CleansingOptions,
    pub log: &'a mut Vec<Change>,
    pub index: usize,
}

impl Cx<'_> {
    fn record(
        &mut self,
        src: &SourceRef,
        field: String,
        before: Option<String>,
        after: Option<String>,
        cleanser: Cleanser,
    ) {
        self.log.push(Change {
            entity: src.entity,
            platform: src.platform,
            store: src.store.clone(),
            record_id: src.id.clone(),
            index: self.index,
            field,
            before,
            after,
            cleanser,
        });
    }

    /// Applies `f` to an optional text field; records and makes the change when `f`
    /// returns a different value and the field may be changed.
    fn text(
        &mut self,
        src: &SourceRef,
        c: Cleanser,
        path: &dyn Fn() -> String,
        value: &mut Option<String>,
        f: impl Fn(&str) -> Option<String>,
    ) {
        if !self.opts.runs(c) {
            return;
        }
        let Some(old) = value.as_deref() else { return };
        let Some(new) = f(old) else { return };
        if new == old {
            return;
        }
        let p = path();
        if !self.opts.field_allowed(&p) {
            return;
        }
        let new_value = if new.is_empty() { None } else { Some(new) };
        self.record(src, p, value.clone(), new_value.clone(), c);
        *value = new_value;
    }

    fn required_text(
        &mut self,
        src: &SourceRef,
        c: Cleanser,
        path: &'static str,
        value: &mut String,
        f: impl Fn(&str) -> Option<String>,
    ) {
        if !self.opts.runs(c) {
            return;
        }
        let Some(new) = f(value) else { return };
        if new == *value || new.is_empty() || !self.opts.field_allowed(path) {
            return;
        }
        self.record(src, path.into(), Some(value.clone()), Some(new.clone()), c);
        *value = new;
    }

    /// Upper-cases a currency code; whether it changed.
    fn currency(&mut self, src: &SourceRef, path: &dyn Fn() -> String, cur: &mut Currency) -> bool {
        if !self.opts.runs(Cleanser::UppercaseCodes) {
            return false;
        }
        let up = cur.to_uppercase();
        if up == *cur {
            return false;
        }
        let p = path();
        if !self.opts.field_allowed(&p) {
            return false;
        }
        self.record(
            src,
            p,
            Some(cur.to_string()),
            Some(up.to_string()),
            Cleanser::UppercaseCodes,
        );
        *cur = up;
        true
    }

    fn money(
        &mut self,
        src: &SourceRef,
        c: Cleanser,
        path: &dyn Fn() -> String,
        m: &mut Money,
        new: Decimal,
    ) {
        if !self.opts.runs(c) || m.amount == new {
            return;
        }
        let p = path();
        if !self.opts.field_allowed(&p) {
            return;
        }
        self.record(src, p, Some(m.amount.to_string()), Some(new.to_string()), c);
        m.amount = new;
    }
}

/// Trims and collapses whitespace; `None` when nothing changes.
pub(crate) fn tidy(s: &str) -> Option<String> {
    let needs = s.starts_with(char::is_whitespace)
        || s.ends_with(char::is_whitespace)
        || s.as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace())
        || s.chars().any(|c| c.is_whitespace() && c != ' ');
    needs.then(|| s.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn title_case(s: &str) -> Option<String> {
    let out: String = s
        .split(' ')
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(cs.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    Some(out)
}

fn address(cx: &mut Cx, src: &SourceRef, prefix: &str, a: &mut Address) {
    use Cleanser as C;
    let p = |f: &'static str| move || format!("{prefix}.{f}");
    for (name, v) in [
        ("first_name", &mut a.first_name),
        ("last_name", &mut a.last_name),
        ("company", &mut a.company),
        ("line1", &mut a.line1),
        ("line2", &mut a.line2),
        ("city", &mut a.city),
        ("region", &mut a.region),
        ("postal_code", &mut a.postal_code),
        ("country", &mut a.country),
        ("phone", &mut a.phone),
        ("email", &mut a.email),
    ] {
        cx.text(src, C::TrimWhitespace, &p(name), v, tidy);
    }
    cx.text(src, C::LowercaseEmail, &p("email"), &mut a.email, |s| {
        Some(s.to_lowercase())
    });
    cx.text(
        src,
        C::TitleCaseNames,
        &p("first_name"),
        &mut a.first_name,
        title_case,
    );
    cx.text(
        src,
        C::TitleCaseNames,
        &p("last_name"),
        &mut a.last_name,
        title_case,
    );
    // A country written as a name, or only named.
    if cx.opts.runs(C::CountryNames) {
        let from_code = a.country_code.as_deref().and_then(|c| {
            let c = c.trim();
            (refdata::country(c).is_none())
                .then(|| refdata::country_code_for(c))
                .flatten()
        });
        let from_name = if a
            .country_code
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
        {
            a.country.as_deref().and_then(refdata::country_code_for)
        } else {
            None
        };
        if let Some(code) = from_code.or(from_name) {
            let path = format!("{prefix}.country_code");
            if cx.opts.field_allowed(&path) && a.country_code.as_deref() != Some(code) {
                cx.record(
                    src,
                    path,
                    a.country_code.clone(),
                    Some(code.to_owned()),
                    C::CountryNames,
                );
                a.country_code = Some(code.to_owned());
            }
        }
    }
    cx.text(
        src,
        C::UppercaseCodes,
        &p("country_code"),
        &mut a.country_code,
        |s| Some(s.trim().to_ascii_uppercase()),
    );
    cx.text(
        src,
        C::UppercaseCodes,
        &p("region_code"),
        &mut a.region_code,
        |s| Some(s.trim().to_ascii_uppercase()),
    );
    let country = a.country_code.clone();
    cx.text(src, C::PhoneE164, &p("phone"), &mut a.phone, |s| {
        refdata::phone_e164(s, country.as_deref())
    });
}

/// Moves every amount in `old` to the order's (upper-cased) currency.
fn recurrency_order(o: &mut Order, old: Currency) {
    let c = o.currency;
    let set = |m: &mut Money| {
        if m.currency == old {
            m.currency = c;
        }
    };
    for l in &mut o.line_items {
        set(&mut l.unit_price);
        set(&mut l.subtotal);
        set(&mut l.discount);
        set(&mut l.tax);
        set(&mut l.total);
        for comp in &mut l.components {
            if let Some(m) = &mut comp.unit_price {
                set(m);
            }
        }
    }
    for t in &mut o.tax_lines {
        set(&mut t.amount);
        set(&mut t.shipping_amount);
    }
    for s in &mut o.shipping_lines {
        set(&mut s.amount);
        set(&mut s.discount);
        set(&mut s.tax);
    }
    for f in &mut o.fee_lines {
        set(&mut f.amount);
        set(&mut f.tax);
    }
    for d in &mut o.discount_lines {
        set(&mut d.amount);
    }
    for r in &mut o.refunds {
        set(&mut r.amount);
    }
    for m in [
        &mut o.subtotal,
        &mut o.discount_total,
        &mut o.shipping_total,
        &mut o.fee_total,
        &mut o.tax_total,
        &mut o.total,
        &mut o.refunded_total,
    ] {
        set(m);
    }
}

pub(crate) fn order(o: &mut Order, cx: &mut Cx) {
    use Cleanser as C;
    let src = o.source.clone();
    cx.text(
        &src,
        C::TrimWhitespace,
        &|| "email".into(),
        &mut o.email,
        tidy,
    );
    cx.text(
        &src,
        C::LowercaseEmail,
        &|| "email".into(),
        &mut o.email,
        |s| Some(s.to_lowercase()),
    );
    if let Some(a) = &mut o.billing_address {
        address(cx, &src, "billing_address", a);
    }
    if let Some(a) = &mut o.shipping_address {
        address(cx, &src, "shipping_address", a);
    }
    // The amounts in the record's old currency follow it; amounts in another currency are
    // left for `order.currency_consistent` to report.
    let before = o.currency;
    if cx.currency(&src, &|| "currency".into(), &mut o.currency) {
        recurrency_order(o, before);
    }
    for (i, l) in o.line_items.iter_mut().enumerate() {
        cx.text(
            &src,
            C::TrimWhitespace,
            &|| format!("line_items[{i}].sku"),
            &mut l.sku,
            tidy,
        );
        let derived = l.quantity * l.unit_price.amount;
        if l.total.amount.is_zero() && l.discount.amount.is_zero() && !derived.is_zero() {
            if l.subtotal.amount.is_zero() {
                cx.money(
                    &src,
                    C::FillDerived,
                    &|| format!("line_items[{i}].subtotal"),
                    &mut l.subtotal,
                    derived,
                );
            }
            cx.money(
                &src,
                C::FillDerived,
                &|| format!("line_items[{i}].total"),
                &mut l.total,
                derived,
            );
        }
    }
    let lines: Decimal = o.line_items.iter().map(|l| l.subtotal.amount).sum();
    if o.subtotal.amount.is_zero() && !lines.is_zero() {
        cx.money(
            &src,
            C::FillDerived,
            &|| "subtotal".into(),
            &mut o.subtotal,
            lines,
        );
    }
}

pub(crate) fn customer(c: &mut Customer, cx: &mut Cx) {
    use Cleanser as C;
    let src = c.source.clone();
    cx.text(
        &src,
        C::TrimWhitespace,
        &|| "email".into(),
        &mut c.email,
        tidy,
    );
    cx.text(
        &src,
        C::LowercaseEmail,
        &|| "email".into(),
        &mut c.email,
        |s| Some(s.to_lowercase()),
    );
    cx.text(
        &src,
        C::TrimWhitespace,
        &|| "first_name".into(),
        &mut c.first_name,
        tidy,
    );
    cx.text(
        &src,
        C::TrimWhitespace,
        &|| "last_name".into(),
        &mut c.last_name,
        tidy,
    );
    cx.text(
        &src,
        C::TitleCaseNames,
        &|| "first_name".into(),
        &mut c.first_name,
        title_case,
    );
    cx.text(
        &src,
        C::TitleCaseNames,
        &|| "last_name".into(),
        &mut c.last_name,
        title_case,
    );
    cx.text(
        &src,
        C::TrimWhitespace,
        &|| "phone".into(),
        &mut c.phone,
        tidy,
    );
    if let Some(a) = &mut c.billing_address {
        address(cx, &src, "billing_address", a);
    }
    if let Some(a) = &mut c.shipping_address {
        address(cx, &src, "shipping_address", a);
    }
    for (i, a) in c.addresses.iter_mut().enumerate() {
        address(cx, &src, &format!("addresses[{i}]"), a);
    }
    let country = c
        .billing_address
        .as_ref()
        .and_then(|a| a.country_code.clone())
        .or_else(|| c.addresses.iter().find_map(|a| a.country_code.clone()));
    cx.text(&src, C::PhoneE164, &|| "phone".into(), &mut c.phone, |s| {
        refdata::phone_e164(s, country.as_deref())
    });
    if let Some(m) = &mut c.total_spent {
        cx.currency(&src, &|| "total_spent.currency".into(), &mut m.currency);
    }
}

pub(crate) fn product(p: &mut Product, cx: &mut Cx) {
    use Cleanser as C;
    let src = p.source.clone();
    cx.required_text(&src, C::TrimWhitespace, "name", &mut p.name, tidy);
    cx.text(&src, C::TrimWhitespace, &|| "sku".into(), &mut p.sku, tidy);
    if let Some(cur) = &mut p.currency {
        cx.currency(&src, &|| "currency".into(), cur);
    }
    for (i, v) in p.variants.iter_mut().enumerate() {
        cx.text(
            &src,
            C::TrimWhitespace,
            &|| format!("variants[{i}].sku"),
            &mut v.sku,
            tidy,
        );
        if let Some(cur) = &mut v.currency {
            cx.currency(&src, &|| format!("variants[{i}].currency"), cur);
        }
    }
}

pub(crate) fn variant(v: &mut Variant, cx: &mut Cx) {
    use Cleanser as C;
    let src = v.source.clone();
    cx.text(&src, C::TrimWhitespace, &|| "sku".into(), &mut v.sku, tidy);
    cx.text(
        &src,
        C::TrimWhitespace,
        &|| "title".into(),
        &mut v.title,
        tidy,
    );
    if let Some(cur) = &mut v.currency {
        cx.currency(&src, &|| "currency".into(), cur);
    }
}

pub(crate) fn refund(r: &mut Refund, cx: &mut Cx) {
    let src = r.source.clone();
    if cx.currency(&src, &|| "amount.currency".into(), &mut r.amount.currency) {
        let c = r.amount.currency;
        r.shipping.currency = c;
        for l in &mut r.line_items {
            l.subtotal.currency = c;
            l.tax.currency = c;
            l.total.currency = c;
        }
    }
    for (i, l) in r.line_items.iter_mut().enumerate() {
        let derived = l.subtotal.amount + l.tax.amount;
        if l.total.amount.is_zero() && !derived.is_zero() {
            cx.money(
                &src,
                Cleanser::FillDerived,
                &|| format!("line_items[{i}].total"),
                &mut l.total,
                derived,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_trims_and_collapses() {
        assert_eq!(tidy("  Jane   Doe ").as_deref(), Some("Jane Doe"));
        assert_eq!(tidy("Jane\tDoe").as_deref(), Some("Jane Doe"));
        assert_eq!(tidy("Jane Doe"), None);
    }

    #[test]
    fn field_filters() {
        let o = CleansingOptions::default().only_fields(["billing_address", "phone"]);
        assert!(o.field_allowed("billing_address.city"));
        assert!(o.field_allowed("shipping_address.phone"));
        assert!(!o.field_allowed("email"));
        let o = CleansingOptions::default().skip(["line_items[].total"]);
        assert!(!o.field_allowed("line_items[3].total"));
        assert!(o.field_allowed("line_items[3].sku"));
        assert_eq!(normalize("addresses[12].phone"), "addresses[].phone");
    }
}
