//! The pre-payment log (決済直前ログ) and the payment error log (決済エラーログ).
//!
//! A checkout is logged under its link key before the buyer is handed to the provider.
//! [`Store::create_order_from_log`] turns a log into an order exactly once: the first
//! transaction to claim the log creates the order, any later one (the browser return and the
//! notification racing, or a second worker) gets the existing order back.

use chrono::{DateTime, Utc};

use super::{on_pool, NewJob, NewOrder, Store, StoreError};

/// A pre-payment log entry.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct PrepaymentLog {
    pub id: i64,
    pub link_key: String,
    pub provider: String,
    pub settlement_kind: String,
    pub amount: i64,
    pub customer_name: String,
    /// The whole checkout (cart, customer, delivery, payment) as JSON, never card data.
    pub checkout_json: String,
    pub order_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// What [`Store::create_order_from_log`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderFromLog {
    /// This call created the order.
    Created(i64),
    /// An earlier call had created it.
    Existing(i64),
}

impl OrderFromLog {
    /// The order id either way.
    pub fn order_id(self) -> i64 {
        match self {
            Self::Created(id) | Self::Existing(id) => id,
        }
    }
}

/// A checkout about to be logged.
#[derive(Clone, Debug)]
pub struct NewPrepaymentLog<'a> {
    pub link_key: &'a str,
    pub provider: &'a str,
    pub settlement_kind: &'a str,
    pub amount: i64,
    pub customer_name: &'a str,
    pub checkout_json: &'a str,
}

/// A payment error log entry.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct PaymentError {
    pub id: i64,
    pub provider: String,
    pub settlement_kind: String,
    pub link_key: String,
    pub order_id: Option<i64>,
    pub status_code: String,
    pub message: String,
    /// Provider response details, with card numbers already masked by the caller.
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// A new payment error.
#[derive(Clone, Debug)]
pub struct NewPaymentError<'a> {
    pub provider: &'a str,
    pub settlement_kind: &'a str,
    pub link_key: &'a str,
    pub order_id: Option<i64>,
    pub status_code: &'a str,
    pub message: &'a str,
    pub detail: &'a str,
}

const LOG_COLUMNS: &str =
    "id, link_key, provider, settlement_kind, amount, customer_name, checkout_json, order_id, created_at";

impl Store {
    /// Starts a checkout in one transaction: the pre-payment log (written before the
    /// hand-off) and its pending payment.
    pub async fn start_checkout(
        &self,
        log: &NewPrepaymentLog<'_>,
        payment: &super::NewPayment<'_>,
        now: DateTime<Utc>,
    ) -> Result<(i64, i64), StoreError> {
        let log_sql = "INSERT INTO prepayment_logs (link_key, provider, settlement_kind, amount, customer_name, checkout_json,
                   claimed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let log_id: i64 = sqlx::query_scalar(log_sql)
                .bind(log.link_key).bind(log.provider).bind(log.settlement_kind).bind(log.amount)
                .bind(log.customer_name).bind(log.checkout_json).bind(false).bind(now)
                .fetch_one(&mut *tx).await?;
            let payment_id: i64 = sqlx::query_scalar(super::orders::INSERT_PAYMENT)
                .bind(payment.order_id).bind(payment.provider).bind(payment.settlement_kind).bind(payment.link_key)
                .bind(payment.state).bind(payment.amount).bind(now)
                .fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok((log_id, payment_id))
        })
    }

    /// One log entry by link key.
    pub async fn prepayment_log(
        &self,
        link_key: &str,
    ) -> Result<Option<PrepaymentLog>, StoreError> {
        let sql = format!("SELECT {LOG_COLUMNS} FROM prepayment_logs WHERE link_key = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(link_key).fetch_optional(p).await?))
    }

    /// Log entries, newest first.
    pub async fn prepayment_logs(&self, limit: i64) -> Result<Vec<PrepaymentLog>, StoreError> {
        let sql = format!("SELECT {LOG_COLUMNS} FROM prepayment_logs ORDER BY id DESC LIMIT $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(limit).fetch_all(p).await?))
    }

    /// Deletes a log entry that has not become an order.
    pub async fn delete_prepayment_log(&self, link_key: &str) -> Result<bool, StoreError> {
        let sql = "DELETE FROM prepayment_logs WHERE link_key = $1 AND order_id IS NULL";
        Ok(
            on_pool!(self, p => sqlx::query(sql).bind(link_key).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Creates the order of a logged checkout exactly once, in one transaction: claim the
    /// log, insert the order and its items, link the log and the payment to the order, and
    /// enqueue the jobs `follow_ups` returns for the new order id (its mails), so they exist
    /// exactly when the order does.
    pub async fn create_order_from_log(
        &self,
        link_key: &str,
        o: &NewOrder,
        now: DateTime<Utc>,
        follow_ups: impl FnOnce(i64) -> Vec<NewJob>,
    ) -> Result<OrderFromLog, StoreError> {
        let claim = "UPDATE prepayment_logs SET claimed = $2 WHERE link_key = $1 AND claimed = $3 RETURNING id";
        let existing = "SELECT order_id FROM prepayment_logs WHERE link_key = $1";
        let link = "UPDATE prepayment_logs SET order_id = $2 WHERE link_key = $1";
        let link_payment = "UPDATE payments SET order_id = $2 WHERE link_key = $1";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let claimed: Option<i64> = sqlx::query_scalar(claim).bind(link_key).bind(true).bind(false)
                .fetch_optional(&mut *tx).await?;
            if claimed.is_none() {
                tx.rollback().await?;
                let order_id: Option<Option<i64>> = sqlx::query_scalar(existing).bind(link_key).fetch_optional(p).await?;
                return match order_id {
                    Some(Some(id)) => Ok(OrderFromLog::Existing(id)),
                    Some(None) => Err(StoreError::Corrupt(format!("pre-payment log {link_key} is claimed without an order"))),
                    None => Err(StoreError::NotFound("pre-payment log")),
                };
            }
            let id = super::orders::insert_order!(tx, o, now);
            sqlx::query(link).bind(link_key).bind(id).execute(&mut *tx).await?;
            sqlx::query(link_payment).bind(link_key).bind(id).execute(&mut *tx).await?;
            for job in follow_ups(id) {
                super::jobs::insert_job!(&mut *tx, &job, now);
            }
            tx.commit().await?;
            Ok(OrderFromLog::Created(id))
        })
    }

    /// Records a payment error.
    pub async fn record_payment_error(
        &self,
        e: &NewPaymentError<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO payment_errors (provider, settlement_kind, link_key, order_id, status_code, message, detail, at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
        Ok(on_pool!(self, p => sqlx::query_scalar(sql)
            .bind(e.provider).bind(e.settlement_kind).bind(e.link_key).bind(e.order_id).bind(e.status_code)
            .bind(e.message).bind(e.detail).bind(now)
            .fetch_one(p).await?))
    }

    /// Payment errors, newest first.
    pub async fn payment_errors(&self, limit: i64) -> Result<Vec<PaymentError>, StoreError> {
        let sql = "SELECT id, provider, settlement_kind, link_key, order_id, status_code, message, detail, at
                   FROM payment_errors ORDER BY id DESC LIMIT $1";
        Ok(on_pool!(self, p => sqlx::query_as(sql).bind(limit).fetch_all(p).await?))
    }

    /// How many payment errors are logged (the admin banner shows while any remain).
    pub async fn payment_error_count(&self) -> Result<i64, StoreError> {
        Ok(
            on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM payment_errors").fetch_one(p).await?),
        )
    }

    /// Deletes one payment error, or all of them with `None`.
    pub async fn delete_payment_errors(&self, id: Option<i64>) -> Result<u64, StoreError> {
        Ok(match id {
            Some(id) => {
                on_pool!(self, p => sqlx::query("DELETE FROM payment_errors WHERE id = $1").bind(id).execute(p).await?.rows_affected())
            }
            None => {
                on_pool!(self, p => sqlx::query("DELETE FROM payment_errors").execute(p).await?.rows_affected())
            }
        })
    }
}
