//! Provider notification endpoints, `/notify/<provider>`. The raw request is stored before the
//! provider's acknowledgement is sent; processing happens in a job. Welcart's notification
//! URL (`/index.php?acting=paygent…`) is accepted too, so a shop moving from Welcart need not
//! change what it registered at the provider.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;

use super::SharedState;
use crate::payments::notifications::{self, PAYGENT_ACK};

/// The notification routes.
pub fn router() -> Router<SharedState> {
    Router::new().route("/notify/paygent", post(paygent))
}

/// The Welcart compatibility route's query.
#[derive(Deserialize)]
pub struct Acting {
    #[serde(default)]
    acting: String,
}

/// `POST /index.php?acting=paygent…`: Welcart's notification URL.
pub async fn welcart(
    State(state): State<SharedState>,
    Query(q): Query<Acting>,
    body: Bytes,
) -> Response {
    if q.acting.starts_with("paygent") {
        paygent(State(state), body).await
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// `POST /notify/paygent`: stores the notification, then answers `result=0`. When the store
/// fails, Paygent gets an error and sends the notification again.
async fn paygent(State(state): State<SharedState>, body: Bytes) -> Response {
    match notifications::receive_paygent(&state.payments, &body).await {
        Ok(()) => (
            [(header::CONTENT_TYPE, "text/plain; charset=Shift_JIS")],
            PAYGENT_ACK,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a Paygent notification could not be stored");
            (StatusCode::SERVICE_UNAVAILABLE, "result=1").into_response()
        }
    }
}
