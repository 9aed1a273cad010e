//! The stand-in for atone's 加盟店管理システム and the sandbox's test tool:
//! * `GET /backoffice` — the transactions (取引ID, 加盟店取引番号, 金額, 与信結果, 登録日時,
//!   売上確定日時, 払戻, status 仮売上 / 決済完了 / 注文キャンセル / 仮売上期限切れ /
//!   更新済み / 与信NG, the member, the path it came by, 取引更新 links), the webhooks, the
//!   webhook URL, the test members and the shops' key pairs (UTF-8);
//! * `POST /backoffice/settings` — `webhook_url` (決済Webhook URL, `http://` or
//!   `https://`; empty keeps webhooks waiting), answered 303 back to the page with a
//!   message;
//! * `POST /testtool/webhooks/deliver` — see `webhook.rs`.

use axum::extract::{OriginalUri, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use minijinja::context;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;

use super::members::MEMBERS;
use super::pages;
use super::store::{shown, Via, AUTHORISATION_DAYS, RESEND_MINUTES};
use super::Sandbox;
use crate::pages::{base_url, group_thousands};

/// `?message=…` of the page.
#[derive(Debug, Deserialize)]
pub struct Shown {
    #[serde(default)]
    message: Option<String>,
}

/// Yen as the page shows them, negative amounts too.
fn yen(amount: i64) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}{}円", group_thousands(amount.unsigned_abs()))
}

/// `GET /backoffice`.
pub async fn show(State(sandbox): State<Sandbox>, Query(query): Query<Shown>) -> Response {
    let now = (sandbox.clock)();
    let store = sandbox.lock();
    let transactions: Vec<_> = store
        .transactions
        .iter()
        .rev()
        .map(|t| {
            context! {
                id => t.id,
                shop => store.shops[t.shop].public_key,
                number => t.payment.shop_transaction_no,
                amount => yen(t.payment.amount),
                authorization => t.authorization.label(),
                registered => shown(t.registered),
                settled => t.settled.map(shown),
                refunded => (t.refunded() > 0).then(|| yen(t.refunded())),
                status => t.status(now).label(),
                member => t.member.name,
                via => match t.via { Via::Widget => "ウィジェット", Via::Server => "サーバー（取引登録API）" },
                replaces => t.payment.updated_transactions,
                replaced_by => t.replaced_by,
            }
        })
        .collect();
    let webhooks: Vec<_> = store
        .webhooks
        .iter()
        .rev()
        .map(|w| {
            context! {
                id => w.transaction_id,
                queued => shown(w.queued),
                attempts => w.attempts,
                answer => w.last_answer,
                delivered => w.delivered.map(shown),
                next => w.delivered.is_none().then(|| shown(w.next_attempt)),
            }
        })
        .collect();
    let members: Vec<_> = MEMBERS
        .iter()
        .map(|m| context! { id => m.id, name => m.name, label => m.label, limit => m.limit.map(yen) })
        .collect();
    let shops: Vec<_> = store
        .shops
        .iter()
        .map(|s| context! { public_key => s.public_key, secret_key => s.secret_key })
        .collect();
    let context = context! {
        message => query.message,
        now => shown(now),
        webhook_url => store.settings.webhook_url.clone().unwrap_or_default(),
        transactions,
        webhooks,
        members,
        shops,
        expiry_days => AUTHORISATION_DAYS,
        resend_minutes => RESEND_MINUTES,
    };
    pages::page(StatusCode::OK, "atone/backoffice.html", context)
}

/// The settings form.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    webhook_url: String,
}

/// `POST /backoffice/settings`.
pub async fn settings(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    OriginalUri(original): OriginalUri,
    Form(form): Form<SettingsForm>,
) -> Response {
    let page = format!(
        "{}/backoffice",
        base_url(&headers, &original, "/backoffice/settings")
    );
    let back = |message: &str| {
        let to = format!(
            "{page}?message={}",
            utf8_percent_encode(message, NON_ALPHANUMERIC)
        );
        (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
    };
    let url = form.webhook_url.trim();
    let url = match url {
        "" => None,
        url if url.starts_with("http://") || url.starts_with("https://") => Some(url.to_owned()),
        _ => return back("URLは http:// または https:// で始めてください。"),
    };
    sandbox.lock().settings.webhook_url = url;
    tracing::info!("atone sandbox webhook URL updated");
    back("設定を更新しました。")
}
