//! Shopify Admin REST payloads (2024-01 and later shapes).
//!
//! Amounts are taken in the shop's currency (`currency`, the `shop_money` side of the
//! `*_set` objects); the presentment currency and total the buyer saw are kept in
//! `metadata`. Timestamps carry the shop's offset and are converted to UTC. Money sent as
//! JSON numbers (a refund line's `subtotal`) is read exactly.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::capture::Captured;
use super::de::{Dec, Flag, Id, OptDec, OptId, OptStr, OptTs};
use super::money::Cur;
use super::{Ctx, FieldError, RawRecord, currency};
use crate::model::{
    Address, Currency, Customer, DiscountLine, EntityKind, FulfillmentStatus, LineItem, Metadata,
    Money, Order, OrderStatus, PaymentStatus, Product, ProductKind, ProductStatus, Refund,
    RefundLineItem, RefundSummary, ShippingLine, TaxLine, Transaction, Variant, VariantOption,
};

fn tags(s: Option<String>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ShopifyAddress {
    first_name: OptStr,
    last_name: OptStr,
    company: OptStr,
    address1: OptStr,
    address2: OptStr,
    city: OptStr,
    province: OptStr,
    province_code: OptStr,
    zip: OptStr,
    country: OptStr,
    country_code: OptStr,
    phone: OptStr,
}

impl ShopifyAddress {
    fn into_address(self) -> Option<Address> {
        let a = Address {
            first_name: self.first_name.0,
            last_name: self.last_name.0,
            company: self.company.0,
            line1: self.address1.0,
            line2: self.address2.0,
            city: self.city.0,
            region: self.province.0,
            region_code: self.province_code.0,
            postal_code: self.zip.0,
            country_code: self.country_code.0,
            country: self.country.0,
            phone: self.phone.0,
            email: None,
        };
        (a != Address::default()).then_some(a)
    }
}

#[derive(Deserialize)]
struct Amount {
    #[serde(default)]
    amount: OptDec,
    #[serde(default, alias = "currency")]
    currency_code: Option<String>,
}

#[derive(Deserialize)]
struct MoneySet {
    shop_money: Option<Amount>,
    presentment_money: Option<Amount>,
}

#[derive(Deserialize)]
struct ShopifyTaxLine {
    #[serde(default)]
    price: OptDec,
    #[serde(default)]
    rate: OptDec,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Deserialize)]
struct DiscountAllocation {
    #[serde(default)]
    amount: OptDec,
}

#[derive(Deserialize)]
struct NameValue {
    #[serde(default)]
    name: String,
    value: Option<Box<RawValue>>,
}

/// `[{"name": k, "value": v}, ...]` as the object `{k: v, ...}`, values verbatim.
fn name_values(v: &[NameValue]) -> Metadata {
    Metadata::from_pairs(v.iter().map(|p| (p.name.as_str(), p.value.as_deref())))
}

#[derive(Deserialize)]
struct ShopifyLineItem {
    id: Id,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    product_id: OptId,
    #[serde(default)]
    variant_id: OptId,
    #[serde(default)]
    variant_title: OptStr,
    #[serde(default)]
    sku: OptStr,
    #[serde(default)]
    vendor: OptStr,
    quantity: Dec,
    price: Dec,
    #[serde(default)]
    total_discount: OptDec,
    #[serde(default)]
    tax_lines: Vec<ShopifyTaxLine>,
    #[serde(default)]
    discount_allocations: Vec<DiscountAllocation>,
    #[serde(default)]
    properties: Vec<NameValue>,
    #[serde(default)]
    gift_card: Option<bool>,
}

#[derive(Deserialize)]
struct ShopifyShippingLine {
    #[serde(default)]
    id: OptId,
    #[serde(default)]
    code: OptStr,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    price: OptDec,
    #[serde(default)]
    discounted_price: OptDec,
    #[serde(default)]
    tax_lines: Vec<ShopifyTaxLine>,
    #[serde(default)]
    discount_allocations: Vec<DiscountAllocation>,
}

#[derive(Deserialize)]
struct DiscountCode {
    #[serde(default)]
    code: OptStr,
    #[serde(default)]
    amount: OptDec,
    #[serde(default, rename = "type")]
    kind: OptStr,
}

#[derive(Deserialize)]
struct CustomerRef {
    #[serde(default)]
    id: OptId,
}

#[derive(Deserialize)]
pub(crate) struct ShopifyOrder {
    id: Id,
    #[serde(default)]
    name: OptStr,
    #[serde(default)]
    email: OptStr,
    #[serde(default)]
    contact_email: OptStr,
    #[serde(default)]
    created_at: OptTs,
    #[serde(default)]
    updated_at: OptTs,
    #[serde(default)]
    processed_at: OptTs,
    #[serde(default)]
    closed_at: OptTs,
    #[serde(default)]
    cancelled_at: OptTs,
    #[serde(default)]
    cancel_reason: OptStr,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    presentment_currency: OptStr,
    #[serde(default)]
    financial_status: OptStr,
    #[serde(default)]
    fulfillment_status: OptStr,
    #[serde(default)]
    total_price: OptDec,
    #[serde(default)]
    total_price_set: Option<MoneySet>,
    #[serde(default)]
    total_line_items_price: OptDec,
    #[serde(default)]
    total_tax: OptDec,
    #[serde(default)]
    total_discounts: OptDec,
    #[serde(default)]
    total_shipping_price_set: Option<MoneySet>,
    #[serde(default)]
    taxes_included: Option<bool>,
    #[serde(default)]
    customer: Option<CustomerRef>,
    #[serde(default)]
    billing_address: Option<ShopifyAddress>,
    #[serde(default)]
    shipping_address: Option<ShopifyAddress>,
    #[serde(default)]
    line_items: Vec<Captured<ShopifyLineItem>>,
    #[serde(default)]
    shipping_lines: Vec<ShopifyShippingLine>,
    #[serde(default)]
    tax_lines: Vec<ShopifyTaxLine>,
    #[serde(default)]
    discount_codes: Vec<DiscountCode>,
    #[serde(default)]
    refunds: Vec<ShopifyRefund>,
    #[serde(default)]
    note: OptStr,
    #[serde(default)]
    note_attributes: Vec<NameValue>,
    #[serde(default)]
    tags: OptStr,
    #[serde(default)]
    payment_gateway_names: Vec<String>,
    #[serde(default)]
    source_name: OptStr,
    #[serde(default)]
    landing_site: OptStr,
    #[serde(default)]
    referring_site: OptStr,
    #[serde(default)]
    test: Option<bool>,
}

fn sum_tax(lines: &[ShopifyTaxLine]) -> Decimal {
    lines.iter().map(|t| t.price.or_zero()).sum()
}

fn sum_alloc(lines: &[DiscountAllocation]) -> Decimal {
    lines.iter().map(|a| a.amount.or_zero()).sum()
}

/// Shopify's order status, derived as documented in [`crate::model`]'s status table.
fn order_status(
    cancelled: bool,
    closed: bool,
    financial: Option<&str>,
    fulfillment: Option<&str>,
) -> OrderStatus {
    if cancelled {
        return OrderStatus::Cancelled;
    }
    match financial {
        Some("refunded") => return OrderStatus::Refunded,
        Some("voided") => return OrderStatus::Cancelled,
        _ => {}
    }
    if closed || fulfillment == Some("fulfilled") {
        return OrderStatus::Completed;
    }
    match financial {
        Some("pending") => OrderStatus::Pending,
        Some("expired") => OrderStatus::OnHold,
        _ => OrderStatus::Processing,
    }
}

impl RawRecord for ShopifyOrder {
    type Out = Order;
    const ENTITY: EntityKind = EntityKind::Order;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Order, FieldError> {
        let cur = Cur(currency("currency", self.currency.as_deref())?);
        let created_at = self
            .created_at
            .0
            .ok_or_else(|| FieldError::missing("created_at"))?;
        let financial = self.financial_status.0;
        let fulfillment = self.fulfillment_status.0;
        let status = order_status(
            self.cancelled_at.0.is_some(),
            self.closed_at.0.is_some(),
            financial.as_deref(),
            fulfillment.as_deref(),
        );
        let platform_status = if self.cancelled_at.0.is_some() {
            "cancelled"
        } else if self.closed_at.0.is_some() {
            "closed"
        } else {
            "open"
        };

        let mut lines_total = Decimal::ZERO;
        let line_items = self
            .line_items
            .into_iter()
            .map(|Captured { rec: l, extras }| {
                let quantity = l.quantity.0;
                let subtotal = l.price.0 * quantity;
                lines_total += subtotal;
                let discount = if l.discount_allocations.is_empty() {
                    l.total_discount.or_zero()
                } else {
                    sum_alloc(&l.discount_allocations)
                };
                let mut metadata = extras;
                if !l.properties.is_empty() {
                    metadata.insert_object("properties", &name_values(&l.properties));
                }
                metadata.put("variant_title", l.variant_title.0);
                metadata.put("vendor", l.vendor.0);
                if let Some(true) = l.gift_card {
                    metadata.insert("gift_card", &true);
                }
                LineItem {
                    source_id: l.id.0,
                    product_id: l.product_id.0,
                    variant_id: l.variant_id.0,
                    sku: l.sku.0,
                    name: l.name.or(l.title).unwrap_or_default(),
                    quantity,
                    unit_price: cur.m(l.price.0),
                    subtotal: cur.m(subtotal),
                    discount: cur.m(discount),
                    tax: cur.m(sum_tax(&l.tax_lines)),
                    total: cur.m(subtotal - discount),
                    components: Vec::new(),
                    metadata,
                }
            })
            .collect();

        let mut shipping_sum = Decimal::ZERO;
        let shipping_lines = self
            .shipping_lines
            .into_iter()
            .map(|s| {
                let amount = s.price.or_zero();
                shipping_sum += amount;
                let discount = match s.discounted_price.0 {
                    Some(d) if s.discount_allocations.is_empty() => amount - d,
                    _ => sum_alloc(&s.discount_allocations),
                };
                ShippingLine {
                    source_id: s.id.0,
                    method: s.code.0,
                    title: s.title.unwrap_or_default(),
                    amount: cur.m(amount),
                    discount: cur.m(discount),
                    tax: cur.m(sum_tax(&s.tax_lines)),
                }
            })
            .collect();
        let shipping_total = self
            .total_shipping_price_set
            .and_then(|s| s.shop_money)
            .and_then(|m| m.amount.0)
            .unwrap_or(shipping_sum);

        let tax_lines = self
            .tax_lines
            .into_iter()
            .map(|t| TaxLine {
                source_id: None,
                title: t.title.unwrap_or_default(),
                rate_code: None,
                rate: t.rate.0,
                amount: cur.m(t.price.or_zero()),
                shipping_amount: cur.zero(),
            })
            .collect();
        let discount_lines = self
            .discount_codes
            .into_iter()
            .map(|d| DiscountLine {
                source_id: None,
                code: d.code.0,
                kind: d.kind.0,
                amount: cur.m(d.amount.or_zero()),
            })
            .collect();

        let mut refunded = Decimal::ZERO;
        let mut refunds = Vec::with_capacity(self.refunds.len());
        for (i, r) in self.refunds.into_iter().enumerate() {
            let full = r
                .convert_with(ctx, Some(cur.0), Metadata::new())
                .map_err(|mut e| {
                    e.path = super::join_path(&format!("refunds[{i}]"), &e.path);
                    e
                })?;
            refunded += full.amount.amount;
            refunds.push(RefundSummary {
                source_id: full.source.id,
                amount: full.amount,
                reason: full.reason,
                created_at: Some(full.created_at),
            });
        }

        let mut metadata = extras;
        if let Some(p) = self.presentment_currency.0 {
            if p != cur.0.as_str() {
                if let Some(pm) = self.total_price_set.and_then(|s| s.presentment_money) {
                    if let Some(a) = pm.amount.0 {
                        metadata.insert("presentment_total", &a.to_string());
                    }
                }
            }
            metadata.insert("presentment_currency", &p);
        }
        metadata.put("cancel_reason", self.cancel_reason.0);
        metadata.put("source_name", self.source_name.0);
        metadata.put("landing_site", self.landing_site.0);
        metadata.put("referring_site", self.referring_site.0);
        if !self.note_attributes.is_empty() {
            metadata.insert_object("note_attributes", &name_values(&self.note_attributes));
        }
        if let Some(true) = self.test {
            metadata.insert("test", &true);
        }
        let payment_method =
            (!self.payment_gateway_names.is_empty()).then(|| self.payment_gateway_names.join(", "));
        let paid_at = match financial.as_deref() {
            Some("paid" | "partially_refunded" | "refunded") => self.processed_at.0,
            _ => None,
        };
        Ok(Order {
            source: ctx.source(EntityKind::Order, self.id.0),
            number: self.name.0,
            status,
            platform_status: platform_status.to_owned(),
            payment_status: Some(
                financial
                    .as_deref()
                    .map(PaymentStatus::from_shopify)
                    .unwrap_or(PaymentStatus::Pending),
            ),
            platform_payment_status: financial,
            fulfillment_status: Some(FulfillmentStatus::from_shopify(fulfillment.as_deref())),
            platform_fulfillment_status: fulfillment,
            currency: cur.0,
            created_at,
            updated_at: self.updated_at.0,
            paid_at,
            completed_at: self.closed_at.0,
            cancelled_at: self.cancelled_at.0,
            customer_id: self.customer.and_then(|c| c.id.0),
            email: self.email.0.or(self.contact_email.0),
            billing_address: self.billing_address.and_then(ShopifyAddress::into_address),
            shipping_address: self.shipping_address.and_then(ShopifyAddress::into_address),
            line_items,
            tax_lines,
            shipping_lines,
            fee_lines: Vec::new(),
            discount_lines,
            refunds,
            subtotal: cur.m(self.total_line_items_price.0.unwrap_or(lines_total)),
            discount_total: cur.m(self.total_discounts.or_zero()),
            shipping_total: cur.m(shipping_total),
            fee_total: cur.zero(),
            tax_total: cur.m(self.total_tax.or_zero()),
            total: cur.m(self
                .total_price
                .0
                .ok_or_else(|| FieldError::missing("total_price"))?),
            refunded_total: cur.m(refunded),
            prices_include_tax: self.taxes_included.unwrap_or(false),
            payment_method,
            note: self.note.0,
            tags: tags(self.tags.0),
            metadata,
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct ShopifyTransaction {
    id: Id,
    #[serde(default)]
    order_id: OptId,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    amount: OptDec,
    #[serde(default)]
    currency: OptStr,
    #[serde(default)]
    gateway: OptStr,
    #[serde(default)]
    created_at: OptTs,
    #[serde(default)]
    processed_at: OptTs,
    #[serde(default)]
    parent_id: OptId,
    #[serde(default)]
    authorization: OptStr,
    #[serde(default)]
    error_code: OptStr,
    #[serde(default)]
    message: OptStr,
    #[serde(default)]
    source_name: OptStr,
    #[serde(default)]
    test: Option<bool>,
}

impl ShopifyTransaction {
    fn is_successful_refund(&self) -> bool {
        self.kind.as_deref() == Some("refund")
            && self.status.as_deref().is_none_or(|s| s == "success")
    }
}

impl RawRecord for ShopifyTransaction {
    type Out = Transaction;
    const ENTITY: EntityKind = EntityKind::Transaction;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Transaction, FieldError> {
        let cur = match self.currency.0.as_deref() {
            Some(c) => currency("currency", Some(c))?,
            None => ctx.currency.unwrap_or(Currency::UNKNOWN),
        };
        let mut metadata = extras;
        metadata.put("authorization", self.authorization.0);
        metadata.put("error_code", self.error_code.0);
        metadata.put("message", self.message.0);
        metadata.put("source_name", self.source_name.0);
        if let Some(true) = self.test {
            metadata.insert("test", &true);
        }
        Ok(Transaction {
            source: ctx.source(EntityKind::Transaction, self.id.0),
            order_id: self.order_id.0,
            kind: self.kind.ok_or_else(|| FieldError::missing("kind"))?,
            status: self.status.unwrap_or_else(|| "success".to_owned()),
            amount: Money::new(
                self.amount.0.ok_or_else(|| FieldError::missing("amount"))?,
                cur,
            ),
            gateway: self.gateway.0,
            created_at: self
                .created_at
                .0
                .ok_or_else(|| FieldError::missing("created_at"))?,
            processed_at: self.processed_at.0,
            parent_id: self.parent_id.0,
            metadata,
        })
    }
}

#[derive(Deserialize)]
struct RefundLineRef {
    #[serde(default)]
    product_id: OptId,
    #[serde(default)]
    variant_id: OptId,
    #[serde(default)]
    sku: OptStr,
    #[serde(default)]
    name: OptStr,
}

#[derive(Deserialize)]
struct ShopifyRefundLine {
    #[serde(default)]
    id: OptId,
    #[serde(default)]
    line_item_id: OptId,
    #[serde(default)]
    quantity: OptDec,
    #[serde(default)]
    subtotal: OptDec,
    #[serde(default)]
    subtotal_set: Option<MoneySet>,
    #[serde(default)]
    total_tax: OptDec,
    #[serde(default)]
    restock_type: OptStr,
    #[serde(default)]
    line_item: Option<RefundLineRef>,
}

#[derive(Deserialize)]
struct OrderAdjustment {
    #[serde(default)]
    amount: OptDec,
    #[serde(default)]
    kind: OptStr,
}

#[derive(Deserialize)]
pub(crate) struct ShopifyRefund {
    id: Id,
    #[serde(default)]
    order_id: OptId,
    #[serde(default)]
    created_at: OptTs,
    #[serde(default)]
    processed_at: OptTs,
    #[serde(default)]
    note: OptStr,
    #[serde(default)]
    restock: Option<bool>,
    #[serde(default)]
    transactions: Vec<ShopifyTransaction>,
    #[serde(default)]
    refund_line_items: Vec<ShopifyRefundLine>,
    #[serde(default)]
    order_adjustments: Vec<OrderAdjustment>,
}

impl ShopifyRefund {
    /// Converts with the order's currency when the refund is read inside its order.
    fn convert_with(
        self,
        ctx: &Ctx<'_>,
        order_currency: Option<Currency>,
        extras: Metadata,
    ) -> Result<Refund, FieldError> {
        let tx_currency = self.transactions.iter().find_map(|t| t.currency.0.clone());
        let set_currency = self.refund_line_items.iter().find_map(|l| {
            l.subtotal_set
                .as_ref()?
                .shop_money
                .as_ref()?
                .currency_code
                .clone()
        });
        let cur = match order_currency {
            Some(c) => c,
            None => match tx_currency.or(set_currency) {
                Some(c) => currency("transactions[0].currency", Some(&c))?,
                None => ctx.currency.unwrap_or(Currency::UNKNOWN),
            },
        };
        let cur = Cur(cur);
        let line_items: Vec<RefundLineItem> = self
            .refund_line_items
            .into_iter()
            .map(|l| {
                let subtotal = l
                    .subtotal_set
                    .and_then(|s| s.shop_money)
                    .and_then(|m| m.amount.0)
                    .or(l.subtotal.0)
                    .unwrap_or_default()
                    .abs();
                let tax = l.total_tax.or_zero().abs();
                let r = l.line_item;
                let _ = l.restock_type;
                RefundLineItem {
                    source_id: l.id.0,
                    line_item_id: l.line_item_id.0,
                    product_id: r.as_ref().and_then(|r| r.product_id.0.clone()),
                    variant_id: r.as_ref().and_then(|r| r.variant_id.0.clone()),
                    sku: r.as_ref().and_then(|r| r.sku.0.clone()),
                    name: r.and_then(|r| r.name.0),
                    quantity: l.quantity.or_zero().abs(),
                    subtotal: cur.m(subtotal),
                    tax: cur.m(tax),
                    total: cur.m(subtotal + tax),
                }
            })
            .collect();
        let shipping: Decimal = self
            .order_adjustments
            .iter()
            .filter(|a| a.kind.0.as_deref() == Some("shipping_refund"))
            .map(|a| a.amount.or_zero().abs())
            .sum();
        let refund_txs: Vec<&ShopifyTransaction> = self
            .transactions
            .iter()
            .filter(|t| t.is_successful_refund())
            .collect();
        let amount = if refund_txs.is_empty() {
            line_items.iter().map(|l| l.total.amount).sum::<Decimal>() + shipping
        } else {
            refund_txs.iter().map(|t| t.amount.or_zero().abs()).sum()
        };
        let created_at = self
            .created_at
            .0
            .or(self.processed_at.0)
            .ok_or_else(|| FieldError::missing("created_at"))?;
        let mut metadata = extras;
        if !self.transactions.is_empty() {
            let ids: Vec<&str> = self.transactions.iter().map(|t| t.id.0.as_str()).collect();
            metadata.insert("transaction_ids", &ids);
        }
        Ok(Refund {
            source: ctx.source(EntityKind::Refund, self.id.0),
            order_id: self.order_id.0,
            created_at,
            processed_at: self.processed_at.0,
            amount: cur.m(amount),
            shipping: cur.m(shipping),
            reason: self.note.0,
            restock: self.restock,
            line_items,
            metadata,
        })
    }
}

impl RawRecord for ShopifyRefund {
    type Out = Refund;
    const ENTITY: EntityKind = EntityKind::Refund;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Refund, FieldError> {
        self.convert_with(ctx, None, extras)
    }
}

#[derive(Deserialize)]
struct EmailConsent {
    #[serde(default)]
    state: OptStr,
}

#[derive(Deserialize)]
pub(crate) struct ShopifyCustomer {
    id: Id,
    #[serde(default)]
    email: OptStr,
    #[serde(default)]
    first_name: OptStr,
    #[serde(default)]
    last_name: OptStr,
    #[serde(default)]
    phone: OptStr,
    #[serde(default)]
    created_at: OptTs,
    #[serde(default)]
    updated_at: OptTs,
    #[serde(default)]
    orders_count: Option<u64>,
    #[serde(default)]
    total_spent: OptDec,
    #[serde(default)]
    currency: OptStr,
    #[serde(default)]
    state: OptStr,
    #[serde(default)]
    tags: OptStr,
    #[serde(default)]
    note: OptStr,
    #[serde(default)]
    verified_email: Option<bool>,
    #[serde(default)]
    tax_exempt: Option<bool>,
    #[serde(default)]
    accepts_marketing: Flag,
    #[serde(default)]
    email_marketing_consent: Option<EmailConsent>,
    #[serde(default)]
    addresses: Vec<ShopifyAddress>,
    #[serde(default)]
    default_address: Option<ShopifyAddress>,
}

impl RawRecord for ShopifyCustomer {
    type Out = Customer;
    const ENTITY: EntityKind = EntityKind::Customer;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Customer, FieldError> {
        let cur = match self.currency.0.as_deref() {
            Some(c) => Some(currency("currency", Some(c))?),
            None => ctx.currency,
        };
        let total_spent = match (self.total_spent.0, cur) {
            (Some(a), Some(c)) => Some(Money::new(a, c)),
            _ => None,
        };
        let accepts_marketing = self.accepts_marketing.0.or_else(|| {
            self.email_marketing_consent
                .and_then(|c| c.state.0)
                .map(|s| s == "subscribed")
        });
        let default = self.default_address.and_then(ShopifyAddress::into_address);
        let mut metadata = extras;
        metadata.put("note", self.note.0);
        if let Some(v) = self.verified_email {
            metadata.insert("verified_email", &v);
        }
        if let Some(true) = self.tax_exempt {
            metadata.insert("tax_exempt", &true);
        }
        Ok(Customer {
            source: ctx.source(EntityKind::Customer, self.id.0),
            email: self.email.0,
            first_name: self.first_name.0,
            last_name: self.last_name.0,
            phone: self.phone.0,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            billing_address: default.clone(),
            shipping_address: default,
            addresses: self
                .addresses
                .into_iter()
                .filter_map(ShopifyAddress::into_address)
                .collect(),
            orders_count: self.orders_count,
            total_spent,
            accepts_marketing,
            state: self.state.0,
            tags: tags(self.tags.0),
            metadata,
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct ShopifyVariant {
    id: Id,
    #[serde(default)]
    product_id: OptId,
    #[serde(default)]
    title: OptStr,
    #[serde(default)]
    price: OptDec,
    #[serde(default)]
    compare_at_price: OptDec,
    #[serde(default)]
    sku: OptStr,
    #[serde(default)]
    barcode: OptStr,
    #[serde(default)]
    inventory_quantity: Option<i64>,
    #[serde(default)]
    option1: OptStr,
    #[serde(default)]
    option2: OptStr,
    #[serde(default)]
    option3: OptStr,
    #[serde(default)]
    created_at: OptTs,
    #[serde(default)]
    updated_at: OptTs,
}

impl ShopifyVariant {
    fn into_variant(self, ctx: &Ctx<'_>, option_names: &[String], extras: Metadata) -> Variant {
        let options = [self.option1.0, self.option2.0, self.option3.0]
            .into_iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let value = v?;
                let name = option_names
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("option{}", i + 1));
                Some(VariantOption { name, value })
            })
            .collect();
        let mut metadata = extras;
        metadata.put("barcode", self.barcode.0);
        Variant {
            source: ctx.source(EntityKind::Variant, self.id.0),
            product_id: self.product_id.0,
            sku: self.sku.0,
            title: self.title.0,
            price: self.price.0,
            regular_price: self.compare_at_price.0,
            currency: ctx.currency,
            inventory_quantity: self.inventory_quantity,
            options,
            status: None,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            metadata,
        }
    }
}

impl RawRecord for ShopifyVariant {
    type Out = Variant;
    const ENTITY: EntityKind = EntityKind::Variant;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Variant, FieldError> {
        Ok(self.into_variant(ctx, &[], extras))
    }
}

#[derive(Deserialize)]
struct ProductOption {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
pub(crate) struct ShopifyProduct {
    id: Id,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    handle: OptStr,
    #[serde(default)]
    vendor: OptStr,
    #[serde(default)]
    product_type: OptStr,
    #[serde(default)]
    status: OptStr,
    #[serde(default)]
    tags: OptStr,
    #[serde(default)]
    created_at: OptTs,
    #[serde(default)]
    updated_at: OptTs,
    #[serde(default)]
    published_at: OptTs,
    #[serde(default)]
    variants: Vec<ShopifyVariant>,
    #[serde(default)]
    options: Vec<ProductOption>,
}

impl RawRecord for ShopifyProduct {
    type Out = Product;
    const ENTITY: EntityKind = EntityKind::Product;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Product, FieldError> {
        let names: Vec<String> = self.options.into_iter().map(|o| o.name).collect();
        let variants: Vec<Variant> = self
            .variants
            .into_iter()
            .map(|v| v.into_variant(ctx, &names, Metadata::new()))
            .collect();
        let simple = variants.len() == 1 && variants[0].title.as_deref() == Some("Default Title");
        let (sku, price, regular_price, inventory_quantity) = if simple {
            let v = &variants[0];
            (
                v.sku.clone(),
                v.price,
                v.regular_price,
                v.inventory_quantity,
            )
        } else {
            let stock = variants
                .iter()
                .map(|v| v.inventory_quantity)
                .sum::<Option<i64>>();
            (None, None, None, stock)
        };
        let status = match self.status.0.as_deref() {
            Some("active") => ProductStatus::Active,
            Some("draft") => ProductStatus::Draft,
            Some("archived") => ProductStatus::Archived,
            _ => ProductStatus::Other,
        };
        let mut metadata = extras;
        if let Some(p) = self.published_at.0 {
            metadata.insert("published_at", &p.to_rfc3339());
        }
        Ok(Product {
            source: ctx.source(EntityKind::Product, self.id.0),
            name: self.title.unwrap_or_default(),
            kind: if simple {
                ProductKind::Simple
            } else {
                ProductKind::Variable
            },
            platform_type: self.product_type.0,
            status,
            platform_status: self.status.0,
            sku,
            handle: self.handle.0,
            vendor: self.vendor.0,
            price,
            regular_price,
            currency: ctx.currency,
            inventory_quantity,
            categories: Vec::new(),
            tags: tags(self.tags.0),
            variant_ids: variants.iter().map(|v| v.source.id.clone()).collect(),
            variants,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            metadata,
        })
    }
}
