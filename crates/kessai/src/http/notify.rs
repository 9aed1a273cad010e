//! Provider notification endpoints, the same for every provider: `/notify/{provider}`,
//! Welcart's notification addresses (`/index.php?acting=…`, so a shop moving from Welcart
//! need not change what it registered), and a POST to the site's root address where a
//! provider's manual registers that (a GET there is still the storefront). The raw request
//! is stored before the provider's acknowledgement is sent; processing happens in a job.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;

use super::SharedState;
use crate::payments::notifications;
use crate::providers;

/// The largest notification body kept. Every provider's notification is a short form or a
/// small JSON object (a few kilobytes at most); anything bigger is refused with 413 before
/// it is read, so an unauthenticated sender cannot fill the inbox.
pub const MAX_NOTICE_BYTES: usize = 64 * 1024;

/// The notification routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/notify/{provider}", post(notify))
        .route("/index.php", post(welcart))
        .route("/", post(site_root))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_NOTICE_BYTES))
}

/// The Welcart compatibility route's query.
#[derive(Deserialize)]
struct Acting {
    #[serde(default)]
    acting: String,
}

/// `POST /notify/{provider}`.
async fn notify(
    State(state): State<SharedState>,
    Path(provider): Path<String>,
    body: Bytes,
) -> Response {
    receive(&state, &provider, &body).await
}

/// `POST /index.php?acting=…`: Welcart's notification addresses.
async fn welcart(
    State(state): State<SharedState>,
    Query(q): Query<Acting>,
    body: Bytes,
) -> Response {
    match providers::legacy_notifier(&q.acting) {
        Some(provider) => receive(&state, provider, &body).await,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `POST /`: the site address a provider's manual registers as its notification URL.
async fn site_root(State(state): State<SharedState>, body: Bytes) -> Response {
    match providers::site_root_notifier() {
        Some(provider) => receive(&state, provider, &body).await,
        None => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

/// Stores the notification, then answers what the provider expects. When the store fails,
/// the provider gets an error and sends the notification again.
async fn receive(state: &SharedState, provider: &str, body: &[u8]) -> Response {
    match notifications::receive(&state.payments, provider, body).await {
        Ok(Some(ack)) => {
            crate::failpoint::hit(crate::failpoint::AFTER_NOTIFICATION_STORED);
            (
                StatusCode::from_u16(ack.status).unwrap_or(StatusCode::OK),
                [(header::CONTENT_TYPE, ack.content_type)],
                ack.body,
            )
                .into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(provider, error = %e, "a notification could not be stored");
            (StatusCode::SERVICE_UNAVAILABLE, "error").into_response()
        }
    }
}
