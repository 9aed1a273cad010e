//! Payments once a provider has them: the operator's operations (売上処理, 金額変更,
//! キャンセル処理, 返金処理, 状態更新), the one "authorize once" step of every hand-off,
//! provider status reports (from operations, notifications and inquiries) applied to the
//! payment, its history and its order ([`apply`]), orders created from the pre-payment log
//! exactly once ([`orders`]), the notification inbox ([`notifications`]), kept cards
//! ([`cards`]), the background jobs that settle what a crash left open ([`jobs`]), and the
//! payment error log.
//!
//! Every provider call is persisted first (a `pending` history row, at most one per
//! payment), then made, then completed. A call whose outcome is unknown keeps its row
//! pending; a status inquiry settles it. The core never names a provider: it asks the
//! provider's [`Connector`] and reads the capability table.

pub mod apply;
pub mod cards;
pub mod jobs;
pub mod notifications;
pub mod offers;
pub mod orders;
pub mod shipments;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use chrono::Duration;

use crate::clock::Clock;
use crate::domain::card::mask_card_numbers;
use crate::domain::payment::{Operation, OperationOutcome, PaymentState};
use crate::failpoint;
use crate::providers::{
    self, Authorized, Capabilities, Connector, Context, Done, PaymentRef, ProviderError, Report,
};
use crate::settings::Settings;
use crate::store::{NewPaymentError, Payment, Store, StoreError};

/// Why an operation was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum PaymentsError {
    #[error("決済が見つかりません。")]
    NotFound,
    /// The capability table does not allow it in the current status.
    #[error("決済状況が「{status}」のため{operation}はできません。")]
    NotAllowed {
        operation: &'static str,
        status: String,
    },
    /// Another call on the payment has no answer yet.
    #[error(
        "この決済には処理中の操作があります。しばらくしてから[状態更新]ボタンを押してください。"
    )]
    Busy,
    /// The amount is missing or out of range (names the field).
    #[error("{0}")]
    Amount(String),
    /// The order's delivery does not let the provider capture (names the field).
    #[error("{0}")]
    Shipment(String),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PaymentsError {
    /// Whether the failure is the caller's (a 4xx in the API).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Store(_))
    }
}

/// The payments service.
#[derive(Clone, Debug)]
pub struct Payments {
    store: Store,
    settings: Settings,
    clock: Clock,
    public_url: String,
    data_dir: PathBuf,
    cache: Arc<Mutex<HashMap<String, CachedConnector>>>,
    stale_after: Duration,
}

/// A provider's connector as its settings were at an instant and settings generation.
#[derive(Debug)]
struct CachedConnector {
    at: Instant,
    generation: u64,
    connector: Option<Connector>,
}

/// The actor of changes kessai makes by itself (the 操作ログ's 操作者).
pub const SYSTEM_ACTOR: &str = "system";

pub use crate::settings::SETTINGS_TTL;

/// An operator operation on a payment.
#[derive(Clone, Debug)]
pub struct OperationRequest<'a> {
    pub operation: Operation,
    /// The new amount (金額変更) or the amount to refund (返金処理; none or 0 refunds the
    /// whole payment, as the manual's Paidy 返金 says 「全額返金であれば「0」を入力」); other
    /// operations ignore it.
    pub amount: Option<i64>,
    /// Who asked (the 操作ログ's 操作者).
    pub actor: &'a str,
    /// The request that asked (an API Idempotency-Key): a retry of a request whose call
    /// was made gets that call's answer, even after a crash between the call and its record.
    pub request_key: Option<&'a str>,
}

impl<'a> OperationRequest<'a> {
    /// `operation` asked for by `actor`, without an amount or a request key.
    pub fn new(operation: Operation, actor: &'a str) -> Self {
        Self {
            operation,
            amount: None,
            actor,
            request_key: None,
        }
    }
}

/// What the one "authorize once" step did.
#[derive(Debug)]
pub enum Authorizing {
    /// The provider authorized (or applied) it; its status is recorded.
    Done(Box<Authorized>),
    /// An earlier call already did (a second click): nothing was sent.
    AlreadyConfirmed,
    /// The payment has ended (cancelled, expired, failed): nothing was sent.
    Ended,
    /// Another call on the payment is still waiting for its answer.
    Busy,
    /// The provider refused, or did not answer (`Unknown`: the worker settles it).
    Failed(ProviderError),
}

/// A payment as its provider's connector sees it.
pub fn payment_ref(p: &Payment) -> PaymentRef {
    PaymentRef {
        kind: p.settlement_kind.clone(),
        trading_id: p.link_key.clone(),
        provider_payment_id: p.provider_payment_id.clone(),
        status_code: p.provider_status_code.clone(),
        state: p.state(),
        amount: p.amount,
        scratch: p.handoff_json.clone(),
    }
}

impl Payments {
    /// A payments service; `public_url` locates the built-in sandboxes.
    pub fn new(
        store: Store,
        settings: Settings,
        clock: Clock,
        public_url: String,
        data_dir: PathBuf,
    ) -> Self {
        Self {
            store,
            settings,
            clock,
            public_url,
            data_dir,
            cache: Arc::default(),
            stale_after: Duration::minutes(jobs::STALE_AFTER_MINUTES),
        }
    }

    /// The service with another threshold for calls left without an answer (tests).
    pub fn with_stale_after(self, stale_after: Duration) -> Self {
        Self {
            stale_after,
            ..self
        }
    }

    /// How long a call may stay without an answer before the sweep settles it.
    pub fn stale_after(&self) -> Duration {
        self.stale_after
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// kessai's public address.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// A provider's connector with its settings, read at most every [`SETTINGS_TTL`]: a
    /// change saved on another instance takes effect within that time, one saved here at
    /// once. The connector keeps its connections. `None` for a provider kessai only has the
    /// settings of.
    pub async fn connector_of(&self, provider: &str) -> Result<Option<Connector>, StoreError> {
        let generation = self.settings.generation();
        if let Some(cached) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(provider)
        {
            if cached.at.elapsed() < SETTINGS_TTL && cached.generation == generation {
                return Ok(cached.connector.clone());
            }
        }
        let connector = match providers::provider(provider) {
            Some(spec) => {
                let values = self.settings.provider(spec).await?;
                let context = Context {
                    public_url: &self.public_url,
                    data_dir: &self.data_dir,
                };
                providers::connect(provider, &values, &context)
            }
            _ => None,
        };
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                provider.to_owned(),
                CachedConnector {
                    at: Instant::now(),
                    generation,
                    connector: connector.clone(),
                },
            );
        Ok(connector)
    }

    /// A provider's connector, or why there is none.
    pub async fn connector(&self, provider: &str) -> Result<Connector, PaymentsError> {
        self.connector_of(provider).await?.ok_or_else(|| {
            ProviderError::NotConfigured(format!(
                "{}の決済連携はまだ利用できません。",
                providers::provider(provider).map_or(provider, |p| p.label)
            ))
            .into()
        })
    }

    /// Performs an operator operation (see [`OperationRequest`]).
    pub async fn perform(
        &self,
        payment_id: i64,
        request: &OperationRequest<'_>,
    ) -> Result<Payment, PaymentsError> {
        let payment = self.payment(payment_id).await?;
        let result = if request.operation == Operation::Refresh {
            if self
                .capabilities(&payment)
                .await?
                .allows(Operation::Refresh)
            {
                self.refresh(&payment).await.map(drop)
            } else {
                Err(not_allowed(&payment, Operation::Refresh))
            }
        } else {
            self.operate(&payment, request).await
        };
        match (result, request.request_key) {
            // Refused before anything was sent: the same request may have been made before
            // (a retry after a crash), whose call changed the payment: answer that call.
            (Err(e @ (PaymentsError::NotAllowed { .. } | PaymentsError::Busy)), Some(key)) => {
                match self.answer_of_request(&payment, key).await? {
                    Some(answer) => answer,
                    None => Err(e),
                }
            }
            (Err(e), _) => Err(e),
            (Ok(()), _) => self.payment(payment_id).await,
        }
    }

    async fn payment(&self, payment_id: i64) -> Result<Payment, PaymentsError> {
        self.store
            .payment(payment_id)
            .await?
            .ok_or(PaymentsError::NotFound)
    }

    /// The answer of a request that already asked for a call: its success, its refusal, or
    /// (while its call has no answer) what an inquiry now says about it. `None` when the
    /// request never asked for one.
    async fn answer_of_request(
        &self,
        payment: &Payment,
        key: &str,
    ) -> Result<Option<Result<Payment, PaymentsError>>, PaymentsError> {
        let Some(mut row) = self.store.operation_of_request(payment.id, key).await? else {
            return Ok(None);
        };
        if row.outcome == OperationOutcome::Pending.as_str() {
            if let Err(e) = self.settle_by_inquiry(payment).await {
                return Ok(Some(Err(e)));
            }
            row = self
                .store
                .operation_of_request(payment.id, key)
                .await?
                .unwrap_or(row);
        }
        let answer = match OperationOutcome::parse(&row.outcome) {
            Some(OperationOutcome::Succeeded) => Ok(self.payment(payment.id).await?),
            Some(OperationOutcome::Pending) => Err(PaymentsError::Provider(
                ProviderError::Unknown("前回の処理の結果を確認しています".to_owned()),
            )),
            _ => Err(PaymentsError::Provider(ProviderError::Refused {
                code: row.result_code.clone().unwrap_or_default(),
                message: row
                    .result_message
                    .clone()
                    .unwrap_or_else(|| "決済会社が処理を受け付けませんでした。".to_owned()),
                detail: String::new(),
            })),
        };
        Ok(Some(answer))
    }

    async fn operate(
        &self,
        payment: &Payment,
        request: &OperationRequest<'_>,
    ) -> Result<(), PaymentsError> {
        let OperationRequest {
            operation,
            amount,
            actor,
            request_key,
        } = *request;
        let connector = self.connector(&payment.provider).await?;
        let capabilities = connector.capabilities(
            &payment.settlement_kind,
            payment.provider_status_code.as_deref(),
        );
        let label = connector.operation_label(
            &payment.settlement_kind,
            payment.provider_status_code.as_deref(),
            operation,
        );
        if !capabilities.allows(operation) {
            return Err(not_allowed(payment, operation));
        }
        let amount = operation_amount(payment, operation, amount, capabilities)?;
        if operation == Operation::ChangeAmount && self.order_cancelled(payment).await? {
            return Err(PaymentsError::Amount(
                "対応状況が「キャンセル」の受注は決済金額を変更できません(決済会社へは連携しません)。"
                    .to_owned(),
            ));
        }
        let shipment = match operation {
            Operation::Capture => self.shipment_of(payment).await?,
            _ => None,
        };
        if operation == Operation::Capture {
            connector
                .check_capture(&payment.settlement_kind, shipment.as_ref())
                .map_err(PaymentsError::Shipment)?;
        }
        let row = self
            .store
            .begin_payment_operation(
                payment.id,
                operation.as_str(),
                label,
                amount,
                request_key,
                self.clock.now(),
            )
            .await?
            .ok_or(PaymentsError::Busy)?;
        failpoint::hit(failpoint::AFTER_OPERATION_ROW);
        let p = payment_ref(payment);
        let result = match operation {
            Operation::Capture => connector.capture(&p, shipment.as_ref()).await,
            Operation::ChangeAmount => connector.change_amount(&p, amount).await,
            Operation::Cancel => connector.cancel(&p).await,
            Operation::Refund => connector.refund(&p, amount).await,
            Operation::Authorize | Operation::Refresh => unreachable!("not an operator call"),
        };
        failpoint::hit(failpoint::AFTER_PROVIDER_ANSWER);
        let target = format!("payment:{}", payment.id);
        match result {
            Ok(done) => {
                self.complete(row, payment, &done).await?;
                self.store
                    .audit(
                        actor,
                        label,
                        &target,
                        &format!("{amount}円"),
                        self.clock.now(),
                    )
                    .await?;
                Ok(())
            }
            Err(e) => {
                self.fail(row, payment, &e).await?;
                self.store
                    .audit(actor, label, &target, &e.to_string(), self.clock.now())
                    .await?;
                Err(e.into())
            }
        }
    }

    /// The one "authorize once" step of every hand-off: persists the pending call (at most
    /// one per payment), checks the payment did not move meanwhile (a second click that
    /// passed the first checks finds it authorized once it holds the row), makes the call
    /// and records it. The status is written before the row is released.
    pub async fn authorize_once<F>(
        &self,
        payment: &Payment,
        label: &str,
        call: F,
    ) -> Result<Authorizing, StoreError>
    where
        F: Future<Output = Result<Authorized, ProviderError>>,
    {
        let now = self.clock.now();
        let Some(row) = self
            .store
            .begin_payment_operation(
                payment.id,
                Operation::Authorize.as_str(),
                label,
                payment.amount,
                None,
                now,
            )
            .await?
        else {
            return Ok(Authorizing::Busy);
        };
        let current = self
            .store
            .payment(payment.id)
            .await?
            .ok_or(StoreError::NotFound("payment"))?;
        let confirmed = current.provider_status_code.as_deref().is_some_and(|code| {
            providers::confirms_order(&current.provider, &current.settlement_kind, code)
        });
        if confirmed || current.state().is_final() {
            self.store.abandon_payment_operation(row).await?;
            return Ok(if confirmed {
                Authorizing::AlreadyConfirmed
            } else {
                Authorizing::Ended
            });
        }
        failpoint::hit(failpoint::AFTER_OPERATION_ROW);
        let answer = call.await;
        failpoint::hit(failpoint::AFTER_PROVIDER_ANSWER);
        match answer {
            Ok(authorized) => {
                if !authorized.details.is_empty() || authorized.deadline.is_some() {
                    let details =
                        serde_json::to_string(&authorized.details).expect("details serialize");
                    self.store
                        .set_payment_details(
                            payment.id,
                            &details,
                            authorized.deadline,
                            self.clock.now(),
                        )
                        .await?;
                }
                self.complete(row, &current, &authorized.done).await?;
                if !current.handoff_json.is_empty() {
                    // What the steps kept (a 3-D Secure authentication) is spent.
                    self.store
                        .set_payment_handoff(payment.id, "", self.clock.now())
                        .await?;
                }
                Ok(Authorizing::Done(Box::new(authorized)))
            }
            Err(e) => {
                self.fail(row, &current, &e).await?;
                Ok(Authorizing::Failed(e))
            }
        }
    }

    /// Completes a successful call's row and applies the status it implies.
    ///
    /// The status is written before the row is released wherever the history allows it, so
    /// a second call waiting on the row (a double click) finds the payment already moved.
    pub async fn complete(
        &self,
        row: i64,
        payment: &Payment,
        done: &Done,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        match &done.replaced {
            // The replaced payment's end (売上取消済) comes before the new payment
            // (補正売上) and its status in the history, as the manual shows it.
            Some(old) => {
                self.store
                    .complete_payment_operation_after_status(
                        row,
                        &old.label,
                        old.amount.unwrap_or(payment.amount),
                        &old.payment_id,
                        &done.payment_id,
                        done.label,
                        now,
                    )
                    .await?;
                self.apply_to(payment, &done.status, Some(&old.payment_id))
                    .await
                    .map(drop)
            }
            None => {
                self.apply_to(payment, &done.status, None).await?;
                self.store
                    .complete_payment_operation(
                        row,
                        OperationOutcome::Succeeded.as_str(),
                        (!done.payment_id.is_empty()).then_some(done.payment_id.as_str()),
                        None,
                        done.note.as_deref(),
                        Some(done.label),
                        now,
                    )
                    .await
            }
        }
    }

    /// Settles a failed call's row: refused calls fail it and are logged; calls with an
    /// unknown outcome stay pending and a status inquiry is scheduled.
    pub async fn fail(
        &self,
        row: i64,
        payment: &Payment,
        e: &ProviderError,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let (code, detail) = match e {
            ProviderError::Refused { code, detail, .. } => (code.as_str(), detail.as_str()),
            ProviderError::NotConfigured(_) | ProviderError::NoSuchPayment => ("", ""),
            ProviderError::Unknown(detail) => {
                self.schedule_refresh(payment.id, Duration::minutes(1))
                    .await?;
                ("", detail.as_str())
            }
        };
        if !matches!(e, ProviderError::Unknown(_)) {
            self.store
                .complete_payment_operation(
                    row,
                    OperationOutcome::Failed.as_str(),
                    None,
                    Some(code),
                    Some(&e.to_string()),
                    None,
                    now,
                )
                .await?;
        }
        self.log_error(payment, code, &e.to_string(), detail).await
    }

    /// Writes the payment error log (決済エラーログ).
    pub async fn log_error(
        &self,
        payment: &Payment,
        code: &str,
        message: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        self.store
            .record_payment_error(
                &NewPaymentError {
                    provider: &payment.provider,
                    settlement_kind: &payment.settlement_kind,
                    link_key: &payment.link_key,
                    order_id: payment.order_id,
                    status_code: code,
                    message,
                    detail: &mask_card_numbers(detail),
                },
                self.clock.now(),
            )
            .await
            .map(drop)
    }

    /// 状態更新: asks the provider and applies what it says; settles calls left pending.
    pub async fn refresh(&self, payment: &Payment) -> Result<Report, PaymentsError> {
        let connector = self.connector(&payment.provider).await?;
        let report = match connector.refresh(&payment_ref(payment)).await {
            Ok(report) => report,
            Err(ProviderError::NoSuchPayment) => {
                self.settle_never_received(payment.id).await?;
                return Err(ProviderError::NoSuchPayment.into());
            }
            Err(e) => {
                if !matches!(e, ProviderError::Unknown(_)) {
                    self.log_error(payment, e.code(), &e.to_string(), "")
                        .await?;
                }
                return Err(e.into());
            }
        };
        self.apply_to(payment, &report, None).await?;
        self.settle_pending(payment, &report).await?;
        Ok(report)
    }

    /// Settles a call a crash or a timeout left without a recorded answer: the provider
    /// knows what happened (one that never received the call has no payment, and its row
    /// is failed).
    async fn settle_by_inquiry(&self, payment: &Payment) -> Result<(), PaymentsError> {
        match self.refresh(payment).await {
            Ok(_) | Err(PaymentsError::Provider(ProviderError::NoSuchPayment)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Fails the pending rows of a payment the provider does not know: their calls never
    /// reached it, so nothing happened there.
    async fn settle_never_received(&self, payment_id: i64) -> Result<(), StoreError> {
        let now = self.clock.now();
        for row in self.store.payment_operations(payment_id).await? {
            if row.outcome == OperationOutcome::Pending.as_str() {
                self.store
                    .complete_payment_operation(
                        row.id,
                        OperationOutcome::Failed.as_str(),
                        None,
                        None,
                        Some("状態照会の結果、決済会社に決済はありません"),
                        None,
                        now,
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Settles the pending rows of a payment after an inquiry: a row whose call shows in the
    /// provider's status succeeded, any other failed (the provider never received it).
    async fn settle_pending(&self, payment: &Payment, report: &Report) -> Result<(), StoreError> {
        let now = self.clock.now();
        for row in self.store.payment_operations(payment.id).await? {
            if row.outcome != OperationOutcome::Pending.as_str() {
                continue;
            }
            let reached = match Operation::parse(&row.operation) {
                Some(Operation::Capture) => report.state == PaymentState::Captured,
                Some(Operation::Cancel) => report.state == PaymentState::Cancelled,
                Some(Operation::Refund) => {
                    matches!(
                        report.state,
                        PaymentState::Refunded | PaymentState::Cancelled
                    ) || report.amount.is_some_and(|a| a < row.amount)
                }
                Some(Operation::ChangeAmount) => report.amount == Some(row.amount),
                // An authorization, or the application of a payment made after ordering.
                Some(Operation::Authorize) => providers::confirms_order(
                    &payment.provider,
                    &payment.settlement_kind,
                    &report.code,
                ),
                Some(Operation::Refresh) | None => true,
            };
            let (outcome, message) = if reached {
                (
                    OperationOutcome::Succeeded,
                    format!("状態照会で確認しました({})", report.label),
                )
            } else {
                (
                    OperationOutcome::Failed,
                    format!("状態照会の結果、処理は反映されていません({})", report.label),
                )
            };
            self.store
                .complete_payment_operation(
                    row.id,
                    outcome.as_str(),
                    Some(&report.payment_id),
                    None,
                    Some(&message),
                    None,
                    now,
                )
                .await?;
        }
        Ok(())
    }

    /// Schedules a status inquiry of a payment (once per payment while one is waiting).
    pub async fn schedule_refresh(
        &self,
        payment_id: i64,
        after: Duration,
    ) -> Result<(), StoreError> {
        jobs::schedule_refresh(&self.store, &self.clock, payment_id, after).await
    }
}

/// The refusal of an operation the payment's status does not allow.
fn not_allowed(payment: &Payment, operation: Operation) -> PaymentsError {
    PaymentsError::NotAllowed {
        operation: operation.label(),
        status: payment
            .provider_status_label
            .clone()
            .unwrap_or_else(|| "未確定".to_owned()),
    }
}

/// The amount an operation is sent with: the new amount of 金額変更, the amount to refund of
/// 返金処理 (the whole payment when none or 0 is given, or when the provider refunds only
/// whole payments), the payment's amount otherwise.
fn operation_amount(
    payment: &Payment,
    operation: Operation,
    amount: Option<i64>,
    capabilities: Capabilities,
) -> Result<i64, PaymentsError> {
    match operation {
        Operation::ChangeAmount => {
            let a = amount
                .ok_or_else(|| PaymentsError::Amount("決済金額を入力してください。".to_owned()))?;
            if a < 1 || a == payment.amount {
                return Err(PaymentsError::Amount(
                    "決済金額は1円以上で、現在の金額と異なる金額を入力してください。".to_owned(),
                ));
            }
            Ok(a)
        }
        Operation::Refund => {
            let a = amount.filter(|a| *a != 0).unwrap_or(payment.amount);
            if a < 1 || a > payment.amount {
                return Err(PaymentsError::Amount(format!(
                    "返金額は1円以上{}円以下で入力してください。",
                    payment.amount
                )));
            }
            if a != payment.amount && !capabilities.partial_refund {
                return Err(PaymentsError::Amount(format!(
                    "この決済は一部だけの返金はできません。返金額は{}円(全額)にしてください。",
                    payment.amount
                )));
            }
            Ok(a)
        }
        _ => Ok(payment.amount),
    }
}
