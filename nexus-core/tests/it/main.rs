//! Integration tests of nexus-core: one binary, one module per area.

mod analytics;
mod common;
mod crash;
mod fakes;
mod fixtures;
mod forecast;
mod health;
mod magento;
mod malformed;
mod manager;
mod properties;
mod quality;
mod schema;
mod shopify;
mod store;
mod sync;
mod woo;
