//! The sandbox's memory: open payment pages, card payments and their 集計区分, multi
//! payments, PayQuick cards, the 収納情報通知 queue and the log of result notifications
//! (RET), plus the merchant settings. One set of settings serves every `SHOPCO`; records
//! are kept per `SHOPCO`.
//!
//! No card number or security code is ever stored: a card payment and a PayQuick card
//! keep the last four digits, the expiry, the holder name, the brand and, for PayQuick,
//! the test card's [`Behaviour`] so that a reused card answers as the typed one did.
//! Deadlines are judged lazily on the sandbox clock: [`Store::sweep`] expires unpaid multi
//! payments before every page, form and delivery round.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

use super::card::CardRequest;
use super::multi::MultiRequest;
use super::testcard::{Behaviour, Decline};
use super::wire::Fields;

/// An authorisation (仮売上) can be sold for this many days (the spec names the error,
/// 8:5822, not the period; the sandbox picks the usual 60 days).
pub const AUTH_HOLD_DAYS: i64 = 60;
/// A payment page takes the buyer's input for this many minutes of the sandbox clock.
pub const PAGE_MINUTES: i64 = 60;
/// The deadline of a multi payment without `S_PAYDATE`: the contract's default number of
/// days (the manual's example: 14 days from the order).
pub const DEFAULT_PAY_DAYS: i64 = 14;
/// An unacknowledged 収納情報通知 is sent again this many minutes later (sandbox clock).
pub const RESEND_MINUTES: i64 = 5;
/// Result notifications (RET) kept for the back office.
const RESULT_LOG_LIMIT: usize = 200;

/// Japan Standard Time, in which Remise writes dates.
pub fn japan() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// `YYYYMMDDhhmmss` in Japan time.
pub fn compact(at: DateTime<Utc>) -> String {
    at.with_timezone(&japan())
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// `YYYY/MM/DD hh:mm:ss` in Japan time, as the pages show times.
pub fn shown(at: DateTime<Utc>) -> String {
    at.with_timezone(&japan())
        .format("%Y/%m/%d %H:%M:%S")
        .to_string()
}

/// The date in Japan at `now`.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&japan()).date_naive()
}

/// `n` random decimal digits.
pub fn digits(n: usize) -> String {
    let mut out = String::with_capacity(n + 19);
    while out.len() < n {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_usize(out.len());
        out.push_str(&format!(
            "{:019}",
            hasher.finish() % 10_000_000_000_000_000_000
        ));
    }
    out.truncate(n);
    out
}

/// Where notifications go; one set for every merchant of the sandbox.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// 結果通知URL (card, also the extset host's); `None` sends no RET.
    pub result_url: Option<String>,
    /// 収納情報通知URL (multi payment); `None` keeps notices waiting.
    pub receipt_url: Option<String>,
}

/// A payment page between the shop's post and the buyer's answer.
#[derive(Debug, Clone)]
pub struct Page {
    /// When the shop's post opened it.
    pub opened: DateTime<Utc>,
    /// Set once the buyer's answer was handled; a page takes one payment.
    pub used: bool,
    /// The checked request.
    pub request: PageRequest,
}

/// The request behind a page.
#[derive(Debug, Clone)]
pub enum PageRequest {
    /// `paycard.aspx`.
    Card(Box<CardRequest>),
    /// `paycvs.aspx`.
    Multi(Box<MultiRequest>),
}

/// What the buyer's card looks like once the number is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSummary {
    /// `X-PARTOFCARD`.
    pub last4: String,
    /// `X-EXPIRE`, `MMYY`.
    pub expire: String,
    /// `X-NAME`.
    pub name: String,
    /// `X-CARDBRAND`.
    pub brand: &'static str,
}

/// 支払区分 (`METHOD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `10` 一括.
    Lump,
    /// `61` 分割 with `PTIMES`.
    Installments(u8),
    /// `80` リボ.
    Revolving,
}

impl Method {
    /// As the pages show it.
    pub fn label(self) -> String {
        match self {
            Method::Lump => "一括".to_owned(),
            Method::Installments(times) => format!("分割{times}回"),
            Method::Revolving => "リボ".to_owned(),
        }
    }
}

/// 処理区分 of the card request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// 仮売上.
    Auth,
    /// 売上 (authorise and capture).
    Capture,
    /// 0-yen validity check.
    Check,
}

/// 集計区分 of a card payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardState {
    /// 仮売上 (authorised).
    Authorised,
    /// 売上 (captured).
    Sold,
    /// 取消 (即日取消).
    Voided,
    /// 返品.
    Returned,
    /// 有効性チェック done.
    Checked,
    /// Refused by the network.
    Declined(Decline),
}

impl CardState {
    /// 集計区分 as the back office shows it.
    pub fn label(self) -> &'static str {
        match self {
            CardState::Authorised => "仮売上",
            CardState::Sold => "売上",
            CardState::Voided => "取消",
            CardState::Returned => "返品",
            CardState::Checked => "有効性チェック",
            CardState::Declined(_) => "エラー",
        }
    }
}

/// One card payment (or validity check) and what happened to it.
#[derive(Debug, Clone)]
pub struct CardPayment {
    /// `X-TRANID`, 28 digits.
    pub tranid: String,
    /// `SHOPCO`.
    pub shopco: String,
    /// `HOSTID`.
    pub hostid: String,
    /// 請求番号.
    pub s_torihiki_no: String,
    /// `JOB` of the request.
    pub job: Job,
    /// Current `AMOUNT`, `TAX`, `TOTAL`.
    pub amount: u64,
    /// Current tax and shipping.
    pub tax: u64,
    /// Current total.
    pub total: u64,
    /// The total first authorised; a change never goes above it.
    pub authorised_total: u64,
    /// 支払方法.
    pub method: Method,
    /// The card.
    pub card: CardSummary,
    /// 集計区分.
    pub state: CardState,
    /// The shop did not acknowledge the RET: the authorisation stands but the shop may
    /// not know it (未確認).
    pub unconfirmed: bool,
    /// When it was authorised (or refused).
    pub created: DateTime<Utc>,
    /// When it was captured.
    pub sold_at: Option<DateTime<Utc>>,
    /// The PayQuick id used or registered.
    pub payquick_id: Option<String>,
    /// `X-AC_MEMBERID` when AUTOCHARGE=1 was recorded.
    pub autocharge_member: Option<String>,
    /// Operations after the authorisation, for the back office.
    pub history: Vec<String>,
}

impl CardPayment {
    /// Whether its 請求番号 counts as paid (8:5820 for another request).
    pub fn blocks_reuse(&self) -> bool {
        !matches!(self.state, CardState::Declined(_) | CardState::Checked)
    }

    /// Whether the authorisation hold passed at `now`.
    pub fn hold_expired(&self, now: DateTime<Utc>) -> bool {
        now > self.created + Duration::days(AUTH_HOLD_DAYS)
    }
}

/// A card stored with PayQuick.
#[derive(Debug, Clone)]
pub struct PayQuickCard {
    /// `SHOPCO` it belongs to.
    pub shopco: String,
    /// `X-PAYQUICKID`, 20 digits.
    pub id: String,
    /// The card.
    pub card: CardSummary,
    /// How the network answers for it.
    pub behaviour: Behaviour,
    /// Registered or last updated.
    pub updated: DateTime<Utc>,
}

/// 入金状況 of a multi payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiState {
    /// 未入金.
    Unpaid,
    /// 入金済, when.
    Paid(DateTime<Utc>),
    /// 期限切れ, when.
    Expired(DateTime<Utc>),
}

impl MultiState {
    /// As the back office shows it.
    pub fn label(self) -> &'static str {
        match self {
            MultiState::Unpaid => "未入金",
            MultiState::Paid(_) => "入金済",
            MultiState::Expired(_) => "期限切れ",
        }
    }
}

/// A multi payment slip issued to the buyer.
#[derive(Debug, Clone)]
pub struct MultiPayment {
    /// `X-JOB_ID`, 20 digits.
    pub job_id: String,
    /// `SHOPCO`.
    pub shopco: String,
    /// `HOSTID`.
    pub hostid: String,
    /// 請求番号.
    pub s_torihiki_no: String,
    /// `TOTAL`.
    pub total: u64,
    /// `X-PAY_CSV`.
    pub pay_csv: &'static str,
    /// The destination's name.
    pub pay_name: &'static str,
    /// `X-PAY_NO1`.
    pub pay_no1: String,
    /// `X-PAY_NO2`.
    pub pay_no2: String,
    /// `X-PAYDATE`: the last day to pay (Japan).
    pub paydate: NaiveDate,
    /// When the slip was issued.
    pub issued: DateTime<Utc>,
    /// 入金状況.
    pub state: MultiState,
    /// The buyer (`NAME1 NAME2`).
    pub buyer: String,
}

/// One 収納情報通知 and its deliveries.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Sandbox id.
    pub id: u64,
    /// `JOB_ID` it reports.
    pub job_id: String,
    /// `S_TORIHIKI_NO` it reports.
    pub s_torihiki_no: String,
    /// The fields posted.
    pub fields: Fields,
    /// Attempts made.
    pub attempts: u32,
    /// The next attempt is due at this instant.
    pub next_attempt: DateTime<Utc>,
    /// When the last attempt was made.
    pub last_attempt: Option<DateTime<Utc>>,
    /// What the shop answered last (or why it did not).
    pub last_answer: String,
    /// When the shop acknowledged it.
    pub delivered: Option<DateTime<Utc>>,
}

/// One result notification (RET) sent, for the back office.
#[derive(Debug, Clone)]
pub struct ResultPost {
    /// When.
    pub at: DateTime<Utc>,
    /// What it reported (カード / 拡張セット and the job).
    pub kind: String,
    /// 請求番号.
    pub s_torihiki_no: String,
    /// The shop's answer, shortened.
    pub answer: String,
    /// Whether it was STATUS=800.
    pub acknowledged: bool,
}

/// Everything the sandbox remembers.
#[derive(Debug, Default)]
pub struct Store {
    /// Notification URLs.
    pub settings: Settings,
    /// Open payment pages by their key.
    pub pages: HashMap<String, Page>,
    /// Card payments, oldest first.
    pub cards: Vec<CardPayment>,
    /// Multi payments, oldest first.
    pub multis: Vec<MultiPayment>,
    /// PayQuick cards.
    pub payquick: Vec<PayQuickCard>,
    /// 収納情報通知, oldest first.
    pub notices: Vec<Notice>,
    /// The latest result notifications.
    pub results: VecDeque<ResultPost>,
    sequence: u64,
}

impl Store {
    /// An empty store with these notification URLs.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            ..Self::default()
        }
    }

    fn next(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    /// A new `X-TRANID`: the Japan time, six random digits, an eight-digit sequence.
    pub fn new_tranid(&mut self, now: DateTime<Utc>) -> String {
        let sequence = self.next() % 100_000_000;
        format!("{}{}{sequence:08}", compact(now), digits(6))
    }

    /// A new `X-JOB_ID`: the Japan time, two random digits, a four-digit sequence.
    pub fn new_job_id(&mut self, now: DateTime<Utc>) -> String {
        let sequence = self.next() % 10_000;
        format!("{}{}{sequence:04}", compact(now), digits(2))
    }

    /// A key for a new payment page.
    pub fn open_page(&mut self, request: PageRequest, now: DateTime<Utc>) -> String {
        let key = format!("{}{}", digits(16), self.next());
        self.pages.insert(
            key.clone(),
            Page {
                opened: now,
                used: false,
                request,
            },
        );
        key
    }

    /// The page `key` when it still takes an answer at `now`.
    pub fn open(&mut self, key: &str, now: DateTime<Utc>) -> Option<&mut Page> {
        self.pages
            .get_mut(key)
            .filter(|page| !page.used && now <= page.opened + Duration::minutes(PAGE_MINUTES))
    }

    /// Whether a card payment of `shopco` already took `s_torihiki_no`.
    pub fn card_paid(&self, shopco: &str, s_torihiki_no: &str) -> bool {
        self.cards
            .iter()
            .any(|c| c.shopco == shopco && c.s_torihiki_no == s_torihiki_no && c.blocks_reuse())
    }

    /// Whether a multi payment slip of `shopco` was already issued for `s_torihiki_no`.
    pub fn multi_issued(&self, shopco: &str, s_torihiki_no: &str) -> bool {
        self.multis
            .iter()
            .any(|m| m.shopco == shopco && m.s_torihiki_no == s_torihiki_no)
    }

    /// The PayQuick card `id` of `shopco`.
    pub fn payquick_card(&self, shopco: &str, id: &str) -> Option<&PayQuickCard> {
        self.payquick
            .iter()
            .find(|p| p.shopco == shopco && p.id == id)
    }

    /// Store `card` under `id` (a new 20-digit id when `None` or unknown); answers the id.
    pub fn save_payquick(
        &mut self,
        shopco: &str,
        id: Option<&str>,
        card: CardSummary,
        behaviour: Behaviour,
        now: DateTime<Utc>,
    ) -> String {
        if let Some(id) = id {
            if let Some(stored) = self
                .payquick
                .iter_mut()
                .find(|p| p.shopco == shopco && p.id == id)
            {
                stored.card = card;
                stored.behaviour = behaviour;
                stored.updated = now;
                return stored.id.clone();
            }
        }
        let id = digits(20);
        self.payquick.push(PayQuickCard {
            shopco: shopco.to_owned(),
            id: id.clone(),
            card,
            behaviour,
            updated: now,
        });
        id
    }

    /// Expire the unpaid multi payments whose day to pay ended before `now` (Japan time).
    pub fn sweep(&mut self, now: DateTime<Utc>) {
        for multi in &mut self.multis {
            if multi.state != MultiState::Unpaid {
                continue;
            }
            let end = multi
                .paydate
                .succ_opt()
                .and_then(|next| next.and_hms_opt(0, 0, 0))
                .and_then(|midnight| midnight.and_local_timezone(japan()).single())
                .map(|end| end.with_timezone(&Utc));
            if let Some(end) = end.filter(|end| now >= *end) {
                multi.state = MultiState::Expired(end);
            }
        }
    }

    /// The multi payment whose 請求番号 or JOB_ID is `key` (the latest when several
    /// merchants share a 請求番号; `shopco` narrows it down).
    pub fn multi_index(&self, key: &str, shopco: Option<&str>) -> Option<usize> {
        self.multis.iter().rposition(|m| {
            (m.job_id == key || m.s_torihiki_no == key)
                && shopco.is_none_or(|shopco| m.shopco == shopco)
        })
    }

    /// Mark the unpaid multi payment `index` paid at `now` and queue its 収納情報通知;
    /// answers the notice id, or why not.
    pub fn receive(&mut self, index: usize, now: DateTime<Utc>) -> Result<u64, &'static str> {
        let multi = self.multis.get_mut(index).ok_or("取引が見つかりません")?;
        match multi.state {
            MultiState::Unpaid => {}
            MultiState::Paid(_) => return Err("既に入金済みです"),
            MultiState::Expired(_) => return Err("支払期限を過ぎています"),
        }
        multi.state = MultiState::Paid(now);
        let multi = multi.clone();
        let id = self.next();
        self.notices.push(Notice {
            id,
            job_id: multi.job_id.clone(),
            s_torihiki_no: multi.s_torihiki_no.clone(),
            fields: receipt_fields(&multi, now),
            attempts: 0,
            next_attempt: now,
            last_attempt: None,
            last_answer: String::new(),
            delivered: None,
        });
        Ok(id)
    }

    /// Log a result notification.
    pub fn log_result(&mut self, post: ResultPost) {
        self.results.push_back(post);
        while self.results.len() > RESULT_LOG_LIMIT {
            self.results.pop_front();
        }
    }
}

/// The fields of a 収納情報通知 (§3.3): no `X-` prefix. `RECDATE` is when the buyer paid,
/// `CENDATE` when Remise's centre learned it (the same instant in the sandbox), both
/// `YYYYMMDDhhmmss`; `REC_CVSCODE` is the destination code and `REC_SCODE` a fixed
/// sandbox store code, the spec knowing neither format.
fn receipt_fields(multi: &MultiPayment, paid: DateTime<Utc>) -> Fields {
    let mut fields = Fields::default();
    fields.push("SHOPCO", &multi.shopco);
    fields.push("HOSTID", &multi.hostid);
    fields.push("S_TORIHIKI_NO", &multi.s_torihiki_no);
    fields.push("JOB_ID", &multi.job_id);
    fields.push("TOTAL", multi.total.to_string());
    fields.push("REC_FLG", "1");
    fields.push("RECDATE", compact(paid));
    fields.push("CENDATE", compact(paid));
    fields.push("REC_CVSCODE", multi.pay_csv);
    fields.push("REC_CVSNAME", multi.pay_name);
    fields.push("REC_SCODE", SANDBOX_STORE_CODE);
    fields
}

/// `REC_SCODE` of every payment in the sandbox.
pub const SANDBOX_STORE_CODE: &str = "000001";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_spec_lengths() {
        let mut store = Store::default();
        let now: DateTime<Utc> = "2026-05-10T01:00:00Z".parse().unwrap();

        let tranid = store.new_tranid(now);
        assert_eq!(tranid.len(), 28);
        assert!(tranid.starts_with("20260510100000"));
        assert!(tranid.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(store.new_job_id(now).len(), 20);
        assert_eq!(digits(20).len(), 20);
    }
}
