//! A08 `creditToken` (card authorisation with a token, spec §3.1) and A09 `creditToken3D`
//! (its 3-D Secure result, §3.2).
//!
//! A08 field numbers: 03 `device_div` (`1`, `2`), 04 `order_no`, 05 `settle_price`, 06
//! `buyer_name_kanji` (required, up to 30 characters), 07 `buyer_tel` (required, digits and
//! `-`, up to 20), 08 `buyer_email` (required, up to 64), 09 `pay_way` (`1` 一括, or the
//! installment counts 2, 3, 5, 6, 10, 12, 15, 18, 20, 24), 10 `token`, 11 `card_code_api`
//! (optional, a code of §8; not compared with the card), 12 `description` (free, ignored),
//! 13 `member_id`, 14 `authentication_key`, 15 `trader_ec_url` (`http(s)://`), 16
//! `option_service_div` (optional `00` / `01`). `ec_cart_code` and `x3ds2_*` are taken and
//! ignored. Then, in this order: a token not minted for this trader → `A082000002`, used
//! → `A082000004`, older than [`super::TOKEN_MINUTES`] minutes → `A082000003`; an
//! `order_no` the trader already used (whatever became of it) → `A082000001`; the member
//! fields must be the token's (none for a one-off token: `A081011304`, missing:
//! `A081011301`, another key: `A081011404`), `option_service_div` must agree with them
//! (`A081011604`); a kept card deleted since the token → `A082000002`; 3-D Secure
//! (asked for by `trader_ec_url` or by a token minted with `authDiv` 1 or 3, which then
//! needs `trader_ec_url`: `A081011501`). From here the token is used up: the test card's
//! decline, if any (see [`super::testcard`]); a new card for a member who keeps
//! [`super::MAX_KEPT_CARDS`] cards → `A082070001`; a card excluded from 3-D Secure →
//! `A082050002`.
//!
//! Answers: `crdCResCd` (7 digits) when authorised, or `threeDToken` (32 letters and
//! digits) and `threeDAuthHtml` (a page whose form posts `TRAN_ID` to the sandbox's ACS,
//! `threeds.rs`) when the card asks for a challenge; the transaction is then 50 until A09.
//! Declined authorisations are not recorded: the `order_no` stays free.
//!
//! A09 field numbers: 03 `order_no`, then the ACS's fields forwarded lower-cased (04
//! `comp_cd` … 19 `hash_value`, see `threeds.rs`), 20 `three_d_token`. An `order_no` with
//! no transaction → `A091010301`; another `three_d_token` → `A091012004`; a transaction
//! already completed (authorised, failed, or never sent to 3-D Secure) → `A092000001`
//! (the replay code of the spec); one left waiting for [`super::THREE_D_MINUTES`] minutes
//! → `A092000003` (決済中断); no answer from the ACS yet → `A092000004`; a forwarded field
//! not as the ACS posted it → `A09101ff04` (`ff01` when missing). Then a passed
//! authentication authorises (`crdCResCd`) and a failed one answers `A092050001` and
//! leaves the transaction 11.

use chrono::{DateTime, Duration, Utc};

use super::api::Call;
use super::fields::{check_id, check_key, Fields};
use super::store::{
    alphanumerics, Card, MemberRef, State, Store, ThreeD, TokenCard, Transaction, TOKEN_MINUTES,
};
use super::testcard::{ThreeD as CardThreeD, BRAND_CODES};
use super::threeds::{self, ECHOED};
use super::wire::{Check, Refusal, Reply};

/// `pay_way` values taken: 一括 and the usual installment counts.
const PAY_WAYS: &[&str] = &["1", "2", "3", "5", "6", "10", "12", "15", "18", "20", "24"];

/// What the A08's fields ask for, once checked.
struct Request<'a> {
    device_div: &'a str,
    order_no: &'a str,
    price: u64,
    buyer: &'a str,
    pay_way: &'a str,
    token: &'a str,
    member: Option<MemberRef>,
    return_url: Option<&'a str>,
}

/// An e-mail address the sandbox takes: printable ASCII without spaces, one `@` between
/// two non-empty parts.
fn email_ok(email: &str) -> bool {
    let printable = email.bytes().all(|b| b.is_ascii_graphic());
    matches!(email.split_once('@'), Some((local, domain)) if printable && !local.is_empty() && !domain.is_empty() && !domain.contains('@'))
}

/// The A08 fields, checked in field order.
fn request<'a>(f: &Fields<'a>) -> Result<Request<'a>, Refusal> {
    let device_div = f.required("device_div", 3)?;
    if !matches!(device_div, "1" | "2") {
        return Err(f.refuse(3, Check::Invalid));
    }
    let order_no = f.order_no(4)?;
    let price = f.price("settle_price", 5)?;
    let buyer = f.required("buyer_name_kanji", 6)?;
    if buyer.chars().count() > 30 {
        return Err(f.refuse(6, Check::Range));
    }
    let tel = f.required("buyer_tel", 7)?;
    if !tel.chars().all(|c| c.is_ascii_digit() || c == '-')
        || !tel.contains(|c: char| c.is_ascii_digit())
    {
        return Err(f.refuse(7, Check::Invalid));
    }
    if tel.len() > 20 {
        return Err(f.refuse(7, Check::Range));
    }
    let email = f.required("buyer_email", 8)?;
    if !email_ok(email) {
        return Err(f.refuse(8, Check::Invalid));
    }
    if email.len() > 64 {
        return Err(f.refuse(8, Check::Range));
    }
    let pay_way = f.required("pay_way", 9)?;
    if !PAY_WAYS.contains(&pay_way) {
        return Err(f.refuse(9, Check::Invalid));
    }
    let token = f.required("token", 10)?;
    if f.optional("card_code_api")
        .is_some_and(|c| !BRAND_CODES.contains(&c))
    {
        return Err(f.refuse(11, Check::Invalid));
    }
    let member = match (f.optional("member_id"), f.optional("authentication_key")) {
        (None, None) => None,
        (Some(_), None) => return Err(f.refuse(14, Check::Missing)),
        (None, Some(_)) => return Err(f.refuse(13, Check::Missing)),
        (Some(id), Some(key)) => {
            check_id(id, 20).map_err(|c| f.refuse(13, c))?;
            check_key(key, 20).map_err(|c| f.refuse(14, c))?;
            Some(MemberRef {
                id: id.to_owned(),
                key: key.to_owned(),
            })
        }
    };
    let return_url = f.optional("trader_ec_url");
    if return_url.is_some_and(|u| !(u.starts_with("https://") || u.starts_with("http://"))) {
        return Err(f.refuse(15, Check::Invalid));
    }
    match (f.optional("option_service_div"), &member) {
        (None, _) | (Some("00"), None) | (Some("01"), Some(_)) => {}
        (Some("01"), None) => return Err(f.refuse(13, Check::Missing)),
        (Some(_), _) => return Err(f.refuse(16, Check::Invalid)),
    }
    Ok(Request {
        device_div,
        order_no,
        price,
        buyer,
        pay_way,
        token,
        member,
        return_url,
    })
}

/// A08.
pub fn authorise(store: &mut Store, call: &Call) -> Result<Reply, Refusal> {
    let f = Fields::new(call.form, "A08");
    let r = request(&f)?;
    let now = call.now;
    let token = store
        .tokens
        .get(r.token)
        .filter(|t| t.trader == call.trader)
        .ok_or_else(|| Refusal::new("A082000002"))?
        .clone();
    if token.used {
        return Err(Refusal::new("A082000004"));
    }
    if now >= token.minted + Duration::minutes(TOKEN_MINUTES) {
        return Err(Refusal::new("A082000003"));
    }
    if store.find(call.trader, r.order_no).is_some() {
        return Err(Refusal::new("A082000001"));
    }
    match (&token.member, &r.member) {
        (None, None) => {}
        (None, Some(_)) => return Err(f.refuse(13, Check::Invalid)),
        (Some(_), None) => return Err(f.refuse(13, Check::Missing)),
        (Some(t), Some(m)) if t.id != m.id => return Err(f.refuse(13, Check::Invalid)),
        (Some(t), Some(m)) if t.key != m.key => return Err(f.refuse(14, Check::Invalid)),
        (Some(_), Some(_)) => {}
    }
    let (card, kept_card): (Card, Option<String>) = match (&token.card, &r.member) {
        (TokenCard::New(card), _) => (card.clone(), None),
        (TokenCard::Kept(key), Some(m)) => match store.kept_card(call.trader, &m.id, key) {
            Some(kept) => (kept.card.clone(), Some(key.clone())),
            None => return Err(Refusal::new("A082000002")),
        },
        (TokenCard::Kept(_), None) => return Err(Refusal::new("A082000002")),
    };
    let wants_3ds = r.return_url.is_some() || matches!(token.auth_div, 1 | 3);
    if wants_3ds && r.return_url.is_none() {
        return Err(f.refuse(15, Check::Missing));
    }
    if let Some(t) = store.tokens.get_mut(r.token) {
        t.used = true;
    }
    if let Some(decline) = card.behaviour.decline {
        return Err(Refusal {
            code: decline.error_code.to_owned(),
            credit: decline.credit_error_code,
        });
    }
    let keep = r.member.is_some() && kept_card.is_none();
    if let (true, Some(member)) = (keep, &r.member) {
        if store.keeping_is_full(call.trader, member, &card) {
            return Err(Refusal::new("A082070001"));
        }
    }
    let challenge = match (wants_3ds, card.behaviour.three_d) {
        (false, _) | (true, CardThreeD::Frictionless) => false,
        (true, CardThreeD::Excluded) => return Err(Refusal::new("A082050002")),
        (true, CardThreeD::Challenge { .. }) => true,
    };
    let seq = store.next_seq();
    let transaction = Transaction {
        trader: call.trader,
        order_no: r.order_no.to_owned(),
        seq,
        device_div: r.device_div.to_owned(),
        price: r.price,
        authorised_price: r.price,
        pay_way: r.pay_way.to_owned(),
        buyer: r.buyer.to_owned(),
        card,
        member: r.member.clone(),
        keep,
        kept_card,
        state: State::Waiting3ds,
        approval: None,
        authorised: None,
        three_d: None,
        three_d_code: if wants_3ds { "Y" } else { "" },
        slip: None,
        delivered: None,
        cancelled: None,
        registered: now,
        renewed: now,
        history: Vec::new(),
    };
    if challenge {
        return start_3ds(
            store,
            call,
            transaction,
            r.token,
            r.return_url.unwrap_or_default(),
        );
    }
    store.transactions.push(transaction);
    let index = store.transactions.len() - 1;
    store.authorise(index, now);
    let approval = store.transactions[index]
        .approval
        .clone()
        .unwrap_or_default();
    tracing::info!(order_no = r.order_no, "yamato sandbox authorised a card");
    Ok(Reply::ok().text("crdCResCd", approval))
}

/// Record `transaction` waiting for 3-D Secure and answer with the ACS page.
fn start_3ds(
    store: &mut Store,
    call: &Call,
    mut transaction: Transaction,
    card_token: &str,
    return_url: &str,
) -> Result<Reply, Refusal> {
    let three_d = ThreeD {
        token: alphanumerics(32),
        tran_id: alphanumerics(20),
        card_token: card_token.to_owned(),
        return_url: return_url.to_owned(),
        result: None,
        started: call.now,
    };
    let html = threeds::auth_html(call.base, &three_d.tran_id).map_err(|error| {
        tracing::error!(%error, "yamato sandbox 3-D Secure page failed to render");
        Refusal::new("Z010000011")
    })?;
    let reply = Reply::ok()
        .text("threeDToken", three_d.token.clone())
        .text("threeDAuthHtml", html);
    transaction.three_d = Some(three_d);
    transaction.log("3Dセキュア認証開始", call.now, "");
    tracing::info!(
        order_no = transaction.order_no,
        "yamato sandbox sent a card to 3-D Secure"
    );
    store.transactions.push(transaction);
    Ok(reply)
}

/// Whether the 3-D Secure of `t` has lapsed at `now`.
pub fn lapsed(t: &ThreeD, now: DateTime<Utc>) -> bool {
    now >= t.started + Duration::minutes(super::THREE_D_MINUTES)
}

/// A09.
pub fn complete(store: &mut Store, call: &Call) -> Result<Reply, Refusal> {
    let f = Fields::new(call.form, "A09");
    let order_no = f.order_no(3)?;
    let three_d_token = f.required("three_d_token", 20)?;
    let index = store
        .find(call.trader, order_no)
        .ok_or_else(|| f.refuse(3, Check::Missing))?;
    let t = &store.transactions[index];
    let Some(three_d) = &t.three_d else {
        return Err(Refusal::new("A092000001"));
    };
    if three_d.token != three_d_token {
        return Err(f.refuse(20, Check::Invalid));
    }
    if t.state != State::Waiting3ds {
        return Err(Refusal::new("A092000001"));
    }
    if lapsed(three_d, call.now) {
        return Err(Refusal::new("A092000003"));
    }
    let Some(result) = &three_d.result else {
        return Err(Refusal::new("A092000004"));
    };
    for &(field, name, upper) in ECHOED {
        let posted = result
            .fields
            .iter()
            .find(|(n, _)| *n == upper)
            .map_or("", |(_, v)| v.as_str());
        let sent = f.raw(name);
        if sent == posted {
            continue;
        }
        let check = if sent.is_empty() {
            Check::Missing
        } else {
            Check::Invalid
        };
        return Err(f.refuse(field, check));
    }
    if result.passed {
        store.authorise(index, call.now);
        let approval = store.transactions[index]
            .approval
            .clone()
            .unwrap_or_default();
        tracing::info!(
            order_no,
            "yamato sandbox authorised a card after 3-D Secure"
        );
        Ok(Reply::ok().text("crdCResCd", approval))
    } else {
        let t = &mut store.transactions[index];
        t.state = State::Failed3ds;
        t.log("3Dセキュア認証失敗", call.now, "");
        Err(Refusal::new("A092050001"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_need_one_at_between_two_parts() {
        assert!(email_ok("taro@example.com"));
        assert!(!email_ok("taro@"));
        assert!(!email_ok("@example.com"));
        assert!(!email_ok("taro example@example.com"));
        assert!(!email_ok("a@b@c"));
    }
}
