//! 決済Webhook (spec §8): after every registration — on the widget (OK and NG), by the
//! shop's server, and by 取引更新 — the transaction object as it was then is posted to the
//! webhook URL as JSON (`Content-Type: application/json`, `User-Agent: atone webhook
//! (kessai sandbox)`), redirects not followed, an answer awaited for at most
//! [`super::ANSWER_TIMEOUT_SECONDS`] seconds. Any 2xx status counts as delivered, whatever the
//! body; anything else, or no answer, is attempted again [`RESEND_MINUTES`] minutes later
//! on the sandbox clock, without limit (the spec gives neither a retry policy nor a
//! signature; none is added). Without a webhook URL, webhooks wait until one is set.
//!
//! A webhook is due at once when queued. [`deliver_due`] runs one round (every due
//! webhook attempted once, oldest first); `POST /testtool/webhooks/deliver` runs one and
//! answers `{"delivered":n,"failed":n}`, and with [`super::Options::auto_deliver`] a
//! background task runs one about once a second. Rounds never overlap, so after the
//! endpoint answers every webhook due at that moment has been attempted.

use axum::extract::State;
use axum::Json;
use chrono::Duration;
use serde::Serialize;
use serde_json::Value;

use super::store::RESEND_MINUTES;
use super::Sandbox;
use crate::outbound;

/// `User-Agent` of every webhook.
pub const USER_AGENT: &str = "atone webhook (kessai sandbox)";
/// How many characters of an answer are kept for the back office.
const SHOWN_CHARACTERS: usize = 100;

/// The HTTP client webhooks go out with.
pub fn client() -> reqwest::Client {
    outbound::client(Some(USER_AGENT))
}

/// The counts of one delivery round.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Webhooks the shop took (2xx).
    pub delivered: usize,
    /// Attempts that failed.
    pub failed: usize,
}

/// Post `body` to `url`: whether the answer was 2xx, and what it was.
async fn post(client: &reqwest::Client, url: &str, body: &Value) -> (bool, String) {
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            let shown: String = text.trim().chars().take(SHOWN_CHARACTERS).collect();
            (
                status.is_success(),
                format!("HTTP {}: {shown}", status.as_u16()),
            )
        }
        Err(error) => (false, format!("応答なし: {error}")),
    }
}

/// Attempt every webhook due now, once each, oldest first.
pub async fn deliver_due(sandbox: &Sandbox) -> Report {
    let _round = sandbox.delivering.lock().await;
    let now = (sandbox.clock)();
    let (url, due) = {
        let store = sandbox.lock();
        let Some(url) = store.settings.webhook_url.clone() else {
            return Report::default();
        };
        let due: Vec<(u64, Value)> = store
            .webhooks
            .iter()
            .filter(|w| w.delivered.is_none() && w.next_attempt <= now)
            .map(|w| (w.id, w.body.clone()))
            .collect();
        (url, due)
    };
    let mut report = Report::default();
    for (id, body) in due {
        let (delivered, answer) = post(&sandbox.client, &url, &body).await;
        let now = (sandbox.clock)();
        let mut store = sandbox.lock();
        let Some(webhook) = store.webhooks.iter_mut().find(|w| w.id == id) else {
            continue;
        };
        webhook.attempts += 1;
        webhook.last_answer = answer;
        if delivered {
            webhook.delivered = Some(now);
            report.delivered += 1;
            tracing::info!(id = %webhook.transaction_id, "atone sandbox webhook delivered");
        } else {
            webhook.next_attempt = now + Duration::minutes(RESEND_MINUTES);
            report.failed += 1;
            tracing::info!(id = %webhook.transaction_id, answer = %webhook.last_answer, "atone sandbox webhook failed");
        }
    }
    report
}

/// `POST /testtool/webhooks/deliver`: one round now, answered with its counts.
pub async fn deliver(State(sandbox): State<Sandbox>) -> Json<Report> {
    Json(deliver_due(&sandbox).await)
}
