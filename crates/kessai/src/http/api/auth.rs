//! Bearer authentication of every `/api/v1` request: `Authorization: Bearer <key>` must name
//! a key that exists and is not revoked. The hot path is one indexed read; the key's last use
//! is written at most once a minute.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use tracing::Instrument;

use super::error::ApiError;
use super::extract::ApiClient;
use super::keys;
use crate::http::SharedState;

/// The message for a request without a key.
pub const MISSING: &str = "Authorization: Bearer <APIキー> ヘッダーを付けてください。";
const UNKNOWN: &str = "APIキーが正しくないか、無効化されています。";
/// How stale a key's last use may get before it is written again.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// The key of `Authorization: Bearer <key>` (the scheme is case-insensitive).
fn bearer(request: &Request) -> Option<&str> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| key.trim())
        .filter(|k| !k.is_empty())
}

/// Lets the request through with its [`ApiClient`], or answers 401.
pub async fn require_key(
    State(state): State<SharedState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(presented) = bearer(&request) else {
        return ApiError::Unauthorized(MISSING).into_response();
    };
    let key = match state.store.api_key_by_hash(&keys::hash(presented)).await {
        Ok(Some(key)) if key.revoked_at.is_none() => key,
        Ok(_) => {
            tracing::info!("API request with an unknown or revoked key refused");
            return ApiError::Unauthorized(UNKNOWN).into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let now = state.clock.now();
    let stale = now - Duration::seconds(TOUCH_EVERY_SECONDS);
    if key.last_used_at.is_none_or(|at| at <= stale) {
        // Bookkeeping only: a failure here must not fail the request.
        if let Err(e) = state.store.touch_api_key(key.id, now, stale).await {
            tracing::warn!(error = %e, api_key.id = key.id, "cannot record the API key's last use");
        }
    }
    let span = tracing::info_span!(
        "api",
        api_key.id = key.id,
        method = %request.method(),
        path = %request.uri().path()
    );
    request.extensions_mut().insert(ApiClient {
        key_id: key.id,
        name: key.name,
    });
    next.run(request).instrument(span).await
}
