//! 060 銀行ネット決済ASP申込 (spec §6.9) and the bank choice page (ASP画面).
//!
//! 060 registers a request under its `trading_id` (the sandbox issues one when it is
//! empty) and answers the page's address `asp_url`, its limit `asp_limit_date` and the
//! payment limit `asp_payment_limit_date`. `asp_payment_term` is a flag and `DDhhmm`: `0`
//! adds days, hours and minutes to now, `1` adds days and ends at 23:59 (Japan time);
//! default `0050000`, five days. The payment limit is the page's limit plus two days (the
//! spec says two business days; the sandbox counts calendar days). Asked again for the
//! same trading_id while the page is valid and unpaid, 060 answers 5010 with the same data
//! again; after a payment 5008; after the page's limit 5009.
//!
//! The page (`GET /banking/asp?type=05&tid=…&mid=…&hv=…`, `hv` a hash only the sandbox can
//! make) lists the banks usable in the sandbox (§15). Each bank the buyer picks creates a
//! new payment in 10 (not notified, §10) — one trading_id may own several — then shows the
//! bank's stand-in page with a link back to `return_url`. More than ten picks answer 5011.
//! The test tool then moves the payment to 40 (paid) or 15 (aborted); unpaid at the
//! payment limit it becomes 15 by itself. The direct-connect banks' return with `result`
//! to `return_url` is not simulated (the link back carries no parameters).

use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use encoding_rs::UTF_8;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::fields::{self, Rule};
use super::refusal::Refusal;
use super::status::Status;
use super::store::{japan, sha256_hex, stamp, Bank, Method, Payment, PaymentType};
use super::threeds::is_web_url;
use super::wire::Items;
use super::{pages, wake, Sandbox, Telegram};
use crate::form::Form;
use crate::pages::{base_url, group_thousands};

/// The banks of the sandbox's bank net (§15): code and name.
pub const BANKS: &[(&str, &str)] = &[
    ("0001", "みずほ銀行"),
    ("0005", "三菱UFJ銀行"),
    ("0010", "りそな銀行"),
    ("0017", "埼玉りそな銀行"),
    ("9900", "ゆうちょ銀行"),
    ("D005", "直接接続銀行 D005"),
    ("D008", "直接接続銀行 D008"),
    ("D009", "直接接続銀行 D009"),
    ("D033", "直接接続銀行 D033"),
    ("D034", "直接接続銀行 D034"),
    ("D036", "直接接続銀行 D036"),
    ("D038", "直接接続銀行 D038"),
    ("D039", "直接接続銀行 D039"),
];
/// How many times a buyer may pick a bank on one page (5011 after that).
pub const MAX_SELECTIONS: u32 = 10;
/// Only the sandbox knows it: it makes the page address's `hv`.
const PAGE_SECRET: &str = "paygent-sandbox-asp";

/// One 060 request and its page.
#[derive(Debug, Clone)]
pub struct AspRequest {
    /// The merchant.
    pub merchant_id: String,
    /// `trading_id` (given or issued).
    pub trading_id: String,
    /// `site_id`.
    pub site_id: String,
    /// `amount` in yen.
    pub amount: u64,
    /// `claim_kana`.
    pub claim_kana: String,
    /// `claim_kanji`.
    pub claim_kanji: String,
    /// `merchant_name`.
    pub merchant_name: String,
    /// `free_memo`.
    pub free_memo: String,
    /// `copy_right`.
    pub copy_right: String,
    /// `return_url`.
    pub return_url: String,
    /// `stop_return_url`.
    pub stop_return_url: String,
    /// `trade_generation_date`.
    pub created: DateTime<Utc>,
    /// `asp_limit_date`: the page takes no bank choice after it.
    pub limit: DateTime<Utc>,
    /// `asp_payment_limit_date`: a chosen bank's payment is aborted after it.
    pub payment_limit: DateTime<Utc>,
    /// Banks picked so far.
    pub selections: u32,
}

impl AspRequest {
    /// The page's `hv`.
    fn hash(&self) -> String {
        page_hash(&self.merchant_id, &self.trading_id)
    }

    /// The page's address below `base`.
    pub fn url(&self, base: &str) -> String {
        // Trading ids and merchant ids hold only letters, digits and `_`: nothing to escape.
        format!(
            "{base}/banking/asp?type=05&tid={}&mid={}&hv={}",
            self.trading_id,
            self.merchant_id,
            self.hash()
        )
    }

    /// The 060 answer items after `base`.
    fn items(&self, mut items: Items, page_base: &str) -> Items {
        items.push("trading_id", self.trading_id.clone());
        items.push("asp_limit_date", stamp(self.limit));
        items.push("asp_payment_limit_date", stamp(self.payment_limit));
        items.push("asp_url", self.url(page_base));
        items.push("amount", self.amount.to_string());
        items.push("claim_kana", self.claim_kana.clone());
        items.push("claim_kanji", self.claim_kanji.clone());
        items.push("trade_generation_date", stamp(self.created));
        items
    }
}

fn page_hash(merchant_id: &str, trading_id: &str) -> String {
    sha256_hex(&format!("{merchant_id}{trading_id}{PAGE_SECRET}"))
}

/// The page's limit for `asp_payment_term` (`None`: the default five days).
fn page_limit(term: Option<&str>, now: DateTime<Utc>) -> Result<DateTime<Utc>, Refusal> {
    let term = term.unwrap_or("0050000");
    let invalid = || Refusal::invalid("asp_payment_term");
    if term.len() != 7 || !term.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::format("asp_payment_term"));
    }
    let number = |range: std::ops::Range<usize>| term[range].parse::<i64>().map_err(|_| invalid());
    let (days, hours, minutes) = (number(1..3)?, number(3..5)?, number(5..7)?);
    if hours > 23 || minutes > 59 {
        return Err(invalid());
    }
    match &term[..1] {
        "0" if days + hours + minutes > 0 => {
            Ok(now + Duration::days(days) + Duration::hours(hours) + Duration::minutes(minutes))
        }
        "1" => {
            let day = now.with_timezone(&japan()).date_naive() + Duration::days(days);
            let end = day.and_time(NaiveTime::from_hms_opt(23, 59, 0).unwrap_or_default());
            japan()
                .from_local_datetime(&end)
                .single()
                .map(|at| at.with_timezone(&Utc))
                .ok_or_else(invalid)
        }
        _ => Err(invalid()),
    }
}

/// 060: register a bank net request and answer its page address.
pub fn apply(t: Telegram<'_>) -> Result<Items, Refusal> {
    let form = t.form;
    let amount = fields::amount(form, "amount", 11)?;
    let claim_kana = fields::required(form, "claim_kana", Rule::HalfWidthKana, 24)?;
    let claim_kanji = fields::required(form, "claim_kanji", Rule::FullWidth, 24)?;
    for name in ["customer_family_name", "customer_name"] {
        fields::optional(form, name, Rule::FullWidth, 12)?;
    }
    for name in ["customer_family_name_kana", "customer_name_kana"] {
        fields::optional(form, name, Rule::HalfWidthKana, 12)?;
    }
    fields::optional(form, "receipt_name_kana", Rule::HalfWidthKana, 24)?;
    fields::optional(form, "receipt_name", Rule::FullWidth, 24)?;
    let url = |name: &str| -> Result<String, Refusal> {
        let url = fields::optional(form, name, Rule::Text, 256)?.unwrap_or_default();
        if !url.is_empty() && !is_web_url(url) {
            return Err(Refusal::format(name));
        }
        Ok(url.to_owned())
    };
    let return_url = url("return_url")?;
    let stop_return_url = url("stop_return_url")?;
    url("banner_url")?;
    let merchant_name = fields::optional(form, "merchant_name", Rule::Text, 64)?;
    let free_memo = fields::optional(form, "free_memo", Rule::Text, 256)?;
    let copy_right = fields::optional(form, "copy_right", Rule::Text, 64)?;
    let term = fields::optional(form, "asp_payment_term", Rule::Digits, 7)?;

    let Telegram {
        store,
        now,
        header,
        base,
        ..
    } = t;
    let limit = page_limit(term, now)?;
    let trading_id = if header.trading_id.is_empty() {
        format!("PG{}", store.random_digits(18))
    } else {
        header.trading_id.clone()
    };
    let key = (header.merchant_id.clone(), trading_id.clone());
    let paid = store
        .merchant(&header.merchant_id)
        .payments
        .values()
        .any(|p| {
            p.trading_id == trading_id
                && p.payment_type() == PaymentType::Bank
                && p.status == Status::Captured
        });
    if paid {
        return Err(Refusal::bank_paid());
    }
    if let Some(existing) = store.asps.get(&key) {
        if now > existing.limit {
            return Err(Refusal::bank_expired());
        }
        let refusal = Refusal::bank_duplicate();
        return Ok(existing.items(Items::failure(refusal.code, &refusal.detail), base));
    }
    let request = AspRequest {
        merchant_id: header.merchant_id.clone(),
        trading_id,
        site_id: header.site_id.clone(),
        amount,
        claim_kana: claim_kana.to_owned(),
        claim_kanji: claim_kanji.to_owned(),
        merchant_name: merchant_name.unwrap_or_default().to_owned(),
        free_memo: free_memo.unwrap_or_default().to_owned(),
        copy_right: copy_right.unwrap_or_default().to_owned(),
        return_url,
        stop_return_url,
        created: now,
        limit,
        payment_limit: limit + Duration::days(2),
        selections: 0,
    };
    let items = request.items(Items::success(), base);
    store.asps.insert(key, request);
    Ok(items)
}

/// Query of the page.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    tid: String,
    #[serde(default)]
    mid: String,
    #[serde(default)]
    hv: String,
}

#[derive(Serialize)]
struct BankChoice {
    code: &'static str,
    name: &'static str,
}

fn message(status: StatusCode, title: &str, message: &str) -> Response {
    pages::html(status, "paygent/message.html", context! { title, message })
}

fn unknown() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "銀行ネット決済",
        "お支払い情報が見つかりません。ショップからやり直してください。",
    )
}

/// The summary both pages show.
fn summary(request: &AspRequest) -> minijinja::Value {
    context! {
        merchant_name => request.merchant_name.clone(),
        claim_kanji => request.claim_kanji.clone(),
        trading_id => request.trading_id.clone(),
        amount => group_thousands(request.amount),
        limit => request.limit.with_timezone(&japan()).format("%Y年%m月%d日 %H:%M").to_string(),
        free_memo => request.free_memo.clone(),
        copy_right => request.copy_right.clone(),
        return_url => request.return_url.clone(),
        stop_return_url => request.stop_return_url.clone(),
    }
}

/// `GET /banking/asp`: the bank choice page.
pub async fn page(
    State(sandbox): State<Sandbox>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    wake(&sandbox);
    let base = base_url(&headers, &original, "/banking/asp");
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    if query.hv != page_hash(&query.mid, &query.tid) {
        return unknown();
    }
    let Some(request) = store.asps.get(&(query.mid.clone(), query.tid.clone())) else {
        return unknown();
    };
    let request = request.clone();
    let paid = store.merchant(&query.mid).payments.values().any(|p| {
        p.trading_id == request.trading_id
            && p.payment_type() == PaymentType::Bank
            && p.status == Status::Captured
    });
    if paid {
        return message(
            StatusCode::OK,
            "銀行ネット決済",
            "このお支払いは完了しています。",
        );
    }
    if now > request.limit {
        return message(
            StatusCode::OK,
            "銀行ネット決済",
            "お支払いの有効期限を過ぎています（5009）。ショップからやり直してください。",
        );
    }
    let banks: Vec<BankChoice> = BANKS
        .iter()
        .map(|(code, name)| BankChoice { code, name })
        .collect();
    pages::html(
        StatusCode::OK,
        "paygent/bank_asp.html",
        context! {
            action => format!("{base}/banking/asp"),
            tid => request.trading_id.clone(),
            mid => request.merchant_id.clone(),
            hv => request.hash(),
            banks,
            ..summary(&request)
        },
    )
}

/// `POST /banking/asp`: the buyer picks a bank; a new payment in 10 is made for it.
pub async fn choose(State(sandbox): State<Sandbox>, body: Bytes) -> Response {
    wake(&sandbox);
    let form = Form::decode(&body, UTF_8);
    let (tid, mid) = (
        form.get("tid").unwrap_or_default().to_owned(),
        form.get("mid").unwrap_or_default().to_owned(),
    );
    if form.get("hv") != Some(page_hash(&mid, &tid).as_str()) {
        return unknown();
    }
    let Some((code, name)) = BANKS
        .iter()
        .find(|(code, _)| Some(*code) == form.get("bank_code"))
        .copied()
    else {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "銀行ネット決済",
            "お支払いに使う銀行を選択してください。",
        );
    };
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    let Some(request) = store.asps.get_mut(&(mid.clone(), tid.clone())) else {
        return unknown();
    };
    if now > request.limit {
        return message(
            StatusCode::OK,
            "銀行ネット決済",
            "お支払いの有効期限を過ぎています（5009）。ショップからやり直してください。",
        );
    }
    if request.selections >= MAX_SELECTIONS {
        let refusal = Refusal::bank_selections();
        return message(
            StatusCode::OK,
            "銀行ネット決済",
            &format!("{}（{}）", refusal.detail, refusal.code),
        );
    }
    request.selections += 1;
    let request = request.clone();
    let id = store.next_payment_id();
    let mut payment = Payment::new(
        id,
        &request.trading_id,
        &request.site_id,
        request.amount,
        Method::Bank(Bank {
            bank_code: code.to_owned(),
            limit: request.payment_limit,
        }),
        now,
    );
    let merchant = store.merchant(&mid);
    payment.move_to(Status::Applied, now, &mut merchant.notices);
    merchant.payments.insert(id, payment);
    tracing::info!(trading_id = %tid, payment_id = id, bank = code, "paygent sandbox bank chosen");
    pages::html(
        StatusCode::OK,
        "paygent/bank_paying.html",
        context! {
            bank_name => name,
            bank_code => code,
            payment_id => id.to_string(),
            ..summary(&request)
        },
    )
}
