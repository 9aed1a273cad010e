//! Shop-wide settings (a small named-document table) and each provider's settings, whose
//! secret values are stored sealed by [`crate::secrets::SecretBox`].

use chrono::{DateTime, Utc};

use super::{on_pool, Store, StoreError};

/// A provider's settings as stored: plain values and sealed secrets, both JSON objects.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredProviderSettings {
    pub provider: String,
    pub values_json: String,
    pub secrets_json: String,
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// A named settings document (JSON text), if saved.
    pub async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT value FROM settings WHERE name = $1";
        Ok(on_pool!(self, p => sqlx::query_scalar(sql).bind(name).fetch_optional(p).await?))
    }

    /// Saves a named settings document.
    pub async fn put_setting(
        &self,
        name: &str,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)
                   ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
        on_pool!(self, p => sqlx::query(sql).bind(name).bind(value).bind(now).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Saves a named document only if none exists; returns whether this call created it.
    /// Used as a once-only marker that several instances can race for safely.
    pub async fn claim_setting(
        &self,
        name: &str,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING";
        let n = on_pool!(self, p => sqlx::query(sql).bind(name).bind(value).bind(now).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// A provider's stored settings, if ever saved.
    pub async fn provider_settings(
        &self,
        provider: &str,
    ) -> Result<Option<StoredProviderSettings>, StoreError> {
        let sql = "SELECT provider, values_json, secrets_json, updated_at FROM provider_settings WHERE provider = $1";
        Ok(on_pool!(self, p => sqlx::query_as(sql).bind(provider).fetch_optional(p).await?))
    }

    /// Saves a provider's settings (already validated and sealed).
    pub async fn put_provider_settings(
        &self,
        provider: &str,
        values_json: &str,
        secrets_json: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO provider_settings (provider, values_json, secrets_json, updated_at) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (provider) DO UPDATE SET values_json = excluded.values_json,
                   secrets_json = excluded.secrets_json, updated_at = excluded.updated_at";
        on_pool!(self, p => sqlx::query(sql).bind(provider).bind(values_json).bind(secrets_json).bind(now).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Replaces several providers' sealed secrets in one transaction, each given as
    /// `(provider, secrets as read, new secrets)`. When a provider's secrets are no longer
    /// those read (saved meanwhile), nothing changes and the answer is `false`.
    pub async fn replace_provider_secrets(
        &self,
        changes: &[(String, String, String)],
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE provider_settings SET secrets_json = $1 WHERE provider = $2 AND secrets_json = $3";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for (provider, read, new) in changes {
                let n = sqlx::query(sql).bind(new).bind(provider).bind(read).execute(&mut *tx).await?.rows_affected();
                if n != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
            }
            tx.commit().await?;
            Ok(true)
        })
    }
}
