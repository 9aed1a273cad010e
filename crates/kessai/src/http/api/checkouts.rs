//! Checkouts through the API: a headless shop starts a checkout, then either sends the
//! buyer's browser to kessai's hand-off page (`payment_url`) or pays in-site with card
//! tokens from PaygentToken.js (with the 3-D Secure result when a challenge was needed).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::ApiJson;
use crate::checkout::paygent::{self as card, CardError, CardStep, CardSubmission, TokenReceipt};
use crate::checkout::{self, CheckoutError, CheckoutRequest, Pending};
use crate::domain::input::Invalid;
use crate::http::SharedState;

/// The settlement kind the in-site card endpoints accept.
const CARD_KIND: &str = "paygent_card";

/// A started checkout.
#[derive(Debug, Serialize)]
struct Created {
    link_key: String,
    payment_id: i64,
    amount: i64,
    settlement_kind: String,
    /// kessai's hand-off page for the buyer's browser.
    payment_url: String,
}

fn payment_url(state: &SharedState, link_key: &str) -> String {
    format!("{}/checkout/{link_key}", state.config.public_url)
}

/// POST /checkouts
pub async fn create(
    State(state): State<SharedState>,
    ApiJson(req): ApiJson<CheckoutRequest>,
) -> Result<Response, ApiError> {
    let started = checkout::start(&state.payments, &req)
        .await
        .map_err(|e| match e {
            CheckoutError::Invalid(errors) => ApiError::Invalid(errors),
            CheckoutError::Store(e) => ApiError::Store(e),
        })?;
    tracing::info!(payment.id = started.payment_id, "API checkout started");
    let body = Created {
        payment_url: payment_url(&state, &started.link_key),
        link_key: started.link_key,
        payment_id: started.payment_id,
        amount: started.amount,
        settlement_kind: started.settlement_kind,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn pending(state: &SharedState, link_key: &str) -> Result<Pending, ApiError> {
    checkout::load(&state.payments, link_key)
        .await?
        .ok_or(ApiError::NotFound("チェックアウトが見つかりません。"))
}

/// A checkout's state.
#[derive(Debug, Serialize)]
struct CheckoutView {
    link_key: String,
    payment_id: i64,
    amount: i64,
    settlement_kind: String,
    payment_state: String,
    provider_status_code: Option<String>,
    provider_status_label: Option<String>,
    /// The order, once the payment is confirmed.
    order_id: Option<i64>,
    payment_url: String,
}

/// GET /checkouts/{link_key}
pub async fn show(
    State(state): State<SharedState>,
    Path(link_key): Path<String>,
) -> Result<Json<impl Serialize>, ApiError> {
    let p = pending(&state, &link_key).await?;
    Ok(Json(CheckoutView {
        payment_url: payment_url(&state, &link_key),
        link_key,
        payment_id: p.payment.id,
        amount: p.payment.amount,
        settlement_kind: p.payment.settlement_kind,
        payment_state: p.payment.state,
        provider_status_code: p.payment.provider_status_code,
        provider_status_label: p.payment.provider_status_label,
        order_id: p.log.order_id,
    }))
}

/// The in-site card payment: the token receipts PaygentToken.js gave the shop's page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardRequest {
    #[serde(default)]
    card: Option<TokenReceipt>,
    #[serde(default)]
    payment_choice: String,
    #[serde(default)]
    register: Option<TokenReceipt>,
    #[serde(default)]
    stored_card_id: Option<i64>,
    #[serde(default)]
    cardholder_name: String,
    /// Where the 3-D Secure page sends the browser back; kessai's own page when absent.
    #[serde(default)]
    term_url: Option<String>,
}

/// The next step of a card payment.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum CardOutcome {
    Ordered { order_id: i64, order_number: String },
    Challenge { acs_html: String },
    Pending { message: String },
}

/// POST /checkouts/{link_key}/card
pub async fn submit_card(
    State(state): State<SharedState>,
    Path(link_key): Path<String>,
    ApiJson(req): ApiJson<CardRequest>,
) -> Result<Response, ApiError> {
    let p = card_checkout(&state, &link_key).await?;
    let term_url = match req.term_url {
        Some(url) => {
            if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 500 {
                return Err(ApiError::Invalid(vec![Invalid::new(
                    "term_url",
                    "term_urlは http:// または https:// で始まる500文字以内のURLにしてください",
                )]));
            }
            url
        }
        None => format!("{}/checkout/{link_key}/3ds", state.config.public_url),
    };
    let submission = CardSubmission {
        card: req.card,
        payment_choice: req.payment_choice,
        register: req.register,
        stored_card_id: req.stored_card_id,
        cardholder_name: req.cardholder_name,
    };
    let step = card::submit_card(&state.payments, &p, &submission, &term_url).await;
    card_outcome(&state, step).await
}

/// The 3-D Secure result the browser brought back to the shop's term URL: its query
/// parameters as JSON. The others Paygent adds (card brand, issuer…) are ignored, so the
/// shop can forward the whole query.
#[derive(Debug, Deserialize)]
pub struct ThreeDsRequest {
    result: String,
    #[serde(rename = "3ds_auth_id")]
    auth_id: String,
    #[serde(default)]
    attempt_kbn: String,
    #[serde(default)]
    hc: String,
    #[serde(default)]
    response_code: String,
    #[serde(default)]
    response_detail: String,
}

/// POST /checkouts/{link_key}/three_ds
pub async fn three_ds_result(
    State(state): State<SharedState>,
    Path(link_key): Path<String>,
    ApiJson(req): ApiJson<ThreeDsRequest>,
) -> Result<Response, ApiError> {
    let p = card_checkout(&state, &link_key).await?;
    let result = card::ThreeDsResult {
        result: req.result,
        auth_id: req.auth_id,
        attempt_kbn: req.attempt_kbn,
        hc: req.hc,
        response_code: req.response_code,
        response_detail: req.response_detail,
    };
    let step = card::three_ds_result(&state.payments, &p, &result).await;
    card_outcome(&state, step).await
}

async fn card_checkout(state: &SharedState, link_key: &str) -> Result<Pending, ApiError> {
    let p = pending(state, link_key).await?;
    if p.payment.settlement_kind != CARD_KIND {
        return Err(ApiError::OperationNotAllowed(
            "このチェックアウトの支払方法はカード決済ではありません。".to_owned(),
        ));
    }
    Ok(p)
}

async fn card_outcome(
    state: &SharedState,
    step: Result<CardStep, CardError>,
) -> Result<Response, ApiError> {
    let (status, outcome) = match step {
        Ok(CardStep::Ordered(created)) => {
            let order_id = created.order_id();
            let order = state
                .store
                .order(order_id)
                .await?
                .ok_or(ApiError::Internal(format!("order {order_id} vanished")))?;
            (
                StatusCode::OK,
                CardOutcome::Ordered {
                    order_id,
                    order_number: order.order_number,
                },
            )
        }
        Ok(CardStep::Challenge(acs_html)) => (StatusCode::OK, CardOutcome::Challenge { acs_html }),
        Err(CardError::Retry(message)) => return Err(ApiError::CardDeclined(message)),
        Err(e @ CardError::Unknown) => (
            StatusCode::ACCEPTED,
            CardOutcome::Pending {
                message: e.to_string(),
            },
        ),
        Err(CardError::Store(e)) => return Err(e.into()),
    };
    Ok((status, Json(outcome)).into_response())
}
