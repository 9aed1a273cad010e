//! Payments and their history (決済情報: 処理日時, 決済ID, 処理区分, 金額, 処理結果).
//!
//! A payment operation row is written before the provider is called and completed after,
//! so a crash in between leaves a `pending` row that a status inquiry can settle; a partial
//! unique index allows one pending row per payment. Status reports are applied with a
//! compare-and-set on the payment's `version`, so reports of one payment are applied one
//! after the other whatever runs them at the same time.

use chrono::{DateTime, Utc};

use super::{on_pool, Store, StoreError};
use crate::domain::payment::PaymentState;

/// A payment at a provider.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct Payment {
    pub id: i64,
    pub order_id: Option<i64>,
    pub provider: String,
    pub settlement_kind: String,
    /// The trading id the provider was given (the checkout's link key, or a charge's own).
    pub link_key: String,
    pub provider_payment_id: Option<String>,
    pub provider_status_code: Option<String>,
    pub provider_status_label: Option<String>,
    pub state: String,
    pub amount: i64,
    /// Scratch data of the hand-off between browser steps (JSON, never card numbers).
    pub handoff_json: String,
    /// What the buyer needs to pay (payment number, ATM numbers…) as JSON `[[label,
    /// value], …]`; empty when there is nothing to tell.
    pub details_json: String,
    /// The deadline to pay, for payments made after ordering.
    pub deadline: Option<DateTime<Utc>>,
    /// The provider environment (`test`, `production`) the payment was made in.
    pub environment: String,
    /// Where the payment came from: `checkout`, or `charge` (kessai charged a kept card).
    pub origin: String,
    /// Bumped by every status report applied: the compare-and-set that serializes them.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Payment {
    /// The normalized state.
    pub fn state(&self) -> PaymentState {
        PaymentState::parse(&self.state).unwrap_or(PaymentState::Pending)
    }

    /// What the buyer needs to pay a payment made after ordering, as (label, value) rows for
    /// the 購入完了 page, the API and the thank-you mail: the payment number and store of a
    /// convenience store payment, 収納機関番号 / お客様番号 / 確認番号 of an ATM payment, the
    /// bank choice page of net banking, then the deadline (お支払い期限, Japan time). Empty
    /// for a card.
    pub fn details(&self) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> =
            serde_json::from_str(&self.details_json).unwrap_or_default();
        if let Some(deadline) = self.deadline {
            rows.push((
                "お支払い期限".to_owned(),
                deadline
                    .with_timezone(&crate::clock::jst())
                    .format("%Y年%m月%d日 %H:%M")
                    .to_string(),
            ));
        }
        rows
    }
}

/// A payment about to be handed to a provider.
#[derive(Clone, Debug)]
pub struct NewPayment<'a> {
    pub order_id: Option<i64>,
    pub provider: &'a str,
    pub settlement_kind: &'a str,
    pub link_key: &'a str,
    pub state: &'a str,
    pub amount: i64,
    pub environment: &'a str,
    pub origin: &'a str,
}

/// What a provider reported about a payment.
#[derive(Clone, Debug)]
pub struct PaymentStatusUpdate<'a> {
    /// The provider's payment id, when it gave one (a new id replaces the old).
    pub provider_payment_id: Option<&'a str>,
    pub status_code: &'a str,
    pub status_label: &'a str,
    pub state: &'a str,
    pub amount: i64,
}

/// A status row of the history (a status the provider reported).
#[derive(Clone, Debug)]
pub struct StatusRow<'a> {
    pub label: &'a str,
    pub amount: i64,
    pub provider_payment_id: Option<&'a str>,
    /// Shown beside the row (a report that arrived after a later one).
    pub note: Option<&'a str>,
}

/// One call to a provider about a payment, or a status it reported.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct PaymentOperation {
    pub id: i64,
    pub payment_id: i64,
    /// An [`crate::domain::payment::Operation`] stored form, or `status` for a status row.
    pub operation: String,
    /// 処理区分 as the history shows it.
    pub label: String,
    pub amount: i64,
    pub provider_payment_id: Option<String>,
    /// An [`crate::domain::payment::OperationOutcome`] stored form.
    pub outcome: String,
    pub result_code: Option<String>,
    pub result_message: Option<String>,
    /// The key of the request that asked for the call (an API Idempotency-Key).
    pub request_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

const PAYMENT_COLUMNS: &str =
    "id, order_id, provider, settlement_kind, link_key, provider_payment_id,
    provider_status_code, provider_status_label, state, amount, handoff_json, details_json, deadline,
    environment, origin, version, created_at, updated_at";

/// [`INSERT_PAYMENT`] answering the whole stored [`Payment`].
pub(super) fn insert_payment_returning_it() -> String {
    INSERT_PAYMENT.replace("RETURNING id", &format!("RETURNING {PAYMENT_COLUMNS}"))
}

/// Inserts a payment (binds: order_id, provider, settlement_kind, link_key, state, amount,
/// now, environment, origin) and returns its id.
pub(super) const INSERT_PAYMENT: &str =
    "INSERT INTO payments (order_id, provider, settlement_kind, link_key, state,
    amount, created_at, updated_at, environment, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) RETURNING id";

/// The `operation` of a history row that records a status the provider reported.
pub const STATUS_ROW: &str = "status";

const OPERATION_COLUMNS: &str =
    "id, payment_id, operation, label, amount, provider_payment_id, outcome, result_code,
    result_message, request_key, created_at, completed_at";

impl Store {
    /// Creates a payment (before anything is sent to the provider).
    pub async fn create_payment(
        &self,
        p: &NewPayment<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(INSERT_PAYMENT)
            .bind(p.order_id).bind(p.provider).bind(p.settlement_kind).bind(p.link_key).bind(p.state).bind(p.amount).bind(now)
            .bind(p.environment).bind(p.origin)
            .fetch_one(pool).await?))
    }

    /// One payment.
    pub async fn payment(&self, id: i64) -> Result<Option<Payment>, StoreError> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// One payment by its link key (trading id).
    pub async fn payment_by_link_key(&self, link_key: &str) -> Result<Option<Payment>, StoreError> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE link_key = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(link_key).fetch_optional(p).await?))
    }

    /// The payment a provider knows by `provider_payment_id` (its current id).
    pub async fn payment_by_provider_id(
        &self,
        provider: &str,
        provider_payment_id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider = $1 AND provider_payment_id = $2"
        );
        Ok(
            on_pool!(self, p => sqlx::query_as(&sql).bind(provider).bind(provider_payment_id).fetch_optional(p).await?),
        )
    }

    /// Checkout payments without an order whose status was last written between `since`
    /// and `before` and has a code, oldest first: those whose status confirms the order lost
    /// it to a crash between the record and the order.
    pub async fn checkout_payments_without_order(
        &self,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<Payment>, StoreError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE origin = 'checkout'
                           AND order_id IS NULL AND provider_status_code IS NOT NULL
                           AND updated_at >= $1 AND updated_at < $2 ORDER BY id LIMIT 500"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(since).bind(before).fetch_all(p).await?))
    }

    /// Payments still waiting whose deadline to pay passed before `before`, oldest first.
    pub async fn payments_past_deadline(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Vec<Payment>, StoreError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE state = 'pending'
                           AND deadline IS NOT NULL AND deadline < $1 ORDER BY id LIMIT 500"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(before).fetch_all(p).await?))
    }

    /// Every payment of an order, oldest first: its checkout's, then any charge kessai made.
    pub async fn order_payments(&self, order_id: i64) -> Result<Vec<Payment>, StoreError> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = $1 ORDER BY id");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(order_id).fetch_all(p).await?))
    }

    /// The payment of an order's checkout: the one the order was created for (a unique
    /// index allows one per order).
    pub async fn checkout_payment(&self, order_id: i64) -> Result<Option<Payment>, StoreError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = $1 AND origin = 'checkout'"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(order_id).fetch_optional(p).await?))
    }

    /// Keeps (or, with an empty string, clears) a payment's hand-off scratch data.
    pub async fn set_payment_handoff(
        &self,
        id: i64,
        handoff_json: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE payments SET handoff_json = $2, updated_at = $3 WHERE id = $1";
        on_pool!(self, p => sqlx::query(sql).bind(id).bind(handoff_json).bind(now).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Keeps what the buyer needs to pay a payment (JSON `[[label, value], …]`) and the
    /// deadline to pay it.
    pub async fn set_payment_details(
        &self,
        id: i64,
        details_json: &str,
        deadline: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql =
            "UPDATE payments SET details_json = $2, deadline = $3, updated_at = $4 WHERE id = $1";
        on_pool!(self, p => sqlx::query(sql).bind(id).bind(details_json).bind(deadline).bind(now).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Applies a status report in one transaction, only if the payment is still at
    /// `version` (nobody applied another report meanwhile): the new status (when `update` is
    /// given) and the history row (when `row` is). Returns false, writing nothing, when the
    /// payment moved on; the caller reads it again and decides anew.
    pub async fn apply_payment_status(
        &self,
        id: i64,
        version: i64,
        update: Option<&PaymentStatusUpdate<'_>>,
        row: Option<&StatusRow<'_>>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let bump = "UPDATE payments SET version = version + 1 WHERE id = $1 AND version = $2";
        let set = "UPDATE payments SET provider_payment_id = COALESCE($3, provider_payment_id), provider_status_code = $4,
                   provider_status_label = $5, state = $6, amount = $7, updated_at = $8, version = version + 1
                   WHERE id = $1 AND version = $2";
        let insert = "INSERT INTO payment_operations (payment_id, operation, label, amount, provider_payment_id, outcome,
                      result_message, created_at, completed_at) VALUES ($1, $2, $3, $4, $5, 'succeeded', $6, $7, $7)";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = match update {
                Some(u) => sqlx::query(set).bind(id).bind(version).bind(u.provider_payment_id).bind(u.status_code)
                    .bind(u.status_label).bind(u.state).bind(u.amount).bind(now)
                    .execute(&mut *tx).await?.rows_affected(),
                None => sqlx::query(bump).bind(id).bind(version).execute(&mut *tx).await?.rows_affected(),
            };
            if n == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            if let Some(r) = row {
                sqlx::query(insert).bind(id).bind(STATUS_ROW).bind(r.label).bind(r.amount).bind(r.provider_payment_id)
                    .bind(r.note).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Writes a `pending` operation row before the provider is called and returns its id, or
    /// `None` when another operation on the payment is still waiting for its answer (or the
    /// request with `request_key` already asked for one).
    pub async fn begin_payment_operation(
        &self,
        payment_id: i64,
        operation: &str,
        label: &str,
        amount: i64,
        request_key: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let sql = "INSERT INTO payment_operations (payment_id, operation, label, amount, outcome, request_key, created_at)
                   VALUES ($1, $2, $3, $4, 'pending', $5, $6) RETURNING id";
        let inserted = on_pool!(self, p => sqlx::query_scalar(sql).bind(payment_id).bind(operation).bind(label)
            .bind(amount).bind(request_key).bind(now).fetch_one(p).await);
        match inserted {
            Ok(id) => Ok(Some(id)),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The operation a request asked for, if it did.
    pub async fn operation_of_request(
        &self,
        payment_id: i64,
        request_key: &str,
    ) -> Result<Option<PaymentOperation>, StoreError> {
        let sql = format!(
            "SELECT {OPERATION_COLUMNS} FROM payment_operations WHERE payment_id = $1 AND request_key = $2"
        );
        Ok(
            on_pool!(self, p => sqlx::query_as(&sql).bind(payment_id).bind(request_key).fetch_optional(p).await?),
        )
    }

    /// Completes a successful call that replaced the provider's payment id: the replaced id's
    /// final status row goes first, then the call's row (moved after it), in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_payment_operation_after_status(
        &self,
        id: i64,
        status_label: &str,
        old_amount: i64,
        old_payment_id: &str,
        new_payment_id: &str,
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let take = format!("DELETE FROM payment_operations WHERE id = $1 AND outcome = 'pending' RETURNING {OPERATION_COLUMNS}");
        let status = "INSERT INTO payment_operations (payment_id, operation, label, amount, provider_payment_id, outcome,
                      created_at, completed_at) VALUES ($1, $2, $3, $4, $5, 'succeeded', $6, $6)";
        let call = "INSERT INTO payment_operations (payment_id, operation, label, amount, provider_payment_id, outcome,
                    request_key, created_at, completed_at) VALUES ($1, $2, $3, $4, $5, 'succeeded', $6, $7, $8)";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let row: Option<PaymentOperation> = sqlx::query_as(&take).bind(id).fetch_optional(&mut *tx).await?;
            let Some(row) = row else {
                return Err(StoreError::NotFound("pending payment operation"));
            };
            sqlx::query(status).bind(row.payment_id).bind(STATUS_ROW).bind(status_label).bind(old_amount)
                .bind(old_payment_id).bind(now).execute(&mut *tx).await?;
            sqlx::query(call).bind(row.payment_id).bind(&row.operation).bind(label).bind(row.amount)
                .bind(new_payment_id).bind(&row.request_key).bind(row.created_at).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Removes a pending row whose call was never made.
    pub async fn abandon_payment_operation(&self, id: i64) -> Result<(), StoreError> {
        let sql = "DELETE FROM payment_operations WHERE id = $1 AND outcome = 'pending'";
        on_pool!(self, p => sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Completes an operation row with the provider's answer (an outcome other than
    /// `pending`); `label` replaces the row's 処理区分 when the provider's name for the call
    /// is known.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_payment_operation(
        &self,
        id: i64,
        outcome: &str,
        provider_payment_id: Option<&str>,
        result_code: Option<&str>,
        result_message: Option<&str>,
        label: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE payment_operations SET outcome = $2, provider_payment_id = $3, result_code = $4,
                   result_message = $5, label = COALESCE($6, label), completed_at = $7 WHERE id = $1 AND outcome = 'pending'";
        let n = on_pool!(self, p => sqlx::query(sql).bind(id).bind(outcome).bind(provider_payment_id).bind(result_code)
            .bind(result_message).bind(label).bind(now).execute(p).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound("pending payment operation"));
        }
        Ok(())
    }

    /// A payment's operations, oldest first.
    pub async fn payment_operations(
        &self,
        payment_id: i64,
    ) -> Result<Vec<PaymentOperation>, StoreError> {
        let sql = format!(
            "SELECT {OPERATION_COLUMNS} FROM payment_operations WHERE payment_id = $1 ORDER BY id"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(payment_id).fetch_all(p).await?))
    }

    /// Operation rows still waiting for an answer whose call started before `before`, oldest
    /// first (a crash or a timeout left them; a status inquiry settles them).
    pub async fn stale_payment_operations(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Vec<PaymentOperation>, StoreError> {
        let sql = format!(
            "SELECT {OPERATION_COLUMNS} FROM payment_operations WHERE outcome = 'pending'
                           AND created_at < $1 ORDER BY id"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(before).fetch_all(p).await?))
    }
}
