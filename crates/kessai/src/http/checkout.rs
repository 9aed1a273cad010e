//! The hand-off pages of a started checkout, under `/checkout/{link_key}`, the same for every
//! provider: the hand-off page (the provider's form, page or widget, or the redirect to its
//! own page), every step the browser brings back (`/{link_key}/{step}`, GET or POST: the
//! provider names its steps), and the 購入完了 page with what the buyer needs to pay.
//! Providers' scripts are served under `/checkout/assets/`.
//!
//! Every page a provider makes carries that provider's security policy ([`Csp::provider`]:
//! its token script or widget, the payment pages its forms go to); the provider's own HTML
//! (a 3-D Secure page) and a 購入完了 showing the operator's conversion tag get
//! [`Csp::foreign`]; the others keep the strict default.
//!
//! The link key is the capability: it is random, and every page only acts on its own
//! checkout.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use minijinja::{context, Value};

use super::error::HttpError;
use super::security::{Csp, CspNonce};
use super::{templates, SharedState};
use crate::checkout::handoff::{self, Outcome, CHECKING};
use crate::checkout::{self, Pending};
use crate::providers::form::{self, Charset};
use crate::providers::{self, BrowserOrigins, Connector, FormError, Page};

/// The checkout routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/assets/{name}", get(asset))
        .route("/{link_key}", get(handoff_page))
        .route("/{link_key}/done", get(done))
        .route("/{link_key}/{step}", get(step).post(step))
}

/// A provider's script for its pages.
async fn asset(Path(name): Path<String>) -> Result<Response, HttpError> {
    let (content_type, body) = providers::asset(&name).ok_or(HttpError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

async fn pending(state: &SharedState, link_key: &str) -> Result<Pending, HttpError> {
    checkout::load(&state.payments, link_key)
        .await?
        .ok_or(HttpError::NotFound)
}

async fn render(
    state: &SharedState,
    nonce: &CspNonce,
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
    let csp_nonce = nonce.as_str();
    let html = templates::render(template, context! { title, shop_name, csp_nonce, ..ctx })?;
    Ok((status, Html(html)).into_response())
}

/// Shows a provider's page (`status` for a template, e.g. 422 with an error) under that
/// provider's security policy.
async fn show(
    state: &SharedState,
    nonce: &CspNonce,
    connector: &Connector,
    page: Page,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let origins = connector.browser_origins();
    match page {
        Page::RedirectForm {
            action,
            fields,
            charset,
        } => {
            let csp = Csp::provider(&origins).posting_to(&action);
            let provider_label = providers::provider(connector.provider()).map_or("", |s| s.label);
            let response = render(
                state,
                nonce,
                StatusCode::OK,
                "checkout_redirect.html",
                "決済ページへ移動",
                context! { action, fields, charset, provider_label },
            )
            .await?;
            Ok(csp.on(response))
        }
        Page::Template {
            template,
            title,
            context,
        } => {
            let response = render(
                state,
                nonce,
                status,
                template,
                &title,
                Value::from_serialize(&context),
            )
            .await?;
            Ok(Csp::provider(&origins).on(response))
        }
        // The provider's page for the buyer, shown as it is (a 3-D Secure challenge).
        Page::Html(html) => Ok(Csp::foreign(&origins).on(Html(html).into_response())),
        Page::Redirect(url) => Ok(Redirect::to(&url).into_response()),
    }
}

/// Sends the buyer on once the order exists.
fn finished(p: &Pending) -> Response {
    Redirect::to(&handoff::done_url(p, "")).into_response()
}

/// GET: the hand-off page for the checkout's payment method.
async fn handoff_page(
    State(state): State<SharedState>,
    nonce: CspNonce,
    Path(link_key): Path<String>,
) -> Result<Response, HttpError> {
    let p = pending(&state, &link_key).await?;
    if p.log.order_id.is_some() {
        return Ok(finished(&p));
    }
    again(&state, &nonce, &p, None).await
}

/// The hand-off page, with the buyer's message after a refusal.
async fn again(
    state: &SharedState,
    nonce: &CspNonce,
    p: &Pending,
    error: Option<String>,
) -> Result<Response, HttpError> {
    let connector = match handoff::connector(&state.payments, p).await? {
        Ok(connector) => connector,
        Err(unavailable) => {
            let message = error.unwrap_or(unavailable);
            return self::message(state, nonce, StatusCode::OK, "お支払い", &message, None).await;
        }
    };
    let urls = handoff::urls(p, &state.config.public_url);
    let view = handoff::view(&state.payments, p, &connector, urls).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = connector.handoff(&view, error.as_deref()).await;
    show(state, nonce, &connector, page, status).await
}

/// The fields a step brought back: the query, then the form body in the character set
/// the provider's pages post (some providers post Shift_JIS).
fn fields(query: Option<&str>, body: &[u8], charset: Charset) -> BTreeMap<String, String> {
    let mut fields: BTreeMap<String, String> = query
        .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default();
    if let Ok(form) = form::decode_form(body, charset) {
        fields.extend(form);
    }
    fields
}

/// GET or POST: a step of the hand-off (the card form, the 3-D Secure term URL, the
/// application, Paidy's result, the return from the provider's page…).
async fn step(
    State(state): State<SharedState>,
    nonce: CspNonce,
    Path((link_key, step)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, HttpError> {
    let p = pending(&state, &link_key).await?;
    let connector = match handoff::connector(&state.payments, &p).await? {
        Ok(connector) => connector,
        Err(message) => return again(&state, &nonce, &p, Some(message)).await,
    };
    let submission = match connector.form_submission(
        &step,
        &fields(query.as_deref(), &body, connector.form_charset()),
    ) {
        Ok(submission) => submission,
        Err(FormError::UnknownStep) => return Err(HttpError::NotFound),
        Err(FormError::Invalid(message)) => return again(&state, &nonce, &p, Some(message)).await,
    };
    let urls = handoff::urls(&p, &state.config.public_url);
    match handoff::take_step(&state.payments, &p, urls, submission).await? {
        Outcome::Ordered(_) => Ok(finished(&p)),
        Outcome::Show(page) => show(&state, &nonce, &connector, page, StatusCode::OK).await,
        Outcome::Redirect(url) => Ok(Redirect::to(&url).into_response()),
        Outcome::Declined(message) => again(&state, &nonce, &p, Some(message)).await,
        Outcome::Checking => {
            message(
                &state,
                &nonce,
                StatusCode::ACCEPTED,
                "決済結果を確認しています",
                CHECKING,
                None,
            )
            .await
        }
        Outcome::NotPaid => message(
            &state,
            &nonce,
            StatusCode::OK,
            "お支払いが完了していません",
            "お支払いを確認できませんでした。お手数ですがもう一度お支払い手続きを行ってください。",
            Some(format!("/checkout/{link_key}")),
        )
        .await,
    }
}

async fn message(
    state: &SharedState,
    nonce: &CspNonce,
    status: StatusCode,
    heading: &str,
    message: &str,
    retry_url: Option<String>,
) -> Result<Response, HttpError> {
    render(
        state,
        nonce,
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

/// GET: 購入完了.
async fn done(
    State(state): State<SharedState>,
    nonce: CspNonce,
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
    let details = p.payment.details();
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
    // The operator's tag runs scripts and loads from the services it reports to.
    let csp = match conversion {
        Some(_) => Csp::foreign(&BrowserOrigins::default()),
        None => Csp::default(),
    };
    let response = render(
        &state,
        &nonce,
        StatusCode::OK,
        "checkout_done.html",
        "購入完了",
        context! {
            order, items, details, delivery_date, conversion,
            heading => "", message => "", retry_url => None::<String>,
        },
    )
    .await?;
    Ok(csp.on(response))
}
