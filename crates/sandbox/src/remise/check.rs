//! Checks of the fields shops post, answered with the Remise return codes of spec §8:
//! `8:1nnn` when a required field is missing, `8:2nnn` when it is too short or too long,
//! `8:3nnn` when its value is not allowed. The spec gives the groups but not the last
//! three digits, so the sandbox numbers every field itself ([`NUMBERS`]): only `MAIL` is
//! fixed by the spec (`008`, "8:x008 = the e-mail address"), and no other field number
//! ends in 8, so a shop reading just the last digit is not misled. Lengths count
//! characters, not Shift_JIS bytes. Fields are checked in the order each request lists
//! them and the first problem is answered.

use super::wire::is_web_url;
use crate::form::Form;

/// The sandbox's number for each field, the last three digits of its `8:1/2/3nnn` codes.
pub const NUMBERS: &[(&str, u16)] = &[
    ("SHOPCO", 1),
    ("HOSTID", 2),
    ("S_TORIHIKI_NO", 3),
    ("JOB", 4),
    ("ITEM", 5),
    ("AMOUNT", 6),
    ("TAX", 7),
    ("MAIL", 8),
    ("TOTAL", 9),
    ("METHOD", 10),
    ("PTIMES", 11),
    ("RETURL", 12),
    ("NG_RETURL", 13),
    ("EXITURL", 14),
    ("OPT", 15),
    ("PAYQUICK", 16),
    ("PAYQUICKID", 17),
    ("REMARKS3", 19),
    ("DIRECT", 20),
    ("AUTOCHARGE", 21),
    ("AC_MEMBERID", 22),
    ("AC_S_KAIIN_NO", 23),
    ("AC_NAME", 24),
    ("AC_KANA", 25),
    ("AC_TEL", 26),
    ("AC_AMOUNT", 27),
    ("AC_TAX", 29),
    ("AC_TOTAL", 30),
    ("AC_NEXT_DATE", 31),
    ("AC_INTERVAL", 32),
    ("AC_COUNT", 33),
    ("TRANID", 40),
    ("NAME1", 101),
    ("NAME2", 102),
    ("KANA1", 103),
    ("KANA2", 104),
    ("YUBIN1", 105),
    ("YUBIN2", 106),
    ("ADD1", 107),
    ("ADD2", 109),
    ("ADD3", 110),
    ("TEL", 111),
    ("S_PAYDATE", 112),
    ("SEIYAKUDATE", 113),
    ("BIKO", 114),
    ("MNAME", 115),
    ("MSUM", 116),
    ("PAY_CSV", 117),
    ("PAY_WAY", 119),
];

/// Why a request is refused: a Remise return code (`X-R_CODE`) and the field it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `D:DDDD`.
    pub code: String,
    /// The field at fault, when a field is.
    pub field: Option<String>,
}

/// The three field problems of §8.
#[derive(Debug, Clone, Copy)]
enum Problem {
    Missing = 1,
    Length = 2,
    Invalid = 3,
}

impl Refusal {
    fn field(problem: Problem, name: &str) -> Self {
        // MNAME_01…07 and MSUM_01…07 share one number each.
        let base = name.split("_0").next().unwrap_or(name);
        let number = NUMBERS
            .iter()
            .find(|(field, _)| *field == name || *field == base)
            .map(|(_, number)| *number)
            .unwrap_or(999);
        Self {
            code: format!("8:{}{number:03}", problem as u8),
            field: Some(name.to_owned()),
        }
    }

    /// `8:1nnn`: `name` is required.
    pub fn missing(name: &str) -> Self {
        Self::field(Problem::Missing, name)
    }

    /// `8:2nnn`: `name` is too short or too long.
    pub fn length(name: &str) -> Self {
        Self::field(Problem::Length, name)
    }

    /// `8:3nnn`: `name` has a value that is not allowed.
    pub fn invalid(name: &str) -> Self {
        Self::field(Problem::Invalid, name)
    }

    /// A business code such as `8:5820`.
    pub fn code(code: &str) -> Self {
        Self {
            code: code.to_owned(),
            field: None,
        }
    }

    /// What Remise's page tells the buyer.
    pub fn message(&self) -> String {
        if self.code.len() == 6 && self.code.ends_with("008") {
            return "メールアドレスに誤りがあります。メールアドレスのご変更をお願いいたします。"
                .to_owned();
        }
        let field = self.field.as_deref().unwrap_or_default();
        match self.code.get(..3) {
            Some("8:1") => return format!("必須項目が送信されていません（{field}）。"),
            Some("8:2") => return format!("項目の長さが正しくありません（{field}）。"),
            Some("8:3") => return format!("項目の値が正しくありません（{field}）。"),
            _ => {}
        }
        match self.code.as_str() {
            "8:5820" => "この取引は制限されました。既に決済が済んでいます。",
            "8:5810" => "売上対象の取引が見つかりません。",
            "8:5812" => "取消対象の取引が見つからないか、処理期間を過ぎています。",
            "8:5822" => "仮売上の保持期間を過ぎています。",
            "8:5823" => "取消期限を過ぎています。",
            "5:1000" => "結果通知トランザクションにおいて正常なステータスが取得できませんでした。",
            _ => "エラーが発生しました。",
        }
        .to_owned()
    }
}

/// What characters a field may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chars {
    /// Half-width digits.
    Digits,
    /// Half-width letters and digits.
    Alnum,
    /// Half-width letters, digits, `-` and `_` (transaction numbers).
    Key,
    /// Printable half-width ASCII.
    Ascii,
    /// Full-width katakana `ァ`–`ヶ` and `ー` (§3.1).
    Katakana,
    /// Any text without control characters.
    Text,
}

impl Chars {
    fn allows(self, c: char) -> bool {
        match self {
            Chars::Digits => c.is_ascii_digit(),
            Chars::Alnum => c.is_ascii_alphanumeric(),
            Chars::Key => c.is_ascii_alphanumeric() || c == '-' || c == '_',
            Chars::Ascii => c.is_ascii_graphic() || c == ' ',
            Chars::Katakana => ('ァ'..='ヶ').contains(&c) || c == 'ー',
            Chars::Text => !c.is_control(),
        }
    }
}

/// `name` checked: present when `required`, `min..=max` characters, only `chars`.
/// Absent and empty are the same.
pub fn field<'f>(
    form: &'f Form,
    name: &str,
    required: bool,
    chars: Chars,
    min: usize,
    max: usize,
) -> Result<Option<&'f str>, Refusal> {
    let Some(value) = form.filled(name) else {
        return if required {
            Err(Refusal::missing(name))
        } else {
            Ok(None)
        };
    };
    let count = value.chars().count();
    if count < min || count > max {
        return Err(Refusal::length(name));
    }
    if !value.chars().all(|c| chars.allows(c)) {
        return Err(Refusal::invalid(name));
    }
    Ok(Some(value))
}

/// A required field, checked as [`field`].
pub fn required<'f>(
    form: &'f Form,
    name: &str,
    chars: Chars,
    min: usize,
    max: usize,
) -> Result<&'f str, Refusal> {
    Ok(field(form, name, true, chars, min, max)?.unwrap_or_default())
}

/// An amount of at most `digits` digits.
pub fn amount(
    form: &Form,
    name: &str,
    required: bool,
    digits: usize,
) -> Result<Option<u64>, Refusal> {
    field(form, name, required, Chars::Digits, 1, digits)?
        .map(|raw| raw.parse::<u64>().map_err(|_| Refusal::invalid(name)))
        .transpose()
}

/// `SHOPCO`: `RMS` and five half-width letters or digits (§1.1).
pub fn shopco(form: &Form) -> Result<String, Refusal> {
    let value = required(form, "SHOPCO", Chars::Alnum, 8, 8)?;
    if !value.starts_with("RMS") {
        return Err(Refusal::invalid("SHOPCO"));
    }
    Ok(value.to_owned())
}

/// `HOSTID`: five half-width letters or digits, then three digits (§1.1).
pub fn hostid(form: &Form) -> Result<String, Refusal> {
    let value = required(form, "HOSTID", Chars::Alnum, 8, 8)?;
    if !value[5..].chars().all(|c| c.is_ascii_digit()) {
        return Err(Refusal::invalid("HOSTID"));
    }
    Ok(value.to_owned())
}

/// `S_TORIHIKI_NO`: 1–20 half-width letters, digits, `-` or `_` (the spec gives no
/// length; integrators send 10–17 digits).
pub fn torihiki_no(form: &Form) -> Result<String, Refusal> {
    required(form, "S_TORIHIKI_NO", Chars::Key, 1, 20).map(str::to_owned)
}

/// `MAIL`: required, at most 100 half-width characters, `local@domain.tld`.
pub fn mail(form: &Form) -> Result<String, Refusal> {
    let value = required(form, "MAIL", Chars::Ascii, 3, 100)?;
    let well_formed = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !value.contains(' ')
    });
    if !well_formed {
        return Err(Refusal::invalid("MAIL"));
    }
    Ok(value.to_owned())
}

/// A URL field: an absolute http(s) URL of at most 512 characters.
pub fn url(form: &Form, name: &str, required: bool) -> Result<Option<String>, Refusal> {
    let value = field(form, name, required, Chars::Ascii, 1, 512)?;
    match value {
        Some(url) if !is_web_url(url) => Err(Refusal::invalid(name)),
        other => Ok(other.map(str::to_owned)),
    }
}

/// `OPT`: free text of at most 100 characters, echoed back.
pub fn opt(form: &Form) -> Result<String, Refusal> {
    Ok(field(form, "OPT", false, Chars::Text, 0, 100)?
        .unwrap_or_default()
        .to_owned())
}

/// `REMARKS3`: the integrator code, any up to 20 half-width characters.
pub fn remarks3(form: &Form) -> Result<(), Refusal> {
    field(form, "REMARKS3", false, Chars::Ascii, 1, 20).map(|_| ())
}

/// `DIRECT`: only `OFF` (or nothing); the direct mode is an option contract the sandbox
/// merchant does not have.
pub fn direct(form: &Form) -> Result<(), Refusal> {
    match form.filled("DIRECT") {
        None | Some("OFF") => Ok(()),
        Some(_) => Err(Refusal::invalid("DIRECT")),
    }
}

#[cfg(test)]
mod tests {
    use encoding_rs::SHIFT_JIS;

    use super::*;

    #[test]
    fn only_the_mail_field_number_ends_in_8() {
        for (name, number) in NUMBERS {
            assert_eq!(number % 10 == 8, *name == "MAIL", "{name}");
        }
    }

    #[test]
    fn codes_name_the_problem_and_the_field() {
        assert_eq!(Refusal::missing("MAIL").code, "8:1008");
        assert_eq!(Refusal::length("S_TORIHIKI_NO").code, "8:2003");
        assert_eq!(Refusal::invalid("MSUM_03").code, "8:3116");
        assert!(Refusal::invalid("MAIL")
            .message()
            .contains("メールアドレス"));
    }

    #[test]
    fn field_checks_presence_then_length_then_characters() {
        let form = Form::decode(b"A=12345&B=12a", SHIFT_JIS);

        assert_eq!(
            field(&form, "A", true, Chars::Digits, 1, 5),
            Ok(Some("12345"))
        );
        assert_eq!(field(&form, "C", false, Chars::Digits, 1, 5), Ok(None));
        assert_eq!(
            field(&form, "C", true, Chars::Digits, 1, 5),
            Err(Refusal::missing("C"))
        );
        assert_eq!(
            field(&form, "A", true, Chars::Digits, 1, 4),
            Err(Refusal::length("A"))
        );
        assert_eq!(
            field(&form, "B", true, Chars::Digits, 1, 4),
            Err(Refusal::invalid("B"))
        );
    }

    #[test]
    fn merchant_codes_follow_the_spec_formats() {
        let good = Form::decode(b"SHOPCO=RMS00001&HOSTID=ab12C345", SHIFT_JIS);
        let bad = Form::decode(b"SHOPCO=ABC00001&HOSTID=ab12C34x", SHIFT_JIS);

        assert_eq!(shopco(&good).unwrap(), "RMS00001");
        assert_eq!(hostid(&good).unwrap(), "ab12C345");
        assert_eq!(shopco(&bad), Err(Refusal::invalid("SHOPCO")));
        assert_eq!(hostid(&bad), Err(Refusal::invalid("HOSTID")));
    }
}
