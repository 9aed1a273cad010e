//! Checkouts through the API, the same for every provider: a headless shop starts a
//! checkout and receives its hand-off — either the address of kessai's hand-off page for the
//! buyer's browser, or what the shop's own page needs to pay in-site (the provider's form or
//! widget parameters) — then submits the in-site result as one provider-typed object
//! (`{"<provider>": {"step": …}}`), and reads the checkout and its order.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::error::ApiError;
use super::extract::ApiJson;
use crate::checkout::handoff::{self, Outcome, CHECKING};
use crate::checkout::{self, CheckoutError, CheckoutRequest, Pending};
use crate::http::SharedState;
use crate::providers::{Page, Submission};

/// What the buyer's side of a checkout needs next.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Handoff {
    /// Post this form from the buyer's browser (the provider's payment page, link type).
    RedirectForm {
        action: String,
        fields: Vec<(String, String)>,
        charset: &'static str,
    },
    /// Pay in the shop's own page: the provider's form or widget with these parameters
    /// (the page kessai would show is `page`), then submit the result.
    InSite {
        provider: String,
        page: String,
        parameters: serde_json::Value,
    },
    /// Show this HTML to the buyer as it is (a 3-D Secure challenge).
    Html { html: String },
    /// Send the buyer's browser here.
    Redirect { url: String },
}

impl Handoff {
    fn of(provider: &str, page: Page) -> Handoff {
        match page {
            Page::RedirectForm {
                action,
                fields,
                charset,
            } => Handoff::RedirectForm {
                action,
                fields,
                charset,
            },
            Page::Template {
                template, context, ..
            } => Handoff::InSite {
                provider: provider.to_owned(),
                page: template
                    .rsplit('/')
                    .next()
                    .unwrap_or(template)
                    .trim_end_matches(".html")
                    .to_owned(),
                parameters: context,
            },
            Page::Html(html) => Handoff::Html { html },
            Page::Redirect(url) => Handoff::Redirect { url },
        }
    }
}

/// A checkout as the API shows it.
#[derive(Debug, Serialize)]
struct CheckoutView {
    link_key: String,
    payment_id: i64,
    amount: i64,
    settlement_kind: String,
    payment_state: String,
    provider: String,
    provider_status_code: Option<String>,
    provider_status_label: Option<String>,
    /// The order, once the payment is confirmed.
    order_id: Option<i64>,
    /// kessai's hand-off page for the buyer's browser.
    payment_url: String,
    /// What the buyer's side needs next; none once ordered, or while the payment method is
    /// not offered.
    handoff: Option<Handoff>,
}

async fn view(state: &SharedState, p: Pending) -> Result<CheckoutView, ApiError> {
    let handoff = match (
        p.log.order_id,
        handoff::connector(&state.payments, &p).await?,
    ) {
        (None, Ok(connector)) => {
            let urls = handoff::urls(&p, &state.config.public_url);
            let checkout = handoff::view(&state.payments, &p, &connector, urls).await?;
            Some(Handoff::of(
                &p.payment.provider,
                connector.handoff(&checkout, None).await,
            ))
        }
        _ => None,
    };
    Ok(CheckoutView {
        payment_url: format!(
            "{}/checkout/{}",
            state.config.public_url, p.payment.link_key
        ),
        link_key: p.payment.link_key,
        payment_id: p.payment.id,
        amount: p.payment.amount,
        settlement_kind: p.payment.settlement_kind,
        payment_state: p.payment.state,
        provider: p.payment.provider,
        provider_status_code: p.payment.provider_status_code,
        provider_status_label: p.payment.provider_status_label,
        order_id: p.log.order_id,
        handoff,
    })
}

/// POST /checkouts
pub async fn create(
    State(state): State<SharedState>,
    ApiJson(req): ApiJson<CheckoutRequest>,
) -> Result<Response, ApiError> {
    let p = checkout::start_pending(&state.payments, &req)
        .await
        .map_err(|e| match e {
            CheckoutError::Invalid(errors) => ApiError::Invalid(errors),
            CheckoutError::Store(e) => ApiError::Store(e),
        })?;
    tracing::info!(payment.id = p.payment.id, "API checkout started");
    Ok((StatusCode::CREATED, Json(view(&state, p).await?)).into_response())
}

async fn pending(state: &SharedState, link_key: &str) -> Result<Pending, ApiError> {
    checkout::load(&state.payments, link_key)
        .await?
        .ok_or(ApiError::NotFound("チェックアウトが見つかりません。"))
}

/// GET /checkouts/{link_key}
pub async fn show(
    State(state): State<SharedState>,
    Path(link_key): Path<String>,
) -> Result<Json<impl Serialize>, ApiError> {
    let p = pending(&state, &link_key).await?;
    Ok(Json(view(&state, p).await?))
}

/// What a submitted step led to.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum StepView {
    /// Paid: the order exists.
    Ordered { order_id: i64, order_number: String },
    /// Show the buyer this next (a 3-D Secure challenge, the provider's page).
    Handoff { handoff: Handoff },
    /// The provider's answer is not known yet: do not charge again; read the checkout later.
    Pending { message: String },
    /// The buyer came back but the provider shows no payment; they may pay again.
    NotPaid { message: String },
}

/// POST /checkouts/{link_key}/submit
pub async fn submit(
    State(state): State<SharedState>,
    Path(link_key): Path<String>,
    ApiJson(submission): ApiJson<Submission>,
) -> Result<Response, ApiError> {
    let p = pending(&state, &link_key).await?;
    if let Err(message) = handoff::connector(&state.payments, &p).await? {
        return Err(ApiError::OperationNotAllowed(message));
    }
    if submission.provider() != p.payment.provider {
        return Err(ApiError::OperationNotAllowed(format!(
            "このチェックアウトの決済会社は{}です。",
            p.payment.provider
        )));
    }
    let urls = handoff::urls(&p, &state.config.public_url);
    let provider = p.payment.provider.clone();
    let (status, body) = match handoff::take_step(&state.payments, &p, urls, submission).await? {
        Outcome::Ordered(created) => {
            let order_id = created.order_id();
            let order = state
                .store
                .order(order_id)
                .await?
                .ok_or(ApiError::Internal(format!("order {order_id} vanished")))?;
            (
                StatusCode::OK,
                StepView::Ordered {
                    order_id,
                    order_number: order.order_number,
                },
            )
        }
        Outcome::Show(page) => (
            StatusCode::OK,
            StepView::Handoff {
                handoff: Handoff::of(&provider, page),
            },
        ),
        Outcome::Redirect(url) => (
            StatusCode::OK,
            StepView::Handoff {
                handoff: Handoff::Redirect { url },
            },
        ),
        Outcome::Declined(message) => return Err(ApiError::PaymentDeclined(message)),
        Outcome::Checking => (
            StatusCode::ACCEPTED,
            StepView::Pending {
                message: CHECKING.to_owned(),
            },
        ),
        Outcome::NotPaid => (
            StatusCode::OK,
            StepView::NotPaid {
                message: "お支払いを確認できませんでした。".to_owned(),
            },
        ),
    };
    Ok((status, Json(body)).into_response())
}
