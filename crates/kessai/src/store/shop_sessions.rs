//! Shop sessions: a buyer's visit to the storefront. The cookie token is kept only as its
//! SHA-256 hash, next to the session's CSRF token, the logged-in member and the session data
//! (cart, entered details, chosen delivery and payment) as JSON.

use chrono::{DateTime, Utc};

use super::{on_pool, Store, StoreError};

/// A stored shop session.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ShopSessionRow {
    pub token_hash: String,
    pub csrf_token: String,
    pub member_id: Option<i64>,
    pub data_json: String,
    pub expires_at: DateTime<Utc>,
}

/// A shop session about to be stored.
#[derive(Clone, Debug)]
pub struct NewShopSession<'a> {
    pub token_hash: &'a str,
    pub csrf_token: &'a str,
    pub member_id: Option<i64>,
    pub data_json: &'a str,
    pub expires_at: DateTime<Utc>,
}

const INSERT: &str = "INSERT INTO shop_sessions (token_hash, csrf_token, member_id, data_json, created_at, expires_at)
                      VALUES ($1, $2, $3, $4, $5, $6)";

impl Store {
    /// Stores a new session.
    pub async fn create_shop_session(
        &self,
        s: &NewShopSession<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query(INSERT).bind(s.token_hash).bind(s.csrf_token).bind(s.member_id)
            .bind(s.data_json).bind(now).bind(s.expires_at).execute(p).await?.rows_affected());
        Ok(())
    }

    /// The unexpired session with that token hash.
    pub async fn shop_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ShopSessionRow>, StoreError> {
        let sql =
            "SELECT token_hash, csrf_token, member_id, data_json, expires_at FROM shop_sessions
                   WHERE token_hash = $1 AND expires_at > $2";
        Ok(
            on_pool!(self, p => sqlx::query_as(sql).bind(token_hash).bind(now).fetch_optional(p).await?),
        )
    }

    /// Saves a session's member and data and moves its expiry.
    pub async fn save_shop_session(
        &self,
        token_hash: &str,
        member_id: Option<i64>,
        data_json: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE shop_sessions SET member_id = $2, data_json = $3, expires_at = $4 WHERE token_hash = $1";
        on_pool!(self, p => sqlx::query(sql).bind(token_hash).bind(member_id).bind(data_json).bind(expires_at)
            .execute(p).await?.rows_affected());
        Ok(())
    }

    /// Replaces a session by a new one in one transaction (a new token at login and logout,
    /// so a token known before cannot ride on the member's login).
    pub async fn replace_shop_session(
        &self,
        old_token_hash: &str,
        new: &NewShopSession<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM shop_sessions WHERE token_hash = $1").bind(old_token_hash)
                .execute(&mut *tx).await?;
            sqlx::query(INSERT).bind(new.token_hash).bind(new.csrf_token).bind(new.member_id)
                .bind(new.data_json).bind(now).bind(new.expires_at).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Deletes sessions that expired; returns how many.
    pub async fn purge_expired_shop_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let sql = "DELETE FROM shop_sessions WHERE expires_at <= $1";
        Ok(on_pool!(self, p => sqlx::query(sql).bind(now).execute(p).await?.rows_affected()))
    }
}
