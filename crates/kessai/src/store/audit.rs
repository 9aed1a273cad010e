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

/// An operator action about to be recorded inside another write's transaction.
#[derive(Clone, Copy, Debug)]
pub struct AuditNote<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    /// Never a secret value.
    pub detail: &'a str,
}

/// Appends one entry (binds: actor, action, target, detail, at).
pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (actor, action, target, detail, at) VALUES ($1, $2, $3, $4, $5)";

/// Appends an [`AuditNote`] inside the open transaction `$tx` (of either backend), so the
/// entry is written if and only if the change it describes is.
macro_rules! insert_audit {
    ($tx:ident, $note:expr, $at:expr) => {{
        let note: &$crate::store::audit::AuditNote<'_> = $note;
        sqlx::query($crate::store::audit::INSERT_AUDIT)
            .bind(note.actor)
            .bind(note.action)
            .bind(note.target)
            .bind(note.detail)
            .bind($at)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use insert_audit;

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
        on_pool!(self, p => sqlx::query(INSERT_AUDIT).bind(actor).bind(action).bind(target).bind(detail).bind(at).execute(p).await?.rows_affected());
        Ok(())
    }

    /// The newest entries first.
    pub async fn audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let sql =
            "SELECT id, actor, action, target, detail, at FROM audit_log ORDER BY id DESC LIMIT $1";
        Ok(on_pool!(self, p => sqlx::query_as(sql).bind(limit).fetch_all(p).await?))
    }
}
