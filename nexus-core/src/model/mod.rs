//! The unified commerce schema.
//!
//! Every platform's payloads are mapped into these types. Their serde JSON form is a public
//! contract shared by Rust, Python and Node:
//!
//! - field names are `snake_case`;
//! - money is [`Money`], `{"amount": "12.50", "currency": "USD"}`, the amount an exact
//!   decimal string; product and variant prices, which platforms send without a currency,
//!   are decimal strings beside an optional `currency`;
//! - timestamps are UTC, RFC 3339 with a `Z` suffix (`"2017-03-22T19:28:02Z"`);
//! - ids are strings (Shopify ids exceed 2^53 and would not survive a JavaScript number);
//! - quantities are JSON numbers (exact decimals in Rust);
//! - optional values are `null` when absent; lists are `[]` when empty;
//! - platform fields with no home in the schema are kept under `metadata`.
//!
//! The JSON Schema of every type is generated from this module ([`crate::schema`]) and
//! committed as `schema/nexus.schema.json`.
//!
//! Refunds follow one sign convention everywhere: a refunded amount and a refunded quantity
//! are positive numbers, whatever sign the platform used (WooCommerce writes them negative in
//! an order's `refunds` and in a refund's line items).

mod money;
mod raw;
mod status;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use money::{Currency, Money};
pub(crate) use money::{DecimalString, opt_decimal_str, quantity};
pub use raw::{Metadata, RawJson};
pub use status::{FulfillmentStatus, OrderStatus, PaymentStatus, ProductKind, ProductStatus};

use crate::error::Error;

/// A timestamp in UTC.
pub type Timestamp = DateTime<Utc>;

/// The platforms Nexus connects to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum PlatformKind {
    /// WooCommerce (REST API v3).
    #[serde(rename = "woocommerce")]
    WooCommerce,
    /// Shopify (Admin REST API).
    Shopify,
    /// Magento 2 / Adobe Commerce (REST API).
    Magento,
}

impl PlatformKind {
    /// Every platform.
    pub const ALL: [PlatformKind; 3] = [Self::WooCommerce, Self::Shopify, Self::Magento];

    /// The platform's name as used in JSON and by the bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WooCommerce => "woocommerce",
            Self::Shopify => "shopify",
            Self::Magento => "magento",
        }
    }
}

impl fmt::Display for PlatformKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PlatformKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "woocommerce" | "woo" => Ok(Self::WooCommerce),
            "shopify" => Ok(Self::Shopify),
            "magento" | "magento2" | "adobe_commerce" => Ok(Self::Magento),
            _ => Err(Error::UnknownPlatform { name: s.to_owned() }),
        }
    }
}

/// The kinds of record in the unified schema.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// [`Order`]
    Order,
    /// [`Customer`]
    Customer,
    /// [`Product`]
    Product,
    /// [`Variant`]
    Variant,
    /// [`Refund`]
    Refund,
    /// [`Transaction`]
    Transaction,
}

impl EntityKind {
    /// The singular name (`"order"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Customer => "customer",
            Self::Product => "product",
            Self::Variant => "variant",
            Self::Refund => "refund",
            Self::Transaction => "transaction",
        }
    }

    /// The plural name (`"orders"`).
    pub fn plural(self) -> &'static str {
        match self {
            Self::Order => "orders",
            Self::Customer => "customers",
            Self::Product => "products",
            Self::Variant => "variants",
            Self::Refund => "refunds",
            Self::Transaction => "transactions",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.plural())
    }
}

impl FromStr for EntityKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "order" | "orders" => Ok(Self::Order),
            "customer" | "customers" => Ok(Self::Customer),
            "product" | "products" => Ok(Self::Product),
            "variant" | "variants" | "variation" | "variations" => Ok(Self::Variant),
            "refund" | "refunds" | "creditmemo" | "creditmemos" => Ok(Self::Refund),
            "transaction" | "transactions" => Ok(Self::Transaction),
            _ => Err(Error::UnknownEntity { name: s.to_owned() }),
        }
    }
}

/// Where a record came from: platform, store, entity and the platform's id.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub struct SourceRef {
    /// The platform.
    pub platform: PlatformKind,
    /// The store's name in Nexus (`"default"` unless the caller names it).
    pub store: String,
    /// The kind of record.
    pub entity: EntityKind,
    /// The platform's id of the record, exactly as sent, as a string.
    pub id: String,
}

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Address {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// First address line.
    pub line1: Option<String>,
    /// Further address lines, joined with ", ".
    pub line2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State, province or region, as named by the platform.
    pub region: Option<String>,
    /// Region code (`"CA"`, `"NY"`), where the platform has one.
    pub region_code: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Country code (ISO 3166-1 alpha-2 where the platform sends one).
    pub country_code: Option<String>,
    /// Country name, where the platform sends one.
    pub country: Option<String>,
    /// Phone number, as entered.
    pub phone: Option<String>,
    /// E-mail address, as entered.
    pub email: Option<String>,
}

/// A bundle or configurable child of a line item (Magento sends these as separate items).
///
/// Components are not counted as sold units: the parent line is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LineComponent {
    /// The platform's id of the child item.
    pub source_id: String,
    /// The child product's id.
    pub product_id: Option<String>,
    /// The child's SKU.
    pub sku: Option<String>,
    /// The child's name.
    pub name: Option<String>,
    /// Units of the child in the parent line.
    #[serde(with = "quantity")]
    #[schemars(with = "f64")]
    pub quantity: Decimal,
    /// The child's own price, where the platform prices children (dynamic bundles).
    pub unit_price: Option<Money>,
}

/// One product line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LineItem {
    /// The platform's id of the line.
    pub source_id: String,
    /// The product's id.
    pub product_id: Option<String>,
    /// The variant's id (WooCommerce variation, Shopify variant, Magento configurable child).
    pub variant_id: Option<String>,
    /// Stock keeping unit.
    pub sku: Option<String>,
    /// The line's name as shown to the buyer.
    pub name: String,
    /// Units sold.
    #[serde(with = "quantity")]
    #[schemars(with = "f64")]
    pub quantity: Decimal,
    /// Price of one unit, before discounts.
    pub unit_price: Money,
    /// `quantity x unit_price`, before discounts, as the platform computed it.
    pub subtotal: Money,
    /// Discounts applied to this line.
    pub discount: Money,
    /// The line's tax.
    pub tax: Money,
    /// The line's total after discounts, before tax.
    pub total: Money,
    /// Children of bundle and configurable lines (not counted as units).
    pub components: Vec<LineComponent>,
    /// Platform fields with no home here (WooCommerce `meta_data`, Shopify `properties`, ...).
    pub metadata: Metadata,
}

/// A tax line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TaxLine {
    /// The platform's id of the line, where it has one.
    pub source_id: Option<String>,
    /// The tax's name (`"State Tax"`).
    pub title: String,
    /// The platform's rate code (WooCommerce `rate_code`).
    pub rate_code: Option<String>,
    /// The rate as a fraction (0.06 for 6 %), where the platform sends it.
    #[serde(with = "opt_decimal_str")]
    #[schemars(with = "Option<DecimalString>")]
    pub rate: Option<Decimal>,
    /// Tax on the products.
    pub amount: Money,
    /// Tax on shipping, where the platform separates it.
    pub shipping_amount: Money,
}

/// A shipping line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShippingLine {
    /// The platform's id of the line, where it has one.
    pub source_id: Option<String>,
    /// The method's identifier (`"flat_rate"`).
    pub method: Option<String>,
    /// The method's name as shown to the buyer.
    pub title: String,
    /// Shipping price before tax and discounts.
    pub amount: Money,
    /// Discount on shipping.
    pub discount: Money,
    /// Tax on shipping.
    pub tax: Money,
}

/// A fee line of an order (WooCommerce fees, Shopify additional fees).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FeeLine {
    /// The platform's id of the line, where it has one.
    pub source_id: Option<String>,
    /// The fee's name.
    pub name: String,
    /// The fee before tax.
    pub amount: Money,
    /// Tax on the fee.
    pub tax: Money,
}

/// A discount or coupon applied to an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DiscountLine {
    /// The platform's id of the line, where it has one.
    pub source_id: Option<String>,
    /// The coupon or discount code, where there is one.
    pub code: Option<String>,
    /// The platform's kind of discount (`"fixed_amount"`, `"percentage"`, `"coupon"`, ...).
    pub kind: Option<String>,
    /// The amount taken off.
    pub amount: Money,
}

/// A refund as listed on its order (a summary; the full record is a [`Refund`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RefundSummary {
    /// The refund's id.
    pub source_id: String,
    /// The amount refunded (positive).
    pub amount: Money,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// When the refund was made, where the order lists it.
    pub created_at: Option<Timestamp>,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Order {
    /// Platform, store and id of the order.
    pub source: SourceRef,
    /// The order number shown to the buyer (`"#1001"`, `"000000003"`).
    pub number: Option<String>,
    /// Normalized order status.
    pub status: OrderStatus,
    /// The platform's own status string.
    pub platform_status: String,
    /// Payment status, where the platform reports one.
    pub payment_status: Option<PaymentStatus>,
    /// The platform's own payment status string.
    pub platform_payment_status: Option<String>,
    /// Fulfilment status, where the platform reports one.
    pub fulfillment_status: Option<FulfillmentStatus>,
    /// The platform's own fulfilment status string.
    pub platform_fulfillment_status: Option<String>,
    /// The currency the order was placed in.
    pub currency: Currency,
    /// When the order was created (UTC).
    pub created_at: Timestamp,
    /// When the order was last modified (UTC).
    pub updated_at: Option<Timestamp>,
    /// When the order was paid (UTC).
    pub paid_at: Option<Timestamp>,
    /// When the order was completed or closed (UTC).
    pub completed_at: Option<Timestamp>,
    /// When the order was cancelled (UTC).
    pub cancelled_at: Option<Timestamp>,
    /// The customer's id; `None` for guest orders.
    pub customer_id: Option<String>,
    /// The buyer's e-mail address.
    pub email: Option<String>,
    /// Billing address.
    pub billing_address: Option<Address>,
    /// Shipping address.
    pub shipping_address: Option<Address>,
    /// Product lines.
    pub line_items: Vec<LineItem>,
    /// Tax lines.
    pub tax_lines: Vec<TaxLine>,
    /// Shipping lines.
    pub shipping_lines: Vec<ShippingLine>,
    /// Fee lines.
    pub fee_lines: Vec<FeeLine>,
    /// Discounts and coupons.
    pub discount_lines: Vec<DiscountLine>,
    /// Refunds made on the order.
    pub refunds: Vec<RefundSummary>,
    /// Sum of the lines before discounts.
    pub subtotal: Money,
    /// Total discount.
    pub discount_total: Money,
    /// Total shipping before tax.
    pub shipping_total: Money,
    /// Total of fees before tax.
    pub fee_total: Money,
    /// Total tax.
    pub tax_total: Money,
    /// What the buyer was charged.
    pub total: Money,
    /// Total refunded (positive).
    pub refunded_total: Money,
    /// Whether line prices include tax.
    pub prices_include_tax: bool,
    /// Payment method's name or code.
    pub payment_method: Option<String>,
    /// The buyer's note.
    pub note: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Platform fields with no home here.
    pub metadata: Metadata,
}

/// One refunded line of a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RefundLineItem {
    /// The platform's id of the refund line, where it has one.
    pub source_id: Option<String>,
    /// The id of the order line that was refunded.
    pub line_item_id: Option<String>,
    /// The product's id.
    pub product_id: Option<String>,
    /// The variant's id.
    pub variant_id: Option<String>,
    /// Stock keeping unit.
    pub sku: Option<String>,
    /// The line's name.
    pub name: Option<String>,
    /// Units refunded (positive).
    #[serde(with = "quantity")]
    #[schemars(with = "f64")]
    pub quantity: Decimal,
    /// Amount refunded for the line before tax (positive).
    pub subtotal: Money,
    /// Tax refunded for the line (positive).
    pub tax: Money,
    /// `subtotal + tax` (positive).
    pub total: Money,
}

/// A refund (Shopify refund, WooCommerce order refund, Magento credit memo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Refund {
    /// Platform, store and id of the refund.
    pub source: SourceRef,
    /// The refunded order's id.
    pub order_id: Option<String>,
    /// When the refund was created (UTC).
    pub created_at: Timestamp,
    /// When the refund was processed, where it differs (UTC).
    pub processed_at: Option<Timestamp>,
    /// The amount refunded to the buyer (positive).
    pub amount: Money,
    /// The part of the amount that refunds shipping (positive).
    pub shipping: Money,
    /// The reason or note given.
    pub reason: Option<String>,
    /// Whether refunded items went back to stock, where the platform says.
    pub restock: Option<bool>,
    /// The refunded lines.
    pub line_items: Vec<RefundLineItem>,
    /// Platform fields with no home here.
    pub metadata: Metadata,
}

/// A payment transaction of an order (Shopify).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Transaction {
    /// Platform, store and id of the transaction.
    pub source: SourceRef,
    /// The order's id.
    pub order_id: Option<String>,
    /// `authorization`, `capture`, `sale`, `void` or `refund`.
    pub kind: String,
    /// `pending`, `failure`, `success` or `error`.
    pub status: String,
    /// The amount moved.
    pub amount: Money,
    /// The payment gateway.
    pub gateway: Option<String>,
    /// When the transaction was created (UTC).
    pub created_at: Timestamp,
    /// When it was processed (UTC).
    pub processed_at: Option<Timestamp>,
    /// The transaction it refers to (a capture's authorization, a refund's sale).
    pub parent_id: Option<String>,
    /// Platform fields with no home here.
    pub metadata: Metadata,
}

/// A customer account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Customer {
    /// Platform, store and id of the customer.
    pub source: SourceRef,
    /// E-mail address, as the platform holds it.
    pub email: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// When the account was created (UTC).
    pub created_at: Option<Timestamp>,
    /// When the account was last modified (UTC).
    pub updated_at: Option<Timestamp>,
    /// Default billing address.
    pub billing_address: Option<Address>,
    /// Default shipping address.
    pub shipping_address: Option<Address>,
    /// Every address on the account.
    pub addresses: Vec<Address>,
    /// Number of orders, where the platform counts them.
    pub orders_count: Option<u64>,
    /// Amount spent, where the platform sums it.
    pub total_spent: Option<Money>,
    /// Whether the customer accepts e-mail marketing, where known.
    pub accepts_marketing: Option<bool>,
    /// Account state (Shopify `enabled`/`disabled`/`invited`), where the platform has one.
    pub state: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Platform fields with no home here.
    pub metadata: Metadata,
}

/// A named option of a variant (`Color: Black`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VariantOption {
    /// The option's name.
    pub name: String,
    /// The option's value.
    pub value: String,
}

/// A sellable variant of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Variant {
    /// Platform, store and id of the variant.
    pub source: SourceRef,
    /// The parent product's id.
    pub product_id: Option<String>,
    /// Stock keeping unit.
    pub sku: Option<String>,
    /// The variant's title (`"Black / M"`).
    pub title: Option<String>,
    /// Current selling price.
    #[serde(with = "opt_decimal_str")]
    #[schemars(with = "Option<DecimalString>")]
    pub price: Option<Decimal>,
    /// Price before a sale (WooCommerce `regular_price`, Shopify `compare_at_price`).
    #[serde(with = "opt_decimal_str")]
    #[schemars(with = "Option<DecimalString>")]
    pub regular_price: Option<Decimal>,
    /// Currency of the prices, where known.
    pub currency: Option<Currency>,
    /// Units in stock, where tracked.
    pub inventory_quantity: Option<i64>,
    /// The variant's options.
    pub options: Vec<VariantOption>,
    /// Status, where the platform has one per variant.
    pub status: Option<ProductStatus>,
    /// When the variant was created (UTC).
    pub created_at: Option<Timestamp>,
    /// When the variant was last modified (UTC).
    pub updated_at: Option<Timestamp>,
    /// Platform fields with no home here.
    pub metadata: Metadata,
}

/// A product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Product {
    /// Platform, store and id of the product.
    pub source: SourceRef,
    /// Name.
    pub name: String,
    /// Kind of product.
    pub kind: ProductKind,
    /// The platform's own product type (`"variable"`, `"configurable"`, a Shopify product type).
    pub platform_type: Option<String>,
    /// Normalized status.
    pub status: ProductStatus,
    /// The platform's own status.
    pub platform_status: Option<String>,
    /// Stock keeping unit of the product itself.
    pub sku: Option<String>,
    /// URL handle or slug.
    pub handle: Option<String>,
    /// Vendor or brand.
    pub vendor: Option<String>,
    /// Current selling price of the product itself (simple products).
    #[serde(with = "opt_decimal_str")]
    #[schemars(with = "Option<DecimalString>")]
    pub price: Option<Decimal>,
    /// Price before a sale.
    #[serde(with = "opt_decimal_str")]
    #[schemars(with = "Option<DecimalString>")]
    pub regular_price: Option<Decimal>,
    /// Currency of the prices, where known.
    pub currency: Option<Currency>,
    /// Units in stock, where tracked.
    pub inventory_quantity: Option<i64>,
    /// Category names or ids.
    pub categories: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Ids of the product's variants.
    pub variant_ids: Vec<String>,
    /// The variants, where the platform sends them with the product (Shopify).
    pub variants: Vec<Variant>,
    /// When the product was created (UTC).
    pub created_at: Option<Timestamp>,
    /// When the product was last modified (UTC).
    pub updated_at: Option<Timestamp>,
    /// Platform fields with no home here.
    pub metadata: Metadata,
}
