//! The Japanese admin console: login, ダッシュボード, 受注リスト and 受注データ編集, 会員,
//! 決済エラーログ, 決済直前ログ, メール送信履歴, 基本設定, システム設定, クレジット決済設定, 支払方法,
//! 配送設定, ジョブ and 操作ログ. Server-rendered; every form posts back with a CSRF token
//! and succeeds with Post/Redirect/Get (a flash message on the next page) or re-renders
//! with the operator's input and each wrong field named.

mod api_keys;
pub mod auth;
pub mod csv;
mod dashboard;
mod delivery;
mod jobs;
pub mod list;
pub(crate) mod mails;
mod members;
mod orders;
mod payment_errors;
mod payment_methods;
mod prepayment_logs;
mod settlement;
mod shop;
mod system;

use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::{context, Value};

use self::auth::Admin;
use crate::http::error::HttpError;
use crate::http::{templates, SharedState};

/// The admin routes, to be nested under `/admin`.
pub fn router(state: SharedState) -> Router<SharedState> {
    Router::new()
        .route("/", get(dashboard::show))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/shop", get(shop::show).post(shop::save))
        .route(
            "/settlement",
            get(settlement::index).post(settlement::choose_providers),
        )
        .route(
            "/settlement/{provider}",
            get(settlement::show).post(settlement::save),
        )
        .route(
            "/payment-methods",
            get(payment_methods::index).post(payment_methods::create),
        )
        .route("/payment-methods/order", post(payment_methods::reorder))
        .route(
            "/payment-methods/{id}/migrate",
            post(payment_methods::migrate),
        )
        .route(
            "/payment-methods/{id}",
            get(payment_methods::edit).post(payment_methods::update),
        )
        .route(
            "/payment-methods/{id}/delete",
            post(payment_methods::delete),
        )
        .route(
            "/payment-methods/{id}/move",
            post(payment_methods::move_one),
        )
        .route("/delivery", get(delivery::index).post(delivery::create))
        .route("/delivery/{id}", get(delivery::edit).post(delivery::update))
        .route("/delivery/{id}/delete", post(delivery::delete))
        .route("/system", get(system::show).post(system::save))
        .route("/members", get(members::index))
        .route("/members/{id}", get(members::show).post(members::update))
        .route("/orders", get(orders::index))
        .route("/orders/export", get(orders::export))
        .route("/orders/bulk", post(orders::bulk))
        .route("/orders/b2/export", post(orders::b2_export))
        .route("/orders/b2/import", post(orders::b2_import))
        .route("/orders/{id}", get(orders::show).post(orders::update))
        .route("/orders/{id}/payment", post(orders::operate))
        .route("/orders/{id}/thank-you-mail", post(mails::send_thank_you))
        .route("/mails", get(mails::index))
        .route("/mails/{id}", get(mails::show))
        .route("/payment-errors", get(payment_errors::index))
        .route("/payment-errors/export", post(payment_errors::export))
        .route("/payment-errors/delete", post(payment_errors::delete))
        .route("/payment-errors/confirm", post(payment_errors::confirm))
        .route("/payment-errors/{id}", get(payment_errors::show))
        .route("/prepayment-logs", get(prepayment_logs::index))
        .route("/prepayment-logs/delete", post(prepayment_logs::delete))
        .route("/prepayment-logs/{link_key}", get(prepayment_logs::show))
        .route(
            "/prepayment-logs/{link_key}/register",
            post(prepayment_logs::register),
        )
        .route("/jobs", get(jobs::index))
        .route("/jobs/{id}/retry", post(jobs::retry))
        .route("/audit", get(jobs::audit))
        .route("/api-keys", get(api_keys::index).post(api_keys::create))
        .route("/api-keys/{id}/revoke", post(api_keys::revoke))
        .layer(axum::extract::DefaultBodyLimit::max(auth::MAX_FORM_BYTES))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .layer(axum::middleware::map_response_with_state(
            state,
            auth::secure_cookies,
        ))
}

const FLASH_COOKIE: &str = "kessai_flash";

/// A message carried to the next page after a redirect.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Flash {
    /// `ok` or `error`.
    pub kind: String,
    pub message: String,
}

fn read_flash(headers: &HeaderMap) -> Option<Flash> {
    let raw = auth::cookie(headers, FLASH_COOKIE)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).ok()?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    Some(Flash {
        kind: get("k")?,
        message: get("m")?,
    })
}

/// Redirects to `to` with a message for the next page.
pub fn redirect_with(to: &str, kind: &str, message: &str) -> Response {
    let value = serde_urlencoded::to_string([("k", kind), ("m", message)]).expect("strings encode");
    let cookie = format!("{FLASH_COOKIE}={value}; Path=/admin; HttpOnly; SameSite=Lax; Max-Age=60");
    ([(SET_COOKIE, cookie)], Redirect::to(to)).into_response()
}

/// Renders an admin page inside the layout. `nav` marks the current menu entry; a pending
/// flash message is shown once and cleared.
pub fn page(
    status: StatusCode,
    admin: &Admin,
    headers: &HeaderMap,
    template: &str,
    nav: &str,
    title: &str,
    ctx: Value,
) -> Result<Response, HttpError> {
    let flash = read_flash(headers);
    let html = templates::render(
        template,
        context! { admin_login => admin.login(), csrf => admin.csrf(), csp_nonce => admin.csp_nonce(), payment_errors => admin.payment_errors(), nav, title, flash => flash.clone(), ..ctx },
    )?;
    let mut response = (status, Html(html)).into_response();
    if flash.is_some() {
        let clear = format!("{FLASH_COOKIE}=; Path=/admin; HttpOnly; SameSite=Lax; Max-Age=0");
        response
            .headers_mut()
            .append(SET_COOKIE, clear.parse().expect("valid header"));
    }
    Ok(response)
}
