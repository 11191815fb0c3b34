//! Integration tests of nexus-core: one binary, one module per area.

mod common;
mod fake_woo;
mod fixtures;
mod malformed;
mod properties;
mod schema;
mod woo;
