//! The buyer's hand-off to Remise (link type, spec §2.1 and §3.1) and the browser's return
//! (REC_TYPE `END`, spec §2.2 and §3.2).
//!
//! 「上記内容で注文する」 leads to a Shift_JIS form posted at once to paycard.aspx (card) or
//! paycvs.aspx (multi payment). Remise sends the buyer back to `RETURL` / `NG_RETURL`
//! (both `/checkout/{key}/return`; the return code decides) or, when the buyer stops, to
//! `EXITURL` (`/checkout/{key}/exit`). The card's 結果通知 reaches kessai before the browser
//! does; whichever of the two is applied first creates the order, the other finds it made.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Deserialize;

use super::map::{r_code_message, Service, Status};
use super::wire::{self, Fields};
use super::Config;
use crate::providers::form::{self, Charset};
use crate::providers::interface::{
    Checkout, Confirmation, Decline, Detail, FormError, NewCard, Next, Page, Resumed,
};

/// The page templates of Remise's hand-off.
pub const TEMPLATES: &[(&str, &str)] = &[(
    "remise/checkout_again.html",
    include_str!("templates/checkout_again.html"),
)];

/// A hand-off step of a Remise checkout, as the browser brings it back or a headless shop
/// submits it as `{"remise": {"step": "return", "fields": {…}}}`.
#[derive(Debug, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum Submission {
    /// Remise's browser return to `RETURL` / `NG_RETURL`, with its fields as posted.
    Return { fields: BTreeMap<String, String> },
    /// The buyer left Remise's page (`EXITURL`).
    Exit,
}

/// The label of the details row that names where the buyer pays (支払先).
pub const DESTINATION: &str = "お支払い先";

/// `OPT` of a card payment made with JOB=AUTH; Remise echoes it (spec §2.1), so a result
/// says which job it answers even when the settings changed meanwhile.
const OPT_AUTH: &str = "kessai-auth";
/// `OPT` of a card payment made with JOB=CAPTURE.
const OPT_CAPTURE: &str = "kessai-capture";
/// `OPT` of a multi payment (Welcart sends `1` for the same reason: to tell it apart).
const OPT_MULTI: &str = "kessai-multi";

impl Config {
    /// The hand-off page: the form posted to Remise at once; after a refusal, the buyer's
    /// message with a button to try again.
    pub fn handoff(&self, c: &Checkout, error: Option<&str>) -> Page {
        let (action, fields) = match Service::from_kind(&c.payment.kind) {
            Some(Service::Multi) => (self.multi_url.clone(), self.multi_fields(c)),
            _ => (self.card_url.clone(), self.card_fields(c)),
        };
        match error {
            None => Page::RedirectForm {
                action,
                fields,
                charset: Charset::Cp932.html_name(),
            },
            Some(message) => Page::Template {
                template: "remise/checkout_again.html",
                title: c.method_name.clone(),
                context: serde_json::json!({
                    "error": message,
                    "action": action,
                    "fields": fields,
                    "charset": Charset::Cp932.html_name(),
                    "amount": c.payment.amount,
                    "payment_method_name": c.method_name,
                }),
            },
        }
    }

    /// The card page's fields (spec §2.1).
    fn card_fields(&self, c: &Checkout) -> Vec<(String, String)> {
        let amount = c.payment.amount.to_string();
        let (job, opt) = if self.capture {
            ("CAPTURE", OPT_CAPTURE)
        } else {
            ("AUTH", OPT_AUTH)
        };
        let mut fields = vec![
            ("SHOPCO", self.shop_code.clone()),
            ("HOSTID", self.host_id.clone()),
            ("S_TORIHIKI_NO", c.payment.trading_id.clone()),
            ("JOB", job.to_owned()),
            ("ITEM", wire::ITEM_GOODS.to_owned()),
            ("AMOUNT", amount.clone()),
            ("TAX", "0".to_owned()),
            ("TOTAL", amount),
            ("MAIL", c.buyer.email.clone()),
            // 一括払いのみ: lump sum. With instalments the buyer chooses 一括 / 分割 / リボ
            // on Remise's page (an empty METHOD).
            (
                "METHOD",
                if self.installments { "" } else { "10" }.to_owned(),
            ),
            ("RETURL", c.urls.step("return")),
            ("NG_RETURL", c.urls.step("return")),
            ("EXITURL", c.urls.step("exit")),
            ("OPT", opt.to_owned()),
        ];
        if self.payquick && c.member_id.is_some() {
            fields.push(("PAYQUICK", "1".to_owned()));
            if let Some(card) = c.cards.first() {
                fields.push(("PAYQUICKID", card.card_ref.clone()));
            }
        }
        owned(fields)
    }

    /// The multi-payment page's fields (spec §3.1): the buyer's name, kana, address and
    /// phone as Remise takes them, the deadline date and one line for the whole amount.
    fn multi_fields(&self, c: &Checkout) -> Vec<(String, String)> {
        let b = &c.buyer;
        let postal: String = b.postal_code.chars().filter(char::is_ascii_digit).collect();
        let (yubin1, yubin2) = postal.split_at(postal.len().min(3));
        let amount = c.payment.amount.to_string();
        owned(vec![
            ("SHOPCO", self.shop_code.clone()),
            ("HOSTID", self.host_id.clone()),
            ("S_TORIHIKI_NO", c.payment.trading_id.clone()),
            ("NAME1", form::full_width(&b.family_name, 40)),
            ("NAME2", form::full_width(&b.given_name, 40)),
            ("KANA1", wire::katakana(&b.family_kana, 20)),
            ("KANA2", wire::katakana(&b.given_kana, 20)),
            ("YUBIN1", yubin1.to_owned()),
            ("YUBIN2", yubin2.to_owned()),
            ("ADD1", form::full_width(&b.prefecture, 100)),
            ("ADD2", form::full_width(&b.address1, 100)),
            ("ADD3", form::full_width(&b.address2, 100)),
            ("TEL", b.phone_digits().chars().take(11).collect()),
            ("MAIL", b.email.clone()),
            ("TOTAL", amount.clone()),
            ("TAX", String::new()),
            ("S_PAYDATE", self.pay_date(c.today)),
            ("MNAME_01", "商品代金".to_owned()),
            ("MSUM_01", amount),
            ("RETURL", c.urls.step("return")),
            ("NG_RETURL", c.urls.step("return")),
            ("EXITURL", c.urls.step("exit")),
            ("OPT", OPT_MULTI.to_owned()),
        ])
    }

    /// Reads what the browser brought back to a hand-off step.
    pub fn form_submission(
        &self,
        step: &str,
        fields: &BTreeMap<String, String>,
    ) -> Result<Submission, FormError> {
        match step {
            "return" => Ok(Submission::Return {
                fields: fields.clone(),
            }),
            "exit" => Ok(Submission::Exit),
            _ => Err(FormError::UnknownStep),
        }
    }

    /// The browser is back from Remise: the result's checks decide whether the order is
    /// made (the 結果通知 is checked the same way, see [`super::notify`]).
    pub fn resume(&self, c: &Checkout, submission: Submission) -> Resumed {
        let fields =
            match submission {
                Submission::Exit => return Resumed::to(Next::Declined(Decline::retry(
                    "お支払いを中止しました。お支払いを続ける場合は、もう一度お手続きください。",
                ))),
                Submission::Return { fields } => Fields(fields),
            };
        Resumed::to(match Service::from_kind(&c.payment.kind) {
            Some(Service::Multi) => multi_return(c, &fields),
            _ => card_return(c, &fields),
        })
    }
}

fn owned(fields: Vec<(&str, String)>) -> Vec<(String, String)> {
    fields
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// The card's status a successful result reports: the job the hand-off asked for.
pub fn card_status(fields: &Fields) -> Status {
    match fields.get("OPT") {
        OPT_CAPTURE => Status::Sales,
        _ => Status::Auth,
    }
}

/// Checks a card result against the checkout: the trading id and the echoed amount.
pub fn check_card_result(fields: &Fields, trading_id: &str, amount: i64) -> Result<(), String> {
    if fields.get("X-S_TORIHIKI_NO") != trading_id {
        return Err(format!(
            "請求番号が一致しません(結果: {}、決済: {trading_id})。",
            fields.get("X-S_TORIHIKI_NO")
        ));
    }
    match fields.yen("X-TOTAL") {
        Some(total) if total == amount => Ok(()),
        total => Err(format!(
            "金額が一致しません(結果: {}円、ご注文: {amount}円)。",
            total.map_or("?".to_owned(), |t| t.to_string())
        )),
    }
}

/// The card kept at Remise with this payment (PayQuick), from a result.
pub fn payquick_card(fields: &Fields) -> Option<NewCard> {
    let id = fields.get("X-PAYQUICKID").trim();
    (!id.is_empty()).then(|| NewCard {
        customer_id: String::new(),
        card_ref: id.to_owned(),
        last4: fields.get("X-PARTOFCARD").trim().to_owned(),
        expiry: fields.get("X-EXPIRE").trim().to_owned(),
        brand: fields.get("X-CARDBRAND").trim().to_owned(),
    })
}

fn card_return(c: &Checkout, fields: &Fields) -> Next {
    let outcome = fields.outcome();
    if !outcome.succeeded() {
        let message = outcome.message();
        // A refusal also reached kessai as a 結果通知, which the error log keeps; the
        // return codes of the notification itself (5:xxxx) only come with the browser.
        return Next::Declined(if outcome.r_code.starts_with("5:") {
            Decline::logged(message, &outcome.code(), &outcome.detail())
        } else {
            Decline::retry(message)
        });
    }
    if let Err(why) = check_card_result(fields, &c.payment.trading_id, c.payment.amount) {
        return Next::Declined(Decline::logged(
            "決済結果を確認できませんでした。ショップにお問い合わせください。",
            "END",
            &why,
        ));
    }
    let status = card_status(fields);
    Next::Confirmed(Box::new(Confirmation {
        report: status.report(fields.get("X-TRANID"), c.payment.amount),
        details: Vec::new(),
        deadline: None,
        kept_card: c.member_id.and(payquick_card(fields)),
    }))
}

fn multi_return(c: &Checkout, fields: &Fields) -> Next {
    let r_code = fields.get("X-R_CODE");
    if r_code != "0:0000" {
        return Next::Declined(Decline::logged(
            r_code_message(r_code),
            r_code,
            &format!("X-R_CODE={r_code} X-JOB_ID={}", fields.get("X-JOB_ID")),
        ));
    }
    let checked = if fields.get("X-S_TORIHIKI_NO") != c.payment.trading_id {
        Err("請求番号が一致しません。".to_owned())
    } else if fields.yen("X-TOTAL") != Some(c.payment.amount) {
        Err(format!(
            "金額が一致しません(結果: {}円、ご注文: {}円)。",
            fields.get("X-TOTAL"),
            c.payment.amount
        ))
    } else {
        Ok(())
    };
    if let Err(why) = checked {
        return Next::Declined(Decline::logged(
            "お支払い番号を確認できませんでした。ショップにお問い合わせください。",
            "END",
            &why,
        ));
    }
    let (details, deadline) = payment_details(fields);
    Next::Confirmed(Box::new(Confirmation {
        report: Status::Issued.report(fields.get("X-JOB_ID"), c.payment.amount),
        details,
        deadline,
        kept_card: None,
    }))
}

/// What the buyer needs to pay a multi payment (購入完了 and the サンキューメール):
/// 支払先 and the numbers as the destination names them; the deadline is the end of
/// `X-PAYDATE` in Japan.
pub fn payment_details(fields: &Fields) -> (Vec<Detail>, Option<DateTime<Utc>>) {
    let code = fields.get("X-PAY_CSV");
    let destination = wire::destination(code);
    let name = destination.map_or(code, |d| d.name);
    let mut details = vec![Detail(DESTINATION.to_owned(), name.to_owned())];
    let (label1, label2) = destination
        .map_or(("受付番号", "お支払い方法のご案内"), |d| {
            (d.no1, d.no2)
        });
    let no1 = fields.get("X-PAY_NO1").trim();
    let no2 = fields.get("X-PAY_NO2").trim();
    match code {
        // ローソン / ミニストップ: 受付番号 (8) and 確認番号 together (spec §3.4).
        "D002" | "D005" if no1.len() > 8 => {
            details.push(Detail("受付番号".to_owned(), no1[..8].to_owned()));
            details.push(Detail("確認番号".to_owned(), no1[8..].to_owned()));
        }
        // ペイジー: お客様番号-確認番号, and the fixed 収納機関番号.
        "D405" => {
            details.push(Detail("収納機関番号".to_owned(), "58091".to_owned()));
            match no1.split_once('-') {
                Some((customer, confirm)) => {
                    details.push(Detail("お客様番号".to_owned(), customer.to_owned()));
                    details.push(Detail("確認番号".to_owned(), confirm.to_owned()));
                }
                None => details.push(Detail("確認番号".to_owned(), no1.to_owned())),
            }
        }
        _ if !no1.is_empty() => details.push(Detail(label1.to_owned(), no1.to_owned())),
        _ => {}
    }
    if !no2.is_empty() {
        details.push(Detail(label2.to_owned(), no2.to_owned()));
    }
    let deadline = NaiveDate::parse_from_str(fields.get("X-PAYDATE").trim(), "%Y%m%d")
        .ok()
        .and_then(|date| {
            crate::clock::jst()
                .from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(23, 59, 59)?))
                .single()
        })
        .map(|t| t.with_timezone(&Utc));
    (details, deadline)
}
