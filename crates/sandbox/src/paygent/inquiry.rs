//! Inquiries: 094 payment inquiry (spec §6.10) and 091 difference inquiry (§7).
//!
//! 094 answers the common items and those of the payment's method (card, ATM, konbini,
//! bank net, Paidy) of one payment found by payment_id or trading_id (13001 none, 13002
//! several); `payment_type` narrows a trading_id to one method, and a trading_id whose
//! bank net ASP saw several bank choices answers with the latest choice (the sandbox's
//! reading: the buyer abandoned the earlier ones). 091 returns one difference record per
//! call: without `payment_notice_id` the oldest record no un-keyed call has returned yet,
//! with it that record again (re-fetching does not move the cursor — the sandbox's
//! reading). Records exist for every status marked ● in the method's column of §10,
//! numbered per merchant, filtered by `site_id`, and purged after seven days;
//! `success_code=2` reports once that un-fetched records were purged. The "on request"
//! card extras are left empty, and 9004 (concurrent calls) is not simulated.

use chrono::{DateTime, Utc};

use super::fields::{self, Rule};
use super::refusal::Refusal;
use super::status::Status;
use super::store::{stamp, Card, Method, Notice, Payment, PaymentType};
use super::wire::{Items, NoticeRecord, PaymentRef};
use super::Telegram;

/// 094: the current state of one payment.
pub fn payment(t: Telegram<'_>) -> Result<Items, Refusal> {
    let payment_type = fields::optional(t.form, "payment_type", Rule::Digits, 2)?;
    let header = t.header;
    let merchant = t.store.merchant(&header.merchant_id);
    let of_type = |p: &&Payment| payment_type.is_none_or(|kind| p.payment_type().code() == kind);
    let found: &Payment = match header.payment_id {
        Some(id) => merchant
            .payments
            .get(&id)
            .filter(|p| header.trading_id.is_empty() || p.trading_id == header.trading_id)
            .filter(of_type)
            .ok_or_else(Refusal::inquiry_none)?,
        None if header.trading_id.is_empty() => {
            return Err(if header.payment_id_present {
                Refusal::empty("payment_id")
            } else {
                Refusal::absent("payment_id")
            })
        }
        None => {
            let matching: Vec<&Payment> = merchant
                .payments
                .values()
                .filter(|p| p.trading_id == header.trading_id)
                .filter(of_type)
                .collect();
            match matching.as_slice() {
                [] => return Err(Refusal::inquiry_none()),
                [one] => one,
                several
                    if several
                        .iter()
                        .all(|p| p.payment_type() == PaymentType::Bank) =>
                {
                    several.last().copied().ok_or_else(Refusal::inquiry_none)?
                }
                _ => return Err(Refusal::inquiry_ambiguous()),
            }
        }
    };
    Ok(reference(found))
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map(stamp).unwrap_or_default()
}

/// The 094 items of a payment: the common ones, then its method's.
fn reference(p: &Payment) -> Items {
    if let Method::Card(card) = &p.method {
        return card_reference(p, card).items(Items::success());
    }
    let mut items = Items::success();
    items.push("payment_id", p.id.to_string());
    items.push("trading_id", p.trading_id.clone());
    items.push("payment_type", p.payment_type().code());
    items.push("site_id", p.site_id.clone());
    items.push("payment_status", p.status.code());
    items.push("payment_amount", p.amount.to_string());
    items.push("payment_init_date", stamp(p.created));
    match &p.method {
        Method::Card(_) => {}
        Method::Atm(atm) => {
            items.push(
                "payment_limit_date",
                atm.limit_date.format("%Y%m%d").to_string(),
            );
            items.push("payment_date", when(p.captured));
            items.push("bank_code", atm.bank_code.clone());
            items.push("customer_number", atm.customer_number.clone());
            items.push("conf_number", atm.conf_number.clone());
            items.push("customer_family_name", atm.customer_name.0.clone());
            items.push("customer_name", atm.customer_name.1.clone());
        }
        Method::Konbini(k) => {
            items.push(
                "payment_limit_date",
                k.limit_date.format("%Y%m%d").to_string(),
            );
            items.push("early_notice_date", when(p.early_notice));
            items.push("cancel_date", when(p.cancelled));
            items.push("user_payment_date", when(p.user_paid));
            items.push("payment_date", when(p.captured));
            items.push("cvs_company_id", k.paid_at.clone());
            items.push("customer_family_name", k.customer_name.0.clone());
            items.push("customer_name", k.customer_name.1.clone());
            items.push("customer_tel", k.customer_tel.clone());
            items.push("receipt_number", k.receipt_number.clone());
            items.push("confirm_notice_date", "");
        }
        Method::Bank(bank) => {
            items.push("payment_date", when(p.captured));
            items.push("bank_code", bank.bank_code.clone());
            items.push("user_payment_date", when(p.user_paid));
        }
        Method::Paidy(paidy) => {
            for (name, value) in paidy_items(p, paidy) {
                items.push(name, value);
            }
        }
    }
    items
}

/// The Paidy items of 094 and of a Paidy notification (PAIDY 1.5 via §6.10).
pub fn paidy_items(p: &Payment, paidy: &super::store::Paidy) -> Vec<(&'static str, String)> {
    vec![
        ("paidy_payment_id", paidy.paidy_payment_id.clone()),
        ("authorized_date", when(p.authorized)),
        ("cancel_date", when(p.cancelled)),
        ("payment_date", when(p.captured)),
        ("currency", "JPY".to_owned()),
        ("description", paidy.description.clone()),
        ("store_name", paidy.store_name.clone()),
        ("buyer_email", paidy.buyer_email.clone()),
        ("buyer_name_kanji", paidy.buyer_name.clone()),
        ("buyer_name_kana", String::new()),
        ("buyer_phone", paidy.buyer_phone.clone()),
    ]
}

fn card_reference(p: &Payment, card: &Card) -> PaymentRef {
    let issuer = card.issuer();
    PaymentRef {
        payment_id: p.id.to_string(),
        trading_id: p.trading_id.clone(),
        site_id: p.site_id.clone(),
        payment_status: p.status.code().to_owned(),
        payment_amount: p.amount.to_string(),
        payment_init_date: stamp(p.created),
        authorized_date: when(p.authorized),
        cancel_date: when(p.cancelled),
        payment_date: when(p.captured),
        acq_id: issuer.acq_id.to_owned(),
        acq_name: issuer.acq_name.to_owned(),
        payment_class: p.payment_class.clone(),
        split_count: p.split_count.clone(),
        issur_code: issuer.acq_id.to_owned(),
        issur_name: issuer.issur_name.to_owned(),
        three_d_secure_ryaku: p.three_d_secure_skipped.clone(),
        attempt_kbn: p.attempt_kbn.clone(),
        three_d_secure_message_version: if p.three_d_secure_skipped == "0" {
            "2.2.0"
        } else {
            ""
        }
        .to_owned(),
        authrized_number: format!("{:07}", p.id % 10_000_000),
        fingerprint: card.fingerprint(),
        masked_card_number: card.masked(),
        card_valid_term: card.valid_term.clone(),
        customer_id: p.customer_id.clone(),
        customer_card_id: p.customer_card_id.clone(),
    }
}

/// 091: the next (or a named) difference record.
pub fn differences(t: Telegram<'_>) -> Result<Items, Refusal> {
    let wanted = fields::optional(t.form, "payment_notice_id", Rule::Digits, 18)?
        .map(|raw| {
            raw.parse::<u64>()
                .map_err(|_| Refusal::format("payment_notice_id"))
        })
        .transpose()?;
    let site_id = t.header.site_id.clone();
    let notices = &mut t.store.merchant(&t.header.merchant_id).notices;
    let mut items = Items::success();
    let same_site = |n: &&mut Notice| n.payment.site_id == site_id;
    let (code, found) = match wanted {
        Some(id) => (
            "0",
            notices
                .records
                .iter_mut()
                .filter(same_site)
                .find(|n| n.id == id),
        ),
        None => {
            let next = notices
                .records
                .iter_mut()
                .filter(same_site)
                .find(|n| !n.fetched);
            let code = if next.is_some() && notices.gap {
                "2"
            } else {
                "0"
            };
            (code, next)
        }
    };
    let Some(notice) = found else {
        items.push("success_code", "1");
        items.push("success_detail", "差分データはありません");
        return Ok(items);
    };
    if wanted.is_none() {
        notice.fetched = true;
    }
    let record = record(notice);
    if code == "2" {
        notices.gap = false;
        items.push("success_code", "2");
        items.push("success_detail", "保存期間を過ぎた差分データがあります");
    } else {
        items.push("success_code", "0");
        items.push("success_detail", "");
    }
    Ok(record.items(items))
}

/// The §7 items of a difference record, as 091 returns and a push sends them.
pub fn record(notice: &Notice) -> NoticeRecord {
    let p = &notice.payment;
    let mut record = NoticeRecord {
        payment_notice_id: notice.id.to_string(),
        change_date: stamp(notice.at),
        payment_id: p.id.to_string(),
        trading_id: p.trading_id.clone(),
        payment_type: p.payment_type().code().to_owned(),
        payment_status: p.status.code().to_owned(),
        payment_amount: p.amount.to_string(),
        payment_init_date: stamp(p.created),
        early_notice_date: when(p.early_notice),
        cancel_date: when(p.cancelled),
        user_payment_date: when(p.user_paid),
        payment_date: when(p.captured),
        site_id: p.site_id.clone(),
        customer_id: p.customer_id.clone(),
        customer_card_id: p.customer_card_id.clone(),
        ..NoticeRecord::default()
    };
    match &p.method {
        Method::Card(card) => record.fingerprint = card.fingerprint(),
        Method::Atm(atm) => {
            record.payment_limit_date = atm.limit_date.format("%Y%m%d").to_string();
            record.bank_code = atm.bank_code.clone();
        }
        Method::Konbini(k) => {
            record.payment_limit_date = k.limit_date.format("%Y%m%d").to_string();
            record.cvs_company_id = k.paid_at.clone();
        }
        Method::Bank(bank) => record.bank_code = bank.bank_code.clone(),
        Method::Paidy(paidy) => {
            record.extra = paidy_items(p, paidy);
            record
                .extra
                .push(("event", paidy_event(p.status).to_owned()));
            record.extra.push(("event_result", "success".to_owned()));
            record.extra.push(("event_error_code", String::new()));
        }
    }
    record
}

/// The Paidy `event` a status change reports (§6.11).
fn paidy_event(status: Status) -> &'static str {
    match status {
        Status::Authorized => "authorize",
        Status::AuthCancelled => "cancel",
        Status::Captured => "capture",
        Status::SalesCancelled => "refund",
        Status::AuthExpired | Status::CapturedFinal => "expire",
        Status::Applied
        | Status::Declined
        | Status::PaymentExpired
        | Status::Aborted
        | Status::ValidityChecked
        | Status::CancelPending
        | Status::SalesCancelPending
        | Status::Preliminary
        | Status::PreliminaryCancelled => "",
    }
}
