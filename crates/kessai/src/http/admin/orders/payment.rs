//! The 決済情報 block of 受注データ編集: the payment's provider status, exactly the operations
//! the capability table allows, the history, and the operation the order's state calls for
//! (キャンセル処理, or 金額変更 to the new total), carried out only when the operator presses
//! its button.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;

use super::LIST;
use crate::domain::money::Yen;
use crate::domain::order::OrderStatus;
use crate::domain::payment::{Operation, OperationOutcome};
use crate::http::admin::auth::Admin;
use crate::http::admin::redirect_with;
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::payments::{offers, OperationRequest, PaymentsError};
use crate::providers::{self, Environment};
use crate::store::Order;

/// What the template's 決済情報 block shows of an order's checkout payment: `payment`,
/// `provider_label`, `environment_label`, `operations`, `history`, `history_len`, `offer`.
pub(super) async fn block(state: &SharedState, order: &Order) -> Result<Value, HttpError> {
    let Some(p) = state.store.checkout_payment(order.id).await? else {
        return Ok(context! {
            payment => None::<()>, provider_label => "", environment_label => "",
            operations => Vec::<()>::new(), history => Vec::<()>::new(), history_len => 0,
            offer => None::<()>, operations_note => None::<()>, partial_refund => false,
        });
    };
    let provider_label = providers::provider(&p.provider).map_or("", |s| s.label);
    let capabilities = state.payments.capabilities(&p).await?;
    let connector = state.payments.connector_of(&p.provider).await?;
    let code = p.provider_status_code.as_deref();
    let button = |op: Operation| {
        connector.as_ref().map_or(op.label(), |c| {
            c.operation_label(&p.settlement_kind, code, op)
        })
    };
    let operations: Vec<Value> = capabilities
        .operations
        .iter()
        .map(|op| {
            context! {
                key => op.as_str(),
                label => button(*op),
                needs_amount => matches!(op, Operation::ChangeAmount | Operation::Refund),
            }
        })
        .collect();
    let history: Vec<Value> = state
        .store
        .payment_operations(p.id)
        .await?
        .into_iter()
        .rev()
        .enumerate()
        .map(|(i, row)| {
            // A success shows no word; its message (a late report's note, what an inquiry
            // found) still shows.
            let outcome = match OperationOutcome::parse(&row.outcome) {
                Some(OperationOutcome::Succeeded) | None => "",
                Some(o) => o.label(),
            };
            context! { n => i, outcome, ..Value::from_serialize(&row) }
        })
        .collect();
    let capture = state.payments.capture_check(&p, order).await?;
    let offer = offers::offer(order, &p, capabilities, capture, provider_label, button).map(|o| {
        context! {
            operation => o.operation.as_str(),
            label => button(o.operation),
            amount => o.amount,
            message => o.message,
            blocked => o.blocked,
        }
    });
    let environment_label = Environment::parse(&p.environment).map_or("", Environment::label);
    let operations_note = state.payments.operations_note(&p).await?;
    Ok(context! {
        history_len => history.len(),
        payment => Value::from_serialize(&p),
        provider_label, environment_label, operations, history, offer, operations_note,
        partial_refund => capabilities.partial_refund && capabilities.allows(Operation::Refund),
    })
}

/// The flash kinds of an operation's result, shown in the 決済情報 block rather than at the
/// top of the page.
const PAYMENT_OK: &str = "payment_ok";
const PAYMENT_ERROR: &str = "payment_error";

/// The 決済情報 form.
#[derive(Debug, Deserialize)]
pub struct OperationForm {
    operation: String,
    #[serde(default)]
    amount: String,
}

/// POST /admin/orders/{id}/payment: one provider operation on the order's checkout payment,
/// after the operator confirmed it (a capture carries the order's delivery, see
/// [`crate::payments::shipments`]).
pub async fn operate(
    State(state): State<SharedState>,
    admin: Admin,
    Path(id): Path<i64>,
    Form(form): Form<OperationForm>,
) -> Result<Response, HttpError> {
    // The result is shown in the 決済情報 block, which the page opens at.
    let back = format!("{LIST}/{id}#payment");
    let order = state.store.order(id).await?.ok_or(HttpError::NotFound)?;
    let payment = state
        .store
        .checkout_payment(id)
        .await?
        .ok_or(HttpError::NotFound)?;
    let Some(operation) =
        Operation::parse(&form.operation).filter(|op| *op != Operation::Authorize)
    else {
        return Ok(redirect_with(
            &back,
            PAYMENT_ERROR,
            "処理区分が正しくありません。",
        ));
    };
    let amount = match form.amount.trim().replace(',', "") {
        a if a.is_empty() => None,
        a => match Yen::parse(&a) {
            Ok(y) => Some(y.get()),
            Err(_) => {
                return Ok(redirect_with(
                    &back,
                    PAYMENT_ERROR,
                    "決済金額は半角数字で入力してください。",
                ))
            }
        },
    };
    let label = state.payments.operation_label(&payment, operation).await?;
    let request = OperationRequest {
        amount,
        ..OperationRequest::new(operation, admin.login())
    };
    match state.payments.perform(payment.id, &request).await {
        Ok(p) => {
            let mut message = format!(
                "{label}を行いました。決済状況: {}",
                p.provider_status_label.unwrap_or_default()
            );
            if operation == Operation::Cancel
                && order.order_status != OrderStatus::Cancelled.as_str()
            {
                message.push_str(" 受注の対応状況は変わっていません。受注もキャンセルする場合は、対応状況を「キャンセル」にして[設定を更新]を押してください。");
            }
            Ok(redirect_with(&back, PAYMENT_OK, &message))
        }
        Err(PaymentsError::Store(e)) => Err(e.into()),
        Err(e) => Ok(redirect_with(&back, PAYMENT_ERROR, &e.to_string())),
    }
}
