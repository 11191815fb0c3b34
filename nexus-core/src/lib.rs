//! # nexus-core
//!
//! The engine of Nexus: a unified commerce schema ([`model`]) and exact mappers from
//! WooCommerce, Shopify and Magento 2 payloads into it ([`mapping`]). Python (`nexus-py`)
//! and Node (`nexus-node`) wrap this crate thinly; nothing here knows about them.
//!
//! ```
//! use nexus_core::mapping::map_orders;
//! use nexus_core::model::{OrderStatus, PlatformKind};
//!
//! let payload = br#"{"orders": [{"id": 450789469, "currency": "USD",
//!     "created_at": "2008-01-10T11:00:00-05:00", "total_price": "598.94",
//!     "financial_status": "paid", "fulfillment_status": null, "line_items": []}]}"#;
//! let orders = map_orders(PlatformKind::Shopify, payload);
//! let order = &orders.records[0];
//! assert_eq!(order.source.id, "450789469");
//! assert_eq!(order.created_at.to_rfc3339(), "2008-01-10T16:00:00+00:00");
//! assert_eq!(order.status, OrderStatus::Processing);
//! ```

#![warn(missing_docs)]

#[cfg(feature = "analytics")]
pub mod analytics;
pub mod error;
#[cfg(feature = "store")]
pub mod health;
#[cfg(feature = "store")]
pub mod manager;
pub mod mapping;
pub mod model;
#[cfg(feature = "http")]
pub mod platform;
pub mod quality;
pub mod schema;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "store")]
pub mod sync;

pub use error::{DataError, DataErrorKind, Error, Result};

/// The version of Nexus (shared by the Rust crate, the Python wheel and the npm package).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
