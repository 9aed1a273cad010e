//! The audit log of operator actions (who changed what, when).

use chrono::{DateTime, Utc};

use super::{on_pool, Store, StoreError};

/// One operator action.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

impl Store {
    /// Appends an entry. `detail` must never contain a secret value.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql =
            "INSERT INTO audit_log (actor, action, target, detail, at) VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, p => sqlx::query(sql).bind(actor).bind(action).bind(target).bind(detail).bind(at).execute(p).await?.rows_affected());
        Ok(())
    }

    /// The newest entries first.
    pub async fn audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let sql =
            "SELECT id, actor, action, target, detail, at FROM audit_log ORDER BY id DESC LIMIT $1";
        Ok(on_pool!(self, p => sqlx::query_as(sql).bind(limit).fetch_all(p).await?))
    }
}
