//! The fake store for this platform (being written).

use serde_json::json;

use crate::server::{Req, State, json};

pub(crate) fn error(status: u16, message: &str) -> axum::response::Response {
    json(status, &json!({"message": message}))
}

pub(crate) fn answer(_state: &mut State, _req: &Req) -> axum::response::Response {
    error(404, "not served yet")
}
