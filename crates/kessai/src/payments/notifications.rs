//! Provider notifications (決済通知).
//!
//! `/notify/paygent` stores the raw request first, checks its hash, acknowledges with
//! `result=0`, and leaves the work to a [`ProcessNotification`] job. A notification is keyed
//! by Paygent's `payment_notice_id`, so a resent one — or the same record fetched by the
//! difference inquiry 091 ([`PollPaygent`]) — has no second effect. A notification whose
//! hash is wrong is kept as `rejected` and logged; one naming an unknown trading id is kept
//! as `unmatched` and logged. Without a hash key the content is not trusted: the payment is
//! refreshed by an inquiry instead.
//!
//! Processing applies the reported status and, when a checkout's payment is authorized or
//! paid but its order does not exist yet (the buyer never came back), creates the order from
//! the pre-payment log: lost orders are recovered without the operator.

use std::collections::BTreeMap;

use chrono::{Duration, Timelike};
use serde::{Deserialize, Serialize};

use super::provider::Report;
use super::Payments;
use crate::checkout;
use crate::clock::Clock;
use crate::jobs::{self, Job, JobError, Registry};
use crate::providers::paygent::{map, wire};
use crate::store::{NewNotification, NewPaymentError, OrderFromLog, Store, StoreError};

/// Paygent's acknowledgement body.
pub const PAYGENT_ACK: &str = "result=0";

/// Stores a Paygent notification body and schedules its processing. Returns once the raw
/// body is durable; the caller then answers [`PAYGENT_ACK`].
pub async fn receive_paygent(payments: &Payments, body: &[u8]) -> Result<(), StoreError> {
    let raw = escape(body);
    let items = decode_notice(body).unwrap_or_default();
    let get = |name: &str| items.get(name).map(String::as_str).unwrap_or("");
    let config = payments.paygent().await?;
    let (trading_id, notice_id) = (get("trading_id"), get("payment_notice_id"));
    let fingerprint = wire::sha256_hex(&[&raw]);
    let (dedup_key, status, detail) = if notice_id.is_empty() || get("payment_status").is_empty() {
        (
            format!("paygent:malformed:{fingerprint}"),
            "rejected",
            "通知の形式が正しくありません(payment_notice_id または payment_status がありません)"
                .to_owned(),
        )
    } else if config.notice_hash_key.is_empty() {
        (
            format!("paygent:{}:{notice_id}", config.merchant_id),
            "unverified",
            "差分通知ハッシュ値生成キーが未設定のため、決済情報照会で確認します".to_owned(),
        )
    } else {
        let expected = wire::notice_hash(
            notice_id,
            get("payment_id"),
            trading_id,
            get("payment_type"),
            get("payment_amount"),
            config.notice_hash_key.expose(),
        );
        if wire::hash_matches(get("hc"), &expected) {
            (
                format!("paygent:{}:{notice_id}", config.merchant_id),
                "received",
                String::new(),
            )
        } else {
            (
                format!("paygent:forged:{fingerprint}"),
                "rejected",
                "ハッシュ値(hc)が一致しないため、通知を反映しませんでした".to_owned(),
            )
        }
    };
    store_and_schedule(payments, trading_id, &dedup_key, &raw, status, &detail).await
}

async fn store_and_schedule(
    payments: &Payments,
    link_key: &str,
    dedup_key: &str,
    raw: &str,
    status: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let store = payments.store();
    let now = payments.clock().now();
    let stored = store
        .insert_notification(
            &NewNotification {
                provider: "paygent",
                dedup_key,
                raw_body: raw,
                link_key,
                status,
                detail,
            },
            now,
        )
        .await?;
    let Some(id) = stored else {
        tracing::info!(dedup_key, "duplicate notification ignored");
        return Ok(());
    };
    if status == "rejected" {
        store
            .record_payment_error(
                &NewPaymentError {
                    provider: "paygent",
                    settlement_kind: "",
                    link_key,
                    order_id: None,
                    status_code: "notification",
                    message: detail,
                    detail: &super::mask_card_numbers(raw),
                },
                now,
            )
            .await?;
        return Ok(());
    }
    schedule(store, payments.clock(), id).await
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

/// A notification's items: Shift_JIS as Paygent sends them, UTF-8 as some relays re-encode.
fn decode_notice(body: &[u8]) -> Result<BTreeMap<String, String>, wire::DecodeError> {
    wire::decode_form(body, wire::Charset::Cp932)
        .or_else(|_| wire::decode_form(body, wire::Charset::Utf8))
}

/// Keeps a body as printable text that decodes to the same bytes: bytes outside printable
/// ASCII are percent-escaped (the body is form-encoded, so this is the same form).
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

/// Fetches the difference records (091) the pushes may have missed, and re-schedules stored
/// notifications whose processing job was lost.
#[derive(Debug, Serialize, Deserialize)]
pub struct PollPaygent;

impl Job for PollPaygent {
    const KIND: &'static str = "poll_paygent";
    const MAX_ATTEMPTS: i32 = 3;
}

/// Enqueues this minute's poll once, whichever instance asks first.
pub async fn schedule_poll(store: &Store, clock: &Clock) -> Result<(), StoreError> {
    let now = clock.now();
    let minute = now.with_second(0).unwrap_or(now);
    jobs::enqueue(
        store,
        clock,
        &PollPaygent,
        Some(format!("poll-paygent:{}", minute.format("%Y-%m-%dT%H:%M"))),
        None,
    )
    .await
    .map(drop)
}

pub(super) fn register(registry: &mut Registry, payments: Payments) {
    let p = payments.clone();
    registry.register(move |job: ProcessNotification| {
        let p = p.clone();
        async move { process(&p, job.notification_id).await }
    });
    registry.register(move |_: PollPaygent| {
        let p = payments.clone();
        async move { poll(&p).await }
    });
}

/// What processing did, for the inbox's detail column.
async fn process(payments: &Payments, id: i64) -> Result<(), JobError> {
    let store = payments.store();
    let Some(n) = store.notification(id).await? else {
        return Ok(());
    };
    if !matches!(n.status.as_str(), "received" | "unverified") {
        return Ok(());
    }
    let items = decode_notice(n.raw_body.as_bytes())
        .map_err(|e| JobError(format!("notification {id} cannot be read: {e}")))?;
    let get = |name: &str| items.get(name).map(String::as_str).unwrap_or("");
    let now = || payments.clock().now();
    let flag = |status: &'static str, message: String| async move {
        store
            .finish_notification(id, status, &message, now())
            .await?;
        store
            .record_payment_error(
                &NewPaymentError {
                    provider: "paygent",
                    settlement_kind: "",
                    link_key: get("trading_id"),
                    order_id: None,
                    status_code: get("payment_status"),
                    message: &message,
                    detail: &super::mask_card_numbers(&n.raw_body),
                },
                now(),
            )
            .await?;
        Ok::<(), JobError>(())
    };

    let payment = match store.payment_by_link_key(get("trading_id")).await? {
        Some(p) if p.provider == "paygent" => p,
        _ => {
            return flag(
                "unmatched",
                format!(
                    "取引ID「{}」に該当する決済がありません。決済通知は保存されています。",
                    get("trading_id")
                ),
            )
            .await
        }
    };
    let service = map::Service::from_kind(&payment.settlement_kind);
    if service.map(map::Service::payment_type) != Some(get("payment_type")) {
        return flag(
            "rejected",
            format!("決済種別が一致しません(通知: {})", get("payment_type")),
        )
        .await;
    }
    let report = if n.status == "unverified" {
        match payments.refresh(&payment).await {
            Ok(report) => report,
            Err(e) => return Err(JobError(e.to_string())),
        }
    } else {
        let service = service.expect("checked above");
        let status = map::Status::parse(get("payment_status"));
        let amount: Option<i64> = get("payment_amount").parse().ok();
        Report {
            payment_id: get("payment_id").to_owned(),
            code: status.code().to_owned(),
            label: status.label(service),
            state: status.state(service),
            amount,
        }
    };
    let confirms =
        super::provider::confirms_order("paygent", &payment.settlement_kind, &report.code);
    if payment.order_id.is_none() && confirms && report.amount != Some(payment.amount) {
        return flag(
            "rejected",
            format!(
                "金額が一致しません(通知: {}円、ご注文: {}円)。受注は作成していません。",
                report.amount.map_or("?".to_owned(), |a| a.to_string()),
                payment.amount
            ),
        )
        .await;
    }
    if n.status != "unverified" {
        payments.apply(&payment, &report).await?;
    }
    let mut detail = format!("{}を反映しました", report.label);
    if payment.order_id.is_none() && confirms {
        if let OrderFromLog::Created(order_id) = checkout::confirm(
            payments,
            &payment.link_key,
            checkout::OrderOrigin::Recovered,
        )
        .await?
        {
            // A payment made after ordering may be paid already by the time its order is
            // rebuilt: the order starts 入金済み then, not 未入金.
            payments
                .settle_order(order_id, &payment.settlement_kind, &report)
                .await?;
            detail = format!("{detail}。決済直前ログから受注を作成しました(受注ID {order_id})");
        }
    }
    store
        .finish_notification(id, "processed", &detail, now())
        .await?;
    Ok(())
}

/// 091 until Paygent has nothing left (at most a bounded number per run), then re-schedules
/// stored notifications whose job went missing.
async fn poll(payments: &Payments) -> Result<(), JobError> {
    let config = payments.paygent().await?;
    if config.connect_id.is_empty() || config.merchant_id.is_empty() {
        return Ok(());
    }
    let client = config.client().map_err(|e| JobError(e.to_string()))?;
    for _ in 0..200 {
        let record = match client.next_notice().await {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(e) => return Err(JobError(format!("091: {e}"))),
        };
        let get = |name: &str| record.get(name).map(String::as_str).unwrap_or("");
        let items: Vec<(&str, &str)> = record
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body = wire::encode_form(&items, wire::Charset::Cp932)
            .or_else(|_| wire::encode_form(&items, wire::Charset::Utf8))
            .map_err(|e| JobError(e.to_string()))?;
        store_and_schedule(
            payments,
            get("trading_id"),
            &format!(
                "paygent:{}:{}",
                config.merchant_id,
                get("payment_notice_id")
            ),
            &escape(&body),
            "received",
            "決済情報差分照会(091)で取得",
        )
        .await?;
    }
    let store = payments.store();
    let clock = payments.clock();
    for n in store
        .unprocessed_notifications(clock.now() - Duration::minutes(1))
        .await?
    {
        schedule(store, clock, n.id).await?;
    }
    Ok(())
}
