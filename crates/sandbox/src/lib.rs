//! Local simulators of the payment providers kessai talks to, mounted under `/sandbox`.
//!
//! Each provider's sandbox is written from the protocol specification, not from kessai's
//! connector code, so that a misread field name cannot pass on both sides. Providers are
//! added by their own issues; for now the sandbox answers its index with the list of
//! mounted simulators.

use axum::routing::get;
use axum::{Json, Router};

/// Names of the simulators this build serves.
pub const PROVIDERS: &[&str] = &[];

/// The sandbox routes, to be nested under `/sandbox`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route(
        "/",
        get(|| async { Json(serde_json::json!({ "providers": PROVIDERS })) }),
    )
}
