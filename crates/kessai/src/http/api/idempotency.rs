//! `Idempotency-Key` on every API POST: a retried request is answered with the saved
//! response of the first instead of doing the work twice.
//!
//! The first request with a key claims it (an insert that only one request can win) before
//! any work starts, keyed per API key and bound to a hash of the request (method, path,
//! body). Its response, status and body, is saved when it is done; a retry with the same
//! request gets it back with `Idempotent-Replayed: true`. The same key with another request
//! is refused, and so is a retry while the first is still running. A request that changed
//! nothing (a validation error, a refused state transition, a server error) releases its key,
//! so the client can retry with it. The work runs in a task of its own: a client that hangs
//! up does not cancel a capture half-way, and its retry finds the saved answer.

use axum::body::{to_bytes, Body};
use axum::extract::{OriginalUri, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::error::{ApiError, NothingChanged};
use super::extract::{ApiClient, RequestKey};
use crate::http::SharedState;

/// The request header.
pub const HEADER: &str = "Idempotency-Key";
/// The header on a replayed response.
pub const REPLAYED: &str = "Idempotent-Replayed";
/// Largest API request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// A claim without a response for this long belongs to a request that died (a crash); the
/// same request may take it over. Longer than any provider call may take.
const STALE_AFTER_MINUTES: i64 = 10;

/// Checks, claims, and saves or replays the Idempotency-Key of every POST.
pub async fn guard(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    match run(state, request, next).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

fn idempotency_key(request: &Request) -> Result<String, ApiError> {
    let value = request
        .headers()
        .get(HEADER)
        .ok_or(ApiError::MissingHeader(HEADER))?;
    let key = value.to_str().unwrap_or("").trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::InvalidHeader {
            header: HEADER,
            message: format!(
                "{HEADER} は255文字以内の英数字・記号で指定してください(UUIDを推奨します)。"
            ),
        });
    }
    Ok(key.to_owned())
}

/// SHA-256 of the method, path (with any query) and body: what binds a key to its request.
pub fn request_hash(method: &Method, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b"\n");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

async fn run(state: SharedState, request: Request, next: Next) -> Result<Response, ApiError> {
    let client = request
        .extensions()
        .get::<ApiClient>()
        .cloned()
        .ok_or(ApiError::Unauthorized(super::auth::MISSING))?;
    let key = idempotency_key(&request)?;
    let path = request
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| request.uri().clone(), |o| o.0.clone());
    let path = path.path_and_query().map_or("", |p| p.as_str()).to_owned();
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let hash = request_hash(&parts.method, &path, &body);

    if let Some(replay) = claim(&state, &client, &key, &hash).await? {
        return Ok(replay);
    }
    tracing::debug!(api_key.id = client.key_id, idempotency_key = %key, "claimed");
    let mut request = Request::from_parts(parts, Body::from(body));
    request
        .extensions_mut()
        .insert(RequestKey(format!("{}:{key}", client.key_id)));
    let task_state = state.clone();
    let task_key = key.clone();
    let work = tokio::spawn(crate::providers::timing::carry(
        async move {
            let response = next.run(request).await;
            settle(&task_state, client.key_id, &task_key, response).await
        }
        .instrument(tracing::Span::current()),
    ));
    match work.await {
        Ok(response) => Ok(response),
        Err(e) => {
            if let Err(release) = state
                .store
                .release_idempotency_key(client.key_id, &key)
                .await
            {
                tracing::error!(error = %release, "cannot release an idempotency key");
            }
            Err(ApiError::Internal(format!("API handler failed: {e}")))
        }
    }
}

/// Claims the key for this request, or answers in its place: the saved response (a replay),
/// or why the key cannot be used now.
async fn claim(
    state: &SharedState,
    client: &ApiClient,
    key: &str,
    hash: &str,
) -> Result<Option<Response>, ApiError> {
    let store = &state.store;
    // Twice: a record seen missing after a lost claim was released in between.
    for _ in 0..2 {
        let now = state.clock.now();
        if store
            .claim_idempotency_key(client.key_id, key, hash, now)
            .await?
        {
            return Ok(None);
        }
        let Some(record) = store.idempotency_record(client.key_id, key).await? else {
            continue;
        };
        if record.request_hash != hash {
            return Err(ApiError::IdempotencyKeyReused);
        }
        if let (Some(status), Some(body)) = (record.response_status, record.response_body) {
            return Ok(Some(replay(status, body)));
        }
        let stale_before = now - Duration::minutes(STALE_AFTER_MINUTES);
        if store
            .take_over_idempotency_key(client.key_id, key, hash, now, stale_before)
            .await?
        {
            tracing::warn!(api_key.id = client.key_id, idempotency_key = %key, "took over a stale idempotency claim");
            return Ok(None);
        }
        return Err(ApiError::IdempotencyKeyInProgress);
    }
    Err(ApiError::IdempotencyKeyInProgress)
}

fn replay(status: i32, body: String) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// Saves the response of a request that did something, releases the key of one that did
/// not, and hands the response on.
async fn settle(state: &SharedState, key_id: i64, key: &str, response: Response) -> Response {
    let store = &state.store;
    let (parts, body) = response.into_parts();
    if parts.status.is_server_error() || parts.extensions.get::<NothingChanged>().is_some() {
        if let Err(e) = store.release_idempotency_key(key_id, key).await {
            tracing::error!(error = %e, "cannot release an idempotency key");
        }
        return Response::from_parts(parts, body);
    }
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            if let Err(e) = store.release_idempotency_key(key_id, key).await {
                tracing::error!(error = %e, "cannot release an idempotency key");
            }
            return ApiError::Internal(format!("cannot read the response: {e}")).into_response();
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    if let Err(e) = store
        .save_idempotent_response(key_id, key, parts.status.as_u16(), &text)
        .await
    {
        // The work is done: answer it; a retry finds the claim in flight until it goes stale.
        tracing::error!(error = %e, "cannot save an idempotent response");
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_hash_covers_method_path_and_body() {
        let a = request_hash(&Method::POST, "/api/v1/checkouts", b"{}");
        assert_eq!(a, request_hash(&Method::POST, "/api/v1/checkouts", b"{}"));
        assert_ne!(a, request_hash(&Method::POST, "/api/v1/checkouts", b"{ }"));
        assert_ne!(a, request_hash(&Method::POST, "/api/v1/orders", b"{}"));
        assert_ne!(a, request_hash(&Method::PUT, "/api/v1/checkouts", b"{}"));
    }
}
