//! Inquiries: 094 payment inquiry (spec §6.10) and 091 difference inquiry (§7).
//!
//! 094 answers the common and card items of one payment found by payment_id or trading_id
//! (13001 none, 13002 several). 091 returns one difference record per call: without
//! `payment_notice_id` the oldest record no un-keyed call has returned yet, with it that
//! record again (re-fetching does not move the cursor — the sandbox's reading). Records
//! exist for every card status marked ● in §10, numbered per merchant, filtered by
//! `site_id`, and purged after seven days; `success_code=2` reports once that un-fetched
//! records were purged. The "on request" card extras are left empty, and 9004 (concurrent
//! calls) is not simulated.

use super::fields::{self, Rule};
use super::refusal::Refusal;
use super::store::{stamp, Notice, Payment};
use super::wire::{Items, NoticeRecord, PaymentRef};
use super::Telegram;

/// 094: the current state of one payment.
pub fn payment(t: Telegram<'_>) -> Result<Items, Refusal> {
    let payment_type = fields::optional(t.form, "payment_type", Rule::Digits, 2)?;
    let header = t.header;
    let merchant = t.store.merchant(&header.merchant_id);
    let found: &Payment = match header.payment_id {
        Some(id) => merchant
            .payments
            .get(&id)
            .filter(|p| header.trading_id.is_empty() || p.trading_id == header.trading_id)
            .ok_or_else(Refusal::inquiry_none)?,
        None if header.trading_id.is_empty() => {
            return Err(if header.payment_id_present {
                Refusal::empty("payment_id")
            } else {
                Refusal::absent("payment_id")
            })
        }
        None => {
            let mut matching = merchant
                .payments
                .values()
                .filter(|p| p.trading_id == header.trading_id);
            match (matching.next(), matching.next()) {
                (Some(p), None) => p,
                (Some(_), Some(_)) => return Err(Refusal::inquiry_ambiguous()),
                (None, _) => return Err(Refusal::inquiry_none()),
            }
        }
    };
    if payment_type.is_some_and(|kind| kind != "02") {
        return Err(Refusal::inquiry_none());
    }
    Ok(reference(found).items(Items::success()))
}

fn reference(p: &Payment) -> PaymentRef {
    let issuer = p.card.issuer();
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(stamp).unwrap_or_default();
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
        fingerprint: p.card.fingerprint(),
        masked_card_number: p.card.masked(),
        card_valid_term: p.card.valid_term.clone(),
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
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(stamp).unwrap_or_default();
    NoticeRecord {
        payment_notice_id: notice.id.to_string(),
        change_date: stamp(notice.at),
        payment_id: p.id.to_string(),
        trading_id: p.trading_id.clone(),
        payment_status: p.status.code().to_owned(),
        payment_amount: p.amount.to_string(),
        payment_init_date: stamp(p.created),
        cancel_date: when(p.cancelled),
        payment_date: when(p.captured),
        site_id: p.site_id.clone(),
        customer_id: p.customer_id.clone(),
        customer_card_id: p.customer_card_id.clone(),
        fingerprint: p.card.fingerprint(),
    }
}
