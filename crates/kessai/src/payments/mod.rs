//! Payments after the checkout: the operator's operations (売上処理, 金額変更, キャンセル処理,
//! 返金処理, 状態更新), provider status reports (from operations, notifications and
//! inquiries) applied to the payment and its history, and the payment error log.
//!
//! Every provider call is persisted first (a `pending` history row, at most one per
//! payment), then made, then completed. A call whose outcome is unknown keeps its row
//! pending and schedules a status inquiry ([`RefreshPayment`]), which settles it.

pub mod notifications;
pub mod provider;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::domain::order::{OrderStatus, ReceiptStatus};
use crate::domain::payment::{Operation, PaymentState};
use crate::jobs::{self, Job, JobError, Registry};
use crate::providers::{self, paygent};
use crate::settings::Settings;
use crate::store::{NewPaymentError, Payment, PaymentStatusUpdate, Store, StoreError};
use provider::{Connector, Done, ProviderError, Report};

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
    cache: Arc<Mutex<Option<CachedConfig>>>,
}

/// Paygent's settings as read at an instant and settings generation.
#[derive(Debug)]
struct CachedConfig {
    at: Instant,
    generation: u64,
    config: Arc<paygent::Config>,
}

/// The actor of changes kessai makes by itself (the 操作ログ's 操作者).
pub const SYSTEM_ACTOR: &str = "system";

/// How long provider settings are reused before they are read again.
pub const SETTINGS_TTL: std::time::Duration = std::time::Duration::from_secs(2);

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
        }
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

    /// Paygent's settings, read at most every [`SETTINGS_TTL`]: a change saved on another
    /// instance takes effect within that time, one saved here at once. The client inside
    /// keeps its connections.
    pub async fn paygent(&self) -> Result<Arc<paygent::Config>, StoreError> {
        let generation = self.settings.generation();
        if let Some(cached) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            if cached.at.elapsed() < SETTINGS_TTL && cached.generation == generation {
                return Ok(cached.config.clone());
            }
        }
        let values = self.settings.provider(&paygent::settings::SETTINGS).await?;
        let config = Arc::new(paygent::Config::from_values(
            &values,
            &self.public_url,
            &self.data_dir,
        ));
        *self.cache.lock().unwrap_or_else(PoisonError::into_inner) = Some(CachedConfig {
            at: Instant::now(),
            generation,
            config: config.clone(),
        });
        Ok(config)
    }

    /// The connector of a provider.
    pub async fn connector(&self, provider: &str) -> Result<Connector, PaymentsError> {
        match provider {
            "paygent" => Ok(Connector::Paygent((*self.paygent().await?).clone())),
            other => Err(ProviderError::NotConfigured(format!(
                "{}の決済連携はまだ利用できません。",
                providers::provider(other).map_or(other, |p| p.label)
            ))
            .into()),
        }
    }

    /// The operations the payment allows now (the buttons of the 決済情報 dialog).
    pub fn allowed(payment: &Payment) -> &'static [Operation] {
        provider::capabilities(
            &payment.provider,
            &payment.settlement_kind,
            payment.provider_status_code.as_deref(),
        )
    }

    /// Performs an operator operation. `amount` is the new amount (金額変更) or the amount to
    /// refund (返金処理; none or 0 refunds the whole payment, as the manual's Paidy 返金 says
    /// 「全額返金であれば「0」を入力」); other operations ignore it.
    pub async fn perform(
        &self,
        payment_id: i64,
        operation: Operation,
        amount: Option<i64>,
        actor: &str,
    ) -> Result<Payment, PaymentsError> {
        let payment = self
            .store
            .payment(payment_id)
            .await?
            .ok_or(PaymentsError::NotFound)?;
        if operation == Operation::Refresh {
            self.refresh(&payment).await?;
        } else {
            self.operate(&payment, operation, amount, actor).await?;
        }
        self.store
            .payment(payment_id)
            .await?
            .ok_or(PaymentsError::NotFound)
    }

    async fn operate(
        &self,
        payment: &Payment,
        operation: Operation,
        amount: Option<i64>,
        actor: &str,
    ) -> Result<(), PaymentsError> {
        if !Self::allowed(payment).contains(&operation) {
            return Err(PaymentsError::NotAllowed {
                operation: operation.label(),
                status: payment
                    .provider_status_label
                    .clone()
                    .unwrap_or_else(|| "未確定".to_owned()),
            });
        }
        let amount = match operation {
            Operation::ChangeAmount => {
                let a = amount.ok_or_else(|| {
                    PaymentsError::Amount("決済金額を入力してください。".to_owned())
                })?;
                if a < 1 || a == payment.amount {
                    return Err(PaymentsError::Amount(
                        "決済金額は1円以上で、現在の金額と異なる金額を入力してください。"
                            .to_owned(),
                    ));
                }
                a
            }
            Operation::Refund => {
                let a = amount.filter(|a| *a != 0).unwrap_or(payment.amount);
                if a < 1 || a > payment.amount {
                    return Err(PaymentsError::Amount(format!(
                        "返金額は1円以上{}円以下で入力してください。",
                        payment.amount
                    )));
                }
                a
            }
            _ => payment.amount,
        };
        let connector = self.connector(&payment.provider).await?;
        let label = operation.label();
        let now = self.clock.now();
        let row = self
            .store
            .begin_payment_operation(payment.id, operation.as_str(), label, amount, now)
            .await?
            .ok_or(PaymentsError::Busy)?;
        let result = match operation {
            Operation::Capture => connector.capture(payment).await,
            Operation::ChangeAmount => connector.change_amount(payment, amount).await,
            Operation::Cancel => connector.cancel(payment).await,
            Operation::Refund => connector.refund(payment, amount).await,
            Operation::Authorize | Operation::Refresh => unreachable!("not an operator call"),
        };
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
        // The call itself tells which payment id is current now (a new one after 補正).
        let mut current = payment.clone();
        current.provider_payment_id = Some(done.payment_id.clone());
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
                self.apply(&current, &done.status).await
            }
            None => {
                self.apply(&current, &done.status).await?;
                self.store
                    .complete_payment_operation(
                        row,
                        "succeeded",
                        (!done.payment_id.is_empty()).then_some(done.payment_id.as_str()),
                        None,
                        None,
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
                    "failed",
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
        let report = match connector.refresh(payment).await {
            Ok(report) => report,
            Err(ProviderError::NoSuchPayment) => {
                self.settle_never_received(payment.id).await?;
                return Err(ProviderError::NoSuchPayment.into());
            }
            Err(e) => {
                if !matches!(e, ProviderError::Unknown(_)) {
                    self.log_error(payment, "", &e.to_string(), "").await?;
                }
                return Err(e.into());
            }
        };
        self.apply(payment, &report).await?;
        self.settle_pending(payment, &report).await?;
        Ok(report)
    }

    /// Fails the pending rows of a payment the provider does not know: their calls never
    /// reached it, so nothing happened there.
    async fn settle_never_received(&self, payment_id: i64) -> Result<(), StoreError> {
        let now = self.clock.now();
        for row in self.store.payment_operations(payment_id).await? {
            if row.outcome == "pending" {
                self.store
                    .complete_payment_operation(
                        row.id,
                        "failed",
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
            if row.outcome != "pending" {
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
                Some(Operation::Authorize) => provider::confirms_order(
                    &payment.provider,
                    &payment.settlement_kind,
                    &report.code,
                ),
                Some(Operation::Refresh) | None => true,
            };
            let (outcome, message) = if reached {
                (
                    "succeeded",
                    format!("状態照会で確認しました({})", report.label),
                )
            } else {
                (
                    "failed",
                    format!("状態照会の結果、処理は反映されていません({})", report.label),
                )
            };
            self.store
                .complete_payment_operation(
                    row.id,
                    outcome,
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

    /// Applies a provider status to a payment: a report about the current payment id moves
    /// the payment (never out of a final state) and adds a history row when something changed;
    /// a report about a replaced payment id, or about a declined attempt under another id,
    /// only adds its history row once.
    pub async fn apply(&self, payment: &Payment, report: &Report) -> Result<(), StoreError> {
        let now = self.clock.now();
        let amount = report.amount.unwrap_or(payment.amount);
        let current_id = payment.provider_payment_id.as_deref().unwrap_or("");
        let history = self.store.payment_operations(payment.id).await?;
        let seen = history.iter().any(|row| {
            row.operation == crate::store::STATUS_ROW
                && row.label == report.label
                && row.provider_payment_id.as_deref().unwrap_or("") == report.payment_id
                && row.amount == amount
        });
        let about_other_id = !report.payment_id.is_empty() && current_id != report.payment_id;
        // A replaced payment id (after 補正売上), or a declined attempt the buyer followed
        // with another card: its status belongs in the history, never on the payment.
        let about_replaced = about_other_id
            && !current_id.is_empty()
            && history
                .iter()
                .any(|row| row.provider_payment_id.as_deref() == Some(report.payment_id.as_str()));
        let declined_attempt = about_other_id && report.state == PaymentState::Failed;
        if about_replaced || declined_attempt {
            if !seen {
                self.store
                    .record_payment_status(
                        payment.id,
                        &report.label,
                        amount,
                        Some(&report.payment_id),
                        now,
                    )
                    .await?;
            }
            return Ok(());
        }
        let state = payment.state();
        let unchanged = payment.provider_status_code.as_deref() == Some(report.code.as_str())
            && payment.amount == amount
            && current_id == report.payment_id;
        if unchanged && seen {
            return Ok(());
        }
        if !state.can_become(report.state) {
            tracing::info!(payment.id, from = %state, to = %report.state, "late status report ignored");
            return Ok(());
        }
        let update = PaymentStatusUpdate {
            provider_payment_id: (!report.payment_id.is_empty())
                .then_some(report.payment_id.as_str()),
            status_code: &report.code,
            status_label: &report.label,
            state: report.state.as_str(),
            amount,
        };
        self.store
            .update_payment_status(payment.id, &update, now)
            .await?;
        if !seen {
            self.store
                .record_payment_status(
                    payment.id,
                    &report.label,
                    amount,
                    update.provider_payment_id,
                    now,
                )
                .await?;
        }
        if let Some(order_id) = payment.order_id {
            self.settle_order(order_id, &payment.settlement_kind, report)
                .await?;
        }
        Ok(())
    }

    /// Keeps an order paid after ordering (convenience store, ATM, net banking: its 入金状況
    /// starts 未入金) in step with its payment: paid (消込済) makes it 入金済み; the deadline
    /// passing (支払期限切) cancels it (対応状況 キャンセル), as the Welcart manuals treat an
    /// unpaid payment deadline (「支払い期限日を過ぎると受注はキャンセル扱いになります」).
    /// Other orders are left alone.
    pub async fn settle_order(
        &self,
        order_id: i64,
        kind: &str,
        report: &Report,
    ) -> Result<(), StoreError> {
        if providers::initial_receipt_status(kind) != ReceiptStatus::Unpaid {
            return Ok(());
        }
        let Some(order) = self.store.order(order_id).await? else {
            return Ok(());
        };
        let now = self.clock.now();
        let target = format!("order:{order_id}");
        match report.state {
            PaymentState::Captured if order.receipt_status != ReceiptStatus::Paid.as_str() => {
                self.store
                    .set_order_receipt_status(order_id, ReceiptStatus::Paid.as_str(), now)
                    .await?;
                self.store
                    .audit(
                        SYSTEM_ACTOR,
                        "入金状況を入金済みに変更",
                        &target,
                        &report.label,
                        now,
                    )
                    .await?;
            }
            PaymentState::Expired if order.order_status != OrderStatus::Cancelled.as_str() => {
                self.store
                    .set_order_status(order_id, OrderStatus::Cancelled.as_str(), now)
                    .await?;
                self.store
                    .audit(
                        SYSTEM_ACTOR,
                        "対応状況をキャンセルに変更",
                        &target,
                        &report.label,
                        now,
                    )
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Keeps a member's card at Paygent (025, given as a card token) and its reference here.
    pub async fn add_stored_card(
        &self,
        member_id: i64,
        card_token: &str,
    ) -> Result<crate::store::StoredCard, PaymentsError> {
        let customer_id = paygent::Config::customer_id(member_id);
        let client = self
            .paygent()
            .await?
            .client()
            .map_err(ProviderError::from)?;
        let card = client
            .store_card(&customer_id, card_token)
            .await
            .map_err(ProviderError::from)?;
        let masked = card.masked_card_number;
        let last4 = masked.get(masked.len().saturating_sub(4)..).unwrap_or("");
        Ok(self
            .store
            .add_stored_card(
                &crate::store::NewStoredCard {
                    member_id,
                    provider: "paygent",
                    customer_id: &customer_id,
                    card_ref: &card.customer_card_id,
                    last4,
                    expiry: &card.card_valid_term,
                    brand: &card.card_brand,
                },
                self.clock.now(),
            )
            .await?)
    }

    /// Removes a member's stored card: at the provider (026), then the reference here. A card
    /// the provider no longer has is only forgotten here.
    pub async fn remove_stored_card(&self, card_id: i64, actor: &str) -> Result<(), PaymentsError> {
        let card = self
            .store
            .stored_card(card_id)
            .await?
            .ok_or(PaymentsError::NotFound)?;
        if card.provider != "paygent" {
            return Err(ProviderError::NotConfigured(
                "この決済会社のカード登録はまだ解除できません。".to_owned(),
            )
            .into());
        }
        let client = self
            .paygent()
            .await?
            .client()
            .map_err(ProviderError::from)?;
        match client.delete_card(&card.customer_id, &card.card_ref).await {
            Ok(()) => {}
            Err(paygent::client::PaygentError::Rejected { code, .. })
                if matches!(code.as_str(), "P022" | "P025" | "P026") => {}
            Err(e) => return Err(ProviderError::from(e).into()),
        }
        self.store.delete_stored_card(card.id).await?;
        self.store
            .audit(
                actor,
                "登録カードを解除",
                &format!("member:{}", card.member_id),
                &format!("下4桁 {}", card.last4),
                self.clock.now(),
            )
            .await?;
        Ok(())
    }

    /// Schedules a status inquiry of a payment (once per payment while one is waiting).
    pub async fn schedule_refresh(
        &self,
        payment_id: i64,
        after: Duration,
    ) -> Result<(), StoreError> {
        let at = self.clock.now() + after;
        jobs::enqueue(
            &self.store,
            &self.clock,
            &RefreshPayment { payment_id },
            Some(format!(
                "refresh-payment:{payment_id}:{}",
                at.timestamp() / 60
            )),
            Some(at),
        )
        .await
        .map(drop)
    }
}

/// Replaces every run of 13–19 digits (a card number) by asterisks and its last four digits.
pub fn mask_card_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if (13..=19).contains(&digits.len()) {
            out.push_str(&"*".repeat(digits.len() - 4));
            out.push_str(&digits[digits.len() - 4..]);
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// Asks the provider for a payment's status and settles calls left pending (timeouts,
/// crashes between the call and its record).
#[derive(Debug, Serialize, Deserialize)]
pub struct RefreshPayment {
    pub payment_id: i64,
}

impl Job for RefreshPayment {
    const KIND: &'static str = "refresh_payment";
}

/// Registers the payment jobs.
pub fn register(registry: &mut Registry, payments: Payments) {
    let p = payments.clone();
    registry.register(move |job: RefreshPayment| {
        let p = p.clone();
        async move {
            let payment = p
                .store
                .payment(job.payment_id)
                .await?
                .ok_or_else(|| JobError(format!("payment {} is gone", job.payment_id)))?;
            match p.refresh(&payment).await {
                Ok(_) | Err(PaymentsError::Provider(ProviderError::NoSuchPayment)) => Ok(()),
                Err(e) => Err(JobError(e.to_string())),
            }
        }
    });
    notifications::register(registry, payments);
}

#[cfg(test)]
mod tests {
    use super::mask_card_numbers;

    #[test]
    fn card_numbers_are_masked_in_error_details() {
        assert_eq!(
            mask_card_numbers("card 4900000000008101 refused (1C01), order 1001"),
            "card ************8101 refused (1C01), order 1001"
        );
        assert_eq!(mask_card_numbers("20251123120000"), "**********0000");
    }
}
