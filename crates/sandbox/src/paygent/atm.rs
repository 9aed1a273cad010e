//! 010 ATM決済申込 (Pay-easy, spec §6.7).
//!
//! The request carries the amount, the text shown on the ATM (`payment_detail`, full
//! width, and `payment_detail_kana`, Zengin half-width kana, both required), optional
//! buyer names and `payment_limit_date` in days (0–60, 0 = today, default 30; P012
//! otherwise). The answer issues the three numbers the buyer keys into the ATM —
//! `pay_center_number` (収納機関番号, 10 digits, the same for every sandbox payment),
//! `customer_number` (お客様番号, 20 digits) and `conf_number` (確認番号, 6 digits) — and
//! the computed `payment_limit_date` (`YYYYMMDD`). The payment waits in 10 (not notified,
//! §10); the test tool moves it to 40 (paid, with the bank the buyer used) or 12, and the
//! nightly batch after the limit date expires it to 12 on the sandbox clock.

use chrono::Duration;

use super::fields::{self, Rule};
use super::refusal::Refusal;
use super::store::{japan, Atm, Method, Payment};
use super::wire::Items;
use super::Telegram;

/// 収納機関番号 of the sandbox's Pay-easy collection agency.
pub const PAY_CENTER_NUMBER: &str = "0000058191";
/// Days to pay when the request names none (§6.7).
const DEFAULT_LIMIT_DAYS: u32 = 30;

/// 010: apply for an ATM payment.
pub fn apply(t: Telegram<'_>) -> Result<Items, Refusal> {
    let form = t.form;
    let amount = fields::amount(form, "payment_amount", 9)?;
    let family = fields::optional(form, "customer_family_name", Rule::FullWidth, 12)?;
    let given = fields::optional(form, "customer_name", Rule::FullWidth, 12)?;
    fields::optional(form, "customer_family_name_kana", Rule::HalfWidthKana, 12)?;
    fields::optional(form, "customer_name_kana", Rule::HalfWidthKana, 12)?;
    fields::required(form, "payment_detail", Rule::FullWidth, 24)?;
    fields::required(form, "payment_detail_kana", Rule::HalfWidthKana, 24)?;
    let days = fields::limit_days(form, DEFAULT_LIMIT_DAYS)?;

    let Telegram {
        store, now, header, ..
    } = t;
    let limit_date = now.with_timezone(&japan()).date_naive() + Duration::days(i64::from(days));
    let atm = Atm {
        pay_center_number: PAY_CENTER_NUMBER.to_owned(),
        customer_number: store.random_digits(20),
        conf_number: store.random_digits(6),
        limit_date,
        bank_code: String::new(),
        customer_name: (
            family.unwrap_or_default().to_owned(),
            given.unwrap_or_default().to_owned(),
        ),
    };
    let id = store.next_payment_id();
    let mut payment = Payment::new(
        id,
        &header.trading_id,
        &header.site_id,
        amount,
        Method::Atm(atm.clone()),
        now,
    );
    let merchant = store.merchant(&header.merchant_id);
    payment.move_to(payment.status, now, &mut merchant.notices);
    merchant.payments.insert(id, payment);

    let mut items = Items::success();
    items.push("payment_id", id.to_string());
    items.push("trading_id", header.trading_id.clone());
    items.push("pay_center_number", atm.pay_center_number);
    items.push("customer_number", atm.customer_number);
    items.push("conf_number", atm.conf_number);
    items.push(
        "payment_limit_date",
        limit_date.format("%Y%m%d").to_string(),
    );
    Ok(items)
}
