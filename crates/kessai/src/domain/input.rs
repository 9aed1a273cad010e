//! Validated input parsed at the boundary: each parser returns a value that can only hold
//! valid data, or an error that names the field in the operator's or buyer's language.

use std::fmt;

/// A field that failed validation: which field and why, in Japanese.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Invalid {
    /// The form or API field name.
    pub field: String,
    /// The message shown next to the field.
    pub message: String,
}

impl Invalid {
    /// An error for `field`.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Required, trimmed text of at most `max` characters without control characters or the
/// replacement character (what a form's invalid UTF-8 decodes to).
pub fn text(field: &str, label: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Invalid::new(field, format!("{label}を入力してください")));
    }
    if v.chars().count() > max {
        return Err(Invalid::new(
            field,
            format!("{label}は{max}文字以内で入力してください"),
        ));
    }
    if v.chars()
        .any(|c| c.is_control() || c == char::REPLACEMENT_CHARACTER)
    {
        return Err(Invalid::new(
            field,
            format!("{label}に使用できない文字が含まれています"),
        ));
    }
    Ok(v.to_owned())
}

/// Text a payment provider can carry: every character is printable ASCII or a character of
/// JIS X 0208 (rows 1–8: symbols, full-width Latin letters and digits, kana, Greek, Cyrillic,
/// box drawing; rows 16–84: the level 1 and 2 kanji). Providers send names and addresses in
/// Shift_JIS and refuse the rest: NEC special characters (①, ㈱, Ⅰ, ㍻), IBM extensions (髙,
/// 﨑), half-width katakana, and anything CP932 cannot encode (emoji, 〜 U+301C). The error
/// names the field and the characters to replace.
pub fn provider_safe(field: &str, label: &str, value: &str) -> Result<(), Invalid> {
    let mut rejected: Vec<char> = Vec::new();
    for c in value.chars() {
        if !is_provider_safe(c) && !rejected.contains(&c) {
            rejected.push(c);
        }
    }
    if rejected.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = rejected.iter().map(|c| format!("「{c}」")).collect();
    Err(Invalid::new(
        field,
        format!(
            "{label}に使用できない文字（機種依存文字など）が含まれています: {}",
            shown.join("")
        ),
    ))
}

/// Whether one character is printable ASCII or in JIS X 0208 rows 1–8 or 16–84 (see
/// [`provider_safe`]), judged by its CP932 encoding, the encoding the connectors send.
fn is_provider_safe(c: char) -> bool {
    if c == ' ' || c.is_ascii_graphic() {
        return true;
    }
    let mut utf8 = [0u8; 4];
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut utf8));
    let [lead, trail] = bytes[..] else {
        return false;
    };
    if unmappable {
        return false;
    }
    // A Shift_JIS lead byte covers two JIS rows; a trail byte from 0x9F on is the second.
    let first_row = match lead {
        0x81..=0x9F => u32::from(lead - 0x81) * 2 + 1,
        0xE0..=0xEF => u32::from(lead - 0xC1) * 2 + 1,
        _ => return false,
    };
    let row = first_row + u32::from(trail >= 0x9F);
    matches!(row, 1..=8 | 16..=84)
}

/// Optional text of at most `max` characters over several lines (line breaks kept as `\n`,
/// other control characters and invalid UTF-8 refused); empty is allowed.
pub fn multiline_text(
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) -> Result<String, Invalid> {
    let v = value.replace("\r\n", "\n").replace('\r', "\n");
    let v = v.trim();
    if v.chars().count() > max {
        return Err(Invalid::new(
            field,
            format!("{label}は{max}文字以内で入力してください"),
        ));
    }
    if v.chars()
        .any(|c| (c.is_control() && c != '\n') || c == char::REPLACEMENT_CHARACTER)
    {
        return Err(Invalid::new(
            field,
            format!("{label}に使用できない文字が含まれています"),
        ));
    }
    Ok(v.to_owned())
}

/// A tracking number (送り状番号): half-width letters, digits and hyphens, at most 30.
pub fn tracking_number(field: &str, value: &str) -> Result<String, Invalid> {
    let v = value.trim();
    if v.is_empty() || v.len() > 30 || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(Invalid::new(
            field,
            "送り状番号は半角英数字とハイフンで30文字以内で入力してください",
        ));
    }
    Ok(v.to_owned())
}

/// The 47 prefectures (都道府県), in the usual order.
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// One of the 47 prefectures.
pub fn prefecture(field: &str, value: &str) -> Result<String, Invalid> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Invalid::new(field, "都道府県を選択してください"));
    }
    PREFECTURES
        .iter()
        .find(|p| **p == v)
        .map(|p| (*p).to_owned())
        .ok_or_else(|| Invalid::new(field, "都道府県が正しくありません"))
}

/// A Japanese postal code: 7 digits, with or without the hyphen; stored as `123-4567`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostalCode(String);

impl PostalCode {
    /// Parses `1234567` or `123-4567`.
    pub fn parse(field: &str, value: &str) -> Result<Self, Invalid> {
        let v = value.trim();
        let digits: String = v.chars().filter(|c| *c != '-').collect();
        let hyphen_ok = !v.contains('-') || (v.len() == 8 && v.as_bytes()[3] == b'-');
        if digits.len() != 7 || !digits.bytes().all(|b| b.is_ascii_digit()) || !hyphen_ok {
            return Err(Invalid::new(
                field,
                "郵便番号は7桁の半角数字で入力してください（例: 123-4567）",
            ));
        }
        Ok(Self(format!("{}-{}", &digits[..3], &digits[3..])))
    }

    /// `123-4567`
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number: half-width digits with optional hyphens, 10 or 11 digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Parses `03-1234-5678` or `09012345678`.
    pub fn parse(field: &str, value: &str) -> Result<Self, Invalid> {
        let v = value.trim();
        let digits: String = v.chars().filter(|c| *c != '-').collect();
        if !(10..=11).contains(&digits.len())
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || !digits.starts_with('0')
            || v.starts_with('-')
            || v.ends_with('-')
            || v.contains("--")
        {
            return Err(Invalid::new(
                field,
                "電話番号は半角数字10桁または11桁で入力してください（例: 03-1234-5678）",
            ));
        }
        Ok(Self(v.to_owned()))
    }

    /// As entered (digits and hyphens).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Full-width katakana (フリガナ), spaces allowed between words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kana(String);

impl Kana {
    /// Parses a katakana name.
    pub fn parse(field: &str, label: &str, value: &str) -> Result<Self, Invalid> {
        let v = value.trim();
        if v.is_empty() {
            return Err(Invalid::new(field, format!("{label}を入力してください")));
        }
        let ok = v
            .chars()
            .all(|c| matches!(c, '\u{30A1}'..='\u{30F6}' | 'ー' | '・' | '　' | ' '));
        if !ok {
            return Err(Invalid::new(
                field,
                format!("{label}は全角カタカナで入力してください"),
            ));
        }
        Ok(Self(v.to_owned()))
    }

    /// The katakana text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address (one `@`, a dotted domain, no spaces).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses an address.
    pub fn parse(field: &str, value: &str) -> Result<Self, Invalid> {
        let v = value.trim();
        let valid = v.len() <= 254
            && v.is_ascii()
            && !v
                .chars()
                .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
            && match v.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if !valid {
            return Err(Invalid::new(
                field,
                "メールアドレスを正しく入力してください",
            ));
        }
        Ok(Self(v.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Two Shift_JIS bytes of a cell in JIS X 0208 rows 1–8 or 16–84.
    fn jis_x0208_code() -> impl Strategy<Value = [u8; 2]> {
        let row = prop_oneof![1u32..=8, 16u32..=84];
        (row, 1u32..=94).prop_map(|(row, cell)| {
            let lead = if row <= 62 {
                row.div_ceil(2) + 0x80
            } else {
                row.div_ceil(2) + 0xC0
            };
            let trail = if row % 2 == 1 {
                cell + if cell <= 63 { 0x3F } else { 0x40 }
            } else {
                cell + 0x9E
            };
            [lead as u8, trail as u8]
        })
    }

    #[test]
    fn postal_codes_are_normalized_with_a_hyphen() {
        assert_eq!(
            PostalCode::parse("zip", "1000001").unwrap().as_str(),
            "100-0001"
        );
        assert_eq!(
            PostalCode::parse("zip", "100-0001").unwrap().as_str(),
            "100-0001"
        );
        let err = PostalCode::parse("zip", "10-00001").unwrap_err();
        assert_eq!(err.field, "zip");
        assert!(PostalCode::parse("zip", "１０００００１").is_err());
    }

    #[test]
    fn phones_need_ten_or_eleven_digits_starting_with_zero() {
        assert!(Phone::parse("tel", "03-1234-5678").is_ok());
        assert!(Phone::parse("tel", "09012345678").is_ok());
        assert!(Phone::parse("tel", "1234567890").is_err());
        assert!(Phone::parse("tel", "03--12345678").is_err());
    }

    #[test]
    fn kana_accepts_katakana_only() {
        assert!(Kana::parse("kana", "フリガナ", "ヤマダ タロウ").is_ok());
        assert_eq!(
            Kana::parse("kana", "フリガナ", "やまだ")
                .unwrap_err()
                .message,
            "フリガナは全角カタカナで入力してください"
        );
    }

    #[test]
    fn multiline_text_keeps_line_breaks_and_refuses_other_controls() {
        assert_eq!(
            multiline_text("note", "備考", "一行目\r\n二行目\n", 100).unwrap(),
            "一行目\n二行目"
        );
        assert!(multiline_text("note", "備考", "tab\there", 100).is_err());
        assert!(multiline_text("note", "備考", "bad \u{FFFD} byte", 100).is_err());
        assert!(text("name", "氏名", "bad \u{FFFD} byte", 100).is_err());
        assert_eq!(multiline_text("note", "備考", "  ", 100).unwrap(), "");
    }

    #[test]
    fn tracking_numbers_are_half_width_alphanumerics() {
        assert_eq!(
            tracking_number("t", " 1234-5678-9012 ").unwrap(),
            "1234-5678-9012"
        );
        assert!(tracking_number("t", "１２３").is_err());
        assert!(tracking_number("t", "").is_err());
    }

    #[test]
    fn emails_need_a_dotted_domain() {
        assert!(Email::parse("email", "shop@example.jp").is_ok());
        assert!(Email::parse("email", "shop@localhost").is_err());
        assert!(Email::parse("email", "a b@example.jp").is_err());
    }

    #[test]
    fn provider_safe_text_refuses_model_dependent_characters_and_names_them() {
        assert!(provider_safe("name", "姓", "山田").is_ok());
        assert!(provider_safe("address1", "住所", "千代田区千代田１－１ Ａビル 3F").is_ok());
        assert!(provider_safe("name", "姓", "ヤマダ・タロウ　ー").is_ok());
        for bad in ["①", "㈱", "Ⅰ", "㍻", "髙", "﨑", "ｱ", "〜", "😀"] {
            let err = provider_safe("address1", "住所", &format!("東京{bad}")).unwrap_err();
            assert_eq!(err.field, "address1");
            assert!(
                err.message.starts_with("住所に使用できない文字"),
                "{}",
                err.message
            );
            assert!(
                err.message.contains(&format!("「{bad}」")),
                "{}",
                err.message
            );
        }
        let twice = provider_safe("n", "姓", "①①②").unwrap_err();
        assert!(twice.message.ends_with("「①」「②」"), "{}", twice.message);
    }

    proptest! {
        #[test]
        fn every_seven_digit_code_parses_both_ways(n in 0u32..10_000_000) {
            let plain = format!("{n:07}");
            let hyphen = format!("{}-{}", &plain[..3], &plain[3..]);
            prop_assert_eq!(PostalCode::parse("z", &plain).unwrap(), PostalCode::parse("z", &hyphen).unwrap());
        }

        #[test]
        fn every_jis_x0208_character_is_provider_safe(code in jis_x0208_code()) {
            let (text, _, malformed) = encoding_rs::SHIFT_JIS.decode(&code);
            prop_assume!(!malformed && text.chars().count() == 1);
            let c = text.chars().next().unwrap();
            // A few cells of rows 1–8 decode to a character that CP932 encodes elsewhere
            // first; all that matters is that what the buyer typed can be sent.
            let (round, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
            prop_assume!(!unmappable && round.as_ref() == &code[..]);
            prop_assert!(provider_safe("f", "項目", &format!("山田{c}ABC")).is_ok(), "{:?} {:02X?}", c, code);
        }

        #[test]
        fn any_nec_special_character_is_refused_and_named(trail in 0x40u8..=0x9Cu8, prefix in "[a-z山田]{0,5}") {
            let code = [0x87u8, trail];
            let (text, _, malformed) = encoding_rs::SHIFT_JIS.decode(&code);
            prop_assume!(!malformed && !text.contains('\u{FFFD}'));
            let c = text.chars().next().unwrap();
            // Row 13 characters CP932 also has in JIS X 0208 (≒, ≡, ∫, ∮, √, ⊥, ∠, ∟, ⊿, ∵, ∩, ∪)
            // are encoded there and so can be sent.
            let (round, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
            prop_assume!(round.first() == Some(&0x87));
            let err = provider_safe("f", "住所", &format!("{prefix}{c}")).unwrap_err();
            let named = format!("「{c}」");
            prop_assert!(err.message.contains(&named), "{}", err.message);
        }

        #[test]
        fn printable_ascii_is_provider_safe(s in "[ -~]{0,40}") {
            prop_assert!(provider_safe("f", "項目", &s).is_ok());
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,30}") {
            let _ = PostalCode::parse("z", &s);
            let _ = Phone::parse("t", &s);
            let _ = Kana::parse("k", "k", &s);
            let _ = Email::parse("e", &s);
            let _ = provider_safe("p", "p", &s);
        }
    }
}
