//! 030 コンビニ決済（番号方式）申込 (spec §6.8), the dummy receipt page, and the konbini
//! choice of the link-type page.
//!
//! The store is named by `cvs_type` or `cvs_company_id` (`cvs_type` wins when both are
//! given); the sandbox merchant has konbini connection type A: 01 セイコーマート (00C016),
//! 02 ローソン / ミニストップ / デイリーヤマザキ (00C002, 00C004, 00C014 — the Wellnet
//! stores), 03 セブンイレブン (00C001), 04 ファミリーマート (00C005); 05 does not exist in
//! type A (P010). Buyer name (full width, 20 bytes) and `customer_tel` (11 digits) are
//! required; `sales_type` (1 前払い / 3 後払い) is required for 7-Eleven; the limit is
//! `payment_limit_date` days (0–60, default 30; P012 otherwise). Ticket issuing
//! (`service_type` 1 or 2) is not simulated (P018).
//!
//! The sandbox's failure trigger is the one of §15: a Wellnet store with `customer_tel`
//! `99999999999` is refused with 3002. Otherwise the answer issues a `receipt_number`
//! (13 digits for 7-Eleven, 11 otherwise), a `receipt_print_url` pointing at a dummy page
//! of the sandbox, the stores the number works at and the limit date. The payment waits
//! in 10 (notified, §10); the test tool moves it 10 → 43 → 40 / 61 or 10 → 40 / 12, and
//! the nightly batch after the limit date expires it to 12 on the sandbox clock.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use minijinja::context;
use serde::Deserialize;

use super::fields::{self, Rule};
use super::refusal::Refusal;
use super::store::{japan, Konbini, Method, Payment, Store};
use super::wire::Items;
use super::{pages, Telegram};
use crate::form::Form;

/// The store groups of connection type A by `cvs_type` (§6.8).
const GROUPS: &[(&str, &[&str])] = &[
    ("01", &["00C016"]),
    ("02", &["00C002", "00C004", "00C014"]),
    ("03", &["00C001"]),
    ("04", &["00C005"]),
];
/// The Wellnet stores, where the §15 failure trigger applies.
const WELLNET: &str = "02";
/// The phone number that makes a Wellnet application fail (§15).
pub const FAILING_TEL: &str = "99999999999";
/// Days to pay when the request names none (§6.8).
const DEFAULT_LIMIT_DAYS: u32 = 30;

/// The name of a store code, as the test tool and the pages show it.
pub fn store_name(company_id: &str) -> &'static str {
    match company_id {
        "00C001" => "セブンイレブン",
        "00C002" => "ローソン",
        "00C004" => "ミニストップ",
        "00C005" => "ファミリーマート",
        "00C014" => "デイリーヤマザキ",
        "00C016" => "セイコーマート",
        _ => "その他のコンビニ",
    }
}

/// The group (`cvs_type`) a store code belongs to.
fn group_of(company_id: &str) -> Option<&'static str> {
    GROUPS
        .iter()
        .find(|(_, ids)| ids.contains(&company_id))
        .map(|(group, _)| *group)
}

/// What a konbini application asks for, checked.
pub struct Application {
    /// `cvs_type` of the store group.
    pub group: &'static str,
    /// The buyer's family and given name.
    pub name: (String, String),
    /// `customer_tel`.
    pub tel: String,
    /// Days to pay.
    pub days: u32,
}

/// Whose payment an application makes, and for how much.
pub struct Trade<'a> {
    /// The merchant.
    pub merchant_id: &'a str,
    /// `trading_id`.
    pub trading_id: &'a str,
    /// `site_id`.
    pub site_id: &'a str,
    /// Amount in yen.
    pub amount: u64,
}

/// Issue the payment number of `application` for `trade` and record the payment (10);
/// `base` is where a browser reaches the sandbox (for the receipt page).
pub fn issue(
    store: &mut Store,
    trade: Trade<'_>,
    application: Application,
    base: &str,
    now: DateTime<Utc>,
) -> Result<Payment, Refusal> {
    if application.group == WELLNET && application.tel == FAILING_TEL {
        return Err(Refusal::konbini_vendor());
    }
    let usable: Vec<String> = GROUPS
        .iter()
        .find(|(group, _)| *group == application.group)
        .map(|(_, ids)| ids.iter().map(|id| (*id).to_owned()).collect())
        .unwrap_or_default();
    let receipt_number = store.random_digits(if application.group == "03" { 13 } else { 11 });
    let limit_date =
        now.with_timezone(&japan()).date_naive() + Duration::days(i64::from(application.days));
    let konbini = Konbini {
        receipt_print_url: format!("{base}/conveni/receipt?receipt_number={receipt_number}"),
        receipt_number,
        usable,
        limit_date,
        paid_at: String::new(),
        customer_name: application.name,
        customer_tel: application.tel,
    };
    let id = store.next_payment_id();
    let mut payment = Payment::new(
        id,
        trade.trading_id,
        trade.site_id,
        trade.amount,
        Method::Konbini(konbini),
        now,
    );
    let merchant = store.merchant(trade.merchant_id);
    payment.move_to(payment.status, now, &mut merchant.notices);
    merchant.payments.insert(id, payment.clone());
    Ok(payment)
}

/// 030: apply for a konbini payment number.
pub fn apply(t: Telegram<'_>) -> Result<Items, Refusal> {
    let form = t.form;
    let amount = fields::amount(form, "payment_amount", 9)?;
    let group = store_group(form)?;
    let family = fields::required(form, "customer_family_name", Rule::FullWidth, 20)?;
    let given = fields::required(form, "customer_name", Rule::FullWidth, 20)?;
    fields::optional(form, "customer_family_name_kana", Rule::HalfWidthKana, 14)?;
    fields::optional(form, "customer_name_kana", Rule::HalfWidthKana, 14)?;
    let tel = fields::required(form, "customer_tel", Rule::Digits, 11)?;
    fields::optional(form, "site_info", Rule::FullWidth, 50)?;
    let days = fields::limit_days(form, DEFAULT_LIMIT_DAYS)?;
    let sales_type = fields::flag(form, "sales_type", &["1", "3"])?;
    if group == "03" && sales_type.is_none() {
        return Err(match form.get("sales_type") {
            Some(_) => Refusal::empty("sales_type"),
            None => Refusal::absent("sales_type"),
        });
    }
    for n in 1..=10 {
        let name = format!("customer_notice_{n}");
        if fields::optional(form, &name, Rule::Text, 60)?.is_some() && group != WELLNET {
            return Err(Refusal::invalid(&name));
        }
    }
    if fields::flag(form, "service_type", &["1", "2", "3"])?.is_some_and(|s| s != "3") {
        return Err(Refusal::unavailable());
    }

    let Telegram {
        store,
        now,
        header,
        base,
        ..
    } = t;
    let application = Application {
        group,
        name: (family.to_owned(), given.to_owned()),
        tel: tel.to_owned(),
        days,
    };
    let trade = Trade {
        merchant_id: &header.merchant_id,
        trading_id: &header.trading_id,
        site_id: &header.site_id,
        amount,
    };
    let payment = issue(store, trade, application, base, now)?;
    let Method::Konbini(k) = &payment.method else {
        return Err(Refusal::system());
    };
    let mut items = Items::success();
    items.push("payment_id", payment.id.to_string());
    items.push("trading_id", header.trading_id.clone());
    items.push("receipt_number", k.receipt_number.clone());
    items.push("receipt_print_url", k.receipt_print_url.clone());
    items.push("usable_cvs_company_id", k.usable.join("-"));
    items.push(
        "payment_limit_date",
        k.limit_date.format("%Y%m%d").to_string(),
    );
    Ok(items)
}

/// The store group a 030 names: `cvs_type` first, else the group of `cvs_company_id`.
fn store_group(form: &Form) -> Result<&'static str, Refusal> {
    if let Some(kind) = fields::optional(form, "cvs_type", Rule::Digits, 2)? {
        return GROUPS
            .iter()
            .find(|(group, _)| *group == kind)
            .map(|(group, _)| *group)
            .ok_or_else(|| Refusal::invalid("cvs_type"));
    }
    match fields::optional(form, "cvs_company_id", Rule::Alnum, 6)? {
        Some(id) => group_of(id).ok_or_else(|| Refusal::invalid("cvs_company_id")),
        None => Err(match form.get("cvs_type") {
            Some(_) => Refusal::empty("cvs_type"),
            None => Refusal::absent("cvs_type"),
        }),
    }
}

/// The stores the link-type page offers: one per group, named by its first store code.
pub fn choices() -> Vec<(&'static str, &'static str)> {
    vec![
        ("00C016", "セイコーマート"),
        ("00C002", "ローソン / ミニストップ / デイリーヤマザキ"),
        ("00C001", "セブンイレブン"),
        ("00C005", "ファミリーマート"),
    ]
}

/// The name of a store group as the link-type page offers it.
pub fn group_name(group: &str) -> &'static str {
    choices()
        .into_iter()
        .find(|(id, _)| group_of(id) == Some(group))
        .map_or("コンビニ", |(_, name)| name)
}

/// The group of a store code chosen on the link-type page.
pub fn group_of_choice(company_id: &str) -> Option<&'static str> {
    group_of(company_id)
}

/// Query of the dummy receipt page.
#[derive(Debug, Deserialize)]
pub struct ReceiptQuery {
    #[serde(default)]
    receipt_number: String,
}

/// `GET /conveni/receipt`: the sandbox's stand-in for the store's slip / barcode page.
pub async fn receipt(Query(query): Query<ReceiptQuery>) -> Response {
    pages::html(
        StatusCode::OK,
        "paygent/message.html",
        context! {
            title => "払込票（サンドボックス）",
            message => format!(
                "払込番号 {} — 試験環境のダミー画面です。店頭でのお支払いは試験環境ツールで操作してください。",
                query.receipt_number
            ),
        },
    )
}
