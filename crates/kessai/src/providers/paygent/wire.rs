//! Paygent's module-type transport, byte for byte (spec §2.1, §6.5): requests are
//! `application/x-www-form-urlencoded` bodies of Shift_JIS (CP932) bytes; responses are CRLF
//! separated `name=value` lines in CP932, where a `…_html` item takes every remaining line,
//! except the stored-card inquiry (027), which answers in quoted CSV. The EMV 3-D Secure
//! telegram (450) travels in UTF-8 instead.

use std::collections::BTreeMap;

pub use crate::providers::form::{
    cut, decode_form, encode_form, full_width, unmappable_chars, Charset, EncodeError,
};
use crate::providers::form::{decode_text, NotInCharset};
/// Lower-case hex SHA-256 of the concatenated parts, the hash every Paygent check uses.
pub use crate::providers::http::sha256_hex;

/// A response that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the response is not valid Shift_JIS")]
    Charset,
    #[error("response line {0} has no '='")]
    Line(usize),
    #[error("the CSV response is malformed at record {0}")]
    Csv(usize),
}

impl From<NotInCharset> for DecodeError {
    fn from(_: NotInCharset) -> Self {
        DecodeError::Charset
    }
}

/// A decoded `name=value` response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// Every item by name (values verbatim; order is not significant).
    pub items: BTreeMap<String, String>,
}

impl Response {
    /// The value of an item, empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.items.get(name).map(String::as_str).unwrap_or("")
    }
}

/// Decodes a `name=value` response. Blank lines are skipped; a name ending in `_html` takes
/// the rest of the body, line breaks included.
pub fn decode_response(bytes: &[u8], charset: Charset) -> Result<Response, DecodeError> {
    let text = decode_text(bytes, charset)?;
    let mut items = BTreeMap::new();
    let mut offset = 0;
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            continue;
        }
        let (name, value) = line.split_once('=').ok_or(DecodeError::Line(n + 1))?;
        if name.ends_with("_html") {
            // The spec puts the HTML on the lines after `name=`; some answers start it on
            // the same line. Either way the value is the HTML itself.
            let html = &text[start + name.len() + 1..];
            let html = html
                .strip_prefix("\r\n")
                .or_else(|| html.strip_prefix('\n'))
                .unwrap_or(html);
            items.insert(
                name.to_owned(),
                html.trim_end_matches(['\r', '\n']).to_owned(),
            );
            break;
        }
        items.insert(name.to_owned(), value.to_owned());
    }
    Ok(Response { items })
}

/// Decodes a CSV response (027): CRLF records, every field in double quotes, `""` for a quote.
pub fn decode_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, DecodeError> {
    let text = decode_text(bytes, Charset::Cp932)?;
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut touched = false;
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => in_quotes = false,
            ('"', false) if field.is_empty() => {
                in_quotes = true;
                touched = true;
            }
            (',', false) => {
                record.push(std::mem::take(&mut field));
                touched = true;
            }
            ('\r', false) => {}
            ('\n', false) => {
                if touched || !field.is_empty() {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                touched = false;
            }
            (c, _) => {
                if !in_quotes && c == '"' {
                    return Err(DecodeError::Csv(records.len() + 1));
                }
                field.push(c);
                touched = true;
            }
        }
    }
    if in_quotes {
        return Err(DecodeError::Csv(records.len() + 1));
    }
    if touched || !field.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

/// Compares a received hash with the expected one without leaking where they differ.
/// Only the first 64 characters count: Paygent's samples append a random tail (spec §12).
pub fn hash_matches(received: &str, expected: &str) -> bool {
    let received = received.get(..64).unwrap_or(received).to_ascii_lowercase();
    received.len() == expected.len()
        && received
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Hash of a payment notification (spec §8): notice id, payment id, trading id, payment type,
/// amount, then the 差分通知ハッシュ値生成キー.
pub fn notice_hash(
    notice_id: &str,
    payment_id: &str,
    trading_id: &str,
    payment_type: &str,
    amount: &str,
    key: &str,
) -> String {
    sha256_hex(&[notice_id, payment_id, trading_id, payment_type, amount, key])
}

/// Hash of a card token receipt (spec §6.6).
pub fn token_hash(
    token: &str,
    masked_card_number: &str,
    valid_until: &str,
    fingerprint: &str,
    key: &str,
) -> String {
    sha256_hex(&[token, masked_card_number, valid_until, fingerprint, key])
}

/// Hash of an EMV 3-D Secure result (spec §6.4).
pub fn three_ds_hash(result: &str, auth_id: &str, attempt_kbn: &str, key: &str) -> String {
    sha256_hex(&[result, auth_id, attempt_kbn, key])
}

/// The link-type request items that enter its hash, in the hash's order (spec §12).
pub const LINK_HASHED: [&str; 11] = [
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

/// Hash of a link-type request over `items` (absent items contribute nothing).
pub fn link_hash(items: &[(&str, String)], key: &str) -> String {
    let mut parts: Vec<&str> = LINK_HASHED
        .iter()
        .map(|name| {
            items
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        })
        .collect();
    parts.push(key);
    sha256_hex(&parts)
}

// ---------------------------------------------------------------------------------------
// The telegrams' requests and answers, as the client sends and reads them (spec §6).

/// A card authorization (020) with a token.
#[derive(Clone, Debug)]
pub struct Authorize<'a> {
    pub trading_id: &'a str,
    pub amount: i64,
    pub card_token: &'a str,
    /// `10` one-time, `23` bonus, `61` instalments (with `split_count`), `80` revolving.
    pub payment_class: &'a str,
    pub split_count: Option<u8>,
    /// Authorize and capture in one step (同時売上モード 売上).
    pub capture: bool,
    /// 3-D Secure not contracted: skip it.
    pub skip_3ds: bool,
    /// The authentication of a completed 3-D Secure (450) to authorize with.
    pub three_ds_auth_id: Option<&'a str>,
    /// The security code is mandatory.
    pub security_code_use: bool,
    /// Store the card for the member (stored-card mode with a customer id).
    pub stored_card: Option<StoredCard<'a>>,
}

/// A stored card reference (customer id + Paygent's card id).
#[derive(Clone, Debug)]
pub struct StoredCard<'a> {
    pub customer_id: &'a str,
    pub customer_card_id: &'a str,
}

/// What Paygent said about one payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentResult {
    pub payment_id: String,
    /// Masked card number on authorization (`************1111`), never the full number.
    pub masked_card_number: String,
    pub card_valid_term: String,
}

/// A payment inquiry (094) result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inquiry {
    pub payment_id: String,
    pub status_code: String,
    pub amount: Option<i64>,
}

/// A 3-D Secure request (450).
#[derive(Clone, Debug)]
pub struct ThreeDsRequest<'a> {
    pub trading_id: &'a str,
    pub amount: i64,
    /// Where Paygent sends the buyer's browser back with the result.
    pub term_url: &'a str,
    /// The shop's name in ASCII (at most 40 characters).
    pub merchant_name: &'a str,
    pub cardholder_name: &'a str,
    /// The card as a token, unless `stored_card` is given.
    pub card_token: &'a str,
    pub stored_card: Option<StoredCard<'a>>,
}

/// What 450 answered: the authentication id and the page to show the buyer.
#[derive(Clone, Debug)]
pub struct ThreeDsStart {
    pub auth_id: String,
    pub acs_html: String,
}

/// What 343 said about a Paidy payment id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaidyCheck {
    /// Paidy holds it (`retrieve_result=0`).
    pub exists: bool,
    /// Paygent's payment id, when Paygent has the payment already.
    pub payment_id: String,
    pub trading_id: String,
    pub amount: Option<i64>,
}

/// An ATM (Pay-easy) application (010).
#[derive(Clone, Debug)]
pub struct AtmApplication<'a> {
    pub trading_id: &'a str,
    pub amount: i64,
    /// What the ATM shows (full width, at most 12 characters).
    pub payment_detail: &'a str,
    /// The same in half-width kana.
    pub payment_detail_kana: &'a str,
    /// Days to pay (0 = today).
    pub limit_days: u32,
}

/// The numbers of an ATM payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtmNumbers {
    pub payment_id: String,
    /// 収納機関番号.
    pub pay_center_number: String,
    /// お客様番号.
    pub customer_number: String,
    /// 確認番号.
    pub conf_number: String,
    /// `YYYYMMDD`.
    pub limit_date: String,
}

/// A convenience store application (030).
#[derive(Clone, Debug)]
pub struct ConvApplication<'a> {
    pub trading_id: &'a str,
    pub amount: i64,
    /// The store the buyer chose (`00C001` …).
    pub cvs_company_id: &'a str,
    /// The buyer's family and given name (full width).
    pub family_name: &'a str,
    pub given_name: &'a str,
    /// The buyer's phone number, digits only.
    pub tel: &'a str,
    pub limit_days: u32,
    /// 支払種別 後払い (else 前払い).
    pub postpay: bool,
}

/// The payment number of a convenience store payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvNumber {
    pub payment_id: String,
    pub receipt_number: String,
    pub receipt_print_url: String,
    /// The stores the number works at, joined by `-`.
    pub usable_cvs_company_id: String,
    /// `YYYYMMDD`.
    pub limit_date: String,
}

/// A net banking application (060).
#[derive(Clone, Debug)]
pub struct BankApplication<'a> {
    pub trading_id: &'a str,
    pub amount: i64,
    /// What the bank shows, in half-width kana and in full width.
    pub claim_kana: &'a str,
    pub claim_kanji: &'a str,
    pub merchant_name: &'a str,
    /// Where the 戻る link of the bank choice page leads.
    pub return_url: &'a str,
    pub stop_return_url: &'a str,
    /// `asp_payment_term` (spec §6.9).
    pub asp_payment_term: &'a str,
}

/// Paygent's bank choice page for a net banking application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankPage {
    pub asp_url: String,
    /// `asp_limit_date` (`YYYYMMDDhhmmss`).
    pub limit_date: String,
}

/// A stored card as Paygent describes it (masked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCardInfo {
    pub customer_card_id: String,
    pub masked_card_number: String,
    /// `MMYY`.
    pub card_valid_term: String,
    pub card_brand: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::SHIFT_JIS;
    use proptest::prelude::*;

    fn cp932(text: &str) -> Vec<u8> {
        SHIFT_JIS.encode(text).0.into_owned()
    }

    #[test]
    fn a_form_body_is_cp932_percent_encoded() {
        let body = encode_form(
            &[
                ("merchant_id", "123456789"),
                ("customer_family_name", "山田 太郎"),
            ],
            Charset::Cp932,
        )
        .unwrap();
        // 山 = 0x8E 0x52, 田 = 0x93 0x63, 太 = 0x91 0xBE, 郎 = 0x98 0x59 in CP932.
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "merchant_id=123456789&customer_family_name=%8ER%93c+%91%BE%98Y"
        );
    }

    #[test]
    fn characters_outside_cp932_are_refused_with_the_field_named() {
        let err = encode_form(&[("customer_name", "髙橋😀")], Charset::Cp932).unwrap_err();
        assert_eq!(err.field, "customer_name");
        assert_eq!(
            err.chars, "😀",
            "髙 is an NEC/IBM extension that CP932 carries"
        );
    }

    #[test]
    fn utf8_telegrams_keep_utf8_bytes() {
        let body = encode_form(
            &[("cardholder_name", "TARO YAMADA"), ("x", "é")],
            Charset::Utf8,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "cardholder_name=TARO+YAMADA&x=%C3%A9"
        );
    }

    #[test]
    fn a_response_is_read_line_by_line_in_cp932() {
        let body = cp932("\r\nresult=1\r\nresponse_code=P006\r\nresponse_detail=必須項目エラー\r\npayment_id=\r\n");
        let r = decode_response(&body, Charset::Cp932).unwrap();
        assert_eq!(r.get("result"), "1");
        assert_eq!(r.get("response_detail"), "必須項目エラー");
        assert_eq!(r.get("payment_id"), "");
        assert_eq!(r.get("absent"), "");
    }

    #[test]
    fn an_html_item_takes_the_rest_of_the_body() {
        let body =
            cp932("result=7\r\npayment_id=1\r\nout_acs_html=<html>\r\n<body a=b>\r\n</html>\r\n");
        let r = decode_response(&body, Charset::Cp932).unwrap();
        assert_eq!(r.get("out_acs_html"), "<html>\r\n<body a=b>\r\n</html>");
        assert_eq!(r.get("payment_id"), "1");
    }

    #[test]
    fn an_html_item_on_the_lines_after_its_name_keeps_its_first_line() {
        // Spec §2.1: every line after the `…_html=` line is the value.
        let body =
            "result=0\r\n3ds_auth_id=a1\r\nout_acs_html=\r\n<!DOCTYPE html>\r\n<html></html>\r\n";
        let r = decode_response(body.as_bytes(), Charset::Utf8).unwrap();
        assert_eq!(r.get("out_acs_html"), "<!DOCTYPE html>\r\n<html></html>");
        assert_eq!(r.get("3ds_auth_id"), "a1");
    }

    #[test]
    fn a_line_without_equals_is_an_error() {
        assert_eq!(
            decode_response(b"result=0\r\ngarbage\r\n", Charset::Cp932),
            Err(DecodeError::Line(2))
        );
        assert_eq!(
            decode_response(&[0x82, 0xFF], Charset::Cp932),
            Err(DecodeError::Charset)
        );
    }

    #[test]
    fn the_stored_card_csv_is_split_into_records() {
        let body = cp932("\"1\",\"0\",\"\",\"\"\r\n\"2\",\"customer_id\",\"card_number\"\r\n\"3\",\"C_1\",\"************1111\"\r\n\"3\",\"C_1\",\"say \"\"hi\"\"\"\r\n\"4\",\"2\"\r\n");
        let records = decode_csv(&body).unwrap();
        assert_eq!(records.len(), 5);
        assert_eq!(records[0], ["1", "0", "", ""]);
        assert_eq!(records[3][2], "say \"hi\"");
        assert_eq!(records[4], ["4", "2"]);
        assert!(decode_csv(&cp932("\"1\",\"unterminated\r\n")).is_err());
    }

    proptest! {
        #[test]
        fn encoded_values_decode_back_through_the_form_parser(value in "[a-zA-Z0-9 ぁ-んァ-ヶ山田太郎花子東京都千代田区丸内髙﨑ー、。]{0,30}") {
            let body = encode_form(&[("v", &value)], Charset::Cp932).unwrap();
            // Percent-decoding the body and reading it as CP932 gives the value back.
            let pairs: Vec<(String, String)> = {
                let raw = String::from_utf8(body).unwrap();
                let v = raw.strip_prefix("v=").unwrap().replace('+', " ");
                let mut bytes = Vec::new();
                let mut it = v.bytes();
                while let Some(b) = it.next() {
                    if b == b'%' {
                        let hex = [it.next().unwrap(), it.next().unwrap()];
                        bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
                    } else {
                        bytes.push(b);
                    }
                }
                vec![("v".into(), SHIFT_JIS.decode(&bytes).0.into_owned())]
            };
            prop_assert_eq!(&pairs[0].1, &value);
        }

        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_response(&bytes, Charset::Cp932);
            let _ = decode_csv(&bytes);
        }
    }

    #[test]
    fn hashes_match_the_specs_vectors() {
        assert_eq!(
            notice_hash(
                "12345",
                "123456789",
                "TRADE12345",
                "02",
                "1000",
                "abcdefg1234567"
            ),
            "6485eb02c7db9afccfe1076b740ffa87fc84f912aab24961153891e848b8cb8c"
        );
        assert_eq!(
            three_ds_hash(
                "0",
                "11111111-1111-1111-1111-111111111111",
                "0",
                "test_1234567890123456789"
            ),
            "e3f5400fb96b6ae955ac16f58cc81ba33e93f5ae35ec4a07bac6f0496c51bc43"
        );
        assert_eq!(
            token_hash(
                "tok_aaaabbbbccccdddd",
                "************4242",
                "20181121185202",
                "A1b2C3d4E5f6G7h8I9j0K",
                "ch_eeeeffffgggghhhhiiii"
            ),
            "4d3c9a7b3f8dd69787e35491f0fa9e750b9642413ad6bc2100af9bba4edaaad9"
        );
        let items = [
            ("trading_id", "444444".to_owned()),
            ("payment_type", "01,02,03".to_owned()),
            ("fix_params", "customer_family_name".to_owned()),
            ("id", "1000".to_owned()),
            ("seq_merchant_id", "999999".to_owned()),
            ("payment_term_day", "5".to_owned()),
            ("payment_class", "1".to_owned()),
            ("use_card_conf_number", "0".to_owned()),
            ("customer_id", "cust001".to_owned()),
        ];
        assert_eq!(
            link_hash(&items, "abc123"),
            "8e59c25df491f2f42d1c8b11196d6b33397055560d893134cfb5a6e2b863d439"
        );
    }

    #[test]
    fn a_hash_with_a_random_tail_still_matches_and_a_changed_one_does_not() {
        let h = sha256_hex(&["x"]);
        assert!(hash_matches(&format!("{h}a1B2"), &h));
        assert!(hash_matches(&h.to_uppercase(), &h));
        assert!(!hash_matches(&sha256_hex(&["y"]), &h));
        assert!(!hash_matches("", &h));
    }

    #[test]
    fn a_shift_jis_form_decodes() {
        let body =
            encode_form(&[("name", "山田 太郎"), ("amount", "1000")], Charset::Cp932).unwrap();
        let items = decode_form(&body, Charset::Cp932).unwrap();
        assert_eq!(items["name"], "山田 太郎");
        assert_eq!(items["amount"], "1000");
        assert_eq!(decode_form(b"a=%4", Charset::Cp932).unwrap()["a"], "%4");
    }

    #[test]
    fn names_for_full_width_items_widen_ascii_and_keep_within_the_byte_limit() {
        assert_eq!(full_width("Smith 2", 20), "Ｓｍｉｔｈ\u{3000}２");
        assert_eq!(full_width("山田", 20), "山田");
        assert_eq!(full_width("abcdefghijk", 20), "ａｂｃｄｅｆｇｈｉｊ");
    }

    #[test]
    fn names_are_cut_at_a_character_within_the_byte_limit() {
        assert_eq!(cut("山田", 20), "山田");
        assert_eq!(cut("あいうえおかきくけこさ", 20), "あいうえおかきくけこ");
        assert_eq!(cut("abc", 2), "ab");
    }
}
