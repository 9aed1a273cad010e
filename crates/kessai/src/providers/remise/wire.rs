//! Remise's fields, byte for byte (spec §2–§3, §7.2): the hidden forms the buyer's browser
//! posts to paycard.aspx and paycvs.aspx, the results Remise posts back (`X-…` fields of the
//! 結果通知 and the browser return, the 収納情報通知 without the prefix), the payment
//! destinations (`PAY_CSV`) and the 拡張セット call and its answer page. Everything travels
//! as Shift_JIS (CP932) forms.

use std::collections::BTreeMap;

use crate::providers::form::{self, Charset};

/// Remise's 商品コード for mail-order goods (spec §2.1), sent with every card payment.
pub const ITEM_GOODS: &str = "0000120";
/// Remise's 商品コード for other services: the card update of PayQuick (spec §4).
pub const ITEM_OTHER: &str = "0000990";

/// The success value of `X-ERRINFO`.
pub const ERRINFO_OK: &str = "000000000";

/// A Remise form's fields, decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields(pub BTreeMap<String, String>);

impl Fields {
    /// Decodes a Shift_JIS form body; UTF-8 when a relay re-encoded it.
    pub fn decode(body: &[u8]) -> Option<Fields> {
        form::decode_form(body, Charset::Cp932)
            .or_else(|_| form::decode_form(body, Charset::Utf8))
            .ok()
            .map(Fields)
    }

    /// A field's value, empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }

    /// Whether the field is present.
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The outcome fields of a card result.
    pub fn outcome(&self) -> super::map::Outcome<'_> {
        super::map::Outcome {
            r_code: self.get("X-R_CODE"),
            err_level: self.get("X-ERRLEVEL"),
            err_code: self.get("X-ERRCODE"),
            err_info: self.get("X-ERRINFO"),
        }
    }

    /// An amount field as yen.
    pub fn yen(&self, name: &str) -> Option<i64> {
        self.get(name).trim().parse().ok()
    }
}

/// What a post from Remise is (spec §2.2, §3.3, §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The card 結果通知 (`REC_TYPE=RET` with `X-PARTOFCARD`) or the browser return of a card
    /// payment (`REC_TYPE=END`).
    CardResult,
    /// The 結果通知 of a 拡張セット operation: `X-TRANID` without `X-PARTOFCARD` (spec §7.2).
    ExtsetResult,
    /// The browser return of a multi payment: `X-JOB_ID`.
    MultiReturn,
    /// The 収納情報通知: `S_TORIHIKI_NO` and `REC_FLG`, no `X-` prefix.
    Receipt,
    /// Nothing Remise sends.
    Unknown,
}

impl Fields {
    /// Tells Remise's posts apart by their fields.
    pub fn kind(&self) -> Kind {
        if self.has("REC_FLG") && (self.has("S_TORIHIKI_NO") || self.has("JOB_ID")) {
            Kind::Receipt
        } else if self.has("X-JOB_ID") {
            Kind::MultiReturn
        } else if self.has("X-PARTOFCARD") || self.get("REC_TYPE") == "END" {
            Kind::CardResult
        } else if self.has("X-TRANID") {
            Kind::ExtsetResult
        } else if self.has("X-R_CODE") {
            // A refusal before any card was read (an input error) carries no card fields.
            Kind::CardResult
        } else {
            Kind::Unknown
        }
    }
}

/// A payment destination of the multi payment (spec §3.4): its `PAY_CSV` code, the name
/// Welcart shows as 支払先, and what `X-PAY_NO1` / `X-PAY_NO2` hold there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Destination {
    pub code: &'static str,
    pub name: &'static str,
    /// What `X-PAY_NO1` is.
    pub no1: &'static str,
    /// What `X-PAY_NO2` is (a URL for most).
    pub no2: &'static str,
}

/// The destinations kessai knows, with the labels their numbers carry.
pub const DESTINATIONS: &[Destination] = &[
    dest("D001", "セブン-イレブン", "払込票番号", "払込票URL"),
    dest(
        "D002",
        "ローソン",
        "受付番号・確認番号",
        "お支払い方法のご案内",
    ),
    dest(
        "D005",
        "ミニストップ",
        "受付番号・確認番号",
        "お支払い方法のご案内",
    ),
    dest("D015", "セイコーマート", "受付番号", "お支払い方法のご案内"),
    dest("D030", "ファミリーマート", "企業コード", "注文番号"),
    dest(
        "D010",
        "デイリーヤマザキ",
        "オンライン決済番号",
        "お支払い方法のご案内",
    ),
    dest(
        "D011",
        "ヤマザキデイリーストア",
        "オンライン決済番号",
        "お支払い方法のご案内",
    ),
    dest("D003", "サンクス", "受付番号", "お支払い方法のご案内"),
    dest("D004", "サークルK", "受付番号", "お支払い方法のご案内"),
    dest("D405", "ペイジー", "確認番号", "お支払い方法のご案内"),
    dest("D401", "楽天Edy", "受付番号", "お支払い手続き"),
    dest("D403", "モバイルSuica", "受付番号", "お支払い手続き"),
    dest("D404", "楽天銀行", "受付番号", "お支払い手続き"),
    dest("D406", "PayPay銀行", "受付番号", "お支払い手続き"),
    dest(
        "D407",
        "Suicaインターネットサービス",
        "受付番号",
        "お支払い手続き",
    ),
    dest("D451", "WebMoney", "受付番号", "お支払い手続き"),
    dest("D452", "BitCash", "受付番号", "お支払い手続き"),
    dest("D453", "JCBプレモカード", "受付番号", "お支払い手続き"),
    dest("P901", "コンビニ払込票", "受付番号", "お支払い方法のご案内"),
    dest(
        "P902",
        "コンビニ払込票(郵便局・ゆうちょ銀行)",
        "受付番号",
        "お支払い方法のご案内",
    ),
    dest("C501", "クレジットカード", "受付番号", "お支払い手続き"),
    dest("C502", "クレジットカード", "受付番号", "お支払い手続き"),
    dest("M601", "d払い", "受付番号", "お支払い手続き"),
    dest("M602", "d払い", "受付番号", "お支払い手続き"),
    dest("M611", "auかんたん決済", "受付番号", "お支払い手続き"),
    dest("M612", "auかんたん決済", "受付番号", "お支払い手続き"),
    dest(
        "M621",
        "ソフトバンクまとめて支払い",
        "受付番号",
        "お支払い手続き",
    ),
    dest(
        "M622",
        "ソフトバンクまとめて支払い",
        "受付番号",
        "お支払い手続き",
    ),
    dest("E201", "PayPayオンライン決済", "受付番号", "お支払い手続き"),
    dest("E202", "PayPayオンライン決済", "受付番号", "お支払い手続き"),
];

const fn dest(
    code: &'static str,
    name: &'static str,
    no1: &'static str,
    no2: &'static str,
) -> Destination {
    Destination {
        code,
        name,
        no1,
        no2,
    }
}

/// The destination of a `PAY_CSV` code.
pub fn destination(code: &str) -> Option<&'static Destination> {
    DESTINATIONS.iter().find(|d| d.code == code)
}

/// The 拡張セット jobs kessai sends (spec §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtsetJob {
    /// 実売上 of an authorization.
    Sales,
    /// 即日取消.
    Void,
    /// 返品.
    Return,
}

impl ExtsetJob {
    /// `JOB` on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Self::Sales => "SALES",
            Self::Void => "VOID",
            Self::Return => "RETURN",
        }
    }
}

/// Reads the hidden inputs of the 拡張セット answer page (`<input type="hidden"
/// name="X-R_CODE" value="0:0000">`), as Remise's own module does.
pub fn hidden_inputs(html: &str) -> Fields {
    let mut fields = BTreeMap::new();
    for tag in html
        .split('<')
        .filter(|t| t.len() > 5 && t[..5].eq_ignore_ascii_case("input"))
    {
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            let start = tag.find(&key)? + key.len();
            let end = tag[start..].find('"')?;
            Some(unescape(&tag[start..start + end]))
        };
        if let (Some(name), Some(value)) = (attr("name"), attr("value")) {
            fields.insert(name, value);
        }
    }
    Fields(fields)
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Full-width katakana only (`ァ`–`ヶ`, `ー`), as KANA1/KANA2 take; hiragana become
/// katakana, anything else leaves the field empty (Welcart drops such a value).
pub fn katakana(text: &str, max_chars: usize) -> String {
    let converted: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(u32::from(c) + 0x60).unwrap_or(c),
            c => c,
        })
        .collect();
    if converted.chars().all(|c| matches!(c, 'ァ'..='ヶ' | 'ー')) {
        converted.chars().take(max_chars).collect()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_are_told_apart_by_their_fields() {
        let fields = |pairs: &[(&str, &str)]| {
            Fields(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            )
        };
        assert_eq!(
            fields(&[("S_TORIHIKI_NO", "1"), ("REC_FLG", "1")]).kind(),
            Kind::Receipt
        );
        assert_eq!(
            fields(&[("X-JOB_ID", "1"), ("X-R_CODE", "0:0000")]).kind(),
            Kind::MultiReturn
        );
        assert_eq!(
            fields(&[
                ("X-TRANID", "1"),
                ("X-PARTOFCARD", "1111"),
                ("REC_TYPE", "RET")
            ])
            .kind(),
            Kind::CardResult
        );
        assert_eq!(
            fields(&[("X-TRANID", "1"), ("REC_TYPE", "RET")]).kind(),
            Kind::ExtsetResult
        );
        assert_eq!(fields(&[("a", "b")]).kind(), Kind::Unknown);
    }

    #[test]
    fn the_extset_answer_page_is_read_from_its_hidden_inputs() {
        let html = r#"<html><body><form><INPUT type="hidden" name="X-R_CODE" value="8:5810">
            <input type="hidden" name="X-ERRCODE" value="H97"><input name="X-TRANID" value="a&amp;b"></form>"#;
        let fields = hidden_inputs(html);
        assert_eq!(fields.get("X-R_CODE"), "8:5810");
        assert_eq!(fields.get("X-ERRCODE"), "H97");
        assert_eq!(fields.get("X-TRANID"), "a&b");
    }

    #[test]
    fn kana_names_become_full_width_katakana_or_nothing() {
        assert_eq!(katakana("やまだ", 20), "ヤマダ");
        assert_eq!(katakana("ヤマダ タロウ", 20), "ヤマダタロウ");
        assert_eq!(katakana("Yamada", 20), "");
    }

    #[test]
    fn every_destination_code_is_listed_once() {
        let mut codes: Vec<&str> = DESTINATIONS.iter().map(|d| d.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), DESTINATIONS.len());
        assert_eq!(
            destination("D011").map(|d| d.name),
            Some("ヤマザキデイリーストア")
        );
    }
}
