//! Orders and their payment through the API: read an order with its payment and history
//! (決済情報), and run the payment operations the admin's dialog offers (売上処理, 金額変更,
//! キャンセル処理, 返金処理, 状態更新) under the same capability table.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::{ApiClient, OptionalJson, RequestKey};
use crate::domain::buyer::Buyer;
use crate::domain::order::{OrderStatus, ReceiptStatus};
use crate::domain::payment::{Operation, PaymentOrigin};
use crate::http::SharedState;
use crate::payments::{OperationRequest, Payments, PaymentsError};
use crate::providers::ProviderError;
use crate::store::{Order, Payment};

const NO_ORDER: &str = "受注が見つかりません。";

/// A stored code with the admin's word for it.
#[derive(Debug, Serialize)]
struct Status {
    code: String,
    label: Option<String>,
}

#[derive(Debug, Serialize)]
struct Customer {
    member_id: Option<i64>,
    #[serde(flatten)]
    buyer: Buyer,
}

#[derive(Debug, Serialize)]
struct Delivery {
    method_id: Option<i64>,
    name: String,
    carrier: String,
    tracking_number: Option<String>,
    delivery_date: Option<chrono::NaiveDate>,
    delivery_time: String,
}

#[derive(Debug, Serialize)]
struct Item {
    product_code: String,
    product_name: String,
    unit_price: i64,
    quantity: i64,
    amount: i64,
}

#[derive(Debug, Serialize)]
struct Totals {
    subtotal: i64,
    shipping_fee: i64,
    fee: i64,
    discount: i64,
    total: i64,
}

#[derive(Debug, Serialize)]
struct PaymentMethod {
    id: Option<i64>,
    name: String,
    settlement_kind: String,
}

/// An order as the API shows it.
#[derive(Debug, Serialize)]
struct OrderView {
    id: i64,
    order_number: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    customer: Customer,
    delivery: Delivery,
    items: Vec<Item>,
    totals: Totals,
    order_status: Status,
    receipt_status: Status,
    payment_method: PaymentMethod,
    note: String,
    /// The payment of the order's checkout (the one the operations below act on).
    payment: Option<PaymentView>,
    /// Every payment of the order, oldest first: its checkout's and any charge kessai made.
    payments: Vec<PaymentView>,
}

/// One row of the payment's history (処理日時, 決済ID, 処理区分, 金額, 処理結果).
#[derive(Clone, Debug, Serialize)]
struct HistoryRow {
    at: DateTime<Utc>,
    payment_id: Option<String>,
    label: String,
    amount: i64,
    /// `pending`, `succeeded` or `failed`.
    outcome: String,
    message: Option<String>,
}

/// A payment as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct PaymentView {
    id: i64,
    order_id: Option<i64>,
    provider: String,
    settlement_kind: String,
    link_key: String,
    provider_payment_id: Option<String>,
    provider_status_code: Option<String>,
    provider_status_label: Option<String>,
    state: String,
    amount: i64,
    /// The provider environment (`test`, `production`) it was made in.
    environment: String,
    /// `checkout`, or `charge` for a charge kessai made on a kept card.
    origin: String,
    allowed_operations: Vec<&'static str>,
    /// What the buyer needs to pay (payment number, ATM numbers, deadline), as the 購入完了
    /// page shows it.
    payment_details: Vec<Detail>,
    history: Vec<HistoryRow>,
}

/// One row of [`PaymentView::payment_details`].
#[derive(Clone, Debug, Serialize)]
struct Detail {
    label: String,
    value: String,
}

async fn payment_view(payments: &Payments, p: Payment) -> Result<PaymentView, ApiError> {
    let history = payments
        .store()
        .payment_operations(p.id)
        .await?
        .into_iter()
        .map(|row| HistoryRow {
            at: row.created_at,
            payment_id: row.provider_payment_id,
            label: row.label,
            amount: row.amount,
            outcome: row.outcome,
            message: row.result_message,
        })
        .collect();
    let allowed_operations = payments
        .capabilities(&p)
        .await?
        .operations
        .iter()
        .map(|op| op.as_str())
        .collect();
    let payment_details = p
        .details()
        .into_iter()
        .map(|(label, value)| Detail { label, value })
        .collect();
    Ok(PaymentView {
        id: p.id,
        order_id: p.order_id,
        provider: p.provider,
        settlement_kind: p.settlement_kind,
        link_key: p.link_key,
        provider_payment_id: p.provider_payment_id,
        provider_status_code: p.provider_status_code,
        provider_status_label: p.provider_status_label,
        state: p.state,
        amount: p.amount,
        environment: p.environment,
        origin: p.origin,
        allowed_operations,
        payment_details,
        history,
    })
}

fn status(code: String, label: Option<&'static str>) -> Status {
    Status {
        code,
        label: label.filter(|l| !l.is_empty()).map(str::to_owned),
    }
}

fn order_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound(NO_ORDER))
}

async fn order(state: &SharedState, id: i64) -> Result<Order, ApiError> {
    state
        .store
        .order(id)
        .await?
        .ok_or(ApiError::NotFound(NO_ORDER))
}

/// GET /orders/{id}
pub async fn show(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> Result<Json<impl Serialize>, ApiError> {
    let o = order(&state, order_id(&id)?).await?;
    let items = state
        .store
        .order_items(o.id)
        .await?
        .into_iter()
        .map(|i| Item {
            amount: i.unit_price * i.quantity,
            product_code: i.product_code,
            product_name: i.product_name,
            unit_price: i.unit_price,
            quantity: i.quantity,
        })
        .collect();
    let (mut payments, mut payment) = (Vec::new(), None);
    for p in state.store.order_payments(o.id).await? {
        let of_checkout = p.origin == PaymentOrigin::Checkout.as_str();
        let view = payment_view(&state.payments, p).await?;
        if of_checkout {
            payment = Some(view.clone());
        }
        payments.push(view);
    }
    let order_label = OrderStatus::parse(&o.order_status).map(OrderStatus::label);
    let receipt_label = ReceiptStatus::parse(&o.receipt_status).map(ReceiptStatus::label);
    Ok(Json(OrderView {
        id: o.id,
        order_number: o.order_number,
        created_at: o.created_at,
        updated_at: o.updated_at,
        customer: Customer {
            member_id: o.member_id,
            buyer: o.buyer,
        },
        delivery: Delivery {
            method_id: o.delivery_method_id,
            name: o.delivery_name,
            carrier: o.carrier,
            tracking_number: o.tracking_number,
            delivery_date: o.delivery_date,
            delivery_time: o.delivery_time,
        },
        items,
        totals: Totals {
            subtotal: o.subtotal,
            shipping_fee: o.shipping_fee,
            fee: o.fee,
            discount: o.discount,
            total: o.total,
        },
        order_status: status(o.order_status, order_label),
        receipt_status: status(o.receipt_status, receipt_label),
        payment_method: PaymentMethod {
            id: o.payment_method_id,
            name: o.payment_method_name,
            settlement_kind: o.settlement_kind,
        },
        note: o.note,
        payment,
        payments,
    }))
}

/// The body of 金額変更 and 返金処理.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountRequest {
    /// The new amount (金額変更) or the amount to refund (返金処理; the whole payment when
    /// absent). `272.0` is 272, as JSON Schema's `integer` has it.
    #[serde(default, deserialize_with = "crate::domain::number::optional_whole")]
    amount: Option<i64>,
}

/// The body of operations without parameters: `{}` (or nothing).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParameters {}

async fn operate(
    state: &SharedState,
    client: &ApiClient,
    request_key: &RequestKey,
    id: &str,
    operation: Operation,
    amount: Option<i64>,
) -> Result<Response, ApiError> {
    let o = order(state, order_id(id)?).await?;
    let payment = state
        .store
        .checkout_payment(o.id)
        .await?
        .ok_or(ApiError::NotFound("この受注には決済がありません。"))?;
    let actor = client.actor();
    let request = OperationRequest {
        amount,
        request_key: Some(&request_key.0),
        ..OperationRequest::new(operation, &actor)
    };
    let result = state.payments.perform(payment.id, &request).await;
    tracing::info!(
        order.id = o.id,
        payment.id = payment.id,
        operation = operation.as_str(),
        ok = result.is_ok(),
        "API payment operation"
    );
    let (status, payment) = match result {
        Ok(payment) => (StatusCode::OK, payment),
        // The provider has not answered: the call stays pending until a status inquiry
        // settles it; the history shows the pending row.
        Err(PaymentsError::Provider(ProviderError::Unknown(_))) => {
            let now = state
                .store
                .payment(payment.id)
                .await?
                .ok_or(ApiError::NotFound("決済が見つかりません。"))?;
            (StatusCode::ACCEPTED, now)
        }
        Err(e) => return Err(e.into()),
    };
    let view = payment_view(&state.payments, payment).await?;
    Ok((status, Json(view)).into_response())
}

/// POST /orders/{id}/payment/capture (売上処理)
pub async fn capture(
    State(state): State<SharedState>,
    client: ApiClient,
    key: RequestKey,
    Path(id): Path<String>,
    OptionalJson(NoParameters {}): OptionalJson<NoParameters>,
) -> Result<Response, ApiError> {
    operate(&state, &client, &key, &id, Operation::Capture, None).await
}

/// POST /orders/{id}/payment/change_amount (金額変更)
pub async fn change_amount(
    State(state): State<SharedState>,
    client: ApiClient,
    key: RequestKey,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<AmountRequest>,
) -> Result<Response, ApiError> {
    operate(
        &state,
        &client,
        &key,
        &id,
        Operation::ChangeAmount,
        body.amount,
    )
    .await
}

/// POST /orders/{id}/payment/cancel (キャンセル処理)
pub async fn cancel(
    State(state): State<SharedState>,
    client: ApiClient,
    key: RequestKey,
    Path(id): Path<String>,
    OptionalJson(NoParameters {}): OptionalJson<NoParameters>,
) -> Result<Response, ApiError> {
    operate(&state, &client, &key, &id, Operation::Cancel, None).await
}

/// POST /orders/{id}/payment/refund (返金処理)
pub async fn refund(
    State(state): State<SharedState>,
    client: ApiClient,
    key: RequestKey,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<AmountRequest>,
) -> Result<Response, ApiError> {
    operate(&state, &client, &key, &id, Operation::Refund, body.amount).await
}

/// POST /orders/{id}/payment/refresh (状態更新)
pub async fn refresh(
    State(state): State<SharedState>,
    client: ApiClient,
    key: RequestKey,
    Path(id): Path<String>,
    OptionalJson(NoParameters {}): OptionalJson<NoParameters>,
) -> Result<Response, ApiError> {
    operate(&state, &client, &key, &id, Operation::Refresh, None).await
}
