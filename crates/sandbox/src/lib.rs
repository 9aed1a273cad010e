//! Local simulators of the payment providers kessai talks to, mounted under `/sandbox`.
//!
//! Each provider's sandbox is written from the protocol specification, not from kessai's
//! connector code, so that a misread field name cannot pass on both sides. Providers are
//! added by their own issues; the index answers with the list of mounted simulators.
//!
//! Mounted so far: `paygent` (module-type card telegrams and the token API, see
//! [`paygent`]).

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};

pub mod paygent;
pub mod tls;

/// Where the simulators read the current time; tests and demos pass a clock they can move
/// forward so that deadlines lapse without waiting.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Names of the simulators this build serves.
pub const PROVIDERS: &[&str] = &["paygent"];

/// The sandbox routes, to be nested under `/sandbox`, reading the system clock.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    router_with_clock(Arc::new(Utc::now))
}

/// The sandbox routes, to be nested under `/sandbox`, reading time from `clock`.
pub fn router_with_clock<S: Clone + Send + Sync + 'static>(clock: Clock) -> Router<S> {
    Router::new()
        .route(
            "/",
            get(|| async { Json(serde_json::json!({ "providers": PROVIDERS })) }),
        )
        .nest("/paygent", paygent::router(clock))
}
