//! The pre-payment log (決済直前ログ) and the payment error log (決済エラーログ).
//!
//! A checkout is logged under its link key before the buyer is handed to the provider.
//! [`Store::create_order_from_log`] turns a log into an order exactly once: the first
//! transaction to claim the log creates the order, any later one (the browser return and the
//! notification racing, or a second worker) gets the existing order back.

use chrono::{DateTime, Utc};

use super::{on_pool, NewJob, NewOrder, Store, StoreError};

/// Takes the next 注文番号 (see the `order_number_counter` migration).
const NEXT_ORDER_NUMBER: &str =
    "UPDATE order_number_counter SET last = last + 1 WHERE id = 1 RETURNING last";

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

/// What the log keeps of a checkout (its `checkout_json`): the order it creates and where
/// the buyer goes after paying; never card data.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LoggedCheckout {
    pub order: NewOrder,
    /// A headless shop's page to send the buyer back to; kessai's 購入完了 when absent.
    pub return_url: Option<String>,
}

impl PrepaymentLog {
    /// The logged checkout.
    pub fn checkout(&self) -> Result<LoggedCheckout, StoreError> {
        serde_json::from_str(&self.checkout_json)
            .map_err(|e| StoreError::Corrupt(format!("pre-payment log {}: {e}", self.link_key)))
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
    /// When the operator marked it 確認済み.
    pub confirmed_at: Option<DateTime<Utc>>,
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

/// The 決済直前ログ一覧's search; empty fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    /// Part of the リンクキー or of the buyer's name (spaces ignored).
    pub keyword: String,
    /// Logged at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Logged before this instant.
    pub until: Option<DateTime<Utc>>,
}

/// The log entries a [`LogFilter`] selects (binds `$1`-`$4`).
const FILTERED_LOGS: &str = "FROM prepayment_logs
    WHERE ($1 = '' OR link_key LIKE $2 ESCAPE '\\' OR REPLACE(customer_name, ' ', '') LIKE $2 ESCAPE '\\')
      AND ($3 IS NULL OR created_at >= $3) AND ($4 IS NULL OR created_at < $4)";

/// Binds a [`LogFilter`] as [`FILTERED_LOGS`] expects it.
macro_rules! bind_log_filter {
    ($query:expr, $f:expr) => {{
        let f: &LogFilter = $f;
        $query
            .bind(f.keyword.trim().to_owned())
            .bind(super::like_pattern(&f.keyword))
            .bind(f.from)
            .bind(f.until)
    }};
}

const ERROR_COLUMNS: &str =
    "id, provider, settlement_kind, link_key, order_id, status_code, message, detail, at, confirmed_at";

const LOG_COLUMNS: &str =
    "id, link_key, provider, settlement_kind, amount, customer_name, checkout_json, order_id, created_at";

impl Store {
    /// Starts a checkout in one transaction: the pre-payment log (written before the
    /// hand-off) and its pending payment; answers both as stored.
    pub async fn start_checkout(
        &self,
        log: &NewPrepaymentLog<'_>,
        payment: &super::NewPayment<'_>,
        now: DateTime<Utc>,
    ) -> Result<(PrepaymentLog, super::Payment), StoreError> {
        let log_sql = format!("INSERT INTO prepayment_logs (link_key, provider, settlement_kind, amount, customer_name, checkout_json,
                   claimed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {LOG_COLUMNS}");
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let log: PrepaymentLog = sqlx::query_as(&log_sql)
                .bind(log.link_key).bind(log.provider).bind(log.settlement_kind).bind(log.amount)
                .bind(log.customer_name).bind(log.checkout_json).bind(false).bind(now)
                .fetch_one(&mut *tx).await?;
            let payment: super::Payment = sqlx::query_as(&super::payments::insert_payment_returning_it())
                .bind(payment.order_id).bind(payment.provider).bind(payment.settlement_kind).bind(payment.link_key)
                .bind(payment.state).bind(payment.amount).bind(now).bind(payment.environment).bind(payment.origin)
                .fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok((log, payment))
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
        self.search_prepayment_logs(&LogFilter::default(), limit, 0)
            .await
    }

    /// A page of the log entries a filter selects, newest first (決済直前ログ一覧).
    pub async fn search_prepayment_logs(
        &self,
        filter: &LogFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<PrepaymentLog>, StoreError> {
        let sql =
            format!("SELECT {LOG_COLUMNS} {FILTERED_LOGS} ORDER BY id DESC LIMIT $5 OFFSET $6");
        Ok(
            on_pool!(self, p => bind_log_filter!(sqlx::query_as(&sql), filter).bind(limit).bind(offset).fetch_all(p).await?),
        )
    }

    /// How many log entries a filter selects.
    pub async fn prepayment_log_count(&self, filter: &LogFilter) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(*) {FILTERED_LOGS}");
        Ok(
            on_pool!(self, p => bind_log_filter!(sqlx::query_scalar(&sql), filter).fetch_one(p).await?),
        )
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
    /// log, give the order the next 注文番号, insert it (ordered at `created_at`) and its
    /// items, link the log and the payment to the order, and enqueue the jobs `follow_ups`
    /// returns for the new order id (its mails), so they exist exactly when the order does.
    pub async fn create_order_from_log(
        &self,
        link_key: &str,
        o: &NewOrder,
        created_at: DateTime<Utc>,
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
            // The next 注文番号, taken in the order's own transaction (the counter's row
            // lock serializes concurrent orders).
            let last: i64 = sqlx::query_scalar(NEXT_ORDER_NUMBER).fetch_one(&mut *tx).await?;
            let numbered = NewOrder { order_number: format!("{last:08}"), ..o.clone() };
            let id = super::orders::insert_order!(tx, &numbered, created_at, now);
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
        self.payment_errors_page(limit, 0).await
    }

    /// A page of the payment errors, newest first.
    pub async fn payment_errors_page(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<PaymentError>, StoreError> {
        let sql = format!(
            "SELECT {ERROR_COLUMNS} FROM payment_errors ORDER BY id DESC LIMIT $1 OFFSET $2"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(limit).bind(offset).fetch_all(p).await?))
    }

    /// One payment error.
    pub async fn payment_error(&self, id: i64) -> Result<Option<PaymentError>, StoreError> {
        let sql = format!("SELECT {ERROR_COLUMNS} FROM payment_errors WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// How many payment errors are logged (the admin banner shows while any remain).
    pub async fn payment_error_count(&self) -> Result<i64, StoreError> {
        Ok(
            on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM payment_errors").fetch_one(p).await?),
        )
    }

    /// How many payment errors the operator has not confirmed yet (the admin's banner).
    pub async fn unconfirmed_payment_error_count(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM payment_errors WHERE confirmed_at IS NULL";
        Ok(on_pool!(self, p => sqlx::query_scalar(sql).fetch_one(p).await?))
    }

    /// Marks the chosen payment errors, or all of them with `None`, 確認済み, audited;
    /// answers how many were marked now.
    pub async fn confirm_payment_errors(
        &self,
        ids: Option<&[i64]>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let one =
            "UPDATE payment_errors SET confirmed_at = $2 WHERE id = $1 AND confirmed_at IS NULL";
        let all = "UPDATE payment_errors SET confirmed_at = $1 WHERE confirmed_at IS NULL";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let mut marked = 0;
            match ids {
                Some(ids) => for id in ids {
                    marked += sqlx::query(one).bind(id).bind(now).execute(&mut *tx).await?.rows_affected();
                },
                None => marked = sqlx::query(all).bind(now).execute(&mut *tx).await?.rows_affected(),
            }
            let detail = format!("{marked}件");
            let audit = super::AuditNote { actor, action: "決済エラーログを確認済みにする", target: "payment_errors", detail: &detail };
            super::audit::insert_audit!(tx, &audit, now);
            tx.commit().await?;
            Ok(marked)
        })
    }

    /// Deletes the chosen payment errors, or all of them with `None`, in one transaction;
    /// returns how many went.
    pub async fn delete_payment_errors(&self, ids: Option<&[i64]>) -> Result<u64, StoreError> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let mut n = 0;
            match ids {
                Some(ids) => {
                    for id in ids {
                        n += sqlx::query("DELETE FROM payment_errors WHERE id = $1").bind(id)
                            .execute(&mut *tx).await?.rows_affected();
                    }
                }
                None => n = sqlx::query("DELETE FROM payment_errors").execute(&mut *tx).await?.rows_affected(),
            }
            tx.commit().await?;
            Ok(n)
        })
    }
}
