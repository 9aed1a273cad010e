//! Push notifications of difference records (決済情報差分通知, spec §8).
//!
//! Every difference record made while the merchant has a notification URL is also queued
//! for a push: an HTTP POST of the §7 record items (the same items 091 returns after
//! `success_detail`) plus `hc = SHA-256(payment_notice_id + payment_id + trading_id +
//! payment_type + payment_amount + 差分通知ハッシュ値生成キー)`, form-urlencoded with
//! percent-escapes of Shift_JIS bytes. Only an answer whose body is exactly `result=0`
//! (trailing line breaks and spaces allowed) counts as delivered; the HTTP status is only
//! logged. Redirects are not followed and an answer must come within ten seconds
//! ([`crate::outbound`]).
//!
//! Deliveries are in order per merchant: a failed push blocks the later ones and is resent
//! every 60 seconds of the sandbox clock (the spec gives no interval; the sandbox picks
//! one); after five consecutive failures pushes to that merchant pause for 15 minutes of
//! the sandbox clock, then resume. Records made while the merchant has no URL are never
//! pushed (091 still serves them); changing the URL sends the waiting pushes to the new
//! URL and clears the failure count and the pause. [`deliver_due`] runs one round; the
//! test tool endpoint and, with `auto_push`, a background task call it.

use std::collections::VecDeque;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use encoding_rs::SHIFT_JIS;
use serde::Serialize;
use tokio::task::JoinSet;

use super::inquiry;
use super::store::{sha256_hex, Notice};
use super::wire::Items;
use super::Sandbox;
use crate::form;
use crate::outbound::{self, Answer};

/// 差分通知ハッシュ値生成キー of every sandbox merchant.
pub const NOTICE_HASH_KEY: &str = "sandboxnoticehashkey";
/// A failed push is resent after this many seconds of the sandbox clock.
pub const RETRY_SECONDS: i64 = 60;
/// Consecutive failures after which pushes to the merchant pause (§8).
pub const FAILURES_BEFORE_PAUSE: u32 = 5;
/// How long pushes pause, in minutes of the sandbox clock (§8).
pub const PAUSE_MINUTES: i64 = 15;
/// Delivered pushes kept for the merchant page; waiting ones are never dropped.
const LOG_LIMIT: usize = 200;

/// Waiting pushes picked for one round: the notification URL, then each push's
/// `payment_notice_id` and body, in order.
type Batch = (String, Vec<(u64, Vec<u8>)>);

/// One push: the record it carries and what happened to it so far.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `payment_notice_id` of the record.
    pub notice_id: u64,
    /// `payment_id` of the record.
    pub payment_id: u64,
    /// `trading_id` of the record.
    pub trading_id: String,
    /// `payment_status` of the record.
    pub status: &'static str,
    /// The encoded POST body.
    pub body: Vec<u8>,
    /// Attempts made.
    pub attempts: u32,
    /// What the merchant answered last (or why there was no answer).
    pub last_answer: String,
    /// When the last attempt was made.
    pub last_attempt: Option<DateTime<Utc>>,
    /// When the merchant acknowledged it with `result=0`.
    pub delivered: Option<DateTime<Utc>>,
}

/// A merchant's push settings and queue.
#[derive(Debug, Default)]
pub struct Pushes {
    /// 差分通知URL; `None` switches pushes off.
    pub url: Option<String>,
    /// Pushes in record order: delivered ones (the latest few) then waiting ones.
    pub log: VecDeque<Delivery>,
    /// Failures since the last delivery or pause.
    pub failures: u32,
    /// Pushes to the merchant wait until then.
    pub paused_until: Option<DateTime<Utc>>,
    /// The head of the queue is resent at this instant.
    pub next_attempt: Option<DateTime<Utc>>,
}

impl Pushes {
    /// Pushes off, or on towards `url`.
    pub fn new(url: Option<String>) -> Self {
        Self {
            url,
            ..Self::default()
        }
    }

    /// Queue `notice` when pushes are on.
    pub fn enqueue(&mut self, notice: &Notice) {
        if self.url.is_none() {
            return;
        }
        self.log.push_back(Delivery {
            notice_id: notice.id,
            payment_id: notice.payment.id,
            trading_id: notice.payment.trading_id.clone(),
            status: notice.payment.status.code(),
            body: encode(&items(notice)),
            attempts: 0,
            last_answer: String::new(),
            last_attempt: None,
            delivered: None,
        });
        self.trim();
    }

    /// Register another URL (or none); waiting pushes go to the new one without delay.
    pub fn set_url(&mut self, url: Option<String>) {
        self.url = url;
        self.failures = 0;
        self.paused_until = None;
        self.next_attempt = None;
    }

    /// Whether pushes are paused at `now`.
    pub fn paused_at(&self, now: DateTime<Utc>) -> bool {
        self.paused_until.is_some_and(|until| now < until)
    }

    /// Pushes not yet acknowledged.
    pub fn waiting(&self) -> usize {
        self.log.iter().filter(|d| d.delivered.is_none()).count()
    }

    /// The URL and the waiting pushes to attempt at `now`, in order; ends a pause that is
    /// over.
    fn due(&mut self, now: DateTime<Utc>) -> Option<Batch> {
        let url = self.url.clone()?;
        if self.paused_at(now) {
            return None;
        }
        self.paused_until = None;
        if self.next_attempt.is_some_and(|at| now < at) {
            return None;
        }
        let waiting: Vec<_> = self
            .log
            .iter()
            .filter(|d| d.delivered.is_none())
            .map(|d| (d.notice_id, d.body.clone()))
            .collect();
        (!waiting.is_empty()).then_some((url, waiting))
    }

    /// Record the outcome of one attempt.
    fn settle(&mut self, notice_id: u64, answer: &Answer, now: DateTime<Utc>) {
        if let Some(delivery) = self.log.iter_mut().find(|d| d.notice_id == notice_id) {
            delivery.attempts += 1;
            delivery.last_answer = answer.text.clone();
            delivery.last_attempt = Some(now);
            if answer.acknowledged {
                delivery.delivered = Some(now);
            }
        }
        if answer.acknowledged {
            self.failures = 0;
            self.next_attempt = None;
            self.trim();
            return;
        }
        self.failures += 1;
        self.next_attempt = Some(now + Duration::seconds(RETRY_SECONDS));
        if self.failures >= FAILURES_BEFORE_PAUSE {
            self.failures = 0;
            self.paused_until = Some(now + Duration::minutes(PAUSE_MINUTES));
        }
    }

    /// Forget the oldest delivered pushes beyond the log limit.
    fn trim(&mut self) {
        while self.log.len() > LOG_LIMIT && self.log.front().is_some_and(|d| d.delivered.is_some())
        {
            self.log.pop_front();
        }
    }
}

/// The parts `hc` of a push covers, in the order of §8.
pub struct Hashed<'a> {
    /// `payment_notice_id`.
    pub notice_id: &'a str,
    /// `payment_id`.
    pub payment_id: &'a str,
    /// `trading_id` (empty contributes nothing).
    pub trading_id: &'a str,
    /// `payment_type`.
    pub payment_type: &'a str,
    /// `payment_amount`.
    pub amount: &'a str,
}

impl Hashed<'_> {
    /// `hc` with the merchant's 差分通知ハッシュ値生成キー `key`.
    pub fn hash(&self, key: &str) -> String {
        sha256_hex(&format!(
            "{}{}{}{}{}{key}",
            self.notice_id, self.payment_id, self.trading_id, self.payment_type, self.amount
        ))
    }
}

/// The items of a push: the §7 record and its `hc`.
fn items(notice: &Notice) -> Items {
    let record = inquiry::record(notice);
    let hc = Hashed {
        notice_id: &record.payment_notice_id,
        payment_id: &record.payment_id,
        trading_id: &record.trading_id,
        payment_type: &record.payment_type,
        amount: &record.payment_amount,
    }
    .hash(NOTICE_HASH_KEY);
    let mut items = record.items(Items::default());
    items.push("hc", hc);
    items
}

/// `name=value&…` with Shift_JIS percent-escapes.
fn encode(items: &Items) -> Vec<u8> {
    form::encode(items.pairs(), SHIFT_JIS)
}

/// Whether a response body acknowledges the push.
fn acknowledges(body: &[u8]) -> bool {
    body.trim_ascii_end() == b"result=0"
}

/// The counts of one delivery round.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Pushes acknowledged with `result=0`.
    pub delivered: usize,
    /// Attempts that failed.
    pub failed: usize,
    /// Whether pushes to some merchant are paused after the round.
    pub paused: bool,
}

/// Attempt every due push once, in order per merchant, merchants side by side. Rounds do
/// not overlap, so a push is never in flight twice.
pub async fn deliver_due(sandbox: &Sandbox) -> Report {
    let _round = sandbox.delivering.lock().await;
    let now = (sandbox.clock)();
    let batches: Vec<(String, Batch)> = {
        let mut store = sandbox.lock();
        // Deadlines that passed on the sandbox clock make their records before the round.
        store.sweep(now);
        store
            .merchants
            .iter_mut()
            .filter_map(|(id, merchant)| {
                merchant
                    .notices
                    .push
                    .due(now)
                    .map(|batch| (id.clone(), batch))
            })
            .collect()
    };
    let mut rounds = JoinSet::new();
    for (merchant_id, (url, pushes)) in batches {
        let sandbox = sandbox.clone();
        rounds.spawn(async move {
            let mut report = Report::default();
            for (notice_id, body) in pushes {
                let answer = outbound::post(&sandbox.client, &url, body, acknowledges).await;
                let now = (sandbox.clock)();
                sandbox
                    .lock()
                    .merchant(&merchant_id)
                    .notices
                    .push
                    .settle(notice_id, &answer, now);
                if answer.acknowledged {
                    tracing::info!(merchant_id, notice_id, "paygent sandbox push delivered");
                    report.delivered += 1;
                } else {
                    tracing::info!(merchant_id, notice_id, answer = %answer.text, "paygent sandbox push failed");
                    report.failed += 1;
                    break;
                }
            }
            report
        });
    }
    let mut report = Report::default();
    while let Some(done) = rounds.join_next().await {
        if let Ok(part) = done {
            report.delivered += part.delivered;
            report.failed += part.failed;
        }
    }
    let now = (sandbox.clock)();
    report.paused = sandbox
        .lock()
        .merchants
        .values()
        .any(|merchant| merchant.notices.push.paused_at(now));
    report
}

/// `POST /testtool/notices/deliver`: one delivery round now, answered with its counts.
pub async fn deliver(State(sandbox): State<Sandbox>) -> Json<Report> {
    Json(deliver_due(&sandbox).await)
}

/// The HTTP client pushes go out with (no `User-Agent`).
pub fn client() -> reqwest::Client {
    outbound::client(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notification_hash_matches_the_spec_vector() {
        let example = Hashed {
            notice_id: "12345",
            payment_id: "123456789",
            trading_id: "TRADE12345",
            payment_type: "02",
            amount: "1000",
        };

        assert_eq!(
            example.hash("abcdefg1234567"),
            "6485eb02c7db9afccfe1076b740ffa87fc84f912aab24961153891e848b8cb8c"
        );
    }

    #[test]
    fn only_result_0_with_trailing_whitespace_acknowledges() {
        assert!(acknowledges(b"result=0"));
        assert!(acknowledges(b"result=0\r\n"));
        assert!(!acknowledges(b"result=1"));
        assert!(!acknowledges(b" result=0"));
        assert!(!acknowledges(b"result=0&x=1"));
        assert!(!acknowledges(b""));
    }
}
