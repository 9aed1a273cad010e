//! 受注リスト and 受注データ with its 支払情報: the payment's provider status, the amount,
//! exactly the operations the capability table allows (売上処理, 金額変更, キャンセル処理,
//! 返金処理, 状態更新), and the payment history (処理日時, 決済ID, 処理区分, 金額, 処理結果).
//! Also 決済エラーログ: the failed provider calls and rejected notifications.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::Deserialize;

use super::auth::Admin;
use super::{page, redirect_with};
use crate::domain::order::{OrderStatus, ReceiptStatus};
use crate::domain::payment::{Operation, OperationOutcome};
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::payments::{Payments, PaymentsError};
use crate::providers;

/// GET /admin/orders
pub async fn index(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let rows: Vec<_> = state
        .store
        .order_list(200)
        .await?
        .into_iter()
        .map(|o| {
            let drift = o.payment_amount.is_some_and(|a| a != o.total);
            context! {
                order_status => OrderStatus::parse(&o.order_status).map_or("", OrderStatus::label),
                receipt_status => ReceiptStatus::parse(&o.receipt_status).map_or("", ReceiptStatus::label),
                drift,
                ..minijinja::Value::from_serialize(&o)
            }
        })
        .collect();
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "orders.html",
        "orders",
        "受注リスト",
        context! { rows },
    )
}

/// GET /admin/orders/{id}
pub async fn show(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let order = state.store.order(id).await?.ok_or(HttpError::NotFound)?;
    let items = state.store.order_items(id).await?;
    let payment = state.store.payment_of_order(id).await?;
    let (operations, history) = match &payment {
        Some(p) => {
            let operations: Vec<_> = Payments::allowed(p)
                .iter()
                .map(|op| context! { key => op.as_str(), label => crate::payments::provider::operation_label(&p.settlement_kind, *op), needs_amount => matches!(op, Operation::ChangeAmount | Operation::Refund) })
                .collect();
            let history: Vec<_> = state
                .store
                .payment_operations(p.id)
                .await?
                .into_iter()
                .rev()
                .enumerate()
                .map(|(i, row)| {
                    let outcome = match row.outcome.as_str() {
                        "pending" => OperationOutcome::Pending.label(),
                        "failed" => OperationOutcome::Failed.label(),
                        _ => "",
                    };
                    context! { n => i, outcome, ..minijinja::Value::from_serialize(&row) }
                })
                .collect();
            (operations, history)
        }
        None => (Vec::new(), Vec::new()),
    };
    let history_len = history.len();
    let mails = super::mails::of_order(&state, id).await?;
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "order.html",
        "orders",
        "受注データ",
        context! {
            order_status => OrderStatus::parse(&order.order_status).map_or("", OrderStatus::label),
            receipt_status => ReceiptStatus::parse(&order.receipt_status).map_or("", ReceiptStatus::label),
            provider_label => payment.as_ref().and_then(|p| providers::provider(&p.provider)).map_or("", |p| p.label),
            order,
            lines => items,
            payment,
            operations,
            history,
            history_len,
            mails,
        },
    )
}

/// The 決済情報 form.
#[derive(Debug, Deserialize)]
pub struct OperationForm {
    operation: String,
    #[serde(default)]
    amount: String,
}

/// POST /admin/orders/{id}/payment
pub async fn operate(
    State(state): State<SharedState>,
    admin: Admin,
    Path(id): Path<i64>,
    Form(form): Form<OperationForm>,
) -> Result<Response, HttpError> {
    let back = format!("/admin/orders/{id}");
    let payment = state
        .store
        .payment_of_order(id)
        .await?
        .ok_or(HttpError::NotFound)?;
    let Some(operation) =
        Operation::parse(&form.operation).filter(|op| *op != Operation::Authorize)
    else {
        return Ok(redirect_with(
            &back,
            "error",
            "処理区分が正しくありません。",
        ));
    };
    let amount = match form.amount.trim().replace(',', "") {
        a if a.is_empty() => None,
        a => match crate::domain::money::Yen::parse(&a) {
            Ok(y) => Some(y.get()),
            Err(_) => {
                return Ok(redirect_with(
                    &back,
                    "error",
                    "決済金額は半角数字で入力してください。",
                ))
            }
        },
    };
    match state
        .payments
        .perform(payment.id, operation, amount, admin.login())
        .await
    {
        Ok(p) => Ok(redirect_with(
            &back,
            "ok",
            &format!(
                "{}を行いました。決済状況: {}",
                operation.label(),
                p.provider_status_label.unwrap_or_default()
            ),
        )),
        Err(PaymentsError::Store(e)) => Err(e.into()),
        Err(e) => Ok(redirect_with(&back, "error", &e.to_string())),
    }
}

/// GET /admin/payment-errors
pub async fn errors(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let errors: Vec<_> = state
        .store
        .payment_errors(500)
        .await?
        .into_iter()
        .map(|e| context! { kind_label => providers::service_label(&e.settlement_kind).to_owned(), ..minijinja::Value::from_serialize(&e) })
        .collect();
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "payment_errors.html",
        "payment_errors",
        "決済エラーログ",
        context! { errors },
    )
}

/// The delete form of the error log (one entry, or every entry without an id).
#[derive(Debug, Deserialize)]
pub struct DeleteErrors {
    #[serde(default)]
    id: Option<i64>,
}

/// POST /admin/payment-errors/delete
pub async fn delete_errors(
    State(state): State<SharedState>,
    admin: Admin,
    Form(form): Form<DeleteErrors>,
) -> Result<Response, HttpError> {
    let n = state.store.delete_payment_errors(form.id).await?;
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
        "/admin/payment-errors",
        "ok",
        &format!("決済エラーログを{n}件削除しました。"),
    ))
}
