//! The built-in rules: what each one checks, entity by entity.
//!
//! Each function runs one rule on one record and reports through the [`Sink`]; rules that
//! look at a whole set (duplicates, cross-entity references) keep what they have seen in
//! the run's [`State`].

// One arm per rule reads better than guards that fall through to `_ => {}`.
#![allow(clippy::collapsible_match)]

use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};

use super::catalog::Builtin;
use super::config::RuleConfig;
use super::engine::{Reference, Sink};
use super::refdata;
use crate::model::{
    Address, Customer, EntityKind, Money, Order, OrderStatus, PaymentStatus, PlatformKind, Product,
    ProductKind, ProductStatus, Refund, Timestamp, Variant,
};

const ADDRESS_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "company",
    "line1",
    "line2",
    "city",
    "region",
    "region_code",
    "postal_code",
    "country_code",
    "country",
    "phone",
    "email",
];

/// The address fields a `*.required` rule can name, under `billing_address.` and
/// `shipping_address.`, in the order of [`ADDRESS_FIELDS`].
const ADDRESS_PATHS: [[&str; 13]; 2] = [
    [
        "billing_address.first_name",
        "billing_address.last_name",
        "billing_address.company",
        "billing_address.line1",
        "billing_address.line2",
        "billing_address.city",
        "billing_address.region",
        "billing_address.region_code",
        "billing_address.postal_code",
        "billing_address.country_code",
        "billing_address.country",
        "billing_address.phone",
        "billing_address.email",
    ],
    [
        "shipping_address.first_name",
        "shipping_address.last_name",
        "shipping_address.company",
        "shipping_address.line1",
        "shipping_address.line2",
        "shipping_address.city",
        "shipping_address.region",
        "shipping_address.region_code",
        "shipping_address.postal_code",
        "shipping_address.country_code",
        "shipping_address.country",
        "shipping_address.phone",
        "shipping_address.email",
    ],
];

/// The fields a `*.required` rule can name for an entity. A field's position in this list
/// is the id the `*_present` functions below take.
pub(crate) fn known_fields(entity: EntityKind) -> Vec<&'static str> {
    let (plain, addresses): (&[&'static str], bool) = match entity {
        EntityKind::Order => (
            &[
                "number",
                "email",
                "customer_id",
                "billing_address",
                "shipping_address",
                "line_items",
                "payment_method",
                "updated_at",
                "paid_at",
                "note",
                "tags",
            ],
            true,
        ),
        EntityKind::Customer => (
            &[
                "email",
                "first_name",
                "last_name",
                "phone",
                "created_at",
                "updated_at",
                "billing_address",
                "shipping_address",
                "addresses",
                "orders_count",
                "total_spent",
                "tags",
            ],
            true,
        ),
        EntityKind::Product => (
            &[
                "name",
                "sku",
                "handle",
                "vendor",
                "price",
                "regular_price",
                "categories",
                "tags",
                "created_at",
                "updated_at",
                "platform_type",
                "inventory_quantity",
            ],
            false,
        ),
        EntityKind::Variant => (
            &[
                "sku",
                "title",
                "price",
                "regular_price",
                "product_id",
                "inventory_quantity",
                "options",
                "created_at",
                "updated_at",
            ],
            false,
        ),
        EntityKind::Refund => (&["order_id", "reason", "line_items", "processed_at"], false),
        EntityKind::Transaction => (&[], false),
    };
    let mut out = plain.to_vec();
    if addresses {
        out.extend(ADDRESS_PATHS.iter().flatten());
    }
    out
}

fn text_present(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !refdata::blank(s))
}

fn address_text(a: &Address, i: usize) -> &Option<String> {
    match i {
        0 => &a.first_name,
        1 => &a.last_name,
        2 => &a.company,
        3 => &a.line1,
        4 => &a.line2,
        5 => &a.city,
        6 => &a.region,
        7 => &a.region_code,
        8 => &a.postal_code,
        9 => &a.country_code,
        10 => &a.country,
        11 => &a.phone,
        _ => &a.email,
    }
}

fn address_field(a: &Address, f: &str) -> bool {
    ADDRESS_FIELDS
        .iter()
        .position(|x| *x == f)
        .is_some_and(|i| text_present(address_text(a, i)))
}

/// Whether the address field with id `id` (past the entity's `plain` fields) is present:
/// ids run through the billing address's fields, then the shipping address's.
fn nested(billing: &Option<Address>, shipping: &Option<Address>, id: usize) -> bool {
    let n = ADDRESS_FIELDS.len();
    let a = if id < n { billing } else { shipping };
    a.as_ref()
        .is_some_and(|a| text_present(address_text(a, id % n)))
}

// The ids are positions in `known_fields`: the plain fields first, in the order listed
// there, then the address fields.

fn order_present(o: &Order, id: u16) -> bool {
    match id {
        0 => text_present(&o.number),
        1 => text_present(&o.email),
        2 => text_present(&o.customer_id),
        3 => o.billing_address.is_some(),
        4 => o.shipping_address.is_some(),
        5 => !o.line_items.is_empty(),
        6 => text_present(&o.payment_method),
        7 => o.updated_at.is_some(),
        8 => o.paid_at.is_some(),
        9 => text_present(&o.note),
        10 => !o.tags.is_empty(),
        i => nested(&o.billing_address, &o.shipping_address, usize::from(i) - 11),
    }
}

fn customer_present(c: &Customer, id: u16) -> bool {
    match id {
        0 => text_present(&c.email),
        1 => text_present(&c.first_name),
        2 => text_present(&c.last_name),
        3 => text_present(&c.phone),
        4 => c.created_at.is_some(),
        5 => c.updated_at.is_some(),
        6 => c.billing_address.is_some(),
        7 => c.shipping_address.is_some(),
        8 => !c.addresses.is_empty(),
        9 => c.orders_count.is_some(),
        10 => c.total_spent.is_some(),
        11 => !c.tags.is_empty(),
        i => nested(&c.billing_address, &c.shipping_address, usize::from(i) - 12),
    }
}

fn product_present(p: &Product, id: u16) -> bool {
    match id {
        0 => !refdata::blank(&p.name),
        1 => text_present(&p.sku),
        2 => text_present(&p.handle),
        3 => text_present(&p.vendor),
        4 => p.price.is_some(),
        5 => p.regular_price.is_some(),
        6 => !p.categories.is_empty(),
        7 => !p.tags.is_empty(),
        8 => p.created_at.is_some(),
        9 => p.updated_at.is_some(),
        10 => text_present(&p.platform_type),
        _ => p.inventory_quantity.is_some(),
    }
}

fn variant_present(v: &Variant, id: u16) -> bool {
    match id {
        0 => text_present(&v.sku),
        1 => text_present(&v.title),
        2 => v.price.is_some(),
        3 => v.regular_price.is_some(),
        4 => text_present(&v.product_id),
        5 => v.inventory_quantity.is_some(),
        6 => !v.options.is_empty(),
        7 => v.created_at.is_some(),
        _ => v.updated_at.is_some(),
    }
}

fn refund_present(r: &Refund, id: u16) -> bool {
    match id {
        0 => text_present(&r.order_id),
        1 => text_present(&r.reason),
        2 => !r.line_items.is_empty(),
        _ => r.processed_at.is_some(),
    }
}

fn required(cfg: &RuleConfig, s: &mut Sink, present: impl Fn(u16) -> bool) {
    for (f, id) in cfg.fields.iter().zip(&cfg.field_ids) {
        if !present(*id) {
            s.flag(|| f.clone(), || format!("`{f}` is missing"), None, false);
        }
    }
}

// ---- shared checks ---------------------------------------------------------------------

fn email_syntax(s: &mut Sink, path: &'static str, email: &Option<String>) {
    let Some(e) = email.as_deref() else { return };
    if e.is_empty() || refdata::email_valid(e) {
        return;
    }
    let fixed = refdata::email_valid(&e.trim().to_lowercase());
    s.flag(
        || path.into(),
        || {
            if fixed {
                format!("{e:?} has surrounding whitespace")
            } else {
                format!("{e:?} is not a valid e-mail address")
            }
        },
        Some(e),
        fixed,
    );
}

fn email_placeholder(s: &mut Sink, path: &'static str, email: &Option<String>) {
    let Some(e) = email.as_deref() else { return };
    if let Some(why) = refdata::placeholder_email(e) {
        s.flag(
            || path.into(),
            || format!("{e:?} uses {why}"),
            Some(e),
            false,
        );
    }
}

fn currency_code(s: &mut Sink, cfg: &RuleConfig, path: &dyn Fn() -> String, code: &str) {
    if code == "XXX" {
        s.flag(
            path,
            || "the currency is unknown (XXX): the payload named none".into(),
            Some(code),
            false,
        );
    } else if code == "XTS" {
        s.flag(
            path,
            || "XTS is the ISO 4217 code reserved for testing".into(),
            Some(code),
            false,
        );
    } else if !refdata::is_currency(code) {
        let up = code.to_ascii_uppercase();
        let fixable = refdata::is_currency(&up);
        s.flag(
            path,
            || {
                if fixable {
                    format!("{code:?} is not upper case ({up})")
                } else {
                    format!("{code:?} is not an ISO 4217 currency")
                }
            },
            Some(code),
            fixable,
        );
    } else if let Some(allowed) = &cfg.allowed
        && !allowed.iter().any(|a| a == code)
    {
        s.flag(
            path,
            || {
                format!(
                    "{code} is not one of the allowed currencies ({})",
                    allowed.join(", ")
                )
            },
            Some(code),
            false,
        );
    }
}

fn country(s: &mut Sink, cfg: &RuleConfig, prefix: &str, a: &Address) {
    let path = || format!("{prefix}.country_code");
    match a.country_code.as_deref().map(refdata::trimmed) {
        Some(code) if !code.is_empty() => {
            if refdata::country(code).is_none() {
                let fixable = refdata::country_code_for(code).is_some();
                s.flag(
                    path,
                    || format!("{code:?} is not an ISO 3166-1 alpha-2 country code"),
                    Some(code),
                    fixable,
                );
            } else if let Some(allowed) = &cfg.allowed
                && !allowed.iter().any(|c| c == code)
            {
                s.flag(
                    path,
                    || {
                        format!(
                            "{code} is not one of the allowed countries ({})",
                            allowed.join(", ")
                        )
                    },
                    Some(code),
                    false,
                );
            }
        }
        _ => {
            if let Some(name) = a.country.as_deref().filter(|n| !refdata::blank(n)) {
                let fixable = refdata::country_code_for(name).is_some();
                s.flag(
                    path,
                    || format!("the country is only named ({name:?}), with no ISO code"),
                    Some(name),
                    fixable,
                );
            }
        }
    }
}

fn postal(s: &mut Sink, prefix: &str, a: &Address) {
    let (Some(code), Some(country)) = (a.postal_code.as_deref(), a.country_code.as_deref()) else {
        return;
    };
    if refdata::blank(code) {
        return;
    }
    let &[a, b] = refdata::trimmed(country).as_bytes() else {
        return;
    };
    let up = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
    if let Some(formats) = refdata::postal_formats_for(&up)
        && !refdata::postal_matches(code, formats)
    {
        s.flag(
            || format!("{prefix}.postal_code"),
            || {
                format!(
                    "{code:?} is not a {}{} postal code",
                    char::from(up[0]),
                    char::from(up[1])
                )
            },
            Some(code),
            false,
        );
    }
}

fn phone(s: &mut Sink, path: &dyn Fn() -> String, phone: &Option<String>) {
    let Some(p) = phone.as_deref().filter(|p| !refdata::blank(p)) else {
        return;
    };
    if let Some(why) = refdata::phone_problem(p) {
        s.flag(
            path,
            || format!("{p:?} is not a plausible phone number: {why}"),
            Some(p),
            false,
        );
    }
}

/// Flags the dates after `limit`: the run's time plus the rule's `max_future_skew`,
/// worked out once a run.
fn future(s: &mut Sink, limit: Timestamp, dates: &[(&'static str, Option<Timestamp>)]) {
    for (name, t) in dates {
        if let Some(t) = t
            && *t > limit
        {
            s.flag(
                || (*name).into(),
                || format!("{name} {} is in the future", t.to_rfc3339()),
                Some(&t.to_rfc3339()),
                false,
            );
        }
    }
}

fn updated_before(s: &mut Sink, created: Option<Timestamp>, updated: Option<Timestamp>) {
    if let (Some(c), Some(u)) = (created, updated)
        && u < c
    {
        s.flag(
            || "updated_at".into(),
            || {
                format!(
                    "modified {} before it was created {}",
                    u.to_rfc3339(),
                    c.to_rfc3339()
                )
            },
            Some(&u.to_rfc3339()),
            false,
        );
    }
}

fn whitespace(s: &mut Sink, fields: &[(&dyn Fn() -> String, Option<&str>)]) {
    for (path, v) in fields {
        if let Some(t) = *v
            && super::cleanse::tidy(t).is_some()
        {
            s.flag(
                *path,
                || format!("{t:?} has stray whitespace"),
                Some(t),
                true,
            );
        }
    }
}

/// Whether `a` and `b` differ by more than `tol`.
fn over(a: Decimal, b: Decimal, tol: Decimal) -> bool {
    Fx::of(a)
        .differs(Fx::of(b), Fx::of(tol))
        .unwrap_or_else(|| (a - b).abs() > tol)
}

/// Exact decimal arithmetic on (mantissa, scale) pairs held in an `i64`: money has two to
/// four decimals, so the rules' sums and products fit and cost a few instructions instead
/// of `Decimal`'s general arithmetic. Every operation returns `None` where it would
/// overflow; the rules then do the same sum in `Decimal`.
#[derive(Clone, Copy)]
struct Fx {
    m: i64,
    s: u32,
}

const POW10: [i64; 19] = {
    let mut t = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

impl Fx {
    #[inline]
    fn of(d: Decimal) -> Fx {
        match i64::try_from(d.mantissa()) {
            Ok(m) => Fx { m, s: d.scale() },
            // Out of range: a scale no other operand can reach makes every operation fail.
            Err(_) => Fx { m: 0, s: 99 },
        }
    }

    #[inline]
    fn at(self, s: u32) -> Option<i64> {
        if s == self.s {
            return Some(self.m);
        }
        let p = *POW10.get(s.checked_sub(self.s)? as usize)?;
        self.m.checked_mul(p)
    }

    #[inline]
    fn add(self, o: Fx) -> Option<Fx> {
        let s = self.s.max(o.s);
        Some(Fx {
            m: self.at(s)?.checked_add(o.at(s)?)?,
            s,
        })
    }

    #[inline]
    fn sub(self, o: Fx) -> Option<Fx> {
        let s = self.s.max(o.s);
        Some(Fx {
            m: self.at(s)?.checked_sub(o.at(s)?)?,
            s,
        })
    }

    #[inline]
    fn mul(self, o: Fx) -> Option<Fx> {
        let s = self.s + o.s;
        (s < 19).then_some(())?;
        Some(Fx {
            m: self.m.checked_mul(o.m)?,
            s,
        })
    }

    /// `|self - o| > tol`.
    #[inline]
    fn differs(self, o: Fx, tol: Fx) -> Option<bool> {
        let d = self.sub(o)?;
        let s = d.s.max(tol.s);
        Some(d.at(s)?.checked_abs()? > tol.at(s)?)
    }
}

/// The sum of some amounts, exactly.
fn sum(amounts: impl Iterator<Item = Decimal> + Clone) -> Decimal {
    let mut acc = Some(Fx { m: 0, s: 0 });
    for a in amounts.clone() {
        acc = acc.and_then(|x| x.add(Fx::of(a)));
    }
    match acc {
        Some(f) if f.s <= 28 => Decimal::new(f.m, f.s),
        _ => amounts.sum(),
    }
}

// ---- what a run remembers ----------------------------------------------------------------

/// Values seen per platform and store. Most batches hold one store, so the store is
/// found once (the last one is tried first) and only the values are hashed.
pub(crate) struct PerStore<'r, V> {
    stores: Vec<(PlatformKind, &'r str, FxHashMap<&'r str, V>)>,
    last: usize,
    capacity: usize,
}

impl<V> Default for PerStore<'_, V> {
    fn default() -> Self {
        PerStore::with_capacity(0)
    }
}

impl<'r, V> PerStore<'r, V> {
    fn with_capacity(capacity: usize) -> Self {
        PerStore {
            stores: Vec::new(),
            last: 0,
            capacity,
        }
    }

    fn map(&mut self, platform: PlatformKind, store: &'r str) -> &mut FxHashMap<&'r str, V> {
        let hit = |(p, s, _): &(PlatformKind, &str, _)| *p == platform && *s == store;
        if !self.stores.get(self.last).is_some_and(hit) {
            self.last = match self.stores.iter().position(hit) {
                Some(i) => i,
                None => {
                    let map =
                        FxHashMap::with_capacity_and_hasher(self.capacity, Default::default());
                    self.stores.push((platform, store, map));
                    self.stores.len() - 1
                }
            };
        }
        &mut self.stores[self.last].2
    }
}

/// What the set-level rules have seen so far in one run.
#[derive(Default)]
pub(crate) struct State<'r> {
    ids: PerStore<'r, usize>,
    numbers: PerStore<'r, &'r str>,
    emails: FxHashMap<(PlatformKind, &'r str, String), &'r str>,
    skus: FxHashMap<(PlatformKind, &'r str, &'r str), (&'r str, Option<&'r str>)>,
    refunded: FxHashMap<(PlatformKind, &'r str, &'r str), Decimal>,
    /// The sum of the current order's line subtotals (two rules need it).
    line_subtotals: Option<(usize, Decimal)>,
}

impl<'r> State<'r> {
    /// State for a run over `n` records (the id maps are sized once).
    pub(crate) fn with_capacity(n: usize) -> Self {
        State {
            ids: PerStore::with_capacity(n),
            numbers: PerStore::with_capacity(n),
            ..State::default()
        }
    }

    fn duplicate_id(
        &mut self,
        s: &mut Sink,
        platform: PlatformKind,
        store: &'r str,
        id: &'r str,
        index: usize,
    ) {
        use std::collections::hash_map::Entry;
        match self.ids.map(platform, store).entry(id) {
            Entry::Occupied(e) => {
                let first = *e.get();
                s.flag(
                    || "source.id".into(),
                    || format!("id {id} already appears at position {first}"),
                    Some(id),
                    false,
                );
            }
            Entry::Vacant(e) => {
                e.insert(index);
            }
        }
    }

    fn line_subtotals(&mut self, index: usize, o: &Order) -> Decimal {
        match self.line_subtotals {
            Some((i, sum)) if i == index => sum,
            _ => {
                let sum = sum(o.line_items.iter().map(|l| l.subtotal.amount));
                self.line_subtotals = Some((index, sum));
                sum
            }
        }
    }

    /// A SKU used by another product, or by another variant of the same product.
    fn sku(
        &mut self,
        s: &mut Sink,
        platform: PlatformKind,
        store: &'r str,
        sku: &'r str,
        owner: (&'r str, Option<&'r str>),
        path: &dyn Fn() -> String,
    ) {
        let sku_key = sku.trim();
        if sku_key.is_empty() {
            return;
        }
        match self.skus.get(&(platform, store, sku_key)) {
            Some(&(product, variant)) => {
                let same_item = product == owner.0
                    && (variant.is_none() || owner.1.is_none() || variant == owner.1);
                if !same_item {
                    s.flag(
                        path,
                        || match variant {
                            Some(v) => format!(
                                "SKU {sku:?} is already used by variant {v} of product {product}"
                            ),
                            None => format!("SKU {sku:?} is already used by product {product}"),
                        },
                        Some(sku),
                        false,
                    );
                }
            }
            None => {
                self.skus.insert((platform, store, sku_key), owner);
            }
        }
    }
}

// ---- orders ------------------------------------------------------------------------------

/// Every amount of an order, with its place: (list, position, field).
fn order_amounts(
    o: &Order,
) -> impl Iterator<Item = (&'static str, Option<usize>, &'static str, &Money)> {
    let lines = o.line_items.iter().enumerate().flat_map(|(i, l)| {
        [
            ("unit_price", &l.unit_price),
            ("subtotal", &l.subtotal),
            ("discount", &l.discount),
            ("tax", &l.tax),
            ("total", &l.total),
        ]
        .into_iter()
        .map(move |(n, m)| ("line_items", Some(i), n, m))
    });
    let shipping = o.shipping_lines.iter().enumerate().flat_map(|(i, l)| {
        [
            ("amount", &l.amount),
            ("discount", &l.discount),
            ("tax", &l.tax),
        ]
        .into_iter()
        .map(move |(n, m)| ("shipping_lines", Some(i), n, m))
    });
    let fees = o.fee_lines.iter().enumerate().flat_map(|(i, l)| {
        [("amount", &l.amount), ("tax", &l.tax)]
            .into_iter()
            .map(move |(n, m)| ("fee_lines", Some(i), n, m))
    });
    let taxes = o.tax_lines.iter().enumerate().flat_map(|(i, l)| {
        [
            ("amount", &l.amount),
            ("shipping_amount", &l.shipping_amount),
        ]
        .into_iter()
        .map(move |(n, m)| ("tax_lines", Some(i), n, m))
    });
    let totals = [
        ("subtotal", &o.subtotal),
        ("discount_total", &o.discount_total),
        ("shipping_total", &o.shipping_total),
        ("fee_total", &o.fee_total),
        ("tax_total", &o.tax_total),
        ("total", &o.total),
        ("refunded_total", &o.refunded_total),
    ]
    .into_iter()
    .map(|(n, m)| ("", None, n, m));
    lines.chain(shipping).chain(fees).chain(taxes).chain(totals)
}

fn amount_path(list: &str, i: Option<usize>, field: &str) -> String {
    match i {
        Some(i) => format!("{list}[{i}].{field}"),
        None => field.to_owned(),
    }
}

/// Runs one order rule on one order.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn order<'r>(
    rule: Builtin,
    cfg: &RuleConfig,
    o: &'r Order,
    index: usize,
    st: &mut State<'r>,
    refs: &Reference,
    at: Timestamp,
    s: &mut Sink,
) {
    use Builtin as B;
    let tol = cfg.tolerance;
    let cur = o.currency;
    match rule {
        B::OrderRequired => required(cfg, s, |f| order_present(o, f)),
        B::OrderEmailSyntax => email_syntax(s, "email", &o.email),
        B::OrderEmailPlaceholder => email_placeholder(s, "email", &o.email),
        B::OrderCurrency => currency_code(s, cfg, &|| "currency".into(), cur.as_str()),
        B::OrderCurrencyConsistent => {
            let mut other = order_amounts(o).filter(|(_, _, _, m)| m.currency != o.currency);
            if let Some((list, i, field, m)) = other.next() {
                let more = other.count();
                let path = amount_path(list, i, field);
                s.flag(
                    || path.clone(),
                    || {
                        let also = if more > 0 {
                            format!(" (and {more} other amounts)")
                        } else {
                            String::new()
                        };
                        format!(
                            "{path} is in {} but the order is in {cur}{also}",
                            m.currency
                        )
                    },
                    Some(m.currency.as_str()),
                    false,
                );
            }
        }
        B::OrderCountry => {
            if let Some(a) = &o.billing_address {
                country(s, cfg, "billing_address", a);
            }
            if let Some(a) = &o.shipping_address {
                country(s, cfg, "shipping_address", a);
            }
        }
        B::OrderPostalCode => {
            if let Some(a) = &o.billing_address {
                postal(s, "billing_address", a);
            }
            if let Some(a) = &o.shipping_address {
                postal(s, "shipping_address", a);
            }
        }
        B::OrderPhone => {
            if let Some(a) = &o.billing_address {
                phone(s, &|| "billing_address.phone".into(), &a.phone);
            }
        }
        B::OrderTotal => {
            let lines = if o.line_items.is_empty() {
                o.subtotal.amount
            } else {
                st.line_subtotals(index, o)
            };
            let tax = if o.prices_include_tax {
                Decimal::ZERO
            } else {
                o.tax_total.amount
            };
            let expected = Fx::of(lines)
                .sub(Fx::of(o.discount_total.amount))
                .and_then(|x| x.add(Fx::of(o.shipping_total.amount)))
                .and_then(|x| x.add(Fx::of(o.fee_total.amount)))
                .and_then(|x| x.add(Fx::of(tax)))
                .and_then(|x| (x.s <= 28).then(|| Decimal::new(x.m, x.s)))
                .unwrap_or_else(|| {
                    lines - o.discount_total.amount
                        + o.shipping_total.amount
                        + o.fee_total.amount
                        + tax
                });
            if over(o.total.amount, expected, tol) {
                s.flag(
                    || "total".into(),
                    || {
                        format!(
                            "total {} {cur} but lines {lines} - discounts {} + shipping {} + fees {} + tax {tax} = {expected}",
                            o.total.amount, o.discount_total.amount, o.shipping_total.amount, o.fee_total.amount
                        )
                    },
                    Some(&o.total.amount.to_string()),
                    false,
                );
            }
        }
        B::OrderSubtotal => {
            if !o.line_items.is_empty() {
                let lines = st.line_subtotals(index, o);
                if over(o.subtotal.amount, lines, tol) {
                    s.flag(
                        || "subtotal".into(),
                        || {
                            format!(
                                "subtotal {} {cur} but the lines' subtotals add up to {lines}",
                                o.subtotal.amount
                            )
                        },
                        Some(&o.subtotal.amount.to_string()),
                        o.subtotal.amount.is_zero(),
                    );
                }
            }
        }
        B::OrderLineTotal => {
            for (i, l) in o.line_items.iter().enumerate() {
                let line_tol = if l.quantity.abs() > Decimal::ONE {
                    l.quantity.abs()
                } else {
                    Decimal::ONE
                };
                let fast = Fx::of(l.quantity)
                    .mul(Fx::of(l.unit_price.amount))
                    .and_then(|x| x.sub(Fx::of(l.discount.amount)))
                    .zip(Fx::of(tol).mul(Fx::of(line_tol)))
                    .and_then(|(e, t)| Fx::of(l.total.amount).differs(e, t));
                let wrong = fast.unwrap_or_else(|| {
                    over(
                        l.total.amount,
                        l.quantity * l.unit_price.amount - l.discount.amount,
                        tol * line_tol,
                    )
                });
                if wrong {
                    let expected = l.quantity * l.unit_price.amount - l.discount.amount;
                    let fixable = l.total.amount.is_zero() && l.discount.amount.is_zero();
                    s.flag(
                        || format!("line_items[{i}].total"),
                        || {
                            format!(
                                "line total {} but {} x {} - discount {} = {expected}",
                                l.total.amount, l.quantity, l.unit_price.amount, l.discount.amount
                            )
                        },
                        Some(&l.total.amount.to_string()),
                        fixable,
                    );
                }
            }
        }
        B::OrderQuantity => {
            for (i, l) in o.line_items.iter().enumerate() {
                if l.quantity.is_sign_negative() || l.quantity.is_zero() {
                    s.flag(
                        || format!("line_items[{i}].quantity"),
                        || format!("line {:?} sells quantity {}", l.name, l.quantity),
                        Some(&l.quantity.to_string()),
                        false,
                    );
                }
            }
        }
        B::OrderAmounts => {
            let checked = o
                .line_items
                .iter()
                .enumerate()
                .flat_map(|(i, l)| [(i, "unit_price", &l.unit_price), (i, "total", &l.total)])
                .map(|(i, n, m)| (Some(i), n, m))
                .chain(
                    [
                        ("shipping_total", &o.shipping_total),
                        ("tax_total", &o.tax_total),
                        ("subtotal", &o.subtotal),
                        ("total", &o.total),
                    ]
                    .into_iter()
                    .map(|(n, m)| (None, n, m)),
                );
            for (i, name, m) in checked {
                if m.amount.is_sign_negative() && !m.amount.is_zero() {
                    s.flag(
                        || match i {
                            Some(i) => format!("line_items[{i}].{name}"),
                            None => name.to_owned(),
                        },
                        || format!("{name} is negative: {}", m.amount),
                        Some(&m.amount.to_string()),
                        false,
                    );
                }
            }
        }
        B::OrderRefundAbovePaid => {
            let listed: Decimal = o.refunds.iter().map(|r| r.amount.amount).sum();
            let refunded = o.refunded_total.amount.max(listed);
            if refunded > o.total.amount + tol {
                s.flag(
                    || "refunded_total".into(),
                    || {
                        format!(
                            "{refunded} {cur} refunded on an order of {}",
                            o.total.amount
                        )
                    },
                    Some(&refunded.to_string()),
                    false,
                );
            }
        }
        B::OrderFutureDate => future(
            s,
            at,
            &[
                ("created_at", Some(o.created_at)),
                ("updated_at", o.updated_at),
                ("paid_at", o.paid_at),
                ("completed_at", o.completed_at),
                ("cancelled_at", o.cancelled_at),
            ],
        ),
        B::OrderUpdatedBeforeCreated => {
            updated_before(s, Some(o.created_at), o.updated_at);
            if let Some(c) = o.completed_at
                && c < o.created_at
            {
                s.flag(
                    || "completed_at".into(),
                    || {
                        format!(
                            "completed {} before it was created {}",
                            c.to_rfc3339(),
                            o.created_at.to_rfc3339()
                        )
                    },
                    Some(&c.to_rfc3339()),
                    false,
                );
            }
        }
        B::OrderCompletedUnpaid => {
            let paid_status = matches!(
                o.payment_status,
                Some(
                    PaymentStatus::Paid
                        | PaymentStatus::PartiallyRefunded
                        | PaymentStatus::Refunded
                )
            );
            if o.status == OrderStatus::Completed
                && o.source.platform != PlatformKind::Magento
                && o.paid_at.is_none()
                && !paid_status
                && !o.total.amount.is_zero()
            {
                s.flag(
                    || "paid_at".into(),
                    || {
                        format!(
                            "completed order of {} {cur} with no payment date",
                            o.total.amount
                        )
                    },
                    None,
                    false,
                );
            }
        }
        B::OrderStatusRefund => {
            let refunded = o.refunded_total.amount;
            if o.status == OrderStatus::Refunded && refunded.is_zero() && !o.total.amount.is_zero()
            {
                s.flag(
                    || "status".into(),
                    || {
                        format!(
                            "status is refunded ({:?}) but nothing was refunded",
                            o.platform_status
                        )
                    },
                    Some(&o.platform_status),
                    false,
                );
            } else if o.total.amount > Decimal::ZERO
                && refunded + tol >= o.total.amount
                && !matches!(o.status, OrderStatus::Refunded | OrderStatus::Cancelled)
            {
                s.flag(
                    || "status".into(),
                    || {
                        format!(
                            "all of {} {cur} was refunded but the status is {:?}",
                            o.total.amount, o.platform_status
                        )
                    },
                    Some(&o.platform_status),
                    false,
                );
            }
        }
        B::OrderStalePending => {
            if matches!(o.status, OrderStatus::Pending | OrderStatus::OnHold)
                // `at` is the run's time minus the rule's `days`, worked out once a run.
                && o.created_at < at
            {
                let age = (at - o.created_at).num_days() + cfg.days;
                s.flag(
                    || "status".into(),
                    || {
                        format!(
                            "{:?} for {age} days (since {})",
                            o.platform_status,
                            o.created_at.date_naive()
                        )
                    },
                    Some(&o.platform_status),
                    false,
                );
            }
        }
        B::OrderDuplicateId => {
            st.duplicate_id(s, o.source.platform, &o.source.store, &o.source.id, index)
        }
        B::OrderDuplicateNumber => {
            if let Some(n) = o.number.as_deref().filter(|n| !n.is_empty()) {
                use std::collections::hash_map::Entry;
                match st.numbers.map(o.source.platform, &o.source.store).entry(n) {
                    Entry::Occupied(e) => {
                        let other = *e.get();
                        if other != o.source.id {
                            s.flag(
                                || "number".into(),
                                || format!("number {n} is also order {other}'s"),
                                Some(n),
                                false,
                            );
                        }
                    }
                    Entry::Vacant(e) => {
                        e.insert(&o.source.id);
                    }
                }
            }
        }
        B::OrderLineSku => {
            for (i, l) in o.line_items.iter().enumerate() {
                if !text_present(&l.sku) {
                    s.flag(
                        || format!("line_items[{i}].sku"),
                        || format!("line {:?} has no SKU", l.name),
                        None,
                        false,
                    );
                }
            }
        }
        B::OrderUnknownCustomer => {
            if let (Some(known), Some(id)) = (&refs.customers, o.customer_id.as_deref())
                && !known.contains(o.source.platform, &o.source.store, id)
            {
                s.flag(
                    || "customer_id".into(),
                    || format!("customer {id} is not among the customers checked"),
                    Some(id),
                    false,
                );
            }
        }
        B::OrderUnknownProduct => {
            let Some(known) = &refs.products else { return };
            for (i, l) in o.line_items.iter().enumerate() {
                if let Some(pid) = l.product_id.as_deref()
                    && !known.contains(o.source.platform, &o.source.store, pid)
                {
                    s.flag(
                        || format!("line_items[{i}].product_id"),
                        || format!("line {:?} is for product {pid}, which is not among the products checked", l.name),
                        Some(pid),
                        false,
                    );
                } else if let (Some(vid), Some(variants)) =
                    (l.variant_id.as_deref(), &refs.variants)
                    && !variants.contains(o.source.platform, &o.source.store, vid)
                {
                    s.flag(
                        || format!("line_items[{i}].variant_id"),
                        || format!("line {:?} is for variant {vid}, which is not among the products checked", l.name),
                        Some(vid),
                        false,
                    );
                }
            }
        }
        _ => {}
    }
}

// ---- customers ---------------------------------------------------------------------------

fn distinct_addresses(c: &Customer) -> Vec<(String, &Address)> {
    let mut out: Vec<(String, &Address)> = Vec::new();
    if let Some(a) = &c.billing_address {
        out.push(("billing_address".into(), a));
    }
    if let Some(a) = &c.shipping_address
        && !out.iter().any(|(_, b)| *b == a)
    {
        out.push(("shipping_address".into(), a));
    }
    for (i, a) in c.addresses.iter().enumerate() {
        if !out.iter().any(|(_, b)| *b == a) {
            out.push((format!("addresses[{i}]"), a));
        }
    }
    out
}

/// Runs one customer rule on one customer.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn customer<'r>(
    rule: Builtin,
    cfg: &RuleConfig,
    c: &'r Customer,
    index: usize,
    st: &mut State<'r>,
    at: Timestamp,
    s: &mut Sink,
) {
    use Builtin as B;
    match rule {
        B::CustomerRequired => required(cfg, s, |f| customer_present(c, f)),
        B::CustomerEmailSyntax => email_syntax(s, "email", &c.email),
        B::CustomerEmailPlaceholder => email_placeholder(s, "email", &c.email),
        B::CustomerEmailNormalized => {
            if let Some(e) = c.email.as_deref() {
                let norm = e.trim().to_lowercase();
                if norm != e && refdata::email_valid(&norm) {
                    s.flag(
                        || "email".into(),
                        || format!("{e:?} is stored as {norm:?} once normalized"),
                        Some(e),
                        true,
                    );
                }
            }
        }
        B::CustomerWhitespace => {
            whitespace(
                s,
                &[
                    (&|| "first_name".into(), c.first_name.as_deref()),
                    (&|| "last_name".into(), c.last_name.as_deref()),
                    (&|| "phone".into(), c.phone.as_deref()),
                ],
            );
            for (prefix, a) in distinct_addresses(c) {
                let p = |f: &'static str| {
                    let prefix = prefix.clone();
                    move || format!("{prefix}.{f}")
                };
                whitespace(
                    s,
                    &[
                        (&p("first_name"), a.first_name.as_deref()),
                        (&p("last_name"), a.last_name.as_deref()),
                        (&p("line1"), a.line1.as_deref()),
                        (&p("city"), a.city.as_deref()),
                        (&p("postal_code"), a.postal_code.as_deref()),
                    ],
                );
            }
        }
        B::CustomerPhone => {
            phone(s, &|| "phone".into(), &c.phone);
            for (prefix, a) in distinct_addresses(c) {
                if a.phone != c.phone {
                    phone(s, &|| format!("{prefix}.phone"), &a.phone);
                }
            }
        }
        B::CustomerCountry => {
            for (prefix, a) in distinct_addresses(c) {
                country(s, cfg, &prefix, a);
            }
        }
        B::CustomerPostalCode => {
            for (prefix, a) in distinct_addresses(c) {
                postal(s, &prefix, a);
            }
        }
        B::CustomerAddressComplete => {
            for (prefix, a) in distinct_addresses(c) {
                let mut missing: Vec<&str> = ["line1", "city", "country_code"]
                    .into_iter()
                    .filter(|f| !address_field(a, f))
                    .collect();
                let has_postal_codes = a
                    .country_code
                    .as_deref()
                    .is_some_and(|cc| refdata::postal_formats(&cc.to_ascii_uppercase()).is_some());
                if has_postal_codes && !address_field(a, "postal_code") {
                    missing.push("postal_code");
                }
                if !missing.is_empty() {
                    s.flag(
                        || prefix.clone(),
                        || format!("the address has no {}", missing.join(", ")),
                        None,
                        false,
                    );
                }
            }
        }
        B::CustomerFutureDate => future(
            s,
            at,
            &[("created_at", c.created_at), ("updated_at", c.updated_at)],
        ),
        B::CustomerUpdatedBeforeCreated => updated_before(s, c.created_at, c.updated_at),
        B::CustomerSpentWithoutOrders => {
            if let Some(spent) = &c.total_spent {
                if spent.amount < Decimal::ZERO {
                    s.flag(
                        || "total_spent".into(),
                        || format!("amount spent is negative: {spent}"),
                        Some(&spent.amount.to_string()),
                        false,
                    );
                } else if spent.amount > Decimal::ZERO && c.orders_count == Some(0) {
                    s.flag(
                        || "total_spent".into(),
                        || format!("{spent} spent with no orders"),
                        Some(&spent.amount.to_string()),
                        false,
                    );
                }
            }
        }
        B::CustomerCurrency => {
            if let Some(m) = &c.total_spent {
                currency_code(
                    s,
                    cfg,
                    &|| "total_spent.currency".into(),
                    m.currency.as_str(),
                );
            }
        }
        B::CustomerDuplicateId => {
            st.duplicate_id(s, c.source.platform, &c.source.store, &c.source.id, index)
        }
        B::CustomerDuplicateEmail => {
            if let Some(e) = c.email.as_deref() {
                let norm = e.trim().to_lowercase();
                if norm.is_empty() {
                    return;
                }
                let key = (c.source.platform, c.source.store.as_str(), norm);
                match st.emails.get(&key) {
                    Some(other) if *other != c.source.id => {
                        let other = *other;
                        s.flag(
                            || "email".into(),
                            || format!("{e:?} is also customer {other}'s address"),
                            Some(e),
                            false,
                        );
                    }
                    Some(_) => {}
                    None => {
                        st.emails.insert(key, &c.source.id);
                    }
                }
            }
        }
        _ => {}
    }
}

// ---- products ----------------------------------------------------------------------------

/// The path of a product's field, or of its `i`th variant's.
fn variant_path(variant: Option<usize>, field: &str) -> String {
    match variant {
        Some(i) => format!("variants[{i}].{field}"),
        None => field.to_owned(),
    }
}

fn negative_prices(
    s: &mut Sink,
    variant: Option<usize>,
    price: Option<Decimal>,
    regular: Option<Decimal>,
) {
    for (name, v) in [("price", price), ("regular_price", regular)] {
        if let Some(v) = v
            && v < Decimal::ZERO
        {
            s.flag(
                || variant_path(variant, name),
                || format!("{name} is negative: {v}"),
                Some(&v.to_string()),
                false,
            );
        }
    }
}

fn sale_above_regular(
    s: &mut Sink,
    variant: Option<usize>,
    price: Option<Decimal>,
    regular: Option<Decimal>,
) {
    if let (Some(p), Some(r)) = (price, regular)
        && r > Decimal::ZERO
        && p > r
    {
        s.flag(
            || variant_path(variant, "price"),
            || format!("selling price {p} is above the regular price {r}"),
            Some(&p.to_string()),
            false,
        );
    }
}

fn negative_stock(s: &mut Sink, path: &dyn Fn() -> String, what: &str, stock: Option<i64>) {
    if let Some(q) = stock
        && q < 0
    {
        s.flag(
            path,
            || format!("{what} is {q}"),
            Some(&q.to_string()),
            false,
        );
    }
}

/// Runs one product rule on one product.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn product<'r>(
    rule: Builtin,
    cfg: &RuleConfig,
    p: &'r Product,
    index: usize,
    st: &mut State<'r>,
    at: Timestamp,
    s: &mut Sink,
) {
    use Builtin as B;
    let (platform, store) = (p.source.platform, p.source.store.as_str());
    match rule {
        B::ProductRequired => required(cfg, s, |f| product_present(p, f)),
        B::ProductPricePresent => {
            if p.kind == ProductKind::Simple
                && p.status == ProductStatus::Active
                && p.price.is_none()
                && p.variants.is_empty()
            {
                s.flag(
                    || "price".into(),
                    || format!("active product {:?} has no price", p.name),
                    None,
                    false,
                );
            }
        }
        B::ProductSkuPresent => {
            if p.kind == ProductKind::Simple && p.variants.is_empty() && !text_present(&p.sku) {
                s.flag(
                    || "sku".into(),
                    || format!("product {:?} has no SKU", p.name),
                    None,
                    false,
                );
            }
            for (i, v) in p.variants.iter().enumerate() {
                if !text_present(&v.sku) {
                    s.flag(
                        || format!("variants[{i}].sku"),
                        || {
                            format!(
                                "variant {:?} has no SKU",
                                v.title.as_deref().unwrap_or(&v.source.id)
                            )
                        },
                        None,
                        false,
                    );
                }
            }
        }
        B::ProductSkuUnique => {
            if let Some(sku) = p.sku.as_deref() {
                st.sku(s, platform, store, sku, (&p.source.id, None), &|| {
                    "sku".into()
                });
            }
            for (i, v) in p.variants.iter().enumerate() {
                if let Some(sku) = v.sku.as_deref() {
                    st.sku(
                        s,
                        platform,
                        store,
                        sku,
                        (&p.source.id, Some(&v.source.id)),
                        &|| format!("variants[{i}].sku"),
                    );
                }
            }
        }
        B::ProductDuplicateId => st.duplicate_id(s, platform, store, &p.source.id, index),
        B::ProductPriceNonNegative => {
            negative_prices(s, None, p.price, p.regular_price);
            for (i, v) in p.variants.iter().enumerate() {
                negative_prices(s, Some(i), v.price, v.regular_price);
            }
        }
        B::ProductSaleAboveRegular => {
            sale_above_regular(s, None, p.price, p.regular_price);
            for (i, v) in p.variants.iter().enumerate() {
                sale_above_regular(s, Some(i), v.price, v.regular_price);
            }
        }
        B::ProductVariantRange => {
            let prices = p.variants.iter().filter_map(|v| v.price);
            let (min, max) = prices.fold(
                (None, None),
                |(lo, hi): (Option<Decimal>, Option<Decimal>), x| {
                    (
                        Some(lo.map_or(x, |l| l.min(x))),
                        Some(hi.map_or(x, |h| h.max(x))),
                    )
                },
            );
            if let (Some(price), Some(min), Some(max)) = (p.price, min, max)
                && (price < min || price > max)
            {
                s.flag(
                    || "price".into(),
                    || format!("price {price} is outside its variants' prices {min} to {max}"),
                    Some(&price.to_string()),
                    false,
                );
            }
        }
        B::ProductCurrency => {
            if let Some(c) = p.currency {
                currency_code(s, cfg, &|| "currency".into(), c.as_str());
            }
            for (i, v) in p.variants.iter().enumerate() {
                if let Some(c) = v.currency
                    && Some(c) != p.currency
                {
                    currency_code(s, cfg, &|| format!("variants[{i}].currency"), c.as_str());
                }
            }
        }
        B::ProductNegativeStock => {
            negative_stock(
                s,
                &|| "inventory_quantity".into(),
                "stock",
                p.inventory_quantity,
            );
            for (i, v) in p.variants.iter().enumerate() {
                negative_stock(
                    s,
                    &|| variant_path(Some(i), "inventory_quantity"),
                    "variant stock",
                    v.inventory_quantity,
                );
            }
        }
        B::ProductFutureDate => future(
            s,
            at,
            &[("created_at", p.created_at), ("updated_at", p.updated_at)],
        ),
        B::ProductUpdatedBeforeCreated => updated_before(s, p.created_at, p.updated_at),
        B::ProductVariantsListed => {
            if !p.variants.is_empty() && !p.variant_ids.is_empty() {
                for (i, v) in p.variants.iter().enumerate() {
                    if !p.variant_ids.contains(&v.source.id) {
                        s.flag(
                            || format!("variants[{i}]"),
                            || {
                                format!(
                                    "variant {} is not in the product's variant ids",
                                    v.source.id
                                )
                            },
                            Some(&v.source.id),
                            false,
                        );
                    }
                }
            }
        }
        B::ProductVariableWithoutVariants => {
            if p.kind == ProductKind::Variable && p.variant_ids.is_empty() && p.variants.is_empty()
            {
                s.flag(
                    || "variant_ids".into(),
                    || format!("variable product {:?} has no variants", p.name),
                    None,
                    false,
                );
            }
        }
        B::ProductWhitespace => whitespace(
            s,
            &[
                (&|| "name".into(), Some(p.name.as_str())),
                (&|| "sku".into(), p.sku.as_deref()),
            ],
        ),
        _ => {}
    }
}

// ---- variants ----------------------------------------------------------------------------

/// Runs one variant rule on one variant.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn variant<'r>(
    rule: Builtin,
    cfg: &RuleConfig,
    v: &'r Variant,
    index: usize,
    st: &mut State<'r>,
    refs: &Reference,
    at: Timestamp,
    s: &mut Sink,
) {
    use Builtin as B;
    let (platform, store) = (v.source.platform, v.source.store.as_str());
    match rule {
        B::VariantRequired => required(cfg, s, |f| variant_present(v, f)),
        B::VariantPriceNonNegative => negative_prices(s, None, v.price, v.regular_price),
        B::VariantSaleAboveRegular => sale_above_regular(s, None, v.price, v.regular_price),
        B::VariantNegativeStock => negative_stock(
            s,
            &|| "inventory_quantity".into(),
            "stock",
            v.inventory_quantity,
        ),
        B::VariantCurrency => {
            if let Some(c) = v.currency {
                currency_code(s, cfg, &|| "currency".into(), c.as_str());
            }
        }
        B::VariantFutureDate => future(
            s,
            at,
            &[("created_at", v.created_at), ("updated_at", v.updated_at)],
        ),
        B::VariantDuplicateId => st.duplicate_id(s, platform, store, &v.source.id, index),
        B::VariantSkuUnique => {
            if let Some(sku) = v.sku.as_deref() {
                let owner = v.product_id.as_deref().unwrap_or("");
                st.sku(
                    s,
                    platform,
                    store,
                    sku,
                    (owner, Some(&v.source.id)),
                    &|| "sku".into(),
                );
            }
        }
        B::VariantUnknownProduct => {
            if let (Some(known), Some(pid)) = (&refs.products, v.product_id.as_deref())
                && !known.contains(platform, store, pid)
            {
                s.flag(
                    || "product_id".into(),
                    || format!("product {pid} is not among the products checked"),
                    Some(pid),
                    false,
                );
            }
        }
        _ => {}
    }
}

// ---- refunds -----------------------------------------------------------------------------

/// Runs one refund rule on one refund.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn refund<'r>(
    rule: Builtin,
    cfg: &RuleConfig,
    r: &'r Refund,
    index: usize,
    st: &mut State<'r>,
    refs: &Reference,
    at: Timestamp,
    s: &mut Sink,
) {
    use Builtin as B;
    let (platform, store) = (r.source.platform, r.source.store.as_str());
    match rule {
        B::RefundRequired => required(cfg, s, |f| refund_present(r, f)),
        B::RefundAmountPositive => {
            if r.amount.amount <= Decimal::ZERO {
                s.flag(
                    || "amount".into(),
                    || format!("refund of {}", r.amount),
                    Some(&r.amount.amount.to_string()),
                    false,
                );
            }
        }
        B::RefundLinesMatch => {
            if !r.line_items.is_empty() {
                let lines: Decimal = r.line_items.iter().map(|l| l.total.amount).sum();
                let refunded = lines + r.shipping.amount;
                if refunded > r.amount.amount + cfg.tolerance {
                    s.flag(
                        || "amount".into(),
                        || format!("lines {lines} + shipping {} = {refunded}, more than the {} refunded", r.shipping.amount, r.amount.amount),
                        Some(&r.amount.amount.to_string()),
                        false,
                    );
                }
            }
        }
        B::RefundQuantityPositive => {
            for (i, l) in r.line_items.iter().enumerate() {
                if l.quantity.is_sign_negative() || l.quantity.is_zero() {
                    s.flag(
                        || format!("line_items[{i}].quantity"),
                        || format!("refunded line returns quantity {}", l.quantity),
                        Some(&l.quantity.to_string()),
                        false,
                    );
                }
            }
        }
        B::RefundCurrency => currency_code(
            s,
            cfg,
            &|| "amount.currency".into(),
            r.amount.currency.as_str(),
        ),
        B::RefundFutureDate => future(
            s,
            at,
            &[
                ("created_at", Some(r.created_at)),
                ("processed_at", r.processed_at),
            ],
        ),
        B::RefundDuplicateId => st.duplicate_id(s, platform, store, &r.source.id, index),
        B::RefundUnknownOrder => {
            if let (Some(orders), Some(oid)) = (&refs.orders, r.order_id.as_deref())
                && orders.get(platform, store, oid).is_none()
            {
                s.flag(
                    || "order_id".into(),
                    || format!("order {oid} is not among the orders checked"),
                    Some(oid),
                    false,
                );
            }
        }
        B::RefundExceedsOrder => {
            if let (Some(orders), Some(oid)) = (&refs.orders, r.order_id.as_deref())
                && let Some(total) = orders.get(platform, store, oid)
            {
                let sum = st.refunded.entry((platform, store, oid)).or_default();
                *sum += r.amount.amount;
                if *sum > total + cfg.tolerance {
                    let so_far = *sum;
                    s.flag(
                        || "amount".into(),
                        || {
                            format!(
                                "refunds of order {oid} reach {so_far}, above its total {total}"
                            )
                        },
                        Some(&r.amount.amount.to_string()),
                        false,
                    );
                }
            }
        }
        _ => {}
    }
}

/// Ids of one entity per platform and store, for the cross-entity rules.
#[derive(Debug, Default, Clone)]
pub(crate) struct IdIndex(FxHashMap<PlatformKind, FxHashMap<String, FxHashSet<String>>>);

impl IdIndex {
    pub fn insert(&mut self, platform: PlatformKind, store: &str, id: &str) {
        let stores = self.0.entry(platform).or_default();
        if !stores.contains_key(store) {
            stores.insert(store.to_owned(), FxHashSet::default());
        }
        if let Some(ids) = stores.get_mut(store) {
            ids.insert(id.to_owned());
        }
    }

    pub fn contains(&self, platform: PlatformKind, store: &str, id: &str) -> bool {
        self.0
            .get(&platform)
            .and_then(|s| s.get(store))
            .is_some_and(|ids| ids.contains(id))
    }
}

/// Order totals per platform and store, for the refund rules.
#[derive(Debug, Default, Clone)]
pub(crate) struct OrderIndex(
    FxHashMap<PlatformKind, FxHashMap<String, FxHashMap<String, Decimal>>>,
);

impl OrderIndex {
    pub fn insert(&mut self, platform: PlatformKind, store: &str, id: &str, total: Decimal) {
        self.0
            .entry(platform)
            .or_default()
            .entry(store.to_owned())
            .or_default()
            .insert(id.to_owned(), total);
    }

    pub fn get(&self, platform: PlatformKind, store: &str, id: &str) -> Option<Decimal> {
        self.0.get(&platform)?.get(store)?.get(id).copied()
    }
}
