//! Card telegrams on existing and new payments: 020 authorisation, 021 auth cancel, 022
//! capture, 023 sales cancel, 028 re-authorise and 029 re-capture (spec §6.1–6.3, §10).
//!
//! 020 takes the card as a token (`card_token`), a stored card (`stock_card_mode=1` with
//! `customer_id` + `customer_card_id`, optionally a CVC token with `security_code_token=1`)
//! or the card of an earlier payment (`ref_trading_id`). A token is consumed only by a
//! successful telegram. A 020 either skips 3-D Secure (`3dsecure_ryaku=1`) or presents a
//! 450 result (`3dsecure_use_type=2` + `3ds_auth_id`, checked by `threeds.rs`), which a
//! successful authorisation uses up. Amount changes create a new payment id and cancel
//! the old payment after (`base_payment_cancel_timing` 0/empty) or before (1) creating
//! the new one; when
//! the card's cancel fails after the new payment exists the answer is 2010 (028) / 2012
//! (029) carrying the new id, and when it fails first nothing changes and the cancel's own
//! error is returned — the latter is the sandbox's reading of §6.3. Payments made with
//! 3-D Secure cannot change their amount (2014).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::fields::{self, Header, Rule};
use super::refusal::Refusal;
use super::status::{self, Operation, Status};
use super::store::{self, Card, Merchant, Method, Payment, Store, TokenContent};
use super::testcard::{self, Verdict};
use super::threeds::{self, CardRef};
use super::wire::{AmountChange, CardFacts, CardResult, Items};
use super::Telegram;

/// A payment left in 10 by a 2003 input error may be retried this many times (§10).
const MAX_RETRIES: u8 = 3;

/// `payment_class` values of §6.1: one-time, bonus, instalments, revolving.
const PAYMENT_CLASSES: &[&str] = &["10", "23", "61", "80"];

/// 020: authorise (and with `sales_mode=1` capture) a card payment.
pub fn authorise(t: Telegram<'_>) -> Result<Items, Refusal> {
    let form = t.form;
    let amount = fields::amount(form, "payment_amount", 7)?;
    let payment_class = fields::optional(form, "payment_class", Rule::Digits, 2)?.unwrap_or("10");
    if !PAYMENT_CLASSES.contains(&payment_class) {
        return Err(Refusal::invalid("payment_class"));
    }
    let split_count = if payment_class == "61" {
        let raw = fields::required(form, "split_count", Rule::Digits, 2)?;
        if raw.parse::<u8>().unwrap_or(0) < 2 {
            return Err(Refusal::invalid("split_count"));
        }
        raw
    } else {
        ""
    };
    let use_type = fields::flag(form, "3dsecure_use_type", &["1", "2"])?;
    let auth_id = fields::optional(form, "3ds_auth_id", Rule::Text, 36)?;
    let skipped = fields::flag(form, "3dsecure_ryaku", &["0", "1"])? == Some("1");
    let three_ds = match (use_type, auth_id) {
        (Some("2"), _) if skipped => return Err(Refusal::invalid("3dsecure_ryaku")),
        (Some("2"), Some(id)) => Some(id),
        (Some("2"), None) => return Err(Refusal::threeds_id_missing()),
        (_, Some(_)) => return Err(Refusal::threeds_not_type2()),
        (_, None) if skipped => None,
        // 3-D Secure 1.0 (type empty or 1) ended in October 2022 (§6.1): a payment either
        // skips 3-D Secure or presents an EMV 3-D Secure result.
        (_, None) => return Err(Refusal::invalid("3dsecure_ryaku")),
    };
    let sales_mode = fields::flag(form, "sales_mode", &["0", "1"])? == Some("1");
    let cvc_required = fields::flag(form, "security_code_use", &["0", "1"])? == Some("1");
    let source = card_source(t.form)?;

    let Telegram {
        store, now, header, ..
    } = t;
    let attempt_kbn = match three_ds {
        Some(id) => Some(threeds::usable(
            store,
            id,
            &header.merchant_id,
            &header.site_id,
            amount,
            source.as_three_ds().as_ref(),
        )?),
        None => None,
    };
    let chosen = resolve_card(store, &header.merchant_id, &header.site_id, source, now)?;
    let verdict = if chosen.card.expired_at(now) {
        Verdict::Refused(Refusal::card("2003", "1G83"))
    } else if cvc_required && chosen.card.cvc.is_none() {
        Verdict::Refused(Refusal::card("2003", "1G44"))
    } else {
        testcard::authorise(&chosen.card.number)
    };

    let merchant = store.merchant(&header.merchant_id);
    let retried = match header.payment_id {
        Some(id) => {
            let payment = find(&mut merchant.payments, id, &header.trading_id)?;
            status::allow(Operation::Retry, payment.status)?;
            if payment.attempts > MAX_RETRIES {
                payment.move_to(Status::Declined, now, &mut merchant.notices);
                return Err(Refusal::card("2001", "1G12"));
            }
            Some(id)
        }
        None => None,
    };
    if verdict == Verdict::Timeout {
        return Err(Refusal::timeout());
    }
    let id = match retried {
        Some(id) => id,
        None => {
            let id = store.next_payment_id();
            let payment = Payment::new(
                id,
                &header.trading_id,
                &header.site_id,
                amount,
                Method::Card(chosen.card.clone()),
                now,
            );
            store
                .merchant(&header.merchant_id)
                .payments
                .insert(id, payment);
            id
        }
    };

    let merchant = store.merchant(&header.merchant_id);
    let Some(payment) = merchant.payments.get_mut(&id) else {
        return Err(Refusal::not_found());
    };
    payment.attempts += 1;
    payment.amount = amount;
    payment.method = Method::Card(chosen.card.clone());
    payment.payment_class = payment_class.to_owned();
    payment.split_count = split_count.to_owned();
    payment.three_d_secure_skipped = if attempt_kbn.is_some() { "0" } else { "1" }.to_owned();
    payment.attempt_kbn = attempt_kbn.unwrap_or_default().to_owned();
    if let Some((customer_id, card_id)) = &chosen.stored {
        payment.customer_id = customer_id.clone();
        payment.customer_card_id = card_id.to_string();
    }
    match verdict {
        Verdict::Approved => {
            let to = if sales_mode {
                Status::Captured
            } else {
                Status::Authorized
            };
            payment.move_to(to, now, &mut merchant.notices);
            let facts = facts(payment, &chosen.card);
            if let Some((customer_id, card_id)) = &chosen.stored {
                let key = (header.site_id.clone(), customer_id.clone());
                if let Some(stored) = merchant
                    .customers
                    .get_mut(&key)
                    .and_then(|cards| cards.iter_mut().find(|c| c.id == *card_id))
                {
                    stored.last_used = now;
                }
            }
            for token in &chosen.tokens {
                store.consume_token(token);
            }
            if let Some(id) = three_ds {
                threeds::consume(store, id);
            }
            Ok(CardResult {
                payment_id: id.to_string(),
                trading_id: header.trading_id.clone(),
                card: Some(facts),
            }
            .items(Items::success()))
        }
        Verdict::Refused(refusal) if refusal.code == "2003" => {
            if payment.status != Status::Applied || payment.history.is_empty() {
                payment.move_to(Status::Applied, now, &mut merchant.notices);
            }
            Err(refusal.with_payment(id))
        }
        Verdict::Refused(refusal) => {
            payment.move_to(Status::Declined, now, &mut merchant.notices);
            Err(refusal)
        }
        Verdict::Timeout => Err(Refusal::timeout()),
    }
}

/// The card items of a successful authorisation with `card`.
pub fn facts(payment: &Payment, card: &Card) -> CardFacts {
    let issuer = card.issuer();
    CardFacts {
        attempt_kbn: payment.attempt_kbn.clone(),
        issur_class: testcard::issur_class(&card.number).to_owned(),
        acq_id: issuer.acq_id.to_owned(),
        acq_name: issuer.acq_name.to_owned(),
        issur_name: issuer.issur_name.to_owned(),
        issur_id: issuer.acq_id.to_owned(),
        fingerprint: card.fingerprint(),
        masked_card_number: card.masked(),
        card_valid_term: card.valid_term.clone(),
    }
}

/// The one way a 020 names its card (§6.1 ▼カード情報の指定方法).
enum CardSource {
    Token(String),
    Stored {
        customer_id: String,
        card_id: u64,
        cvc_token: Option<String>,
    },
    Reference(String),
}

impl CardSource {
    /// The card as 3-D Secure names it; an earlier payment's card was never authenticated.
    fn as_three_ds(&self) -> Option<CardRef> {
        match self {
            CardSource::Token(token) => threeds::presented(Some(token), None),
            CardSource::Stored {
                customer_id,
                card_id,
                ..
            } => threeds::presented(None, Some((customer_id, *card_id))),
            CardSource::Reference(_) => None,
        }
    }
}

fn card_source(form: &crate::form::Form) -> Result<CardSource, Refusal> {
    let token = fields::optional(form, "card_token", Rule::Id, 30)?;
    let number = fields::optional(form, "card_number", Rule::Digits, 16)?;
    let reference = fields::optional(form, "ref_trading_id", Rule::Id, 25)?;
    let stored = fields::flag(form, "stock_card_mode", &["0", "1"])? == Some("1");
    let cvc_token = fields::flag(form, "security_code_token", &["0", "1"])? == Some("1");
    if stored {
        let customer_id = fields::required(form, "customer_id", Rule::Id, 25)?;
        let card_id = fields::required(form, "customer_card_id", Rule::Digits, 18)?;
        if token.is_some() && !cvc_token {
            return Err(Refusal::token_mixed());
        }
        return Ok(CardSource::Stored {
            customer_id: customer_id.to_owned(),
            card_id: card_id
                .parse()
                .map_err(|_| Refusal::format("customer_card_id"))?,
            cvc_token: token.map(str::to_owned),
        });
    }
    if cvc_token {
        // A CVC token only makes sense with a stored card (§6.1 No.26).
        return Err(Refusal::invalid("security_code_token"));
    }
    match (token, number, reference) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(Refusal::token_mixed()),
        (Some(token), None, None) => Ok(CardSource::Token(token.to_owned())),
        (None, Some(_), _) => Err(Refusal::raw_card()),
        (None, None, Some(reference)) => Ok(CardSource::Reference(reference.to_owned())),
        (None, None, None) => Err(match form.get("card_token") {
            Some(_) => Refusal::empty("card_token"),
            None => Refusal::absent("card_token"),
        }),
    }
}

/// The card a 020 resolved to, with the tokens to consume on success.
struct Chosen {
    card: Card,
    tokens: Vec<String>,
    stored: Option<(String, u64)>,
}

fn resolve_card(
    store: &mut Store,
    merchant_id: &str,
    site_id: &str,
    source: CardSource,
    now: DateTime<Utc>,
) -> Result<Chosen, Refusal> {
    match source {
        CardSource::Token(token) => match store.usable_token(merchant_id, &token, now)? {
            TokenContent::Card(card) => Ok(Chosen {
                card,
                tokens: vec![token],
                stored: None,
            }),
            TokenContent::Cvc(_) => Err(Refusal::token_type()),
        },
        CardSource::Stored {
            customer_id,
            card_id,
            cvc_token,
        } => {
            let cvc = match &cvc_token {
                Some(token) => match store.usable_token(merchant_id, token, now)? {
                    TokenContent::Cvc(cvc) => Some(cvc),
                    TokenContent::Card(_) => return Err(Refusal::token_type()),
                },
                None => None,
            };
            let key = (site_id.to_owned(), customer_id.clone());
            let stored = store
                .merchant(merchant_id)
                .customers
                .get(&key)
                .and_then(|cards| cards.iter().find(|c| c.id == card_id))
                .ok_or_else(Refusal::stored_card_not_found)?;
            let mut card = stored.card.clone();
            card.cvc = cvc;
            Ok(Chosen {
                card,
                tokens: cvc_token.into_iter().collect(),
                stored: Some((customer_id, card_id)),
            })
        }
        CardSource::Reference(reference) => {
            let oldest = now - Duration::days(store::REF_TRADING_DAYS);
            store
                .merchant(merchant_id)
                .payments
                .values()
                .rev()
                .filter(|p| {
                    p.trading_id == reference
                        && p.created >= oldest
                        && !matches!(p.status, Status::Applied | Status::Declined)
                })
                .find_map(Payment::card)
                .map(|card| Chosen {
                    card: Card {
                        cvc: None,
                        ..card.clone()
                    },
                    tokens: Vec::new(),
                    stored: None,
                })
                .ok_or_else(Refusal::ref_trading_id)
        }
    }
}

/// The card payment a follow-up telegram names, by payment_id and/or trading_id (§3
/// No.7); payments of other methods are not found by card telegrams.
fn target(merchant: &Merchant, header: &Header) -> Result<u64, Refusal> {
    if let Some(id) = header.payment_id {
        return match merchant.payments.get(&id) {
            Some(p)
                if p.card().is_some()
                    && (header.trading_id.is_empty() || p.trading_id == header.trading_id) =>
            {
                Ok(id)
            }
            _ => Err(Refusal::not_found()),
        };
    }
    if header.trading_id.is_empty() {
        return Err(if header.payment_id_present {
            Refusal::empty("payment_id")
        } else {
            Refusal::absent("payment_id")
        });
    }
    let mut matching = merchant
        .payments
        .values()
        .filter(|p| p.card().is_some() && p.trading_id == header.trading_id);
    match (matching.next(), matching.next()) {
        (Some(p), None) => Ok(p.id),
        (Some(_), Some(_)) => Err(Refusal::ambiguous()),
        (None, _) => Err(Refusal::not_found()),
    }
}

fn find<'m>(
    payments: &'m mut BTreeMap<u64, Payment>,
    id: u64,
    trading_id: &str,
) -> Result<&'m mut Payment, Refusal> {
    match payments.get_mut(&id) {
        Some(p) if p.card().is_some() && (trading_id.is_empty() || p.trading_id == trading_id) => {
            Ok(p)
        }
        _ => Err(Refusal::not_found()),
    }
}

/// What a successful 021/022/023 answers.
fn plain_result(payment: &Payment) -> Items {
    CardResult {
        payment_id: payment.id.to_string(),
        trading_id: payment.trading_id.clone(),
        card: None,
    }
    .items(Items::success())
}

/// 021 / 023: cancel through the card network; a timeout parks the payment in `pending`.
fn cancel(t: Telegram<'_>, op: Operation, done: Status, pending: Status) -> Result<Items, Refusal> {
    let merchant = t.store.merchant(&t.header.merchant_id);
    let id = target(merchant, t.header)?;
    let merchant = t.store.merchant(&t.header.merchant_id);
    let notices = &mut merchant.notices;
    let payment = merchant
        .payments
        .get_mut(&id)
        .ok_or_else(Refusal::not_found)?;
    status::allow(op, payment.status)?;
    let number = payment.card().map(|c| c.number.clone()).unwrap_or_default();
    match testcard::cancel(&number) {
        Verdict::Approved => {
            payment.move_to(done, t.now, notices);
            Ok(plain_result(payment))
        }
        Verdict::Refused(refusal) => Err(refusal),
        Verdict::Timeout => {
            if payment.status != pending {
                payment.move_to(pending, t.now, notices);
            }
            Err(Refusal::timeout())
        }
    }
}

/// 021: cancel an authorisation (20 → 32).
pub fn auth_cancel(t: Telegram<'_>) -> Result<Items, Refusal> {
    cancel(
        t,
        Operation::AuthCancel,
        Status::AuthCancelled,
        Status::CancelPending,
    )
}

/// 023: cancel a captured payment (40 → 60).
pub fn sales_cancel(t: Telegram<'_>) -> Result<Items, Refusal> {
    cancel(
        t,
        Operation::SalesCancel,
        Status::SalesCancelled,
        Status::SalesCancelPending,
    )
}

/// 022: capture an authorisation (20 → 40). Capture always succeeds in the card stub.
pub fn capture(t: Telegram<'_>) -> Result<Items, Refusal> {
    let merchant = t.store.merchant(&t.header.merchant_id);
    let id = target(merchant, t.header)?;
    let merchant = t.store.merchant(&t.header.merchant_id);
    let notices = &mut merchant.notices;
    let payment = merchant
        .payments
        .get_mut(&id)
        .ok_or_else(Refusal::not_found)?;
    status::allow(Operation::Capture, payment.status)?;
    payment.move_to(Status::Captured, t.now, notices);
    Ok(plain_result(payment))
}

/// 028: new authorisation with a new amount; the old one ends in 32 (§6.3).
pub fn re_authorise(t: Telegram<'_>) -> Result<Items, Refusal> {
    change_amount(t, Operation::ReAuthorise)
}

/// 029: new capture with a new amount; the old one ends in 60 (§6.3).
pub fn re_capture(t: Telegram<'_>) -> Result<Items, Refusal> {
    change_amount(t, Operation::ReCapture)
}

fn change_amount(t: Telegram<'_>, op: Operation) -> Result<Items, Refusal> {
    let form = t.form;
    let requested = fields::amount(form, "payment_amount", 7)?;
    let reduction = fields::required(form, "reduction_flag", Rule::Digits, 1)?;
    if !["0", "1"].contains(&reduction) {
        return Err(Refusal::invalid("reduction_flag"));
    }
    let cancel_first = fields::flag(form, "base_payment_cancel_timing", &["0", "1"])? == Some("1");
    let (new_status, old_end, partial) = match op {
        Operation::ReAuthorise => (
            Status::Authorized,
            Status::AuthCancelled,
            Refusal::reauth_partial(),
        ),
        Operation::ReCapture => (
            Status::Captured,
            Status::SalesCancelled,
            Refusal::recapture_partial(),
        ),
        Operation::Retry | Operation::AuthCancel | Operation::Capture | Operation::SalesCancel => {
            return Err(Refusal::unavailable())
        }
    };

    let merchant = t.store.merchant(&t.header.merchant_id);
    let old_id = target(merchant, t.header)?;
    let old = merchant
        .payments
        .get(&old_id)
        .ok_or_else(Refusal::not_found)?;
    status::allow(op, old.status)?;
    if old.three_d_secure_skipped == "0" {
        return Err(Refusal::three_d_secure_payment());
    }
    let new_amount = if reduction == "1" {
        old.amount.saturating_sub(requested)
    } else {
        requested
    };
    if new_amount == 0 || new_amount > old.amount {
        return Err(Refusal::amount_change());
    }
    let cancel_verdict = testcard::cancel(old.card().map_or("", |c| c.number.as_str()));
    if cancel_first {
        match &cancel_verdict {
            Verdict::Approved => {}
            Verdict::Refused(refusal) => return Err(refusal.clone()),
            Verdict::Timeout => return Err(Refusal::timeout()),
        }
    }
    let mut replacement = old.clone();
    let new_id = t.store.next_payment_id();
    replacement.id = new_id;
    replacement.amount = new_amount;
    replacement.base_payment_id = Some(old_id);
    replacement.created = t.now;
    replacement.authorized = None;
    replacement.captured = None;
    replacement.cancelled = None;
    replacement.attempts = 1;
    replacement.history = Vec::new();

    let merchant = t.store.merchant(&t.header.merchant_id);
    let notices = &mut merchant.notices;
    let cancelled_old = cancel_verdict == Verdict::Approved;
    if cancelled_old && cancel_first {
        if let Some(old) = merchant.payments.get_mut(&old_id) {
            old.move_to(old_end, t.now, notices);
        }
    }
    replacement.move_to(new_status, t.now, notices);
    let trading_id = replacement.trading_id.clone();
    merchant.payments.insert(new_id, replacement);
    if cancelled_old && !cancel_first {
        if let Some(old) = merchant.payments.get_mut(&old_id) {
            old.move_to(old_end, t.now, notices);
        }
    }
    if !cancelled_old {
        return Err(partial.with_payment(new_id));
    }
    Ok(AmountChange {
        payment_id: new_id.to_string(),
        trading_id,
        base_payment_id: old_id.to_string(),
        reduced_amount: new_amount.to_string(),
    }
    .items(Items::success()))
}
