//! The REST API v1 (spec §3) a shop's server calls: 取引登録 (`POST /v1/transactions`, the
//! server-side registration and 取引更新), 取引参照 (`GET /v1/transactions/{id}`), 売上確定
//! (`PATCH …/settle`) and 課金払戻 (`PATCH …/refund`).
//!
//! Every request is first authenticated: `Authorization: Basic <Base64 of the secret key
//! alone>` (no `user:` and no colon) must name a shop, else 401 `EATN0129`, whatever the
//! path. A `POST` may carry its real verb in `X-HTTP-Method-Override` (`GET`, `POST`,
//! `PATCH`), as CS-Cart sends every call; its body is then ignored unless the verb takes
//! one. A path or verb the API does not have answers 404 `EATN0126`.
//!
//! `POST /v1/transactions` needs `Content-Type: application/json` (`EATN0352`) and a JSON
//! object (`EATN0399`); the payment object is checked (`check.rs`), then the
//! `authentication_token`: missing, not a string or not printable ASCII → `EATN0102`,
//! not one the widget issued to this shop → `EATN0103`. A `checksum` is not read on this
//! path. The answer is 200 with the transaction object for OK and NG alike (an NG is a
//! result, not an error). `/refund` takes an optional JSON body `{"amount_refund",
//! "refund_reason", "description_refund"}`; `amount_refund` may be an integer or a string
//! of digits, empty or absent for all that remains. `/settle` reads no body.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, Method};
use axum::Json;
use serde_json::Value;

use super::check::{self, integer};
use super::store::{RefundRequest, Registration, Via};
use super::wire::{self, ApiError};
use super::Sandbox;

/// What a handler answers.
type Answer = Result<Json<Value>, ApiError>;

/// The shop the request authenticates as, and the verb it means.
fn authenticate(
    sandbox: &Sandbox,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(usize, Method), ApiError> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let shop = sandbox
        .lock()
        .shop_by_authorization(header)
        .ok_or_else(ApiError::unauthorized)?;
    let overridden = headers
        .get("x-http-method-override")
        .and_then(|v| v.to_str().ok())
        .filter(|_| method == Method::POST)
        .and_then(|v| Method::from_bytes(v.trim().to_ascii_uppercase().as_bytes()).ok());
    Ok((shop, overridden.unwrap_or_else(|| method.clone())))
}

/// The request's body as a JSON value.
fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|_| ApiError::invalid("EATN0399", "", "リクエストの形式が不正です"))
}

/// `POST /v1/transactions`.
pub async fn transactions(
    State(sandbox): State<Sandbox>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (shop, method) = authenticate(&sandbox, &method, &headers)?;
    if method != Method::POST {
        return Err(ApiError::bad_path());
    }
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !json {
        return Err(ApiError::invalid(
            "EATN0352",
            "Content-Type",
            "Content-Type は application/json で指定してください",
        ));
    }
    let value = json_body(&body)?;
    let payment = check::payment(&value).map_err(ApiError::invalid_all)?;
    let token = match value.get("authentication_token").and_then(Value::as_str) {
        Some(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()) => t,
        _ => {
            return Err(ApiError::invalid(
                "EATN0102",
                "authentication_token",
                "authentication_token の形式が不正です",
            ))
        }
    };
    let now = (sandbox.clock)();
    let registered = {
        let mut store = sandbox.lock();
        let token = store.token(shop, token).ok_or_else(|| {
            ApiError::invalid(
                "EATN0103",
                "authentication_token",
                "authentication_token が無効です",
            )
        })?;
        let index = store.register(
            Registration {
                shop,
                payment,
                token,
                via: Via::Server,
            },
            now,
        )?;
        wire::transaction(&store.transactions[index])
    };
    tracing::info!(id = %registered["id"], result = %registered["authorization_result"], "atone sandbox transaction registered by the shop's server");
    Ok(Json(registered))
}

/// `GET /v1/transactions/{id}`.
pub async fn transaction(
    State(sandbox): State<Sandbox>,
    Path(id): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Answer {
    let (shop, method) = authenticate(&sandbox, &method, &headers)?;
    if method != Method::GET {
        return Err(ApiError::bad_path());
    }
    let store = sandbox.lock();
    let index = store.find(shop, &id).ok_or_else(ApiError::not_found)?;
    Ok(Json(wire::transaction(&store.transactions[index])))
}

/// `PATCH /v1/transactions/{id}/settle`.
pub async fn settle(
    State(sandbox): State<Sandbox>,
    Path(id): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Answer {
    let (shop, method) = authenticate(&sandbox, &method, &headers)?;
    if method != Method::PATCH {
        return Err(ApiError::bad_path());
    }
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    let settled = store.settle(shop, &id, now);
    match &settled {
        Ok(_) => tracing::info!(id, "atone sandbox transaction settled"),
        Err(e) => tracing::info!(id, code = e.code(), "atone sandbox settle refused"),
    }
    Ok(Json(wire::transaction(&store.transactions[settled?])))
}

/// `PATCH /v1/transactions/{id}/refund`.
pub async fn refund(
    State(sandbox): State<Sandbox>,
    Path(id): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (shop, method) = authenticate(&sandbox, &method, &headers)?;
    if method != Method::PATCH {
        return Err(ApiError::bad_path());
    }
    let value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        json_body(&body)?
    };
    let field = |key: &str| value.get(key).cloned().unwrap_or(Value::Null);
    let amount = match field("amount_refund") {
        Value::Null => None,
        Value::String(t) if t.is_empty() => None,
        sent => Some(integer(Some(&sent)).ok_or_else(|| {
            ApiError::invalid(
                "EATN1301",
                "amount_refund",
                "amount_refund は整数で指定してください",
            )
        })?),
    };
    let request = RefundRequest {
        amount,
        reason: field("refund_reason"),
        description: field("description_refund"),
    };
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    let refunded = store.refund(shop, &id, request, now);
    match &refunded {
        Ok(_) => tracing::info!(id, "atone sandbox transaction refunded"),
        Err(e) => tracing::info!(id, code = e.code(), "atone sandbox refund refused"),
    }
    Ok(Json(wire::transaction(&store.transactions[refunded?])))
}

/// Any other path under `/v1`: authenticated first, then `EATN0126`.
pub async fn unknown(
    State(sandbox): State<Sandbox>,
    method: Method,
    headers: HeaderMap,
) -> ApiError {
    match authenticate(&sandbox, &method, &headers) {
        Ok(_) => ApiError::bad_path(),
        Err(e) => e,
    }
}
