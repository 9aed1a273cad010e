//! What the sandbox posts to the shop, server to server: the result notification (結果通知,
//! `REC_TYPE=RET`, spec §2.2, §7.2) and the 収納情報通知 (§3.3). Both are Shift_JIS forms
//! sent with `Content-Type: application/x-www-form-urlencoded` and
//! `User-Agent: remise payment gateway (kessai sandbox)`; redirects are not followed and an
//! answer must come within ten seconds. Only a body that is exactly
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

use std::time::Duration as StdDuration;

use axum::extract::State;
use axum::Json;
use chrono::Duration;
use encoding_rs::SHIFT_JIS;
use serde::Serialize;

use super::store::{ResultPost, RESEND_MINUTES};
use super::wire::{acknowledges, Fields};
use super::Sandbox;

/// How long the sandbox waits for the shop's answer.
pub const ANSWER_TIMEOUT_SECONDS: u64 = 10;
/// `User-Agent` of every post to a shop.
pub const USER_AGENT: &str = "remise payment gateway (kessai sandbox)";

/// The HTTP client posts go out with.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(StdDuration::from_secs(ANSWER_TIMEOUT_SECONDS))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// What one post came to.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The shop answered STATUS=800.
    pub acknowledged: bool,
    /// What it answered, shortened, or why there was no answer.
    pub text: String,
}

/// Post `fields` to `url` and read the answer.
pub async fn post(client: &reqwest::Client, url: &str, fields: &Fields) -> Answer {
    let sent = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fields.encode())
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            return Answer {
                acknowledged: false,
                text: format!("応答なし: {error}"),
            }
        }
    };
    let status = response.status().as_u16();
    match response.bytes().await {
        Ok(body) => {
            let (shown, _, _) = SHIFT_JIS.decode(&body);
            let shown: String = shown.trim().chars().take(100).collect();
            Answer {
                acknowledged: acknowledges(&body),
                text: format!("HTTP {status}: {shown}"),
            }
        }
        Err(error) => Answer {
            acknowledged: false,
            text: format!("HTTP {status}: 本文を読めません: {error}"),
        },
    }
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
    let answer = post(&sandbox.client, &url, &fields.with_rec_type("RET")).await;
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
        let answer = post(&sandbox.client, &url, &fields).await;
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
