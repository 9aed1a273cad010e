//! The notification inbox (決済通知), the same for every provider.
//!
//! A notification's raw body is stored before the provider gets its acknowledgement, under
//! the dedup key the provider reads from it, so a resent one — or the same record fetched by
//! a polling inquiry ([`PollNotifications`]) — has no second effect. What the provider's
//! verdict says decides what follows: a verified one is applied by a [`ProcessNotification`]
//! job; one that cannot be verified is settled by a status inquiry where the provider has
//! one, otherwise applied only when the spec's checks pass; a forged or malformed one is kept
//! as `rejected` and logged. One naming no known payment is kept as `unmatched` and logged.
//!
//! Processing applies the reported status and, when a checkout's payment is authorized or
//! paid but its order does not exist yet (the buyer never came back), creates the order from
//! the pre-payment log: lost orders are recovered without the operator.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::apply::Applied;
use super::{payment_ref, Payments, PaymentsError};
use crate::clock::Clock;
use crate::domain::card::mask_card_numbers;
use crate::domain::payment::PaymentState;
use crate::jobs::{self, Job, JobError};
use crate::providers::{self, Ack, Connector, MatchKey, NoticeHead, ProviderError, Verdict};
use crate::store::{NewNotification, NewPaymentError, Payment, Store, StoreError};

/// Stores a notification of `provider` and schedules its processing. Returns the exact
/// acknowledgement the provider expects once the raw body is durable, or `None` when kessai
/// has no such provider.
pub async fn receive(
    payments: &Payments,
    provider: &str,
    body: &[u8],
) -> Result<Option<Ack>, StoreError> {
    let Some(connector) = payments.connector_of(provider).await? else {
        return Ok(None);
    };
    let head = refuse_control_characters(connector.read_notice(body));
    store_and_schedule(payments, provider, &head, &stored_body(body), None).await?;
    Ok(Some(connector.ack()))
}

/// A notification whose payment key holds a control character (a NUL, a line break) names
/// no payment of ours: it is rejected, and the key is not kept (it would reach the admin's
/// pages).
fn refuse_control_characters(head: NoticeHead) -> NoticeHead {
    if !head.about.as_text().chars().any(char::is_control) {
        return head;
    }
    NoticeHead {
        about: MatchKey::Nothing,
        verdict: Verdict::Rejected("取引IDに制御文字が含まれています。".to_owned()),
        ..head
    }
}

/// The inbox's status and detail for a provider's verdict.
fn status_of(verdict: &Verdict) -> (&'static str, &str) {
    match verdict {
        Verdict::Trusted => ("received", ""),
        Verdict::Inquire(why) => ("unverified", why),
        Verdict::Checked(why) => ("checked", why),
        Verdict::Rejected(why) => ("rejected", why),
        Verdict::Ignored(why) => ("ignored", why),
    }
}

async fn store_and_schedule(
    payments: &Payments,
    provider: &str,
    head: &NoticeHead,
    raw: &str,
    origin: Option<&str>,
) -> Result<(), StoreError> {
    let store = payments.store();
    let now = payments.clock().now();
    let (status, why) = status_of(&head.verdict);
    let detail = match (origin, why) {
        (Some(origin), "") => origin.to_owned(),
        (Some(origin), why) => format!("{origin}。{why}"),
        (None, why) => why.to_owned(),
    };
    let stored = store
        .insert_notification(
            &NewNotification {
                provider,
                dedup_key: &head.dedup_key,
                raw_body: raw,
                link_key: head.about.as_text(),
                status,
                detail: &detail,
            },
            now,
        )
        .await?;
    let Some(id) = stored else {
        tracing::info!(dedup_key = %head.dedup_key, "duplicate notification ignored");
        return Ok(());
    };
    crate::failpoint::hit(crate::failpoint::BEFORE_NOTIFICATION_SCHEDULED);
    match status {
        "rejected" => {
            return log_unapplied(store, provider, head.about.as_text(), &detail, raw, now).await
        }
        "ignored" => return Ok(()),
        _ => {}
    }
    schedule(store, payments.clock(), id).await
}

/// The largest amount a notification may report, in yen (the amount columns' range; a
/// larger or negative one is refused, not applied).
const MAX_AMOUNT: i64 = 99_999_999;

/// How much of a notification's body the payment error log shows (the whole body stays in
/// the inbox, once).
const LOGGED_BODY_CHARS: usize = 500;

/// Writes a notification that is not applied to the payment error log, with the start of
/// its body (stored with its card numbers masked already).
async fn log_unapplied(
    store: &Store,
    provider: &str,
    about: &str,
    message: &str,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store
        .record_payment_error(
            &NewPaymentError {
                provider,
                settlement_kind: "",
                link_key: about,
                order_id: None,
                status_code: "notification",
                message,
                detail: &excerpt(raw),
            },
            now,
        )
        .await
        .map(drop)
}

/// The start of a stored body, marked when cut.
fn excerpt(raw: &str) -> String {
    match raw.char_indices().nth(LOGGED_BODY_CHARS) {
        Some((at, _)) => format!("{}…(以下省略: 全文は通知の受信記録にあります)", &raw[..at]),
        None => raw.to_owned(),
    }
}

async fn schedule(store: &Store, clock: &Clock, id: i64) -> Result<(), StoreError> {
    jobs::enqueue(
        store,
        clock,
        &ProcessNotification {
            notification_id: id,
        },
        Some(format!("notification:{id}")),
        None,
    )
    .await
    .map(drop)
}

/// A body as the inbox keeps it: printable text (see [`escape`]) with any card number masked
/// (no provider sends one; a body that carries one is not kept with it).
fn stored_body(body: &[u8]) -> String {
    mask_card_numbers(&escape(body))
}

/// Keeps a body as printable text that decodes to the same bytes: bytes outside printable
/// ASCII are percent-escaped (form bodies are percent-encoded already, so this is the same
/// form).
fn escape(body: &[u8]) -> String {
    let mut out = String::with_capacity(body.len());
    for &b in body {
        if b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Applies one stored notification.
#[derive(Debug, Serialize, Deserialize)]
pub struct ProcessNotification {
    pub notification_id: i64,
}

impl Job for ProcessNotification {
    const KIND: &'static str = "process_notification";
}

/// Fetches the notifications each provider kept for us (a difference inquiry) that the pushes may
/// have missed, and re-schedules stored notifications whose processing job was lost.
#[derive(Debug, Serialize, Deserialize)]
pub struct PollNotifications;

impl Job for PollNotifications {
    const KIND: &'static str = "poll_notifications";
    const MAX_ATTEMPTS: i32 = 3;
}

/// The payment a notification names.
async fn matched(
    store: &Store,
    provider: &str,
    about: &MatchKey,
) -> Result<Option<Payment>, StoreError> {
    let payment = match about {
        MatchKey::TradingId(key) => store.payment_by_link_key(key).await?,
        MatchKey::PaymentId(id) => store.payment_by_provider_id(provider, id).await?,
        MatchKey::Contract(_) | MatchKey::Nothing => None,
    };
    Ok(payment.filter(|p| p.provider == provider))
}

/// A notification whose processing failed for the last time: marked failed, and the reason
/// written to the payment error log, so the operator sees it (it is never applied silently
/// later, nor left waiting).
pub(super) async fn give_up(payments: &Payments, id: i64, error: &str) -> Result<(), StoreError> {
    let store = payments.store();
    let Some(n) = store.notification(id).await? else {
        return Ok(());
    };
    let now = payments.clock().now();
    let message = format!("決済通知を反映できませんでした(再試行を終了しました): {error}");
    store
        .finish_notification(id, "failed", &message, now)
        .await?;
    log_unapplied(store, &n.provider, &n.link_key, &message, &n.raw_body, now).await
}

/// Processes a stored notification: applies what it reports about its payment.
pub(super) async fn process(payments: &Payments, id: i64) -> Result<(), JobError> {
    let store = payments.store();
    let Some(n) = store.notification(id).await? else {
        return Ok(());
    };
    if !matches!(n.status.as_str(), "received" | "unverified" | "checked") {
        return Ok(());
    }
    let Some(connector) = payments.connector_of(&n.provider).await? else {
        return Err(JobError(format!(
            "notification {id}: no connector for {}",
            n.provider
        )));
    };
    let head = connector.read_notice(n.raw_body.as_bytes());
    let now = || payments.clock().now();
    let about = head.about.as_text().to_owned();
    let flag = |status: &'static str, message: String| {
        let (provider, raw, about) = (&n.provider, &n.raw_body, &about);
        async move {
            store
                .finish_notification(id, status, &message, now())
                .await?;
            log_unapplied(store, provider, about, &message, raw, now()).await?;
            Ok::<(), JobError>(())
        }
    };

    let Some(payment) = matched(store, &n.provider, &head.about).await? else {
        return flag(
            "unmatched",
            format!(
                "取引ID「{}」に該当する決済がありません。決済通知は保存されています。",
                head.about.as_text()
            ),
        )
        .await;
    };
    let reported = match connector.notice_report(&n.raw_body, &payment_ref(&payment)) {
        Ok(report) => report,
        Err(message) => return flag("rejected", message).await,
    };
    if let Some(amount) = reported.amount.filter(|a| !(0..=MAX_AMOUNT).contains(a)) {
        return flag(
            "rejected",
            format!("通知の金額({amount}円)が正しくありません。反映していません。"),
        )
        .await;
    }
    let confirms =
        providers::confirms_order(&payment.provider, &payment.settlement_kind, &reported.code);
    if payment.order_id.is_none() && confirms && reported.amount != Some(payment.amount) {
        return flag(
            "rejected",
            format!(
                "金額が一致しません(通知: {}円、ご注文: {}円)。受注は作成していません。",
                reported.amount.map_or("?".to_owned(), |a| a.to_string()),
                payment.amount
            ),
        )
        .await;
    }
    // An unverifiable report of a refusal for a checkout still waiting: the buyer may try
    // again, so the payment stays as it is; the operator finds the refusal in the error log.
    // (A verified one is applied as the provider reports it.)
    if matches!(n.status.as_str(), "checked" | "unverified")
        && reported.state == PaymentState::Failed
        && payment.state() == PaymentState::Pending
    {
        log_unapplied(
            store,
            &n.provider,
            &about,
            &reported.label,
            &n.raw_body,
            now(),
        )
        .await?;
        store
            .finish_notification(
                id,
                "processed",
                &format!(
                    "{}(決済エラーログに記録しました。決済は未確定のままです)",
                    reported.label
                ),
                now(),
            )
            .await?;
        return Ok(());
    }
    // An unverifiable notification of what the payment already shows (the browser's return
    // applied it first) confirms it; nothing is applied again.
    let shown = payment.provider_status_code.as_deref() == Some(reported.code.as_str())
        && payment.amount == reported.amount.unwrap_or(payment.amount);
    let report = match n.status.as_str() {
        "checked" if shown => reported,
        // Not verifiable: what the provider says when asked counts, not the notification.
        // A payment the provider has not named yet is asked about by the id the
        // notification names (the provider's answer must still be this payment's).
        "unverified" => {
            let mut asked = payment.clone();
            if asked.provider_payment_id.is_none() && !reported.payment_id.is_empty() {
                asked.provider_payment_id = Some(reported.payment_id.clone());
            }
            match payments.refresh(&asked).await {
                Ok(report) => report,
                // The provider does not confirm it: a forged or mistaken notification.
                Err(PaymentsError::Provider(
                    e @ (ProviderError::Refused { .. } | ProviderError::NoSuchPayment),
                )) => {
                    return flag(
                        "rejected",
                        format!("決済会社への照会で確認できませんでした: {e}"),
                    )
                    .await
                }
                Err(e) => return Err(JobError(e.to_string())),
            }
        }
        // Not verifiable and nobody to ask: it may confirm a checkout still waiting for its
        // whole amount, never move a payment that moved already.
        "checked" if payment.state() != PaymentState::Pending || !confirms => {
            return flag(
                "rejected",
                format!(
                    "確認できない通知のため、{}は反映していません(決済の状態: {})。",
                    reported.label,
                    payment.provider_status_label.as_deref().unwrap_or("未確定")
                ),
            )
            .await;
        }
        _ => {
            if payments.apply_to(&payment, &reported, None).await? == Applied::Unchanged {
                // The status was recorded, but a crash may have come before the order was
                // created from it: the order is still owed.
                let mut detail = format!("{}(反映済みのため、変更はありません)", reported.label);
                if let Some(order_id) = payments.recover_order(&payment, &reported).await? {
                    detail =
                        format!("{detail}。決済直前ログから受注を作成しました(受注ID {order_id})");
                }
                store
                    .finish_notification(id, "processed", &detail, now())
                    .await?;
                return Ok(());
            }
            reported
        }
    };
    // A status kessai cannot place (an unknown code) is kept in the history; the payment
    // stays as it was until an inquiry says more.
    let mut detail = if report.state == PaymentState::Pending && report.step == 0 {
        format!("{}を受信しました(決済の状態は変わりません)", report.label)
    } else {
        format!("{}を反映しました", report.label)
    };
    if let Some(order_id) = payments.recover_order(&payment, &report).await? {
        detail = format!("{detail}。決済直前ログから受注を作成しました(受注ID {order_id})");
    }
    store
        .finish_notification(id, "processed", &detail, now())
        .await?;
    Ok(())
}

/// Fetches what each connected provider kept for us (at most a bounded number per run),
/// storing each record before the next is fetched, then re-schedules stored notifications
/// whose job went missing.
pub(super) async fn poll(payments: &Payments) -> Result<(), JobError> {
    for spec in providers::PROVIDERS {
        if let Some(connector) = payments.connector_of(spec.key).await? {
            fetch(payments, spec.key, &connector).await?;
        }
    }
    let store = payments.store();
    let clock = payments.clock();
    for n in store
        .unprocessed_notifications(clock.now() - payments.stale_after().min(Duration::minutes(1)))
        .await?
    {
        schedule(store, clock, n.id).await?;
    }
    Ok(())
}

async fn fetch(payments: &Payments, provider: &str, connector: &Connector) -> Result<(), JobError> {
    for _ in 0..200 {
        let fetched = match connector.fetch_notice().await {
            Ok(Some(fetched)) => fetched,
            Ok(None) => break,
            Err(e) => return Err(JobError(format!("{provider}: {e}"))),
        };
        store_and_schedule(
            payments,
            provider,
            &fetched.head,
            &stored_body(&fetched.body),
            Some("決済会社への差分照会で取得"),
        )
        .await?;
    }
    Ok(())
}
