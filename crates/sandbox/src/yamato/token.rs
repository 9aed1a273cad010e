//! The stand-in for Yamato's token JS (spec §6): the script a shop's page loads and the
//! endpoint it sends the card to, so that card data goes from the browser to the sandbox
//! only and the shop's server sees a token.
//!
//! * `GET /api/token/js/embeddedTokenLib.js` and `GET /test_gateway/token/js/embeddedTokenLib.js`
//!   — the script (`assets/embeddedTokenLib.js`): `WebcollectTokenLib.createToken(info,
//!   onSuccess, onFailure)`; `onSuccess({token})`, `onFailure({errorInfo: [{errorCode,
//!   errorMsg, errorItem}]})`.
//! * `POST /api/token/createToken` and `POST /test_gateway/token/createToken` — the
//!   script's call (the sandbox's own endpoint; the real one is not in the spec): a UTF-8
//!   form with the `info` keys, answered with JSON `{"returnCode": "0", "token"}` or
//!   `{"returnCode": "1", "errorInfo": [..]}` and `Access-Control-Allow-Origin: *` (a form
//!   post is a simple cross-origin request, so the shop's page can read the answer).
//!
//! The `info` keys, with their field numbers for the `Y02101ffcc` codes (see `wire.rs`):
//! 01 `traderCode` (a sandbox trader), 02 `authDiv` (`0` none, `1` 3-D Secure, `2`
//! security code, `3` both), 03 `optServDiv` (`00` one-off, `01` the member's card kept or
//! used), 04 `memberId`, 05 `authKey` (both with `01`), 06 `checkSum` (spec §5:
//! SHA-256 hex of `access_key + authDiv`, or with `01` of `memberId + authKey + access_key
//! + authDiv`), 07 `cardKey` and 08 `lastCreditDate` (a kept card instead of a number, `01`
//! only), 09 `cardNo` (13–16 digits), 10 `cardOwner` (see `fields.rs`), 11 `cardExp`
//! (`MMYY`, this month or later), 13 `securityCode` (3–4 digits, required with `authDiv` 2
//! and 3, else optional; checked, never kept). Every field problem is listed, in that
//! order; the check sum is judged only when the fields it is made of are right.
//! `Y021010504` also answers an `authKey` other than the one the member's cards are kept
//! with. A token is good for one A08 within [`super::TOKEN_MINUTES`] minutes.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use encoding_rs::UTF_8;
use serde_json::{json, Value};

use super::fields::{self, check_id, check_key};
use super::store::{alphanumerics, sha256_hex, Card, MemberRef, Store, Token, TokenCard};
use super::testcard;
use super::wire::{stamp, Check, Refusal};
use super::Sandbox;
use crate::form::Form;

/// `embeddedTokenLib.js`.
pub async fn script() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("assets/embeddedTokenLib.js"),
    )
}

/// One entry of `errorInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    code: String,
    message: &'static str,
    item: &'static str,
}

/// Collects the problems of one request.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, field: u8, check: Check, item: &'static str, message: &'static str) {
        self.0.push(Problem {
            code: Refusal::field("Y02", field, check).code,
            message,
            item,
        });
    }
}

/// `POST …/token/createToken`.
pub async fn create(State(sandbox): State<Sandbox>, body: Bytes) -> Response {
    let form = Form::decode(&body, UTF_8);
    let now = (sandbox.clock)();
    let answer = {
        let mut store = sandbox.lock();
        match mint(&store, &form, now) {
            Ok(token) => {
                let value = alphanumerics(40);
                store.tokens.insert(value.clone(), token);
                tracing::info!("yamato sandbox token minted");
                json!({ "returnCode": "0", "token": value })
            }
            Err(problems) => {
                let codes: Vec<&str> = problems.iter().map(|p| p.code.as_str()).collect();
                tracing::info!(?codes, "yamato sandbox token refused");
                let info: Vec<Value> = problems
                    .iter()
                    .map(|p| json!({ "errorCode": p.code, "errorMsg": p.message, "errorItem": p.item }))
                    .collect();
                json!({ "returnCode": "1", "errorInfo": info })
            }
        }
    };
    ([(ACCESS_CONTROL_ALLOW_ORIGIN, "*")], Json(answer)).into_response()
}

/// The token `form` asks for, or every problem with it.
fn mint(store: &Store, form: &Form, now: DateTime<Utc>) -> Result<Token, Vec<Problem>> {
    let mut problems = Problems::default();
    let text = |name: &str| form.filled(name);
    let Some(trader) = text("traderCode").map(|code| store.trader(code)) else {
        problems.add(
            1,
            Check::Missing,
            "traderCode",
            "加盟店コードが入力されていません",
        );
        return Err(problems.0);
    };
    let Some(trader) = trader else {
        problems.add(
            1,
            Check::Invalid,
            "traderCode",
            "加盟店コードが正しくありません",
        );
        return Err(problems.0);
    };
    let auth_div = match text("authDiv") {
        None => {
            problems.add(2, Check::Missing, "authDiv", "認証区分が入力されていません");
            None
        }
        Some(v @ ("0" | "1" | "2" | "3")) => v.parse::<u8>().ok(),
        Some(_) => {
            problems.add(2, Check::Invalid, "authDiv", "認証区分が正しくありません");
            None
        }
    };
    let keeps = match text("optServDiv") {
        None => {
            problems.add(
                3,
                Check::Missing,
                "optServDiv",
                "オプションサービス区分が入力されていません",
            );
            None
        }
        Some("00") => Some(false),
        Some("01") => Some(true),
        Some(_) => {
            problems.add(
                3,
                Check::Invalid,
                "optServDiv",
                "オプションサービス区分が正しくありません",
            );
            None
        }
    };
    let member = if keeps == Some(true) {
        member(form, &mut problems)
    } else {
        None
    };
    let ready = problems.0.is_empty();
    match text("checkSum") {
        None => problems.add(
            6,
            Check::Missing,
            "checkSum",
            "チェックサムが入力されていません",
        ),
        Some(sent) if ready => {
            let access_key = &store.traders[trader].access_key;
            let div = auth_div.unwrap_or_default();
            let expected = match &member {
                Some(m) => sha256_hex(&format!("{}{}{access_key}{div}", m.id, m.key)),
                None => sha256_hex(&format!("{access_key}{div}")),
            };
            if sent != expected {
                problems.add(
                    6,
                    Check::Invalid,
                    "checkSum",
                    "チェックサムが正しくありません",
                );
            }
        }
        Some(_) => {}
    }
    if let Some(m) = &member {
        if store
            .member(trader, &m.id)
            .is_some_and(|known| known.key != m.key)
        {
            problems.add(
                5,
                Check::Invalid,
                "authKey",
                "認証キーが会員の登録と一致しません",
            );
        }
    }
    let card = match (text("cardKey"), keeps, &member) {
        (None, _, _) => typed(form, now, &mut problems).map(TokenCard::New),
        (Some(key), _, Some(m)) => {
            kept(store, trader, m, key, text("lastCreditDate"), &mut problems)
        }
        // The member fields are wrong, and already listed.
        (Some(_), Some(true), None) => None,
        (Some(_), _, None) => {
            problems.add(
                7,
                Check::Invalid,
                "cardKey",
                "カード識別キーはオプションサービス利用時のみ指定できます",
            );
            None
        }
    };
    let needs_code = matches!(auth_div, Some(2 | 3));
    match text("securityCode") {
        None if needs_code => problems.add(
            13,
            Check::Missing,
            "securityCode",
            "セキュリティコードが入力されていません",
        ),
        None => {}
        Some(code) if !code.bytes().all(|b| b.is_ascii_digit()) => problems.add(
            13,
            Check::Invalid,
            "securityCode",
            "セキュリティコードが正しくありません",
        ),
        Some(code) if !(3..=4).contains(&code.len()) => problems.add(
            13,
            Check::Range,
            "securityCode",
            "セキュリティコードの桁数が正しくありません",
        ),
        Some(_) => {}
    }
    match (problems.0.is_empty(), card, auth_div) {
        (true, Some(card), Some(auth_div)) => Ok(Token {
            trader,
            card,
            auth_div,
            member,
            minted: now,
            used: false,
        }),
        _ => Err(problems.0),
    }
}

/// `memberId` and `authKey` for `optServDiv` `01`.
fn member(form: &Form, problems: &mut Problems) -> Option<MemberRef> {
    let id = match form.filled("memberId") {
        None => {
            problems.add(4, Check::Missing, "memberId", "会員IDが入力されていません");
            None
        }
        Some(id) => match check_id(id, 20) {
            Ok(()) => Some(id),
            Err(check) => {
                problems.add(4, check, "memberId", "会員IDが正しくありません");
                None
            }
        },
    };
    let key = match form.filled("authKey") {
        None => {
            problems.add(5, Check::Missing, "authKey", "認証キーが入力されていません");
            None
        }
        Some(key) => match check_key(key, 20) {
            Ok(()) => Some(key),
            Err(check) => {
                problems.add(5, check, "authKey", "認証キーが正しくありません");
                None
            }
        },
    };
    Some(MemberRef {
        id: id?.to_owned(),
        key: key?.to_owned(),
    })
}

/// A kept card named by `cardKey` and its `lastCreditDate`.
fn kept(
    store: &Store,
    trader: usize,
    member: &MemberRef,
    key: &str,
    last_credit: Option<&str>,
    problems: &mut Problems,
) -> Option<TokenCard> {
    let Some(card) = store.kept_card(trader, &member.id, key) else {
        problems.add(
            7,
            Check::Invalid,
            "cardKey",
            "お預かりカードが見つかりません",
        );
        return None;
    };
    match last_credit {
        None => {
            problems.add(
                8,
                Check::Missing,
                "lastCreditDate",
                "最終利用日時が入力されていません",
            );
            None
        }
        Some(sent) if sent != stamp(card.last_credit) => {
            problems.add(
                8,
                Check::Invalid,
                "lastCreditDate",
                "最終利用日時が一致しません",
            );
            None
        }
        Some(_) => Some(TokenCard::Kept(key.to_owned())),
    }
}

/// A card typed by the buyer.
fn typed(form: &Form, now: DateTime<Utc>, problems: &mut Problems) -> Option<Card> {
    let number = match form.filled("cardNo") {
        None => {
            problems.add(
                9,
                Check::Missing,
                "cardNo",
                "カード番号が入力されていません",
            );
            None
        }
        Some(n) if !n.bytes().all(|b| b.is_ascii_digit()) => {
            problems.add(9, Check::Invalid, "cardNo", "カード番号が正しくありません");
            None
        }
        Some(n) if !(13..=16).contains(&n.len()) => {
            problems.add(
                9,
                Check::Range,
                "cardNo",
                "カード番号の桁数が正しくありません",
            );
            None
        }
        Some(n) => Some(n),
    };
    let holder = match form.filled("cardOwner") {
        None => {
            problems.add(
                10,
                Check::Missing,
                "cardOwner",
                "カード名義が入力されていません",
            );
            None
        }
        Some(h) => match fields::holder(h) {
            Ok(()) => Some(h),
            Err(check) => {
                problems.add(10, check, "cardOwner", "カード名義が正しくありません");
                None
            }
        },
    };
    let expiry = match form.filled("cardExp") {
        None => {
            problems.add(
                11,
                Check::Missing,
                "cardExp",
                "有効期限が入力されていません",
            );
            None
        }
        Some(e) => match fields::expiry(e, now) {
            Ok(()) => Some(e),
            Err(Check::Range) => {
                problems.add(11, Check::Range, "cardExp", "有効期限が切れています");
                None
            }
            Err(check) => {
                problems.add(11, check, "cardExp", "有効期限が正しくありません");
                None
            }
        },
    };
    let number = number?;
    Some(Card {
        behaviour: testcard::behaviour(number),
        brand: testcard::brand(number),
        last4: number[number.len() - 4..].to_owned(),
        length: number.len(),
        expiry: expiry?.to_owned(),
        holder: holder?.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yamato::{Trader, ACCESS_KEY, TRADER_CODE};

    fn store() -> Store {
        Store::new(vec![Trader {
            trader_code: TRADER_CODE.into(),
            access_key: ACCESS_KEY.into(),
        }])
    }

    fn now() -> DateTime<Utc> {
        "2026-05-10T00:00:00Z".parse().unwrap()
    }

    fn codes(body: &str) -> Vec<String> {
        let form = Form::decode(body.as_bytes(), UTF_8);
        match mint(&store(), &form, now()) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.into_iter().map(|p| p.code).collect(),
        }
    }

    #[test]
    fn a_one_off_card_needs_the_check_sum_of_the_access_key_and_auth_div() {
        let sum = sha256_hex(&format!("{ACCESS_KEY}2"));
        let base = format!("traderCode={TRADER_CODE}&authDiv=2&optServDiv=00&cardNo=4111111111111111&cardOwner=TARO+YAMADA&cardExp=1230");

        assert_eq!(
            codes(&format!("{base}&checkSum={sum}&securityCode=123")),
            Vec::<String>::new()
        );
        assert_eq!(codes(&format!("{base}&checkSum={sum}")), vec!["Y021011301"]);
        assert_eq!(
            codes(&format!("{base}&checkSum=00&securityCode=123")),
            vec!["Y021010604"]
        );
    }

    #[test]
    fn every_field_problem_is_listed_in_field_order() {
        let body = format!("traderCode={TRADER_CODE}&authDiv=0&optServDiv=00&checkSum=x&cardNo=41x1&cardOwner=%E5%B1%B1&cardExp=0425&securityCode=12");

        assert_eq!(
            codes(&body),
            vec![
                "Y021010604",
                "Y021010904",
                "Y021011004",
                "Y021011102",
                "Y021011302"
            ]
        );
        assert_eq!(codes("authDiv=0"), vec!["Y021010101"]);
        assert_eq!(codes("traderCode=1"), vec!["Y021010104"]);
    }

    #[test]
    fn a_card_key_needs_the_option_service_and_a_known_card() {
        let one_off = format!("traderCode={TRADER_CODE}&authDiv=0&optServDiv=00&checkSum={}&cardKey=1&lastCreditDate=20260510100000", sha256_hex(&format!("{ACCESS_KEY}0")));
        let member = format!("traderCode={TRADER_CODE}&authDiv=0&optServDiv=01&memberId=wc-1&authKey=k1&checkSum={}&cardKey=1&lastCreditDate=20260510100000", sha256_hex(&format!("wc-1k1{ACCESS_KEY}0")));
        let broken = format!(
            "traderCode={TRADER_CODE}&authDiv=0&optServDiv=01&memberId=wc-1&checkSum=x&cardKey=1"
        );

        assert_eq!(codes(&one_off), vec!["Y021010704"]);
        assert_eq!(codes(&member), vec!["Y021010704"]);
        assert_eq!(codes(&broken), vec!["Y021010501"]);
    }
}
