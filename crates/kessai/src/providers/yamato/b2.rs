//! B2 (送り状発行システム B2 / B2クラウド) CSV (spec §11): the 97-column file a shop gives B2 to
//! print slips, and the file B2 gives back with the 送り状番号 of each order. Shift_JIS
//! (CP932), CRLF, a header row of Japanese column names.
//!
//! Every slip B2 prints is a Yamato parcel: an order whose 送り状番号 comes back from B2 is
//! delivered by [`CARRIER`], and its number follows Yamato's rule
//! ([`super::wire::check_slip`] with `yamato` set).

use crate::domain::order::Carrier;
use crate::providers::form::{self, Charset};

/// The carrier of every parcel B2 issues a slip for (配送会社名 クロネコヤマト).
pub const CARRIER: Carrier = Carrier::Yamato;

/// The 97 column names, in order (spec §11).
pub const COLUMNS: [&str; 97] = [
    "お客様管理番号",
    "送り状種別",
    "クール区分",
    "伝票番号",
    "出荷予定日",
    "お届け予定（指定）日",
    "配達時間帯",
    "お届け先コード",
    "お届け先電話番号",
    "お届け先電話番号枝番",
    "お届け先郵便番号",
    "お届け先住所",
    "お届け先住所（アパートマンション名）",
    "お届け先会社・部門名１",
    "お届け先会社・部門名２",
    "お届け先名",
    "お届け先名略称カナ",
    "敬称",
    "ご依頼主コード",
    "ご依頼主電話番号",
    "ご依頼主電話番号枝番",
    "ご依頼主郵便番号",
    "ご依頼主住所１",
    "ご依頼主住所（アパートマンション名）",
    "ご依頼主名",
    "ご依頼主略称カナ",
    "品名コード１",
    "品名１",
    "品名コード２",
    "品名２",
    "荷扱い１",
    "荷扱い２",
    "記事",
    "コレクト代金引換額（税込）",
    "コレクト内消費税額等",
    "営業所止置き",
    "営業所コード",
    "発行枚数",
    "個数口表示フラグ",
    "請求先顧客コード",
    "請求先分類コード",
    "運賃管理番号",
    "クロネコwebコレクトデータ登録",
    "クロネコwebコレクト加盟店番号",
    "クロネコwebコレクト申込受付番号１",
    "クロネコwebコレクト申込受付番号２",
    "クロネコwebコレクト申込受付番号３",
    "お届け予定ｅメール利用区分",
    "お届け予定ｅメールe-mailアドレス",
    "入力機種",
    "お届け予定ｅメールメッセージ",
    "お届け完了ｅメール利用区分",
    "お届け完了ｅメールe-mailアドレス",
    "お届け完了ｅメールメッセージ",
    "クロネコ収納代行利用区分",
    "決済ＱＲコード印字フラグ",
    "収納代行請求金額（税込）",
    "収納代行内消費税額等",
    "収納代行請求先郵便番号",
    "収納代行請求先住所",
    "収納代行請求先住所（アパートマンション名）",
    "収納代行請求先会社・部門名１",
    "収納代行請求先会社・部門名２",
    "収納代行請求先名（漢字）",
    "収納代行請求先名（カナ）",
    "収納代行問合せ先名（漢字）",
    "収納代行問合せ先郵便番号",
    "収納代行問合せ先住所",
    "収納代行問合せ先住所（アパートマンション名）",
    "収納代行問合せ先電話番号",
    "収納代行管理番号",
    "収納代行品名",
    "収納代行備考",
    "複数口くくりキー",
    "検索キータイトル1",
    "検索キー1",
    "検索キータイトル2",
    "検索キー2",
    "検索キータイトル3",
    "検索キー3",
    "検索キータイトル4",
    "検索キー4",
    "検索キータイトル5",
    "検索キー5",
    "予備",
    "予備",
    "投函予定メール利用区分",
    "投函予定メールe-mailアドレス",
    "投函予定メールメッセージ",
    "投函完了メール（お届け先宛）利用区分",
    "投函完了メール（お届け先宛）e-mailアドレス",
    "投函完了メール（お届け先宛）メッセージ",
    "投函完了メール（ご依頼主宛）利用区分",
    "投函完了メール（ご依頼主宛）e-mailアドレス",
    "投函完了メール（ご依頼主宛）メッセージ",
    "連携管理番号",
    "通知メールアドレス",
];

/// One order as a B2 row.
#[derive(Clone, Debug, Default)]
pub struct Shipment {
    /// お客様管理番号: the shop's order number.
    pub order_number: String,
    /// 出荷予定日 (`YYYY/MM/DD`).
    pub ship_date: String,
    /// お届け予定（指定）日 (`YYYY/MM/DD`), empty for none.
    pub delivery_date: String,
    /// 配達時間帯 as B2's 4-digit code (`0812`, `1416`, …), empty for none.
    pub time_code: String,
    pub to_phone: String,
    pub to_postal_code: String,
    pub to_address: String,
    pub to_building: String,
    pub to_name: String,
    pub to_kana: String,
    pub from_phone: String,
    pub from_postal_code: String,
    pub from_address: String,
    pub from_building: String,
    pub from_name: String,
    pub item_name: String,
}

/// B2's 配達時間帯 code of kessai's time slot (`14時～16時` → `1416`; `午前中` → `0812`).
pub fn time_code(slot: &str) -> String {
    let digits: Vec<String> = slot
        .split(|c: char| !c.is_ascii_digit())
        .filter(|d| !d.is_empty())
        .map(|d| format!("{:0>2}", d))
        .collect();
    match (slot.contains("午前"), digits.as_slice()) {
        (true, _) => "0812".to_owned(),
        (false, [from, to]) => format!("{from}{to}"),
        _ => String::new(),
    }
}

/// The B2 file of `shipments`: the header, then a row each, CP932 with CRLF. Text CP932
/// cannot carry is named with its order.
pub fn export(shipments: &[Shipment]) -> Result<Vec<u8>, String> {
    let mut out = String::new();
    push_row(&mut out, COLUMNS.iter().map(|c| (*c).to_owned()).collect());
    for s in shipments {
        let mut row = vec![String::new(); COLUMNS.len()];
        let mut set = |column: usize, value: &str| row[column - 1] = value.to_owned();
        set(1, &s.order_number);
        set(2, "0");
        set(3, "0");
        set(5, &s.ship_date);
        set(6, &s.delivery_date);
        set(7, &s.time_code);
        set(9, &s.to_phone);
        set(11, &s.to_postal_code);
        set(12, &s.to_address);
        set(13, &s.to_building);
        set(16, &s.to_name);
        set(17, &s.to_kana);
        set(20, &s.from_phone);
        set(22, &s.from_postal_code);
        set(23, &s.from_address);
        set(24, &s.from_building);
        set(25, &s.from_name);
        set(28, &s.item_name);
        set(36, "0");
        set(38, "1");
        set(39, "1");
        set(43, "0");
        set(50, "1");
        set(55, "0");
        set(87, "0");
        push_row(&mut out, row);
    }
    form::encode_text("B2", &out, Charset::Cp932)
        .map_err(|e| format!("Shift_JISで表せない文字があります: {}", e.chars))
}

fn push_row(out: &mut String, cells: Vec<String>) {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect();
    out.push_str(&quoted.join(","));
    out.push_str("\r\n");
}

/// Whether `slip` is a 送り状番号 B2 can have issued: Yamato's rule, check digit included.
/// The error names the 送り状番号.
pub fn check_slip(slip: &str) -> Result<(), String> {
    match super::wire::check_slip(slip, true) {
        Ok(()) => Ok(()),
        Err(super::wire::SlipError::Empty) => Err(
            "送り状番号(伝票番号)がありません。B2で発行済みの行を取り込んでください。".to_owned(),
        ),
        Err(e) => Err(format!("送り状番号「{}」: {e}", slip.trim())),
    }
}

/// One row of the file B2 gives back: the order and its 送り状番号.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    /// The line in the file (1-based).
    pub line: usize,
    pub order_number: String,
    pub slip_no: String,
    /// 出荷予定日 as B2 wrote it (`YYYY/M/D`).
    pub ship_date: String,
}

/// Reads B2's file (spec §11): column 1 お客様管理番号, 4 伝票番号, 5 出荷予定日. A row whose
/// first cell is not a number is a header and skipped, as is a row of fewer than 10 cells;
/// one of more than 100 cells is an error with its line.
pub fn import(bytes: &[u8]) -> Result<Vec<Issued>, String> {
    let text = form::decode_text(bytes, Charset::Cp932)
        .or_else(|_| form::decode_text(bytes, Charset::Utf8))
        .map_err(|_| "B2のファイルをShift_JISとして読めません。".to_owned())?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let cells = split_csv(line);
        if cells.len() > 100 {
            return Err(format!(
                "{}行目: 列が多すぎます({}列)。",
                i + 1,
                cells.len()
            ));
        }
        if cells.len() < 10 || !cells[0].chars().all(|c| c.is_ascii_digit()) || cells[0].is_empty()
        {
            continue;
        }
        out.push(Issued {
            line: i + 1,
            order_number: cells[0].clone(),
            slip_no: cells[3].trim().to_owned(),
            ship_date: cells[4].trim().to_owned(),
        });
    }
    Ok(out)
}

/// The cells of one CSV line (double quotes, `""` for a quote).
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipment() -> Shipment {
        Shipment {
            order_number: "00001001".into(),
            ship_date: "2026/12/04".into(),
            time_code: time_code("14時～16時"),
            to_phone: "03-1234-5678".into(),
            to_postal_code: "100-0001".into(),
            to_address: "東京都千代田区千代田1-1".into(),
            to_name: "山田 太郎".into(),
            to_kana: "ヤマダ タロウ".into(),
            from_name: "kessai デモショップ".into(),
            item_name: "静岡産 深蒸し煎茶".into(),
            ..Shipment::default()
        }
    }

    #[test]
    fn the_export_is_shift_jis_crlf_with_97_columns_and_the_fixed_values() {
        let bytes = export(&[shipment()]).unwrap();
        let text = form::decode_text(&bytes, Charset::Cp932).unwrap();
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 2);
        let row = split_csv(lines[1]);
        assert_eq!(row.len(), 97);
        assert_eq!(split_csv(lines[0])[3], "伝票番号");
        assert_eq!(row[0], "00001001");
        assert_eq!(
            (row[1].as_str(), row[37].as_str(), row[49].as_str()),
            ("0", "1", "1")
        );
        assert_eq!(row[6], "1416");
        assert_eq!(row[15], "山田 太郎");
    }

    #[test]
    fn slips_are_checked_as_yamatos_and_named() {
        assert_eq!(check_slip("123456789013"), Ok(()));
        assert!(check_slip("123456789012")
            .unwrap_err()
            .contains("「123456789012」"));
        assert!(check_slip("").unwrap_err().contains("送り状番号"));
        assert_eq!(CARRIER.as_str(), "yamato");
    }

    #[test]
    fn time_slots_become_b2_codes() {
        assert_eq!(time_code("午前中"), "0812");
        assert_eq!(time_code("19時～21時"), "1921");
        assert_eq!(time_code(""), "");
    }

    #[test]
    fn the_returned_file_gives_each_order_its_slip_and_skips_the_header() {
        let mut file = export(&[shipment()]).unwrap();
        let text = form::decode_text(&file, Charset::Cp932).unwrap();
        let with_slip = text.replacen(
            "\"00001001\",\"0\",\"0\",\"\"",
            "\"00001001\",\"0\",\"0\",\"123456789013\"",
            1,
        );
        file = form::encode_text("B2", &with_slip, Charset::Cp932).unwrap();
        let issued = import(&file).unwrap();
        assert_eq!(
            issued,
            vec![Issued {
                line: 2,
                order_number: "00001001".into(),
                slip_no: "123456789013".into(),
                ship_date: "2026/12/04".into(),
            }]
        );
        let wide = format!("{}\r\n", vec!["1"; 101].join(","));
        assert!(import(wide.as_bytes()).unwrap_err().contains("1行目"));
    }
}
