//! The mail outbox (メール送信履歴): every composed mail with its whole text and delivery
//! state. A mail is inserted together with the job that delivers it, in one transaction, so
//! neither exists without the other.

use chrono::{DateTime, Utc};

use super::jobs::insert_job;
use super::{on_pool, NewJob, Store, StoreError};

/// A mail as stored.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct Mail {
    pub id: i64,
    pub order_id: Option<i64>,
    /// A [`crate::mail::MailKind`] stored form.
    pub kind: String,
    /// `名前 <address>` or a bare address.
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// A [`crate::mail::MailStatus`] stored form.
    pub status: String,
    /// Delivery attempts made so far.
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A composed mail to queue.
#[derive(Clone, Debug)]
pub struct NewMail {
    pub order_id: Option<i64>,
    pub kind: &'static str,
    /// At most one mail ever exists per key (`None`: no limit, e.g. the operator's resend).
    pub dedup_key: Option<String>,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

const MAIL_COLUMNS: &str = "id, order_id, kind, sender, recipient, subject, body, status, attempts,
    last_error, created_at, sent_at";

impl Store {
    /// Queues mails in one transaction, each with the job `delivery(mail id)` returns. A mail
    /// whose dedup key exists already is skipped with its job. Returns the new mails' ids.
    pub async fn queue_mails(
        &self,
        mails: &[NewMail],
        now: DateTime<Utc>,
        delivery: impl Fn(i64) -> NewJob,
    ) -> Result<Vec<i64>, StoreError> {
        let sql = "INSERT INTO mails (order_id, kind, dedup_key, sender, recipient, subject, body, status,
                   attempts, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8)
                   ON CONFLICT (dedup_key) DO NOTHING RETURNING id";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let mut ids = Vec::new();
            for m in mails {
                let id: Option<i64> = sqlx::query_scalar(sql)
                    .bind(m.order_id).bind(m.kind).bind(&m.dedup_key).bind(&m.sender).bind(&m.recipient)
                    .bind(&m.subject).bind(&m.body).bind(now)
                    .fetch_optional(&mut *tx).await?;
                if let Some(id) = id {
                    insert_job!(&mut *tx, &delivery(id), now);
                    ids.push(id);
                }
            }
            tx.commit().await?;
            Ok(ids)
        })
    }

    /// One mail.
    pub async fn mail(&self, id: i64) -> Result<Option<Mail>, StoreError> {
        let sql = format!("SELECT {MAIL_COLUMNS} FROM mails WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// A page of mails, newest first.
    pub async fn mails(&self, limit: i64, offset: i64) -> Result<Vec<Mail>, StoreError> {
        let sql = format!("SELECT {MAIL_COLUMNS} FROM mails ORDER BY id DESC LIMIT $1 OFFSET $2");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(limit).bind(offset).fetch_all(p).await?))
    }

    /// How many mails there are.
    pub async fn mail_count(&self) -> Result<i64, StoreError> {
        Ok(
            on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM mails").fetch_one(p).await?),
        )
    }

    /// The mails of an order, oldest first.
    pub async fn mails_of_order(&self, order_id: i64) -> Result<Vec<Mail>, StoreError> {
        let sql = format!("SELECT {MAIL_COLUMNS} FROM mails WHERE order_id = $1 ORDER BY id");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(order_id).fetch_all(p).await?))
    }

    /// Records a delivery (`status` sent or written); false when the mail was delivered
    /// already, so a second delivery never overwrites the first one's time.
    pub async fn record_mail_delivered(
        &self,
        id: i64,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql =
            "UPDATE mails SET status = $2, sent_at = $3, attempts = attempts + 1, last_error = NULL
                   WHERE id = $1 AND status IN ('queued', 'failed')";
        Ok(
            on_pool!(self, p => sqlx::query(sql).bind(id).bind(status).bind(now)
            .execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Records a failed attempt; `status` is queued while the job retries, failed after its
    /// last attempt.
    pub async fn record_mail_failure(
        &self,
        id: i64,
        status: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE mails SET status = $2, attempts = attempts + 1, last_error = $3
                   WHERE id = $1 AND status IN ('queued', 'failed')";
        on_pool!(self, p => sqlx::query(sql).bind(id).bind(status).bind(error).execute(p).await?.rows_affected());
        Ok(())
    }
}
