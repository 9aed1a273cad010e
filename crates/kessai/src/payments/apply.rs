//! Applying a provider's status report to a payment, its history and its order.
//!
//! Reports arrive from the provider's answers, notifications (possibly twice, late, or two
//! at the same moment on two workers) and inquiries. Each is applied with a compare-and-set
//! on the payment's version: the decision is made on what the payment is, and written only
//! if the payment is still so; otherwise it is made again. A report never moves a payment
//! backwards (out of a final state, to an earlier state, or to an earlier step of the same
//! state); such a late report still gets its history row, marked as late.

use super::{Payments, SYSTEM_ACTOR};
use crate::domain::order::{OrderStatus, ReceiptStatus};
use crate::domain::payment::PaymentState;
use crate::providers::{self, Confirmation, Report};
use crate::store::{
    Payment, PaymentOperation, PaymentStatusUpdate, StatusRow, StoreError, STATUS_ROW,
};

/// How many times a report is decided again after losing a race, before giving up (the
/// caller's job then retries it later).
const ATTEMPTS: usize = 50;

/// The note of a history row whose report came after a later one.
pub const LATE_NOTE: &str = "後から届いた状態のため、現在の状態は変えていません";

/// What applying a report did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The payment moved to the reported status.
    Moved,
    /// Only its history row was added (a replaced payment id, a declined attempt, or a
    /// report that came late).
    Recorded,
    /// Nothing: it had been applied already.
    Unchanged,
}

/// The decision for one report on a payment as it is.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Move { row: bool },
    Record { late: bool },
    Nothing,
}

/// Decides what a report does to `payment` with its history `history`. `replacing` is the
/// payment id a call of ours just replaced by the report's (an amount change): while the
/// payment still has that id, the report is about the payment itself.
fn decide(
    payment: &Payment,
    history: &[PaymentOperation],
    report: &Report,
    replacing: Option<&str>,
) -> Decision {
    let amount = report.amount.unwrap_or(payment.amount);
    let current_id = match payment.provider_payment_id.as_deref().unwrap_or("") {
        id if replacing == Some(id) => report.payment_id.as_str(),
        id => id,
    };
    let seen = history.iter().any(|row| {
        row.operation == STATUS_ROW
            && row.label == report.label
            && row.provider_payment_id.as_deref().unwrap_or("") == report.payment_id
            && row.amount == amount
    });
    let about_other_id = !report.payment_id.is_empty() && current_id != report.payment_id;
    // A replaced payment id (after 補正売上), or a declined attempt the buyer followed
    // with another card: its status belongs in the history, never on the payment.
    let about_replaced = about_other_id
        && !current_id.is_empty()
        && history
            .iter()
            .any(|row| row.provider_payment_id.as_deref() == Some(report.payment_id.as_str()));
    let declined_attempt = about_other_id && report.state == PaymentState::Failed;
    if about_replaced || declined_attempt {
        return if seen {
            Decision::Nothing
        } else {
            Decision::Record { late: false }
        };
    }
    let unchanged = payment.provider_status_code.as_deref() == Some(report.code.as_str())
        && payment.amount == amount
        && payment.provider_payment_id.as_deref().unwrap_or("") == report.payment_id;
    if unchanged {
        return if seen {
            Decision::Nothing
        } else {
            Decision::Move { row: true }
        };
    }
    let state = payment.state();
    let earlier_step = state == report.state
        && !about_other_id
        && payment.provider_status_code.as_deref().is_some_and(|code| {
            let now = providers::describe(&payment.provider, &payment.settlement_kind, code);
            report.step < now.step
        });
    if !state.can_become(report.state) || earlier_step {
        return if seen {
            Decision::Nothing
        } else {
            Decision::Record { late: true }
        };
    }
    Decision::Move { row: !seen }
}

impl Payments {
    /// Applies a provider status to payment `payment_id`, serialized with every other
    /// report of the payment (see the module's documentation), and keeps its order in step.
    pub async fn apply(&self, payment_id: i64, report: &Report) -> Result<Applied, StoreError> {
        let payment = self
            .store
            .payment(payment_id)
            .await?
            .ok_or(StoreError::NotFound("payment"))?;
        self.apply_to(&payment, report, None).await
    }

    /// Records what a provider confirmed at the hand-off: the payment details the buyer
    /// needs (kept first, so the order's mail has them), then the status.
    pub async fn record_confirmation(
        &self,
        payment: &Payment,
        confirmation: &Confirmation,
    ) -> Result<Applied, StoreError> {
        if !confirmation.details.is_empty() || confirmation.deadline.is_some() {
            let details = serde_json::to_string(&confirmation.details).expect("details serialize");
            self.store
                .set_payment_details(
                    payment.id,
                    &details,
                    confirmation.deadline,
                    self.clock.now(),
                )
                .await?;
        }
        self.apply(payment.id, &confirmation.report).await
    }

    /// [`Payments::apply`] to a payment as the caller last read it (decided on that first,
    /// read again only when it moved on meanwhile). `replacing` is the provider's payment id
    /// a call of ours just replaced by the report's (an amount change).
    pub(super) async fn apply_to(
        &self,
        known: &Payment,
        report: &Report,
        replacing: Option<&str>,
    ) -> Result<Applied, StoreError> {
        let payment_id = known.id;
        let mut read_again = false;
        for _ in 0..ATTEMPTS {
            let payment = if read_again {
                self.store
                    .payment(payment_id)
                    .await?
                    .ok_or(StoreError::NotFound("payment"))?
            } else {
                known.clone()
            };
            read_again = true;
            let history = self.store.payment_operations(payment.id).await?;
            let amount = report.amount.unwrap_or(payment.amount);
            let row = |note| StatusRow {
                label: &report.label,
                amount,
                provider_payment_id: (!report.payment_id.is_empty())
                    .then_some(report.payment_id.as_str()),
                note,
            };
            let now = self.clock.now();
            let (written, applied) = match decide(&payment, &history, report, replacing) {
                Decision::Nothing => return Ok(Applied::Unchanged),
                Decision::Record { late } => {
                    if late {
                        tracing::info!(payment.id, to = %report.state, code = %report.code, "late status report recorded");
                    }
                    let note = late.then_some(LATE_NOTE);
                    let written = self
                        .store
                        .apply_payment_status(
                            payment.id,
                            payment.version,
                            None,
                            Some(&row(note)),
                            now,
                        )
                        .await?;
                    (written, Applied::Recorded)
                }
                Decision::Move { row: with_row } => {
                    let update = PaymentStatusUpdate {
                        provider_payment_id: (!report.payment_id.is_empty())
                            .then_some(report.payment_id.as_str()),
                        status_code: &report.code,
                        status_label: &report.label,
                        state: report.state.as_str(),
                        amount,
                    };
                    let status_row = with_row.then(|| row(None));
                    let written = self
                        .store
                        .apply_payment_status(
                            payment.id,
                            payment.version,
                            Some(&update),
                            status_row.as_ref(),
                            now,
                        )
                        .await?;
                    (written, Applied::Moved)
                }
            };
            if !written {
                continue;
            }
            if applied == Applied::Moved {
                if let Some(order_id) = payment.order_id {
                    self.settle_order(order_id, &payment.settlement_kind, report)
                        .await?;
                }
            }
            return Ok(applied);
        }
        Err(StoreError::Corrupt(format!(
            "payment {payment_id}: a status report lost {ATTEMPTS} races in a row"
        )))
    }

    /// Keeps an order paid after ordering (convenience store, ATM, net banking: its 入金状況
    /// starts 未入金) in step with its payment: paid (消込済) makes it 入金済み; the deadline
    /// passing (支払期限切) cancels it (対応状況 キャンセル), as the Welcart manuals treat an
    /// unpaid payment deadline (「支払い期限日を過ぎると受注はキャンセル扱いになります」).
    /// Other orders are left alone.
    pub async fn settle_order(
        &self,
        order_id: i64,
        kind: &str,
        report: &Report,
    ) -> Result<(), StoreError> {
        if providers::initial_receipt_status(kind) != ReceiptStatus::Unpaid {
            return Ok(());
        }
        let Some(order) = self.store.order(order_id).await? else {
            return Ok(());
        };
        let now = self.clock.now();
        let target = format!("order:{order_id}");
        match report.state {
            PaymentState::Captured if order.receipt_status != ReceiptStatus::Paid.as_str() => {
                self.store
                    .set_order_receipt_status(order_id, ReceiptStatus::Paid.as_str(), now)
                    .await?;
                self.store
                    .audit(
                        SYSTEM_ACTOR,
                        "入金状況を入金済みに変更",
                        &target,
                        &report.label,
                        now,
                    )
                    .await?;
            }
            PaymentState::Expired if order.order_status != OrderStatus::Cancelled.as_str() => {
                self.store
                    .set_order_status(order_id, OrderStatus::Cancelled.as_str(), now)
                    .await?;
                self.store
                    .audit(
                        SYSTEM_ACTOR,
                        "対応状況をキャンセルに変更",
                        &target,
                        &report.label,
                        now,
                    )
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn payment(code: Option<&str>, state: PaymentState, id: Option<&str>) -> Payment {
        Payment {
            id: 1,
            order_id: None,
            provider: "example".to_owned(),
            settlement_kind: "example_conv".to_owned(),
            link_key: "k".to_owned(),
            provider_payment_id: id.map(str::to_owned),
            provider_status_code: code.map(str::to_owned),
            provider_status_label: None,
            state: state.as_str().to_owned(),
            amount: 1000,
            handoff_json: String::new(),
            details_json: String::new(),
            deadline: None,
            environment: "test".to_owned(),
            origin: crate::domain::payment::PaymentOrigin::Checkout
                .as_str()
                .to_owned(),
            version: 0,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn report(code: &str, state: PaymentState, payment_id: &str) -> Report {
        Report {
            payment_id: payment_id.to_owned(),
            code: code.to_owned(),
            label: format!("status {code}"),
            state,
            step: 0,
            amount: Some(1000),
        }
    }

    #[test]
    fn a_report_of_an_earlier_state_only_adds_a_late_history_row() {
        let paid = payment(Some("40"), PaymentState::Captured, Some("p1"));

        assert_eq!(
            decide(&paid, &[], &report("10", PaymentState::Pending, "p1"), None),
            Decision::Record { late: true }
        );
        assert_eq!(
            decide(
                &paid,
                &[],
                &report("60", PaymentState::Cancelled, "p1"),
                None
            ),
            Decision::Move { row: true }
        );
    }

    #[test]
    fn a_pending_payment_moves_to_whatever_is_reported() {
        let waiting = payment(None, PaymentState::Pending, None);

        assert_eq!(
            decide(
                &waiting,
                &[],
                &report("10", PaymentState::Pending, "p1"),
                None
            ),
            Decision::Move { row: true }
        );
        assert_eq!(
            decide(
                &waiting,
                &[],
                &report("40", PaymentState::Captured, "p1"),
                None
            ),
            Decision::Move { row: true }
        );
    }

    #[test]
    fn the_new_id_of_a_call_that_replaced_the_payment_id_is_the_payment_itself() {
        let authorized = payment(Some("20"), PaymentState::Authorized, Some("old"));
        let new = report("20", PaymentState::Authorized, "new");

        assert_eq!(
            decide(&authorized, &[], &new, Some("old")),
            Decision::Move { row: true }
        );
    }
}
