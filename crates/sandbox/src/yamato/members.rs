//! Kept cards (お預かりカード, the オプションサービス; spec §3.4, §5): A03 `creditInfoGet`,
//! A04 `creditInfoUpdate` and A05 `creditInfoDelete`. Cards are kept by A08 with a token
//! minted with `optServDiv` `01` for the member (see `credit.rs`).
//!
//! Every call names the member with 03 `member_id` and 04 `authentication_key` and proves
//! the trader with 05 `check_sum`: lower-case hex SHA-256 of `member_id +
//! authentication_key + access_key` (§5); a wrong sum → `A0x1010504`, a key other than
//! the one the member's cards were kept with → `A0x1010404`.
//!
//! * A03 answers `cardUnit` and one `cardData` per card (`cardKey`, `maskingCardNo`,
//!   `cardExp` `MMYY`, `cardOwner`, `cardCodeApi`, `lastCreditDate` `YYYYMMDDHHMMSS`);
//!   a member without cards has `cardUnit` 0.
//! * A05 takes 06 `card_key` and 07 `last_credit_date`, which must be the card's
//!   (`A0x1010601` no such card, `A0x1010704` another date), and deletes the card.
//! * A04 (its fields are not in the spec; the sandbox's choice): the same 06 and 07, then
//!   08 `card_exp` (`MMYY`, this month or later) and/or 09 `card_owner`, at least one
//!   (`A041010801` when neither); the card number cannot change (a new card is kept by
//!   paying with it). `lastCreditDate` stays as it was.

use super::api::Call;
use super::fields::{self, check_id, check_key, Fields};
use super::store::{sha256_hex, KeptCard, Store};
use super::wire::{stamp, Check, Refusal, Reply};

/// The member a call names, checked: `(member_id, authentication_key)`.
fn member<'a>(
    store: &Store,
    call: &Call<'a>,
    f: &Fields<'a>,
) -> Result<(&'a str, &'a str), Refusal> {
    let id = f.required("member_id", 3)?;
    check_id(id, 20).map_err(|c| f.refuse(3, c))?;
    let key = f.required("authentication_key", 4)?;
    check_key(key, 20).map_err(|c| f.refuse(4, c))?;
    let sum = f.required("check_sum", 5)?;
    let access_key = &store.traders[call.trader].access_key;
    if sum != sha256_hex(&format!("{id}{key}{access_key}")) {
        return Err(f.refuse(5, Check::Invalid));
    }
    if store.member(call.trader, id).is_some_and(|m| m.key != key) {
        return Err(f.refuse(4, Check::Invalid));
    }
    Ok((id, key))
}

/// The kept card a call names by `card_key` and `last_credit_date`: its index.
fn card(store: &Store, call: &Call, f: &Fields, id: &str) -> Result<usize, Refusal> {
    let key = f.required("card_key", 6)?;
    let last_credit = f.required("last_credit_date", 7)?;
    let cards = store
        .member(call.trader, id)
        .map(|m| m.cards.as_slice())
        .unwrap_or_default();
    let index = cards
        .iter()
        .position(|c| c.key == key)
        .ok_or_else(|| f.refuse(6, Check::Missing))?;
    if stamp(cards[index].last_credit) != last_credit {
        return Err(f.refuse(7, Check::Invalid));
    }
    Ok(index)
}

fn card_data(kept: &KeptCard) -> Vec<(&'static str, String)> {
    vec![
        ("cardKey", kept.key.clone()),
        ("maskingCardNo", kept.card.masked()),
        ("cardExp", kept.card.expiry.clone()),
        ("cardOwner", kept.card.holder.clone()),
        ("cardCodeApi", kept.card.brand.code.into()),
        ("lastCreditDate", stamp(kept.last_credit)),
    ]
}

/// A03.
pub fn list(store: &Store, call: &Call) -> Result<Reply, Refusal> {
    let f = Fields::new(call.form, "A03");
    let (id, _) = member(store, call, &f)?;
    let cards = store
        .member(call.trader, id)
        .map(|m| m.cards.as_slice())
        .unwrap_or_default();
    let reply = Reply::ok().text("cardUnit", cards.len().to_string());
    Ok(cards.iter().fold(reply, |reply, kept| {
        reply.group("cardData", card_data(kept))
    }))
}

/// A04.
pub fn update(store: &mut Store, call: &Call) -> Result<Reply, Refusal> {
    let f = Fields::new(call.form, "A04");
    let (id, _) = member(store, call, &f)?;
    let index = card(store, call, &f, id)?;
    let expiry = f.optional("card_exp");
    let holder = f.optional("card_owner");
    if expiry.is_none() && holder.is_none() {
        return Err(f.refuse(8, Check::Missing));
    }
    if let Some(expiry) = expiry {
        fields::expiry(expiry, call.now).map_err(|c| f.refuse(8, c))?;
    }
    if let Some(holder) = holder {
        fields::holder(holder).map_err(|c| f.refuse(9, c))?;
    }
    if let Some(m) = store.member_mut(call.trader, id) {
        let kept = &mut m.cards[index];
        if let Some(expiry) = expiry {
            kept.card.expiry = expiry.to_owned();
        }
        if let Some(holder) = holder {
            kept.card.holder = holder.to_owned();
        }
    }
    tracing::info!(member_id = id, "yamato sandbox changed a kept card");
    Ok(Reply::ok())
}

/// A05.
pub fn delete(store: &mut Store, call: &Call) -> Result<Reply, Refusal> {
    let f = Fields::new(call.form, "A05");
    let (id, _) = member(store, call, &f)?;
    let index = card(store, call, &f, id)?;
    if let Some(m) = store.member_mut(call.trader, id) {
        m.cards.remove(index);
    }
    tracing::info!(member_id = id, "yamato sandbox deleted a kept card");
    Ok(Reply::ok())
}
