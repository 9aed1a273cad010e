//! Stored cards (カード情報お預り, spec §6.5): 025 register, 026 delete, 027 list (CSV).
//!
//! A card is identified by `customer_id` + `customer_card_id` within a `site_id`; a
//! customer holds at most ten (P023). 025 takes the card as a full-card token (raw numbers
//! give 2023, as in 020); with `valid_check_flg=1` it first authorises the card through the
//! §15 stub and leaves a payment in 22, and a refused check stores nothing. Which of
//! P021–P026 answers which "not found" is not spelled out in the spec: the sandbox uses P022
//! for a 020 naming an unknown card, P025 for 026 and P026 for 027 (the spec's CSV example).
//! 116 (update) is not simulated.

use super::fields::{self, Rule};
use super::refusal::Refusal;
use super::status::Status;
use super::store::{
    self, Method, Payment, StoredCard, TokenContent, ValidityCheck, MAX_STORED_CARDS,
};
use super::testcard::{self, Verdict};
use super::wire::{self, Items, StoredCardRow, StoredCardSet};
use super::Telegram;

/// 025: store a card for a customer.
pub fn register(t: Telegram<'_>) -> Result<Items, Refusal> {
    let form = t.form;
    let customer_id = fields::required(form, "customer_id", Rule::Id, 25)?;
    let token = fields::optional(form, "card_token", Rule::Id, 30)?;
    if fields::optional(form, "card_number", Rule::Digits, 16)?.is_some() {
        return Err(if token.is_some() {
            Refusal::token_mixed()
        } else {
            Refusal::raw_card()
        });
    }
    let Some(token) = token else {
        return Err(match form.get("card_token") {
            Some(_) => Refusal::empty("card_token"),
            None => Refusal::absent("card_token"),
        });
    };
    let brand = fields::optional(form, "card_brand", Rule::Text, 24)?;
    let holder = fields::optional(form, "cardholder_name", Rule::Text, 64)?;
    let mut add_info: [String; 4] = Default::default();
    for (slot, name) in
        add_info
            .iter_mut()
            .zip(["add_info1", "add_info2", "add_info3", "add_info4"])
    {
        *slot = fields::optional(form, name, Rule::Text, 64)?
            .unwrap_or_default()
            .to_owned();
    }
    let check = fields::flag(form, "valid_check_flg", &["0", "1"])? == Some("1");
    let cvc_required = fields::flag(form, "security_code_use", &["0", "1"])? == Some("1");

    let header = t.header;
    let store = t.store;
    let mut card = match store.usable_token(&header.merchant_id, token, t.now)? {
        TokenContent::Card(card) => card,
        TokenContent::Cvc(_) => return Err(Refusal::token_type()),
    };
    if let Some(holder) = holder {
        card.holder = holder.to_owned();
    }
    if cvc_required && card.cvc.is_none() {
        return Err(Refusal::card("2003", "1G44"));
    }
    // Card data may be stored, the security code may not.
    card.cvc = None;
    let key = (header.site_id.clone(), customer_id.to_owned());
    let held = store
        .merchant(&header.merchant_id)
        .customers
        .get(&key)
        .map_or(0, Vec::len);
    if held >= MAX_STORED_CARDS {
        return Err(Refusal::too_many_cards());
    }

    let validity = if check {
        match testcard::authorise(&card.number) {
            Verdict::Approved => {}
            Verdict::Refused(refusal) => return Err(refusal),
            Verdict::Timeout => return Err(Refusal::timeout()),
        }
        let id = store.next_payment_id();
        let mut payment = Payment::new(
            id,
            &header.trading_id,
            &header.site_id,
            0,
            Method::Card(card.clone()),
            t.now,
        );
        payment.customer_id = customer_id.to_owned();
        let merchant = store.merchant(&header.merchant_id);
        payment.move_to(Status::ValidityChecked, t.now, &mut merchant.notices);
        merchant.payments.insert(id, payment);
        Some(ValidityCheck {
            result: "0",
            at: t.now,
        })
    } else {
        None
    };

    let card_id = store.next_card_id();
    store.consume_token(token);
    let issuer = card.issuer();
    let reply = StoredCardSet {
        num_of_cards: (held + 1).to_string(),
        customer_card_id: card_id.to_string(),
        issur_id: if check { issuer.acq_id } else { "" }.to_owned(),
        issur_name: if check { issuer.issur_name } else { "" }.to_owned(),
        acq_id: if check { issuer.acq_id } else { "" }.to_owned(),
        acq_name: if check { issuer.acq_name } else { "" }.to_owned(),
        fingerprint: card.fingerprint(),
        masked_card_number: card.masked(),
        card_valid_term: card.valid_term.clone(),
        cardholder_name: card.holder.clone(),
    };
    let stored = StoredCard {
        id: card_id,
        brand: brand
            .map(str::to_owned)
            .unwrap_or_else(|| testcard::brand(&card.number).to_owned()),
        card,
        add_info,
        last_used: t.now,
        validity,
    };
    store
        .merchant(&header.merchant_id)
        .customers
        .entry(key)
        .or_default()
        .push(stored);
    Ok(reply.items(Items::success()))
}

/// 026: delete one stored card, or all of the customer's when `customer_card_id` is empty.
pub fn delete(t: Telegram<'_>) -> Result<Items, Refusal> {
    let form = t.form;
    let customer_id = fields::required(form, "customer_id", Rule::Id, 25)?;
    let card_id = fields::optional(form, "customer_card_id", Rule::Digits, 18)?
        .map(|raw| {
            raw.parse::<u64>()
                .map_err(|_| Refusal::format("customer_card_id"))
        })
        .transpose()?;
    let key = (t.header.site_id.clone(), customer_id.to_owned());
    let customers = &mut t.store.merchant(&t.header.merchant_id).customers;
    let cards = customers
        .get_mut(&key)
        .filter(|cards| !cards.is_empty())
        .ok_or_else(Refusal::delete_not_found)?;
    match card_id {
        Some(id) => {
            let at = cards
                .iter()
                .position(|c| c.id == id)
                .ok_or_else(Refusal::delete_not_found)?;
            cards.remove(at);
        }
        None => cards.clear(),
    }
    let mut items = Items::success();
    items.push("num_of_cards", cards.len().to_string());
    Ok(items)
}

/// 027: list a customer's stored cards, newest use first, as CSV.
pub fn inquire(t: Telegram<'_>) -> Result<Vec<Vec<String>>, Refusal> {
    let form = t.form;
    let customer_id = fields::required(form, "customer_id", Rule::Id, 25)?;
    let card_id = fields::optional(form, "customer_card_id", Rule::Digits, 18)?
        .map(|raw| {
            raw.parse::<u64>()
                .map_err(|_| Refusal::format("customer_card_id"))
        })
        .transpose()?;
    let with_fingerprint = fields::flag(form, "return_fingerprint_flg", &["0", "1"])? == Some("1");
    fields::optional(form, "limit_count", Rule::Digits, 4)?;
    let key = (t.header.site_id.clone(), customer_id.to_owned());
    let now = t.now;
    let mut cards: Vec<&StoredCard> = t
        .store
        .merchant(&t.header.merchant_id)
        .customers
        .get(&key)
        .map(|cards| {
            cards
                .iter()
                .filter(|c| card_id.is_none_or(|id| c.id == id))
                .collect()
        })
        .unwrap_or_default();
    if cards.is_empty() {
        return Err(Refusal::inquiry_not_found());
    }
    cards.sort_by(|a, b| b.last_used.cmp(&a.last_used).then(b.id.cmp(&a.id)));
    let rows = cards
        .into_iter()
        .map(|stored| {
            let stamp = store::stamp(stored.last_used);
            let (result, update, date, issuer) = match &stored.validity {
                Some(check) => (
                    check.result,
                    "",
                    store::stamp(check.at),
                    stored.card.issuer().issur_name,
                ),
                None => ("", "", String::new(), ""),
            };
            StoredCardRow {
                customer_id: customer_id.to_owned(),
                customer_card_id: stored.id.to_string(),
                card_number: stored.card.masked(),
                card_valid_term: stored.card.valid_term.clone(),
                card_last_use_date: stamp[..12].to_owned(),
                card_brand: stored.brand.clone(),
                cardholder_name: stored.card.holder.clone(),
                add_info: stored.add_info.clone(),
                card_expire_flag: if stored.card.expired_at(now) {
                    "1"
                } else {
                    "0"
                }
                .to_owned(),
                valid_check_result: result.to_owned(),
                valid_update_cd: update.to_owned(),
                valid_check_date: date,
                issur_name: issuer.to_owned(),
                fingerprint: with_fingerprint.then(|| stored.card.fingerprint()),
            }
        })
        .collect();
    Ok(wire::stored_card_csv(rows, with_fingerprint))
}
