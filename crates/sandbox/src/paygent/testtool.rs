//! The test tool (試験環境ツール, spec §15 and §14): a page to look a payment up by its
//! payment id and a form that moves it as the buyer's payment would — ATM 10 → 40 / 12,
//! konbini 10 → 43 → 40 / 61 or 10 → 40 / 12, bank net 10 → 40 / 15 — choosing the time
//! the buyer paid and, for ATM, the bank (the banks of §15 usable for ATM) or, for a
//! konbini, the store. Every change makes its difference record, so 091 serves it and it is
//! pushed to the merchant's notification URL like any other (`POST /testtool/notices/
//! deliver` sends it at once). Card and Paidy payments move only through telegrams.
//!
//! `GET /testtool?merchant_id=…&payment_id=…` shows the payment and the form;
//! `POST /testtool/statusupdate` takes `merchant_id`, `connect_id`, `connect_password`,
//! `payment_id`, `payment_status` (the new code), `paid_at` (`YYYYMMDDhhmmss`, Japan time;
//! empty means now), `bank_code` and `cvs_company_id`, answers 303 back to the page, or the
//! page with the error (422). The real tool lives at `/testtool/statusupdatesearch` behind a
//! client certificate and a login; the sandbox asks for the connect id and password with
//! each change instead.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use encoding_rs::UTF_8;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::fields::{CONNECT_ID, CONNECT_PASSWORD};
use super::konbini::store_name;
use super::status::Status;
use super::store::{japan, Method, Payment, Store};
use super::{pages, wake, Sandbox};
use crate::form::Form;
use crate::pages::base_url;

/// The banks an ATM payment may be paid at in the sandbox (§15).
pub const ATM_BANKS: &[(&str, &str)] = &[
    ("0010", "りそな銀行"),
    ("0017", "埼玉りそな銀行"),
    ("9900", "ゆうちょ銀行"),
];

/// The statuses the tool may move a payment to from where it is.
pub fn next_statuses(p: &Payment) -> &'static [Status] {
    match (&p.method, p.status) {
        (Method::Atm(_), Status::Applied) => &[Status::Captured, Status::PaymentExpired],
        (Method::Konbini(_), Status::Applied) => &[
            Status::Preliminary,
            Status::Captured,
            Status::PaymentExpired,
        ],
        (Method::Konbini(_), Status::Preliminary) => {
            &[Status::Captured, Status::PreliminaryCancelled]
        }
        (Method::Bank(_), Status::Applied) => &[Status::Captured, Status::Aborted],
        _ => &[],
    }
}

/// A change asked of the tool.
#[derive(Debug, Clone)]
pub struct Update {
    /// The new status.
    pub to: Status,
    /// When the buyer paid.
    pub paid_at: DateTime<Utc>,
    /// ATM: the bank paid at.
    pub bank_code: String,
    /// Konbini: the store paid at (the first store the number works at when empty).
    pub cvs_company_id: String,
}

/// Apply `update` to a payment of `merchant_id`; the message says why not.
pub fn apply(
    store: &mut Store,
    merchant_id: &str,
    payment_id: u64,
    update: &Update,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let merchant = store.merchant(merchant_id);
    let notices = &mut merchant.notices;
    let Some(payment) = merchant.payments.get_mut(&payment_id) else {
        return Err("該当する決済が存在しません。".to_owned());
    };
    if !next_statuses(payment).contains(&update.to) {
        return Err(format!(
            "この決済（{}）を「{}」から「{}」に更新することはできません。",
            payment.payment_type().code(),
            payment.status.label(),
            update.to.label()
        ));
    }
    let paying = matches!(update.to, Status::Captured | Status::Preliminary);
    match &mut payment.method {
        Method::Atm(atm) if paying => {
            if !ATM_BANKS.iter().any(|(code, _)| *code == update.bank_code) {
                return Err("金融機関コードを選択してください。".to_owned());
            }
            atm.bank_code = update.bank_code.clone();
        }
        Method::Konbini(k) if paying => {
            let company = if !update.cvs_company_id.is_empty() {
                update.cvs_company_id.clone()
            } else if !k.paid_at.is_empty() {
                // 43 named the store already.
                k.paid_at.clone()
            } else {
                k.usable.first().cloned().unwrap_or_default()
            };
            if !k.usable.contains(&company) {
                return Err("このお支払い番号を使えないコンビニ企業CDです。".to_owned());
            }
            k.paid_at = company;
        }
        _ => {}
    }
    if paying && payment.user_paid.is_none() {
        payment.user_paid = Some(update.paid_at);
    }
    payment.move_to(update.to, now, notices);
    tracing::info!(
        merchant_id,
        payment_id,
        status = update.to.code(),
        "paygent sandbox test tool update"
    );
    Ok(())
}

/// Query of the page.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    merchant_id: String,
    #[serde(default)]
    payment_id: String,
    #[serde(default)]
    updated: String,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

fn method_name(p: &Payment) -> &'static str {
    match &p.method {
        Method::Card(_) => "クレジットカード決済",
        Method::Atm(_) => "ATM決済",
        Method::Konbini(_) => "コンビニ決済（番号方式）",
        Method::Bank(_) => "銀行ネット決済",
        Method::Paidy(_) => "Paidy",
    }
}

fn page(
    store: &mut Store,
    status: StatusCode,
    query: &PageQuery,
    error: Option<&str>,
    base: &str,
    now: DateTime<Utc>,
) -> Response {
    let payment = query
        .payment_id
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|_| !query.merchant_id.is_empty())
        .and_then(|id| {
            store
                .merchant(&query.merchant_id)
                .payments
                .get(&id)
                .cloned()
        });
    let searched = !query.payment_id.is_empty();
    let found = payment.as_ref().map(|p| {
        let statuses: Vec<Choice> = next_statuses(p)
            .iter()
            .map(|s| Choice {
                value: s.code().to_owned(),
                label: s.label().to_owned(),
            })
            .collect();
        let companies: Vec<Choice> = match &p.method {
            Method::Konbini(k) => k
                .usable
                .iter()
                .map(|id| Choice {
                    value: id.clone(),
                    label: format!("{} ({id})", store_name(id)),
                })
                .collect(),
            _ => Vec::new(),
        };
        let banks: Vec<Choice> = match &p.method {
            Method::Atm(_) => ATM_BANKS
                .iter()
                .map(|(code, name)| Choice {
                    value: (*code).to_owned(),
                    label: format!("{name} ({code})"),
                })
                .collect(),
            _ => Vec::new(),
        };
        context! {
            payment_id => p.id.to_string(),
            trading_id => p.trading_id.clone(),
            method => method_name(p),
            payment_type => p.payment_type().code(),
            status => format!("{} {}", p.status.code(), p.status.label()),
            amount => p.amount.to_string(),
            statuses,
            companies,
            banks,
        }
    });
    let updated = super::status::Status::parse(&query.updated).map(Status::label);
    pages::html(
        status,
        "paygent/testtool.html",
        context! {
            action => format!("{base}/testtool/statusupdate"),
            search => format!("{base}/testtool"),
            merchant_id => query.merchant_id.clone(),
            payment_id => query.payment_id.clone(),
            searched,
            found,
            updated,
            error,
            now => now.with_timezone(&japan()).format("%Y%m%d%H%M%S").to_string(),
        },
    )
}

/// `GET /testtool`: look a payment up.
pub async fn show(
    State(sandbox): State<Sandbox>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    wake(&sandbox);
    let base = base_url(&headers, &original, "/testtool");
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    page(&mut store, StatusCode::OK, &query, None, &base, now)
}

/// `YYYYMMDDhhmmss` in Japan time.
fn parse_stamp(raw: &str) -> Option<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(raw, "%Y%m%d%H%M%S").ok()?;
    japan()
        .from_local_datetime(&local)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

/// `POST /testtool/statusupdate`: move a payment.
pub async fn update(
    State(sandbox): State<Sandbox>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    wake(&sandbox);
    let base = base_url(&headers, &original, "/testtool/statusupdate");
    let form = Form::decode(&body, UTF_8);
    let get = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let query = PageQuery {
        merchant_id: get("merchant_id"),
        payment_id: get("payment_id"),
        updated: String::new(),
    };
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    let checked = (|| {
        let merchant_ok = !query.merchant_id.is_empty()
            && query.merchant_id.len() <= 9
            && query.merchant_id.bytes().all(|b| b.is_ascii_digit());
        if !merchant_ok {
            return Err("マーチャントIDを半角数字で入力してください。".to_owned());
        }
        if get("connect_id") != CONNECT_ID || get("connect_password") != CONNECT_PASSWORD {
            return Err("接続IDまたは接続パスワードが正しくありません。".to_owned());
        }
        let payment_id: u64 = query
            .payment_id
            .parse()
            .map_err(|_| "決済IDを半角数字で入力してください。".to_owned())?;
        let to = Status::parse(&get("payment_status"))
            .ok_or_else(|| "更新後の決済ステータスを選択してください。".to_owned())?;
        let paid_at = match get("paid_at").as_str() {
            "" => now,
            raw => parse_stamp(raw)
                .ok_or_else(|| "入金日時は YYYYMMDDhhmmss で入力してください。".to_owned())?,
        };
        let update = Update {
            to,
            paid_at,
            bank_code: get("bank_code"),
            cvs_company_id: get("cvs_company_id"),
        };
        apply(&mut store, &query.merchant_id, payment_id, &update, now).map(|()| to)
    })();
    match checked {
        Ok(to) => (
            StatusCode::SEE_OTHER,
            [(
                LOCATION,
                format!(
                    "{base}/testtool?merchant_id={}&payment_id={}&updated={}",
                    query.merchant_id,
                    query.payment_id,
                    to.code()
                ),
            )],
        )
            .into_response(),
        Err(message) => page(
            &mut store,
            StatusCode::UNPROCESSABLE_ENTITY,
            &query,
            Some(&message),
            &base,
            now,
        ),
    }
}
