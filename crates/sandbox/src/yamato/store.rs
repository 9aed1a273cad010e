//! The sandbox's memory: the traders, the card tokens the token JS minted, the
//! transactions (one per trader and `order_no`) with their history, and the kept cards
//! (お預かりカード) of each trader's members.
//!
//! No card number or security code is kept: a card is its test-card behaviour, brand, last
//! four digits, length, expiry and holder.
//!
//! A transaction's `statusInfo` (spec §9) is judged from its record and the clock:
//! 50 3-D Secure waiting (A08 sent the buyer to the ACS), 20 決済中断 (still waiting
//! [`THREE_D_MINUTES`] minutes after the A08), 11 購入者エラー (3-D Secure failed, told by
//! A09), 4 与信完了, 30 精算確定待ち (E01), 31 精算確定 (delivery confirmed in the back
//! office), 40 取消 (A06).

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::testcard::{Behaviour, Brand};
use super::Trader;

/// A token can be used this many minutes after it was minted (the spec gives no lifetime).
pub const TOKEN_MINUTES: i64 = 30;
/// A 3-D Secure authentication must be completed by A09 within this many minutes of the
/// A08, else the transaction is 決済中断 (the spec gives no limit).
pub const THREE_D_MINUTES: i64 = 30;
/// How many cards a member can keep (the spec gives no limit).
pub const MAX_KEPT_CARDS: usize = 3;

/// Lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `n` random characters of `alphabet`.
fn random(n: usize, alphabet: &[u8]) -> String {
    let mut out = String::with_capacity(n);
    let base = alphabet.len() as u64;
    while out.len() < n {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_usize(out.len());
        let mut bits = hasher.finish();
        for _ in 0..8 {
            if out.len() == n {
                break;
            }
            out.push(char::from(alphabet[(bits % base) as usize]));
            bits /= base;
        }
    }
    out
}

/// `n` random letters and digits.
pub fn alphanumerics(n: usize) -> String {
    random(
        n,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    )
}

/// `n` random digits.
pub fn digits(n: usize) -> String {
    random(n, b"0123456789")
}

/// A card as the sandbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// How the test card answers.
    pub behaviour: Behaviour,
    /// Its brand.
    pub brand: Brand,
    /// The last four digits.
    pub last4: String,
    /// How many digits the number has.
    pub length: usize,
    /// `MMYY`.
    pub expiry: String,
    /// The holder's name.
    pub holder: String,
}

impl Card {
    /// `maskingCardNo`: `*` for every digit but the last four.
    pub fn masked(&self) -> String {
        format!(
            "{}{}",
            "*".repeat(self.length.saturating_sub(4)),
            self.last4
        )
    }
}

/// A member the token or transaction is for: `member_id` and `authentication_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    /// `member_id`.
    pub id: String,
    /// `authentication_key`.
    pub key: String,
}

/// What a token stands for.
#[derive(Debug, Clone)]
pub enum TokenCard {
    /// A card typed by the buyer.
    New(Card),
    /// A kept card of the token's member, by `cardKey`.
    Kept(String),
}

/// A token minted by the token JS.
#[derive(Debug, Clone)]
pub struct Token {
    /// The trader it was minted for.
    pub trader: usize,
    /// The card.
    pub card: TokenCard,
    /// `authDiv`: 0 none, 1 3-D Secure, 2 security code, 3 both.
    pub auth_div: u8,
    /// The member, when minted with `optServDiv` `01`.
    pub member: Option<MemberRef>,
    /// When it was minted.
    pub minted: DateTime<Utc>,
    /// Whether an A08 used it up.
    pub used: bool,
}

/// A kept card (お預かりカード).
#[derive(Debug, Clone)]
pub struct KeptCard {
    /// `cardKey`.
    pub key: String,
    /// The card.
    pub card: Card,
    /// `lastCreditDate`: when it was kept or last paid with.
    pub last_credit: DateTime<Utc>,
}

/// A trader's member with kept cards.
#[derive(Debug, Clone)]
pub struct Member {
    /// The trader.
    pub trader: usize,
    /// `member_id`.
    pub id: String,
    /// `authentication_key`, fixed by the first card kept.
    pub key: String,
    /// The kept cards.
    pub cards: Vec<KeptCard>,
    /// The next `cardKey`.
    next_key: u32,
}

/// Where a transaction stands, before the clock is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Sent to the ACS, waiting for A09.
    Waiting3ds,
    /// 3-D Secure failed.
    Failed3ds,
    /// 与信完了.
    Authorised,
    /// 精算確定待ち: shipment registered.
    Shipped,
    /// 精算確定: delivered.
    Delivered,
    /// 取消.
    Cancelled,
}

/// `statusInfo` (spec §9) as the clock sees a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 50.
    Waiting3ds,
    /// 20 決済中断.
    Interrupted,
    /// 11 エラー（購入者）.
    BuyerError,
    /// 4 与信完了.
    Authorised,
    /// 30 精算確定待ち.
    Shipped,
    /// 31 精算確定.
    Delivered,
    /// 40 取消.
    Cancelled,
}

impl Status {
    /// `statusInfo`.
    pub fn code(self) -> &'static str {
        match self {
            Status::Waiting3ds => "50",
            Status::Interrupted => "20",
            Status::BuyerError => "11",
            Status::Authorised => "4",
            Status::Shipped => "30",
            Status::Delivered => "31",
            Status::Cancelled => "40",
        }
    }

    /// As the back office shows it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Waiting3ds => "3Dセキュア認証待ち",
            Status::Interrupted => "決済中断",
            Status::BuyerError => "エラー（購入者・3Dセキュア認証失敗）",
            Status::Authorised => "与信完了",
            Status::Shipped => "精算確定待ち",
            Status::Delivered => "精算確定",
            Status::Cancelled => "取消",
        }
    }
}

/// What the ACS posted to the shop.
#[derive(Debug, Clone)]
pub struct AcsResult {
    /// Whether the buyer was authenticated.
    pub passed: bool,
    /// The upper-case fields posted to `trader_ec_url`, in order.
    pub fields: Vec<(&'static str, String)>,
}

/// A 3-D Secure authentication of a transaction.
#[derive(Debug, Clone)]
pub struct ThreeD {
    /// `threeDToken` of the A08 answer.
    pub token: String,
    /// `3D_TRAN_ID`: the ACS's id.
    pub tran_id: String,
    /// The card token the A08 used.
    pub card_token: String,
    /// `trader_ec_url`.
    pub return_url: String,
    /// The ACS's answer, once the buyer gave it.
    pub result: Option<AcsResult>,
    /// When the A08 started it.
    pub started: DateTime<Utc>,
}

/// A registered shipment.
#[derive(Debug, Clone)]
pub struct Slip {
    /// `slip_no`.
    pub number: String,
    /// `delivery_service_code`.
    pub service: String,
    /// When E01 registered it.
    pub at: DateTime<Utc>,
}

/// One line of a transaction's history (処理区分 and 処理日時 of the back office).
#[derive(Debug, Clone)]
pub struct Event {
    /// 処理区分.
    pub label: &'static str,
    /// 処理日時.
    pub at: DateTime<Utc>,
    /// The amount after it.
    pub amount: u64,
    /// A note (slip number, new amount, …).
    pub note: String,
}

/// A card transaction.
#[derive(Debug, Clone)]
pub struct Transaction {
    /// The trader.
    pub trader: usize,
    /// `order_no`.
    pub order_no: String,
    /// `orderDataSeq` (お問い合わせ番号).
    pub seq: String,
    /// `device_div`.
    pub device_div: String,
    /// `settlePrice`: the amount now.
    pub price: u64,
    /// The amount authorised by A08, the ceiling of A07.
    pub authorised_price: u64,
    /// `pay_way`.
    pub pay_way: String,
    /// `buyer_name_kanji`.
    pub buyer: String,
    /// The card.
    pub card: Card,
    /// The member whose card is kept or used.
    pub member: Option<MemberRef>,
    /// Keep the card for the member once authorised.
    pub keep: bool,
    /// The kept card paid with, by `cardKey`.
    pub kept_card: Option<String>,
    /// Where it stands.
    pub state: State,
    /// `crdCResCd` (与信承認番号).
    pub approval: Option<String>,
    /// When it was authorised.
    pub authorised: Option<DateTime<Utc>>,
    /// Its 3-D Secure authentication, when the buyer was sent to the ACS.
    pub three_d: Option<ThreeD>,
    /// `threeDCode` of E04: empty without 3-D Secure, else `RES_PA` (`Y`, `N`, `U`).
    pub three_d_code: &'static str,
    /// The shipment, while registered.
    pub slip: Option<Slip>,
    /// When delivery was confirmed (31).
    pub delivered: Option<DateTime<Utc>>,
    /// When A06 cancelled it.
    pub cancelled: Option<DateTime<Utc>>,
    /// When the A08 came.
    pub registered: DateTime<Utc>,
    /// When it last changed.
    pub renewed: DateTime<Utc>,
    /// What happened to it.
    pub history: Vec<Event>,
}

impl Transaction {
    /// `statusInfo` at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> Status {
        match self.state {
            State::Waiting3ds => match &self.three_d {
                Some(t) if now >= t.started + Duration::minutes(THREE_D_MINUTES) => {
                    Status::Interrupted
                }
                _ => Status::Waiting3ds,
            },
            State::Failed3ds => Status::BuyerError,
            State::Authorised => Status::Authorised,
            State::Shipped => Status::Shipped,
            State::Delivered => Status::Delivered,
            State::Cancelled => Status::Cancelled,
        }
    }

    /// Record `label` at `now`.
    pub fn log(&mut self, label: &'static str, now: DateTime<Utc>, note: impl Into<String>) {
        self.renewed = now;
        self.history.push(Event {
            label,
            at: now,
            amount: self.price,
            note: note.into(),
        });
    }
}

/// Everything the sandbox remembers.
#[derive(Debug)]
pub struct Store {
    /// The traders, the fixed one first.
    pub traders: Vec<Trader>,
    /// Tokens by their value.
    pub tokens: HashMap<String, Token>,
    /// Transactions in the order they came.
    pub transactions: Vec<Transaction>,
    /// Members with kept cards.
    pub members: Vec<Member>,
    /// The API calls received, oldest first (see `received.rs`).
    pub received: std::collections::VecDeque<super::received::Received>,
    /// The last `orderDataSeq` given.
    seq: u64,
}

impl Store {
    /// An empty store for `traders`.
    pub fn new(traders: Vec<Trader>) -> Self {
        Self {
            traders,
            tokens: HashMap::new(),
            transactions: Vec::new(),
            members: Vec::new(),
            received: std::collections::VecDeque::new(),
            seq: 300_000_000_000,
        }
    }

    /// The trader with `code`.
    pub fn trader(&self, code: &str) -> Option<usize> {
        self.traders.iter().position(|t| t.trader_code == code)
    }

    /// The next `orderDataSeq`.
    pub fn next_seq(&mut self) -> String {
        self.seq += 1;
        self.seq.to_string()
    }

    /// The transaction of `trader` with `order_no`.
    pub fn find(&self, trader: usize, order_no: &str) -> Option<usize> {
        self.transactions
            .iter()
            .position(|t| t.trader == trader && t.order_no == order_no)
    }

    /// The member `id` of `trader`.
    pub fn member(&self, trader: usize, id: &str) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| m.trader == trader && m.id == id)
    }

    /// The member `id` of `trader`, to change.
    pub fn member_mut(&mut self, trader: usize, id: &str) -> Option<&mut Member> {
        self.members
            .iter_mut()
            .find(|m| m.trader == trader && m.id == id)
    }

    /// The kept card `key` of the member `id` of `trader`.
    pub fn kept_card(&self, trader: usize, id: &str, key: &str) -> Option<&KeptCard> {
        self.member(trader, id)?.cards.iter().find(|c| c.key == key)
    }

    /// Whether keeping `card` for `member` would go over [`MAX_KEPT_CARDS`] (the same
    /// test card kept again only refreshes the kept one).
    pub fn keeping_is_full(&self, trader: usize, member: &MemberRef, card: &Card) -> bool {
        self.member(trader, &member.id).is_some_and(|m| {
            m.cards.len() >= MAX_KEPT_CARDS && !m.cards.iter().any(|k| same_card(&k.card, card))
        })
    }

    /// Authorise transaction `index` at `now`: 与信完了 with a new `crdCResCd`, the card
    /// kept for the member or the kept card's `lastCreditDate` moved.
    pub fn authorise(&mut self, index: usize, now: DateTime<Utc>) {
        let t = &mut self.transactions[index];
        t.state = State::Authorised;
        t.approval = Some(digits(7));
        t.authorised = Some(now);
        t.log("与信", now, "");
        let (trader, member, card, keep, kept) = (
            t.trader,
            t.member.clone(),
            t.card.clone(),
            t.keep,
            t.kept_card.clone(),
        );
        let Some(member) = member else {
            return;
        };
        if let Some(key) = kept {
            if let Some(k) = self
                .member_mut(trader, &member.id)
                .and_then(|m| m.cards.iter_mut().find(|c| c.key == key))
            {
                k.last_credit = now;
            }
        } else if keep {
            self.keep(trader, &member, card, now);
        }
    }

    /// Keep `card` for `member`; the same test card is refreshed instead of kept twice.
    fn keep(&mut self, trader: usize, member: &MemberRef, card: Card, now: DateTime<Utc>) {
        if self.member(trader, &member.id).is_none() {
            self.members.push(Member {
                trader,
                id: member.id.clone(),
                key: member.key.clone(),
                cards: Vec::new(),
                next_key: 1,
            });
        }
        let Some(m) = self.member_mut(trader, &member.id) else {
            return;
        };
        if let Some(kept) = m.cards.iter_mut().find(|k| same_card(&k.card, &card)) {
            kept.card = card;
            kept.last_credit = now;
            return;
        }
        let key = m.next_key.to_string();
        m.next_key += 1;
        m.cards.push(KeptCard {
            key,
            card,
            last_credit: now,
        });
    }
}

/// Whether two cards are the same test card (the sandbox keeps no number to compare).
fn same_card(a: &Card, b: &Card) -> bool {
    a.behaviour == b.behaviour && a.brand == b.brand && a.last4 == b.last4 && a.length == b.length
}
