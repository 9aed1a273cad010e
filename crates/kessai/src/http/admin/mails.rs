//! メール送信履歴: every mail kessai composed (日時, 宛先, 件名, 種別, 状態), page by page, and
//! each mail whole; the 受注データ block of an order's mails with 「サンキューメール送信」.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::{context, Value};
use serde::Deserialize;

use super::auth::Admin;
use super::{page, redirect_with};
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::mail::{MailError, MailKind, MailStatus};
use crate::store::Mail;

/// Mails per page of メール送信履歴.
const PER_PAGE: i64 = 50;

/// The query of メール送信履歴.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// 1-based page number; anything else shows the first page.
    #[serde(default)]
    page: String,
}

/// A mail with its 種別 and 状態 in words.
fn row(m: &Mail) -> Value {
    context! {
        kind_label => MailKind::parse(&m.kind).map_or(m.kind.clone(), |k| k.label().to_owned()),
        status_label => MailStatus::parse(&m.status).map_or(m.status.clone(), |s| s.label().to_owned()),
        failed => m.status == MailStatus::Failed.as_str(),
        ..Value::from_serialize(m)
    }
}

/// GET /admin/mails
pub async fn index(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, HttpError> {
    let total = state.store.mail_count().await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let current = query.page.parse::<i64>().unwrap_or(1).clamp(1, pages);
    let mails: Vec<Value> = state
        .store
        .mails(PER_PAGE, (current - 1) * PER_PAGE)
        .await?
        .iter()
        .map(row)
        .collect();
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "mails.html",
        "mails",
        "メール送信履歴",
        context! { mails, total, current, pages },
    )
}

/// GET /admin/mails/{id}
pub async fn show(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let mail = state.store.mail(id).await?.ok_or(HttpError::NotFound)?;
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "mail.html",
        "mails",
        "メール送信履歴",
        context! { mail => row(&mail) },
    )
}

/// The mails of an order, for the 受注データ page.
pub async fn of_order(state: &SharedState, order_id: i64) -> Result<Vec<Value>, HttpError> {
    Ok(state
        .store
        .mails_of_order(order_id)
        .await?
        .iter()
        .map(row)
        .collect())
}

/// POST /admin/orders/{id}/thank-you-mail: queues a サンキューメール for the order.
pub async fn send_thank_you(
    State(state): State<SharedState>,
    admin: Admin,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let back = format!("/admin/orders/{id}");
    match state.mailer.queue_thank_you(id).await {
        Ok(mail_id) => {
            state
                .store
                .audit(
                    admin.login(),
                    "サンキューメールを送信",
                    &format!("order {id}"),
                    &format!("mail {mail_id}"),
                    state.clock.now(),
                )
                .await?;
            Ok(redirect_with(
                &back,
                "ok",
                "サンキューメールを送信します。結果はメール送信履歴で確認できます。",
            ))
        }
        Err(MailError::NoOrder) => Err(HttpError::NotFound),
        Err(MailError::Store(e)) => Err(e.into()),
        Err(MailError::Template(e)) => Err(e.into()),
        Err(e @ MailError::ShopAddress(_)) => Ok(redirect_with(&back, "error", &e.to_string())),
    }
}
