//! The sandbox's memory: card payments by payment id with their history, stored cards,
//! card tokens, the difference records 091 serves and pushes, 3-D Secure authentications
//! and link-type requests (spec §6, §7, §8, §10, §12).
//!
//! Full card numbers live only in [`Card`], whose `Debug` masks them, so they cannot reach
//! a log line. Time-driven transitions (60-day auth expiry, 60-day cancel period, 7-day
//! purge of difference records) are applied lazily by [`Store::sweep`] before each telegram,
//! at the instant they were due, so a test that moves its clock sees them.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use sha2::{Digest, Sha256};

use super::link::LinkTrade;
use super::push::Pushes;
use super::refusal::Refusal;
use super::status::Status;
use super::testcard::{self, Issuer};
use super::threeds::Authentication;

/// An authorisation lapses this long after it was given (§10).
pub const AUTH_VALIDITY_DAYS: i64 = 60;
/// A capture can be cancelled for this long; the sandbox counts from the capture (§10).
pub const CANCEL_PERIOD_DAYS: i64 = 60;
/// Difference records are purged after this many days (§7).
pub const NOTICE_RETENTION_DAYS: i64 = 7;
/// Earlier payments are found by `ref_trading_id` for this many days (14 months, §3).
pub const REF_TRADING_DAYS: i64 = 426;
/// Stored cards per customer (§6.5, P023).
pub const MAX_STORED_CARDS: usize = 10;

/// `YYYYMMDDhhmmss` in Japan time, Paygent's timestamp format.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.with_timezone(&japan())
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// Japan Standard Time, in which Paygent writes dates and judges card expiry.
pub fn japan() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// A card as the network sees it. Only `number` is secret; `Debug` shows the masked form.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    /// Full card number (never logged).
    pub number: String,
    /// Expiry, `MMYY`.
    pub valid_term: String,
    /// Security code, when the buyer gave one.
    pub cvc: Option<String>,
    /// Holder name as typed.
    pub holder: String,
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Card")
            .field("number", &self.masked())
            .field("valid_term", &self.valid_term)
            .finish_non_exhaustive()
    }
}

impl Card {
    /// `*` for every digit but the last four.
    pub fn masked(&self) -> String {
        let keep = self.number.len().saturating_sub(4);
        format!("{}{}", "*".repeat(keep), &self.number[keep..])
    }

    /// A stable 64-hex-digit fingerprint of the card number.
    pub fn fingerprint(&self) -> String {
        sha256_hex(&format!("paygent-sandbox-fingerprint:{}", self.number))
    }

    /// The issuer the sandbox assigns to this card (§15).
    pub fn issuer(&self) -> Issuer {
        testcard::issuer(&self.number)
    }

    /// Whether the expiry month is before the month of `now` (Japan time).
    pub fn expired_at(&self, now: DateTime<Utc>) -> bool {
        let Some((month, year)) = parse_valid_term(&self.valid_term) else {
            return true;
        };
        let today = now.with_timezone(&japan()).date_naive();
        use chrono::Datelike;
        (year, month) < (today.year(), today.month())
    }
}

/// `MMYY` → (month, four-digit year), when well formed.
pub fn parse_valid_term(term: &str) -> Option<(u32, i32)> {
    if term.len() != 4 || !term.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let month: u32 = term[..2].parse().ok()?;
    let year: i32 = term[2..].parse().ok()?;
    (1..=12).contains(&month).then_some((month, 2000 + year))
}

/// Lower-case hex SHA-256 of `text`, the hash every Paygent check uses.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// What a token stands for.
#[derive(Debug, Clone)]
pub enum TokenContent {
    /// Number, expiry, CVC and holder (`createToken`).
    Card(Card),
    /// A security code only (`createCvcToken`).
    Cvc(String),
}

/// A token issued by the token API (§6.6).
#[derive(Debug, Clone)]
pub struct Token {
    /// Merchant the token was made for; other merchants get 2021.
    pub merchant_id: String,
    /// The card data behind it.
    pub content: TokenContent,
    /// After this instant the token gives 2020.
    pub valid_until: DateTime<Utc>,
    /// Set by the first successful telegram; later uses give 2022.
    pub used: bool,
}

/// Outcome of a stored card's validity check (§6.5).
#[derive(Debug, Clone)]
pub struct ValidityCheck {
    /// `valid_check_result`: `0` OK.
    pub result: &'static str,
    /// When the check ran.
    pub at: DateTime<Utc>,
}

/// A card stored for a customer by 025 (§6.5).
#[derive(Debug, Clone)]
pub struct StoredCard {
    /// `customer_card_id`, issued by the sandbox.
    pub id: u64,
    /// The card.
    pub card: Card,
    /// `card_brand`.
    pub brand: String,
    /// `add_info1`–`add_info4`.
    pub add_info: [String; 4],
    /// Registration, then every 020 that used it.
    pub last_used: DateTime<Utc>,
    /// Present when 025 ran with `valid_check_flg=1`.
    pub validity: Option<ValidityCheck>,
}

/// One card payment and what happened to it.
#[derive(Debug, Clone)]
pub struct Payment {
    /// `payment_id`.
    pub id: u64,
    /// `trading_id`, empty when the merchant sent none.
    pub trading_id: String,
    /// `site_id`, empty for the base site.
    pub site_id: String,
    /// Amount in yen.
    pub amount: u64,
    /// Current status.
    pub status: Status,
    /// The card it was made with.
    pub card: Card,
    /// `payment_class` (10, 23, 61, 80).
    pub payment_class: String,
    /// `split_count` for instalments.
    pub split_count: String,
    /// `3dsecure_ryaku`: `1` when 3-D Secure was skipped, `0` when it was done.
    pub three_d_secure_skipped: String,
    /// `attempt_kbn` of the 3-D Secure authentication, empty unless an attempt.
    pub attempt_kbn: String,
    /// Stored card used, if any.
    pub customer_id: String,
    /// Stored card id used, if any.
    pub customer_card_id: String,
    /// `payment_init_date`.
    pub created: DateTime<Utc>,
    /// When the authorisation was given.
    pub authorized: Option<DateTime<Utc>>,
    /// When it was captured (`payment_date`).
    pub captured: Option<DateTime<Utc>>,
    /// When it was cancelled.
    pub cancelled: Option<DateTime<Utc>>,
    /// Authorisation attempts (a payment left in 10 allows three retries, §10).
    pub attempts: u8,
    /// For 028/029: the payment this one replaced.
    pub base_payment_id: Option<u64>,
    /// Every status with the instant it was entered.
    pub history: Vec<(DateTime<Utc>, Status)>,
}

impl Payment {
    /// A payment in 10 that has not been through the card network yet.
    pub fn new(
        id: u64,
        trading_id: &str,
        site_id: &str,
        amount: u64,
        card: Card,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            trading_id: trading_id.to_owned(),
            site_id: site_id.to_owned(),
            amount,
            status: Status::Applied,
            card,
            payment_class: "10".to_owned(),
            split_count: String::new(),
            three_d_secure_skipped: "1".to_owned(),
            attempt_kbn: String::new(),
            customer_id: String::new(),
            customer_card_id: String::new(),
            created: now,
            authorized: None,
            captured: None,
            cancelled: None,
            attempts: 0,
            base_payment_id: None,
            history: Vec::new(),
        }
    }

    /// Move to `to` at `at`, keeping the history and leaving a difference record when the
    /// status is one Paygent notifies (§7, §10).
    pub fn move_to(&mut self, to: Status, at: DateTime<Utc>, notices: &mut Notices) {
        self.status = to;
        self.history.push((at, to));
        match to {
            Status::Authorized => self.authorized = Some(at),
            Status::Captured => {
                self.captured = Some(at);
                self.authorized.get_or_insert(at);
            }
            Status::AuthCancelled | Status::SalesCancelled => self.cancelled = Some(at),
            Status::Applied
            | Status::Declined
            | Status::ValidityChecked
            | Status::CancelPending
            | Status::AuthExpired
            | Status::CapturedFinal
            | Status::SalesCancelPending => {}
        }
        if to.notified() {
            notices.record(self, at);
        }
    }
}

/// One difference record (§7): a snapshot of the payment when its status changed.
#[derive(Debug, Clone)]
pub struct Notice {
    /// `payment_notice_id`, 1, 2, 3… per merchant.
    pub id: u64,
    /// `change_date`.
    pub at: DateTime<Utc>,
    /// The payment as it was then.
    pub payment: Payment,
    /// Whether an un-keyed 091 already returned it.
    pub fetched: bool,
}

/// A merchant's difference records.
#[derive(Debug, Default)]
pub struct Notices {
    last_id: u64,
    /// Records still kept, oldest first.
    pub records: Vec<Notice>,
    /// An un-fetched record was purged: the next un-keyed 091 answers success_code 2.
    pub gap: bool,
    /// The pushes of these records to the merchant's notification URL (§8).
    pub push: Pushes,
}

impl Notices {
    fn record(&mut self, payment: &Payment, at: DateTime<Utc>) {
        self.last_id += 1;
        let notice = Notice {
            id: self.last_id,
            at,
            payment: payment.clone(),
            fetched: false,
        };
        self.push.enqueue(&notice);
        self.records.push(notice);
    }

    fn purge(&mut self, now: DateTime<Utc>) {
        let limit = now - Duration::days(NOTICE_RETENTION_DAYS);
        let lost = self
            .records
            .iter()
            .any(|notice| notice.at <= limit && !notice.fetched);
        self.gap |= lost;
        self.records.retain(|notice| notice.at > limit);
    }
}

/// Everything the sandbox knows about one merchant id.
#[derive(Debug, Default)]
pub struct Merchant {
    /// Card payments by payment id.
    pub payments: BTreeMap<u64, Payment>,
    /// Stored cards by (site_id, customer_id).
    pub customers: HashMap<(String, String), Vec<StoredCard>>,
    /// Difference records.
    pub notices: Notices,
}

impl Merchant {
    /// A merchant nothing has happened to yet, pushing to `notify_url` if given.
    pub fn new(notify_url: Option<String>) -> Self {
        Self {
            notices: Notices {
                push: Pushes::new(notify_url),
                ..Notices::default()
            },
            ..Self::default()
        }
    }

    /// Apply the transitions that fell due by `now`, dated when they fell due.
    fn sweep(&mut self, now: DateTime<Utc>) {
        let notices = &mut self.notices;
        for payment in self.payments.values_mut() {
            let due = match payment.status {
                Status::Authorized => payment
                    .authorized
                    .map(|at| (at + Duration::days(AUTH_VALIDITY_DAYS), Status::AuthExpired)),
                Status::Captured => payment.captured.map(|at| {
                    (
                        at + Duration::days(CANCEL_PERIOD_DAYS),
                        Status::CapturedFinal,
                    )
                }),
                Status::Applied
                | Status::Declined
                | Status::ValidityChecked
                | Status::CancelPending
                | Status::AuthCancelled
                | Status::AuthExpired
                | Status::CapturedFinal
                | Status::SalesCancelPending
                | Status::SalesCancelled => None,
            };
            if let Some((at, to)) = due.filter(|(at, _)| *at <= now) {
                payment.move_to(to, at, notices);
            }
        }
        notices.purge(now);
    }
}

/// The whole in-memory state of the Paygent sandbox.
#[derive(Debug)]
pub struct Store {
    last_payment_id: u64,
    last_card_id: u64,
    seed: RandomState,
    nonce: u64,
    /// Merchants by merchant id, created on first use.
    pub merchants: HashMap<String, Merchant>,
    /// Tokens by token string.
    pub tokens: HashMap<String, Token>,
    /// The notification URL a merchant starts with.
    pub default_notify_url: Option<String>,
    /// EMV 3-D Secure authentications by `3ds_auth_id`.
    pub threeds: HashMap<String, Authentication>,
    /// Link-type payment requests by page id (`tid`).
    pub links: HashMap<String, LinkTrade>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new(None)
    }
}

impl Store {
    /// An empty sandbox whose merchants start with `notify_url` as their 差分通知URL.
    pub fn new(notify_url: Option<String>) -> Self {
        Self {
            last_payment_id: 100_000_000,
            last_card_id: 0,
            seed: RandomState::new(),
            nonce: 0,
            merchants: HashMap::new(),
            tokens: HashMap::new(),
            default_notify_url: notify_url,
            threeds: HashMap::new(),
            links: HashMap::new(),
        }
    }

    /// Apply everything that fell due by `now` for every merchant.
    pub fn sweep(&mut self, now: DateTime<Utc>) {
        for merchant in self.merchants.values_mut() {
            merchant.sweep(now);
        }
    }

    /// The merchant's state, created empty on first use.
    pub fn merchant(&mut self, merchant_id: &str) -> &mut Merchant {
        self.merchants
            .entry(merchant_id.to_owned())
            .or_insert_with(|| Merchant::new(self.default_notify_url.clone()))
    }

    /// The content of a token `merchant_id` may still use (2020 / 2021 / 2022 otherwise).
    pub fn usable_token(
        &self,
        merchant_id: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenContent, Refusal> {
        let found = self
            .tokens
            .get(token)
            .filter(|t| t.merchant_id == merchant_id)
            .ok_or_else(Refusal::token_unknown)?;
        if found.used {
            return Err(Refusal::token_used());
        }
        if found.valid_until < now {
            return Err(Refusal::token_expired());
        }
        Ok(found.content.clone())
    }

    /// Mark a token used by a successful telegram.
    pub fn consume_token(&mut self, token: &str) {
        if let Some(found) = self.tokens.get_mut(token) {
            found.used = true;
        }
    }

    /// A new payment id (18 digits at most, never reused).
    pub fn next_payment_id(&mut self) -> u64 {
        self.last_payment_id += 1;
        self.last_payment_id
    }

    /// A new `customer_card_id`.
    pub fn next_card_id(&mut self) -> u64 {
        self.last_card_id += 1;
        self.last_card_id
    }

    /// `len` unpredictable lower-case hex digits (for token strings).
    pub fn random_hex(&mut self, len: usize) -> String {
        let mut out = String::new();
        while out.len() < len {
            self.nonce += 1;
            out.push_str(&format!("{:016x}", self.seed.hash_one(self.nonce)));
        }
        out.truncate(len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> Card {
        Card {
            number: "4900000000001234".to_owned(),
            valid_term: "1230".to_owned(),
            cvc: Some("123".to_owned()),
            holder: "TARO".to_owned(),
        }
    }

    #[test]
    fn debug_output_never_shows_the_card_number() {
        let shown = format!("{:?}", card());
        assert!(!shown.contains("4900000000001234"));
        assert!(shown.contains("************1234"));
    }

    #[test]
    fn expiry_is_judged_by_month_in_japan_time() {
        let end_of_dec_2030_utc = "2030-12-31T16:00:00Z".parse().unwrap();
        // 2031-01-01 01:00 in Japan: a card valid through 12/30 has expired.
        assert!(card().expired_at(end_of_dec_2030_utc));
        let mid_dec: DateTime<Utc> = "2030-12-15T00:00:00Z".parse().unwrap();
        assert!(!card().expired_at(mid_dec));
    }

    #[test]
    fn the_spec_hash_example_is_reproduced() {
        assert_eq!(
            sha256_hex("12345123456789TRADE12345021000abcdefg1234567"),
            "6485eb02c7db9afccfe1076b740ffa87fc84f912aab24961153891e848b8cb8c"
        );
    }
}
