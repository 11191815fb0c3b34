//! Normalized statuses.
//!
//! Each record keeps the platform's own status string beside the normalized one, so nothing
//! is lost by normalizing. The mapping tables:
//!
//! ## Order status
//!
//! | normalized   | WooCommerce      | Shopify (derived, see below)               | Magento 2 (`status`, else `state`) |
//! |--------------|------------------|--------------------------------------------|------------------------------------|
//! | `pending`    | `pending`        | financial `pending`                        | `pending`, `pending_payment`, state `new` |
//! | `processing` | `processing`     | open, paid or authorized, not fulfilled    | `processing`                       |
//! | `on_hold`    | `on-hold`        | financial `authorized` past its expiry (`expired`) | `holded`, `payment_review`, `fraud` |
//! | `completed`  | `completed`      | fulfilled, or closed                       | `complete`                         |
//! | `cancelled`  | `cancelled`      | `cancelled_at` set, or financial `voided`  | `canceled`                         |
//! | `refunded`   | `refunded`       | financial `refunded`                       | `closed` (Magento closes fully refunded orders) |
//! | `failed`     | `failed`         | (none)                                     | (none)                             |
//! | `draft`      | `checkout-draft` | (draft orders are a separate API)          | (none)                             |
//! | `other`      | anything else (`trash`, plugin statuses) | anything else      | custom statuses whose state is unknown |
//!
//! Shopify orders have no single status; Nexus derives one from `cancelled_at`,
//! `financial_status`, `fulfillment_status` and `closed_at` in that order of precedence, and
//! keeps `"cancelled"`, `"closed"` or `"open"` (Shopify's own `status` filter values) as the
//! platform status.
//!
//! ## Payment status (Shopify's `financial_status`; WooCommerce and Magento: none)
//!
//! `pending`, `authorized`, `partially_paid`, `paid`, `partially_refunded`, `refunded`,
//! `voided` map to themselves; anything else is `other`.
//!
//! ## Fulfilment status (Shopify's `fulfillment_status`)
//!
//! `null` is `unfulfilled`, `partial` is `partially_fulfilled`, `fulfilled` is `fulfilled`,
//! `restocked` is `restocked`; anything else is `other`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The normalized status of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, waiting for payment.
    Pending,
    /// Paid (or authorized) and being prepared.
    Processing,
    /// Held for review (stock, payment review, suspected fraud).
    OnHold,
    /// Fulfilled or closed.
    Completed,
    /// Cancelled before completion.
    Cancelled,
    /// Fully refunded.
    Refunded,
    /// Payment failed.
    Failed,
    /// A checkout that has not been placed yet.
    Draft,
    /// A platform status with no normalized equivalent (see `platform_status`).
    Other,
}

/// The payment (financial) status of an order, where the platform reports one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Not paid yet.
    Pending,
    /// Authorized, not captured.
    Authorized,
    /// Partly paid.
    PartiallyPaid,
    /// Paid in full.
    Paid,
    /// Partly refunded.
    PartiallyRefunded,
    /// Refunded in full.
    Refunded,
    /// Authorization voided.
    Voided,
    /// Any other platform value.
    Other,
}

/// The fulfilment status of an order, where the platform reports one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentStatus {
    /// Nothing shipped yet.
    Unfulfilled,
    /// Some lines shipped.
    PartiallyFulfilled,
    /// Everything shipped.
    Fulfilled,
    /// Items returned to stock.
    Restocked,
    /// Any other platform value.
    Other,
}

/// The normalized status of a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// On sale (WooCommerce `publish`, Shopify `active`, Magento status 1).
    Active,
    /// Not visible yet (WooCommerce `draft`/`pending`/`private`, Shopify `draft`).
    Draft,
    /// Withdrawn (Shopify `archived`, Magento status 2, WooCommerce `trash`).
    Archived,
    /// Any other platform value.
    Other,
}

/// What kind of product it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// A product without variants (WooCommerce `simple`, Magento `simple`/`virtual`/`downloadable`).
    Simple,
    /// A product whose variants are sold (WooCommerce `variable`, Magento `configurable`, every Shopify product).
    Variable,
    /// A product sold as a set of other products (Magento `bundle`, WooCommerce `grouped`).
    Bundle,
    /// Anything else (WooCommerce `external`, plugin types).
    Other,
}

impl OrderStatus {
    /// WooCommerce's order statuses.
    pub fn from_woocommerce(s: &str) -> Self {
        match s {
            "pending" => Self::Pending,
            "processing" => Self::Processing,
            "on-hold" => Self::OnHold,
            "completed" => Self::Completed,
            "cancelled" => Self::Cancelled,
            "refunded" => Self::Refunded,
            "failed" => Self::Failed,
            "checkout-draft" => Self::Draft,
            _ => Self::Other,
        }
    }

    /// Magento's order status, falling back to its state for custom statuses.
    pub fn from_magento(status: Option<&str>, state: Option<&str>) -> Self {
        let by_name = |s: &str| match s {
            "pending" | "pending_payment" | "new" => Some(Self::Pending),
            "processing" => Some(Self::Processing),
            "holded" | "payment_review" | "fraud" => Some(Self::OnHold),
            "complete" => Some(Self::Completed),
            "canceled" => Some(Self::Cancelled),
            "closed" => Some(Self::Refunded),
            _ => None,
        };
        status
            .and_then(by_name)
            .or_else(|| state.and_then(by_name))
            .unwrap_or(Self::Other)
    }
}

impl PaymentStatus {
    /// Shopify's `financial_status`.
    pub fn from_shopify(s: &str) -> Self {
        match s {
            "pending" => Self::Pending,
            "authorized" => Self::Authorized,
            "partially_paid" => Self::PartiallyPaid,
            "paid" => Self::Paid,
            "partially_refunded" => Self::PartiallyRefunded,
            "refunded" => Self::Refunded,
            "voided" => Self::Voided,
            _ => Self::Other,
        }
    }
}

impl FulfillmentStatus {
    /// Shopify's `fulfillment_status` (`None` is unfulfilled).
    pub fn from_shopify(s: Option<&str>) -> Self {
        match s {
            None | Some("unfulfilled") | Some("") => Self::Unfulfilled,
            Some("partial") => Self::PartiallyFulfilled,
            Some("fulfilled") => Self::Fulfilled,
            Some("restocked") => Self::Restocked,
            Some(_) => Self::Other,
        }
    }
}
