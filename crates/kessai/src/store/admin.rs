//! Admin accounts, their sessions (with the CSRF token bound to each session) and the
//! failed-login record the login rate limit counts.

use chrono::{DateTime, Utc};

use super::{on_pool, Store, StoreError};

/// An admin account.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AdminUser {
    pub id: i64,
    pub login: String,
    pub password_hash: String,
}

/// A logged-in admin session.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AdminSession {
    pub user_id: i64,
    pub login: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Number of admin accounts.
    pub async fn admin_count(&self) -> Result<i64, StoreError> {
        Ok(
            on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM admin_users").fetch_one(p).await?),
        )
    }

    /// Creates an admin unless one with that login exists; returns whether it was created.
    pub async fn create_admin(
        &self,
        login: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO admin_users (login, password_hash, created_at) VALUES ($1, $2, $3)
                   ON CONFLICT (login) DO NOTHING";
        let done = on_pool!(self, p => sqlx::query(sql).bind(login).bind(password_hash).bind(now).execute(p).await?.rows_affected());
        Ok(done == 1)
    }

    /// Looks up an admin by login.
    pub async fn admin_by_login(&self, login: &str) -> Result<Option<AdminUser>, StoreError> {
        let sql = "SELECT id, login, password_hash FROM admin_users WHERE login = $1";
        Ok(on_pool!(self, p => sqlx::query_as(sql).bind(login).fetch_optional(p).await?))
    }

    /// Stores a new session under the hash of its cookie token.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql =
            "INSERT INTO admin_sessions (token_hash, user_id, csrf_token, created_at, expires_at)
                   VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, p => sqlx::query(sql).bind(token_hash).bind(user_id).bind(csrf_token).bind(now).bind(expires_at).execute(p).await?.rows_affected());
        Ok(())
    }

    /// The unexpired session with that token hash.
    pub async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AdminSession>, StoreError> {
        let sql = "SELECT s.user_id, u.login, s.csrf_token, s.expires_at
                   FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id
                   WHERE s.token_hash = $1 AND s.expires_at > $2";
        Ok(
            on_pool!(self, p => sqlx::query_as(sql).bind(token_hash).bind(now).fetch_optional(p).await?),
        )
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1").bind(token_hash).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Records a failed login.
    pub async fn record_failed_login(
        &self,
        login: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO login_attempts (login, client, at) VALUES ($1, $2, $3)";
        on_pool!(self, p => sqlx::query(sql).bind(login).bind(client).bind(now).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Failed logins since `since` for this login name or from this client, whichever is more.
    pub async fn failed_logins_since(
        &self,
        login: &str,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let sql =
            "SELECT COUNT(*) FROM login_attempts WHERE at > $3 AND (login = $1 OR client = $2)";
        Ok(
            on_pool!(self, p => sqlx::query_scalar(sql).bind(login).bind(client).bind(since).fetch_one(p).await?),
        )
    }

    /// Forgets failed logins of a login name after it logs in successfully.
    pub async fn clear_failed_logins(&self, login: &str) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("DELETE FROM login_attempts WHERE login = $1").bind(login).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Deletes expired sessions and login attempts older than `attempts_before`; returns rows removed.
    pub async fn purge_expired_access(
        &self,
        now: DateTime<Utc>,
        attempts_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let sessions = on_pool!(self, p => sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= $1").bind(now).execute(p).await?.rows_affected());
        let attempts = on_pool!(self, p => sqlx::query("DELETE FROM login_attempts WHERE at < $1").bind(attempts_before).execute(p).await?.rows_affected());
        Ok(sessions + attempts)
    }
}
