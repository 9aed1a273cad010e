//! The notification inbox: every notification a provider sent (or a difference inquiry
//! fetched), stored raw before it is acknowledged. The unique `dedup_key` makes a resent
//! notification a no-op.

use chrono::{DateTime, Utc};

use super::{on_pool, Store, StoreError};

/// A stored notification.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub provider: String,
    pub dedup_key: String,
    /// The body as received (form-encoded text; bytes outside printable ASCII escaped).
    pub raw_body: String,
    /// The trading id / link key it names, when it names one.
    pub link_key: String,
    /// `received` (verified), `unverified` (not verifiable: settled by an inquiry),
    /// `checked` (not verifiable and no inquiry: applied only if the amount fits and the
    /// payment still waits), `processed`, `unmatched` (no such payment: kept and flagged),
    /// `rejected` (hash, service or amount wrong), or `failed` (its processing failed for the
    /// last time: in the payment error log).
    pub status: String,
    pub detail: String,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
}

/// A notification about to be stored.
#[derive(Clone, Debug)]
pub struct NewNotification<'a> {
    pub provider: &'a str,
    pub dedup_key: &'a str,
    pub raw_body: &'a str,
    pub link_key: &'a str,
    pub status: &'a str,
    pub detail: &'a str,
}

const COLUMNS: &str =
    "id, provider, dedup_key, raw_body, link_key, status, detail, received_at, processed_at";

impl Store {
    /// Stores a notification; `None` when one with the same dedup key is already stored.
    pub async fn insert_notification(
        &self,
        n: &NewNotification<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let sql = "INSERT INTO notifications (provider, dedup_key, raw_body, link_key, status, detail, received_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedup_key) DO NOTHING RETURNING id";
        Ok(on_pool!(self, p => sqlx::query_scalar(sql)
            .bind(n.provider).bind(n.dedup_key).bind(n.raw_body).bind(n.link_key).bind(n.status)
            .bind(n.detail).bind(now)
            .fetch_optional(p).await?))
    }

    /// One notification.
    pub async fn notification(&self, id: i64) -> Result<Option<Notification>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM notifications WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// Notifications, newest first.
    pub async fn notifications(&self, limit: i64) -> Result<Vec<Notification>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM notifications ORDER BY id DESC LIMIT $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(limit).fetch_all(p).await?))
    }

    /// Notifications still waiting to be processed that arrived before `before`.
    pub async fn unprocessed_notifications(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Vec<Notification>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications WHERE status IN ('received', 'unverified')
             AND received_at < $1 ORDER BY id LIMIT 500"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(before).fetch_all(p).await?))
    }

    /// Records what processing a notification did.
    pub async fn finish_notification(
        &self,
        id: i64,
        status: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql =
            "UPDATE notifications SET status = $2, detail = $3, processed_at = $4 WHERE id = $1";
        on_pool!(self, p => sqlx::query(sql).bind(id).bind(status).bind(detail).bind(now).execute(p).await?.rows_affected());
        Ok(())
    }
}
