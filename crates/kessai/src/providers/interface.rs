//! The provider boundary: what the core hands a provider and what a provider answers, for
//! every group the manuals need — the buyer's hand-off and its resumption, notifications,
//! operations with their parameters, stored cards, charges kessai starts itself, and the
//! capability table.
//!
//! Everything here is plain data. A connector never touches the database: `checkout` and
//! `payments` persist before a call and record after it, and they never look inside the
//! provider-typed parts ([`super::Submission`], [`super::Call`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::buyer::Buyer;
use crate::domain::payment::{Operation, PaymentState};

/// Which of a provider's environments a payment or a kept card belongs to (稼働環境).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// テスト環境 (the built-in sandbox, the provider's test host, or any test URL).
    Test,
    /// 本番環境.
    Production,
}

impl Environment {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Production => "production",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "test" => Some(Self::Test),
            "production" => Some(Self::Production),
            _ => None,
        }
    }

    /// The manuals' word for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Test => "テスト環境",
            Self::Production => "本番環境",
        }
    }
}

/// A payment as a connector sees it: what the provider knows it by and where it stands.
#[derive(Clone, Debug)]
pub struct PaymentRef {
    /// The settlement kind (決済種別 code).
    pub kind: String,
    /// The trading id the provider was given (kessai's link key).
    pub trading_id: String,
    /// The provider's payment id, once it gave one.
    pub provider_payment_id: Option<String>,
    /// The provider's status code as last reported.
    pub status_code: Option<String>,
    pub state: PaymentState,
    pub amount: i64,
    /// What the provider asked to keep between two browser steps (never card data).
    pub scratch: String,
}

/// A provider status as kessai keeps it beside the normalized state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The provider's payment id the status belongs to (empty when it has none yet).
    pub payment_id: String,
    /// The provider's own status code (`20`).
    pub code: String,
    /// The manual's word for it (`オーソリOK`).
    pub label: String,
    pub state: PaymentState,
    /// How far along the provider's life cycle the status is: within one normalized state,
    /// a report never moves a payment to a lower step (a late 申込済 after 速報検知済).
    pub step: u16,
    /// The amount the provider holds, when it says.
    pub amount: Option<i64>,
}

/// What a status code means: the manual's word, the normalized state and the step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusInfo {
    pub label: String,
    pub state: PaymentState,
    pub step: u16,
}

impl StatusInfo {
    /// The report of a payment of the provider's `payment_id` in this status (`code`).
    pub fn report(self, payment_id: &str, code: &str, amount: Option<i64>) -> Report {
        Report {
            payment_id: payment_id.to_owned(),
            code: code.to_owned(),
            label: self.label,
            state: self.state,
            step: self.step,
            amount,
        }
    }
}

/// What a successful provider call achieved.
#[derive(Clone, Debug)]
pub struct Done {
    /// 処理区分 of the history row: the provider's name for the call (`カード決済売上`).
    pub label: &'static str,
    /// The payment id after the call (a new one after some amount changes).
    pub payment_id: String,
    /// The status the payment is in now.
    pub status: Report,
    /// The final status of a payment id the call replaced (`売上取消済` before `補正売上`).
    pub replaced: Option<Report>,
    /// What the provider's answer adds to the history row (`与信承認番号 0095659`).
    pub note: Option<String>,
}

/// Why a provider call did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused; nothing changed there.
    #[error("{message}")]
    Refused {
        /// The provider's error code (`P006`, `2003`).
        code: String,
        /// A message for the operator or the buyer.
        message: String,
        /// The provider's own wording, for the error log.
        detail: String,
    },
    /// No usable answer (timeout, connection, unreadable): the outcome is unknown until a
    /// status inquiry settles it.
    #[error("決済会社からの応答を確認できませんでした: {0}")]
    Unknown(String),
    /// The provider has no such payment (it never received the call that would have made it).
    #[error("決済会社にこの決済はありません。")]
    NoSuchPayment,
    /// The provider is not set up for this (settings missing, the service is off, or the
    /// contract has no such operation).
    #[error("{0}")]
    NotConfigured(String),
}

impl ProviderError {
    /// The provider's error code of a refusal, empty otherwise.
    pub fn code(&self) -> &str {
        match self {
            Self::Refused { code, .. } => code,
            _ => "",
        }
    }
}

/// The capability table's answer for one payment: which operations exist in its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// The operations offered (the 決済情報 dialog's buttons); 状態更新 only where the
    /// provider has a status inquiry.
    pub operations: &'static [Operation],
    /// Whether 返金処理 may refund part of the amount (else only the whole payment).
    pub partial_refund: bool,
}

impl Capabilities {
    /// No operation at all.
    pub const NONE: Capabilities = Capabilities {
        operations: &[],
        partial_refund: false,
    };

    /// Whether `operation` is offered.
    pub fn allows(&self, operation: Operation) -> bool {
        self.operations.contains(&operation)
    }
}

/// The order's delivery as a capture sees it: a provider that captures by registering the
/// shipment sends it, and one whose shops deliver some orders with a carrier of its own
/// may insist on that carrier's 送り状番号.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipment {
    /// The order's 配送方法 (a delivery method id), if any.
    pub delivery_method_id: Option<i64>,
    /// 配送会社名, the carrier's stored form (`yamato`, `japanpost`, …).
    pub carrier: String,
    /// 送り状番号, empty when none was entered.
    pub tracking_number: String,
}

// ---------------------------------------------------------------------------------------
// Hand-off

/// A logged checkout as the provider sees it at the hand-off.
#[derive(Clone, Debug)]
pub struct Checkout {
    pub payment: PaymentRef,
    pub buyer: Buyer,
    pub items: Vec<Line>,
    pub shipping_fee: i64,
    /// The member buying, if any.
    pub member_id: Option<i64>,
    /// The payment method's name as the buyer chose it.
    pub method_name: String,
    pub shop: Shop,
    pub urls: HandoffUrls,
    /// The member's cards kept at this provider in its current environment.
    pub cards: Vec<CardRef>,
    /// Today in Japan (a deadline date; the card form's expiry choices start this year).
    pub today: chrono::NaiveDate,
    /// The order's 配送方法 (a delivery method id), if any.
    pub delivery_method_id: Option<i64>,
}

/// One item line of a checkout.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub code: String,
    pub name: String,
    pub unit_price: i64,
    pub quantity: i64,
}

/// What providers may be told about the shop (基本設定).
#[derive(Clone, Debug, Default)]
pub struct Shop {
    /// ショップ名.
    pub name: String,
    /// 会社名.
    pub company_name: String,
}

/// The addresses of a checkout's hand-off.
#[derive(Clone, Debug)]
pub struct HandoffUrls {
    /// The hand-off page (`…/checkout/{link_key}`), absolute; a step is `{page}/{step}`.
    pub page: String,
    /// Where the buyer goes once the order exists (購入完了, or the headless shop's page).
    pub done: String,
}

impl HandoffUrls {
    /// The absolute address of a step of the hand-off (`…/checkout/{link_key}/3ds`).
    pub fn step(&self, step: &str) -> String {
        format!("{}/{step}", self.page)
    }
}

/// What the buyer's browser is shown.
#[derive(Clone, Debug)]
pub enum Page {
    /// A form the browser posts to the provider at once (link type).
    RedirectForm {
        action: String,
        fields: Vec<(String, String)>,
        /// The form's `accept-charset` (`UTF-8`, `Shift_JIS`).
        charset: &'static str,
    },
    /// One of the provider's own templates ([`super::templates`]) with its context; the
    /// core adds the shop's layout variables.
    Template {
        template: &'static str,
        title: String,
        context: serde_json::Value,
    },
    /// The provider's HTML, shown as it is (a 3-D Secure page).
    Html(String),
    /// Send the browser to this address.
    Redirect(String),
}

/// The provider's origins (`https://token.example.jp`) the buyer's browser reaches from
/// the provider's pages on kessai's site. The security policy of those pages allows them;
/// every other page of kessai allows none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrowserOrigins {
    /// Where the pages' scripts come from (a token script, a widget), and so what those
    /// scripts call, frame, style and show.
    pub scripts: Vec<String>,
    /// The provider's own pages the buyer's forms post to or are redirected to from a post
    /// (a link-type payment page, a bank's payment page).
    pub pages: Vec<String>,
}

impl BrowserOrigins {
    /// The origin of an absolute http(s) URL (`https://host[:port]`), `None` for anything else.
    pub fn origin(url: &str) -> Option<String> {
        let url = url::Url::parse(url).ok()?;
        matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
    }

    /// The origins of `urls`, each once, in order.
    pub fn origins<'a>(urls: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for origin in urls.into_iter().filter_map(Self::origin) {
            if !out.contains(&origin) {
                out.push(origin);
            }
        }
        out
    }
}

/// The fields a browser step brought back (query and form together).
pub type Fields = BTreeMap<String, String>;

/// What a resumed hand-off does next.
#[derive(Debug)]
pub struct Resumed {
    pub next: Next,
    /// Scratch data to keep on the payment for the next browser step (`Some("")` clears it).
    pub keep: Option<String>,
}

impl Resumed {
    /// A next step that keeps nothing.
    pub fn to(next: Next) -> Resumed {
        Resumed { next, keep: None }
    }
}

/// The outcome of one hand-off step.
#[derive(Debug)]
pub enum Next {
    /// Show the buyer a page (a 3-D Secure challenge, the provider's page).
    Show(Page),
    /// Make the authorizing call now: the core persists it first, so a second click or a
    /// concurrent request never authorizes twice.
    Authorize(Authorization),
    /// The provider confirmed the payment without a call of ours (a widget's result checked
    /// with the provider, a checked return from the provider's page).
    Confirmed(Box<Confirmation>),
    /// Ask the provider what happened (status inquiry) and confirm when it says so.
    Inquire,
    /// Wait for the provider's notification (no way to ask): the buyer is told it is being
    /// checked.
    Await,
    /// Not paid; the hand-off page is shown again with the buyer's message.
    Declined(Decline),
    /// The answer is not known yet; the buyer must not pay again.
    Unknown,
}

/// What a provider confirmed at the hand-off without a call of ours.
#[derive(Debug)]
pub struct Confirmation {
    pub report: Report,
    /// What the buyer needs to pay later (payment numbers), shown on 購入完了 and mailed.
    pub details: Vec<Detail>,
    /// The deadline to pay, for payments made after ordering.
    pub deadline: Option<DateTime<Utc>>,
    /// A card the provider kept for the member with this payment (a stored-card id it
    /// returned), to offer at the member's next purchase.
    pub kept_card: Option<NewCard>,
}

impl Confirmation {
    /// A confirmation that brings nothing but the status.
    pub fn of(report: Report) -> Box<Confirmation> {
        Box::new(Confirmation {
            report,
            details: Vec::new(),
            deadline: None,
            kept_card: None,
        })
    }
}

/// A refusal at the hand-off.
#[derive(Debug)]
pub struct Decline {
    /// For the buyer.
    pub message: String,
    /// For the payment error log, when the provider refused (code, detail).
    pub log: Option<(String, String)>,
}

impl Decline {
    /// A refusal the buyer can fix (nothing for the error log).
    pub fn retry(message: impl Into<String>) -> Decline {
        Decline {
            message: message.into(),
            log: None,
        }
    }

    /// A refusal the error log keeps.
    pub fn logged(message: impl Into<String>, code: &str, detail: &str) -> Decline {
        Decline {
            message: message.into(),
            log: Some((code.to_owned(), detail.to_owned())),
        }
    }
}

/// The authorizing call a hand-off step asks the core to make.
#[derive(Debug)]
pub struct Authorization {
    /// 処理区分 of the pending history row (`カード決済オーソリ`).
    pub label: &'static str,
    pub call: super::Call,
}

/// What a successful authorizing call left to keep.
#[derive(Debug)]
pub struct Authorized {
    pub done: Done,
    /// What the buyer needs to pay later (payment numbers), shown on 購入完了 and mailed.
    pub details: Vec<Detail>,
    /// The deadline to pay, for payments made after ordering.
    pub deadline: Option<DateTime<Utc>>,
    /// Send the buyer here next (a bank's page) instead of 購入完了.
    pub redirect: Option<String>,
    /// A card to keep for the member now that the payment went through.
    pub keep_card: Option<super::CardSubmission>,
    /// The provider wants the buyer to authenticate first (3-D Secure): the payment is not
    /// authorized yet, and no order is made.
    pub challenge: Option<Challenge>,
}

impl Authorized {
    /// A call that achieved `done` and left nothing else to do.
    pub fn done(done: Done) -> Authorized {
        Authorized {
            done,
            details: Vec::new(),
            deadline: None,
            redirect: None,
            keep_card: None,
            challenge: None,
        }
    }
}

/// What an authorizing call that needs the buyer's authentication left: the page to show
/// and what the next step needs to finish it.
#[derive(Debug)]
pub struct Challenge {
    pub page: Page,
    /// Scratch data kept on the payment for the step the page returns to.
    pub keep: String,
}

/// One labelled row of what the buyer needs to pay (`払込票番号`, `1234…`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail(pub String, pub String);

// ---------------------------------------------------------------------------------------
// Notifications

/// What a provider reads from a notification before anything is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeHead {
    /// Unique per notification: a resent one has the same key and no second effect.
    pub dedup_key: String,
    /// Which payment it is about.
    pub about: MatchKey,
    pub verdict: Verdict,
}

impl NoticeHead {
    /// A notification that cannot be read as the provider's: rejected, keyed by a
    /// fingerprint of its body so that the same body resent is stored once.
    pub fn malformed(provider: &str, body: &[u8], about: MatchKey, why: String) -> NoticeHead {
        let fingerprint = super::http::sha256_hex(&[&String::from_utf8_lossy(body)]);
        NoticeHead {
            dedup_key: format!("{provider}:malformed:{fingerprint}"),
            about,
            verdict: Verdict::Rejected(why),
        }
    }
}

/// How a notification names its payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatchKey {
    /// The trading id kessai gave (the link key).
    TradingId(String),
    /// The provider's payment id.
    PaymentId(String),
    /// A recurring contract or member id at the provider.
    Contract(String),
    /// Nothing usable.
    Nothing,
}

impl MatchKey {
    /// The key as text, for the inbox's list.
    pub fn as_text(&self) -> &str {
        match self {
            Self::TradingId(k) | Self::PaymentId(k) | Self::Contract(k) => k,
            Self::Nothing => "",
        }
    }
}

/// Whether a notification's content can be believed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Verified (its hash matched): its status is applied.
    Trusted,
    /// Not verifiable, but the provider has an inquiry: the status is asked for instead.
    Inquire(String),
    /// Not verifiable and no inquiry: applied only when the spec's checks pass (the amount
    /// and a payment still waiting), never to move a payment that already moved.
    Checked(String),
    /// Forged or malformed: kept, logged, not applied.
    Rejected(String),
    /// Sent for information only (the provider's echo of a call kessai made and recorded
    /// itself): kept, not applied, not an error.
    Ignored(String),
}

/// A notification fetched by asking the provider (a polling inquiry): trusted, since it came
/// over the authenticated channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// The record as a notification body.
    pub body: Vec<u8>,
    pub head: NoticeHead,
}

/// The exact answer a provider expects to a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    pub status: u16,
    pub content_type: &'static str,
    pub body: &'static str,
}

// ---------------------------------------------------------------------------------------
// Stored cards and charges

/// A card kept at the provider, as the shop knows it: only references, never the number.
#[derive(Clone, Debug, Serialize)]
pub struct CardRef {
    /// kessai's id of the reference.
    pub id: i64,
    /// The provider's customer id.
    pub customer_id: String,
    /// The provider's card id.
    pub card_ref: String,
    pub last4: String,
    pub expiry: String,
    pub brand: String,
}

/// A card the provider has just kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCard {
    pub customer_id: String,
    pub card_ref: String,
    pub last4: String,
    pub expiry: String,
    pub brand: String,
}

/// A charge kessai starts itself (a recurring charge): a kept card for an amount, under a
/// trading id of its own, so a retry of the same charge is the same charge.
#[derive(Clone, Debug)]
pub struct Charge<'a> {
    pub trading_id: &'a str,
    pub kind: &'a str,
    pub amount: i64,
    pub card: &'a CardRef,
}

// ---------------------------------------------------------------------------------------
// Settings

/// An address the operator registers in the provider's back office.
#[derive(Clone, Debug, Serialize)]
pub struct RegisteredUrl {
    /// What the provider's screen calls it (`決済情報差分照会URL`).
    pub label: &'static str,
    pub url: String,
    /// When it is needed.
    pub note: &'static str,
}

/// What the member's card page (クレジットカード登録) shows.
#[derive(Clone, Debug)]
pub struct CardPage {
    pub member_id: i64,
    /// The member's e-mail address (a provider's own card page may want it).
    pub email: String,
    /// The member's kept cards at this provider in its current environment.
    pub cards: Vec<CardRef>,
    /// Where the form posts.
    pub action: String,
    /// Where a provider's own card page sends the member back (absolute, with a sealed
    /// token naming the member, as that post comes without the shop's cookie).
    pub return_url: String,
    /// The member's page (absolute), for 「会員情報ページへ戻る」.
    pub back_url: String,
    /// This year in Japan (for the expiry choices).
    pub year: i32,
    pub error: Option<String>,
}

/// Why a submitted form cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub enum FormError {
    /// The provider has no such step (a 404).
    UnknownStep,
    /// The input is unreadable; the message is for the buyer.
    Invalid(String),
}
