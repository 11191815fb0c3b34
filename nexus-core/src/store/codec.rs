//! The unified records as rows of the normalized tables, and back.
//!
//! Each table's columns are listed once (`*_COLS`, with their types); the encoders write
//! values in that order and the decoders read them in that order. Orders and customers own
//! their addresses, orders their lines of every kind, products their variants and refunds
//! their lines: child rows carry the owner's key and a position, and are replaced with
//! their owner.

use std::collections::HashMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::sql::{Cols, Rows, Ty, Val, corrupt, version_of};
use crate::error::Result;
use crate::model::{
    Address, Currency, Customer, DiscountLine, EntityKind, FeeLine, LineItem, Metadata, Money,
    Order, PlatformKind, Product, Refund, RefundLineItem, RefundSummary, ShippingLine, SourceRef,
    TaxLine, Timestamp, Variant,
};

/// A table: its name and columns (name and type), in the order rows hold them.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    pub cols: &'static [(&'static str, Ty)],
    /// How many leading columns form the key (main tables: platform, store, source id;
    /// child tables: platform, store, owner id and position).
    pub key: usize,
    /// Trailing columns not read back with the record (raw payload, sync time).
    pub write_only: usize,
}

impl Table {
    pub fn names(&self) -> Vec<&'static str> {
        self.cols.iter().map(|c| c.0).collect()
    }
    pub fn read_names(&self) -> Vec<&'static str> {
        self.cols[..self.cols.len() - self.write_only]
            .iter()
            .map(|c| c.0)
            .collect()
    }
    pub fn read_types(&self) -> Vec<Ty> {
        self.cols[..self.cols.len() - self.write_only]
            .iter()
            .map(|c| c.1)
            .collect()
    }
}

use Ty::{Blob, Bool, Dec, Int, Json, Text, Ts};

macro_rules! cols {
    ($($name:literal : $ty:ident),* $(,)?) => { &[$(($name, $ty)),*] };
}

pub(crate) const ORDERS: Table = Table {
    name: "orders",
    cols: cols![
        "platform": Text, "store": Text, "source_id": Text, "version": Int,
        "number": Text, "status": Text, "platform_status": Text,
        "payment_status": Text, "platform_payment_status": Text,
        "fulfillment_status": Text, "platform_fulfillment_status": Text, "currency": Text,
        "created_at": Ts, "updated_at": Ts, "paid_at": Ts, "completed_at": Ts, "cancelled_at": Ts,
        "customer_id": Text, "email": Text,
        "subtotal": Dec, "discount_total": Dec, "shipping_total": Dec, "fee_total": Dec,
        "tax_total": Dec, "total": Dec, "refunded_total": Dec,
        "prices_include_tax": Bool, "payment_method": Text, "note": Text,
        "tags": Json, "metadata": Json, "raw": Blob, "synced_at": Ts,
    ],
    key: 3,
    write_only: 2,
};

pub(crate) const ORDER_LINES: Table = Table {
    name: "order_lines",
    cols: cols![
        "platform": Text, "store": Text, "order_id": Text, "position": Int,
        "source_id": Text, "product_id": Text, "variant_id": Text, "sku": Text, "name": Text,
        "quantity": Dec, "currency": Text, "unit_price": Dec, "subtotal": Dec, "discount": Dec,
        "tax": Dec, "total": Dec, "components": Json, "metadata": Json,
    ],
    key: 4,
    write_only: 0,
};

pub(crate) const TAX_LINES: Table = Table {
    name: "order_tax_lines",
    cols: cols![
        "platform": Text, "store": Text, "order_id": Text, "position": Int,
        "source_id": Text, "title": Text, "rate_code": Text, "rate": Dec,
        "currency": Text, "amount": Dec, "shipping_amount": Dec,
    ],
    key: 4,
    write_only: 0,
};

pub(crate) const SHIPPING_LINES: Table = Table {
    name: "order_shipping_lines",
    cols: cols![
        "platform": Text, "store": Text, "order_id": Text, "position": Int,
        "source_id": Text, "method": Text, "title": Text,
        "currency": Text, "amount": Dec, "discount": Dec, "tax": Dec,
    ],
    key: 4,
    write_only: 0,
};

pub(crate) const FEE_LINES: Table = Table {
    name: "order_fee_lines",
    cols: cols![
        "platform": Text, "store": Text, "order_id": Text, "position": Int,
        "source_id": Text, "name": Text, "currency": Text, "amount": Dec, "tax": Dec,
    ],
    key: 4,
    write_only: 0,
};

pub(crate) const DISCOUNT_LINES: Table = Table {
    name: "order_discount_lines",
    cols: cols![
        "platform": Text, "store": Text, "order_id": Text, "position": Int,
        "source_id": Text, "code": Text, "kind": Text, "currency": Text, "amount": Dec,
    ],
    key: 4,
    write_only: 0,
};

pub(crate) const ORDER_REFUNDS: Table = Table {
    name: "order_refunds",
    cols: cols![
        "platform": Text, "store": Text, "order_id": Text, "position": Int,
        "source_id": Text, "currency": Text, "amount": Dec, "reason": Text, "created_at": Ts,
    ],
    key: 4,
    write_only: 0,
};

pub(crate) const ADDRESSES: Table = Table {
    name: "addresses",
    cols: cols![
        "platform": Text, "store": Text, "owner": Text, "owner_id": Text, "role": Text,
        "position": Int,
        "first_name": Text, "last_name": Text, "company": Text, "line1": Text, "line2": Text,
        "city": Text, "region": Text, "region_code": Text, "postal_code": Text,
        "country_code": Text, "country": Text, "phone": Text, "email": Text,
    ],
    key: 6,
    write_only: 0,
};

pub(crate) const CUSTOMERS: Table = Table {
    name: "customers",
    cols: cols![
        "platform": Text, "store": Text, "source_id": Text, "version": Int,
        "email": Text, "email_normalized": Text, "first_name": Text, "last_name": Text,
        "phone": Text, "created_at": Ts, "updated_at": Ts, "orders_count": Int,
        "total_spent": Dec, "total_spent_currency": Text, "accepts_marketing": Bool,
        "state": Text, "tags": Json, "metadata": Json, "raw": Blob, "synced_at": Ts,
    ],
    key: 3,
    write_only: 2,
};

pub(crate) const PRODUCTS: Table = Table {
    name: "products",
    cols: cols![
        "platform": Text, "store": Text, "source_id": Text, "version": Int,
        "name": Text, "kind": Text, "platform_type": Text, "status": Text,
        "platform_status": Text, "sku": Text, "handle": Text, "vendor": Text,
        "price": Dec, "regular_price": Dec, "currency": Text, "inventory_quantity": Int,
        "categories": Json, "tags": Json, "variant_ids": Json,
        "created_at": Ts, "updated_at": Ts, "metadata": Json, "raw": Blob, "synced_at": Ts,
    ],
    key: 3,
    write_only: 2,
};

pub(crate) const VARIANTS: Table = Table {
    name: "variants",
    cols: cols![
        "platform": Text, "store": Text, "parent_id": Text, "position": Int,
        "source_id": Text, "product_id": Text, "sku": Text, "title": Text,
        "price": Dec, "regular_price": Dec, "currency": Text, "inventory_quantity": Int,
        "options": Json, "status": Text, "created_at": Ts, "updated_at": Ts, "metadata": Json,
    ],
    key: 4,
    write_only: 0,
};

pub(crate) const REFUNDS: Table = Table {
    name: "refunds",
    cols: cols![
        "platform": Text, "store": Text, "source_id": Text, "version": Int,
        "order_id": Text, "created_at": Ts, "processed_at": Ts,
        "currency": Text, "amount": Dec, "shipping": Dec, "reason": Text, "restock": Bool,
        "metadata": Json, "raw": Blob, "synced_at": Ts,
    ],
    key: 3,
    write_only: 2,
};

pub(crate) const REFUND_LINES: Table = Table {
    name: "refund_lines",
    cols: cols![
        "platform": Text, "store": Text, "refund_id": Text, "position": Int,
        "source_id": Text, "line_item_id": Text, "product_id": Text, "variant_id": Text,
        "sku": Text, "name": Text, "quantity": Dec, "currency": Text,
        "subtotal": Dec, "tax": Dec, "total": Dec,
    ],
    key: 4,
    write_only: 0,
};

/// Every data table of the schema.
#[cfg(test)]
pub(crate) const ALL_TABLES: [&Table; 13] = [
    &ORDERS,
    &ORDER_LINES,
    &TAX_LINES,
    &SHIPPING_LINES,
    &FEE_LINES,
    &DISCOUNT_LINES,
    &ORDER_REFUNDS,
    &ADDRESSES,
    &CUSTOMERS,
    &PRODUCTS,
    &VARIANTS,
    &REFUNDS,
    &REFUND_LINES,
];

/// The main table of an entity and its child tables (with the owner column of each).
pub(crate) fn tables_of(entity: EntityKind) -> (&'static Table, Vec<(&'static Table, Owner)>) {
    match entity {
        EntityKind::Order => (
            &ORDERS,
            vec![
                (&ORDER_LINES, Owner::Column("order_id")),
                (&TAX_LINES, Owner::Column("order_id")),
                (&SHIPPING_LINES, Owner::Column("order_id")),
                (&FEE_LINES, Owner::Column("order_id")),
                (&DISCOUNT_LINES, Owner::Column("order_id")),
                (&ORDER_REFUNDS, Owner::Column("order_id")),
                (&ADDRESSES, Owner::Address("order")),
            ],
        ),
        EntityKind::Customer => (&CUSTOMERS, vec![(&ADDRESSES, Owner::Address("customer"))]),
        EntityKind::Product | EntityKind::Variant => {
            (&PRODUCTS, vec![(&VARIANTS, Owner::Column("parent_id"))])
        }
        EntityKind::Refund | EntityKind::Transaction => {
            (&REFUNDS, vec![(&REFUND_LINES, Owner::Column("refund_id"))])
        }
    }
}

/// How a child table names its owner.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Owner {
    /// A column holding the owner's source id.
    Column(&'static str),
    /// The addresses table: `owner` = the entity, `owner_id` = its source id.
    Address(&'static str),
}

/// Rows for some tables, keyed by table name, in insertion order.
#[derive(Debug, Default)]
pub(crate) struct TableRows {
    pub tables: Vec<(&'static Table, Vec<Vec<Val>>)>,
}

impl TableRows {
    pub fn push(&mut self, table: &'static Table, row: Vec<Val>) {
        debug_assert_eq!(row.len(), table.cols.len(), "{}", table.name);
        match self.tables.iter_mut().find(|(t, _)| t.name == table.name) {
            Some((_, rows)) => rows.push(row),
            None => self.tables.push((table, vec![row])),
        }
    }
}

fn text(s: &str) -> Val {
    Val::text(s)
}

fn opt(s: &Option<String>) -> Val {
    Val::opt_text(s.as_deref())
}

fn json<T: Serialize>(v: &T) -> Val {
    // The model's types always serialize (no maps with non-string keys, no failing
    // serializers); an empty object is the only sensible stand-in otherwise.
    Val::Json(serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned()))
}

/// An enum's serde name (`"on_hold"`).
fn name<T: Serialize>(v: &T) -> Val {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Val::text(&s),
        _ => Val::text("other"),
    }
}

fn opt_name<T: Serialize>(v: &Option<T>) -> Val {
    v.as_ref().map_or(Val::Null, name)
}

fn parse_name<T: DeserializeOwned>(what: &str, s: String) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s)).map_err(|e| corrupt(what, e))
}

fn parse_currency(what: &str, s: &str) -> Result<Currency> {
    Currency::new(s).ok_or_else(|| corrupt(what, format!("bad currency {s:?}")))
}

fn key_vals(source: &SourceRef) -> [Val; 3] {
    [
        text(source.platform.as_str()),
        text(&source.store),
        text(&source.id),
    ]
}

fn child_key(source: &SourceRef, position: usize) -> [Val; 4] {
    [
        text(source.platform.as_str()),
        text(&source.store),
        text(&source.id),
        Val::Int(position as i64),
    ]
}

fn address_row(owner: &str, source: &SourceRef, role: &str, pos: usize, a: &Address) -> Vec<Val> {
    vec![
        text(source.platform.as_str()),
        text(&source.store),
        text(owner),
        text(&source.id),
        text(role),
        Val::Int(pos as i64),
        opt(&a.first_name),
        opt(&a.last_name),
        opt(&a.company),
        opt(&a.line1),
        opt(&a.line2),
        opt(&a.city),
        opt(&a.region),
        opt(&a.region_code),
        opt(&a.postal_code),
        opt(&a.country_code),
        opt(&a.country),
        opt(&a.phone),
        opt(&a.email),
    ]
}

/// What a record of each entity shares for writing: its key and version.
pub(crate) trait Stored: Sized {
    const ENTITY: EntityKind;
    fn source(&self) -> &SourceRef;
    /// When the record last changed (its version).
    fn changed_at(&self) -> Timestamp;
    /// Adds the record's rows (main row first) to `out`.
    fn encode(&self, raw: Option<Vec<u8>>, now: Timestamp, out: &mut TableRows);
}

impl Stored for Order {
    const ENTITY: EntityKind = EntityKind::Order;
    fn source(&self) -> &SourceRef {
        &self.source
    }
    fn changed_at(&self) -> Timestamp {
        self.updated_at.unwrap_or(self.created_at)
    }
    fn encode(&self, raw: Option<Vec<u8>>, now: Timestamp, out: &mut TableRows) {
        let o = self;
        let mut row = Vec::with_capacity(ORDERS.cols.len());
        row.extend(key_vals(&o.source));
        row.extend([
            Val::Int(version_of(o.changed_at())),
            opt(&o.number),
            name(&o.status),
            text(&o.platform_status),
            opt_name(&o.payment_status),
            opt(&o.platform_payment_status),
            opt_name(&o.fulfillment_status),
            opt(&o.platform_fulfillment_status),
            text(o.currency.as_str()),
            Val::Ts(o.created_at),
            Val::opt_ts(o.updated_at),
            Val::opt_ts(o.paid_at),
            Val::opt_ts(o.completed_at),
            Val::opt_ts(o.cancelled_at),
            opt(&o.customer_id),
            opt(&o.email),
            Val::Dec(o.subtotal.amount),
            Val::Dec(o.discount_total.amount),
            Val::Dec(o.shipping_total.amount),
            Val::Dec(o.fee_total.amount),
            Val::Dec(o.tax_total.amount),
            Val::Dec(o.total.amount),
            Val::Dec(o.refunded_total.amount),
            Val::Bool(o.prices_include_tax),
            opt(&o.payment_method),
            opt(&o.note),
            json(&o.tags),
            json(&o.metadata),
            raw.map_or(Val::Null, Val::Blob),
            Val::Ts(now),
        ]);
        out.push(&ORDERS, row);
        for (i, l) in o.line_items.iter().enumerate() {
            let mut row = child_key(&o.source, i).to_vec();
            row.extend([
                text(&l.source_id),
                opt(&l.product_id),
                opt(&l.variant_id),
                opt(&l.sku),
                text(&l.name),
                Val::Dec(l.quantity),
                text(l.unit_price.currency.as_str()),
                Val::Dec(l.unit_price.amount),
                Val::Dec(l.subtotal.amount),
                Val::Dec(l.discount.amount),
                Val::Dec(l.tax.amount),
                Val::Dec(l.total.amount),
                json(&l.components),
                json(&l.metadata),
            ]);
            out.push(&ORDER_LINES, row);
        }
        for (i, t) in o.tax_lines.iter().enumerate() {
            let mut row = child_key(&o.source, i).to_vec();
            row.extend([
                opt(&t.source_id),
                text(&t.title),
                opt(&t.rate_code),
                Val::opt_dec(t.rate),
                text(t.amount.currency.as_str()),
                Val::Dec(t.amount.amount),
                Val::Dec(t.shipping_amount.amount),
            ]);
            out.push(&TAX_LINES, row);
        }
        for (i, s) in o.shipping_lines.iter().enumerate() {
            let mut row = child_key(&o.source, i).to_vec();
            row.extend([
                opt(&s.source_id),
                opt(&s.method),
                text(&s.title),
                text(s.amount.currency.as_str()),
                Val::Dec(s.amount.amount),
                Val::Dec(s.discount.amount),
                Val::Dec(s.tax.amount),
            ]);
            out.push(&SHIPPING_LINES, row);
        }
        for (i, f) in o.fee_lines.iter().enumerate() {
            let mut row = child_key(&o.source, i).to_vec();
            row.extend([
                opt(&f.source_id),
                text(&f.name),
                text(f.amount.currency.as_str()),
                Val::Dec(f.amount.amount),
                Val::Dec(f.tax.amount),
            ]);
            out.push(&FEE_LINES, row);
        }
        for (i, d) in o.discount_lines.iter().enumerate() {
            let mut row = child_key(&o.source, i).to_vec();
            row.extend([
                opt(&d.source_id),
                opt(&d.code),
                opt(&d.kind),
                text(d.amount.currency.as_str()),
                Val::Dec(d.amount.amount),
            ]);
            out.push(&DISCOUNT_LINES, row);
        }
        for (i, r) in o.refunds.iter().enumerate() {
            let mut row = child_key(&o.source, i).to_vec();
            row.extend([
                text(&r.source_id),
                text(r.amount.currency.as_str()),
                Val::Dec(r.amount.amount),
                opt(&r.reason),
                Val::opt_ts(r.created_at),
            ]);
            out.push(&ORDER_REFUNDS, row);
        }
        if let Some(a) = &o.billing_address {
            out.push(&ADDRESSES, address_row("order", &o.source, "billing", 0, a));
        }
        if let Some(a) = &o.shipping_address {
            out.push(
                &ADDRESSES,
                address_row("order", &o.source, "shipping", 0, a),
            );
        }
    }
}

impl Stored for Customer {
    const ENTITY: EntityKind = EntityKind::Customer;
    fn source(&self) -> &SourceRef {
        &self.source
    }
    fn changed_at(&self) -> Timestamp {
        self.updated_at.or(self.created_at).unwrap_or_default()
    }
    fn encode(&self, raw: Option<Vec<u8>>, now: Timestamp, out: &mut TableRows) {
        let c = self;
        let mut row = key_vals(&c.source).to_vec();
        row.extend([
            Val::Int(version_of(c.changed_at())),
            opt(&c.email),
            Val::opt_text(normalized_email(c.email.as_deref()).as_deref()),
            opt(&c.first_name),
            opt(&c.last_name),
            opt(&c.phone),
            Val::opt_ts(c.created_at),
            Val::opt_ts(c.updated_at),
            Val::opt_int(c.orders_count.map(|n| n.min(i64::MAX as u64) as i64)),
            Val::opt_dec(c.total_spent.map(|m| m.amount)),
            Val::opt_text(c.total_spent.as_ref().map(|m| m.currency.as_str())),
            Val::opt_bool(c.accepts_marketing),
            opt(&c.state),
            json(&c.tags),
            json(&c.metadata),
            raw.map_or(Val::Null, Val::Blob),
            Val::Ts(now),
        ]);
        out.push(&CUSTOMERS, row);
        if let Some(a) = &c.billing_address {
            out.push(
                &ADDRESSES,
                address_row("customer", &c.source, "billing", 0, a),
            );
        }
        if let Some(a) = &c.shipping_address {
            out.push(
                &ADDRESSES,
                address_row("customer", &c.source, "shipping", 0, a),
            );
        }
        for (i, a) in c.addresses.iter().enumerate() {
            out.push(&ADDRESSES, address_row("customer", &c.source, "book", i, a));
        }
    }
}

impl Stored for Product {
    const ENTITY: EntityKind = EntityKind::Product;
    fn source(&self) -> &SourceRef {
        &self.source
    }
    fn changed_at(&self) -> Timestamp {
        self.updated_at.or(self.created_at).unwrap_or_default()
    }
    fn encode(&self, raw: Option<Vec<u8>>, now: Timestamp, out: &mut TableRows) {
        let p = self;
        let mut row = key_vals(&p.source).to_vec();
        row.extend([
            Val::Int(version_of(p.changed_at())),
            text(&p.name),
            name(&p.kind),
            opt(&p.platform_type),
            name(&p.status),
            opt(&p.platform_status),
            opt(&p.sku),
            opt(&p.handle),
            opt(&p.vendor),
            Val::opt_dec(p.price),
            Val::opt_dec(p.regular_price),
            Val::opt_text(p.currency.as_ref().map(|c| c.as_str())),
            Val::opt_int(p.inventory_quantity),
            json(&p.categories),
            json(&p.tags),
            json(&p.variant_ids),
            Val::opt_ts(p.created_at),
            Val::opt_ts(p.updated_at),
            json(&p.metadata),
            raw.map_or(Val::Null, Val::Blob),
            Val::Ts(now),
        ]);
        out.push(&PRODUCTS, row);
        for (i, v) in p.variants.iter().enumerate() {
            let mut row = child_key(&p.source, i).to_vec();
            row.extend([
                text(&v.source.id),
                opt(&v.product_id),
                opt(&v.sku),
                opt(&v.title),
                Val::opt_dec(v.price),
                Val::opt_dec(v.regular_price),
                Val::opt_text(v.currency.as_ref().map(|c| c.as_str())),
                Val::opt_int(v.inventory_quantity),
                json(&v.options),
                opt_name(&v.status),
                Val::opt_ts(v.created_at),
                Val::opt_ts(v.updated_at),
                json(&v.metadata),
            ]);
            out.push(&VARIANTS, row);
        }
    }
}

impl Stored for Refund {
    const ENTITY: EntityKind = EntityKind::Refund;
    fn source(&self) -> &SourceRef {
        &self.source
    }
    fn changed_at(&self) -> Timestamp {
        self.processed_at.unwrap_or(self.created_at)
    }
    fn encode(&self, raw: Option<Vec<u8>>, now: Timestamp, out: &mut TableRows) {
        let r = self;
        let mut row = key_vals(&r.source).to_vec();
        row.extend([
            Val::Int(version_of(r.changed_at())),
            opt(&r.order_id),
            Val::Ts(r.created_at),
            Val::opt_ts(r.processed_at),
            text(r.amount.currency.as_str()),
            Val::Dec(r.amount.amount),
            Val::Dec(r.shipping.amount),
            opt(&r.reason),
            Val::opt_bool(r.restock),
            json(&r.metadata),
            raw.map_or(Val::Null, Val::Blob),
            Val::Ts(now),
        ]);
        out.push(&REFUNDS, row);
        for (i, l) in r.line_items.iter().enumerate() {
            let mut row = child_key(&r.source, i).to_vec();
            row.extend([
                opt(&l.source_id),
                opt(&l.line_item_id),
                opt(&l.product_id),
                opt(&l.variant_id),
                opt(&l.sku),
                opt(&l.name),
                Val::Dec(l.quantity),
                text(l.subtotal.currency.as_str()),
                Val::Dec(l.subtotal.amount),
                Val::Dec(l.tax.amount),
                Val::Dec(l.total.amount),
            ]);
            out.push(&REFUND_LINES, row);
        }
    }
}

/// An email as customers are matched across stores: trimmed and lower-cased.
pub(crate) fn normalized_email(email: Option<&str>) -> Option<String> {
    let e = email?.trim();
    (!e.is_empty() && e.contains('@')).then(|| e.to_lowercase())
}

/// The owner key of a child row: platform, store, owner id.
type OwnerKey = (String, String, String);

/// Child rows grouped by owner, each group in position order (the queries sort them).
pub(crate) struct Children {
    groups: HashMap<OwnerKey, Vec<Vec<Val>>>,
}

impl Children {
    /// Groups `rows` by their first `owner_cols` columns (platform, store, [owner,] owner
    /// id); the columns kept start after the key (`skip`).
    pub fn group(rows: Rows, address: bool, skip: usize) -> Self {
        let mut groups: HashMap<OwnerKey, Vec<Vec<Val>>> = HashMap::new();
        for row in rows {
            let t = |v: &Val| match v {
                Val::Text(s) => s.clone(),
                _ => String::new(),
            };
            let key = if address {
                (
                    t(&row[0]),
                    t(&row[1]),
                    format!("{}\u{1f}{}", t(&row[2]), t(&row[3])),
                )
            } else {
                (t(&row[0]), t(&row[1]), t(&row[2]))
            };
            let rest = row.into_iter().skip(skip).collect();
            groups.entry(key).or_default().push(rest);
        }
        Children { groups }
    }

    pub fn take(&mut self, source: &SourceRef) -> Vec<Vec<Val>> {
        self.groups
            .remove(&(
                source.platform.as_str().to_owned(),
                source.store.clone(),
                source.id.clone(),
            ))
            .unwrap_or_default()
    }

    pub fn take_addresses(&mut self, owner: &str, source: &SourceRef) -> Vec<Vec<Val>> {
        self.groups
            .remove(&(
                source.platform.as_str().to_owned(),
                source.store.clone(),
                format!("{owner}\u{1f}{}", source.id),
            ))
            .unwrap_or_default()
    }
}

fn source_from(c: &mut Cols<'_>, entity: EntityKind) -> Result<SourceRef> {
    let platform: PlatformKind = c.text()?.parse().map_err(|e| corrupt("platform", e))?;
    Ok(SourceRef {
        platform,
        store: c.text()?,
        entity,
        id: c.text()?,
    })
}

fn money(c: &mut Cols<'_>, cur: Currency) -> Result<Money> {
    Ok(Money::new(c.dec()?, cur))
}

fn metadata(c: &mut Cols<'_>) -> Result<Metadata> {
    c.json()
}

/// Addresses of one owner: (role, address) in position order.
fn addresses(rows: Vec<Vec<Val>>) -> Result<Vec<(String, Address)>> {
    rows.into_iter()
        .map(|row| {
            let mut c = Cols::new(row, "address");
            let role = c.text()?;
            let _position = c.opt_int()?;
            Ok((
                role,
                Address {
                    first_name: c.opt_text()?,
                    last_name: c.opt_text()?,
                    company: c.opt_text()?,
                    line1: c.opt_text()?,
                    line2: c.opt_text()?,
                    city: c.opt_text()?,
                    region: c.opt_text()?,
                    region_code: c.opt_text()?,
                    postal_code: c.opt_text()?,
                    country_code: c.opt_text()?,
                    country: c.opt_text()?,
                    phone: c.opt_text()?,
                    email: c.opt_text()?,
                },
            ))
        })
        .collect()
}

/// Child rows of orders, grouped (lines, tax, shipping, fee, discount, refunds, addresses).
pub(crate) struct OrderChildren {
    pub lines: Children,
    pub tax: Children,
    pub shipping: Children,
    pub fees: Children,
    pub discounts: Children,
    pub refunds: Children,
    pub addresses: Children,
}

/// Rebuilds orders from their rows.
pub(crate) fn decode_orders(main: Rows, mut ch: OrderChildren) -> Result<Vec<Order>> {
    main.into_iter()
        .map(|row| {
            let mut c = Cols::new(row, "order");
            let source = source_from(&mut c, EntityKind::Order)?;
            let _version = c.opt_int()?;
            let number = c.opt_text()?;
            let status = parse_name("order status", c.text()?)?;
            let platform_status = c.text()?;
            let payment_status = c
                .opt_text()?
                .map(|s| parse_name("payment status", s))
                .transpose()?;
            let platform_payment_status = c.opt_text()?;
            let fulfillment_status = c
                .opt_text()?
                .map(|s| parse_name("fulfillment status", s))
                .transpose()?;
            let platform_fulfillment_status = c.opt_text()?;
            let currency = parse_currency("order currency", &c.text()?)?;
            let created_at = c.ts()?;
            let updated_at = c.opt_ts()?;
            let paid_at = c.opt_ts()?;
            let completed_at = c.opt_ts()?;
            let cancelled_at = c.opt_ts()?;
            let customer_id = c.opt_text()?;
            let email = c.opt_text()?;
            let subtotal = money(&mut c, currency)?;
            let discount_total = money(&mut c, currency)?;
            let shipping_total = money(&mut c, currency)?;
            let fee_total = money(&mut c, currency)?;
            let tax_total = money(&mut c, currency)?;
            let total = money(&mut c, currency)?;
            let refunded_total = money(&mut c, currency)?;
            let prices_include_tax = c.boolean()?;
            let payment_method = c.opt_text()?;
            let note = c.opt_text()?;
            let tags = c.json()?;
            let metadata = metadata(&mut c)?;
            let (mut billing_address, mut shipping_address) = (None, None);
            for (role, a) in addresses(ch.addresses.take_addresses("order", &source))? {
                match role.as_str() {
                    "billing" => billing_address = Some(a),
                    _ => shipping_address = Some(a),
                }
            }
            Ok(Order {
                line_items: decode_lines(ch.lines.take(&source))?,
                tax_lines: decode_tax(ch.tax.take(&source))?,
                shipping_lines: decode_shipping(ch.shipping.take(&source))?,
                fee_lines: decode_fees(ch.fees.take(&source))?,
                discount_lines: decode_discounts(ch.discounts.take(&source))?,
                refunds: decode_refund_summaries(ch.refunds.take(&source))?,
                source,
                number,
                status,
                platform_status,
                payment_status,
                platform_payment_status,
                fulfillment_status,
                platform_fulfillment_status,
                currency,
                created_at,
                updated_at,
                paid_at,
                completed_at,
                cancelled_at,
                customer_id,
                email,
                billing_address: billing_address.take(),
                shipping_address: shipping_address.take(),
                subtotal,
                discount_total,
                shipping_total,
                fee_total,
                tax_total,
                total,
                refunded_total,
                prices_include_tax,
                payment_method,
                note,
                tags,
                metadata,
            })
        })
        .collect()
}

/// Child columns start after the owner key and position; `cur` reads the row's currency.
fn each<T>(
    rows: Vec<Vec<Val>>,
    what: &str,
    f: impl Fn(&mut Cols<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    rows.into_iter()
        .map(|row| {
            let mut c = Cols::new(row, what);
            f(&mut c)
        })
        .collect()
}

fn decode_lines(rows: Vec<Vec<Val>>) -> Result<Vec<LineItem>> {
    each(rows, "order line", |c| {
        let source_id = c.text()?;
        let product_id = c.opt_text()?;
        let variant_id = c.opt_text()?;
        let sku = c.opt_text()?;
        let name = c.text()?;
        let quantity = c.dec()?;
        let cur = parse_currency("line currency", &c.text()?)?;
        Ok(LineItem {
            source_id,
            product_id,
            variant_id,
            sku,
            name,
            quantity,
            unit_price: money(c, cur)?,
            subtotal: money(c, cur)?,
            discount: money(c, cur)?,
            tax: money(c, cur)?,
            total: money(c, cur)?,
            components: c.json()?,
            metadata: metadata(c)?,
        })
    })
}

fn decode_tax(rows: Vec<Vec<Val>>) -> Result<Vec<TaxLine>> {
    each(rows, "tax line", |c| {
        let source_id = c.opt_text()?;
        let title = c.text()?;
        let rate_code = c.opt_text()?;
        let rate = c.opt_dec()?;
        let cur = parse_currency("tax line currency", &c.text()?)?;
        Ok(TaxLine {
            source_id,
            title,
            rate_code,
            rate,
            amount: money(c, cur)?,
            shipping_amount: money(c, cur)?,
        })
    })
}

fn decode_shipping(rows: Vec<Vec<Val>>) -> Result<Vec<ShippingLine>> {
    each(rows, "shipping line", |c| {
        let source_id = c.opt_text()?;
        let method = c.opt_text()?;
        let title = c.text()?;
        let cur = parse_currency("shipping line currency", &c.text()?)?;
        Ok(ShippingLine {
            source_id,
            method,
            title,
            amount: money(c, cur)?,
            discount: money(c, cur)?,
            tax: money(c, cur)?,
        })
    })
}

fn decode_fees(rows: Vec<Vec<Val>>) -> Result<Vec<FeeLine>> {
    each(rows, "fee line", |c| {
        let source_id = c.opt_text()?;
        let name = c.text()?;
        let cur = parse_currency("fee line currency", &c.text()?)?;
        Ok(FeeLine {
            source_id,
            name,
            amount: money(c, cur)?,
            tax: money(c, cur)?,
        })
    })
}

fn decode_discounts(rows: Vec<Vec<Val>>) -> Result<Vec<DiscountLine>> {
    each(rows, "discount line", |c| {
        let source_id = c.opt_text()?;
        let code = c.opt_text()?;
        let kind = c.opt_text()?;
        let cur = parse_currency("discount line currency", &c.text()?)?;
        Ok(DiscountLine {
            source_id,
            code,
            kind,
            amount: money(c, cur)?,
        })
    })
}

fn decode_refund_summaries(rows: Vec<Vec<Val>>) -> Result<Vec<RefundSummary>> {
    each(rows, "order refund", |c| {
        let source_id = c.text()?;
        let cur = parse_currency("refund currency", &c.text()?)?;
        Ok(RefundSummary {
            source_id,
            amount: money(c, cur)?,
            reason: c.opt_text()?,
            created_at: c.opt_ts()?,
        })
    })
}

/// Rebuilds customers from their rows.
pub(crate) fn decode_customers(main: Rows, mut addrs: Children) -> Result<Vec<Customer>> {
    main.into_iter()
        .map(|row| {
            let mut c = Cols::new(row, "customer");
            let source = source_from(&mut c, EntityKind::Customer)?;
            let _version = c.opt_int()?;
            let email = c.opt_text()?;
            let _normalized = c.opt_text()?;
            let first_name = c.opt_text()?;
            let last_name = c.opt_text()?;
            let phone = c.opt_text()?;
            let created_at = c.opt_ts()?;
            let updated_at = c.opt_ts()?;
            let orders_count = c.opt_int()?.map(|n| n.max(0) as u64);
            let spent = c.opt_dec()?;
            let spent_currency = c.opt_text()?;
            let total_spent = match (spent, spent_currency) {
                (Some(a), Some(cur)) => Some(Money::new(a, parse_currency("total spent", &cur)?)),
                _ => None,
            };
            let accepts_marketing = c.opt_bool()?;
            let state = c.opt_text()?;
            let tags = c.json()?;
            let metadata = metadata(&mut c)?;
            let (mut billing_address, mut shipping_address, mut book) = (None, None, Vec::new());
            for (role, a) in addresses(addrs.take_addresses("customer", &source))? {
                match role.as_str() {
                    "billing" => billing_address = Some(a),
                    "shipping" => shipping_address = Some(a),
                    _ => book.push(a),
                }
            }
            Ok(Customer {
                source,
                email,
                first_name,
                last_name,
                phone,
                created_at,
                updated_at,
                billing_address,
                shipping_address,
                addresses: book,
                orders_count,
                total_spent,
                accepts_marketing,
                state,
                tags,
                metadata,
            })
        })
        .collect()
}

/// Rebuilds products (with their variants) from their rows.
pub(crate) fn decode_products(main: Rows, mut variants: Children) -> Result<Vec<Product>> {
    main.into_iter()
        .map(|row| {
            let mut c = Cols::new(row, "product");
            let source = source_from(&mut c, EntityKind::Product)?;
            let _version = c.opt_int()?;
            let name = c.text()?;
            let kind = parse_name("product kind", c.text()?)?;
            let platform_type = c.opt_text()?;
            let status = parse_name("product status", c.text()?)?;
            let platform_status = c.opt_text()?;
            let sku = c.opt_text()?;
            let handle = c.opt_text()?;
            let vendor = c.opt_text()?;
            let price = c.opt_dec()?;
            let regular_price = c.opt_dec()?;
            let currency = c
                .opt_text()?
                .map(|s| parse_currency("product currency", &s))
                .transpose()?;
            let inventory_quantity = c.opt_int()?;
            let categories = c.json()?;
            let tags = c.json()?;
            let variant_ids = c.json()?;
            let created_at = c.opt_ts()?;
            let updated_at = c.opt_ts()?;
            let metadata = metadata(&mut c)?;
            let vars = decode_variants(&source, variants.take(&source))?;
            Ok(Product {
                source,
                name,
                kind,
                platform_type,
                status,
                platform_status,
                sku,
                handle,
                vendor,
                price,
                regular_price,
                currency,
                inventory_quantity,
                categories,
                tags,
                variant_ids,
                variants: vars,
                created_at,
                updated_at,
                metadata,
            })
        })
        .collect()
}

fn decode_variants(parent: &SourceRef, rows: Vec<Vec<Val>>) -> Result<Vec<Variant>> {
    each(rows, "variant", |c| {
        Ok(Variant {
            source: SourceRef {
                platform: parent.platform,
                store: parent.store.clone(),
                entity: EntityKind::Variant,
                id: c.text()?,
            },
            product_id: c.opt_text()?,
            sku: c.opt_text()?,
            title: c.opt_text()?,
            price: c.opt_dec()?,
            regular_price: c.opt_dec()?,
            currency: c
                .opt_text()?
                .map(|s| parse_currency("variant currency", &s))
                .transpose()?,
            inventory_quantity: c.opt_int()?,
            options: c.json()?,
            status: c
                .opt_text()?
                .map(|s| parse_name("variant status", s))
                .transpose()?,
            created_at: c.opt_ts()?,
            updated_at: c.opt_ts()?,
            metadata: metadata(c)?,
        })
    })
}

/// Rebuilds refunds (with their lines) from their rows.
pub(crate) fn decode_refunds(main: Rows, mut lines: Children) -> Result<Vec<Refund>> {
    main.into_iter()
        .map(|row| {
            let mut c = Cols::new(row, "refund");
            let source = source_from(&mut c, EntityKind::Refund)?;
            let _version = c.opt_int()?;
            let order_id = c.opt_text()?;
            let created_at = c.ts()?;
            let processed_at = c.opt_ts()?;
            let cur = parse_currency("refund currency", &c.text()?)?;
            let amount = money(&mut c, cur)?;
            let shipping = money(&mut c, cur)?;
            let reason = c.opt_text()?;
            let restock = c.opt_bool()?;
            let metadata = metadata(&mut c)?;
            let line_items = each(lines.take(&source), "refund line", |c| {
                let source_id = c.opt_text()?;
                let line_item_id = c.opt_text()?;
                let product_id = c.opt_text()?;
                let variant_id = c.opt_text()?;
                let sku = c.opt_text()?;
                let name = c.opt_text()?;
                let quantity = c.dec()?;
                let cur = parse_currency("refund line currency", &c.text()?)?;
                Ok(RefundLineItem {
                    source_id,
                    line_item_id,
                    product_id,
                    variant_id,
                    sku,
                    name,
                    quantity,
                    subtotal: money(c, cur)?,
                    tax: money(c, cur)?,
                    total: money(c, cur)?,
                })
            })?;
            Ok(Refund {
                source,
                order_id,
                created_at,
                processed_at,
                amount,
                shipping,
                reason,
                restock,
                line_items,
                metadata,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_lists_its_key_first() {
        for t in ALL_TABLES {
            let names = t.names();
            assert_eq!(&names[..2], &["platform", "store"], "{}", t.name);
            assert!(t.key <= names.len());
            let mut seen = std::collections::HashSet::new();
            assert!(
                names.iter().all(|n| seen.insert(*n)),
                "{} repeats a column",
                t.name
            );
        }
        let key: [(&str, Ty); 3] = [("platform", Text), ("store", Text), ("source_id", Text)];
        for t in [&ORDERS, &CUSTOMERS, &PRODUCTS, &REFUNDS] {
            assert_eq!(t.cols[..3], key);
            assert_eq!(t.cols[3].0, "version");
        }
    }
}
