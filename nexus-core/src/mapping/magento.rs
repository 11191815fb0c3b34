//! Magento 2 / Adobe Commerce REST payloads (`/rest/<store_code>/V1`).
//!
//! Money is JSON numbers, read as exact decimals (never through f64). Dates are
//! `YYYY-MM-DD HH:MM:SS` in UTC. The shipping address sits in
//! `extension_attributes.shipping_assignments[0].shipping.address`.
//!
//! Configurable and bundle products are ordered as a parent item with child items
//! (`parent_item_id`). Each sold unit is counted once: the parent is the order line (it
//! carries the price, and for a configurable product the child's product id becomes the
//! line's `variant_id`); the children are listed in the line's `components` and are not
//! lines themselves. When a dynamic bundle's tax or discount sits only on its children, the
//! parent line takes their sum.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::capture::Captured;
use super::de::{Flag, Id, OptDec, OptId, OptStr, OptTs};
use super::money::Cur;
use super::{Ctx, FieldError, RawRecord, currency};
use crate::model::{
    Address, Customer, DiscountLine, EntityKind, LineComponent, LineItem, Metadata, Order,
    OrderStatus, Product, ProductKind, ProductStatus, Refund, RefundLineItem, RefundSummary,
    ShippingLine, TaxLine, Variant, VariantOption,
};

fn street(lines: Vec<String>) -> (Option<String>, Option<String>) {
    let mut it = lines
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let first = it.next();
    let rest: Vec<String> = it.collect();
    (first, (!rest.is_empty()).then(|| rest.join(", ")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MagentoAddress {
    firstname: OptStr,
    lastname: OptStr,
    company: OptStr,
    street: Vec<String>,
    city: OptStr,
    region: OptStr,
    region_code: OptStr,
    postcode: OptStr,
    country_id: OptStr,
    telephone: OptStr,
    email: OptStr,
}

impl MagentoAddress {
    fn into_address(self) -> Option<Address> {
        let (line1, line2) = street(self.street);
        let a = Address {
            first_name: self.firstname.0,
            last_name: self.lastname.0,
            company: self.company.0,
            line1,
            line2,
            city: self.city.0,
            region: self.region.0,
            region_code: self.region_code.0,
            postal_code: self.postcode.0,
            country_code: self.country_id.0,
            country: None,
            phone: self.telephone.0,
            email: self.email.0,
        };
        (a != Address::default()).then_some(a)
    }
}

#[derive(Deserialize)]
struct MagentoItem {
    item_id: Id,
    #[serde(default)]
    parent_item_id: OptId,
    #[serde(default)]
    product_id: OptId,
    #[serde(default)]
    product_type: OptStr,
    #[serde(default)]
    sku: OptStr,
    #[serde(default)]
    name: OptStr,
    #[serde(default)]
    qty_ordered: OptDec,
    #[serde(default)]
    price: OptDec,
    #[serde(default)]
    row_total: OptDec,
    #[serde(default)]
    discount_amount: OptDec,
    #[serde(default)]
    tax_amount: OptDec,
    #[serde(default)]
    qty_refunded: OptDec,
    #[serde(default)]
    qty_canceled: OptDec,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ShippingTotal {
    shipping_amount: OptDec,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Shipping {
    address: Option<MagentoAddress>,
    method: OptStr,
    total: Option<ShippingTotal>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ShippingAssignment {
    shipping: Option<Shipping>,
}

#[derive(Deserialize)]
struct AppliedTax {
    #[serde(default)]
    code: OptStr,
    #[serde(default)]
    title: OptStr,
    #[serde(default)]
    percent: OptDec,
    #[serde(default)]
    amount: OptDec,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OrderExtension {
    shipping_assignments: Vec<ShippingAssignment>,
    applied_taxes: Vec<AppliedTax>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Payment {
    method: OptStr,
}

#[derive(Deserialize)]
pub(crate) struct MagentoOrder {
    entity_id: Id,
    #[serde(default)]
    increment_id: OptStr,
    #[serde(default)]
    state: OptStr,
    #[serde(default)]
    status: OptStr,
    #[serde(default)]
    order_currency_code: Option<String>,
    #[serde(default)]
    created_at: OptTs,
    #[serde(default)]
    updated_at: OptTs,
    #[serde(default)]
    customer_id: OptId,
    #[serde(default)]
    customer_email: OptStr,
    #[serde(default)]
    customer_is_guest: Flag,
    #[serde(default)]
    customer_group_id: OptId,
    #[serde(default)]
    customer_note: OptStr,
    #[serde(default)]
    grand_total: OptDec,
    #[serde(default)]
    subtotal: OptDec,
    #[serde(default)]
    discount_amount: OptDec,
    #[serde(default)]
    discount_description: OptStr,
    #[serde(default)]
    coupon_code: OptStr,
    #[serde(default)]
    shipping_amount: OptDec,
    #[serde(default)]
    shipping_discount_amount: OptDec,
    #[serde(default)]
    shipping_tax_amount: OptDec,
    #[serde(default)]
    shipping_description: OptStr,
    #[serde(default)]
    tax_amount: OptDec,
    #[serde(default)]
    total_refunded: OptDec,
    #[serde(default)]
    store_id: OptId,
    #[serde(default)]
    store_name: OptStr,
    #[serde(default)]
    remote_ip: OptStr,
    #[serde(default)]
    items: Vec<Captured<MagentoItem>>,
    #[serde(default)]
    billing_address: Option<MagentoAddress>,
    #[serde(default)]
    payment: Option<Payment>,
    #[serde(default)]
    extension_attributes: Option<OrderExtension>,
}

/// Folds child items into their parents (see the module documentation).
fn build_lines(items: Vec<Captured<MagentoItem>>, cur: Cur) -> Vec<LineItem> {
    let mut lines: Vec<LineItem> = Vec::with_capacity(items.len());
    let mut children: Vec<MagentoItem> = Vec::new();
    let mut kinds: Vec<Option<String>> = Vec::with_capacity(items.len());
    for Captured { rec: it, extras } in items {
        if it.parent_item_id.0.is_some() {
            children.push(it);
            continue;
        }
        let quantity = it.qty_ordered.or_zero();
        let price = it.price.or_zero();
        let subtotal = it.row_total.0.unwrap_or(price * quantity);
        let discount = it.discount_amount.or_zero().abs();
        let mut metadata = extras;
        metadata.put("product_type", it.product_type.0.clone());
        if let Some(q) = it.qty_refunded.0.filter(|q| !q.is_zero()) {
            metadata.insert("qty_refunded", &q.to_string());
        }
        if let Some(q) = it.qty_canceled.0.filter(|q| !q.is_zero()) {
            metadata.insert("qty_canceled", &q.to_string());
        }
        kinds.push(it.product_type.0);
        lines.push(LineItem {
            source_id: it.item_id.0,
            product_id: it.product_id.0,
            variant_id: None,
            sku: it.sku.0,
            name: it.name.0.unwrap_or_default(),
            quantity,
            unit_price: cur.m(price),
            subtotal: cur.m(subtotal),
            discount: cur.m(discount),
            tax: cur.m(it.tax_amount.or_zero()),
            total: cur.m(subtotal - discount),
            components: Vec::new(),
            metadata,
        });
    }
    for child in children {
        let parent = child.parent_item_id.0.as_deref();
        let Some(pos) = lines
            .iter()
            .position(|l| Some(l.source_id.as_str()) == parent)
        else {
            // An orphan child (its parent is not in the payload) is sold on its own.
            let orphan = MagentoItem {
                parent_item_id: OptId(None),
                ..child
            };
            lines.extend(build_lines(
                vec![Captured {
                    rec: orphan,
                    extras: Metadata::new(),
                }],
                cur,
            ));
            kinds.push(None);
            continue;
        };
        let line = &mut lines[pos];
        if kinds[pos].as_deref() == Some("configurable") && line.variant_id.is_none() {
            line.variant_id = child.product_id.0.clone();
        }
        if kinds[pos].as_deref() == Some("bundle") {
            if line.tax.amount.is_zero() {
                line.tax.amount += child.tax_amount.or_zero();
            }
            if line.discount.amount.is_zero() {
                let d = child.discount_amount.or_zero().abs();
                if !d.is_zero() {
                    line.discount.amount += d;
                    line.total.amount -= d;
                }
            }
        }
        line.components.push(LineComponent {
            source_id: child.item_id.0,
            product_id: child.product_id.0,
            sku: child.sku.0,
            name: child.name.0,
            quantity: child.qty_ordered.or_zero(),
            unit_price: child.price.0.filter(|p| !p.is_zero()).map(|p| cur.m(p)),
        });
    }
    lines
}

impl RawRecord for MagentoOrder {
    type Out = Order;
    const ENTITY: EntityKind = EntityKind::Order;
    const ID_KEYS: &'static [&'static str] = &["entity_id"];

    fn id(&self) -> &str {
        &self.entity_id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Order, FieldError> {
        let cur = Cur(currency(
            "order_currency_code",
            self.order_currency_code.as_deref(),
        )?);
        let created_at = self
            .created_at
            .0
            .ok_or_else(|| FieldError::missing("created_at"))?;
        let platform_status = self
            .status
            .0
            .clone()
            .or_else(|| self.state.0.clone())
            .ok_or_else(|| FieldError::missing("status"))?;
        let status = OrderStatus::from_magento(self.status.0.as_deref(), self.state.0.as_deref());
        let line_items = build_lines(self.items, cur);
        let ext = self.extension_attributes.unwrap_or_default();
        let shipping = ext
            .shipping_assignments
            .into_iter()
            .find_map(|a| a.shipping);
        let (shipping_address, shipping_method, assigned_amount) = match shipping {
            Some(s) => (
                s.address.and_then(MagentoAddress::into_address),
                s.method.0,
                s.total.and_then(|t| t.shipping_amount.0),
            ),
            None => (None, None, None),
        };
        let shipping_total = self
            .shipping_amount
            .0
            .or(assigned_amount)
            .unwrap_or_default();
        let shipping_lines = if shipping_total.is_zero() && self.shipping_description.0.is_none() {
            Vec::new()
        } else {
            vec![ShippingLine {
                source_id: None,
                method: shipping_method,
                title: self.shipping_description.0.unwrap_or_default(),
                amount: cur.m(shipping_total),
                discount: cur.m(self.shipping_discount_amount.or_zero().abs()),
                tax: cur.m(self.shipping_tax_amount.or_zero()),
            }]
        };
        let tax_lines = ext
            .applied_taxes
            .into_iter()
            .map(|t| TaxLine {
                source_id: None,
                title: t.title.0.or_else(|| t.code.0.clone()).unwrap_or_default(),
                rate_code: t.code.0,
                rate: t.percent.0.map(|p| p / Decimal::ONE_HUNDRED),
                amount: cur.m(t.amount.or_zero()),
                shipping_amount: cur.zero(),
            })
            .collect();
        let discount = self.discount_amount.or_zero().abs();
        let discount_lines = if discount.is_zero() {
            Vec::new()
        } else {
            vec![DiscountLine {
                source_id: None,
                code: self.coupon_code.0,
                kind: self.discount_description.0,
                amount: cur.m(discount),
            }]
        };
        let guest = self.customer_is_guest.0.unwrap_or(false);
        let mut metadata = extras;
        metadata.put("state", self.state.0);
        metadata.put("store_id", self.store_id.0);
        metadata.put(
            "store_name",
            self.store_name.0.map(|s| s.trim().replace('\n', " / ")),
        );
        metadata.put("customer_group_id", self.customer_group_id.0);
        metadata.put("remote_ip", self.remote_ip.0);
        if guest {
            metadata.insert("customer_is_guest", &true);
        }
        Ok(Order {
            source: ctx.source(EntityKind::Order, self.entity_id.0),
            number: self.increment_id.0,
            status,
            platform_status,
            payment_status: None,
            platform_payment_status: None,
            fulfillment_status: None,
            platform_fulfillment_status: None,
            currency: cur.0,
            created_at,
            updated_at: self.updated_at.0,
            paid_at: None,
            completed_at: None,
            cancelled_at: None,
            customer_id: if guest { None } else { self.customer_id.0 },
            email: self.customer_email.0,
            billing_address: self.billing_address.and_then(MagentoAddress::into_address),
            shipping_address,
            line_items,
            tax_lines,
            shipping_lines,
            fee_lines: Vec::new(),
            discount_lines,
            refunds: Vec::<RefundSummary>::new(),
            subtotal: cur.m(self.subtotal.or_zero()),
            discount_total: cur.m(discount),
            shipping_total: cur.m(shipping_total),
            fee_total: cur.zero(),
            tax_total: cur.m(self.tax_amount.or_zero()),
            total: cur.m(self
                .grand_total
                .0
                .ok_or_else(|| FieldError::missing("grand_total"))?),
            refunded_total: cur.m(self.total_refunded.or_zero()),
            prices_include_tax: false,
            payment_method: self.payment.and_then(|p| p.method.0),
            note: self.customer_note.0,
            tags: Vec::new(),
            metadata,
        })
    }
}

#[derive(Deserialize)]
struct Region {
    #[serde(default)]
    region: OptStr,
    #[serde(default)]
    region_code: OptStr,
}

#[derive(Deserialize)]
struct CustomerAddress {
    #[serde(default)]
    firstname: OptStr,
    #[serde(default)]
    lastname: OptStr,
    #[serde(default)]
    company: OptStr,
    #[serde(default)]
    street: Vec<String>,
    #[serde(default)]
    city: OptStr,
    #[serde(default)]
    region: Option<Region>,
    #[serde(default)]
    postcode: OptStr,
    #[serde(default)]
    country_id: OptStr,
    #[serde(default)]
    telephone: OptStr,
    #[serde(default)]
    default_billing: Flag,
    #[serde(default)]
    default_shipping: Flag,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CustomerExtension {
    is_subscribed: Option<bool>,
}

#[derive(Deserialize)]
struct CustomAttribute {
    #[serde(default)]
    attribute_code: String,
    value: Option<Box<RawValue>>,
}

impl CustomAttribute {
    /// The value when it is a string or a number, as text.
    fn text(&self) -> Option<String> {
        match serde_json::from_str::<serde_json::Value>(self.value.as_deref()?.get()).ok()? {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// `[{"attribute_code": k, "value": v}, ...]` as the object `{k: v, ...}`, values verbatim.
fn custom_attributes(attrs: Vec<CustomAttribute>) -> Option<Metadata> {
    (!attrs.is_empty()).then(|| {
        Metadata::from_pairs(
            attrs
                .iter()
                .map(|a| (a.attribute_code.as_str(), a.value.as_deref())),
        )
    })
}

#[derive(Deserialize)]
pub(crate) struct MagentoCustomer {
    id: Id,
    #[serde(default)]
    email: OptStr,
    #[serde(default)]
    firstname: OptStr,
    #[serde(default)]
    lastname: OptStr,
    #[serde(default)]
    created_at: OptTs,
    #[serde(default)]
    updated_at: OptTs,
    #[serde(default)]
    group_id: OptId,
    #[serde(default)]
    store_id: OptId,
    #[serde(default)]
    website_id: OptId,
    #[serde(default)]
    created_in: OptStr,
    #[serde(default)]
    addresses: Vec<CustomerAddress>,
    #[serde(default)]
    extension_attributes: Option<CustomerExtension>,
    #[serde(default)]
    custom_attributes: Vec<CustomAttribute>,
}

impl RawRecord for MagentoCustomer {
    type Out = Customer;
    const ENTITY: EntityKind = EntityKind::Customer;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Customer, FieldError> {
        let mut billing = None;
        let mut shipping = None;
        let mut addresses = Vec::with_capacity(self.addresses.len());
        for a in self.addresses {
            let (line1, line2) = street(a.street);
            let (region, region_code) = match a.region {
                Some(r) => (r.region.0, r.region_code.0),
                None => (None, None),
            };
            let addr = Address {
                first_name: a.firstname.0,
                last_name: a.lastname.0,
                company: a.company.0,
                line1,
                line2,
                city: a.city.0,
                region,
                region_code,
                postal_code: a.postcode.0,
                country_code: a.country_id.0,
                country: None,
                phone: a.telephone.0,
                email: None,
            };
            if a.default_billing.0 == Some(true) {
                billing = Some(addr.clone());
            }
            if a.default_shipping.0 == Some(true) {
                shipping = Some(addr.clone());
            }
            addresses.push(addr);
        }
        let phone = billing
            .as_ref()
            .or(addresses.first())
            .and_then(|a| a.phone.clone());
        let mut metadata = extras;
        metadata.put("group_id", self.group_id.0);
        metadata.put("store_id", self.store_id.0);
        metadata.put("website_id", self.website_id.0);
        metadata.put("created_in", self.created_in.0);
        if let Some(c) = custom_attributes(self.custom_attributes) {
            metadata.insert_object("custom_attributes", &c);
        }
        Ok(Customer {
            source: ctx.source(EntityKind::Customer, self.id.0),
            email: self.email.0,
            first_name: self.firstname.0,
            last_name: self.lastname.0,
            phone,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            billing_address: billing,
            shipping_address: shipping,
            addresses,
            orders_count: None,
            total_spent: None,
            accepts_marketing: self.extension_attributes.and_then(|e| e.is_subscribed),
            state: None,
            tags: Vec::new(),
            metadata,
        })
    }
}

#[derive(Deserialize)]
struct StockItem {
    #[serde(default)]
    qty: OptDec,
    #[serde(default)]
    is_in_stock: Option<bool>,
}

#[derive(Deserialize)]
struct CategoryLink {
    #[serde(default)]
    category_id: OptId,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProductExtension {
    stock_item: Option<StockItem>,
    category_links: Vec<CategoryLink>,
    configurable_product_links: Vec<Id>,
    website_ids: Vec<Id>,
}

#[derive(Deserialize)]
pub(crate) struct MagentoProduct {
    id: Id,
    #[serde(default)]
    sku: OptStr,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    price: OptDec,
    #[serde(default)]
    status: OptId,
    #[serde(default)]
    visibility: OptId,
    #[serde(default)]
    type_id: OptStr,
    #[serde(default)]
    attribute_set_id: OptId,
    #[serde(default)]
    created_at: OptTs,
    #[serde(default)]
    updated_at: OptTs,
    #[serde(default)]
    extension_attributes: Option<ProductExtension>,
    #[serde(default)]
    custom_attributes: Vec<CustomAttribute>,
}

fn stock(ext: &ProductExtension) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    ext.stock_item.as_ref()?.qty.0?.trunc().to_i64()
}

fn magento_status(s: Option<&str>) -> ProductStatus {
    match s {
        Some("1") => ProductStatus::Active,
        Some("2") => ProductStatus::Archived,
        _ => ProductStatus::Other,
    }
}

impl RawRecord for MagentoProduct {
    type Out = Product;
    const ENTITY: EntityKind = EntityKind::Product;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Product, FieldError> {
        let ext = self.extension_attributes.unwrap_or_default();
        let kind = match self.type_id.0.as_deref() {
            Some("simple" | "virtual" | "downloadable") => ProductKind::Simple,
            Some("configurable") => ProductKind::Variable,
            Some("bundle" | "grouped") => ProductKind::Bundle,
            _ => ProductKind::Other,
        };
        let url_key = self
            .custom_attributes
            .iter()
            .find(|a| a.attribute_code == "url_key")
            .and_then(CustomAttribute::text);
        let mut metadata = extras;
        metadata.put("visibility", self.visibility.0);
        metadata.put("attribute_set_id", self.attribute_set_id.0);
        if let Some(s) = ext.stock_item.as_ref().and_then(|s| s.is_in_stock) {
            metadata.insert("is_in_stock", &s);
        }
        if !ext.website_ids.is_empty() {
            let ids: Vec<&str> = ext.website_ids.iter().map(|i| i.0.as_str()).collect();
            metadata.insert("website_ids", &ids);
        }
        if let Some(c) = custom_attributes(self.custom_attributes) {
            metadata.insert_object("custom_attributes", &c);
        }
        Ok(Product {
            source: ctx.source(EntityKind::Product, self.id.0),
            name: self.name.unwrap_or_default(),
            kind,
            platform_type: self.type_id.0,
            status: magento_status(self.status.0.as_deref()),
            platform_status: self.status.0,
            sku: self.sku.0,
            handle: url_key,
            vendor: None,
            // A configurable product's own price is a placeholder (0): its children sell.
            price: if kind == ProductKind::Variable {
                None
            } else {
                self.price.0
            },
            regular_price: None,
            currency: ctx.currency,
            inventory_quantity: stock(&ext),
            categories: ext
                .category_links
                .into_iter()
                .filter_map(|c| c.category_id.0)
                .collect(),
            tags: Vec::new(),
            variant_ids: ext
                .configurable_product_links
                .into_iter()
                .map(|i| i.0)
                .collect(),
            variants: Vec::new(),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            metadata,
        })
    }
}

/// A configurable product's child, read from its own product payload.
#[derive(Deserialize)]
pub(crate) struct MagentoVariant(MagentoProduct);

impl RawRecord for MagentoVariant {
    type Out = Variant;
    const ENTITY: EntityKind = EntityKind::Variant;
    const ID_KEYS: &'static [&'static str] = &["id"];

    fn id(&self) -> &str {
        &self.0.id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Variant, FieldError> {
        let p = self.0;
        let ext = p.extension_attributes.unwrap_or_default();
        // Option attributes (color, size) are custom attributes holding option ids.
        let options = p
            .custom_attributes
            .iter()
            .filter(|a| matches!(a.attribute_code.as_str(), "color" | "size"))
            .filter_map(|a| {
                Some(VariantOption {
                    name: a.attribute_code.clone(),
                    value: a.text()?,
                })
            })
            .collect();
        let mut metadata = extras;
        metadata.put("type_id", p.type_id.0);
        if let Some(c) = custom_attributes(p.custom_attributes) {
            metadata.insert_object("custom_attributes", &c);
        }
        Ok(Variant {
            source: ctx.source(EntityKind::Variant, p.id.0),
            product_id: None,
            sku: p.sku.0,
            title: p.name,
            price: p.price.0,
            regular_price: None,
            currency: ctx.currency,
            inventory_quantity: stock(&ext),
            options,
            status: Some(magento_status(p.status.0.as_deref())),
            created_at: p.created_at.0,
            updated_at: p.updated_at.0,
            metadata,
        })
    }
}

#[derive(Deserialize)]
struct CreditMemoItem {
    #[serde(default)]
    entity_id: OptId,
    #[serde(default)]
    order_item_id: OptId,
    #[serde(default)]
    product_id: OptId,
    #[serde(default)]
    sku: OptStr,
    #[serde(default)]
    name: OptStr,
    #[serde(default)]
    qty: OptDec,
    #[serde(default)]
    row_total: OptDec,
    #[serde(default)]
    tax_amount: OptDec,
    #[serde(default)]
    discount_amount: OptDec,
}

#[derive(Deserialize)]
struct Comment {
    #[serde(default)]
    comment: OptStr,
}

#[derive(Deserialize)]
pub(crate) struct MagentoCreditMemo {
    entity_id: Id,
    #[serde(default)]
    order_id: OptId,
    #[serde(default)]
    increment_id: OptStr,
    #[serde(default)]
    order_currency_code: Option<String>,
    #[serde(default)]
    created_at: OptTs,
    #[serde(default)]
    updated_at: OptTs,
    #[serde(default)]
    grand_total: OptDec,
    #[serde(default)]
    shipping_amount: OptDec,
    #[serde(default)]
    adjustment_positive: OptDec,
    #[serde(default)]
    adjustment_negative: OptDec,
    #[serde(default)]
    state: OptId,
    #[serde(default)]
    items: Vec<CreditMemoItem>,
    #[serde(default)]
    comments: Vec<Comment>,
}

impl RawRecord for MagentoCreditMemo {
    type Out = Refund;
    const ENTITY: EntityKind = EntityKind::Refund;
    const ID_KEYS: &'static [&'static str] = &["entity_id"];

    fn id(&self) -> &str {
        &self.entity_id.0
    }

    fn convert(self, ctx: &Ctx<'_>, extras: Metadata) -> Result<Refund, FieldError> {
        let cur = Cur(currency(
            "order_currency_code",
            self.order_currency_code.as_deref(),
        )?);
        let created_at = self
            .created_at
            .0
            .ok_or_else(|| FieldError::missing("created_at"))?;
        let line_items = self
            .items
            .into_iter()
            .filter(|i| !i.qty.or_zero().is_zero())
            .map(|i| {
                let subtotal = (i.row_total.or_zero() - i.discount_amount.or_zero().abs()).abs();
                let tax = i.tax_amount.or_zero().abs();
                RefundLineItem {
                    source_id: i.entity_id.0,
                    line_item_id: i.order_item_id.0,
                    product_id: i.product_id.0,
                    variant_id: None,
                    sku: i.sku.0,
                    name: i.name.0,
                    quantity: i.qty.or_zero().abs(),
                    subtotal: cur.m(subtotal),
                    tax: cur.m(tax),
                    total: cur.m(subtotal + tax),
                }
            })
            .collect();
        let mut metadata = extras;
        metadata.put("increment_id", self.increment_id.0);
        metadata.put("state", self.state.0);
        for (key, v) in [
            ("adjustment_positive", self.adjustment_positive.0),
            ("adjustment_negative", self.adjustment_negative.0),
        ] {
            if let Some(v) = v.filter(|v| !v.is_zero()) {
                metadata.insert(key, &v.to_string());
            }
        }
        let reason = {
            let texts: Vec<String> = self
                .comments
                .into_iter()
                .filter_map(|c| c.comment.0)
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        };
        Ok(Refund {
            source: ctx.source(EntityKind::Refund, self.entity_id.0),
            order_id: self.order_id.0,
            created_at,
            processed_at: self.updated_at.0,
            amount: cur.m(self
                .grand_total
                .0
                .ok_or_else(|| FieldError::missing("grand_total"))?
                .abs()),
            shipping: cur.m(self.shipping_amount.or_zero().abs()),
            reason,
            restock: None,
            line_items,
            metadata,
        })
    }
}
