//! WooCommerce REST API v3 payloads (`/wp-json/wc/v3`).
//!
//! Dates: the `*_gmt` fields (UTC, written without an offset) are used; when a store omits
//! them, the site-local field is read as UTC and `metadata.dates_not_gmt` is set to `true`.
//! Money arrives as strings, except a line's `price`, a JSON number that is read exactly.
//! Refunds: WooCommerce writes refunds negative in an order's `refunds` list and in a
//! refund's line items, positive in a refund's `amount`; Nexus makes them all positive.
//! Empty strings, which WooCommerce writes for unset text, are read as absent.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::capture::Captured;
use super::de::{Id, OptDec, OptId, OptStr, OptTs};
use super::money::Cur;
use super::{Ctx, FieldError, RawRecord, currency};
use crate::model::{
    Address, Currency, Customer, DiscountLine, EntityKind, FeeLine, LineItem, Metadata, Order,
    OrderStatus, Product, ProductKind, ProductStatus, Refund, RefundLineItem, RefundSummary,
    ShippingLine, TaxLine, Timestamp, Variant, VariantOption,
};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct WooAddress {
    first_name: OptStr,
    last_name: OptStr,
    company: OptStr,
    address_1: OptStr,
    address_2: OptStr,
    city: OptStr,
    state: OptStr,
    postcode: OptStr,
    country: OptStr,
    email: OptStr,
    phone: OptStr,
}

impl WooAddress {
    fn into_address(self) -> Option<Address> {
        let a = Address {
            first_name: self.first_name.0,
            last_name: self.last_name.0,
            company: self.company.0,
            line1: self.address_1.0,
            line2: self.address_2.0,
            city: self.city.0,
            region: None,
            region_code: self.state.0,
            postal_code: self.postcode.0,
            country_code: self.country.0,
            country: None,
            phone: self.phone.0,
            email: self.email.0,
        };
        (a != Address::default()).then_some(a)
    }
}

/// A `meta_data` entry.
#[derive(Deserialize)]
struct WooMeta {
    #[serde(default)]
    key: String,
    value: Option<Box<RawValue>>,
}

impl WooMeta {
    /// The value when it is a non-empty string or a number, as text.
    fn text(&self) -> Option<String> {
        match serde_json::from_str::<serde_json::Value>(self.value.as_deref()?.get()).ok()? {
            serde_json::Value::String(s) if !s.is_empty() => Some(s),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// `meta_data` (`[{"id", "key", "value"}, ...]`) kept as the object `{key: value, ...}`.
fn meta_into(meta: Vec<WooMeta>, md: &mut Metadata) {
    if meta.is_empty() {
        return;
    }
    let object = Metadata::from_pairs(meta.iter().map(|m| (m.key.as_str(), m.value.as_deref())));
    md.insert_object("meta_data", &object);
}

/// Prefers the GMT field; falls back to the local one and flags it.
fn gmt(gmt: OptTs, local: OptTs, flag: &mut bool) -> Option<Timestamp> {
    match (gmt.0, local.0) {
        (Some(t), _) => Some(t),
        (None, Some(t)) => {
            *flag = true;
            Some(t)
        }
        (None, None) => None,
    }
}

#[derive(Deserialize)]
pub(crate) struct WooOrder {
    id: Id,
    #[serde(default)]
    parent_id: OptId,
    #[serde(default)]
    number: OptStr,
    #[serde(default)]
    order_key: OptStr,
    #[serde(default)]
    created_via: OptStr,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    date_created: OptTs,
    #[serde(default)]
    date_created_gmt: OptTs,
    #[serde(default)]
    date_modified: OptTs,
    #[serde(default)]
    date_modified_gmt: OptTs,
    #[serde(default)]
    date_paid: OptTs,
    #[serde(default)]
    date_paid_gmt: OptTs,
    #[serde(default)]
    date_completed: OptTs,
    #[serde(default)]
    date_completed_gmt: OptTs,
    #[serde(default)]
    discount_total: OptDec,
    #[serde(default)]
    shipping_total: OptDec,
    #[serde(default)]
    total: OptDec,
    #[serde(default)]
    total_tax: OptDec,
    #[serde(default)]
    prices_include_tax: bool,
    #[serde(default)]
    customer_id: OptId,
    #[serde(default)]
    customer_ip_address: OptStr,
    #[serde(default)]
    customer_user_agent: OptStr,
    #[serde(default)]
    customer_note: OptStr,
    #[serde(default)]
    billing: Option<WooAddress>,
    #[serde(default)]
    shipping: Option<WooAddress>,
    #[serde(default)]
    payment_method: OptStr,
    #[serde(default)]
    payment_method_title: OptStr,
    #[serde(default)]
    transaction_id: OptStr,
    #[serde(default)]
    cart_hash: OptStr,
    #[serde(default)]
    meta_data: Vec<WooMeta>,
    #[serde(default)]
    line_items: Vec<Captured<WooLineItem>>,
    #[serde(default)]
    tax_lines: Vec<WooTaxLine>,
    #[serde(default)]
    shipping_lines: Vec<WooShippingLine>,
    #[serde(default)]
    fee_lines: Vec<WooFeeLine>,
    #[serde(default)]
    coupon_lines: Vec<WooCouponLine>,
    #[serde(default)]
    refunds: Vec<WooRefundSummary>,
}

#[derive(Deserialize)]
struct WooLineItem {
    id: Id,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    product_id: OptId,
    #[serde(default)]
    variation_id: OptId,
    #[serde(default)]
    quantity: OptDec,
    #[serde(default)]
    subtotal: OptDec,
    #[serde(default)]
    total: OptDec,
    #[serde(default)]
    total_tax: OptDec,
    #[serde(default)]
    sku: OptStr,
    #[serde(default)]
    price: OptDec,
    #[serde(default)]
    meta_data: Vec<WooMeta>,
}

#[derive(Deserialize)]
struct WooTaxLine {
    #[serde(default)]
    id: OptId,
    #[serde(default)]
    rate_code: OptStr,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    rate_percent: OptDec,
    #[serde(default)]
    tax_total: OptDec,
    #[serde(default)]
    shipping_tax_total: OptDec,
}

#[derive(Deserialize)]
struct WooShippingLine {
    #[serde(default)]
    id: OptId,
    #[serde(default)]
    method_title: Option<String>,
    #[serde(default)]
    method_id: OptStr,
    #[serde(default)]
    total: OptDec,
    #[serde(default)]
    total_tax: OptDec,
}

#[derive(Deserialize)]
struct WooFeeLine {
    #[serde(default)]
    id: OptId,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    total: OptDec,
    #[serde(default)]
    total_tax: OptDec,
}

#[derive(Deserialize)]
struct WooCouponLine {
    #[serde(default)]
    id: OptId,
    #[serde(default)]
    code: OptStr,
    #[serde(default)]
    discount: OptDec,
    #[serde(default)]
    discount_type: OptStr,
}

#[derive(Deserialize)]
struct WooRefundSummary {
    id: Id,
    #[serde(default)]
    reason: OptStr,
    #[serde(default)]
    total: OptDec,
}

impl RawRecord for WooOrder {
    type Out = Order;
    const ENTITY: EntityKind = EntityKind::Order;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Order, FieldError> {
        let cur = Cur(currency("currency", self.currency.as_deref())?);
        let mut not_gmt = false;
        let created_at = gmt(self.date_created_gmt, self.date_created, &mut not_gmt)
            .ok_or_else(|| FieldError::missing("date_created_gmt"))?;
        let updated_at = gmt(self.date_modified_gmt, self.date_modified, &mut not_gmt);
        let paid_at = gmt(self.date_paid_gmt, self.date_paid, &mut not_gmt);
        let completed_at = gmt(self.date_completed_gmt, self.date_completed, &mut not_gmt);
        let platform_status = self.status.ok_or_else(|| FieldError::missing("status"))?;
        let status = OrderStatus::from_woocommerce(&platform_status);

        let mut line_items = Vec::with_capacity(self.line_items.len());
        let mut subtotal = Decimal::ZERO;
        for (i, Captured { rec: l, extras }) in self.line_items.into_iter().enumerate() {
            let quantity = l
                .quantity
                .0
                .ok_or_else(|| FieldError::missing(format!("line_items[{i}].quantity")))?;
            let line_subtotal = l.subtotal.or_zero();
            let line_total = l.total.or_zero();
            // `price` is WooCommerce's total / quantity, after discounts (and absent on some
            // older stores); the unified unit price is before discounts, so a discounted
            // line's comes from its subtotal.
            let unit_price = match l.price.0 {
                Some(p) if line_subtotal == line_total => p,
                _ if !quantity.is_zero() => (line_subtotal / quantity).round_dp(6).normalize(),
                Some(p) => p,
                None => Decimal::ZERO,
            };
            subtotal += line_subtotal;
            let mut metadata = extras;
            meta_into(l.meta_data, &mut metadata);
            line_items.push(LineItem {
                source_id: l.id.0,
                product_id: l.product_id.0,
                variant_id: l.variation_id.0,
                sku: l.sku.0,
                name: l.name.unwrap_or_default(),
                quantity,
                unit_price: cur.m(unit_price),
                subtotal: cur.m(line_subtotal),
                discount: cur.m(line_subtotal - line_total),
                tax: cur.m(l.total_tax.or_zero()),
                total: cur.m(line_total),
                components: Vec::new(),
                metadata,
            });
        }

        let tax_lines = self
            .tax_lines
            .into_iter()
            .map(|t| TaxLine {
                source_id: t.id.0,
                title: t.label.unwrap_or_default(),
                rate_code: t.rate_code.0,
                rate: t.rate_percent.0.map(|p| p / Decimal::ONE_HUNDRED),
                amount: cur.m(t.tax_total.or_zero()),
                shipping_amount: cur.m(t.shipping_tax_total.or_zero()),
            })
            .collect();
        let shipping_lines = self
            .shipping_lines
            .into_iter()
            .map(|s| ShippingLine {
                source_id: s.id.0,
                method: s.method_id.0,
                title: s.method_title.unwrap_or_default(),
                amount: cur.m(s.total.or_zero()),
                discount: cur.zero(),
                tax: cur.m(s.total_tax.or_zero()),
            })
            .collect();
        let mut fee_total = Decimal::ZERO;
        let fee_lines = self
            .fee_lines
            .into_iter()
            .map(|f| {
                fee_total += f.total.or_zero();
                FeeLine {
                    source_id: f.id.0,
                    name: f.name.unwrap_or_default(),
                    amount: cur.m(f.total.or_zero()),
                    tax: cur.m(f.total_tax.or_zero()),
                }
            })
            .collect();
        let discount_lines = self
            .coupon_lines
            .into_iter()
            .map(|c| DiscountLine {
                source_id: c.id.0,
                code: c.code.0,
                kind: c.discount_type.0.or_else(|| Some("coupon".to_owned())),
                amount: cur.m(c.discount.or_zero()),
            })
            .collect();
        let mut refunded = Decimal::ZERO;
        let refunds = self
            .refunds
            .into_iter()
            .map(|r| {
                let amount = r.total.or_zero().abs();
                refunded += amount;
                RefundSummary {
                    source_id: r.id.0,
                    amount: cur.m(amount),
                    reason: r.reason.0,
                    created_at: None,
                }
            })
            .collect();

        let mut metadata = extras;
        metadata.put("order_key", self.order_key.0);
        metadata.put("created_via", self.created_via.0);
        metadata.put("customer_ip_address", self.customer_ip_address.0);
        metadata.put("customer_user_agent", self.customer_user_agent.0);
        metadata.put("transaction_id", self.transaction_id.0);
        metadata.put("cart_hash", self.cart_hash.0);
        metadata.put("payment_method_title", self.payment_method_title.0);
        metadata.put("parent_id", self.parent_id.0);
        meta_into(self.meta_data, &mut metadata);
        if not_gmt {
            metadata.insert("dates_not_gmt", &true);
        }

        let billing_address = self.billing.and_then(WooAddress::into_address);
        let email = billing_address.as_ref().and_then(|a| a.email.clone());
        Ok(Order {
            source: ctx.source(EntityKind::Order, self.id.0),
            number: self.number.0,
            status,
            platform_status,
            payment_status: None,
            platform_payment_status: None,
            fulfillment_status: None,
            platform_fulfillment_status: None,
            currency: cur.0,
            created_at,
            updated_at,
            paid_at,
            completed_at,
            cancelled_at: None,
            customer_id: self.customer_id.0,
            email,
            billing_address,
            shipping_address: self.shipping.and_then(WooAddress::into_address),
            line_items,
            tax_lines,
            shipping_lines,
            fee_lines,
            discount_lines,
            refunds,
            subtotal: cur.m(subtotal),
            discount_total: cur.m(self.discount_total.or_zero()),
            shipping_total: cur.m(self.shipping_total.or_zero()),
            fee_total: cur.m(fee_total),
            tax_total: cur.m(self.total_tax.or_zero()),
            total: cur.m(self.total.0.ok_or_else(|| FieldError::missing("total"))?),
            refunded_total: cur.m(refunded),
            prices_include_tax: self.prices_include_tax,
            payment_method: self.payment_method.0,
            note: self.customer_note.0,
            tags: Vec::new(),
            metadata,
        })
    }
}

/// A refund object (`/orders/<id>/refunds`).
#[derive(Deserialize)]
pub(crate) struct WooRefund {
    id: Id,
    #[serde(default)]
    date_created: OptTs,
    #[serde(default)]
    date_created_gmt: OptTs,
    #[serde(default)]
    amount: OptDec,
    #[serde(default)]
    reason: OptStr,
    #[serde(default)]
    refunded_by: OptId,
    #[serde(default)]
    refunded_payment: Option<bool>,
    #[serde(default)]
    meta_data: Vec<WooMeta>,
    #[serde(default)]
    line_items: Vec<WooRefundLine>,
    #[serde(default)]
    shipping_lines: Vec<WooShippingLine>,
    /// Present when the refund is read from the v3 API with its parent (`parent_id`
    /// appears on some stores); otherwise the order id comes from `_links.up`.
    #[serde(default)]
    parent_id: OptId,
    #[serde(default, rename = "_links")]
    links: Option<WooLinks>,
}

#[derive(Deserialize)]
struct WooRefundLine {
    #[serde(default)]
    id: OptId,
    #[serde(default)]
    name: OptStr,
    #[serde(default)]
    product_id: OptId,
    #[serde(default)]
    variation_id: OptId,
    #[serde(default)]
    quantity: OptDec,
    #[serde(default)]
    subtotal: OptDec,
    #[serde(default)]
    total_tax: OptDec,
    #[serde(default)]
    sku: OptStr,
    #[serde(default)]
    meta_data: Vec<WooMeta>,
}

#[derive(Deserialize, Default)]
struct WooLinks {
    #[serde(default)]
    up: Vec<WooHref>,
}

#[derive(Deserialize)]
struct WooHref {
    #[serde(default)]
    href: String,
}

/// The parent's id at the end of `_links.up` (`.../orders/<id>`, `.../products/<id>`).
fn parent_id_from_links(links: Option<WooLinks>) -> Option<String> {
    let href = links?.up.into_iter().next()?.href;
    let tail = href.trim_end_matches('/').rsplit('/').next()?;
    (!tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit())).then(|| tail.to_owned())
}

impl RawRecord for WooRefund {
    type Out = Refund;
    const ENTITY: EntityKind = EntityKind::Refund;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Refund, FieldError> {
        // Refund payloads carry no currency: use the store's when the mapper knows it, else
        // ISO 4217's "XXX" (no currency), flagged in the metadata.
        let cur = Cur(ctx.currency.unwrap_or(Currency::UNKNOWN));
        let mut not_gmt = false;
        let created_at = gmt(self.date_created_gmt, self.date_created, &mut not_gmt)
            .ok_or_else(|| FieldError::missing("date_created_gmt"))?;
        let refunded_item = |meta: &[WooMeta]| {
            meta.iter()
                .find(|m| m.key == "_refunded_item_id")
                .and_then(WooMeta::text)
        };
        let line_items = self
            .line_items
            .into_iter()
            .map(|l| {
                let subtotal = l.subtotal.or_zero().abs();
                let tax = l.total_tax.or_zero().abs();
                RefundLineItem {
                    line_item_id: refunded_item(&l.meta_data),
                    source_id: l.id.0,
                    product_id: l.product_id.0,
                    variant_id: l.variation_id.0,
                    sku: l.sku.0,
                    name: l.name.0,
                    quantity: l.quantity.or_zero().abs(),
                    subtotal: cur.m(subtotal),
                    tax: cur.m(tax),
                    total: cur.m(subtotal + tax),
                }
            })
            .collect();
        let shipping: Decimal = self
            .shipping_lines
            .iter()
            .map(|s| s.total.or_zero().abs())
            .sum();
        let mut metadata = extras;
        metadata.put("refunded_by", self.refunded_by.0);
        if let Some(p) = self.refunded_payment {
            metadata.insert("refunded_payment", &p);
        }
        meta_into(self.meta_data, &mut metadata);
        if not_gmt {
            metadata.insert("dates_not_gmt", &true);
        }
        if ctx.currency.is_none() {
            metadata.insert("currency_unknown", &true);
        }
        Ok(Refund {
            source: ctx.source(EntityKind::Refund, self.id.0),
            order_id: self
                .parent_id
                .0
                .or_else(|| parent_id_from_links(self.links)),
            created_at,
            processed_at: None,
            amount: cur.m(self
                .amount
                .0
                .ok_or_else(|| FieldError::missing("amount"))?
                .abs()),
            shipping: cur.m(shipping),
            reason: self.reason.0,
            restock: None,
            line_items,
            metadata,
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct WooCustomer {
    id: Id,
    #[serde(default)]
    date_created: OptTs,
    #[serde(default)]
    date_created_gmt: OptTs,
    #[serde(default)]
    date_modified: OptTs,
    #[serde(default)]
    date_modified_gmt: OptTs,
    #[serde(default)]
    email: OptStr,
    #[serde(default)]
    first_name: OptStr,
    #[serde(default)]
    last_name: OptStr,
    #[serde(default)]
    role: OptStr,
    #[serde(default)]
    username: OptStr,
    #[serde(default)]
    billing: Option<WooAddress>,
    #[serde(default)]
    shipping: Option<WooAddress>,
    #[serde(default)]
    is_paying_customer: Option<bool>,
    #[serde(default)]
    meta_data: Vec<WooMeta>,
}

impl RawRecord for WooCustomer {
    type Out = Customer;
    const ENTITY: EntityKind = EntityKind::Customer;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Customer, FieldError> {
        let mut not_gmt = false;
        let created_at = gmt(self.date_created_gmt, self.date_created, &mut not_gmt);
        let updated_at = gmt(self.date_modified_gmt, self.date_modified, &mut not_gmt);
        let billing = self.billing.and_then(WooAddress::into_address);
        let shipping = self.shipping.and_then(WooAddress::into_address);
        let phone = billing.as_ref().and_then(|a| a.phone.clone());
        let addresses = billing.iter().chain(shipping.iter()).cloned().collect();
        let mut metadata = extras;
        metadata.put("role", self.role.0);
        metadata.put("username", self.username.0);
        if let Some(p) = self.is_paying_customer {
            metadata.insert("is_paying_customer", &p);
        }
        meta_into(self.meta_data, &mut metadata);
        if not_gmt {
            metadata.insert("dates_not_gmt", &true);
        }
        Ok(Customer {
            source: ctx.source(EntityKind::Customer, self.id.0),
            email: self.email.0,
            first_name: self.first_name.0,
            last_name: self.last_name.0,
            phone,
            created_at,
            updated_at,
            billing_address: billing,
            shipping_address: shipping,
            addresses,
            orders_count: None,
            total_spent: None,
            accepts_marketing: None,
            state: None,
            tags: Vec::new(),
            metadata,
        })
    }
}

#[derive(Deserialize)]
struct WooNamed {
    #[serde(default)]
    name: OptStr,
}

#[derive(Deserialize)]
struct WooAttribute {
    #[serde(default)]
    name: OptStr,
    #[serde(default)]
    option: OptStr,
}

#[derive(Deserialize)]
pub(crate) struct WooProduct {
    id: Id,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    slug: OptStr,
    #[serde(default, rename = "type")]
    kind: OptStr,
    #[serde(default)]
    status: OptStr,
    #[serde(default)]
    sku: OptStr,
    #[serde(default)]
    price: OptDec,
    #[serde(default)]
    regular_price: OptDec,
    #[serde(default)]
    date_created: OptTs,
    #[serde(default)]
    date_created_gmt: OptTs,
    #[serde(default)]
    date_modified: OptTs,
    #[serde(default)]
    date_modified_gmt: OptTs,
    #[serde(default)]
    stock_quantity: Option<i64>,
    #[serde(default)]
    stock_status: OptStr,
    #[serde(default)]
    categories: Vec<WooNamed>,
    #[serde(default)]
    tags: Vec<WooNamed>,
    #[serde(default)]
    variations: Vec<Id>,
    #[serde(default)]
    meta_data: Vec<WooMeta>,
}

fn product_status(s: Option<&str>) -> ProductStatus {
    match s {
        Some("publish") => ProductStatus::Active,
        Some("draft" | "pending" | "private" | "future") => ProductStatus::Draft,
        Some("trash") => ProductStatus::Archived,
        _ => ProductStatus::Other,
    }
}

impl RawRecord for WooProduct {
    type Out = Product;
    const ENTITY: EntityKind = EntityKind::Product;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Product, FieldError> {
        let mut not_gmt = false;
        let created_at = gmt(self.date_created_gmt, self.date_created, &mut not_gmt);
        let updated_at = gmt(self.date_modified_gmt, self.date_modified, &mut not_gmt);
        let kind = match self.kind.0.as_deref() {
            Some("simple") => ProductKind::Simple,
            Some("variable") => ProductKind::Variable,
            Some("grouped") => ProductKind::Bundle,
            _ => ProductKind::Other,
        };
        let mut metadata = extras;
        metadata.put("stock_status", self.stock_status.0);
        meta_into(self.meta_data, &mut metadata);
        if not_gmt {
            metadata.insert("dates_not_gmt", &true);
        }
        Ok(Product {
            source: ctx.source(EntityKind::Product, self.id.0),
            name: self.name.unwrap_or_default(),
            kind,
            status: product_status(self.status.0.as_deref()),
            platform_type: self.kind.0,
            platform_status: self.status.0,
            sku: self.sku.0,
            handle: self.slug.0,
            vendor: None,
            price: self.price.0,
            regular_price: self.regular_price.0,
            currency: ctx.currency,
            inventory_quantity: self.stock_quantity,
            categories: self
                .categories
                .into_iter()
                .filter_map(|c| c.name.0)
                .collect(),
            tags: self.tags.into_iter().filter_map(|c| c.name.0).collect(),
            variant_ids: self.variations.into_iter().map(|v| v.0).collect(),
            variants: Vec::new(),
            created_at,
            updated_at,
            metadata,
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct WooVariation {
    id: Id,
    #[serde(default)]
    parent_id: OptId,
    #[serde(default)]
    sku: OptStr,
    #[serde(default)]
    price: OptDec,
    #[serde(default)]
    regular_price: OptDec,
    #[serde(default)]
    status: OptStr,
    #[serde(default)]
    stock_quantity: Option<i64>,
    #[serde(default)]
    stock_status: OptStr,
    #[serde(default)]
    date_created: OptTs,
    #[serde(default)]
    date_created_gmt: OptTs,
    #[serde(default)]
    date_modified: OptTs,
    #[serde(default)]
    date_modified_gmt: OptTs,
    #[serde(default)]
    attributes: Vec<WooAttribute>,
    #[serde(default)]
    meta_data: Vec<WooMeta>,
    #[serde(default, rename = "_links")]
    links: Option<WooLinks>,
}

impl RawRecord for WooVariation {
    type Out = Variant;
    const ENTITY: EntityKind = EntityKind::Variant;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Variant, FieldError> {
        let mut not_gmt = false;
        let created_at = gmt(self.date_created_gmt, self.date_created, &mut not_gmt);
        let updated_at = gmt(self.date_modified_gmt, self.date_modified, &mut not_gmt);
        let options: Vec<VariantOption> = self
            .attributes
            .into_iter()
            .filter_map(|a| {
                Some(VariantOption {
                    name: a.name.0?,
                    value: a.option.0.unwrap_or_default(),
                })
            })
            .collect();
        let title = (!options.is_empty()).then(|| {
            options
                .iter()
                .map(|o| o.value.as_str())
                .collect::<Vec<_>>()
                .join(" / ")
        });
        let mut metadata = extras;
        metadata.put("stock_status", self.stock_status.0);
        meta_into(self.meta_data, &mut metadata);
        if not_gmt {
            metadata.insert("dates_not_gmt", &true);
        }
        Ok(Variant {
            source: ctx.source(EntityKind::Variant, self.id.0),
            product_id: self
                .parent_id
                .0
                .or_else(|| parent_id_from_links(self.links)),
            sku: self.sku.0,
            title,
            price: self.price.0,
            regular_price: self.regular_price.0,
            currency: ctx.currency,
            inventory_quantity: self.stock_quantity,
            options,
            status: Some(product_status(self.status.0.as_deref())),
            created_at,
            updated_at,
            metadata,
        })
    }
}
