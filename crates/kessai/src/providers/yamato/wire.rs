//! Kuroneko Web Collect on the wire (spec §1–§5, §7): the function codes and their
//! addresses, the `<return>` XML every function answers, the check sums, and the 送り状番号
//! rule. Requests are UTF-8 `application/x-www-form-urlencoded` posts that always carry
//! `function_div` and `trader_code`.

use std::collections::BTreeMap;

pub use crate::providers::http::sha256_hex;

/// A Web Collect function (spec §2) kessai calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    /// お預かりカード照会.
    CardList,
    /// お預かりカード変更.
    CardUpdate,
    /// お預かりカード削除.
    CardDelete,
    /// クレジット決済取消.
    Cancel,
    /// クレジット金額変更.
    ChangePrice,
    /// クレジット決済登録 with a token.
    Authorize,
    /// The 3-D Secure result of a token authorization.
    Authorize3d,
    /// 出荷情報登録 (売上確定).
    ShipmentEntry,
    /// 出荷情報取消.
    ShipmentCancel,
    /// 取引情報照会.
    TradeInfo,
}

impl Function {
    /// `function_div`.
    pub fn code(self) -> &'static str {
        match self {
            Self::CardList => "A03",
            Self::CardUpdate => "A04",
            Self::CardDelete => "A05",
            Self::Cancel => "A06",
            Self::ChangePrice => "A07",
            Self::Authorize => "A08",
            Self::Authorize3d => "A09",
            Self::ShipmentEntry => "E01",
            Self::ShipmentCancel => "E02",
            Self::TradeInfo => "E04",
        }
    }

    /// The address's name part.
    pub fn name(self) -> &'static str {
        match self {
            Self::CardList => "creditInfoGet",
            Self::CardUpdate => "creditInfoUpdate",
            Self::CardDelete => "creditInfoDelete",
            Self::Cancel => "creditCancel",
            Self::ChangePrice => "creditChangePrice",
            Self::Authorize => "creditToken",
            Self::Authorize3d => "creditToken3D",
            Self::ShipmentEntry => "shipmentEntry",
            Self::ShipmentCancel => "shipmentCancel",
            Self::TradeInfo => "tradeInfo",
        }
    }

    /// The function's address: production `…/api/<name>`, the test gateway
    /// `…/test_gateway/<name>.api` (spec §1).
    pub fn url(self, base: &str, test_gateway: bool) -> String {
        let base = base.trim_end_matches('/');
        if test_gateway {
            format!("{base}/test_gateway/{}.api", self.name())
        } else {
            format!("{base}/api/{}", self.name())
        }
    }
}

/// A `<return>` answer (spec §4): its flat fields, and the repeated records of A03
/// (`cardData`) and E04 (`resultData`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Return {
    pub fields: BTreeMap<String, String>,
    pub records: Vec<(String, BTreeMap<String, String>)>,
}

impl Return {
    /// A field, empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    /// `returnCode` 0.
    pub fn succeeded(&self) -> bool {
        self.get("returnCode") == "0"
    }

    /// The records named `name` (`cardData`, `resultData`).
    pub fn records<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a BTreeMap<String, String>> {
        self.records
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, r)| r)
    }

    /// Reads a `<return>` document. Elements with element children become records; the
    /// others are fields. `None` when there is no `<return>` element.
    pub fn parse(xml: &str) -> Option<Return> {
        let start = xml.find("<return")?;
        let body_start = start + xml[start..].find('>')? + 1;
        let end = xml.rfind("</return>")?;
        let mut out = Return::default();
        let mut rest = &xml[body_start..end];
        while let Some((name, inner, after)) = next_element(rest) {
            if inner.contains('<') {
                let mut record = BTreeMap::new();
                let mut inside = inner;
                while let Some((child, text, after_child)) = next_element(inside) {
                    record.insert(child.to_owned(), unescape(text.trim()));
                    inside = after_child;
                }
                out.records.push((name.to_owned(), record));
            } else {
                out.fields.insert(name.to_owned(), unescape(inner.trim()));
            }
            rest = after;
        }
        Some(out)
    }
}

/// The next element of `text`: its name, its inner text and what follows it. Self-closing
/// elements have an empty inner text; comments and declarations are skipped.
fn next_element(text: &str) -> Option<(&str, &str, &str)> {
    let mut text = text;
    loop {
        let open = text.find('<')?;
        text = &text[open..];
        if text.starts_with("<!--") {
            text = &text[text.find("-->")? + 3..];
            continue;
        }
        if text.starts_with("<?") || text.starts_with("<!") {
            text = &text[text.find('>')? + 1..];
            continue;
        }
        break;
    }
    let close = text.find('>')?;
    let tag = &text[1..close];
    if tag.starts_with('/') {
        return None;
    }
    if let Some(tag) = tag.strip_suffix('/') {
        let name = tag.split_whitespace().next()?;
        return Some((name, "", &text[close + 1..]));
    }
    let name = tag.split_whitespace().next()?;
    let body = &text[close + 1..];
    let end_tag = format!("</{name}>");
    let end = body.find(&end_tag)?;
    Some((name, &body[..end], &body[end + end_tag.len()..]))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// `check_sum` of a server call about a member's kept cards (A03, A05): SHA-256 of
/// `member_id`, `authentication_key` and the access key.
pub fn member_check_sum(member_id: &str, authentication_key: &str, access_key: &str) -> String {
    sha256_hex(&[member_id, authentication_key, access_key])
}

/// `checkSum` the token JS takes: without a member, SHA-256 of the access key and
/// `authDiv`; with one, of `memberId`, `authKey`, the access key and `authDiv`.
pub fn token_check_sum(member: Option<(&str, &str)>, access_key: &str, auth_div: &str) -> String {
    match member {
        Some((member_id, auth_key)) => sha256_hex(&[member_id, auth_key, access_key, auth_div]),
        None => sha256_hex(&[access_key, auth_div]),
    }
}

/// Why a 送り状番号 cannot be sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlipError {
    #[error("送り状番号を入力してください。")]
    Empty,
    #[error("ヤマト運輸の送り状番号は半角数字11〜12桁で入力してください。")]
    YamatoFormat,
    #[error("送り状番号は半角英数字と「-#*/<>:@」の23文字以内で入力してください。")]
    OtherFormat,
    #[error("送り状番号の末尾(チェックデジット)が一致しません。送り状番号をご確認ください。")]
    CheckDigit,
}

/// Yamato's published rule for a 12-digit 送り状番号 (not in the spec, which gives only the
/// length): the last digit is the first eleven, read as a number, modulo 7. An 11-digit
/// number has no known rule and passes.
fn check_digit_fits(slip: &str) -> bool {
    if slip.len() != 12 {
        return true;
    }
    let (body, digit) = slip.split_at(11);
    match (body.parse::<u64>(), digit.parse::<u64>()) {
        (Ok(body), Ok(digit)) => body % 7 == digit,
        _ => false,
    }
}

/// Checks a 送り状番号 as the spec's rule has it (§3.4): a Yamato slip (delivery service
/// `00`) is 11–12 characters, any other carrier's 1–23 of `A–Z 0–9 - # * / < > : @`.
/// Yamato's numbers are digits.
pub fn check_slip(slip: &str, yamato: bool) -> Result<(), SlipError> {
    let slip = slip.trim();
    if slip.is_empty() {
        return Err(SlipError::Empty);
    }
    if yamato {
        let ok = (11..=12).contains(&slip.len()) && slip.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            return Err(SlipError::YamatoFormat);
        }
        return if check_digit_fits(slip) {
            Ok(())
        } else {
            Err(SlipError::CheckDigit)
        };
    }
    let allowed = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit() || b"-#*/<>:@".contains(&b);
    if slip.len() <= 23 && slip.bytes().all(allowed) {
        Ok(())
    } else {
        Err(SlipError::OtherFormat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_have_the_production_and_test_gateway_addresses() {
        assert_eq!(
            Function::Authorize.url("https://api.kuronekoyamato.co.jp/", false),
            "https://api.kuronekoyamato.co.jp/api/creditToken"
        );
        assert_eq!(
            Function::ShipmentEntry.url("https://ptwebcollect.jp", true),
            "https://ptwebcollect.jp/test_gateway/shipmentEntry.api"
        );
        assert_eq!(Function::Authorize3d.code(), "A09");
    }

    #[test]
    fn a_return_document_gives_its_fields_and_records() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<return>
  <returnCode>0</returnCode>
  <returnDate>20261203120000</returnDate>
  <cardUnit>2</cardUnit>
  <cardData><cardKey>1</cardKey><maskingCardNo>************1111</maskingCardNo><cardExp>1230</cardExp></cardData>
  <cardData><cardKey>2</cardKey><maskingCardNo>************4444</maskingCardNo><cardExp>0131</cardExp></cardData>
  <threeDAuthHtml>&lt;form action=&quot;x&quot;&gt;&lt;/form&gt;</threeDAuthHtml>
  <errorCode/>
</return>"#;
        let r = Return::parse(xml).unwrap();
        assert!(r.succeeded());
        assert_eq!(r.get("cardUnit"), "2");
        assert_eq!(r.get("threeDAuthHtml"), "<form action=\"x\"></form>");
        assert_eq!(r.get("errorCode"), "");
        let cards: Vec<_> = r.records("cardData").collect();
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[1]["cardExp"], "0131");
        assert!(Return::parse("not xml").is_none());
    }

    #[test]
    fn check_sums_are_plain_sha256_of_the_parts_in_order() {
        assert_eq!(
            member_check_sum("wc-1", "key", "1234567"),
            sha256_hex(&["wc-1key1234567"])
        );
        assert_eq!(
            token_check_sum(None, "1234567", "2"),
            sha256_hex(&["12345672"])
        );
        assert_eq!(
            token_check_sum(Some(("m", "k")), "a", "3"),
            sha256_hex(&["mka3"])
        );
        assert_eq!(sha256_hex(&[""]).len(), 64);
    }

    #[test]
    fn slip_numbers_follow_the_carrier_rules() {
        assert_eq!(check_slip("123456789013", true), Ok(()));
        assert_eq!(check_slip("123456789012", true), Err(SlipError::CheckDigit));
        assert_eq!(check_slip("12345678901", true), Ok(()));
        assert_eq!(check_slip("1234567890", true), Err(SlipError::YamatoFormat));
        assert_eq!(
            check_slip("1234-5678-9012", true),
            Err(SlipError::YamatoFormat)
        );
        assert_eq!(check_slip("AB-12#3", false), Ok(()));
        assert_eq!(check_slip("ab12", false), Err(SlipError::OtherFormat));
        assert_eq!(check_slip(" ", false), Err(SlipError::Empty));
    }
}
