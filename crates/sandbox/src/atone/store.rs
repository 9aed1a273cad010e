//! The sandbox's memory: the shops (key pairs), the authentication tokens issued on the
//! widget, open widget sessions, the transactions with their settlement and refunds, the
//! webhook queue, and the webhook URL. Records are kept per shop: a shop never sees
//! another's transactions (`EATN0133`) or tokens (`EATN0103`).
//!
//! A transaction's status is judged from its record and the sandbox clock, in this order:
//! 与信NG (NG at registration); 更新済み (replaced by 取引更新); 注文キャンセル (refunded
//! in full, before or after settlement); 決済完了 (settled); 仮売上期限切れ (OK, unsettled,
//! [`AUTHORISATION_DAYS`] days or more after registration); else 仮売上.
//!
//! Rules the spec leaves open, as the sandbox chose them:
//! * settle: only 仮売上; 決済完了 → `EATN1201` (already settled, inferred from CS-Cart);
//!   与信NG, 更新済み, 注文キャンセル → `EATN1202`; 仮売上期限切れ → `EATN1203`;
//! * refund: before settlement only the whole amount (a cancel of the authorisation, 取消);
//!   a smaller `amount_refund` → `EATN1303`; after settlement any part of what remains,
//!   several times; more than remains, zero, negative or not a number → `EATN1301`;
//!   与信NG, 更新済み, 注文キャンセル → `EATN1302`; 仮売上期限切れ → `EATN1203`;
//! * 取引更新: every id of `updated_transactions` must be a 仮売上 transaction of the same
//!   shop and the same member as the token, else `EATN1103` (unknown, 与信NG, 更新済み,
//!   決済完了, 注文キャンセル, 仮売上期限切れ, another member's). The new transaction is
//!   judged like any registration; only when it is OK are the old ones replaced (an NG
//!   update leaves them as they were);
//! * `shop_transaction_no` must be unique among the shop's OK transactions that are not
//!   replaced, not counting those the request replaces (`EATN1101`); NG ones never count.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde_json::Value;

use super::check::Payment;
use super::members::{Authorization, Member};
use super::wire::{self, ApiError};
use super::Shop;

/// An OK transaction left unsettled this many days after registration is 仮売上期限切れ
/// (MakeShop's manual, spec §5).
pub const AUTHORISATION_DAYS: i64 = 90;
/// A webhook the shop did not take (no 2xx) is sent again this many minutes later.
pub const RESEND_MINUTES: i64 = 5;
/// A widget session takes the buyer's confirmation for this many minutes.
pub const WIDGET_MINUTES: i64 = 30;

/// Japan Standard Time.
pub fn japan() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// `YYYY/MM/DD HH:MM` in Japan time, as atone writes times on the wire.
pub fn wire_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&japan())
        .format("%Y/%m/%d %H:%M")
        .to_string()
}

/// `YYYY/MM/DD HH:MM:SS` in Japan time, as the pages show times.
pub fn shown(at: DateTime<Utc>) -> String {
    at.with_timezone(&japan())
        .format("%Y/%m/%d %H:%M:%S")
        .to_string()
}

/// `n` random letters and digits.
pub fn alphanumerics(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_usize(out.len());
        let mut bits = hasher.finish();
        for _ in 0..8 {
            if out.len() == n {
                break;
            }
            out.push(char::from(ALPHABET[(bits % 62) as usize]));
            bits /= 62;
        }
    }
    out
}

/// What the back office can change.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// 決済Webhook URL, one for every shop; `None` keeps webhooks waiting.
    pub webhook_url: Option<String>,
}

/// An authentication token (決済認証トークン) the widget issued to a member for a shop.
#[derive(Debug, Clone)]
pub struct Token {
    /// `tok_` + 24 letters and digits.
    pub token: String,
    /// The shop it was issued for.
    pub shop: usize,
    /// The member it stands for.
    pub member: &'static Member,
}

/// A widget opened by `Atone.start()`, between its payment check and the buyer's answer.
#[derive(Debug, Clone)]
pub struct Session {
    /// The shop found by `pub_key`.
    pub shop: usize,
    /// The checked payment.
    pub payment: Payment,
    /// The `pre_token` the shop passed, when it is a token of this shop.
    pub known: Option<Token>,
    /// When it was opened.
    pub opened: DateTime<Utc>,
}

/// Where a registration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The buyer's confirmation on the widget.
    Widget,
    /// `POST /v1/transactions` from the shop's server.
    Server,
}

/// One refund (払戻) or cancel.
#[derive(Debug, Clone)]
pub struct Refund {
    /// `amount_refund`.
    pub amount: i64,
    /// `refund_datetime`.
    pub at: DateTime<Utc>,
    /// `refund_reason`, as sent.
    pub reason: Value,
    /// `description_refund`, as sent.
    pub description: Value,
}

/// What a refund request asks for.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// `amount_refund`; `None` for all that remains.
    pub amount: Option<i64>,
    /// `refund_reason`.
    pub reason: Value,
    /// `description_refund`.
    pub description: Value,
}

/// The status the back office shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// NG at registration.
    Declined,
    /// 仮売上.
    Authorised,
    /// 決済完了.
    Settled,
    /// 注文キャンセル (refunded in full).
    Cancelled,
    /// 仮売上期限切れ.
    Expired,
    /// 更新済み (replaced by 取引更新).
    Updated,
}

impl Status {
    /// As the back office shows it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Declined => "与信NG",
            Status::Authorised => "仮売上",
            Status::Settled => "決済完了",
            Status::Cancelled => "注文キャンセル",
            Status::Expired => "仮売上期限切れ",
            Status::Updated => "更新済み",
        }
    }
}

/// A registered transaction.
#[derive(Debug, Clone)]
pub struct Transaction {
    /// `tr_` + 16 letters and digits.
    pub id: String,
    /// The shop.
    pub shop: usize,
    /// The member who paid.
    pub member: &'static Member,
    /// `authentication_token`.
    pub token: String,
    /// The payment object it was registered with.
    pub payment: Payment,
    /// 与信結果.
    pub authorization: Authorization,
    /// Where it came from.
    pub via: Via,
    /// `registration_datetime`.
    pub registered: DateTime<Utc>,
    /// `sales_settled_datetime`.
    pub settled: Option<DateTime<Utc>>,
    /// `refunds`.
    pub refunds: Vec<Refund>,
    /// The transaction that replaced this one by 取引更新.
    pub replaced_by: Option<String>,
}

impl Transaction {
    /// `amount_refund_total`.
    pub fn refunded(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }

    /// The status at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> Status {
        if self.authorization != Authorization::Ok {
            Status::Declined
        } else if self.replaced_by.is_some() {
            Status::Updated
        } else if self.refunded() >= self.payment.amount {
            Status::Cancelled
        } else if self.settled.is_some() {
            Status::Settled
        } else if now >= self.registered + Duration::days(AUTHORISATION_DAYS) {
            Status::Expired
        } else {
            Status::Authorised
        }
    }
}

/// A 決済Webhook: the transaction object as it was when queued.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The queue's own number.
    pub id: u64,
    /// The transaction it is about.
    pub transaction_id: String,
    /// What is posted.
    pub body: Value,
    /// When it was queued.
    pub queued: DateTime<Utc>,
    /// Attempts so far.
    pub attempts: u32,
    /// The last answer, or why there was none.
    pub last_answer: String,
    /// When it is due next.
    pub next_attempt: DateTime<Utc>,
    /// When the shop took it.
    pub delivered: Option<DateTime<Utc>>,
}

/// A new registration.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The shop.
    pub shop: usize,
    /// The checked payment.
    pub payment: Payment,
    /// The token the buyer holds.
    pub token: Token,
    /// Where it came from.
    pub via: Via,
}

/// Everything the sandbox remembers.
#[derive(Debug)]
pub struct Store {
    /// What the back office changes.
    pub settings: Settings,
    /// The key pairs, the fixed pair first.
    pub shops: Vec<Shop>,
    /// Tokens issued, by token.
    tokens: HashMap<String, Token>,
    /// Open widget sessions, by id.
    sessions: HashMap<String, Session>,
    /// Every transaction, oldest first.
    pub transactions: Vec<Transaction>,
    /// Every webhook, oldest first.
    pub webhooks: Vec<Webhook>,
    next_webhook: u64,
}

impl Store {
    /// An empty store for `shops` with `settings`.
    pub fn new(shops: Vec<Shop>, settings: Settings) -> Self {
        Self {
            settings,
            shops,
            tokens: HashMap::new(),
            sessions: HashMap::new(),
            transactions: Vec::new(),
            webhooks: Vec::new(),
            next_webhook: 1,
        }
    }

    /// The shop whose `Authorization` header value is `header` (`Basic` + Base64 of the
    /// secret key alone).
    pub fn shop_by_authorization(&self, header: &str) -> Option<usize> {
        let (scheme, credential) = header.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let credential = credential.trim();
        self.shops
            .iter()
            .position(|s| super::checksum::base64(s.secret_key.as_bytes()) == credential)
    }

    /// The shop with `public_key`.
    pub fn shop_by_public_key(&self, public_key: &str) -> Option<usize> {
        self.shops.iter().position(|s| s.public_key == public_key)
    }

    /// The token `token` issued for `shop`.
    pub fn token(&self, shop: usize, token: &str) -> Option<Token> {
        self.tokens.get(token).filter(|t| t.shop == shop).cloned()
    }

    /// A new token for `member` at `shop`.
    pub fn issue_token(&mut self, shop: usize, member: &'static Member) -> Token {
        let token = Token {
            token: format!("tok_{}", alphanumerics(24)),
            shop,
            member,
        };
        self.tokens.insert(token.token.clone(), token.clone());
        token
    }

    /// Open a widget session; answers its id.
    pub fn open_session(&mut self, session: Session) -> String {
        let oldest = session.opened - Duration::minutes(WIDGET_MINUTES);
        self.sessions.retain(|_, s| s.opened > oldest);
        let id = format!("ws_{}", alphanumerics(24));
        self.sessions.insert(id.clone(), session);
        id
    }

    /// The session `id` while it is open at `now`; it is closed by taking it.
    pub fn take_session(&mut self, id: &str, now: DateTime<Utc>) -> Option<Session> {
        self.sessions
            .remove(id)
            .filter(|s| now < s.opened + Duration::minutes(WIDGET_MINUTES))
    }

    /// The index of transaction `id` of `shop`.
    pub fn find(&self, shop: usize, id: &str) -> Option<usize> {
        self.transactions
            .iter()
            .position(|t| t.id == id && t.shop == shop)
    }

    /// `EATN1101` when `number` is taken at `shop`, not counting the transactions at
    /// `replacing`.
    pub fn check_unique(
        &self,
        shop: usize,
        number: &str,
        replacing: &[usize],
    ) -> Result<(), ApiError> {
        let taken = self.transactions.iter().enumerate().any(|(i, t)| {
            t.shop == shop
                && t.payment.shop_transaction_no == number
                && t.authorization == Authorization::Ok
                && t.replaced_by.is_none()
                && !replacing.contains(&i)
        });
        if taken {
            return Err(ApiError::invalid(
                "EATN1101",
                "shop_transaction_no",
                format!("加盟店取引番号 {number} は既に使われています"),
            ));
        }
        Ok(())
    }

    /// The indexes of the transactions `registration` replaces, checked.
    fn replaced(
        &self,
        registration: &Registration,
        now: DateTime<Utc>,
    ) -> Result<Vec<usize>, ApiError> {
        let mut out = Vec::new();
        for id in &registration.payment.updated_transactions {
            let refuse = |why: &str| {
                ApiError::invalid("EATN1103", "updated_transactions", format!("{id}: {why}"))
            };
            let index = self
                .find(registration.shop, id)
                .ok_or_else(|| refuse("更新対象の取引が見つかりません"))?;
            let old = &self.transactions[index];
            let why = match old.status(now) {
                Status::Authorised => None,
                Status::Declined => Some("与信NGの取引は更新できません"),
                Status::Updated => Some("既に更新済みの取引です"),
                Status::Settled => Some("売上確定済みの取引は更新できません"),
                Status::Cancelled => Some("取消済みの取引は更新できません"),
                Status::Expired => Some("仮売上期限切れの取引は更新できません"),
            };
            if let Some(why) = why {
                return Err(refuse(why));
            }
            if old.member.id != registration.token.member.id {
                return Err(refuse("別の会員の取引は更新できません"));
            }
            if !out.contains(&index) {
                out.push(index);
            }
        }
        Ok(out)
    }

    /// Register a transaction, judged by its member, and queue its webhook; answers its
    /// index.
    pub fn register(
        &mut self,
        registration: Registration,
        now: DateTime<Utc>,
    ) -> Result<usize, ApiError> {
        let replacing = self.replaced(&registration, now)?;
        let payment = registration.payment;
        self.check_unique(registration.shop, &payment.shop_transaction_no, &replacing)?;
        let member = registration.token.member;
        let authorization = member.decide(payment.amount);
        let id = loop {
            let id = format!("tr_{}", alphanumerics(16));
            if !self.transactions.iter().any(|t| t.id == id) {
                break id;
            }
        };
        if authorization == Authorization::Ok {
            for &index in &replacing {
                self.transactions[index].replaced_by = Some(id.clone());
            }
        }
        let settled = (authorization == Authorization::Ok && payment.sales_settled).then_some(now);
        self.transactions.push(Transaction {
            id,
            shop: registration.shop,
            member,
            token: registration.token.token,
            payment,
            authorization,
            via: registration.via,
            registered: now,
            settled,
            refunds: Vec::new(),
            replaced_by: None,
        });
        let index = self.transactions.len() - 1;
        self.queue_webhook(index, now);
        Ok(index)
    }

    /// 売上確定 of transaction `id` of `shop`.
    pub fn settle(&mut self, shop: usize, id: &str, now: DateTime<Utc>) -> Result<usize, ApiError> {
        let index = self.find(shop, id).ok_or_else(ApiError::not_found)?;
        let transaction = &mut self.transactions[index];
        let refusal = |code, why: &str| Err(ApiError::invalid(code, "id", why));
        match transaction.status(now) {
            Status::Authorised => {
                transaction.settled = Some(now);
                Ok(index)
            }
            Status::Settled => refusal("EATN1201", "既に売上確定済みです"),
            Status::Declined => refusal("EATN1202", "与信NGの取引は売上確定できません"),
            Status::Updated => refusal(
                "EATN1202",
                "取引更新で置き換えられた取引は売上確定できません",
            ),
            Status::Cancelled => refusal("EATN1202", "取消済みの取引は売上確定できません"),
            Status::Expired => refusal("EATN1203", "仮売上の有効期限が切れています"),
        }
    }

    /// 課金払戻 (or 取消 before settlement) of transaction `id` of `shop`.
    pub fn refund(
        &mut self,
        shop: usize,
        id: &str,
        request: RefundRequest,
        now: DateTime<Utc>,
    ) -> Result<usize, ApiError> {
        let index = self.find(shop, id).ok_or_else(ApiError::not_found)?;
        let transaction = &mut self.transactions[index];
        let refusal = |code, why: String| Err(ApiError::invalid(code, "amount_refund", why));
        let remaining = transaction.payment.amount - transaction.refunded();
        let amount = match (transaction.status(now), request.amount) {
            (Status::Authorised, None) => remaining,
            (Status::Authorised, Some(amount)) if amount == remaining => amount,
            (Status::Authorised, Some(amount)) if (1..remaining).contains(&amount) => {
                return refusal(
                    "EATN1303",
                    "売上確定前の取引は全額でのみ取消できます".to_owned(),
                )
            }
            (Status::Settled, None) => remaining,
            (Status::Settled | Status::Authorised, Some(amount)) => {
                if !(1..=remaining).contains(&amount) {
                    return refusal(
                        "EATN1301",
                        format!("払戻金額は 1〜{remaining} 円で指定してください"),
                    );
                }
                amount
            }
            (Status::Declined, _) => {
                return refusal("EATN1302", "与信NGの取引は払戻できません".to_owned())
            }
            (Status::Updated, _) => {
                return refusal(
                    "EATN1302",
                    "取引更新で置き換えられた取引は払戻できません".to_owned(),
                )
            }
            (Status::Cancelled, _) => {
                return refusal("EATN1302", "既に全額払戻済みです".to_owned())
            }
            (Status::Expired, _) => {
                return refusal("EATN1203", "仮売上の有効期限が切れています".to_owned())
            }
        };
        transaction.refunds.push(Refund {
            amount,
            at: now,
            reason: request.reason,
            description: request.description,
        });
        Ok(index)
    }

    /// Queue the webhook of transaction `index`, due at once.
    pub fn queue_webhook(&mut self, index: usize, now: DateTime<Utc>) {
        let transaction = &self.transactions[index];
        self.webhooks.push(Webhook {
            id: self.next_webhook,
            transaction_id: transaction.id.clone(),
            body: wire::transaction(transaction),
            queued: now,
            attempts: 0,
            last_answer: String::new(),
            next_attempt: now,
            delivered: None,
        });
        self.next_webhook += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_letters_and_digits_of_the_asked_length() {
        for n in [0, 1, 8, 16, 24] {
            let id = alphanumerics(n);
            assert_eq!(id.len(), n);
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        }
        assert_ne!(alphanumerics(16), alphanumerics(16));
    }

    #[test]
    fn wire_times_are_japan_minutes() {
        let at: DateTime<Utc> = "2026-05-10T15:07:59Z".parse().unwrap();

        assert_eq!(wire_time(at), "2026/05/11 00:07");
        assert_eq!(shown(at), "2026/05/11 00:07:59");
    }
}
