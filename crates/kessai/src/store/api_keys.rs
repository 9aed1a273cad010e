//! JSON API keys and the Idempotency-Key records of the requests made with them.
//!
//! A key is kept only as a SHA-256 hash plus its first characters (to tell keys apart in the
//! admin). An idempotency record is claimed by inserting it before the request's work starts;
//! the insert that wins owns the key, every other request with the same key reads the record.

use chrono::{DateTime, Utc};

use super::{on_pool, Store, StoreError};

/// An API key as the admin lists it (never the key itself).
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    /// The key's first characters (`ks_live_AbCd`).
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An Idempotency-Key record: who claimed it for which request, and the saved response once
/// the request has finished (`None` while it is in flight).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub created_at: DateTime<Utc>,
}

const KEY_COLUMNS: &str = "id, name, prefix, created_at, last_used_at, revoked_at";

/// How long idempotency records are kept (housekeeping purges older ones).
pub const IDEMPOTENCY_KEEP_HOURS: i64 = 24;

impl Store {
    /// Records a new key by its hash; returns its id.
    pub async fn create_api_key(
        &self,
        name: &str,
        prefix: &str,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO api_keys (name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
        Ok(
            on_pool!(self, p => sqlx::query_scalar(sql).bind(name).bind(prefix).bind(key_hash).bind(now)
            .fetch_one(p).await?),
        )
    }

    /// Every key, newest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id DESC");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// One key.
    pub async fn api_key(&self, id: i64) -> Result<Option<ApiKey>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// The key with this hash, revoked or not.
    pub async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKey>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(key_hash).fetch_optional(p).await?))
    }

    /// Revokes a key; `false` when it was already revoked (or does not exist).
    pub async fn revoke_api_key(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let sql = "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        let n = on_pool!(self, p => sqlx::query(sql).bind(id).bind(now).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Sets a key's last use to `now` unless it was already set after `unless_after` (so
    /// several instances write it at most about once per interval).
    pub async fn touch_api_key(
        &self,
        id: i64,
        now: DateTime<Utc>,
        unless_after: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)";
        on_pool!(self, p => sqlx::query(sql).bind(id).bind(now).bind(unless_after).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Claims an idempotency key for a request; `false` when a record already exists.
    pub async fn claim_idempotency_key(
        &self,
        api_key_id: i64,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql =
            "INSERT INTO idempotency_keys (api_key_id, idempotency_key, request_hash, created_at)
                   VALUES ($1, $2, $3, $4) ON CONFLICT (api_key_id, idempotency_key) DO NOTHING
                   RETURNING api_key_id";
        let claimed: Option<i64> = on_pool!(self, p => sqlx::query_scalar(sql).bind(api_key_id).bind(key)
            .bind(request_hash).bind(now).fetch_optional(p).await?);
        Ok(claimed.is_some())
    }

    /// Takes over a claim for the same request that has had no response since
    /// `stale_before` (its request died: a crash, a lost connection to the database);
    /// `false` when another request took it first or it has finished meanwhile.
    pub async fn take_over_idempotency_key(
        &self,
        api_key_id: i64,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE idempotency_keys SET created_at = $4
                   WHERE api_key_id = $1 AND idempotency_key = $2 AND request_hash = $3
                   AND response_status IS NULL AND created_at < $5";
        let n = on_pool!(self, p => sqlx::query(sql).bind(api_key_id).bind(key).bind(request_hash)
            .bind(now).bind(stale_before).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// The record of an idempotency key.
    pub async fn idempotency_record(
        &self,
        api_key_id: i64,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let sql =
            "SELECT request_hash, response_status, response_body, created_at FROM idempotency_keys
                   WHERE api_key_id = $1 AND idempotency_key = $2";
        Ok(
            on_pool!(self, p => sqlx::query_as(sql).bind(api_key_id).bind(key).fetch_optional(p).await?),
        )
    }

    /// Saves the response of the request that claimed the key.
    pub async fn save_idempotent_response(
        &self,
        api_key_id: i64,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE idempotency_keys SET response_status = $3, response_body = $4
                   WHERE api_key_id = $1 AND idempotency_key = $2";
        on_pool!(self, p => sqlx::query(sql).bind(api_key_id).bind(key).bind(i32::from(status)).bind(body)
            .execute(p).await?.rows_affected());
        Ok(())
    }

    /// Gives a claim up (the request changed nothing), so a retry with the key runs anew.
    pub async fn release_idempotency_key(
        &self,
        api_key_id: i64,
        key: &str,
    ) -> Result<(), StoreError> {
        let sql = "DELETE FROM idempotency_keys WHERE api_key_id = $1 AND idempotency_key = $2
                   AND response_status IS NULL";
        on_pool!(self, p => sqlx::query(sql).bind(api_key_id).bind(key).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Deletes idempotency records created before `before`.
    pub async fn purge_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let sql = "DELETE FROM idempotency_keys WHERE created_at < $1";
        Ok(on_pool!(self, p => sqlx::query(sql).bind(before).execute(p).await?.rows_affected()))
    }
}
