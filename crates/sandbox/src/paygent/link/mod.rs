//! Link type (リンクタイプ, spec §12): the payment request and Paygent's hosted card page.
//!
//! `/v/request` (Shift_JIS) and `/v/u/request` (UTF-8) take the request by POST or GET.
//! They check `seq_merchant_id`, `hc`, `trading_id` and `id` (amount) in that order, then
//! the other items' formats, then the hash: `hc` is SHA-256 over `trading_id +
//! payment_type + fix_params + id + seq_merchant_id + payment_term_day + payment_term_min +
//! payment_class + use_card_conf_number + customer_id + threedsecure_ryaku +` the link
//! hash key, exactly as submitted, and only its first 64 characters are compared (Paygent's
//! samples append a random tail). A trading_id already requested with another amount is
//! P010 (`id`); requested again with the same amount it gets the same page back.
//! `isbtob=1` answers CRLF `key=value` items in the request's charset (`url` is the page
//! address); otherwise the answer is the payment page's HTML itself.
//!
//! The page `/linktype/top?tid=…` (UTF-8, no script) offers a card form when
//! `payment_type` includes `02` (absent means `01,02,03,05`) and a konbini form when it
//! includes `03`; the other methods are listed as not available in the sandbox. The card is judged by the §15 test-card rules, after
//! EMV 3-D Secure unless `threedsecure_ryaku=1` (the amount / cardholder-name rules and the
//! challenge page of `threeds.rs`). Success creates the payment as a 020 would (status 20,
//! or 40 with `sales_flg=1`), so 094/021/022/023/028/029 and 091 see it, records the
//! difference record (pushed like any other) and shows a completion page with a
//! 「ショップに戻る」 link to `return_url` (no parameters added), or redirects there
//! straight away with `finish_disable=1`. The konbini form takes the store, the buyer's
//! name (the request's `customer_family_name` / `customer_name` filled in) and phone, and
//! issues the number as 030 would (`konbini.rs`, with its failure trigger), limited to the
//! day the page's limit falls on; the page then shows the number and the store, and the
//! payment (10) is notified. Errors are shown on the page and the buyer may try again; `stop_return_url` is offered as a cancel link. A declined card leaves no
//! payment behind (the sandbox's choice). Not simulated: the card registration pages
//! (`/v/cardreg`, `stock_card_mode` is accepted and ignored), the EUC-JP path `/v/e/…`,
//! `appendix` (English captions), mails, detail lines `goods[n]`, deferred payment items,
//! and every method other than card and konbini.
//!
//! This file takes the request; `page.rs` serves the hosted page and the buyer's forms.

mod page;

pub use page::{after_challenge, card, konbini, top};

use axum::body::Bytes;
use axum::extract::{OriginalUri, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use encoding_rs::{Encoding, SHIFT_JIS, UTF_8};
use minijinja::context;

use super::fields::{self, Rule};
use super::merchant::LINK_HASH_KEY;
use super::refusal::Refusal;
use super::store::{japan, sha256_hex, stamp, Card, Store};
use super::threeds;
use super::wire::Items;
use super::{pages, wake, Sandbox};
use crate::form::Form;
use crate::pages::base_url;

/// Methods offered when the request names none.
const DEFAULT_TYPES: &[&str] = &["01", "02", "03", "05"];
/// `payment_type` codes of §9.
const KNOWN_TYPES: &[&str] = &[
    "01", "02", "03", "04", "05", "06", "07", "11", "15", "16", "17", "19", "20", "21", "22", "23",
    "26",
];
/// Buyer fields `fix_params` may name (§12).
const FIXABLE: &[&str] = &[
    "customer_family_name",
    "customer_name",
    "customer_family_name_kana",
    "customer_name_kana",
    "customer_tel",
    "customer_info",
    "ship_info",
];
/// Largest card amount (7 digits, §12).
const CARD_LIMIT: u64 = 9_999_999;

/// The fields `hc` covers, in the order of §12.
pub const HASHED: [&str; 11] = [
    "trading_id",
    "payment_type",
    "fix_params",
    "id",
    "seq_merchant_id",
    "payment_term_day",
    "payment_term_min",
    "payment_class",
    "use_card_conf_number",
    "customer_id",
    "threedsecure_ryaku",
];

/// `hc` of a link request: the values of [`HASHED`] in order, then `key`.
pub fn request_hash(values: &[&str], key: &str) -> String {
    sha256_hex(&format!("{}{key}", values.concat()))
}

/// A card typed by the buyer, waiting for the 3-D Secure challenge.
#[derive(Debug, Clone)]
pub struct PendingCard {
    card: Card,
    payment_class: String,
    split_count: String,
}

/// One link-type payment request and the page that serves it.
#[derive(Debug, Clone)]
pub struct LinkTrade {
    /// The page's id (`tid`).
    pub tid: String,
    /// `seq_merchant_id`.
    pub merchant_id: String,
    /// `site_id`.
    pub site_id: String,
    /// `trading_id`.
    pub trading_id: String,
    /// `id`: the amount in yen.
    pub amount: u64,
    /// `payment_type` codes offered.
    pub payment_types: Vec<String>,
    /// `merchant_name`.
    pub merchant_name: String,
    /// `payment_detail`.
    pub payment_detail: String,
    /// `free_memo`.
    pub free_memo: String,
    /// `copy_right`.
    pub copy_right: String,
    /// `payment_class`: 0 one-time only, 1 all, 2 all but bonus.
    pub payment_class: String,
    /// `use_card_conf_number=1`: the security code is asked for.
    pub asks_cvc: bool,
    /// `threedsecure_ryaku=1`.
    pub skips_3ds: bool,
    /// `sales_flg=1`: capture with the authorisation.
    pub captures: bool,
    /// `return_url`.
    pub return_url: String,
    /// `stop_return_url`.
    pub stop_return_url: String,
    /// `finish_disable=1`: no completion page.
    pub finish_disable: bool,
    /// `trade_generation_date`.
    pub created: DateTime<Utc>,
    /// The page stops taking payments after this instant.
    pub limit: DateTime<Utc>,
    /// The payment made, once paid.
    pub payment_id: Option<u64>,
    /// A message for the buyer from the last attempt.
    pub message: Option<String>,
    /// The card waiting for its 3-D Secure challenge.
    pub pending: Option<PendingCard>,
    /// `customer_family_name` and `customer_name` of the request.
    pub customer_name: (String, String),
    /// The konbini number issued, once the buyer chose a store.
    pub konbini: Option<IssuedNumber>,
}

impl LinkTrade {
    /// The page offers `payment_type` `code` (`02` card, `03` konbini).
    fn offers(&self, code: &str) -> bool {
        self.payment_types.iter().any(|c| c == code)
    }

    /// The page still takes a payment of `payment_type` `code`: not paid yet, within its
    /// limit and offering it.
    fn takes(&self, code: &str, now: DateTime<Utc>) -> bool {
        self.payment_id.is_none() && now <= self.limit && self.offers(code)
    }
}

/// A konbini number issued on the link page.
#[derive(Debug, Clone)]
pub struct IssuedNumber {
    /// The store group's name.
    pub store: String,
    /// `receipt_number`.
    pub receipt_number: String,
    /// The last day to pay.
    pub limit_date: String,
}

fn optional_url<'f>(form: &'f Form, name: &str) -> Result<&'f str, Refusal> {
    let url = fields::optional(form, name, Rule::Text, 256)?.unwrap_or_default();
    if !url.is_empty() && !threeds::is_web_url(url) {
        return Err(Refusal::format(name));
    }
    Ok(url)
}

fn small_number(
    form: &Form,
    name: &str,
    digits: usize,
    range: std::ops::RangeInclusive<u32>,
) -> Result<Option<u32>, Refusal> {
    match fields::optional(form, name, Rule::Digits, digits)? {
        None => Ok(None),
        Some(raw) => {
            let value: u32 = raw.parse().map_err(|_| Refusal::format(name))?;
            if range.contains(&value) {
                Ok(Some(value))
            } else {
                Err(Refusal::invalid(name))
            }
        }
    }
}

/// Check a request and register (or find again) its trade.
fn register(store: &mut Store, form: &Form, now: DateTime<Utc>) -> Result<String, Refusal> {
    let merchant_id = fields::required(form, "seq_merchant_id", Rule::Digits, 9)?;
    let hc = fields::required(form, "hc", Rule::Alnum, 84)?;
    let trading_id = fields::required(form, "trading_id", Rule::Id, 25)?;
    let amount_raw = fields::required(form, "id", Rule::Digits, 9)?;
    let amount: u64 = amount_raw.parse().map_err(|_| Refusal::format("id"))?;
    if amount == 0 {
        return Err(Refusal::zero_amount());
    }
    let payment_types: Vec<String> = match fields::optional(form, "payment_type", Rule::Text, 64)? {
        Some(list) => {
            let codes: Vec<String> = list.split(',').map(str::to_owned).collect();
            if codes.iter().any(|c| !KNOWN_TYPES.contains(&c.as_str())) {
                return Err(Refusal::invalid("payment_type"));
            }
            codes
        }
        None => DEFAULT_TYPES.iter().map(|c| (*c).to_owned()).collect(),
    };
    if let Some(list) = fields::optional(form, "fix_params", Rule::Text, 256)? {
        if list.split(',').any(|name| !FIXABLE.contains(&name)) {
            return Err(Refusal::invalid("fix_params"));
        }
    }
    let term_day = small_number(form, "payment_term_day", 2, 0..=60)?;
    let term_min = small_number(form, "payment_term_min", 4, 5..=2880)?;
    // Days or minutes, never both. §12 notes minutes "exclude ATM/konbini"; the sandbox
    // reads that as "a minute limit is not a number of days" rather than a refusal, since
    // the shop manual offers 支払期間(分指定) for link-type konbini: the konbini number then
    // expires on the day the page does.
    if term_min.is_some() && term_day.is_some() {
        return Err(Refusal::invalid("payment_term_min"));
    }
    let payment_class = fields::flag(form, "payment_class", &["0", "1", "2"])?.unwrap_or("0");
    let asks_cvc = fields::flag(form, "use_card_conf_number", &["0", "1"])? == Some("1");
    fields::optional(form, "customer_id", Rule::Id, 25)?;
    let skips_3ds = fields::flag(form, "threedsecure_ryaku", &["0", "1"])? == Some("1");
    let captures = fields::flag(form, "sales_flg", &["0", "1"])? == Some("1");
    fields::flag(form, "isbtob", &["0", "1"])?;
    fields::flag(form, "stock_card_mode", &["0", "1", "2"])?;
    let finish_disable = fields::flag(form, "finish_disable", &["0", "1"])? == Some("1");
    let site_id = fields::optional(form, "site_id", Rule::Alnum, 4)?.unwrap_or_default();
    let merchant_name = fields::optional(form, "merchant_name", Rule::Text, 64)?;
    let payment_detail = fields::optional(form, "payment_detail", Rule::Text, 24)?;
    fields::optional(form, "payment_detail_kana", Rule::Text, 24)?;
    let free_memo = fields::optional(form, "free_memo", Rule::Text, 256)?;
    let copy_right = fields::optional(form, "copy_right", Rule::Text, 64)?;
    for name in [
        "customer_family_name",
        "customer_name",
        "customer_family_name_kana",
        "customer_name_kana",
    ] {
        fields::optional(form, name, Rule::Text, 12)?;
    }
    fields::optional(form, "company_name", Rule::Text, 100)?;
    optional_url(form, "banner_url")?;
    let return_url = optional_url(form, "return_url")?;
    let stop_return_url = optional_url(form, "stop_return_url")?;
    if finish_disable && return_url.is_empty() {
        return Err(match form.get("return_url") {
            Some(_) => Refusal::empty("return_url"),
            None => Refusal::absent("return_url"),
        });
    }
    let values: Vec<&str> = HASHED
        .iter()
        .map(|name| form.get(name).unwrap_or_default())
        .collect();
    let expected = request_hash(&values, LINK_HASH_KEY);
    if hc.len() < 64 || !hc[..64].eq_ignore_ascii_case(&expected) {
        return Err(Refusal::invalid("hc"));
    }
    let names_card =
        form.filled("payment_type").is_some() && payment_types.iter().any(|c| c == "02");
    if amount > CARD_LIMIT && names_card {
        return Err(Refusal::over_limit());
    }

    if let Some(existing) = store
        .links
        .values()
        .find(|t| t.merchant_id == merchant_id && t.trading_id == trading_id)
    {
        if existing.amount != amount {
            return Err(Refusal::invalid("id"));
        }
        return Ok(existing.tid.clone());
    }
    let limit = match term_min {
        Some(minutes) => now + Duration::minutes(i64::from(minutes)),
        None => {
            let day = now.with_timezone(&japan()).date_naive()
                + Duration::days(i64::from(term_day.unwrap_or(5)));
            let end = day.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
            japan()
                .from_local_datetime(&end)
                .single()
                .map_or(now, |at| at.with_timezone(&Utc))
        }
    };
    let tid = store.random_hex(32);
    store.links.insert(
        tid.clone(),
        LinkTrade {
            tid: tid.clone(),
            merchant_id: merchant_id.to_owned(),
            site_id: site_id.to_owned(),
            trading_id: trading_id.to_owned(),
            amount,
            payment_types,
            merchant_name: merchant_name.unwrap_or_default().to_owned(),
            payment_detail: payment_detail.unwrap_or("お支払い一式").to_owned(),
            free_memo: free_memo.unwrap_or_default().to_owned(),
            copy_right: copy_right.unwrap_or_default().to_owned(),
            payment_class: payment_class.to_owned(),
            asks_cvc,
            skips_3ds,
            captures,
            return_url: return_url.to_owned(),
            stop_return_url: stop_return_url.to_owned(),
            finish_disable,
            created: now,
            limit,
            payment_id: None,
            message: None,
            pending: None,
            customer_name: (
                form.get("customer_family_name")
                    .unwrap_or_default()
                    .to_owned(),
                form.get("customer_name").unwrap_or_default().to_owned(),
            ),
            konbini: None,
        },
    );
    Ok(tid)
}

/// The page's address below `base`.
pub fn page_url(base: &str, tid: &str) -> String {
    format!("{base}/linktype/top?tid={tid}")
}

/// `(encoding, own path)` of the two request paths.
fn charset_of(utf8: bool) -> (&'static Encoding, &'static str) {
    if utf8 {
        (UTF_8, "/v/u/request")
    } else {
        (SHIFT_JIS, "/v/request")
    }
}

/// The Shift_JIS request path (`/v/request`).
pub async fn request_sjis(
    State(sandbox): State<Sandbox>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    request(sandbox, original, headers, query, body, false)
}

/// The UTF-8 request path (`/v/u/request`).
pub async fn request_utf8(
    State(sandbox): State<Sandbox>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    request(sandbox, original, headers, query, body, true)
}

fn request(
    sandbox: Sandbox,
    original: axum::http::Uri,
    headers: HeaderMap,
    query: Option<String>,
    body: Bytes,
    utf8: bool,
) -> Response {
    wake(&sandbox);
    let (encoding, own_path) = charset_of(utf8);
    let form = Form::decode_both(query.unwrap_or_default().as_bytes(), &body, encoding);
    let base = base_url(&headers, &original, own_path);
    let url_mode = form.get("isbtob") == Some("1");
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    let registered = register(&mut store, &form, now);
    let trading_id = form.get("trading_id").unwrap_or_default().to_owned();
    match (registered, url_mode) {
        (Ok(tid), true) => {
            let Some(trade) = store.links.get(&tid) else {
                return url_mode_answer(Items::failure("E001", "システムエラー"), encoding);
            };
            tracing::info!(trading_id, "paygent sandbox link request accepted");
            let mut items = Items::success();
            items.push("url", page_url(&base, &tid));
            items.push("trading_id", trade.trading_id.clone());
            items.push("payment_type", trade.payment_types.join(","));
            items.push("limit_date", stamp(trade.limit));
            items.push("trade_generation_date", stamp(trade.created));
            url_mode_answer(items, encoding)
        }
        (Ok(tid), false) => {
            tracing::info!(trading_id, "paygent sandbox link request accepted");
            match store.links.get_mut(&tid) {
                Some(trade) => {
                    let (name, context) = page::render(trade, &base, now, encoding.name());
                    trade.message = None;
                    pages::html_in(StatusCode::OK, name, context, encoding)
                }
                None => pages::html_in(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "paygent/message.html",
                    context! { title => "エラー", message => "システムエラーが発生しました。", charset => encoding.name() },
                    encoding,
                ),
            }
        }
        (Err(refusal), true) => {
            tracing::info!(
                trading_id,
                code = refusal.code,
                "paygent sandbox link request refused"
            );
            let mut items = Items::failure(refusal.code, &refusal.detail);
            for name in [
                "url",
                "trading_id",
                "payment_type",
                "limit_date",
                "trade_generation_date",
            ] {
                items.push(
                    name,
                    if name == "trading_id" {
                        trading_id.clone()
                    } else {
                        String::new()
                    },
                );
            }
            url_mode_answer(items, encoding)
        }
        (Err(refusal), false) => {
            tracing::info!(
                trading_id,
                code = refusal.code,
                "paygent sandbox link request refused"
            );
            pages::html_in(
                StatusCode::OK,
                "paygent/link_error.html",
                context! { code => refusal.code, detail => refusal.detail, charset => encoding.name() },
                encoding,
            )
        }
    }
}

fn url_mode_answer(items: Items, encoding: &'static Encoding) -> Response {
    super::wire::Encoded {
        reply: super::wire::Reply::Items(items),
        encoding,
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_hash_matches_the_spec_vectors() {
        let hashkit = [
            "444444",
            "01,02,03",
            "customer_family_name",
            "1000",
            "999999",
            "5",
            "",
            "1",
            "0",
            "cust001",
            "",
        ];
        assert_eq!(
            request_hash(&hashkit, "abc123"),
            "8e59c25df491f2f42d1c8b11196d6b33397055560d893134cfb5a6e2b863d439"
        );
        let link = [
            "TRD123", "01,02,03", "", "1500", "1000070", "", "", "1", "", "", "",
        ];
        assert_eq!(
            request_hash(&link, "abcdefg1234567"),
            "1b365907c9d51d9e92d875a00eb20fd5b21e53c799dc2d0e818ad0c748a36c66"
        );
    }
}
