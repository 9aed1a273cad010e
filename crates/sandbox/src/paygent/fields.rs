//! Field checks of the module-type telegrams: the common header (spec §3) and the
//! presence / type / length rules every item follows (§11.1 P005–P010, §16).
//!
//! Lengths are counted in Shift_JIS bytes, as the spec's sizes are (§16). The order of the
//! header checks follows §16: credentials (P001/P002), `telegram_version` (P003), URL versus
//! kind (P004, checked by the caller), then the items one by one.

use encoding_rs::SHIFT_JIS;

use super::refusal::Refusal;
use crate::form::Form;

/// Connect id every sandbox merchant accepts (the demo credentials).
pub const CONNECT_ID: &str = "sandboxconnect";
/// Connect password every sandbox merchant accepts.
pub const CONNECT_PASSWORD: &str = "sandboxpassword";
/// The only interface version the sandbox merchant is contracted for (§2.3).
pub const TELEGRAM_VERSION: &str = "1.0";

/// What characters an item may hold.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// ASCII digits only.
    Digits,
    /// ASCII letters and digits.
    Alnum,
    /// Letters, digits and `_` (trading_id, customer_id, §3).
    Id,
    /// Digits with at most one decimal point (the 450 amount, §6.4).
    Decimal,
    /// Any text; only the byte length is checked.
    Text,
    /// Full-width (two-byte Shift_JIS) characters only (ATM / konbini / bank net names and
    /// texts, §6.7–6.9).
    FullWidth,
    /// Zengin telex characters: digits, A–Z (lower case accepted), half-width kana, the
    /// symbols `¥,.()-/` and space (the half-width kana items of §6.7, §6.9).
    HalfWidthKana,
}

impl Rule {
    fn accepts(self, value: &str) -> bool {
        match self {
            Rule::Digits => value.bytes().all(|b| b.is_ascii_digit()),
            Rule::Alnum => value.bytes().all(|b| b.is_ascii_alphanumeric()),
            Rule::Id => value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            Rule::Decimal => {
                value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                    && value.bytes().filter(|b| *b == b'.').count() <= 1
            }
            Rule::Text => true,
            Rule::FullWidth => value.chars().all(|c| {
                let mut buf = [0u8; 4];
                let (bytes, _, unmappable) = SHIFT_JIS.encode(c.encode_utf8(&mut buf));
                !unmappable && bytes.len() == 2
            }),
            Rule::HalfWidthKana => value.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || ('\u{FF61}'..='\u{FF9F}').contains(&c)
                    || " ,.()-/\\¥".contains(c)
            }),
        }
    }
}

/// How an item's length is counted.
#[derive(Debug, Clone, Copy)]
enum Count {
    /// Shift_JIS bytes (every telegram but 450).
    Bytes,
    /// Characters (450, §16).
    Chars,
}

/// Check one present, non-empty value against its rule and maximum length.
fn measure(name: &str, value: &str, rule: Rule, max: usize, count: Count) -> Result<(), Refusal> {
    if !rule.accepts(value) {
        return Err(Refusal::format(name));
    }
    let length = match count {
        Count::Bytes => SHIFT_JIS.encode(value).0.len(),
        Count::Chars => value.chars().count(),
    };
    if length > max {
        return Err(Refusal::length(name));
    }
    Ok(())
}

/// Check one present, non-empty value against its rule and maximum byte length.
fn check(name: &str, value: &str, rule: Rule, max_bytes: usize) -> Result<(), Refusal> {
    measure(name, value, rule, max_bytes, Count::Bytes)
}

/// A required item whose length counts characters (450): P005, P006, P008, P009.
pub fn required_chars<'f>(
    form: &'f Form,
    name: &str,
    rule: Rule,
    max_chars: usize,
) -> Result<&'f str, Refusal> {
    match form.get(name) {
        None => Err(Refusal::absent(name)),
        Some("") => Err(Refusal::empty(name)),
        Some(value) => measure(name, value, rule, max_chars, Count::Chars).map(|()| value),
    }
}

/// An optional item whose length counts characters (450).
pub fn optional_chars<'f>(
    form: &'f Form,
    name: &str,
    rule: Rule,
    max_chars: usize,
) -> Result<Option<&'f str>, Refusal> {
    match form.filled(name) {
        None => Ok(None),
        Some(value) => measure(name, value, rule, max_chars, Count::Chars).map(|()| Some(value)),
    }
}

/// A required item (○): P005 when absent, P006 when empty, then P008/P009.
pub fn required<'f>(
    form: &'f Form,
    name: &str,
    rule: Rule,
    max_bytes: usize,
) -> Result<&'f str, Refusal> {
    match form.get(name) {
        None => Err(Refusal::absent(name)),
        Some("") => Err(Refusal::empty(name)),
        Some(value) => check(name, value, rule, max_bytes).map(|()| value),
    }
}

/// An optional item (▲/△): `None` when absent or empty, otherwise P008/P009 checked.
pub fn optional<'f>(
    form: &'f Form,
    name: &str,
    rule: Rule,
    max_bytes: usize,
) -> Result<Option<&'f str>, Refusal> {
    match form.filled(name) {
        None => Ok(None),
        Some(value) => check(name, value, rule, max_bytes).map(|()| Some(value)),
    }
}

/// An optional one-character flag restricted to `allowed` values (P010 otherwise).
pub fn flag<'f>(form: &'f Form, name: &str, allowed: &[&str]) -> Result<Option<&'f str>, Refusal> {
    let value = optional(form, name, Rule::Digits, 1)?;
    match value {
        Some(v) if !allowed.contains(&v) => Err(Refusal::invalid(name)),
        _ => Ok(value),
    }
}

/// A number of days to pay within `0..=60`, defaulting to `default` when absent (the
/// `payment_limit_date` of ATM and konbini telegrams); P012 outside that range.
pub fn limit_days(form: &Form, default: u32) -> Result<u32, Refusal> {
    match optional(form, "payment_limit_date", Rule::Digits, 2)? {
        None => Ok(default),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|days| *days <= 60)
            .ok_or_else(Refusal::limit_date),
    }
}

/// An amount in yen: required digits, at most `max_digits`, greater than zero (P014).
pub fn amount(form: &Form, name: &str, max_digits: usize) -> Result<u64, Refusal> {
    let raw = required(form, name, Rule::Digits, max_digits)?;
    let yen: u64 = raw.parse().map_err(|_| Refusal::format(name))?;
    if yen == 0 {
        return Err(Refusal::zero_amount());
    }
    Ok(yen)
}

/// The common header of every telegram after authentication (§3).
#[derive(Debug, Clone)]
pub struct Header {
    /// Merchant the telegram acts for.
    pub merchant_id: String,
    /// Three-digit telegram kind.
    pub kind: String,
    /// Merchant's own transaction id, empty when unused.
    pub trading_id: String,
    /// Paygent payment id, when given.
    pub payment_id: Option<u64>,
    /// Whether the `payment_id` item was present at all (for P005 versus P006).
    pub payment_id_present: bool,
    /// Sub-shop, empty for the merchant's base site.
    pub site_id: String,
}

/// Authenticate and parse the header: P001, P002, P003, then the header items' formats.
pub fn header(form: &Form) -> Result<Header, Refusal> {
    let (Some(merchant_id), Some(connect_id), Some(connect_password)) = (
        form.filled("merchant_id"),
        form.filled("connect_id"),
        form.filled("connect_password"),
    ) else {
        return Err(Refusal::auth_missing());
    };
    let merchant_ok = merchant_id.len() <= 9 && merchant_id.bytes().all(|b| b.is_ascii_digit());
    if !merchant_ok || connect_id != CONNECT_ID || connect_password != CONNECT_PASSWORD {
        return Err(Refusal::auth_failed());
    }
    let kind = required(form, "telegram_kind", Rule::Alnum, 3)?;
    let version = required(form, "telegram_version", Rule::Text, 6)?;
    if version != TELEGRAM_VERSION {
        return Err(Refusal::version());
    }
    let trading_id = optional(form, "trading_id", Rule::Id, 25)?.unwrap_or_default();
    let payment_id = optional(form, "payment_id", Rule::Digits, 18)?
        .map(|raw| {
            raw.parse::<u64>()
                .map_err(|_| Refusal::format("payment_id"))
        })
        .transpose()?;
    let site_id = optional(form, "site_id", Rule::Alnum, 4)?.unwrap_or_default();
    Ok(Header {
        merchant_id: merchant_id.to_owned(),
        kind: kind.to_owned(),
        trading_id: trading_id.to_owned(),
        payment_id,
        payment_id_present: form.get("payment_id").is_some(),
        site_id: site_id.to_owned(),
    })
}

/// The sandbox path (below `/paygent`) Paygent serves a telegram kind at (§2.5): the full
/// kind is looked up first, then its first two digits.
pub fn path_for_kind(kind: &str) -> Option<&'static str> {
    let exact = match kind {
        "091" => Some("/n/ref/paynotice"),
        "093" => Some("/n/ref/runnotice"),
        "094" => Some("/n/ref/paymentref"),
        "095" => Some("/n/ref/cardnoref"),
        "096" => Some("/n/card/request"),
        "098" => Some("/n/token/request"),
        "263" | "264" | "265" => Some("/n/accounttransfer/receipt"),
        _ => None,
    };
    if exact.is_some() {
        return exact;
    }
    match kind.get(..2)? {
        "01" => Some("/n/atm/request"),
        "02" | "11" | "18" | "19" | "28" | "49" => Some("/n/card/request"),
        "03" => Some("/n/conveni/request"),
        "04" => Some("/n/conveni/request_print"),
        "05" => Some("/n/bank/request"),
        "06" => Some("/n/bank/requestasp"),
        "07" => Some("/n/virtualaccount/request"),
        "09" => Some("/n/ref/request"),
        "10" | "12" => Some("/n/c/request"),
        "15" => Some("/n/emoney/request"),
        "20" => Some("/n/o/requestdata"),
        "22" => Some("/n/later/request"),
        "26" => Some("/n/accounttransfer/request"),
        "27" => Some("/n/rakutenid/request"),
        "30" => Some("/n/upop/request"),
        "31" => Some("/n/alipay/request"),
        "32" => Some("/n/applepay/request"),
        "34" => Some("/n/paidy/request"),
        "35" => Some("/n/googlepay/request"),
        "42" => Some("/n/paypay/request"),
        "45" => Some("/n/threeds/request"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_the_paths_of_the_url_table() {
        assert_eq!(path_for_kind("020"), Some("/n/card/request"));
        assert_eq!(path_for_kind("027"), Some("/n/card/request"));
        assert_eq!(path_for_kind("091"), Some("/n/ref/paynotice"));
        assert_eq!(path_for_kind("094"), Some("/n/ref/paymentref"));
        assert_eq!(path_for_kind("090"), Some("/n/ref/request"));
        assert_eq!(path_for_kind("116"), Some("/n/card/request"));
        assert_eq!(path_for_kind("010"), Some("/n/atm/request"));
        assert_eq!(path_for_kind("999"), None);
    }

    #[test]
    fn lengths_count_shift_jis_bytes() {
        // Two full-width characters are four bytes in CP932.
        assert!(check("n", "テス", Rule::Text, 4).is_ok());
        assert_eq!(
            check("n", "テスト", Rule::Text, 4).unwrap_err().code,
            "P009"
        );
    }
}
