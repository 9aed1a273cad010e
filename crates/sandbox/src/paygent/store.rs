//! The sandbox's memory: payments of every simulated method (card, ATM, konbini, bank net,
//! Paidy) by payment id with their history, stored cards, card tokens, the difference
//! records 091 serves and pushes, 3-D Secure authentications, link-type requests and bank
//! net ASP requests (spec §6, §7, §8, §10, §12).
//!
//! Full card numbers live only in [`Card`], whose `Debug` masks them, so they cannot reach
//! a log line. Time-driven transitions (60-day card auth expiry and cancel period, Paidy's
//! 90 days, the ATM / konbini payment deadline, the bank net payment limit, 7-day purge of
//! difference records) are applied lazily by [`Store::sweep`] before each telegram, page
//! and push round, at the instant they were due, so a test that moves its clock sees them.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use sha2::{Digest, Sha256};

use super::bank::AspRequest;
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
/// A Paidy authorisation lapses, and a Paidy capture can be refunded, this long (§6.11).
pub const PAIDY_VALIDITY_DAYS: i64 = 90;
/// Hour (Japan time) of the nightly batch that expires ATM and konbini payments the day
/// after their limit date (§10 gives 01:00–06:00 depending on the store; the sandbox runs
/// one batch for all).
pub const EXPIRY_BATCH_HOUR: u32 = 1;

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

/// The payment methods the sandbox simulates, as `payment_type` codes (§9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentType {
    /// 01 ATM (Pay-easy).
    Atm,
    /// 02 card.
    Card,
    /// 03 konbini, number type.
    Konbini,
    /// 05 bank net.
    Bank,
    /// 22 Paidy.
    Paidy,
}

impl PaymentType {
    /// The two-digit `payment_type` code.
    pub fn code(self) -> &'static str {
        match self {
            PaymentType::Atm => "01",
            PaymentType::Card => "02",
            PaymentType::Konbini => "03",
            PaymentType::Bank => "05",
            PaymentType::Paidy => "22",
        }
    }
}

/// What an ATM (Pay-easy) payment carries (§6.7).
#[derive(Debug, Clone, Default)]
pub struct Atm {
    /// `pay_center_number` (収納機関番号, 10 digits).
    pub pay_center_number: String,
    /// `customer_number` (お客様番号, 20 digits).
    pub customer_number: String,
    /// `conf_number` (確認番号, 6 digits).
    pub conf_number: String,
    /// `payment_limit_date`: the last day to pay (Japan time).
    pub limit_date: chrono::NaiveDate,
    /// `bank_code` of the bank the buyer paid at, once paid.
    pub bank_code: String,
    /// `customer_family_name` + `customer_name`, as given.
    pub customer_name: (String, String),
}

/// What a konbini number-type payment carries (§6.8).
#[derive(Debug, Clone, Default)]
pub struct Konbini {
    /// `receipt_number`: the number the buyer presents at the store.
    pub receipt_number: String,
    /// `receipt_print_url`.
    pub receipt_print_url: String,
    /// `usable_cvs_company_id`: the stores the number works at.
    pub usable: Vec<String>,
    /// `payment_limit_date`: the last day to pay (Japan time).
    pub limit_date: chrono::NaiveDate,
    /// `cvs_company_id` of the store the buyer paid at, once paid.
    pub paid_at: String,
    /// `customer_family_name` + `customer_name`.
    pub customer_name: (String, String),
    /// `customer_tel`.
    pub customer_tel: String,
}

/// What a bank net payment carries (§6.9): made when the buyer picks a bank on the ASP page.
#[derive(Debug, Clone, Default)]
pub struct Bank {
    /// `bank_code` of the bank picked.
    pub bank_code: String,
    /// `asp_payment_limit_date`: unpaid after this the payment is aborted (15).
    pub limit: DateTime<Utc>,
}

/// What a Paidy payment carries (§6.11).
#[derive(Debug, Clone, Default)]
pub struct Paidy {
    /// `paidy_payment_id` (`pay_…`), Paidy's own id.
    pub paidy_payment_id: String,
    /// `description`, `store_name`, `buyer_email`, `buyer_name_kanji`, `buyer_phone` of the
    /// checkout payload.
    pub description: String,
    /// `store_name`.
    pub store_name: String,
    /// `buyer_email`.
    pub buyer_email: String,
    /// `buyer_name_kanji`.
    pub buyer_name: String,
    /// `buyer_phone`.
    pub buyer_phone: String,
}

/// The method a payment was made with and what only that method carries.
#[derive(Debug, Clone)]
pub enum Method {
    /// A card payment.
    Card(Card),
    /// An ATM (Pay-easy) payment.
    Atm(Atm),
    /// A konbini number-type payment.
    Konbini(Konbini),
    /// A bank net payment.
    Bank(Bank),
    /// A Paidy payment.
    Paidy(Paidy),
}

impl Method {
    /// The method's `payment_type`.
    pub fn payment_type(&self) -> PaymentType {
        match self {
            Method::Card(_) => PaymentType::Card,
            Method::Atm(_) => PaymentType::Atm,
            Method::Konbini(_) => PaymentType::Konbini,
            Method::Bank(_) => PaymentType::Bank,
            Method::Paidy(_) => PaymentType::Paidy,
        }
    }
}

/// One payment and what happened to it.
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
    /// The method and what it carries.
    pub method: Method,
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
    /// When the buyer paid at the store or ATM (`user_payment_date`), as the test tool says.
    pub user_paid: Option<DateTime<Utc>>,
    /// When a konbini's preliminary payment report came (`early_notice_date`, 43).
    pub early_notice: Option<DateTime<Utc>>,
    /// Authorisation attempts (a payment left in 10 allows three retries, §10).
    pub attempts: u8,
    /// For 028/029: the payment this one replaced.
    pub base_payment_id: Option<u64>,
    /// Every status with the instant it was entered.
    pub history: Vec<(DateTime<Utc>, Status)>,
}

impl Payment {
    /// A payment in 10 (applied, nothing happened yet) made with `method`.
    pub fn new(
        id: u64,
        trading_id: &str,
        site_id: &str,
        amount: u64,
        method: Method,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            trading_id: trading_id.to_owned(),
            site_id: site_id.to_owned(),
            amount,
            status: Status::Applied,
            method,
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
            user_paid: None,
            early_notice: None,
            attempts: 0,
            base_payment_id: None,
            history: Vec::new(),
        }
    }

    /// The card it was made with, for a card payment.
    pub fn card(&self) -> Option<&Card> {
        match &self.method {
            Method::Card(card) => Some(card),
            Method::Atm(_) | Method::Konbini(_) | Method::Bank(_) | Method::Paidy(_) => None,
        }
    }

    /// The payment's `payment_type`.
    pub fn payment_type(&self) -> PaymentType {
        self.method.payment_type()
    }

    /// Move to `to` at `at`, keeping the history and leaving a difference record when the
    /// status is one Paygent notifies for the payment's method (§7, §10).
    pub fn move_to(&mut self, to: Status, at: DateTime<Utc>, notices: &mut Notices) {
        self.status = to;
        self.history.push((at, to));
        match to {
            Status::Authorized => self.authorized = Some(at),
            Status::Captured => {
                self.captured = Some(at);
                if self.card().is_some() || self.payment_type() == PaymentType::Paidy {
                    self.authorized.get_or_insert(at);
                }
            }
            Status::Preliminary => self.early_notice = Some(at),
            Status::AuthCancelled
            | Status::SalesCancelled
            | Status::PreliminaryCancelled
            | Status::PaymentExpired
            | Status::Aborted => self.cancelled = Some(at),
            Status::Applied
            | Status::Declined
            | Status::ValidityChecked
            | Status::CancelPending
            | Status::AuthExpired
            | Status::CapturedFinal
            | Status::SalesCancelPending => {}
        }
        if to.notified(self.payment_type()) {
            notices.record(self, at);
        }
    }

    /// The transition that falls due next by itself, if any, and its instant.
    fn due(&self) -> Option<(DateTime<Utc>, Status)> {
        let days = |at: Option<DateTime<Utc>>, n: i64, to: Status| {
            at.map(|at| (at + Duration::days(n), to))
        };
        match (&self.method, self.status) {
            (Method::Card(_), Status::Authorized) => {
                days(self.authorized, AUTH_VALIDITY_DAYS, Status::AuthExpired)
            }
            (Method::Card(_), Status::Captured) => {
                days(self.captured, CANCEL_PERIOD_DAYS, Status::CapturedFinal)
            }
            (Method::Paidy(_), Status::Authorized) => {
                days(self.authorized, PAIDY_VALIDITY_DAYS, Status::AuthExpired)
            }
            (Method::Paidy(_), Status::Captured) => {
                days(self.captured, PAIDY_VALIDITY_DAYS, Status::CapturedFinal)
            }
            (Method::Atm(Atm { limit_date, .. }), Status::Applied)
            | (Method::Konbini(Konbini { limit_date, .. }), Status::Applied) => {
                Some((after_limit_date(*limit_date), Status::PaymentExpired))
            }
            (Method::Bank(bank), Status::Applied) => Some((bank.limit, Status::Aborted)),
            _ => None,
        }
    }
}

/// When the nightly batch after a limit date runs: the next day at
/// [`EXPIRY_BATCH_HOUR`] o'clock, Japan time.
pub fn after_limit_date(limit_date: chrono::NaiveDate) -> DateTime<Utc> {
    let next = limit_date + Duration::days(1);
    let local = next
        .and_hms_opt(EXPIRY_BATCH_HOUR, 0, 0)
        .unwrap_or_default();
    use chrono::TimeZone;
    japan()
        .from_local_datetime(&local)
        .single()
        .map_or_else(Utc::now, |at| at.with_timezone(&Utc))
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
    /// Payments of every method by payment id.
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

    /// Apply the transitions that fell due by `now`, dated when they fell due, in the
    /// order they fell due (so difference records keep time order).
    fn sweep(&mut self, now: DateTime<Utc>) {
        let notices = &mut self.notices;
        let mut due: Vec<(DateTime<Utc>, u64, Status)> = self
            .payments
            .values()
            .filter_map(|p| p.due().map(|(at, to)| (at, p.id, to)))
            .filter(|(at, _, _)| *at <= now)
            .collect();
        due.sort_by_key(|(at, id, _)| (*at, *id));
        for (at, id, to) in due {
            if let Some(payment) = self.payments.get_mut(&id) {
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
    /// Bank net ASP requests (060) by merchant id and trading id.
    pub asps: HashMap<(String, String), AspRequest>,
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
            asps: HashMap::new(),
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

    /// `len` unpredictable decimal digits (payment numbers of ATM and konbini).
    pub fn random_digits(&mut self, len: usize) -> String {
        let mut out = String::new();
        while out.len() < len {
            self.nonce += 1;
            out.push_str(&format!(
                "{:019}",
                self.seed.hash_one(self.nonce) % 10_000_000_000_000_000_000
            ));
        }
        out.truncate(len);
        out
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
    fn the_expiry_batch_runs_at_one_in_the_night_after_the_limit_date_in_japan() {
        let limit = chrono::NaiveDate::from_ymd_opt(2026, 5, 17).unwrap();
        // 2026-05-18 01:00 in Japan.
        assert_eq!(
            after_limit_date(limit).to_rfc3339(),
            "2026-05-17T16:00:00+00:00"
        );
    }

    #[test]
    fn each_method_notifies_the_statuses_of_its_column() {
        use super::super::status::Status;
        assert!(!Status::Applied.notified(PaymentType::Atm));
        assert!(Status::Applied.notified(PaymentType::Konbini));
        assert!(!Status::Applied.notified(PaymentType::Bank));
        assert!(Status::Aborted.notified(PaymentType::Bank));
        assert!(Status::Preliminary.notified(PaymentType::Konbini));
        assert!(Status::SalesCancelled.notified(PaymentType::Paidy));
        assert!(!Status::Applied.notified(PaymentType::Paidy));
    }

    #[test]
    fn the_spec_hash_example_is_reproduced() {
        assert_eq!(
            sha256_hex("12345123456789TRADE12345021000abcdefg1234567"),
            "6485eb02c7db9afccfe1076b740ffa87fc84f912aab24961153891e848b8cb8c"
        );
    }
}
