//! Orders created from the pre-payment log (決済直前ログ), exactly once, whichever comes
//! first: the buyer's hand-off, the browser's return, a notification, a status inquiry (all
//! [`confirm`]) or the operator's 受注データ登録 ([`register_from_log`]).
//!
//! A paid checkout whose buyer never came back is a lost order; [`Payments::recover_order`]
//! creates it from the log as soon as a notification or an inquiry reports the payment, so
//! the operator need not.

use super::Payments;
use crate::domain::payment::PaymentOrigin;
use crate::providers::{self, Report};
use crate::store::{OrderFromLog, Payment, StoreError};

/// Whether `report` shows `payment` authorized, paid or applied for, for its whole amount:
/// what turns its checkout into an order.
pub fn pays_in_full(payment: &Payment, report: &Report) -> bool {
    providers::confirms_order(&payment.provider, &payment.settlement_kind, &report.code)
        && report.amount == Some(payment.amount)
}

/// Who or what turns a logged checkout into an order; it decides the order's mails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderOrigin {
    /// The buyer's checkout: the card form, or the browser's return from the provider.
    Buyer,
    /// A payment notification or status inquiry reported the payment before (or without)
    /// the browser's return. The buyer finished paying, so the order is theirs as much as
    /// with [`OrderOrigin::Buyer`] and gets the same mails.
    Recovered,
    /// The operator's 受注データ登録 from the pre-payment log: the manuals say no thank-you
    /// mail goes out until the operator sends one from the order, and the shop needs no
    /// order mail about an order it entered itself.
    Operator,
}

impl OrderOrigin {
    /// Whether the new order queues the サンキューメール and the 受注メール.
    pub fn sends_mails(self) -> bool {
        match self {
            Self::Buyer | Self::Recovered => true,
            Self::Operator => false,
        }
    }
}

/// The 受注日時 of an order the operator registers from the pre-payment log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderTime {
    /// 受注日時に登録日を設定: when the checkout was logged.
    Logged,
    /// 受注日時に現在の時刻を設定: now.
    Now,
}

/// Creates the order of a confirmed checkout, exactly once however many confirmations
/// (browser return, notification, inquiry) arrive and in whichever order. The order's
/// mails are enqueued in the same transaction, by the confirmation that creates it.
pub async fn confirm(
    payments: &Payments,
    link_key: &str,
    origin: OrderOrigin,
) -> Result<OrderFromLog, StoreError> {
    create_from_log(payments, link_key, OrderTime::Now, origin).await
}

/// 受注データ登録: the operator creates the order of a logged checkout (a lost order), with
/// the same exactly-once guarantee as [`confirm`]; a second call gets the existing order.
/// Unlike a buyer's confirmation it is audited, and nothing is sent to the buyer.
pub async fn register_from_log(
    payments: &Payments,
    link_key: &str,
    time: OrderTime,
    actor: &str,
) -> Result<OrderFromLog, StoreError> {
    let result = create_from_log(payments, link_key, time, OrderOrigin::Operator).await?;
    if let OrderFromLog::Created(order_id) = result {
        let when = match time {
            OrderTime::Logged => "受注日時に登録日を設定",
            OrderTime::Now => "受注日時に現在の時刻を設定",
        };
        payments
            .store()
            .audit(
                actor,
                "決済直前ログから受注データ登録",
                &format!("order:{order_id}"),
                &format!("リンクキー {link_key} / {when}"),
                payments.clock().now(),
            )
            .await?;
    }
    Ok(result)
}

async fn create_from_log(
    payments: &Payments,
    link_key: &str,
    time: OrderTime,
    origin: OrderOrigin,
) -> Result<OrderFromLog, StoreError> {
    let store = payments.store();
    let log = store
        .prepayment_log(link_key)
        .await?
        .ok_or(StoreError::NotFound("pre-payment log"))?;
    if let Some(order_id) = log.order_id {
        return Ok(OrderFromLog::Existing(order_id));
    }
    // The store numbers the order when it makes it (no gaps from abandoned checkouts).
    let checkout = log.checkout()?;
    let now = payments.clock().now();
    let created_at = match time {
        OrderTime::Logged => log.created_at,
        OrderTime::Now => now,
    };
    store
        .create_order_from_log(link_key, &checkout.order, created_at, now, |order_id| {
            if origin.sends_mails() {
                vec![crate::mail::order_mails_job(order_id, now)]
            } else {
                Vec::new()
            }
        })
        .await
}

impl Payments {
    /// Creates the order of a checkout whose payment `report` shows paid (or applied for)
    /// for its whole amount, when its buyer never came back: automatic lost-order recovery.
    /// A payment made after ordering may be paid already by then, so the new order is
    /// settled at once (入金済み rather than 未入金). `None` when there is nothing to create.
    pub async fn recover_order(
        &self,
        payment: &Payment,
        report: &Report,
    ) -> Result<Option<i64>, StoreError> {
        if payment.order_id.is_some()
            || payment.origin != PaymentOrigin::Checkout.as_str()
            || !pays_in_full(payment, report)
        {
            return Ok(None);
        }
        match confirm(self, &payment.link_key, OrderOrigin::Recovered).await? {
            OrderFromLog::Created(order_id) => {
                self.settle_order(order_id, &payment.settlement_kind, report)
                    .await?;
                Ok(Some(order_id))
            }
            OrderFromLog::Existing(_) => Ok(None),
        }
    }
}
