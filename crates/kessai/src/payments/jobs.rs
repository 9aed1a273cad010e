//! The payments' background jobs: status inquiries that settle calls without an answer
//! ([`RefreshPayment`]), the sweep that finds calls a crash left pending
//! ([`SettleStaleOperations`]), notification processing and polling. `app` registers them
//! and schedules the periodic ones.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::notifications::{self, PollNotifications, ProcessNotification};
use super::{Payments, PaymentsError};
use crate::clock::Clock;
use crate::domain::payment::{Operation, OperationOutcome};
use crate::jobs::{self, Job, JobError, Registry};
use crate::providers::{self, ProviderError, Report};
use crate::store::{Payment, Store, StoreError};

/// How long a provider call may stay without an answer before the sweep settles it: far
/// longer than any call may take (a provider client gives up after well under a minute).
pub const STALE_AFTER_MINUTES: i64 = 5;

/// How far back the sweep looks for checkouts paid without an order (older ones are the
/// operator's, through 受注データ登録).
pub const RECOVER_WITHIN_DAYS: i64 = 1;

/// Asks the provider for a payment's status and settles calls left pending (timeouts,
/// crashes between the call and its record); a checkout found paid whose order is missing
/// gets its order.
#[derive(Debug, Serialize, Deserialize)]
pub struct RefreshPayment {
    pub payment_id: i64,
}

impl Job for RefreshPayment {
    const KIND: &'static str = "refresh_payment";
}

/// Finds provider calls still pending after [`STALE_AFTER_MINUTES`] (their answer was lost
/// to a crash) and settles them: by a status inquiry where the provider has one, otherwise
/// by marking them 要確認 for the operator, which frees the payment for the next operation.
/// Checkouts a crash left paid without their order get it.
#[derive(Debug, Serialize, Deserialize)]
pub struct SettleStaleOperations;

impl Job for SettleStaleOperations {
    const KIND: &'static str = "settle_stale_operations";
    const MAX_ATTEMPTS: i32 = 3;
}

/// Lapses payments made after ordering whose deadline passed where the provider sends no
/// word of it (a multi payment slip): the payment expires and its order is cancelled, as
/// the manuals treat an unpaid deadline.
#[derive(Debug, Serialize, Deserialize)]
pub struct LapsePayments;

impl Job for LapsePayments {
    const KIND: &'static str = "lapse_payments";
    const MAX_ATTEMPTS: i32 = 3;
}

/// Registers the payment jobs.
pub fn register(registry: &mut Registry, payments: &Payments) {
    let p = payments.clone();
    registry.register(move |job: RefreshPayment| {
        let p = p.clone();
        async move { refresh(&p, job.payment_id).await }
    });
    let p = payments.clone();
    registry.register(move |_: SettleStaleOperations| {
        let p = p.clone();
        async move { settle_stale(&p).await }
    });
    let p = payments.clone();
    registry.register(move |_: LapsePayments| {
        let p = p.clone();
        async move { lapse(&p).await }
    });
    let p = payments.clone();
    registry.register(move |job: ProcessNotification| {
        let p = p.clone();
        async move { notifications::process(&p, job.notification_id).await }
    });
    let p = payments.clone();
    registry.on_dead(move |job: ProcessNotification, error| {
        let p = p.clone();
        async move { notifications::give_up(&p, job.notification_id, &error).await }
    });
    let p = payments.clone();
    registry.register(move |_: PollNotifications| {
        let p = p.clone();
        async move { notifications::poll(&p).await }
    });
}

/// Enqueues this minute's notification poll, stale-call sweep and deadline lapse once, whichever instance
/// asks first.
pub async fn schedule_periodic(store: &Store, clock: &Clock) -> Result<(), StoreError> {
    let now = clock.now();
    let minute = now.with_second(0).unwrap_or(now).format("%Y-%m-%dT%H:%M");
    jobs::enqueue(
        store,
        clock,
        &PollNotifications,
        Some(format!("poll-notifications:{minute}")),
        None,
    )
    .await?;
    jobs::enqueue(
        store,
        clock,
        &SettleStaleOperations,
        Some(format!("settle-stale:{minute}")),
        None,
    )
    .await?;
    jobs::enqueue(
        store,
        clock,
        &LapsePayments,
        Some(format!("lapse-payments:{minute}")),
        None,
    )
    .await?;
    Ok(())
}

/// Schedules a status inquiry of a payment (once per payment and minute).
pub async fn schedule_refresh(
    store: &Store,
    clock: &Clock,
    payment_id: i64,
    after: Duration,
) -> Result<(), StoreError> {
    let at = clock.now() + after;
    jobs::enqueue(
        store,
        clock,
        &RefreshPayment { payment_id },
        Some(format!(
            "refresh-payment:{payment_id}:{}",
            at.timestamp() / 60
        )),
        Some(at),
    )
    .await
    .map(drop)
}

async fn refresh(payments: &Payments, payment_id: i64) -> Result<(), JobError> {
    let payment = payments
        .store()
        .payment(payment_id)
        .await?
        .ok_or_else(|| JobError(format!("payment {payment_id} is gone")))?;
    match payments.refresh(&payment).await {
        Ok(report) => Ok(recover_after(payments, payment, &report).await?),
        Err(PaymentsError::Provider(ProviderError::NoSuchPayment)) => Ok(()),
        Err(e) => Err(JobError(e.to_string())),
    }
}

/// After an inquiry reported `report` on `payment`: the order of a checkout found paid
/// whose buyer never came back (decided on the payment as the report left it).
async fn recover_after(
    payments: &Payments,
    payment: Payment,
    report: &Report,
) -> Result<(), StoreError> {
    let payment = payments
        .store()
        .payment(payment.id)
        .await?
        .unwrap_or(payment);
    payments.recover_order(&payment, report).await.map(drop)
}

async fn settle_stale(payments: &Payments) -> Result<(), JobError> {
    let store = payments.store();
    let now = payments.clock().now();
    let stale = store
        .stale_payment_operations(now - payments.stale_after())
        .await?;
    let payment_ids: BTreeSet<i64> = stale.iter().map(|row| row.payment_id).collect();
    for payment_id in payment_ids {
        let Some(payment) = store.payment(payment_id).await? else {
            continue;
        };
        let inquiry = payments
            .capabilities(&payment)
            .await?
            .allows(Operation::Refresh);
        if inquiry {
            match payments.refresh(&payment).await {
                Ok(report) => recover_after(payments, payment, &report).await?,
                Err(e) => {
                    tracing::warn!(payment.id = payment_id, error = %e, "a stale call could not be settled yet")
                }
            }
            continue;
        }
        let message = "決済会社から応答がなく、照会もできないため結果を確認できません。決済会社の管理画面で確認してください。";
        for row in stale.iter().filter(|row| row.payment_id == payment_id) {
            store
                .complete_payment_operation(
                    row.id,
                    OperationOutcome::Unconfirmed.as_str(),
                    None,
                    None,
                    Some(message),
                    None,
                    now,
                )
                .await?;
        }
        payments
            .log_error(&payment, "unconfirmed", message, "")
            .await?;
    }
    recover_lost_orders(payments, now).await
}

/// Checkouts whose recorded status confirms the order but which have none: a crash came
/// between the record and the order, and no call is left pending to show it (a provider
/// without notifications would never tell). The order is created from what an inquiry says
/// where there is one, otherwise from the status kessai recorded from the provider's answer.
async fn recover_lost_orders(payments: &Payments, now: DateTime<Utc>) -> Result<(), JobError> {
    let store = payments.store();
    let before = now - payments.stale_after();
    let since = now - Duration::days(RECOVER_WITHIN_DAYS);
    for payment in store.checkout_payments_without_order(since, before).await? {
        let Some(code) = payment.provider_status_code.clone() else {
            continue;
        };
        if !providers::confirms_order(&payment.provider, &payment.settlement_kind, &code) {
            continue;
        }
        let inquiry = payments
            .capabilities(&payment)
            .await?
            .allows(Operation::Refresh);
        let report = if inquiry {
            match payments.refresh(&payment).await {
                Ok(report) => report,
                Err(e) => {
                    tracing::warn!(payment.id, error = %e, "a lost order could not be confirmed yet");
                    continue;
                }
            }
        } else {
            let info = providers::describe(&payment.provider, &payment.settlement_kind, &code);
            Report {
                payment_id: payment.provider_payment_id.clone().unwrap_or_default(),
                code,
                label: info.label,
                state: info.state,
                step: info.step,
                amount: Some(payment.amount),
            }
        };
        recover_after(payments, payment, &report).await?;
    }
    Ok(())
}

async fn lapse(payments: &Payments) -> Result<(), JobError> {
    let now = payments.clock().now();
    for payment in payments.store().payments_past_deadline(now).await? {
        let Some(connector) = payments.connector_of(&payment.provider).await? else {
            continue;
        };
        if let Some(report) = connector.lapse(&super::payment_ref(&payment)) {
            payments.apply_to(&payment, &report, None).await?;
        }
    }
    Ok(())
}
