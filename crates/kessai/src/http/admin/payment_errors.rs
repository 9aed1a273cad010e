//! 決済エラーログ: failed provider calls and rejected notifications, a page at a time, each
//! with a detail page; 詳細ログ出力 downloads the chosen entries (or all) as text to paste
//! into a support request; 確認済みにする (or deleting) clears them from the admin banner,
//! which counts the entries not confirmed.

use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use minijinja::{context, Value};

use super::auth::Admin;
use super::list::{self, Page, PageQuery};
use super::{page, redirect_with};
use crate::clock::{format_jst, jst};
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::providers;
use crate::store::PaymentError;

const LIST: &str = "/admin/payment-errors";
const PAGE_SIZE: i64 = 50;

/// The entry with its provider's and settlement kind's names.
fn view(e: &PaymentError) -> Value {
    context! {
        provider_label => providers::provider(&e.provider).map_or(e.provider.as_str(), |p| p.label),
        kind_label => providers::service_label(&e.settlement_kind),
        ..Value::from_serialize(e)
    }
}

/// GET /admin/payment-errors
pub async fn index(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Query(at): Query<PageQuery>,
) -> Result<Response, HttpError> {
    let at = Page::parse(&at.page, PAGE_SIZE);
    let total = state.store.payment_error_count().await?;
    let errors: Vec<Value> = state
        .store
        .payment_errors_page(at.size, at.offset())
        .await?
        .iter()
        .map(view)
        .collect();
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "payment_errors.html",
        "payment_errors",
        "決済エラーログ",
        context! { errors, paging => at.pager(total, String::new()) },
    )
}

/// GET /admin/payment-errors/{id}
pub async fn show(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let error = state
        .store
        .payment_error(id)
        .await?
        .ok_or(HttpError::NotFound)?;
    let order = match error.order_id {
        Some(order_id) => state.store.order(order_id).await?,
        None => None,
    };
    // Without an order, the link key may lead to the checkout's 決済直前ログ (when that
    // screen is in use).
    let log_link = order.is_none()
        && !error.link_key.is_empty()
        && state.settings.system().await?.prepayment_log_recovery
        && state.store.prepayment_log(&error.link_key).await?.is_some();
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "payment_error.html",
        "payment_errors",
        "決済エラーログ詳細",
        context! { e => view(&error), order, log_link },
    )
}

/// The entries a list form chose: `None` for every entry (`scope=all`), else the ticked ones.
fn chosen(pairs: &[(String, String)]) -> Option<Vec<i64>> {
    (list::value(pairs, "scope") != "all").then(|| list::ticked(pairs, "id"))
}

/// POST /admin/payment-errors/export: 詳細ログ出力 as a text file.
pub async fn export(
    State(state): State<SharedState>,
    _admin: Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let entries: Vec<PaymentError> = match chosen(&pairs) {
        None => {
            let total = state.store.payment_error_count().await?;
            state.store.payment_errors_page(total, 0).await?
        }
        Some(ids) if ids.is_empty() => {
            return Ok(redirect_with(
                LIST,
                "error",
                "出力する決済エラーログにチェックを入れてください。",
            ))
        }
        Some(ids) => {
            let mut entries = Vec::new();
            for id in ids {
                entries.extend(state.store.payment_error(id).await?);
            }
            entries
        }
    };
    let mut text = String::new();
    for e in &entries {
        let provider = providers::provider(&e.provider).map_or(e.provider.as_str(), |p| p.label);
        text.push_str(&format!(
            "日時: {}\r\n決済会社: {}\r\n決済種別: {}\r\nリンクキー: {}\r\n受注ID: {}\r\nステータス: {}\r\nメッセージ: {}\r\n詳細: {}\r\n\r\n",
            format_jst(e.at),
            provider,
            providers::service_label(&e.settlement_kind),
            e.link_key,
            e.order_id.map(|id| id.to_string()).unwrap_or_default(),
            e.status_code,
            e.message,
            e.detail.replace('\n', "\r\n"),
        ));
    }
    let day = state.clock.now().with_timezone(&jst()).format("%Y%m%d");
    Ok((
        [
            (CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"payment_errors_{day}.txt\""),
            ),
        ],
        text,
    )
        .into_response())
}

/// POST /admin/payment-errors/delete: the ticked entries, or all with `scope=all`.
pub async fn delete(
    State(state): State<SharedState>,
    admin: Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let ids = chosen(&pairs);
    if ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(redirect_with(
            LIST,
            "error",
            "削除する決済エラーログにチェックを入れてください。",
        ));
    }
    let n = state.store.delete_payment_errors(ids.as_deref()).await?;
    state
        .store
        .audit(
            admin.login(),
            "決済エラーログを削除",
            "payment_errors",
            &format!("{n}件"),
            state.clock.now(),
        )
        .await?;
    Ok(redirect_with(
        LIST,
        "ok",
        &format!("決済エラーログを{n}件削除しました。"),
    ))
}

/// POST /admin/payment-errors/confirm: 確認済みにする — the ticked entries, or all with
/// `scope=all`; the banner counts only the entries not confirmed.
pub async fn confirm(
    State(state): State<SharedState>,
    admin: Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let ids = chosen(&pairs);
    if ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(redirect_with(
            LIST,
            "error",
            "確認済みにする決済エラーログにチェックを入れてください。",
        ));
    }
    let n = state
        .store
        .confirm_payment_errors(ids.as_deref(), admin.login(), state.clock.now())
        .await?;
    Ok(redirect_with(
        LIST,
        "ok",
        &format!("決済エラーログを{n}件確認済みにしました。"),
    ))
}
