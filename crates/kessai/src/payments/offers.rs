//! What the 決済情報 dialog offers: the operations a payment allows now with their buttons,
//! and, keeping order changes in step with the provider, after the operator cancels an order or
//! changes its total, the order page offers the provider operation that follows — it is
//! never sent without the operator's click.

use super::Payments;
use crate::domain::money::group_thousands;
use crate::domain::order::OrderStatus;
use crate::domain::payment::Operation;
use crate::providers::Capabilities;
use crate::store::{Order, Payment, StoreError};

impl Payments {
    /// What the payment allows now (the buttons of the 決済情報 dialog).
    pub async fn capabilities(&self, payment: &Payment) -> Result<Capabilities, StoreError> {
        Ok(match self.connector_of(&payment.provider).await? {
            Some(c) => c.capabilities(
                &payment.settlement_kind,
                payment.provider_status_code.as_deref(),
            ),
            None => Capabilities::NONE,
        })
    }

    /// Whether the payment's order is 対応状況 キャンセル (an amount change is then not
    /// sent to the provider, as the manuals say).
    pub(super) async fn order_cancelled(&self, payment: &Payment) -> Result<bool, StoreError> {
        let Some(order_id) = payment.order_id else {
            return Ok(false);
        };
        Ok(self
            .store
            .order(order_id)
            .await?
            .is_some_and(|o| o.order_status == OrderStatus::Cancelled.as_str()))
    }

    /// What the 決済情報 block tells the operator beside a payment's buttons.
    pub async fn operations_note(
        &self,
        payment: &Payment,
    ) -> Result<Option<&'static str>, StoreError> {
        Ok(self
            .connector_of(&payment.provider)
            .await?
            .and_then(|c| c.operations_note(&payment.settlement_kind)))
    }

    /// The 決済情報 dialog's button for `operation` on a payment.
    pub async fn operation_label(
        &self,
        payment: &Payment,
        operation: Operation,
    ) -> Result<&'static str, StoreError> {
        Ok(match self.connector_of(&payment.provider).await? {
            Some(c) => c.operation_label(
                &payment.settlement_kind,
                payment.provider_status_code.as_deref(),
                operation,
            ),
            None => operation.label(),
        })
    }
}

/// A provider operation an order's state calls for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Offer {
    pub operation: Operation,
    /// The amount the operation goes with (the payment's for a cancel, the order's new
    /// total for an amount change).
    pub amount: i64,
    /// Why it is offered, for the operator.
    pub message: String,
    /// Why it cannot be sent yet (what the operator must enter first): no button then.
    pub blocked: Option<String>,
}

/// The operation `order` calls for on its `payment` (which allows `capabilities`):
/// キャンセル処理 for a cancelled order whose payment can still be cancelled, 金額変更 to
/// the order's total when the two differ and the provider allows it, else 売上処理 for a
/// 発送済み order whose payment is still only authorized (`capture` says whether the order's
/// delivery lets the provider capture). `provider_label` names the provider in the message.
pub fn offer(
    order: &Order,
    payment: &Payment,
    capabilities: Capabilities,
    capture: Result<(), String>,
    provider_label: &str,
    button: impl Fn(Operation) -> &'static str,
) -> Option<Offer> {
    let status = payment.provider_status_label.as_deref().unwrap_or("未確定");
    if order.order_status == OrderStatus::Cancelled.as_str() {
        return capabilities.allows(Operation::Cancel).then(|| Offer {
            operation: Operation::Cancel,
            amount: payment.amount,
            message: format!(
                "対応状況は「キャンセル」ですが、{provider_label}の決済（{status}）は取り消されていません。受注をキャンセルにしても決済は自動では取り消されないため、決済も取り消す場合は[{}]を押してください。",
                button(Operation::Cancel)
            ),
            blocked: None,
        });
    }
    let drifted = payment.amount != order.total && order.total >= 1;
    if !(drifted && capabilities.allows(Operation::ChangeAmount)) {
        let shipped = order.order_status == OrderStatus::Shipped.as_str();
        return (shipped && capabilities.allows(Operation::Capture)).then(|| Offer {
            operation: Operation::Capture,
            amount: payment.amount,
            message: format!(
                "対応状況は「発送済み」ですが、{provider_label}の決済（{status}）は売上確定されていません。発送済みにしても決済は自動では売上確定されないため、売上確定する場合は[{}]を押してください。",
                button(Operation::Capture)
            ),
            blocked: capture.err(),
        });
    }
    Some(Offer {
        operation: Operation::ChangeAmount,
        amount: order.total,
        message: format!(
            "総合計金額（{}円）と決済金額（{}円）が一致しません。受注の金額を変更しても決済金額は自動では変わらないため、決済金額を{}円に変更する場合は[{}]を押してください。",
            group_thousands(order.total),
            group_thousands(payment.amount),
            group_thousands(order.total),
            button(Operation::ChangeAmount),
        ),
        blocked: None,
    })
}
