//! What the shop's server sent: every API call's fields as the sandbox received them, in
//! order, for the integrator (and the tests) to see what went over the wire.
//!
//! `GET /backoffice/requests?order_no=…` answers `text/plain`: one block per call (the
//! newest last) — `POST <path>`, then `name=value` lines as sent. Without `order_no` every
//! kept call is listed. The sandbox keeps the last [`KEPT`] calls. Card numbers never reach
//! the API (the token JS takes them), so nothing here is card data.

use std::collections::VecDeque;

use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use encoding_rs::UTF_8;
use serde::Deserialize;

use super::Sandbox;

/// How many calls are kept.
pub const KEPT: usize = 1000;

/// One call as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The path after the mount (`/test_gateway/creditToken.api`).
    pub path: String,
    pub order_no: String,
    /// The fields in the order they came.
    pub fields: Vec<(String, String)>,
}

/// Keeps a call's fields: `body` as the form it is.
pub fn record(log: &mut VecDeque<Received>, path: &str, body: &[u8]) {
    let fields: Vec<(String, String)> = crate::form::pairs(body)
        .map(|(name, value)| {
            (
                UTF_8.decode_without_bom_handling(&name).0.into_owned(),
                UTF_8.decode_without_bom_handling(&value).0.into_owned(),
            )
        })
        .collect();
    let order_no = fields
        .iter()
        .find(|(name, _)| name == "order_no")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    if log.len() == KEPT {
        log.pop_front();
    }
    log.push_back(Received {
        path: path.to_owned(),
        order_no,
        fields,
    });
}

/// `?order_no=…`.
#[derive(Debug, Deserialize)]
pub struct Filter {
    #[serde(default)]
    order_no: Option<String>,
}

/// `GET /backoffice/requests`.
pub async fn show(State(sandbox): State<Sandbox>, Query(filter): Query<Filter>) -> Response {
    let store = sandbox.lock();
    let text: String = store
        .received
        .iter()
        .filter(|r| filter.order_no.as_ref().is_none_or(|o| *o == r.order_no))
        .map(|r| {
            let mut block = format!("POST {}\n", r.path);
            for (name, value) in &r.fields {
                block.push_str(&format!("{name}={value}\n"));
            }
            block + "\n"
        })
        .collect();
    ([(CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}
