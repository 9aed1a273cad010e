//! Paygent's module-type transport on the wire (spec §2.1, §2.2, §5, §6.5 CSV, §6.6 JSON).
//!
//! Requests are `application/x-www-form-urlencoded` whose percent-escapes stand for
//! Shift_JIS (CP932) bytes; the charset is never taken from a header because Paygent's own
//! PHP module sends a malformed one (§2.2). Parameters in the query string are read too
//! (§2.2, the Ruby wrappers). Responses are plain CP932 text, one `name=value` item per CRLF
//! line, not percent-encoded; an item whose name ends in `_html` goes last because the
//! client treats every following line as part of it. Kind 027 answers in quoted CSV.
//! Kinds on the UTF-8 list of §2.1 are decoded and answered in UTF-8.

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use encoding_rs::{Encoding, SHIFT_JIS, UTF_8};
use serde::Serialize;

use crate::form::{self, Form};

/// Kinds whose telegrams are UTF-8 rather than CP932 (§2.1).
const UTF8_KINDS: &[&str] = &[
    "098", "380", "410", "411", "412", "413", "414", "415", "416", "417", "418", "450",
];

/// The character set a telegram kind uses in both directions.
pub fn charset(kind: &str) -> &'static Encoding {
    if UTF8_KINDS.contains(&kind) {
        UTF_8
    } else {
        SHIFT_JIS
    }
}

/// Decode a telegram's query string and body (the body wins), choosing the charset from
/// the raw `telegram_kind`.
pub fn decode_telegram(query: &[u8], body: &[u8]) -> Form {
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = form::pairs(query).chain(form::pairs(body)).collect();
    let kind = pairs
        .iter()
        .rev()
        .find(|(name, _)| name == b"telegram_kind")
        .map(|(_, value)| String::from_utf8_lossy(value).into_owned())
        .unwrap_or_default();
    Form::from_pairs(pairs, charset(&kind))
}

/// A `key=value` response under construction, in the order items are pushed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Items(Vec<(&'static str, String)>);

impl Items {
    /// `result=0` with empty `response_code` / `response_detail` (§5).
    pub fn success() -> Self {
        let mut items = Self::default();
        items.push("result", "0");
        items.push("response_code", "");
        items.push("response_detail", "");
        items
    }

    /// `result=1` with the given code and detail (§5).
    pub fn failure(code: &str, detail: &str) -> Self {
        let mut items = Self::default();
        items.push("result", "1");
        items.push("response_code", code);
        items.push("response_detail", detail);
        items
    }

    /// Append one item.
    pub fn push(&mut self, name: &'static str, value: impl Into<String>) {
        self.0.push((name, value.into()));
    }

    /// The items in order, as name and value.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(name, value)| (*name, value.as_str()))
    }

    /// The response text: CRLF-separated lines, `_html` items last, their HTML verbatim on
    /// the lines after the `name=` line (spec §2.1: the module takes every line after it).
    pub fn render(&self) -> String {
        let (html, plain): (Vec<_>, Vec<_>) =
            self.0.iter().partition(|(name, _)| name.ends_with("_html"));
        plain
            .into_iter()
            .map(|(name, value)| format!("{name}={}", one_line(value)))
            .chain(html.into_iter().map(|(name, value)| match value.as_str() {
                "" => format!("{name}="),
                html => format!("{name}=\r\n{html}"),
            }))
            .collect::<Vec<_>>()
            .join("\r\n")
    }
}

/// Line breaks inside an ordinary value would split it into a bogus item.
fn one_line(value: &str) -> String {
    value.replace(['\r', '\n'], " ")
}

/// Render CSV records with every field double-quoted and `""` escaping a quote (§6.5).
pub fn render_csv(records: &[Vec<String>]) -> String {
    records
        .iter()
        .map(|record| {
            record
                .iter()
                .map(|field| format!("\"{}\"", one_line(field).replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The body of a telegram response in either of Paygent's two formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// CRLF `key=value` items (every kind but 027).
    Items(Items),
    /// CSV records (kind 027).
    Csv(Vec<Vec<String>>),
}

/// A reply encoded in the charset of the telegram kind it answers.
pub struct Encoded {
    /// The reply.
    pub reply: Reply,
    /// Charset of the answered kind.
    pub encoding: &'static Encoding,
}

impl IntoResponse for Encoded {
    fn into_response(self) -> Response {
        let text = match &self.reply {
            Reply::Items(items) => items.render(),
            Reply::Csv(records) => render_csv(records),
        };
        let (bytes, _, _) = self.encoding.encode(&text);
        let content_type = if self.encoding == UTF_8 {
            "text/plain; charset=UTF-8"
        } else {
            "text/plain; charset=Windows-31J"
        };
        ([(CONTENT_TYPE, content_type)], bytes.into_owned()).into_response()
    }
}

/// What the card network tells about the card in a 020 answer (§6.1).
#[derive(Debug, Clone, Default)]
pub struct CardFacts {
    /// `issur_class`: 0 domestic, 1 foreign.
    pub issur_class: String,
    /// `acq_id`.
    pub acq_id: String,
    /// `acq_name` (half-width kana).
    pub acq_name: String,
    /// `issur_name`.
    pub issur_name: String,
    /// `issur_id`.
    pub issur_id: String,
    /// `fingerprint`.
    pub fingerprint: String,
    /// `masked_card_number`.
    pub masked_card_number: String,
    /// `card_valid_term` (MMYY).
    pub card_valid_term: String,
    /// `attempt_kbn` of the EMV 3-D Secure result, empty unless an attempt.
    pub attempt_kbn: String,
}

/// The answer of 020–023 (§6.1, §6.2): one item list, card items empty except on a 020
/// success; `out_acs_html` (3-D Secure 1.0) is always present and empty, and last.
#[derive(Debug, Clone, Default)]
pub struct CardResult {
    /// `payment_id`, empty when none is reported.
    pub payment_id: String,
    /// `trading_id` as the request gave it.
    pub trading_id: String,
    /// Card items, on a successful authorisation.
    pub card: Option<CardFacts>,
}

impl CardResult {
    /// The items after the outcome items of `base`.
    pub fn items(self, mut base: Items) -> Items {
        let card = self.card.unwrap_or_default();
        base.push("payment_id", self.payment_id);
        base.push("trading_id", self.trading_id);
        base.push("issur_class", card.issur_class);
        base.push("acq_id", card.acq_id);
        base.push("acq_name", card.acq_name);
        base.push("issur_name", card.issur_name);
        base.push("fc_auth_umu", "");
        base.push("daiko_code", "");
        base.push("card_shu_code", "");
        base.push("k_card_name", "");
        base.push("issur_id", card.issur_id);
        base.push("attempt_kbn", card.attempt_kbn);
        base.push("fingerprint", card.fingerprint);
        base.push("masked_card_number", card.masked_card_number);
        base.push("card_valid_term", card.card_valid_term);
        base.push("out_acs_html", "");
        base
    }
}

/// The answer of 028 / 029 (§6.3).
#[derive(Debug, Clone)]
pub struct AmountChange {
    /// The **new** payment's id.
    pub payment_id: String,
    /// `trading_id`, carried over from the old payment.
    pub trading_id: String,
    /// `base_payment_id`: the replaced payment.
    pub base_payment_id: String,
    /// `reduced_amount`: the new payment's amount.
    pub reduced_amount: String,
}

impl AmountChange {
    /// The items after the outcome items of `base`.
    pub fn items(self, mut base: Items) -> Items {
        base.push("payment_id", self.payment_id);
        base.push("trading_id", self.trading_id);
        base.push("base_payment_id", self.base_payment_id);
        base.push("reduced_amount", self.reduced_amount);
        base
    }
}

/// The card payment items of 094 (§6.10, common and card parts).
#[derive(Debug, Clone, Default)]
pub struct PaymentRef {
    /// `payment_id`.
    pub payment_id: String,
    /// `trading_id`.
    pub trading_id: String,
    /// `site_id`.
    pub site_id: String,
    /// `payment_status` (§10).
    pub payment_status: String,
    /// `payment_amount`.
    pub payment_amount: String,
    /// `payment_init_date`.
    pub payment_init_date: String,
    /// `authorized_date`.
    pub authorized_date: String,
    /// `cancel_date`.
    pub cancel_date: String,
    /// `payment_date` (capture).
    pub payment_date: String,
    /// `acq_id`.
    pub acq_id: String,
    /// `acq_name`.
    pub acq_name: String,
    /// `payment_class`.
    pub payment_class: String,
    /// `split_count`.
    pub split_count: String,
    /// `issur_code`.
    pub issur_code: String,
    /// `issur_name`.
    pub issur_name: String,
    /// `3dsecure_ryaku`.
    pub three_d_secure_ryaku: String,
    /// `attempt_kbn`.
    pub attempt_kbn: String,
    /// `3dsecure_message_version`: `2.2.0` after EMV 3-D Secure, else empty.
    pub three_d_secure_message_version: String,
    /// `authrized_number` (sic): approval number.
    pub authrized_number: String,
    /// `fingerprint`.
    pub fingerprint: String,
    /// `masked_card_number`.
    pub masked_card_number: String,
    /// `card_valid_term`.
    pub card_valid_term: String,
    /// `customer_id` of a stored card.
    pub customer_id: String,
    /// `customer_card_id` of a stored card.
    pub customer_card_id: String,
}

impl PaymentRef {
    /// The items after the outcome items of `base`.
    pub fn items(self, mut base: Items) -> Items {
        base.push("payment_id", self.payment_id);
        base.push("trading_id", self.trading_id);
        base.push("payment_type", "02");
        base.push("site_id", self.site_id);
        base.push("payment_status", self.payment_status);
        base.push("payment_amount", self.payment_amount);
        base.push("payment_init_date", self.payment_init_date);
        base.push("authorized_date", self.authorized_date);
        base.push("cancel_date", self.cancel_date);
        base.push("payment_date", self.payment_date);
        base.push("acq_id", self.acq_id);
        base.push("acq_name", self.acq_name);
        base.push("joho_code", "000");
        base.push("joho_issur_type", "");
        base.push("payment_class", self.payment_class);
        base.push("summer_bonus", "");
        base.push("winter_bonus", "");
        base.push("split_count", self.split_count);
        base.push("issur_code", self.issur_code);
        base.push("issur_name", self.issur_name);
        base.push("3dsecure_ryaku", self.three_d_secure_ryaku);
        base.push("attempt_kbn", self.attempt_kbn);
        base.push("authrized_number", self.authrized_number);
        base.push("receipt_number", "");
        base.push("currency_code", "");
        base.push("sales_convert_amount", "");
        base.push("cancel_convert_amount", "");
        base.push("running_id", "");
        base.push("fingerprint", self.fingerprint);
        base.push("masked_card_number", self.masked_card_number);
        base.push("card_valid_term", self.card_valid_term);
        base.push("customer_id", self.customer_id);
        base.push("customer_card_id", self.customer_card_id);
        base.push(
            "3dsecure_message_version",
            self.three_d_secure_message_version,
        );
        base
    }
}

/// One 091 difference record (§7 items 6–22, 23–38, 44, 74–76, and Paidy's extras of
/// §6.11). The "on request" card extras are present and empty: the sandbox merchant did
/// not ask for them.
#[derive(Debug, Clone, Default)]
pub struct NoticeRecord {
    /// `payment_notice_id`.
    pub payment_notice_id: String,
    /// `change_date`.
    pub change_date: String,
    /// `payment_id`.
    pub payment_id: String,
    /// `trading_id`.
    pub trading_id: String,
    /// `payment_type`.
    pub payment_type: String,
    /// `payment_status`.
    pub payment_status: String,
    /// `payment_amount`.
    pub payment_amount: String,
    /// `payment_init_date`.
    pub payment_init_date: String,
    /// `payment_limit_date` (ATM, konbini).
    pub payment_limit_date: String,
    /// `early_notice_date` (konbini 43).
    pub early_notice_date: String,
    /// `cancel_date`.
    pub cancel_date: String,
    /// `user_payment_date`: when the buyer paid (ATM, konbini, bank net).
    pub user_payment_date: String,
    /// `payment_date`.
    pub payment_date: String,
    /// `bank_code` (ATM, bank net).
    pub bank_code: String,
    /// `cvs_company_id`: the store the buyer paid at (konbini).
    pub cvs_company_id: String,
    /// `site_id`.
    pub site_id: String,
    /// `customer_id`.
    pub customer_id: String,
    /// `customer_card_id`.
    pub customer_card_id: String,
    /// `fingerprint`.
    pub fingerprint: String,
    /// Items only the payment's method adds (Paidy's `paidy_payment_id`, `event`, …).
    pub extra: Vec<(&'static str, String)>,
}

impl NoticeRecord {
    /// The record's items after `base` (which holds the outcome and success items).
    pub fn items(self, mut base: Items) -> Items {
        base.push("payment_notice_id", self.payment_notice_id);
        base.push("change_date", self.change_date);
        base.push("payment_id", self.payment_id);
        base.push("trading_id", self.trading_id);
        base.push("payment_type", self.payment_type);
        base.push("payment_status", self.payment_status);
        base.push("payment_amount", self.payment_amount);
        base.push("payment_init_date", self.payment_init_date);
        base.push("payment_limit_date", self.payment_limit_date);
        base.push("early_notice_date", self.early_notice_date);
        base.push("cancel_date", self.cancel_date);
        base.push("user_payment_date", self.user_payment_date);
        base.push("payment_date", self.payment_date);
        base.push("bank_code", self.bank_code);
        base.push("cvs_company_id", self.cvs_company_id);
        base.push("related_payment_id", "");
        base.push("bar_code", "");
        for name in [
            "acq_id",
            "acq_name",
            "joho_code",
            "joho_issur_type",
            "payment_class",
            "summer_bonus",
            "winter_bonus",
            "split_count",
            "issur_code",
            "issur_name",
            "3dsecure_ryaku",
            "fc_auth_nmu",
            "daiko_code",
            "card_shu_code",
            "k_card_name",
            "attempt_kbn",
        ] {
            base.push(name, "");
        }
        base.push("site_id", self.site_id);
        base.push("customer_id", self.customer_id);
        base.push("customer_card_id", self.customer_card_id);
        base.push("fingerprint", self.fingerprint);
        for (name, value) in self.extra {
            base.push(name, value);
        }
        base
    }
}

/// The answer of 025 (§6.5).
#[derive(Debug, Clone, Default)]
pub struct StoredCardSet {
    /// `num_of_cards` after registering.
    pub num_of_cards: String,
    /// `customer_card_id` issued.
    pub customer_card_id: String,
    /// Issuer items, filled only with `valid_check_flg=1`: `issur_id`.
    pub issur_id: String,
    /// `issur_name`.
    pub issur_name: String,
    /// `acq_id`.
    pub acq_id: String,
    /// `acq_name`.
    pub acq_name: String,
    /// `fingerprint`.
    pub fingerprint: String,
    /// `masked_card_number`.
    pub masked_card_number: String,
    /// `card_valid_term`.
    pub card_valid_term: String,
    /// `cardholder_name`.
    pub cardholder_name: String,
}

impl StoredCardSet {
    /// The items after the outcome items of `base`.
    pub fn items(self, mut base: Items) -> Items {
        base.push("num_of_cards", self.num_of_cards);
        base.push("customer_card_id", self.customer_card_id);
        base.push("issur_id", self.issur_id);
        base.push("issur_name", self.issur_name);
        base.push("acq_id", self.acq_id);
        base.push("acq_name", self.acq_name);
        base.push("fingerprint", self.fingerprint);
        base.push("masked_card_number", self.masked_card_number);
        base.push("card_valid_term", self.card_valid_term);
        base.push("cardholder_name", self.cardholder_name);
        base
    }
}

/// One data row of the 027 CSV (§6.5), in column order.
#[derive(Debug, Clone, Default)]
pub struct StoredCardRow {
    /// `customer_id`.
    pub customer_id: String,
    /// `customer_card_id`.
    pub customer_card_id: String,
    /// `card_number`, masked.
    pub card_number: String,
    /// `card_valid_term`.
    pub card_valid_term: String,
    /// `card_last_use_date` (`YYYYMMDDHHMI`).
    pub card_last_use_date: String,
    /// `card_brand`.
    pub card_brand: String,
    /// `cardholder_name`.
    pub cardholder_name: String,
    /// `add_info1`–`add_info4`.
    pub add_info: [String; 4],
    /// `card_expire_flag`: 1 once the expiry month has passed.
    pub card_expire_flag: String,
    /// `valid_check_result`, for cards stored with a validity check.
    pub valid_check_result: String,
    /// `valid_update_cd`.
    pub valid_update_cd: String,
    /// `valid_check_date`.
    pub valid_check_date: String,
    /// `issur_name`.
    pub issur_name: String,
    /// `fingerprint`, only when `return_fingerprint_flg=1`.
    pub fingerprint: Option<String>,
}

/// Column names of the 027 data rows; `fingerprint` is appended when requested.
pub const STORED_CARD_COLUMNS: &[&str] = &[
    "customer_id",
    "customer_card_id",
    "card_number",
    "card_valid_term",
    "card_last_use_date",
    "card_brand",
    "cardholder_name",
    "add_info1",
    "add_info2",
    "add_info3",
    "add_info4",
    "card_expire_flag",
    "valid_check_result",
    "valid_update_cd",
    "valid_check_date",
    "issur_name",
];

/// The 027 CSV (§6.5): header record `"1"`, column names `"2"`, rows `"3"`, trailer `"4"`.
pub fn stored_card_csv(rows: Vec<StoredCardRow>, with_fingerprint: bool) -> Vec<Vec<String>> {
    let mut records = vec![vec!["1".into(), "0".into(), String::new(), String::new()]];
    let mut names: Vec<String> = std::iter::once("2")
        .chain(STORED_CARD_COLUMNS.iter().copied())
        .map(String::from)
        .collect();
    if with_fingerprint {
        names.push("fingerprint".into());
    }
    records.push(names);
    let count = rows.len();
    for row in rows {
        let [a1, a2, a3, a4] = row.add_info;
        let mut record = vec![
            "3".into(),
            row.customer_id,
            row.customer_card_id,
            row.card_number,
            row.card_valid_term,
            row.card_last_use_date,
            row.card_brand,
            row.cardholder_name,
            a1,
            a2,
            a3,
            a4,
            row.card_expire_flag,
            row.valid_check_result,
            row.valid_update_cd,
            row.valid_check_date,
            row.issur_name,
        ];
        if with_fingerprint {
            record.push(row.fingerprint.unwrap_or_default());
        }
        records.push(record);
    }
    records.push(vec!["4".into(), count.to_string()]);
    records
}

/// The 027 CSV of a refused inquiry: header record with the error, then an empty trailer.
pub fn stored_card_csv_error(code: &str, detail: &str) -> Vec<Vec<String>> {
    vec![
        vec!["1".into(), "1".into(), code.into(), detail.into()],
        vec!["4".into(), "0".into()],
    ]
}

/// The token API's JSON answer (§6.6).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// `0000` on success, otherwise one of the §6.6 result codes.
    pub result: String,
    /// The token and what the shop may show of the card; absent on failure.
    #[serde(
        rename = "tokenizedCardObject",
        skip_serializing_if = "Option::is_none"
    )]
    pub tokenized_card_object: Option<TokenizedCard>,
    /// SHA-256 tamper check over the token fields and the token receipt hash key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hc: Option<String>,
}

/// `tokenizedCardObject` of the token API (§6.6).
#[derive(Debug, Serialize)]
pub struct TokenizedCard {
    /// The token to put in `card_token`.
    pub token: String,
    /// `*` for every digit but the last four.
    pub masked_card_number: String,
    /// `YYYYMMDDHHmmss`, Japan time.
    pub valid_until: String,
    /// Stable per card number.
    pub fingerprint: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_items_go_last_and_keep_their_line_breaks() {
        let mut items = Items::success();
        items.push("out_acs_html", "<html>\r\n<body></body>\r\n</html>");
        items.push("payment_id", "12\r\n3");
        assert_eq!(
            items.render(),
            "result=0\r\nresponse_code=\r\nresponse_detail=\r\npayment_id=12  3\r\n\
             out_acs_html=\r\n<html>\r\n<body></body>\r\n</html>"
        );
    }

    #[test]
    fn csv_fields_are_quoted_and_quotes_doubled() {
        let records = vec![
            vec!["1".to_owned(), "a\"b".to_owned()],
            vec!["4".to_owned()],
        ];
        assert_eq!(render_csv(&records), "\"1\",\"a\"\"b\"\r\n\"4\"");
    }

    #[test]
    fn shift_jis_percent_escapes_decode_and_plus_is_a_space() {
        // "テスト" in CP932 is 83 65 83 58 83 67.
        let form = decode_telegram(
            b"trading_id=T1",
            b"telegram_kind=025&add_info1=%83e%83X%83g&x=a+b",
        );
        assert_eq!(form.get("add_info1"), Some("テスト"));
        assert_eq!(form.get("x"), Some("a b"));
        assert_eq!(form.get("trading_id"), Some("T1"));
        assert_eq!(form.filled("missing"), None);
    }

    #[test]
    fn utf8_kinds_decode_as_utf8() {
        let form = decode_telegram(b"", b"telegram_kind=450&n=%E3%83%86");
        assert_eq!(form.get("n"), Some("テ"));
    }
}
