//! Payment service providers: the whole provider boundary lives here.
//!
//! Each provider is one folder: its settings tab as data (`settings.rs`) and, once kessai
//! runs its payments, its connector (wire types, status mapping, hand-off, notifications,
//! operations, kept cards, page templates). [`interface`] holds the types every connector
//! speaks; this file is the registry: [`PROVIDERS`] lists every provider's settings tab, and
//! [`Connector`] is the closed set of connectors, one arm per provider. Nothing here touches
//! the database or names the core's modules: `checkout` and `payments` call in, never the
//! other way round.

pub mod atone;
pub mod form;
pub mod http;
pub mod interface;
pub mod paygent;
pub mod remise;
pub mod schema;
pub mod timing;
pub mod validate;
pub mod yamato;

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::domain::order::ReceiptStatus;
use crate::domain::payment::Operation;
pub use interface::*;
use schema::{ProviderSpec, Service, Values};
/// The B2 CSV (Yamato's slip software): the shipping file of the 受注リスト and the file of
/// 送り状番号 it gives back.
pub use yamato::b2;

/// Every provider kessai supports, in the order the settings screen offers them.
pub static PROVIDERS: [&ProviderSpec; 4] = [
    &paygent::settings::SETTINGS,
    &remise::settings::SETTINGS,
    &atone::settings::SETTINGS,
    &yamato::settings::SETTINGS,
];

/// What connecting a provider needs besides its settings.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// kessai's public address (the built-in sandboxes live under it).
    pub public_url: &'a str,
    /// Where uploaded certificates are kept.
    pub data_dir: &'a Path,
}

/// A provider's connector with its settings, ready to call: the closed set of providers
/// whose payments kessai runs, one arm each.
#[derive(Clone, Debug)]
pub enum Connector {
    Paygent(Arc<paygent::Config>),
    Remise(Arc<remise::Config>),
    Atone(Arc<atone::Config>),
    Yamato(Arc<yamato::Config>),
}

/// A hand-off step's input in the provider's own shape: what the buyer's browser brought
/// back, or what a headless shop submits through the API as `{"<provider>": {…}}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Submission {
    Paygent(Box<paygent::Submission>),
    Remise(remise::Submission),
    Atone(atone::Submission),
    Yamato(yamato::Submission),
}

impl Submission {
    /// The provider the submission is for.
    pub fn provider(&self) -> &'static str {
        match self {
            Self::Paygent(_) => paygent::KEY,
            Self::Remise(_) => remise::KEY,
            Self::Atone(_) => atone::KEY,
            Self::Yamato(_) => yamato::KEY,
        }
    }
}

/// The authorizing call of a hand-off, in the provider's own shape (see [`Next::Authorize`]).
#[derive(Debug)]
pub enum Call {
    Paygent(paygent::Call),
    Yamato(yamato::Call),
}

/// A card to keep for a member, in the provider's own shape.
#[derive(Debug)]
pub enum CardSubmission {
    Paygent(paygent::cards::CardSubmission),
    /// A card the provider kept already (on its own page, or with a payment).
    Kept(NewCard),
}

/// The connector of `provider` with its saved settings, or `None` for an unknown provider.
pub fn connect(provider: &str, values: &Values, context: &Context) -> Option<Connector> {
    match provider {
        paygent::KEY => Some(Connector::Paygent(Arc::new(paygent::Config::from_values(
            values, context,
        )))),
        remise::KEY => Some(Connector::Remise(Arc::new(remise::Config::from_values(
            values, context,
        )))),
        atone::KEY => Some(Connector::Atone(Arc::new(atone::Config::from_values(
            values, context,
        )))),
        yamato::KEY => Some(Connector::Yamato(Arc::new(yamato::Config::from_values(
            values, context,
        )))),
        _ => None,
    }
}

/// Whether buyers can pay with a settlement kind: it is a service of a provider's settings
/// tab, whose connector runs it to the end. Payment methods of other kinds (a kind no
/// provider has any more) are 未対応 and never offered.
pub fn has_checkout(kind: &str) -> bool {
    service(kind).is_some()
}

/// The provider with that key.
pub fn provider(key: &str) -> Option<&'static ProviderSpec> {
    PROVIDERS.iter().copied().find(|p| p.key == key)
}

/// The provider and service of a settlement kind code (`paygent_card`).
pub fn service(kind: &str) -> Option<(&'static ProviderSpec, &'static Service)> {
    PROVIDERS
        .iter()
        .copied()
        .find_map(|p| p.services.iter().find(|s| s.kind == kind).map(|s| (p, s)))
}

/// The 決済種別 label of a settlement kind, or the code itself when unknown.
pub fn service_label(kind: &str) -> &str {
    service(kind).map(|(_, s)| s.label).unwrap_or(kind)
}

/// The 入金状況 an order of a settlement kind starts with, whoever creates it (the buyer's
/// checkout, a notification, or the operator's 受注データ登録): 未入金 for payments made
/// after ordering, none for cards and other payments settled at checkout.
pub fn initial_receipt_status(kind: &str) -> ReceiptStatus {
    if service(kind).is_some_and(|(_, s)| s.paid_after_order) {
        ReceiptStatus::Unpaid
    } else {
        ReceiptStatus::NotApplicable
    }
}

/// Settlement kinds whose provider allows only one payment method.
pub fn single_method_kinds() -> &'static [&'static str] {
    yamato::SINGLE_METHOD_KINDS
}

/// What a provider's status code means for a payment of settlement kind `kind`: the
/// manual's word, the normalized state and the step. An unknown code is pending, settled by
/// an inquiry rather than guessed.
pub fn describe(provider: &str, kind: &str, code: &str) -> StatusInfo {
    match provider {
        paygent::KEY => paygent::map::Status::parse(code).info(paygent::map::service_of(kind)),
        remise::KEY => remise::map::Status::parse(code).info(code),
        atone::KEY => atone::map::Status::parse(code).info(code),
        yamato::KEY => yamato::map::Status::parse(code).info(code),
        _ => StatusInfo {
            label: format!("不明なステータス({code})"),
            state: crate::domain::payment::PaymentState::Pending,
            step: 0,
        },
    }
}

/// Whether a checkout whose payment is in status `code` has become an order: authorized or
/// captured, or a payment made after ordering applied for (the buyer has what to pay with).
pub fn confirms_order(provider: &str, kind: &str, code: &str) -> bool {
    match (provider, paygent::map::Service::from_kind(kind)) {
        (paygent::KEY, Some(service)) => paygent::map::Status::parse(code).confirms_order(service),
        (remise::KEY, _) => remise::map::Status::parse(code).confirms_order(),
        (atone::KEY, _) => atone::map::Status::parse(code).confirms_order(),
        (yamato::KEY, _) => yamato::map::Status::parse(code).confirms_order(),
        _ => false,
    }
}

/// The payment method's name as mails and the order's pages show it, from the provider's
/// saved settings and the payment's details: a provider may add what the buyer chose on its
/// page (Remise's マルチ決済支払先表示: 「マルチ決済 (ヤマザキデイリーストア)」).
pub fn method_label(
    provider: &str,
    values: &Values,
    kind: &str,
    name: &str,
    details: &[(String, String)],
) -> String {
    match provider {
        remise::KEY => remise::method_label(values, kind, name, details),
        _ => name.to_owned(),
    }
}

/// The URLs the operator registers in the provider's back office, from kessai's public
/// address (shown on the provider's settings tab).
pub fn registered_urls(provider: &str, public_url: &str) -> Vec<RegisteredUrl> {
    match provider {
        paygent::KEY => paygent::registered_urls(public_url),
        remise::KEY => remise::registered_urls(public_url),
        atone::KEY => atone::registered_urls(public_url),
        yamato::KEY => yamato::registered_urls(public_url),
        _ => Vec::new(),
    }
}

/// The provider a Welcart notification address (`/index.php?acting=…`) belongs to.
pub fn legacy_notifier(acting: &str) -> Option<&'static str> {
    if paygent::is_legacy_acting(acting) {
        Some(paygent::KEY)
    } else if remise::is_legacy_acting(acting) {
        Some(remise::KEY)
    } else {
        None
    }
}

/// The provider whose manual registers the site's root address (`https://shop/`) as its
/// notification URL: a POST there is that provider's notification.
pub fn site_root_notifier() -> Option<&'static str> {
    Some(paygent::KEY)
}

/// Every provider's page templates (name, source), compiled into the binary.
pub fn templates() -> impl Iterator<Item = (&'static str, &'static str)> {
    paygent::handoff::TEMPLATES
        .iter()
        .chain(remise::handoff::TEMPLATES)
        .chain(remise::cards::TEMPLATES)
        .chain(atone::handoff::TEMPLATES)
        .chain(yamato::handoff::TEMPLATES)
        .copied()
}

/// A provider's script or style for its pages, by name: (content type, body).
pub fn asset(name: &str) -> Option<(&'static str, &'static str)> {
    paygent::handoff::ASSETS
        .iter()
        .chain(atone::handoff::ASSETS)
        .chain(yamato::handoff::ASSETS)
        .find(|(n, _, _)| *n == name)
        .map(|(_, content_type, body)| (*content_type, *body))
}

impl Connector {
    /// The provider's key.
    pub fn provider(&self) -> &'static str {
        match self {
            Self::Paygent(_) => paygent::KEY,
            Self::Remise(_) => remise::KEY,
            Self::Atone(_) => atone::KEY,
            Self::Yamato(_) => yamato::KEY,
        }
    }

    /// The environment the settings point at (where members' cards are kept).
    pub fn environment(&self) -> Environment {
        match self {
            Self::Paygent(c) => c.environment,
            Self::Remise(c) => c.card_environment,
            Self::Atone(c) => c.environment,
            Self::Yamato(c) => c.environment,
        }
    }

    /// The environment a payment of `kind` is made in.
    pub fn environment_of(&self, kind: &str) -> Environment {
        match self {
            Self::Paygent(c) => c.environment,
            Self::Remise(c) => c.environment_of(kind),
            Self::Atone(c) => c.environment,
            Self::Yamato(c) => c.environment,
        }
    }

    /// What the buyer's browser reaches from the provider's pages on kessai's site (their
    /// security policy allows these origins, and no other page does).
    pub fn browser_origins(&self) -> BrowserOrigins {
        match self {
            Self::Paygent(c) => c.browser_origins(),
            Self::Remise(c) => c.browser_origins(),
            Self::Atone(c) => c.browser_origins(),
            Self::Yamato(c) => c.browser_origins(),
        }
    }

    /// The character set of the forms the provider's pages post back to the hand-off.
    pub fn form_charset(&self) -> form::Charset {
        match self {
            Self::Paygent(_) => form::Charset::Utf8,
            Self::Remise(_) => form::Charset::Cp932,
            Self::Atone(_) | Self::Yamato(_) => form::Charset::Utf8,
        }
    }

    /// The 決済情報 dialog's button for an operation on a payment in status `code`.
    pub fn operation_label(
        &self,
        kind: &str,
        code: Option<&str>,
        operation: Operation,
    ) -> &'static str {
        match self {
            Self::Paygent(_) => paygent::map::operation_label(kind, code, operation),
            Self::Remise(c) => remise::map::operation_label(c.extset.is_some(), operation),
            Self::Atone(_) => atone::map::operation_label(operation),
            Self::Yamato(_) => yamato::operations::operation_label(operation),
        }
    }

    /// What the 決済情報 block tells the operator about a payment's operations beside its
    /// buttons (where an operation is done outside kessai).
    pub fn operations_note(&self, kind: &str) -> Option<&'static str> {
        match self {
            Self::Paygent(_) => None,
            Self::Remise(c) => c.operations_note(kind),
            Self::Atone(_) => Some("atoneの「取消」と受注の「キャンセル」は連動しません。取り消した決済は元に戻せません。"),
            Self::Yamato(_) => Some("クロネコWebコレクトの「取消」「利用額変更」と受注の「キャンセル」・総合計金額は連動しません。それぞれ操作してください。売上確定した後で送り状番号を変更しても、ヤマトのデータは変わりません(ヤマトの管理画面でも変更してください)。"),
        }
    }

    /// The status a payment made after ordering takes when its deadline passes, where the
    /// provider sends no word of it (`None` where the provider reports it itself).
    pub fn lapse(&self, p: &PaymentRef) -> Option<Report> {
        match self {
            Self::Paygent(_) => None,
            Self::Remise(c) => c.lapse(p),
            Self::Atone(_) | Self::Yamato(_) => None,
        }
    }

    /// Whether a settlement kind is switched on in the settings.
    pub fn offers(&self, kind: &str) -> bool {
        match self {
            Self::Paygent(c) => c.offers(kind),
            Self::Remise(c) => c.offers(kind),
            Self::Atone(c) => c.offers(kind),
            Self::Yamato(c) => c.offers(kind),
        }
    }

    /// The capability table for a payment of `kind` in status `code` (nothing before the
    /// provider has reported a status, but 状態更新 where an inquiry exists).
    pub fn capabilities(&self, kind: &str, code: Option<&str>) -> Capabilities {
        match self {
            Self::Paygent(c) => c.capabilities(kind, code),
            Self::Remise(c) => c.capabilities(kind, code),
            Self::Atone(c) => c.capabilities(kind, code),
            Self::Yamato(c) => c.capabilities(kind, code),
        }
    }

    /// Whether a capture of a payment of `kind` can be sent with the order's delivery (the
    /// operator's message when not: what to enter first). Checked before any call.
    pub fn check_capture(&self, kind: &str, shipment: Option<&Shipment>) -> Result<(), String> {
        match self {
            Self::Yamato(c) if kind == yamato::CARD => c.check_capture(shipment),
            _ => Ok(()),
        }
    }

    /// The built-in sandbox's stand-in for B2 (see [`b2`]), when this connector calls the
    /// built-in sandbox: the 受注リスト links to it to make a file of 送り状番号 to import.
    pub fn b2_sandbox(&self) -> Option<String> {
        match self {
            Self::Yamato(c) => c.b2_sandbox(),
            Self::Paygent(_) | Self::Remise(_) | Self::Atone(_) => None,
        }
    }

    /// The line 内容確認 shows about the payment deadline, if the kind has one.
    pub fn deadline_notice(&self, kind: &str) -> Option<String> {
        match self {
            Self::Paygent(c) => c.deadline_notice(kind),
            Self::Remise(c) => c.deadline_notice(kind),
            Self::Atone(_) | Self::Yamato(_) => None,
        }
    }

    // --- Hand-off

    /// The hand-off page of a logged checkout (with the buyer's message after a refusal).
    pub async fn handoff(&self, checkout: &Checkout, error: Option<&str>) -> Page {
        match self {
            Self::Paygent(c) => c.handoff(checkout, error),
            Self::Remise(c) => c.handoff(checkout, error),
            Self::Atone(c) => c.handoff(checkout, error),
            Self::Yamato(c) => c.handoff(checkout, error).await,
        }
    }

    /// Reads what the browser brought back to hand-off step `step`.
    pub fn form_submission(&self, step: &str, fields: &Fields) -> Result<Submission, FormError> {
        match self {
            Self::Paygent(c) => c
                .form_submission(step, fields)
                .map(|s| Submission::Paygent(Box::new(s))),
            Self::Remise(c) => c.form_submission(step, fields).map(Submission::Remise),
            Self::Atone(c) => c.form_submission(step, fields).map(Submission::Atone),
            Self::Yamato(c) => c.form_submission(step, fields).map(Submission::Yamato),
        }
    }

    /// Takes a hand-off step: what to do next.
    pub async fn resume(&self, checkout: &Checkout, submission: Submission) -> Resumed {
        match (self, submission) {
            (Self::Paygent(c), Submission::Paygent(s)) => c.resume(checkout, *s).await,
            (Self::Remise(c), Submission::Remise(s)) => c.resume(checkout, s),
            (Self::Atone(c), Submission::Atone(s)) => c.resume(checkout, s).await,
            (Self::Yamato(c), Submission::Yamato(s)) => c.resume(checkout, s),
            (_, submission) => Resumed::to(Next::Declined(Decline::retry(format!(
                "この入力は{}のお支払いには使えません。",
                provider(submission.provider()).map_or(submission.provider(), |p| p.label)
            )))),
        }
    }

    /// Makes the authorizing call a hand-off step asked for.
    pub async fn authorize(
        &self,
        checkout: &Checkout,
        call: &Call,
    ) -> Result<Authorized, ProviderError> {
        match (self, call) {
            (Self::Paygent(c), Call::Paygent(call)) => c.authorize(checkout, call).await,
            (Self::Yamato(c), Call::Yamato(call)) => c.authorize(checkout, call).await,
            // Remise is link type only: the buyer pays on Remise's page, kessai never
            // authorizes by a call of its own.
            (Self::Remise(_), _) => Err(ProviderError::NotConfigured(
                "ルミーズの決済はルミーズの決済ページで行います。".to_owned(),
            )),
            // atone's widget registers the transaction; kessai only reads it back.
            (Self::Atone(_), _) => Err(ProviderError::NotConfigured(
                "atoneの決済はatoneの画面で行います。".to_owned(),
            )),
            (connector, _) => Err(ProviderError::NotConfigured(format!(
                "この入力は{}のお支払いには使えません。",
                connector.provider()
            ))),
        }
    }

    // --- Operations

    /// 売上処理, with the shipment where the provider captures by registering one.
    pub async fn capture(
        &self,
        p: &PaymentRef,
        shipment: Option<&Shipment>,
    ) -> Result<Done, ProviderError> {
        match self {
            Self::Paygent(c) => c.capture(p, shipment).await,
            Self::Remise(c) => c.capture(p, shipment).await,
            Self::Atone(c) => c.capture(p, shipment).await,
            Self::Yamato(c) => c.capture(p, shipment).await,
        }
    }

    /// 金額変更 to `amount`.
    pub async fn change_amount(&self, p: &PaymentRef, amount: i64) -> Result<Done, ProviderError> {
        match self {
            Self::Paygent(c) => c.change_amount(p, amount).await,
            Self::Remise(c) => c.change_amount(p, amount).await,
            Self::Atone(c) => c.change_amount(p, amount).await,
            Self::Yamato(c) => c.change_amount(p, amount).await,
        }
    }

    /// キャンセル処理.
    pub async fn cancel(&self, p: &PaymentRef) -> Result<Done, ProviderError> {
        match self {
            Self::Paygent(c) => c.cancel(p).await,
            Self::Remise(c) => c.cancel(p).await,
            Self::Atone(c) => c.cancel(p).await,
            Self::Yamato(c) => c.cancel(p).await,
        }
    }

    /// 返金処理 of `amount` (the whole payment when it equals the payment's amount).
    pub async fn refund(&self, p: &PaymentRef, amount: i64) -> Result<Done, ProviderError> {
        match self {
            Self::Paygent(c) => c.refund(p, amount).await,
            Self::Remise(c) => c.refund(p, amount).await,
            Self::Atone(c) => c.refund(p, amount).await,
            Self::Yamato(c) => c.refund(p, amount).await,
        }
    }

    /// 状態更新: the payment's current status at the provider.
    pub async fn refresh(&self, p: &PaymentRef) -> Result<Report, ProviderError> {
        match self {
            Self::Paygent(c) => c.refresh(p).await,
            Self::Remise(c) => c.refresh(p).await,
            Self::Atone(c) => c.refresh(p).await,
            Self::Yamato(c) => c.refresh(p).await,
        }
    }

    /// A charge kessai starts itself on a kept card (recurring billing).
    pub async fn charge(&self, charge: &Charge<'_>) -> Result<Done, ProviderError> {
        match self {
            Self::Paygent(c) => c.charge(charge).await,
            Self::Remise(_) => Err(ProviderError::NotConfigured(
                "ルミーズの自動継続課金にはまだ対応していません。".to_owned(),
            )),
            Self::Atone(_) => Err(ProviderError::NotConfigured(
                "atoneの自動継続課金にはまだ対応していません。".to_owned(),
            )),
            Self::Yamato(_) => Err(ProviderError::NotConfigured(
                "クロネコwebコレクトの自動継続課金にはまだ対応していません。".to_owned(),
            )),
        }
    }

    // --- Notifications

    /// Reads a notification's raw body: its dedup key, its payment and whether to believe it.
    pub fn read_notice(&self, body: &[u8]) -> NoticeHead {
        match self {
            Self::Paygent(c) => c.read_notice(body),
            Self::Remise(c) => c.read_notice(body),
            Self::Atone(c) => c.read_notice(body),
            Self::Yamato(_) => NoticeHead::malformed(
                yamato::KEY,
                body,
                MatchKey::Nothing,
                "クロネコwebコレクトのカード決済には結果通知がありません。".to_owned(),
            ),
        }
    }

    /// The status a stored notification reports about `payment`, or why it does not fit it.
    pub fn notice_report(&self, stored: &str, payment: &PaymentRef) -> Result<Report, String> {
        match self {
            Self::Paygent(c) => c.notice_report(stored, payment),
            Self::Remise(c) => c.notice_report(stored, payment),
            Self::Atone(c) => c.notice_report(stored, payment),
            Self::Yamato(_) => {
                Err("クロネコwebコレクトのカード決済には結果通知がありません。".to_owned())
            }
        }
    }

    /// The exact answer the provider expects once a notification is stored.
    pub fn ack(&self) -> Ack {
        match self {
            Self::Paygent(_) => paygent::notify::ACK,
            Self::Remise(_) => remise::notify::ACK,
            Self::Atone(_) => atone::notify::ACK,
            Self::Yamato(_) => yamato::operations::ACK,
        }
    }

    /// The next notification the provider kept for us (a polling inquiry); `None` when
    /// there is none or the provider has no such inquiry.
    pub async fn fetch_notice(&self) -> Result<Option<Fetched>, ProviderError> {
        match self {
            Self::Paygent(c) => c.fetch_notice().await,
            Self::Remise(_) | Self::Atone(_) | Self::Yamato(_) => Ok(None),
        }
    }

    // --- Kept cards

    /// Whether members may keep a card at the provider outside a purchase (the member's
    /// card page). Web Collect keeps cards only with a payment.
    pub fn keeps_cards(&self) -> bool {
        match self {
            Self::Paygent(c) => c.keeps_cards(),
            Self::Remise(c) => c.keeps_cards(),
            Self::Atone(_) | Self::Yamato(_) => false,
        }
    }

    /// The member page that registers a card (クレジットカード登録).
    pub fn card_page(&self, view: &CardPage) -> Page {
        match self {
            Self::Paygent(c) => c.card_page(view),
            Self::Remise(c) => c.card_page(view),
            // No card page (`keeps_cards` is false): the member's page instead.
            Self::Atone(_) | Self::Yamato(_) => Page::Redirect(view.back_url.clone()),
        }
    }

    /// Reads the card page's form.
    pub fn card_submission(&self, fields: &Fields) -> Result<CardSubmission, FormError> {
        match self {
            Self::Paygent(c) => c.card_submission(fields).map(CardSubmission::Paygent),
            Self::Remise(c) => c.card_submission(fields).map(CardSubmission::Kept),
            Self::Atone(_) | Self::Yamato(_) => Err(FormError::UnknownStep),
        }
    }

    /// Keeps a member's card at the provider.
    pub async fn register_card(
        &self,
        member_id: i64,
        card: &CardSubmission,
    ) -> Result<NewCard, ProviderError> {
        match (self, card) {
            (Self::Paygent(c), CardSubmission::Paygent(card)) => {
                c.register_card(member_id, card).await
            }
            // The provider kept the card already (Remise on its own page, Web Collect with
            // the payment): its answer names it.
            (Self::Remise(_) | Self::Yamato(_), CardSubmission::Kept(card)) => Ok(card.clone()),
            (connector, _) => Err(ProviderError::NotConfigured(format!(
                "このカード情報は{}には登録できません。",
                connector.provider()
            ))),
        }
    }

    /// Deletes a kept card at the provider (a card it no longer has counts as deleted).
    pub async fn delete_card(&self, card: &CardRef) -> Result<(), ProviderError> {
        match self {
            Self::Paygent(c) => c.delete_card(card).await,
            // Remise offers no deletion of a PayQuick card (spec §4): ペイクイックを解除する
            // forgets it here, and the next purchase asks for the card again.
            Self::Remise(_) => Ok(()),
            Self::Atone(_) => Ok(()),
            Self::Yamato(c) => c.delete_card(card).await,
        }
    }
}

/// Settings values from pairs, and the context the unit tests connect with.
#[cfg(test)]
pub(crate) fn test_settings(pairs: &[(&str, &str)]) -> (Values, Context<'static>) {
    let values = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let context = Context {
        public_url: "http://localhost",
        data_dir: Path::new("/tmp"),
    };
    (values, context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settlement_kinds_are_unique_across_providers() {
        let mut kinds: Vec<&str> = PROVIDERS
            .iter()
            .flat_map(|p| p.services.iter().map(|s| s.kind))
            .collect();
        let n = kinds.len();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), n);
    }

    #[test]
    fn orders_paid_after_ordering_start_unpaid_and_cards_have_no_receipt_status() {
        let unpaid: Vec<&str> = PROVIDERS
            .iter()
            .flat_map(|p| p.services)
            .filter(|s| initial_receipt_status(s.kind) == ReceiptStatus::Unpaid)
            .map(|s| s.kind)
            .collect();
        assert_eq!(
            unpaid,
            [
                "paygent_conv",
                "paygent_atm",
                "paygent_netbank",
                "remise_multi",
                "remise_conv"
            ]
        );
    }

    #[test]
    fn every_provider_has_an_environment_and_a_sandbox_switch() {
        for p in PROVIDERS {
            let keys: Vec<&str> = p
                .sections
                .iter()
                .flat_map(|s| s.fields.iter().map(|f| f.key))
                .collect();
            assert!(keys.contains(&"env"), "{} has no env", p.key);
            assert!(
                keys.contains(&"test_target"),
                "{} has no test_target",
                p.key
            );
        }
    }

    #[test]
    fn only_kinds_of_a_connected_provider_can_be_paid() {
        assert!(has_checkout("paygent_card"));
        assert!(has_checkout("paygent_paidy"));
        assert!(has_checkout("remise_card"));
        assert!(has_checkout("remise_conv"));
        assert!(has_checkout("atone"));
        assert!(has_checkout("yamato_card"));
        assert!(!has_checkout("unknown"));
    }
}
