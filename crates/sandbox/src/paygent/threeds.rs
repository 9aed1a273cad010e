//! EMV 3-D Secure (spec §6.4): telegram 450, the sandbox's ACS pages, and the
//! `3ds_auth_id` a later 020 presents.
//!
//! 450 (UTF-8 both ways, lengths counted in characters) takes the card as a token
//! (`card_set_method=token`; the token is not consumed) or a stored card (`customer`);
//! `direct` is refused with 2023 like raw card numbers in 020, and `google` with P018.
//! The outcome follows the sandbox rules of §6.4, for the card's own brand:
//!
//! | Brand | Amount `3BBBx0` | Cardholder name `BA?xA` | Challenge passwords `PPPx2` |
//! | --- | --- | --- | --- |
//! | VISA | `3140x0` | `BAVxA` | `140x2` |
//! | MASTER | `3150x0` | `BAMxA` | `150x2` |
//! | JCB | `3135x0` | `BAJxA` | `135x2` |
//! | AMEX | `3137x0` (any last digit) | `BAAxA` | `137x2` |
//! | DINERS | `3136x0` | `BADxA` | `136x2` |
//!
//! where x is `1`/`Y` authenticated, `2`/`A` attempt (`attempt_kbn=0`), `5`/`U` attempt
//! with merchant liability (`attempt_kbn=1`), `4`/`N` and `6`/`R` failure (450 answers
//! result=1, 31007). The amount is looked at before the name. Amounts 0, 1, 200,000 and
//! 400,000 always ask for a challenge; any other amount or name is a frictionless success.
//! DISCOVER and house cards get 31012 (the acquirer does not support 3-D Secure for the
//! brand) — the sandbox's choice, the spec names no trigger. On the challenge page a
//! password of the card brand's pattern picks the result; any other password fails
//! (31007). The JCB passwords `13512` (success) and `13542` (failure) are the spec's own
//! example; the other brands follow the same pattern, which is the sandbox's reading.
//!
//! The result reaches `term_url` by the browser: the `out_acs_html` of a frictionless
//! result is a page that forwards (meta refresh, no script) with GET to `term_url` plus
//! the result items; a challenge's `out_acs_html` is the challenge page itself, whose form
//! posts to `/threeds/challenge/{3ds_auth_id}`, which redirects (303) to `term_url` with
//! the result. `hc = SHA-256(result + 3ds_auth_id + attempt_kbn + 3Dセキュア結果受付
//! ハッシュ鍵)`. A challenge answered more than 30 minutes after the 450 ends with 31013;
//! the server-side timeout GET Paygent sends when the buyer never answers is not simulated.
//!
//! 020 with `3dsecure_use_type=2` must name an authentication of the same merchant and
//! site that succeeded (result 0), for the same amount and the same token or stored card,
//! not yet used: 31008 when `3ds_auth_id` comes without type 2, 31009 when type 2 comes
//! without an id, 31010 when the id was already used by a successful 020, and 31011 for
//! every other mismatch (unknown, another merchant, failed or unfinished, other amount or
//! card) — how Paygent splits the last group is not in the spec.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use encoding_rs::UTF_8;
use minijinja::context;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

use super::fields::{self, Rule};
use super::merchant::THREEDS_HASH_KEY;
use super::refusal::Refusal;
use super::store::{sha256_hex, Card, Store, TokenContent};
use super::testcard;
use super::wire::Items;
use super::{link, pages, wake, Sandbox, Telegram};
use crate::form::Form;
use crate::pages::{base_url, group_thousands};

/// A challenge not answered within this many minutes times out (§6.4).
pub const CHALLENGE_MINUTES: i64 = 30;
/// Amounts that always ask for a challenge (§6.4).
const CHALLENGE_AMOUNTS: &[u64] = &[0, 1, 200_000, 400_000];

/// Characters left as they are in a query string value.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How an authentication ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Fully authenticated: result 0, no `attempt_kbn`.
    Authenticated,
    /// Attempt: result 0 with `attempt_kbn` `0` (issuer liability) or `1` (merchant's).
    Attempt(&'static str),
    /// Authentication failed: result 1, 31007.
    Failed,
    /// The challenge was not answered in time: result 1, 31013.
    TimedOut,
}

impl Outcome {
    /// `result` of the outcome.
    pub fn result(self) -> &'static str {
        match self {
            Outcome::Authenticated | Outcome::Attempt(_) => "0",
            Outcome::Failed | Outcome::TimedOut => "1",
        }
    }

    /// `attempt_kbn` of the outcome (empty unless an attempt).
    pub fn attempt_kbn(self) -> &'static str {
        match self {
            Outcome::Attempt(kbn) => kbn,
            Outcome::Authenticated | Outcome::Failed | Outcome::TimedOut => "",
        }
    }

    fn refusal(self) -> Option<Refusal> {
        match self {
            Outcome::Authenticated | Outcome::Attempt(_) => None,
            Outcome::Failed => Some(Refusal::threeds_failed()),
            Outcome::TimedOut => Some(Refusal::threeds_timeout()),
        }
    }
}

/// What the sandbox's directory server decides for a 450.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No buyer interaction needed.
    Frictionless(Outcome),
    /// The buyer must answer the challenge page.
    Challenge,
    /// The acquirer does not support 3-D Secure for the brand (31012).
    Unsupported,
}

/// The sandbox codes of a brand: amount prefix, name letter, password prefix.
fn codes(brand: &str) -> Option<(&'static str, char, &'static str)> {
    match brand {
        "VISA" => Some(("3140", 'V', "140")),
        "MASTER" => Some(("3150", 'M', "150")),
        "JCB" => Some(("3135", 'J', "135")),
        "AMEX" => Some(("3137", 'A', "137")),
        "DINERS" => Some(("3136", 'D', "136")),
        _ => None,
    }
}

fn by_digit(x: char) -> Option<Outcome> {
    match x {
        '1' => Some(Outcome::Authenticated),
        '2' => Some(Outcome::Attempt("0")),
        '5' => Some(Outcome::Attempt("1")),
        '4' | '6' => Some(Outcome::Failed),
        _ => None,
    }
}

fn by_letter(x: char) -> Option<Outcome> {
    match x {
        'Y' => Some(Outcome::Authenticated),
        'A' => Some(Outcome::Attempt("0")),
        'U' => Some(Outcome::Attempt("1")),
        'N' | 'R' => Some(Outcome::Failed),
        _ => None,
    }
}

/// The §6.4 sandbox rules: brand, then challenge amounts, then amount and name patterns.
pub fn decide(brand: &str, amount: u64, holder: &str) -> Decision {
    let Some((prefix, letter, _)) = codes(brand) else {
        return Decision::Unsupported;
    };
    if CHALLENGE_AMOUNTS.contains(&amount) {
        return Decision::Challenge;
    }
    let digits = amount.to_string();
    let chars: Vec<char> = digits.chars().collect();
    let last_ok = brand == "AMEX" || chars.last() == Some(&'0');
    if chars.len() == 6 && digits.starts_with(prefix) && last_ok {
        if let Some(outcome) = by_digit(chars[4]) {
            return Decision::Frictionless(outcome);
        }
    }
    let name = holder.trim().to_ascii_uppercase();
    if let [b'B', b'A', l, x, b'A'] = name.as_bytes() {
        if char::from(*l) == letter {
            if let Some(outcome) = by_letter(char::from(*x)) {
                return Decision::Frictionless(outcome);
            }
        }
    }
    Decision::Frictionless(Outcome::Authenticated)
}

/// The challenge passwords of `brand` with what each gives, for the page (empty for a
/// brand without 3-D Secure).
pub fn passwords(brand: &str) -> Vec<(String, &'static str)> {
    let Some((_, _, prefix)) = codes(brand) else {
        return Vec::new();
    };
    [
        ('1', "認証成功"),
        ('2', "認証成功（アテンプト attempt_kbn=0）"),
        ('5', "認証成功（アテンプト attempt_kbn=1）"),
        ('4', "認証失敗"),
        ('6', "認証失敗（拒否）"),
    ]
    .into_iter()
    .map(|(x, meaning)| (format!("{prefix}{x}2"), meaning))
    .collect()
}

/// The result a typed challenge password gives for `brand`.
pub fn answer(brand: &str, password: &str) -> Outcome {
    let Some((_, _, prefix)) = codes(brand) else {
        return Outcome::Failed;
    };
    let chars: Vec<char> = password.trim().chars().collect();
    if chars.len() == 5 && password.trim().starts_with(prefix) && chars[4] == '2' {
        by_digit(chars[3]).unwrap_or(Outcome::Failed)
    } else {
        Outcome::Failed
    }
}

/// `hc` of a 3-D Secure result (§6.4 step 3), with the merchant's key.
pub fn result_hash(result: &str, auth_id: &str, attempt_kbn: &str, key: &str) -> String {
    sha256_hex(&format!("{result}{auth_id}{attempt_kbn}{key}"))
}

/// Which card an authentication was made for, to compare with the later 020.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardRef {
    /// A card token (450 `card_set_method=token`).
    Token(String),
    /// A stored card (`customer`).
    Stored {
        /// `customer_id`.
        customer_id: String,
        /// `customer_card_id`.
        card_id: u64,
    },
    /// A card typed on a link-type payment page; never usable by a 020.
    Link,
}

/// Where the buyer goes once the authentication ends.
#[derive(Debug, Clone)]
pub enum Return {
    /// The merchant's `term_url` (module type).
    TermUrl(String),
    /// Back to the link-type payment page identified by its `tid`.
    Link(String),
}

/// Where an authentication stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State3ds {
    /// Waiting for the buyer's challenge answer.
    Challenge,
    /// Finished with this outcome.
    Done(Outcome),
    /// Used by a successful 020.
    Used,
}

/// One 3-D Secure authentication, keyed by its `3ds_auth_id`.
#[derive(Debug, Clone)]
pub struct Authentication {
    /// `3ds_auth_id`.
    pub id: String,
    /// Merchant that asked.
    pub merchant_id: String,
    /// `site_id` it was asked for.
    pub site_id: String,
    /// `merchant_name` shown on the challenge page.
    pub merchant_name: String,
    /// Amount in yen.
    pub amount: u64,
    /// The card.
    pub card: Card,
    /// How the card was named.
    pub card_ref: CardRef,
    /// Where the result goes.
    pub goes_to: Return,
    /// Where it stands.
    pub state: State3ds,
    /// When the 450 (or the link page) asked.
    pub created: DateTime<Utc>,
}

impl Authentication {
    /// The brand of the card.
    pub fn brand(&self) -> &'static str {
        testcard::brand(&self.card.number)
    }

    /// The items sent to `term_url` for `outcome` (§6.4 step 3).
    pub fn result_items(&self, outcome: Outcome) -> Items {
        let issuer = self.card.issuer();
        let result = outcome.result();
        let attempt = outcome.attempt_kbn();
        let mut items = Items::default();
        items.push("result", result);
        items.push("3ds_auth_id", self.id.clone());
        items.push("card_brand", self.brand());
        items.push("issur_class", testcard::issur_class(&self.card.number));
        items.push("acq_name", issuer.acq_name);
        items.push("acq_id", issuer.acq_id);
        items.push("issur_name", issuer.issur_name);
        items.push("issur_id", issuer.acq_id);
        items.push(
            "hc",
            result_hash(result, &self.id, attempt, THREEDS_HASH_KEY),
        );
        if outcome == Outcome::TimedOut {
            items.push("fingerprint", "XXXX");
            items.push("masked_card_number", "XXXX");
        } else {
            items.push("fingerprint", self.card.fingerprint());
            items.push("masked_card_number", self.card.masked());
        }
        items.push("3dsecure_requestor_error_code", "");
        items.push("3dsecure_server_error_code", "");
        if let Some(refusal) = outcome.refusal() {
            items.push("response_code", refusal.code);
            items.push("response_detail", refusal.detail);
        } else if !attempt.is_empty() {
            items.push("attempt_kbn", attempt);
        }
        items
    }
}

/// `url` with `items` appended to its query string.
pub fn with_query(url: &str, items: &Items) -> String {
    let query = items
        .pairs()
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, QUERY)))
        .collect::<Vec<_>>()
        .join("&");
    let glue = if url.contains('?') { '&' } else { '?' };
    format!("{url}{glue}{query}")
}

/// A fresh `3ds_auth_id`: 36 characters in the 8-4-4-4-12 layout of a UUID.
fn new_id(store: &mut Store) -> String {
    let hex = store.random_hex(32);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Register an authentication that needs a challenge (or record a finished one) and
/// return its id.
pub fn begin(store: &mut Store, mut auth: Authentication) -> String {
    auth.id = new_id(store);
    let id = auth.id.clone();
    store.threeds.insert(id.clone(), auth);
    id
}

/// Context of the challenge page (also the `out_acs_html` of a challenge).
fn challenge_context(auth: &Authentication, action: &str, error: &str) -> minijinja::Value {
    #[derive(Serialize)]
    struct Password {
        password: String,
        meaning: &'static str,
    }
    let passwords: Vec<Password> = passwords(auth.brand())
        .into_iter()
        .map(|(password, meaning)| Password { password, meaning })
        .collect();
    context! {
        action => action,
        merchant_name => auth.merchant_name.clone(),
        amount => group_thousands(auth.amount),
        brand => auth.brand(),
        masked => auth.card.masked(),
        passwords => passwords,
        error => error,
        minutes => CHALLENGE_MINUTES,
    }
}

fn render(name: &str, context: minijinja::Value) -> Result<String, Refusal> {
    pages::render(name, context)
        .map(|html| html.replace("\r\n", "\n").replace('\n', "\r\n"))
        .map_err(|error| {
            tracing::error!(template = name, %error, "paygent sandbox ACS page failed to render");
            Refusal::system()
        })
}

/// The challenge page's URL below `base`.
pub fn challenge_url(base: &str, id: &str) -> String {
    format!("{base}/threeds/challenge/{id}")
}

/// The payment amount of a 450: digits with an optional decimal part that must be zero
/// (yen have no decimals); 0 is allowed (it asks for a challenge).
fn amount_450(form: &Form) -> Result<u64, Refusal> {
    let raw = fields::required_chars(form, "payment_amount", Rule::Decimal, 12)?;
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty() || !fraction.bytes().all(|b| b == b'0') {
        return Err(Refusal::format("payment_amount"));
    }
    whole.parse().map_err(|_| Refusal::format("payment_amount"))
}

/// Whether `url` is an absolute http(s) URL.
pub fn is_web_url(url: &str) -> bool {
    reqwest::Url::parse(url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// 450: ask for an EMV 3-D Secure authentication.
pub fn authenticate(t: Telegram<'_>) -> Result<Items, Refusal> {
    let form = t.form;
    let term_url = fields::required_chars(form, "term_url", Rule::Text, 256)?;
    if !is_web_url(term_url) {
        return Err(Refusal::format("term_url"));
    }
    let merchant_name = fields::required_chars(form, "merchant_name", Rule::Text, 40)?;
    if !merchant_name.is_ascii() {
        return Err(Refusal::format("merchant_name"));
    }
    if fields::required_chars(form, "authentication_type", Rule::Digits, 2)? != "01" {
        return Err(Refusal::invalid("authentication_type"));
    }
    let method = fields::required_chars(form, "card_set_method", Rule::Alnum, 8)?;
    fields::optional_chars(form, "payment_date", Rule::Digits, 14)?
        .filter(|date| date.len() != 14)
        .map_or(Ok(()), |_| Err(Refusal::format("payment_date")))?;
    fields::optional_chars(form, "currency_code", Rule::Alnum, 3)?;
    let amount = amount_450(form)?;
    let holder = fields::optional_chars(form, "cardholder_name", Rule::Text, 45)?;
    if holder.is_some_and(|name| name.chars().count() < 2) {
        return Err(Refusal::length("cardholder_name"));
    }
    let Telegram {
        store,
        now,
        header,
        base,
        ..
    } = t;
    let (card, card_ref) = match method {
        "token" => {
            let token = fields::required_chars(form, "card_token", Rule::Id, 30)?;
            match store.usable_token(&header.merchant_id, token, now)? {
                TokenContent::Card(card) => (card, CardRef::Token(token.to_owned())),
                TokenContent::Cvc(_) => return Err(Refusal::token_type()),
            }
        }
        "customer" => {
            let customer_id = fields::required_chars(form, "customer_id", Rule::Id, 25)?;
            let raw_id = fields::required_chars(form, "customer_card_id", Rule::Digits, 18)?;
            let card_id: u64 = raw_id
                .parse()
                .map_err(|_| Refusal::format("customer_card_id"))?;
            let key = (header.site_id.clone(), customer_id.to_owned());
            let card = store
                .merchant(&header.merchant_id)
                .customers
                .get(&key)
                .and_then(|cards| cards.iter().find(|c| c.id == card_id))
                .map(|stored| stored.card.clone())
                .ok_or_else(Refusal::stored_card_not_found)?;
            (
                card,
                CardRef::Stored {
                    customer_id: customer_id.to_owned(),
                    card_id,
                },
            )
        }
        "direct" => return Err(Refusal::raw_card()),
        "google" => return Err(Refusal::unavailable()),
        _ => return Err(Refusal::invalid("card_set_method")),
    };
    let brand = testcard::brand(&card.number);
    let name = holder.unwrap_or(&card.holder).to_owned();
    let decision = decide(brand, amount, &name);
    let state = match decision {
        Decision::Unsupported => return Err(Refusal::threeds_unsupported()),
        Decision::Frictionless(outcome) => {
            if let Some(refusal) = outcome.refusal() {
                return Err(refusal);
            }
            State3ds::Done(outcome)
        }
        Decision::Challenge => State3ds::Challenge,
    };
    let id = begin(
        store,
        Authentication {
            id: String::new(),
            merchant_id: header.merchant_id.clone(),
            site_id: header.site_id.clone(),
            merchant_name: merchant_name.to_owned(),
            amount,
            card,
            card_ref,
            goes_to: Return::TermUrl(term_url.to_owned()),
            state,
            created: now,
        },
    );
    let auth = store.threeds.get(&id).ok_or_else(Refusal::system)?;
    let html = match state {
        State3ds::Done(outcome) => render(
            "paygent/acs_forward.html",
            context! { target => with_query(term_url, &auth.result_items(outcome)) },
        )?,
        State3ds::Challenge | State3ds::Used => render(
            "paygent/challenge.html",
            challenge_context(auth, &challenge_url(base, &id), ""),
        )?,
    };
    let issuer = auth.card.issuer();
    let mut items = Items::success();
    items.push("trading_id", header.trading_id.clone());
    items.push("card_brand", brand);
    items.push("acq_id", issuer.acq_id);
    items.push("3ds_auth_id", id.clone());
    items.push("issur_class", testcard::issur_class(&auth.card.number));
    items.push("acq_name", issuer.acq_name);
    items.push("issur_name", issuer.issur_name);
    items.push("issur_id", issuer.acq_id);
    items.push("fingerprint", auth.card.fingerprint());
    items.push("masked_card_number", auth.card.masked());
    items.push("out_acs_html", html);
    Ok(items)
}

/// The card a 020 names, as far as 3-D Secure compares it.
pub fn presented(token: Option<&str>, stored: Option<(&str, u64)>) -> Option<CardRef> {
    match (token, stored) {
        (_, Some((customer_id, card_id))) => Some(CardRef::Stored {
            customer_id: customer_id.to_owned(),
            card_id,
        }),
        (Some(token), None) => Some(CardRef::Token(token.to_owned())),
        (None, None) => None,
    }
}

/// Check that a 020 may use `id` (§6.4 step 6, §11 31010/31011) and return its
/// `attempt_kbn`.
pub fn usable(
    store: &Store,
    id: &str,
    merchant_id: &str,
    site_id: &str,
    amount: u64,
    card: Option<&CardRef>,
) -> Result<&'static str, Refusal> {
    let auth = store
        .threeds
        .get(id)
        .filter(|a| a.merchant_id == merchant_id && a.site_id == site_id)
        .ok_or_else(Refusal::threeds_unknown)?;
    let outcome = match auth.state {
        State3ds::Used => return Err(Refusal::threeds_used()),
        State3ds::Done(outcome @ (Outcome::Authenticated | Outcome::Attempt(_))) => outcome,
        State3ds::Done(Outcome::Failed | Outcome::TimedOut) | State3ds::Challenge => {
            return Err(Refusal::threeds_unknown())
        }
    };
    if auth.amount != amount || card != Some(&auth.card_ref) {
        return Err(Refusal::threeds_unknown());
    }
    Ok(outcome.attempt_kbn())
}

/// Mark `id` used by a successful 020.
pub fn consume(store: &mut Store, id: &str) {
    if let Some(auth) = store.threeds.get_mut(id) {
        auth.state = State3ds::Used;
    }
}

/// `GET /threeds/challenge/{id}`: the challenge page.
pub async fn challenge_page(State(sandbox): State<Sandbox>, Path(id): Path<String>) -> Response {
    wake(&sandbox);
    let store = sandbox.lock();
    match store.threeds.get(&id) {
        Some(auth) if auth.state == State3ds::Challenge => pages::html(
            StatusCode::OK,
            "paygent/challenge.html",
            challenge_context(auth, &id, ""),
        ),
        Some(_) => finished_page(),
        None => pages::html(
            StatusCode::NOT_FOUND,
            "paygent/message.html",
            context! { title => "3Dセキュア認証", message => "この認証は存在しません。" },
        ),
    }
}

fn finished_page() -> Response {
    pages::html(
        StatusCode::CONFLICT,
        "paygent/message.html",
        context! { title => "3Dセキュア認証", message => "この認証はすでに完了しています。" },
    )
}

/// `POST /threeds/challenge/{id}`: check the password, then send the buyer on.
pub async fn challenge_answer(
    State(sandbox): State<Sandbox>,
    Path(id): Path<String>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    wake(&sandbox);
    let base = base_url(&headers, &original, &format!("/threeds/challenge/{id}"));
    let form = Form::decode(&body, UTF_8);
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    let Some(auth) = store.threeds.get_mut(&id) else {
        return pages::html(
            StatusCode::NOT_FOUND,
            "paygent/message.html",
            context! { title => "3Dセキュア認証", message => "この認証は存在しません。" },
        );
    };
    if auth.state != State3ds::Challenge {
        return finished_page();
    }
    let outcome = if now - auth.created > Duration::minutes(CHALLENGE_MINUTES) {
        Outcome::TimedOut
    } else {
        answer(auth.brand(), form.get("password").unwrap_or_default())
    };
    auth.state = State3ds::Done(outcome);
    tracing::info!(
        result = outcome.result(),
        "paygent sandbox 3-D Secure challenge answered"
    );
    let auth = auth.clone();
    let location = match &auth.goes_to {
        Return::TermUrl(url) => with_query(url, &auth.result_items(outcome)),
        Return::Link(tid) => link::after_challenge(&mut store, &auth, tid, outcome, &base, now),
    };
    (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_hash_matches_the_spec_vector() {
        assert_eq!(
            result_hash(
                "0",
                "11111111-1111-1111-1111-111111111111",
                "0",
                "test_1234567890123456789"
            ),
            "e3f5400fb96b6ae955ac16f58cc81ba33e93f5ae35ec4a07bac6f0496c51bc43"
        );
    }

    #[test]
    fn amounts_and_names_pick_the_outcome_for_the_cards_own_brand() {
        use Decision::*;
        assert_eq!(
            decide("VISA", 314_010, ""),
            Frictionless(Outcome::Authenticated)
        );
        assert_eq!(
            decide("VISA", 314_020, ""),
            Frictionless(Outcome::Attempt("0"))
        );
        assert_eq!(
            decide("VISA", 314_050, ""),
            Frictionless(Outcome::Attempt("1"))
        );
        assert_eq!(decide("VISA", 314_040, ""), Frictionless(Outcome::Failed));
        assert_eq!(decide("VISA", 314_060, ""), Frictionless(Outcome::Failed));
        assert_eq!(decide("VISA", 1000, "bavna"), Frictionless(Outcome::Failed));
        assert_eq!(
            decide("VISA", 1000, "BAVUA"),
            Frictionless(Outcome::Attempt("1"))
        );
        assert_eq!(decide("MASTER", 315_040, ""), Frictionless(Outcome::Failed));
        assert_eq!(
            decide("JCB", 313_520, ""),
            Frictionless(Outcome::Attempt("0"))
        );
        assert_eq!(decide("AMEX", 313_745, ""), Frictionless(Outcome::Failed));
        assert_eq!(
            decide("DINERS", 1000, "BADRA"),
            Frictionless(Outcome::Failed)
        );
        // Another brand's codes are ordinary amounts and names.
        assert_eq!(
            decide("JCB", 314_040, "BAVNA"),
            Frictionless(Outcome::Authenticated)
        );
        for amount in [0, 1, 200_000, 400_000] {
            assert_eq!(decide("VISA", amount, "BAVNA"), Challenge);
        }
        assert_eq!(decide("DISCOVER", 1000, ""), Unsupported);
        assert_eq!(decide("HOUSE", 0, ""), Unsupported);
    }

    #[test]
    fn challenge_passwords_follow_the_jcb_example() {
        assert_eq!(answer("JCB", "13512"), Outcome::Authenticated);
        assert_eq!(answer("JCB", "13542"), Outcome::Failed);
        assert_eq!(answer("VISA", "14022"), Outcome::Attempt("0"));
        assert_eq!(answer("VISA", "14052"), Outcome::Attempt("1"));
        assert_eq!(answer("VISA", "13512"), Outcome::Failed);
        assert_eq!(answer("VISA", "password"), Outcome::Failed);
        assert_eq!(passwords("JCB")[0].0, "13512");
    }

    #[test]
    fn results_are_appended_to_a_term_url_with_or_without_a_query() {
        let mut items = Items::default();
        items.push("result", "0");
        items.push("acq_name", "ﾆｺｽ x");
        assert_eq!(
            with_query("https://shop.example/3ds", &items),
            "https://shop.example/3ds?result=0&acq_name=%EF%BE%86%EF%BD%BA%EF%BD%BD%20x"
        );
        assert!(with_query("https://shop.example/3ds?o=1", &items)
            .starts_with("https://shop.example/3ds?o=1&result=0"));
    }
}
