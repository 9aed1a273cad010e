//! What the sandbox posts to the shop, server to server: the result notification (結果通知,
//! `REC_TYPE=RET`, spec §2.2, §7.2) and the 収納情報通知 (§3.3). Both are Shift_JIS forms
//! sent with `Content-Type: application/x-www-form-urlencoded` and
//! `User-Agent: remise payment gateway (kessai sandbox)` by [`crate::outbound`]: redirects
//! are not followed and an answer must come within ten seconds. Only a body that is exactly
//! `<SDBKDATA>STATUS=800</SDBKDATA>` (surrounding whitespace allowed) acknowledges; the HTTP
//! status is only logged.
//!
//! A RET is sent once, while the buyer's browser waits (see `payment.rs`). A 収納情報通知
//! is queued when a multi payment is paid and attempted at once; until the shop
//! acknowledges it, it is sent again every [`RESEND_MINUTES`] minutes of the sandbox clock
//! without limit (the spec does not say whether or how Remise retries). Without a
//! 収納情報通知URL notices wait, and go out once one is set. [`deliver_due`] runs one
//! round; `POST /backoffice/notices/deliver` calls it and answers
//! `{"delivered":n,"failed":n}`, and with [`super::Options::auto_resend`] a background task
//! calls it about once a second. Rounds never overlap, so after the endpoint answers every
//! notice due at that moment has been attempted.

use axum::extract::State;
use axum::Json;
use chrono::Duration;
use serde::Serialize;

use super::store::{ResultPost, RESEND_MINUTES};
use super::wire::{acknowledges, Fields};
use super::Sandbox;
use crate::outbound::{self, Answer};

/// `User-Agent` of every post to a shop.
pub const USER_AGENT: &str = "remise payment gateway (kessai sandbox)";

/// The HTTP client posts go out with.
pub fn client() -> reqwest::Client {
    outbound::client(Some(USER_AGENT))
}

/// Post `fields` to `url` and read the answer: acknowledged by STATUS=800 only.
async fn post(sandbox: &Sandbox, url: &str, fields: &Fields) -> Answer {
    outbound::post(&sandbox.client, url, fields.encode(), acknowledges).await
}

/// How a result notification went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// No 結果通知URL is set: nothing was sent.
    NotSent,
    /// The shop answered STATUS=800.
    Acknowledged,
    /// The shop answered something else, or nothing in time.
    Refused,
}

/// Send `fields` with `REC_TYPE=RET` to the 結果通知URL and wait for the answer; `kind`
/// and `s_torihiki_no` label it in the back office log.
pub async fn send_result(
    sandbox: &Sandbox,
    fields: &Fields,
    kind: &str,
    s_torihiki_no: &str,
) -> Delivery {
    let Some(url) = sandbox.lock().settings.result_url.clone() else {
        return Delivery::NotSent;
    };
    let answer = post(sandbox, &url, &fields.with_rec_type("RET")).await;
    tracing::info!(
        s_torihiki_no,
        kind,
        acknowledged = answer.acknowledged,
        answer = %answer.text,
        "remise sandbox result notification sent"
    );
    let now = (sandbox.clock)();
    sandbox.lock().log_result(ResultPost {
        at: now,
        kind: kind.to_owned(),
        s_torihiki_no: s_torihiki_no.to_owned(),
        answer: answer.text.clone(),
        acknowledged: answer.acknowledged,
    });
    if answer.acknowledged {
        Delivery::Acknowledged
    } else {
        Delivery::Refused
    }
}

/// The counts of one delivery round of 収納情報通知.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Notices acknowledged.
    pub delivered: usize,
    /// Attempts that failed.
    pub failed: usize,
}

/// Attempt every 収納情報通知 due now, once each, oldest first.
pub async fn deliver_due(sandbox: &Sandbox) -> Report {
    let _round = sandbox.delivering.lock().await;
    let now = (sandbox.clock)();
    let (url, due) = {
        let mut store = sandbox.lock();
        store.sweep(now);
        let Some(url) = store.settings.receipt_url.clone() else {
            return Report::default();
        };
        let due: Vec<(u64, Fields)> = store
            .notices
            .iter()
            .filter(|n| n.delivered.is_none() && n.next_attempt <= now)
            .map(|n| (n.id, n.fields.clone()))
            .collect();
        (url, due)
    };
    let mut report = Report::default();
    for (id, fields) in due {
        let answer = post(sandbox, &url, &fields).await;
        let now = (sandbox.clock)();
        let mut store = sandbox.lock();
        let Some(notice) = store.notices.iter_mut().find(|n| n.id == id) else {
            continue;
        };
        notice.attempts += 1;
        notice.last_attempt = Some(now);
        notice.last_answer = answer.text.clone();
        if answer.acknowledged {
            notice.delivered = Some(now);
            report.delivered += 1;
            tracing::info!(job_id = %notice.job_id, "remise sandbox receipt notice delivered");
        } else {
            notice.next_attempt = now + Duration::minutes(RESEND_MINUTES);
            report.failed += 1;
            tracing::info!(job_id = %notice.job_id, answer = %answer.text, "remise sandbox receipt notice failed");
        }
    }
    report
}

/// `POST /backoffice/notices/deliver`: one round now, answered with its counts.
pub async fn deliver(State(sandbox): State<Sandbox>) -> Json<Report> {
    Json(deliver_due(&sandbox).await)
}
