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

use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, RawQuery, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use encoding_rs::{Encoding, SHIFT_JIS, UTF_8};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::fields::{self, Rule};
use super::merchant::LINK_HASH_KEY;
use super::refusal::Refusal;
use super::status::Status;
use super::store::{self, japan, sha256_hex, stamp, Card, Method, Payment, Store};
use super::testcard::{self, Verdict};
use super::threeds::{self, Authentication, CardRef, Decision, Outcome, Return, State3ds};
use super::wire::{Form, Items};
use super::{base_url, konbini, pages, wake, Sandbox};

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
/// Instalment counts offered on the card form.
const SPLIT_COUNTS: &[&str] = &["3", "5", "6", "10", "12", "15", "18", "20", "24"];
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

/// `payment_class` choices of the card form for the request's `payment_class`.
fn class_choices(class: &str) -> Vec<(&'static str, &'static str)> {
    let all = [
        ("10", "一括払い"),
        ("23", "ボーナス一括払い"),
        ("61", "分割払い"),
        ("80", "リボルビング払い"),
    ];
    all.into_iter()
        .filter(|(code, _)| match class {
            "1" => true,
            "2" => *code != "23",
            _ => *code == "10",
        })
        .collect()
}

fn method_name(code: &str) -> &'static str {
    match code {
        "01" => "ATM決済（ペイジー）",
        "02" => "クレジットカード決済",
        "03" => "コンビニ決済（番号方式）",
        "04" => "コンビニ決済（払込票方式）",
        "05" => "銀行ネット決済",
        "06" => "携帯キャリア決済",
        "07" => "仮想口座決済",
        "11" => "電子マネー決済",
        "15" => "後払い決済",
        "16" => "口座振替",
        "17" => "楽天ペイ",
        "19" => "銀聯ネット決済",
        "20" => "Alipay国際決済",
        "21" => "Apple Pay",
        "22" => "Paidy",
        "23" => "Google Pay",
        "26" => "PayPay",
        _ => "その他の決済",
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// Render the page of `trade` as it stands: payment form, completion, or expiry.
fn page(
    trade: &LinkTrade,
    base: &str,
    now: DateTime<Utc>,
    charset: &str,
) -> (&'static str, minijinja::Value) {
    let summary = context! {
        charset => charset,
        merchant_name => trade.merchant_name.clone(),
        payment_detail => trade.payment_detail.clone(),
        trading_id => trade.trading_id.clone(),
        amount => threeds::group_thousands(trade.amount),
        free_memo => trade.free_memo.clone(),
        copy_right => trade.copy_right.clone(),
        return_url => trade.return_url.clone(),
        stop_return_url => trade.stop_return_url.clone(),
        limit => trade.limit.with_timezone(&japan()).format("%Y年%m月%d日 %H:%M").to_string(),
    };
    if let Some(payment_id) = trade.payment_id {
        let konbini = trade.konbini.as_ref().map(|k| {
            context! { store => k.store.clone(), receipt_number => k.receipt_number.clone(), limit_date => k.limit_date.clone() }
        });
        return (
            "paygent/link_done.html",
            context! { payment_id => payment_id.to_string(), konbini, ..summary },
        );
    }
    if now > trade.limit {
        return ("paygent/link_expired.html", summary);
    }
    let this_year = now.with_timezone(&japan()).year();
    let years: Vec<Choice> = (this_year..=this_year + 20)
        .map(|year| Choice {
            value: format!("{:02}", year % 100),
            label: year.to_string(),
        })
        .collect();
    let months: Vec<String> = (1..=12).map(|m| format!("{m:02}")).collect();
    let classes: Vec<Choice> = class_choices(&trade.payment_class)
        .into_iter()
        .map(|(value, label)| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
        })
        .collect();
    let stores: Vec<Choice> = konbini::choices()
        .into_iter()
        .map(|(value, label)| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
        })
        .collect();
    let others: Vec<&str> = trade
        .payment_types
        .iter()
        .filter(|code| !matches!(code.as_str(), "02" | "03"))
        .map(|code| method_name(code))
        .collect();
    (
        "paygent/link_top.html",
        context! {
            action => format!("{base}/linktype/card"),
            tid => trade.tid.clone(),
            card => trade.offers("02"),
            konbini => trade.offers("03"),
            konbini_action => format!("{base}/linktype/konbini"),
            stores,
            family_name => trade.customer_name.0.clone(),
            given_name => trade.customer_name.1.clone(),
            asks_cvc => trade.asks_cvc,
            three_ds => !trade.skips_3ds,
            message => trade.message.clone().unwrap_or_default(),
            years => years,
            months => months,
            classes => classes,
            split_counts => SPLIT_COUNTS,
            others => others,
            ..summary
        },
    )
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
                    let (name, context) = page(trade, &base, now, encoding.name());
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

/// Query of the payment page.
#[derive(Debug, Deserialize)]
pub struct TopQuery {
    #[serde(default)]
    tid: String,
}

fn unknown_trade() -> Response {
    pages::html(
        StatusCode::NOT_FOUND,
        "paygent/message.html",
        context! { title => "お支払い", message => "お支払い情報が見つかりません。ショップからやり直してください。" },
    )
}

/// `GET /linktype/top?tid=…`: the payment page.
pub async fn top(
    State(sandbox): State<Sandbox>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    Query(query): Query<TopQuery>,
) -> Response {
    wake(&sandbox);
    let base = base_url(&headers, &original, "/linktype/top");
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    let Some(trade) = store.links.get_mut(&query.tid) else {
        return unknown_trade();
    };
    let (name, context) = page(trade, &base, now, "UTF-8");
    trade.message = None;
    pages::html(StatusCode::OK, name, context)
}

fn see_other(location: String) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response()
}

/// What the buyer typed, checked; a message for the page otherwise.
fn typed_card(
    form: &Form,
    trade: &LinkTrade,
    now: DateTime<Utc>,
) -> Result<PendingCard, &'static str> {
    let number: String = form
        .get("card_number")
        .unwrap_or_default()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    if !(14..=16).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err("カード番号は14〜16桁の数字で入力してください。");
    }
    let term = format!(
        "{}{}",
        form.get("expire_month").unwrap_or_default(),
        form.get("expire_year").unwrap_or_default()
    );
    let Some((month, year)) = store::parse_valid_term(&term) else {
        return Err("有効期限を選択してください。");
    };
    let today = now.with_timezone(&japan()).date_naive();
    let ahead = (year - today.year()) * 12 + i32::try_from(month).unwrap_or(0)
        - i32::try_from(today.month()).unwrap_or(0);
    if !(0..240).contains(&ahead) {
        return Err("有効期限が正しくありません。");
    }
    let cvc = form.filled("security_code").map(str::to_owned);
    if trade.asks_cvc {
        match &cvc {
            Some(code)
                if (3..=4).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) => {}
            _ => return Err("セキュリティコードは3〜4桁の数字で入力してください。"),
        }
    }
    let holder = form.get("card_name").unwrap_or_default().trim().to_owned();
    let holder_ok = (2..=45).contains(&holder.len())
        && holder
            .chars()
            .all(|c| c.is_ascii_alphabetic() || " .-'".contains(c));
    if !holder_ok {
        return Err("カード名義は半角英字で入力してください（例: TARO YAMADA）。");
    }
    let class = form.get("payment_class").unwrap_or("10");
    if !class_choices(&trade.payment_class)
        .iter()
        .any(|(code, _)| *code == class)
    {
        return Err("お支払い方法を選択してください。");
    }
    let split_count = if class == "61" {
        match form.get("split_count") {
            Some(count) if SPLIT_COUNTS.contains(&count) => count.to_owned(),
            _ => return Err("分割回数を選択してください。"),
        }
    } else {
        String::new()
    };
    Ok(PendingCard {
        card: Card {
            number,
            valid_term: term,
            cvc,
            holder: holder.to_ascii_uppercase(),
        },
        payment_class: class.to_owned(),
        split_count,
    })
}

/// Authorise `pending` for the trade `tid` and return where the buyer goes next.
fn pay(
    store: &mut Store,
    tid: &str,
    pending: PendingCard,
    attempt_kbn: Option<&'static str>,
    base: &str,
    now: DateTime<Utc>,
) -> String {
    let Some(trade) = store.links.get(tid).cloned() else {
        return page_url(base, tid);
    };
    let message = match testcard::authorise(&pending.card.number) {
        Verdict::Approved => None,
        Verdict::Refused(refusal) => Some(format!(
            "カード会社で承認されませんでした（{} {}）。別のカードでお試しください。",
            refusal.code, refusal.detail
        )),
        Verdict::Timeout => Some(
            "カード会社との通信がタイムアウトしました（2008）。もう一度お試しください。".to_owned(),
        ),
    };
    if let Some(message) = message {
        if let Some(trade) = store.links.get_mut(tid) {
            trade.message = Some(message);
        }
        return page_url(base, tid);
    }
    let id = store.next_payment_id();
    let mut payment = Payment::new(
        id,
        &trade.trading_id,
        &trade.site_id,
        trade.amount,
        Method::Card(pending.card),
        now,
    );
    payment.payment_class = pending.payment_class;
    payment.split_count = pending.split_count;
    payment.attempts = 1;
    payment.three_d_secure_skipped = if attempt_kbn.is_some() { "0" } else { "1" }.to_owned();
    payment.attempt_kbn = attempt_kbn.unwrap_or_default().to_owned();
    let to = if trade.captures {
        Status::Captured
    } else {
        Status::Authorized
    };
    let merchant = store.merchant(&trade.merchant_id);
    payment.move_to(to, now, &mut merchant.notices);
    merchant.payments.insert(id, payment);
    tracing::info!(trading_id = %trade.trading_id, payment_id = id, "paygent sandbox link payment made");
    if let Some(trade) = store.links.get_mut(tid) {
        trade.payment_id = Some(id);
        trade.message = None;
    }
    if trade.finish_disable && !trade.return_url.is_empty() {
        trade.return_url
    } else {
        page_url(base, tid)
    }
}

/// `POST /linktype/card`: the buyer's card, then 3-D Secure and the authorisation.
pub async fn card(
    State(sandbox): State<Sandbox>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    wake(&sandbox);
    let base = base_url(&headers, &original, "/linktype/card");
    let form = Form::decode_with(&body, UTF_8);
    let tid = form.get("tid").unwrap_or_default().to_owned();
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    let Some(trade) = store.links.get_mut(&tid) else {
        return unknown_trade();
    };
    if !trade.takes("02", now) {
        return see_other(page_url(&base, &tid));
    }
    let pending = match typed_card(&form, trade, now) {
        Ok(pending) => pending,
        Err(message) => {
            trade.message = Some(message.to_owned());
            return see_other(page_url(&base, &tid));
        }
    };
    if trade.skips_3ds {
        return see_other(pay(&mut store, &tid, pending, None, &base, now));
    }
    let brand = testcard::brand(&pending.card.number);
    match threeds::decide(brand, trade.amount, &pending.card.holder) {
        Decision::Unsupported => {
            trade.message = Some(
                "このカードは3Dセキュアに対応していないため、ご利用いただけません（31012）。"
                    .to_owned(),
            );
            see_other(page_url(&base, &tid))
        }
        Decision::Frictionless(outcome) => match outcome {
            Outcome::Authenticated | Outcome::Attempt(_) => {
                let kbn = outcome.attempt_kbn();
                see_other(pay(&mut store, &tid, pending, Some(kbn), &base, now))
            }
            Outcome::Failed | Outcome::TimedOut => {
                trade.message = Some(failed_3ds(outcome));
                see_other(page_url(&base, &tid))
            }
        },
        Decision::Challenge => {
            let auth = Authentication {
                id: String::new(),
                merchant_id: trade.merchant_id.clone(),
                site_id: trade.site_id.clone(),
                merchant_name: trade.merchant_name.clone(),
                amount: trade.amount,
                card: pending.card.clone(),
                card_ref: CardRef::Link,
                goes_to: Return::Link(tid.clone()),
                state: State3ds::Challenge,
                created: now,
            };
            trade.pending = Some(pending);
            let id = threeds::begin(&mut store, auth);
            see_other(threeds::challenge_url(&base, &id))
        }
    }
}

/// `POST /linktype/konbini`: the buyer's store, name and phone; the number is issued.
pub async fn konbini(
    State(sandbox): State<Sandbox>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    wake(&sandbox);
    let base = base_url(&headers, &original, "/linktype/konbini");
    let form = Form::decode_with(&body, UTF_8);
    let tid = form.get("tid").unwrap_or_default().to_owned();
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    let Some(trade) = store.links.get_mut(&tid) else {
        return unknown_trade();
    };
    if !trade.takes("03", now) {
        return see_other(page_url(&base, &tid));
    }
    let typed = (|| {
        let group = form
            .get("cvs_company_id")
            .and_then(konbini::group_of_choice)
            .ok_or("お支払いになるコンビニを選択してください。")?;
        let name = |field: &str| -> Result<String, &'static str> {
            let value = form.get(field).unwrap_or_default().trim();
            let bytes = SHIFT_JIS.encode(value).0.len();
            let full_width = value.chars().all(|c| {
                let mut buf = [0u8; 4];
                SHIFT_JIS.encode(c.encode_utf8(&mut buf)).0.len() == 2
            });
            if value.is_empty() || bytes > 20 || !full_width {
                return Err("お名前（姓・名）を全角10文字以内で入力してください。");
            }
            Ok(value.to_owned())
        };
        let tel: String = form
            .get("customer_tel")
            .unwrap_or_default()
            .chars()
            .filter(|c| *c != '-')
            .collect();
        if !(10..=11).contains(&tel.len()) || !tel.bytes().all(|b| b.is_ascii_digit()) {
            return Err("電話番号を10〜11桁の数字で入力してください。");
        }
        Ok((
            group,
            (name("customer_family_name")?, name("customer_name")?),
            tel,
        ))
    })();
    let (group, customer_name, tel) = match typed {
        Ok(typed) => typed,
        Err(message) => {
            trade.message = Some(message.to_owned());
            return see_other(page_url(&base, &tid));
        }
    };
    let trade = trade.clone();
    let today = now.with_timezone(&japan()).date_naive();
    let limit_day = trade.limit.with_timezone(&japan()).date_naive();
    let days = u32::try_from((limit_day - today).num_days()).unwrap_or(0);
    let application = konbini::Application {
        group,
        name: customer_name,
        tel,
        days,
    };
    let owner = konbini::Trade {
        merchant_id: &trade.merchant_id,
        trading_id: &trade.trading_id,
        site_id: &trade.site_id,
        amount: trade.amount,
    };
    let issued = konbini::issue(&mut store, owner, application, &base, now);
    let Some(trade) = store.links.get_mut(&tid) else {
        return unknown_trade();
    };
    match issued {
        Ok(payment) => {
            if let Method::Konbini(k) = &payment.method {
                trade.konbini = Some(IssuedNumber {
                    store: konbini::group_name(group).to_owned(),
                    receipt_number: k.receipt_number.clone(),
                    limit_date: k.limit_date.format("%Y年%m月%d日").to_string(),
                });
            }
            trade.payment_id = Some(payment.id);
            trade.message = None;
            tracing::info!(trading_id = %trade.trading_id, payment_id = payment.id, "paygent sandbox link konbini number issued");
        }
        Err(refusal) => {
            trade.message = Some(format!(
                "お支払い番号を発行できませんでした（{} {}）。",
                refusal.code, refusal.detail
            ));
        }
    }
    see_other(page_url(&base, &tid))
}

fn failed_3ds(outcome: Outcome) -> String {
    match outcome {
        Outcome::TimedOut => "本人認証がタイムアウトしました（31013）。もう一度お試しください。",
        Outcome::Authenticated | Outcome::Attempt(_) | Outcome::Failed => {
            "カード会社での本人認証に失敗しました（31007）。別のカードでお試しください。"
        }
    }
    .to_owned()
}

/// After the challenge of a link-type payment: pay on success, and return where the
/// buyer goes next (`base` is the sandbox's address).
pub fn after_challenge(
    store: &mut Store,
    auth: &Authentication,
    tid: &str,
    outcome: Outcome,
    base: &str,
    now: DateTime<Utc>,
) -> String {
    let Some(trade) = store.links.get_mut(tid) else {
        return page_url(base, tid);
    };
    let Some(pending) = trade.pending.take() else {
        return page_url(base, tid);
    };
    if trade.payment_id.is_some() {
        return page_url(base, tid);
    }
    match outcome {
        Outcome::Authenticated | Outcome::Attempt(_) => {
            if let Some(done) = store.threeds.get_mut(&auth.id) {
                done.state = State3ds::Used;
            }
            pay(store, tid, pending, Some(outcome.attempt_kbn()), base, now)
        }
        Outcome::Failed | Outcome::TimedOut => {
            trade.message = Some(failed_3ds(outcome));
            page_url(base, tid)
        }
    }
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

    #[test]
    fn payment_class_limits_the_choices_on_the_card_form() {
        let codes = |class| -> Vec<&str> { class_choices(class).iter().map(|c| c.0).collect() };
        assert_eq!(codes("0"), ["10"]);
        assert_eq!(codes("1"), ["10", "23", "61", "80"]);
        assert_eq!(codes("2"), ["10", "61", "80"]);
    }
}
