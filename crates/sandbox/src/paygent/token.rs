//! The card token API the browser calls (spec §6.6, §14): `POST /n/token/request` and the
//! `PaygentToken.js` that wraps it.
//!
//! The request is UTF-8 form data (098 is on the UTF-8 list of §2.1) with `merchant_id`,
//! `token_generate_key` and either the card (`card_number`, `card_expire_year` YY,
//! `card_expire_month` MM, `card_cvc`, `card_name`) or, with `cvc_only_flg=1`, only
//! `card_cvc`. The answer is JSON with a §6.6 result code, the token object and
//! `hc = SHA-256(token + masked_card_number + valid_until + fingerprint + receipt key)`.
//! Tokens live 30 minutes (the spec gives no lifetime; the sandbox picks one), belong to
//! the merchant id they were made for, and are kept in memory with the card; the card
//! number is never logged. A CVC is optional on a full-card token (the §15 stub ignores
//! it); the expiry must lie between this month and 20 years ahead (1502).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Datelike, Duration, Utc};
use encoding_rs::UTF_8;

use super::store::{self, japan, sha256_hex, Card, Token, TokenContent};
use super::wire::{TokenResponse, TokenizedCard};
use super::Sandbox;
use crate::form::Form;

/// Token generation key (トークン生成鍵) of the sandbox merchant.
pub const TOKEN_GENERATE_KEY: &str = "sandboxtokenkey";
/// Token receipt hash key (トークン受取ハッシュ鍵) of the sandbox merchant.
pub const TOKEN_HASH_KEY: &str = "sandboxtokenhashkey";
/// How long a token stays usable.
const TOKEN_LIFETIME_MINUTES: i64 = 30;

/// `PaygentToken.js`, served as a static script.
pub async fn script() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/javascript; charset=UTF-8")],
        include_str!("assets/PaygentToken.js"),
    )
}

/// `POST /n/token/request`: turn card data into a token.
pub async fn request(State(sandbox): State<Sandbox>, body: Bytes) -> Json<TokenResponse> {
    let form = Form::decode(&body, UTF_8);
    let now = (sandbox.clock)();
    let reply = match parse(&form, now) {
        Err(code) => {
            tracing::info!(result = code, "paygent sandbox token refused");
            TokenResponse {
                result: code.to_owned(),
                tokenized_card_object: None,
                hc: None,
            }
        }
        Ok((merchant_id, content)) => {
            let mut store = sandbox.lock();
            let token = format!("tok_{}", store.random_hex(24));
            let valid_until = now + Duration::minutes(TOKEN_LIFETIME_MINUTES);
            let (masked, fingerprint) = match &content {
                TokenContent::Card(card) => (card.masked(), card.fingerprint()),
                TokenContent::Cvc(_) => (String::new(), String::new()),
            };
            store.tokens.insert(
                token.clone(),
                Token {
                    merchant_id,
                    content,
                    valid_until,
                    used: false,
                },
            );
            let valid_until = store::stamp(valid_until);
            let hc = sha256_hex(&format!(
                "{token}{masked}{valid_until}{fingerprint}{TOKEN_HASH_KEY}"
            ));
            tracing::info!("paygent sandbox token issued");
            TokenResponse {
                result: "0000".to_owned(),
                tokenized_card_object: Some(TokenizedCard {
                    token,
                    masked_card_number: masked,
                    valid_until,
                    fingerprint,
                }),
                hc: Some(hc),
            }
        }
    };
    Json(reply)
}

fn digits(value: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit())
}

/// Validate a token request in the order of the §6.6 result codes.
fn parse(form: &Form, now: DateTime<Utc>) -> Result<(String, TokenContent), &'static str> {
    let merchant_id = form.filled("merchant_id").ok_or("1100")?;
    if !digits(merchant_id, 1..=9) {
        return Err("1100");
    }
    match form.filled("token_generate_key") {
        None => return Err("1200"),
        Some(key) if key != TOKEN_GENERATE_KEY => return Err("1201"),
        Some(_) => {}
    }
    let cvc = form.filled("card_cvc");
    if cvc.is_some_and(|cvc| !digits(cvc, 3..=4)) {
        return Err("1600");
    }
    if form.filled("cvc_only_flg") == Some("1") {
        let cvc = cvc.ok_or("1601")?;
        return Ok((merchant_id.to_owned(), TokenContent::Cvc(cvc.to_owned())));
    }
    let number = form.filled("card_number").ok_or("1300")?;
    if !digits(number, 14..=16) {
        return Err("1301");
    }
    let year = form.filled("card_expire_year").ok_or("1400")?;
    if !digits(year, 2..=2) {
        return Err("1401");
    }
    let month = form.filled("card_expire_month").ok_or("1500")?;
    if !digits(month, 2..=2) {
        return Err("1501");
    }
    let term = format!("{month}{year}");
    let (month, year) = store::parse_valid_term(&term).ok_or("1502")?;
    let today = now.with_timezone(&japan()).date_naive();
    let months_ahead =
        (year - today.year()) * 12 + i32::try_from(month).unwrap_or(0) - today.month() as i32;
    if !(0..240).contains(&months_ahead) {
        return Err("1502");
    }
    let holder = form.get("card_name").unwrap_or_default();
    let holder_ok = holder.len() <= 45
        && holder
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " .-'".contains(c));
    if !holder_ok {
        return Err("1700");
    }
    Ok((
        merchant_id.to_owned(),
        TokenContent::Card(Card {
            number: number.to_owned(),
            valid_term: term,
            cvc: cvc.map(str::to_owned),
            holder: holder.to_owned(),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Form {
        Form::decode(body.as_bytes(), UTF_8)
    }

    fn now() -> DateTime<Utc> {
        "2026-05-10T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn result_codes_follow_the_first_problem() {
        let key = "merchant_id=123456789&token_generate_key=sandboxtokenkey";
        assert_eq!(parse(&form(""), now()).unwrap_err(), "1100");
        assert_eq!(
            parse(&form("merchant_id=1&token_generate_key=x"), now()).unwrap_err(),
            "1201"
        );
        assert_eq!(parse(&form(key), now()).unwrap_err(), "1300");
        let card = format!("{key}&card_number=4900000000000000&card_expire_month=12");
        assert_eq!(parse(&form(&card), now()).unwrap_err(), "1400");
        let past = format!("{card}&card_expire_year=25");
        assert_eq!(parse(&form(&past), now()).unwrap_err(), "1502");
        let too_far = format!("{card}&card_expire_year=47");
        assert_eq!(parse(&form(&too_far), now()).unwrap_err(), "1502");
        let good = format!("{card}&card_expire_year=30&card_name=TARO+YAMADA");
        assert!(parse(&form(&good), now()).is_ok());
        let cvc_only = format!("{key}&cvc_only_flg=1");
        assert_eq!(parse(&form(&cvc_only), now()).unwrap_err(), "1601");
    }
}
