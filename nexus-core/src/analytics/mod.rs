//! Customer and sales analytics over a transactions table.
//!
//! The input is one row per order (customer, order, date, amount), as a polars
//! [`DataFrame`](polars::prelude::DataFrame) read through [`Transactions::from_frame`]
//! with configurable column names ([`Columns`]). The store's `transactions()` view and the
//! Python and Node bindings all produce such a table.
//!
//! - [`rfm`]: the per-customer summary used by the lifetime-value models (`frequency`,
//!   `recency`, `T`, `monetary_value`), calibration and hold-out splits, and RFM scores and
//!   named segments;
//! - [`clv`]: BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma fitted by maximum likelihood,
//!   their predictions and customer lifetime value;
//! - [`segments`]: k-means segments on RFM features, and a purchase-propensity model
//!   validated against the BG/NBD baseline;
//! - [`kpi`]: revenue, orders, customers, order value, new and returning customers by
//!   period, and cohort retention;
//! - [`forecast`]: ETS with automatic selection, MSTL, Croston/SBA/TSB, accuracy measures,
//!   cross-validation and batch forecasts.

pub mod clv;
pub mod forecast;
pub mod kpi;
pub mod products;
pub mod rfm;
pub mod sales;
pub mod segments;
mod transactions;

#[cfg(feature = "store")]
pub use transactions::transactions_frame;
pub use transactions::{Columns, CustomerKey, Transactions};

/// The polars version Nexus reads and returns tables with.
pub use polars;
