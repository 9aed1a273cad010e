//! The provider interface: one method per operation kessai performs on a payment, and the
//! capability table that says which operations a payment allows in its provider status.
//!
//! [`Connector`] dispatches to each provider's stateless connector (`providers/<psp>`). A
//! connector answers with [`Done`] (what the history shows and the status the payment is now
//! in) or a [`ProviderError`] that says whether the outcome at the provider is known.

use crate::domain::payment::{Operation, PaymentState};
use crate::providers::paygent;
use crate::store::Payment;

/// A provider status as kessai keeps it beside the normalized state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The provider's payment id the status belongs to.
    pub payment_id: String,
    /// The provider's own status code (`20`).
    pub code: String,
    /// The manual's word for it (`オーソリOK`).
    pub label: String,
    pub state: PaymentState,
    /// The amount the provider holds, when it says.
    pub amount: Option<i64>,
}

/// What a successful provider call achieved.
#[derive(Clone, Debug)]
pub struct Done {
    /// 処理区分 of the history row: the telegram's name (`カード決済売上`).
    pub label: &'static str,
    /// The payment id after the call (a new one after a Paygent amount change).
    pub payment_id: String,
    /// The status the payment is in now.
    pub status: Report,
    /// The status of a payment id the call replaced (`売上取消済` before `補正売上`).
    pub replaced: Option<Report>,
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
    /// The provider is not set up for this (settings missing or the service is off).
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

impl From<paygent::client::PaygentError> for ProviderError {
    fn from(e: paygent::client::PaygentError) -> Self {
        use paygent::client::PaygentError as E;
        match e {
            E::Transport(_) | E::Protocol(_) => ProviderError::Unknown(e.to_string()),
            E::Rejected { code, .. } if paygent::map::is_not_found(&code) => {
                ProviderError::NoSuchPayment
            }
            E::Rejected { code, detail, .. } if paygent::map::is_timeout(&code) => {
                ProviderError::Unknown(format!("{code}: {detail}"))
            }
            E::Rejected { code, detail, .. } => ProviderError::Refused {
                message: paygent::map::error_message(&code, &detail),
                code,
                detail,
            },
            E::Certificate(e) => ProviderError::NotConfigured(e.to_string()),
            E::Encode(e) => ProviderError::Refused {
                code: String::new(),
                message: format!(
                    "{}に決済会社へ送れない文字が含まれています: {}",
                    e.field, e.chars
                ),
                detail: e.to_string(),
            },
        }
    }
}

/// A provider connector with its settings, ready to call.
#[derive(Clone, Debug)]
pub enum Connector {
    Paygent(paygent::Config),
}

impl Connector {
    /// 売上処理.
    pub async fn capture(&self, p: &Payment) -> Result<Done, ProviderError> {
        match self {
            Connector::Paygent(c) => c.capture(p).await,
        }
    }

    /// 金額変更 to `amount`.
    pub async fn change_amount(&self, p: &Payment, amount: i64) -> Result<Done, ProviderError> {
        match self {
            Connector::Paygent(c) => c.change_amount(p, amount).await,
        }
    }

    /// キャンセル処理.
    pub async fn cancel(&self, p: &Payment) -> Result<Done, ProviderError> {
        match self {
            Connector::Paygent(c) => c.cancel(p).await,
        }
    }

    /// 返金処理 of `amount` (the whole payment when it equals the payment's amount).
    pub async fn refund(&self, p: &Payment, amount: i64) -> Result<Done, ProviderError> {
        match self {
            Connector::Paygent(c) => c.refund(p, amount).await,
        }
    }

    /// 状態更新: asks the provider for the payment's current status.
    pub async fn refresh(&self, p: &Payment) -> Result<Report, ProviderError> {
        match self {
            Connector::Paygent(c) => c.refresh(p).await,
        }
    }
}

/// The capability table: the operations a payment of settlement kind `kind` at `provider`
/// allows in provider status `code` (状態更新 always; nothing else before the provider has
/// reported a status).
pub fn capabilities(provider: &str, kind: &str, code: Option<&str>) -> &'static [Operation] {
    const REFRESH: &[Operation] = &[Operation::Refresh];
    match (provider, code) {
        ("paygent", Some(code)) => match paygent::map::Service::from_kind(kind) {
            Some(service) => paygent::map::Status::parse(code).allowed(service),
            None => REFRESH,
        },
        _ => REFRESH,
    }
}

/// The 決済情報 dialog's button for an operation on a payment of settlement kind `kind`:
/// the manual names Paidy's cancel [オーソリキャンセル処理]; every other button is the
/// operation's own label.
pub fn operation_label(kind: &str, operation: Operation) -> &'static str {
    match (paygent::map::Service::from_kind(kind), operation) {
        (Some(paygent::map::Service::Paidy), Operation::Cancel) => "オーソリキャンセル処理",
        _ => operation.label(),
    }
}

/// Whether a checkout whose payment is in provider status `code` has become an order: the
/// payment is authorized or captured, or a payment made after ordering was applied for.
pub fn confirms_order(provider: &str, kind: &str, code: &str) -> bool {
    match (provider, paygent::map::Service::from_kind(kind)) {
        ("paygent", Some(service)) => paygent::map::Status::parse(code).confirms_order(service),
        _ => false,
    }
}

/// The label and normalized state of a provider status code.
pub fn describe(provider: &str, kind: &str, code: &str) -> (String, PaymentState) {
    match (provider, paygent::map::Service::from_kind(kind)) {
        ("paygent", Some(service)) => {
            let status = paygent::map::Status::parse(code);
            (status.label(service), status.state(service))
        }
        _ => (format!("不明なステータス({code})"), PaymentState::Pending),
    }
}
