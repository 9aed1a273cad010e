//! The merchant admin page, after ペイジェントオンライン's 試験環境 tab (spec §8, §14):
//! `GET /merchant?merchant_id=…` shows the connection values and hash keys, which are the
//! same fixed, documented values for every sandbox merchant, the registered 差分通知URL
//! and the push log; `POST /merchant` registers another notification URL (http or https,
//! or empty to switch pushes off) and redirects back to the page.
//!
//! The real portal needs a login; the sandbox page is open, since it holds only the
//! published sandbox values.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::LOCATION;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use encoding_rs::UTF_8;
use minijinja::context;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

use super::fields::{CONNECT_ID, CONNECT_PASSWORD};
use super::push::{self, NOTICE_HASH_KEY};
use super::store::japan;
use super::token::{TOKEN_GENERATE_KEY, TOKEN_HASH_KEY};
use super::{pages, wake, Sandbox};
use crate::form::Form;

/// Link-type ハッシュ値生成キー of every sandbox merchant (spec §12).
pub const LINK_HASH_KEY: &str = "sandboxlinkhashkey";
/// 3Dセキュア結果受付ハッシュ鍵 of every sandbox merchant (spec §6.4).
pub const THREEDS_HASH_KEY: &str = "sandbox3dshashkey";
/// Longest notification URL accepted (the spec's URL items are 256 bytes).
const MAX_URL_LENGTH: usize = 256;

/// Query of the merchant page.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    merchant_id: String,
    #[serde(default)]
    saved: Option<String>,
}

#[derive(Serialize)]
struct Key {
    label: &'static str,
    value: &'static str,
}

#[derive(Serialize)]
struct Row {
    notice_id: u64,
    payment_id: u64,
    trading_id: String,
    status: &'static str,
    attempts: u32,
    last_attempt: String,
    last_answer: String,
    state: &'static str,
}

fn keys() -> Vec<Key> {
    vec![
        Key {
            label: "接続ID",
            value: CONNECT_ID,
        },
        Key {
            label: "接続パスワード",
            value: CONNECT_PASSWORD,
        },
        Key {
            label: "トークン生成鍵",
            value: TOKEN_GENERATE_KEY,
        },
        Key {
            label: "トークン受取ハッシュ鍵",
            value: TOKEN_HASH_KEY,
        },
        Key {
            label: "差分通知ハッシュ値生成キー",
            value: NOTICE_HASH_KEY,
        },
        Key {
            label: "ハッシュ値生成キー（リンクタイプ）",
            value: LINK_HASH_KEY,
        },
        Key {
            label: "3Dセキュア結果受付ハッシュ鍵",
            value: THREEDS_HASH_KEY,
        },
    ]
}

fn shown(at: Option<DateTime<Utc>>) -> String {
    at.map(|at| {
        at.with_timezone(&japan())
            .format("%Y/%m/%d %H:%M:%S")
            .to_string()
    })
    .unwrap_or_default()
}

fn valid_merchant_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 9 && id.bytes().all(|b| b.is_ascii_digit())
}

/// Render the page for `merchant_id` (empty: keys and merchant choice only).
fn page(
    sandbox: &Sandbox,
    status: StatusCode,
    merchant_id: &str,
    typed_url: Option<&str>,
    error: Option<&str>,
    saved: bool,
) -> Response {
    let now = (sandbox.clock)();
    let store = sandbox.lock();
    let mut merchants: Vec<&String> = store.merchants.keys().collect();
    merchants.sort();
    let merchant = store.merchants.get(merchant_id);
    let registered_url = match merchant {
        Some(m) => m.notices.push.url.clone(),
        None => store.default_notify_url.clone(),
    };
    let pushes = merchant.map(|m| &m.notices.push);
    let deliveries: Vec<Row> = pushes
        .map(|p| {
            p.log
                .iter()
                .rev()
                .map(|d| Row {
                    notice_id: d.notice_id,
                    payment_id: d.payment_id,
                    trading_id: d.trading_id.clone(),
                    status: d.status,
                    attempts: d.attempts,
                    last_attempt: shown(d.last_attempt),
                    last_answer: d.last_answer.clone(),
                    state: match (d.delivered, d.attempts) {
                        (Some(_), _) => "通知済",
                        (None, 0) => "送信待ち",
                        (None, _) => "再送待ち",
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let shown_merchant = if valid_merchant_id(merchant_id) {
        merchant_id
    } else {
        ""
    };
    let context = context! {
        merchant_id => shown_merchant,
        paidy_public_key => format!("{}{shown_merchant}", super::paidy::PUBLIC_KEY_PREFIX),
        merchants => merchants,
        keys => keys(),
        error => error.unwrap_or_default(),
        saved => saved,
        notify_url => typed_url.map(str::to_owned).or_else(|| registered_url.clone()).unwrap_or_default(),
        registered_url => registered_url.unwrap_or_default(),
        waiting => pushes.map_or(0, |p| p.waiting()),
        failures => pushes.map_or(0, |p| p.failures),
        failures_before_pause => push::FAILURES_BEFORE_PAUSE,
        pause_minutes => push::PAUSE_MINUTES,
        retry_seconds => push::RETRY_SECONDS,
        paused_until => shown(pushes.and_then(|p| p.paused_until).filter(|until| now < *until)),
        next_attempt => shown(pushes.and_then(|p| p.next_attempt)),
        deliveries => deliveries,
    };
    drop(store);
    pages::html(status, "paygent/merchant.html", context)
}

/// `GET /merchant`: the keys, and a merchant's notification settings and push log.
pub async fn show(State(sandbox): State<Sandbox>, Query(query): Query<PageQuery>) -> Response {
    wake(&sandbox);
    let merchant_id = query.merchant_id.trim();
    let error = (!merchant_id.is_empty() && !valid_merchant_id(merchant_id))
        .then_some("マーチャントIDは9桁以内の数字で入力してください。");
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(
        &sandbox,
        status,
        merchant_id,
        None,
        error,
        query.saved.is_some(),
    )
}

/// What is wrong with a typed notification URL, if anything; empty means "pushes off".
pub fn check_notify_url(url: &str) -> Result<Option<String>, &'static str> {
    if url.is_empty() {
        return Ok(None);
    }
    if url.len() > MAX_URL_LENGTH {
        return Err("差分通知URLは256文字以内で入力してください。");
    }
    match reqwest::Url::parse(url) {
        Ok(parsed)
            if matches!(parsed.scheme(), "http" | "https")
                && parsed.host_str().is_some_and(|h| !h.is_empty()) =>
        {
            Ok(Some(url.to_owned()))
        }
        _ => Err("差分通知URLは http:// または https:// で始まるURLを入力してください。"),
    }
}

/// `POST /merchant`: register the notification URL, then back to the page.
pub async fn update(State(sandbox): State<Sandbox>, body: Bytes) -> Response {
    wake(&sandbox);
    let form = Form::decode(&body, UTF_8);
    let merchant_id = form.get("merchant_id").unwrap_or_default().trim();
    let typed = form.get("notify_url").unwrap_or_default().trim();
    if !valid_merchant_id(merchant_id) {
        return page(
            &sandbox,
            StatusCode::BAD_REQUEST,
            "",
            None,
            Some("マーチャントIDは9桁以内の数字で入力してください。"),
            false,
        );
    }
    let url = match check_notify_url(typed) {
        Ok(url) => url,
        Err(message) => {
            return page(
                &sandbox,
                StatusCode::BAD_REQUEST,
                merchant_id,
                Some(typed),
                Some(message),
                false,
            )
        }
    };
    sandbox
        .lock()
        .merchant(merchant_id)
        .notices
        .push
        .set_url(url);
    tracing::info!(merchant_id, "paygent sandbox notification URL registered");
    let location = format!(
        "merchant?merchant_id={}&saved=1",
        utf8_percent_encode(merchant_id, NON_ALPHANUMERIC)
    );
    (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_urls_must_be_http_or_https_and_empty_switches_pushes_off() {
        assert_eq!(check_notify_url(""), Ok(None));
        assert_eq!(
            check_notify_url("https://shop.example/notify/paygent"),
            Ok(Some("https://shop.example/notify/paygent".to_owned()))
        );
        assert!(check_notify_url("http://127.0.0.1:8080/n").is_ok());
        assert!(check_notify_url("ftp://shop.example/").is_err());
        assert!(check_notify_url("shop.example/notify").is_err());
        assert!(check_notify_url("javascript:alert(1)").is_err());
    }
}
