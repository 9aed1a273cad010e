//! HTTP: the router, shared state, health endpoint, test-clock endpoint, the admin console
//! (`admin`), the JSON API (`api`), the storefront (`shop`) and the checkout hand-off pages
//! (`checkout`), kessai's own page scripts under `/assets/`. One error type
//! ([`error::HttpError`]) maps failures to responses; [`security`] sets the security headers
//! of every response.

pub mod admin;
pub mod api;
pub mod checkout;
pub mod error;
pub mod notify;
pub mod security;
pub mod shop;

pub use crate::templates;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::clock::Clock;
use crate::config::Config;
use crate::mail::Mailer;
use crate::payments::Payments;
use crate::settings::Settings;
use crate::store::Store;

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub clock: Clock,
    pub settings: Settings,
    pub payments: Payments,
    pub mailer: Mailer,
}

/// Shared handle on the state.
pub type SharedState = Arc<AppState>;

/// The whole HTTP surface.
pub fn router(state: SharedState) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/assets/{name}", get(asset))
        .route("/favicon.ico", get(favicon))
        .nest("/admin", admin::router(state.clone()))
        .nest("/api", api::router(state.clone()))
        .nest("/checkout", checkout::router())
        .merge(shop::router(state.clone()))
        .merge(notify::router())
        .nest(
            "/sandbox",
            crate::sandbox_server::mounted(&state.config.public_url, &state.clock),
        );
    if state.clock.is_movable() {
        router = router.route("/test/clock", post(advance_clock));
    }
    router
        .fallback(|| async { error::HttpError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::layer,
        ))
        .with_state(state)
}

/// kessai's own page scripts (the admin console's and the storefront's) and its icon, by
/// name: (name, content type, body).
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "pages.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/pages.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../assets/favicon.svg"),
    ),
];

/// A script or the icon of kessai's own pages.
async fn asset(Path(name): Path<String>) -> Result<impl IntoResponse, error::HttpError> {
    let (_, content_type, body) = ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or(error::HttpError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, *content_type)], *body))
}

/// `/favicon.ico`, which browsers ask for on their own: the icon.
async fn favicon() -> impl IntoResponse {
    axum::response::Redirect::permanent("/assets/favicon.svg")
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<SharedState>) -> impl IntoResponse {
    if state.store.ping().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

#[derive(serde::Deserialize)]
struct AdvanceClock {
    /// Seconds to move forward.
    seconds: i64,
}

/// Moves the test clock forward (mounted only when the test clock is enabled).
async fn advance_clock(
    State(state): State<SharedState>,
    Json(body): Json<AdvanceClock>,
) -> impl IntoResponse {
    match state.clock.advance(chrono::Duration::seconds(body.seconds)) {
        Ok(now) => (StatusCode::OK, Json(serde_json::json!({ "now": now }))).into_response(),
        Err(e) => (StatusCode::FORBIDDEN, e.to_string()).into_response(),
    }
}
