//! The hand-off pages of a started checkout, under `/checkout/{link_key}`: the in-site card
//! form (module type), the redirect to the provider's page (link type), the 3-D Secure page
//! and its term URL, the confirmation of a payment made after ordering (convenience store,
//! ATM, net banking), the Paidy Checkout page, the return from the provider, and the 購入完了
//! page with what the buyer needs to pay.
//!
//! The link key is the capability: it is random, and every page only acts on its own
//! checkout.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{context, Value};
use serde::Deserialize;

use super::error::{urlencode, HttpError};
use super::{templates, SharedState};
use crate::checkout::paygent::{self as card, CardError, CardStep, CardSubmission, ThreeDsResult};
use crate::checkout::paygent_services as services;
use crate::checkout::{self, Pending};
use crate::providers::paygent::map::Service;
use crate::providers::paygent::CardType;

/// The checkout routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/assets/paygent_card.js", get(card_script))
        .route("/assets/paygent_paidy.js", get(paidy_script))
        .route("/{link_key}", get(handoff))
        .route("/{link_key}/card", post(submit_card))
        .route("/{link_key}/3ds", get(three_ds_result))
        .route("/{link_key}/apply", post(submit_application))
        .route("/{link_key}/paidy", post(paidy_result))
        .route("/{link_key}/return", get(link_return))
        .route("/{link_key}/done", get(done))
}

async fn card_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../assets/paygent_card.js"),
    )
}

async fn paidy_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../assets/paygent_paidy.js"),
    )
}

async fn pending(state: &SharedState, link_key: &str) -> Result<Pending, HttpError> {
    checkout::load(&state.payments, link_key)
        .await?
        .ok_or(HttpError::NotFound)
}

async fn render(
    state: &SharedState,
    status: StatusCode,
    template: &str,
    title: &str,
    ctx: Value,
) -> Result<Response, HttpError> {
    let shop = state.settings.shop().await?;
    let shop_name = if shop.shop_name.is_empty() {
        "kessai".to_owned()
    } else {
        shop.shop_name
    };
    let html = templates::render(template, context! { title, shop_name, ..ctx })?;
    Ok((status, Html(html)).into_response())
}

/// Where the buyer goes once the order exists: the headless shop's page with the link key,
/// or the 購入完了 page under `base` (empty for a path on this server).
fn done_url(p: &Pending, base: &str) -> String {
    match &p.checkout.return_url {
        Some(url) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}link_key={}", urlencode(&p.payment.link_key))
        }
        None => format!("{base}/checkout/{}/done", p.payment.link_key),
    }
}

/// Sends the buyer on once the order exists.
fn finished(p: &Pending) -> Response {
    Redirect::to(&done_url(p, "")).into_response()
}

/// GET: the hand-off page for the checkout's payment method.
async fn handoff(
    State(state): State<SharedState>,
    Path(link_key): Path<String>,
) -> Result<Response, HttpError> {
    let p = pending(&state, &link_key).await?;
    if p.log.order_id.is_some() {
        return Ok(finished(&p));
    }
    let config = card::config(&state.payments).await?;
    let Some(service) = Service::from_kind(&p.payment.settlement_kind) else {
        return message(
            &state,
            StatusCode::OK,
            "お支払い",
            "この支払方法のお支払い画面はまだ用意されていません。",
            None,
        )
        .await;
    };
    if !config.offers(&p.payment.settlement_kind) {
        return message(
            &state,
            StatusCode::OK,
            "お支払い",
            "この支払方法は現在ご利用いただけません。",
            None,
        )
        .await;
    }
    match (service, config.card, config.conv) {
        (Service::Card, CardType::Link, _) | (Service::Conv, _, CardType::Link) => {
            let base = format!("{}/checkout/{link_key}", state.config.public_url);
            let request = card::link_request(&config, &p, &format!("{base}/return"), &base);
            render(
                &state,
                StatusCode::OK,
                "checkout_redirect.html",
                "決済ページへ移動",
                context! { action => request.action, fields => request.fields },
            )
            .await
        }
        (Service::Card, _, _) => card_form(&state, &p, None).await,
        (Service::Paidy, _, _) => paidy_page(&state, &p, None).await,
        (Service::Conv | Service::Atm | Service::Netbank, _, _) => {
            application_form(&state, &p, None).await
        }
    }
}

/// The confirmation page of a payment made after ordering: the store choice of a
/// convenience store, or a plain confirmation for ATM and net banking.
async fn application_form(
    state: &SharedState,
    p: &Pending,
    error: Option<String>,
) -> Result<Response, HttpError> {
    let config = card::config(&state.payments).await?;
    let service = Service::from_kind(&p.payment.settlement_kind);
    let stores = match service {
        Some(Service::Conv) => config.conv_store_choices(),
        _ => Vec::new(),
    };
    render(
        state,
        form_status(&error),
        "checkout_payment.html",
        &p.checkout.order.payment_method_name,
        context! {
            action => format!("/checkout/{}/apply", p.payment.link_key),
            amount => p.payment.amount,
            payment_method_name => p.checkout.order.payment_method_name.clone(),
            netbank => service == Some(Service::Netbank),
            deadline_notice => config.deadline_notice(&p.payment.settlement_kind),
            stores,
            error,
        },
    )
    .await
}

/// What the confirmation page posts.
#[derive(Debug, Default, Deserialize)]
struct ApplicationForm {
    #[serde(default)]
    cvs_company_id: String,
}

/// POST: the buyer confirms a convenience store, ATM or net banking payment.
async fn submit_application(
    State(state): State<SharedState>,
    Path(link_key): Path<String>,
    Form(form): Form<ApplicationForm>,
) -> Result<Response, HttpError> {
    let p = pending(&state, &link_key).await?;
    let urls = services::ReturnUrls {
        done: done_url(&p, &state.config.public_url),
        stop: format!("{}/checkout/{link_key}", state.config.public_url),
    };
    let application = services::Application {
        cvs_company_id: form.cvs_company_id,
    };
    match services::apply(&state.payments, &p, &application, &urls).await {
        Ok(services::Step::Ordered(_)) => Ok(finished(&p)),
        Ok(services::Step::Redirect(url)) => Ok(Redirect::to(&url).into_response()),
        Err(CardError::Retry(message)) => application_form(&state, &p, Some(message)).await,
        Err(CardError::Store(e)) => Err(e.into()),
        Err(e @ CardError::Unknown) => {
            still_checking(&state, "お申し込みを確認しています", &e).await
        }
    }
}

/// The Paidy Checkout page: loads Paidy's script and opens the checkout with the payload.
async fn paidy_page(
    state: &SharedState,
    p: &Pending,
    error: Option<String>,
) -> Result<Response, HttpError> {
    let widget = services::paidy_widget(&state.payments, p).await?;
    render(
        state,
        form_status(&error),
        "checkout_paidy.html",
        "Paidy",
        context! {
            action => format!("/checkout/{}/paidy", p.payment.link_key),
            amount => p.payment.amount,
            payment_method_name => p.checkout.order.payment_method_name.clone(),
            widget,
            error,
        },
    )
    .await
}

/// What the Paidy page posts: the `closed` callback's data.
#[derive(Debug, Default, Deserialize)]
struct PaidyForm {
    #[serde(default)]
    paidy_payment_id: String,
    #[serde(default)]
    status: String,
}

/// POST: Paidy Checkout closed.
async fn paidy_result(
    State(state): State<SharedState>,
    Path(link_key): Path<String>,
    Form(form): Form<PaidyForm>,
) -> Result<Response, HttpError> {
    let p = pending(&state, &link_key).await?;
    if form.status != "authorized" {
        let message = match form.status.as_str() {
            "rejected" => {
                "Paidyでのお支払いがご利用いただけませんでした。別の支払方法をご利用ください。"
            }
            _ => "Paidyでのお支払いが完了していません。もう一度お試しください。",
        };
        return paidy_page(&state, &p, Some(message.to_owned())).await;
    }
    match services::paidy_authorized(&state.payments, &p, &form.paidy_payment_id).await {
        Ok(_) => Ok(finished(&p)),
        Err(CardError::Retry(message)) => paidy_page(&state, &p, Some(message)).await,
        Err(CardError::Store(e)) => Err(e.into()),
        Err(e @ CardError::Unknown) => still_checking(&state, "決済結果を確認しています", &e).await,
    }
}

async fn card_form(
    state: &SharedState,
    p: &Pending,
    error: Option<String>,
) -> Result<Response, HttpError> {
    let config = card::config(&state.payments).await?;
    let member = p.checkout.order.member_id;
    let stored_cards = match member {
        Some(id) if config.stored_cards => state.store.stored_cards(id, "paygent").await?,
        _ => Vec::new(),
    };
    let (months, years) = card_expiry_choices(state);
    render(
        state,
        form_status(&error),
        "checkout_card.html",
        "クレジットカード決済",
        context! {
            action => format!("/checkout/{}/card", p.payment.link_key),
            amount => p.payment.amount,
            payment_method_name => p.checkout.order.payment_method_name.clone(),
            merchant_id => config.merchant_id.clone(),
            token_key => config.token_key.clone(),
            token_script => format!("{}/js/PaygentToken.js", config.token_url),
            security_code => config.security_code,
            choices => config.payment_choices(),
            can_register => member.is_some() && config.stored_cards,
            stored_cards,
            months,
            years,
            error,
        },
    )
    .await
}

/// The 有効期限 choices of a card form: months `01`–`12` and the next 20 years as `YY`.
pub(crate) fn card_expiry_choices(state: &SharedState) -> (Vec<String>, Vec<String>) {
    let year = (state
        .clock
        .now()
        .with_timezone(&crate::clock::jst())
        .format("%y")
        .to_string())
    .parse::<u32>()
    .unwrap_or(26);
    let years = (year..year + 20).map(|y| format!("{y:02}")).collect();
    let months = (1..=12).map(|m| format!("{m:02}")).collect();
    (months, years)
}

/// The status of a payment form: 422 when it is shown again with an error.
fn form_status(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// 202 with `heading`: Paygent's answer is not known yet, and the buyer is told it is being
/// checked.
async fn still_checking(
    state: &SharedState,
    heading: &str,
    e: &CardError,
) -> Result<Response, HttpError> {
    message(state, StatusCode::ACCEPTED, heading, &e.to_string(), None).await
}

async fn message(
    state: &SharedState,
    status: StatusCode,
    heading: &str,
    message: &str,
    retry_url: Option<String>,
) -> Result<Response, HttpError> {
    render(
        state,
        status,
        "checkout_done.html",
        heading,
        context! {
            order => None::<()>, items => Vec::<()>::new(), details => Vec::<()>::new(), delivery_date => None::<String>,
            conversion => None::<String>, heading, message, retry_url,
        },
    )
    .await
}

/// What the card form posts (token receipts as JSON written by the page's script).
#[derive(Debug, Default, Deserialize)]
struct CardForm {
    #[serde(default)]
    card_json: String,
    #[serde(default)]
    register_json: String,
    #[serde(default)]
    stored_card_id: String,
    #[serde(default)]
    payment_choice: String,
    #[serde(default)]
    cardholder_name: String,
}

impl CardForm {
    fn submission(&self) -> Result<CardSubmission, String> {
        let receipt = |json: &str| -> Result<Option<card::TokenReceipt>, String> {
            if json.trim().is_empty() {
                return Ok(None);
            }
            serde_json::from_str(json).map(Some).map_err(|_| {
                "カード情報を確認できませんでした。もう一度入力してください。".to_owned()
            })
        };
        let stored_card_id = match self.stored_card_id.trim() {
            "" => None,
            id => Some(
                id.parse()
                    .map_err(|_| "登録済みのカードを選択し直してください。".to_owned())?,
            ),
        };
        Ok(CardSubmission {
            card: receipt(&self.card_json)?,
            payment_choice: self.payment_choice.clone(),
            register: receipt(&self.register_json)?,
            stored_card_id,
            cardholder_name: self.cardholder_name.clone(),
        })
    }
}

/// POST: the card form with its tokens.
async fn submit_card(
    State(state): State<SharedState>,
    Path(link_key): Path<String>,
    Form(form): Form<CardForm>,
) -> Result<Response, HttpError> {
    let p = pending(&state, &link_key).await?;
    let submission = match form.submission() {
        Ok(s) => s,
        Err(message) => return card_form(&state, &p, Some(message)).await,
    };
    let term_url = format!("{}/checkout/{link_key}/3ds", state.config.public_url);
    let step = card::submit_card(&state.payments, &p, &submission, &term_url).await;
    card_outcome(&state, &p, step).await
}

async fn card_outcome(
    state: &SharedState,
    p: &Pending,
    step: Result<CardStep, CardError>,
) -> Result<Response, HttpError> {
    match step {
        Ok(CardStep::Ordered(_)) => Ok(finished(p)),
        // Paygent's page for the buyer, shown as it is (spec §6.4 step 3).
        Ok(CardStep::Challenge(acs_html)) => Ok(Html(acs_html).into_response()),
        Err(CardError::Retry(message)) => card_form(state, p, Some(message)).await,
        Err(e @ CardError::Unknown) => still_checking(state, "決済結果を確認しています", &e).await,
        Err(CardError::Store(e)) => Err(e.into()),
    }
}

/// GET: the 3-D Secure term URL.
async fn three_ds_result(
    State(state): State<SharedState>,
    Path(link_key): Path<String>,
    Query(result): Query<ThreeDsResult>,
) -> Result<Response, HttpError> {
    let p = pending(&state, &link_key).await?;
    let step = card::three_ds_result(&state.payments, &p, &result).await;
    card_outcome(&state, &p, step).await
}

/// GET: the buyer is back from Paygent's payment page (link type).
async fn link_return(
    State(state): State<SharedState>,
    Path(link_key): Path<String>,
) -> Result<Response, HttpError> {
    let p = pending(&state, &link_key).await?;
    match card::link_return(&state.payments, &p).await {
        Ok(Some(_)) => Ok(finished(&p)),
        Ok(None) => message(
            &state,
            StatusCode::OK,
            "お支払いが完了していません",
            "お支払いを確認できませんでした。お手数ですがもう一度お支払い手続きを行ってください。",
            Some(format!("/checkout/{link_key}")),
        )
        .await,
        Err(CardError::Store(e)) => Err(e.into()),
        Err(e) => still_checking(&state, "決済結果を確認しています", &e).await,
    }
}

/// GET: 購入完了.
async fn done(
    State(state): State<SharedState>,
    Path(link_key): Path<String>,
) -> Result<Response, HttpError> {
    let p = pending(&state, &link_key).await?;
    let Some(order_id) = p.log.order_id else {
        return Ok(Redirect::to(&format!("/checkout/{link_key}")).into_response());
    };
    let order = state
        .store
        .order(order_id)
        .await?
        .ok_or(HttpError::NotFound)?;
    let details = checkout::payment_details(&p.payment);
    let items = state.store.order_items(order_id).await?;
    // The operator's conversion tag counts each order once: only the first view claims it.
    let shop = state.settings.shop().await?;
    let conversion = match shop.conversion_snippet(&order.order_number, order.total) {
        Some(snippet)
            if state
                .store
                .claim_conversion(order_id, state.clock.now())
                .await? =>
        {
            Some(snippet)
        }
        _ => None,
    };
    let delivery_date = order.delivery_date.map(crate::clock::format_date_ja);
    render(
        &state,
        StatusCode::OK,
        "checkout_done.html",
        "購入完了",
        context! {
            order, items, details, delivery_date, conversion,
            heading => "", message => "", retry_url => None::<String>,
        },
    )
    .await
}
