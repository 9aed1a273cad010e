//! Storage: one interface (`Store`) over SQLite (the embedded default, WAL mode) and
//! PostgreSQL (for several instances on one database).
//!
//! Each backend has its own embedded migrations, run on start. Queries are written plainly;
//! where both backends accept the same SQL the statement is written once and run through
//! [`on_pool!`], which expands the body once per backend so each gets its own typed sqlx
//! call. Where the dialects differ (row locking in the job queue), each backend has its own
//! statement next to the other.

mod admin;
mod api_keys;
pub(crate) mod audit;
mod catalog;
mod dashboard;
mod jobs;
mod mails;
mod members;
mod notifications;
mod orders;
mod payment_logs;
mod payments;
mod settings;
mod shop_sessions;
mod stored_cards;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use admin::{AdminSession, AdminUser};
pub use api_keys::{ApiKey, IdempotencyRecord, IDEMPOTENCY_KEEP_HOURS};
pub use audit::{AuditEntry, AuditNote};
pub use catalog::{DeliveryMethod, NewDeliveryMethod, NewPaymentMethod, PaymentMethod, Product};
pub use dashboard::{Sales, Waiting};
pub use jobs::{ClaimedJob, JobRow, JobState, NewJob};
pub use mails::{Mail, NewMail};
pub use members::{Member, NewMember};
pub use notifications::{NewNotification, Notification};
pub use orders::{
    NewOrder, NewOrderItem, Order, OrderEdit, OrderFilter, OrderItem, OrderRow, OrderUpdate,
};
pub use payment_logs::{
    LogFilter, LoggedCheckout, NewPaymentError, NewPrepaymentLog, OrderFromLog, PaymentError,
    PrepaymentLog,
};
pub use payments::{
    NewPayment, Payment, PaymentOperation, PaymentStatusUpdate, StatusRow, STATUS_ROW,
};
pub use settings::StoredProviderSettings;
pub use shop_sessions::{NewShopSession, ShopSessionRow};
pub use stored_cards::{NewStoredCard, StoredCard};

/// Runs `$body` with `$pool` bound to the backend's typed pool.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// The two backends.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The storage interface: a cheap-to-clone handle on a connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
}

impl Store {
    /// Connects to `url` (`sqlite:…` or `postgres://…`) without migrating.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options)
                    .await?,
            )
        } else {
            let options = PgConnectOptions::from_str(url)?;
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?,
            )
        };
        Ok(Self { pool })
    }

    /// Applies the backend's embedded migrations (safe to run from several processes).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.is_ok())
    }

    /// Runs one statement without parameters (administration, e.g. creating a database).
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, StoreError> {
        Ok(on_pool!(self, p => sqlx::raw_sql(sql).execute(p).await?.rows_affected()))
    }

    /// Closes every connection (waits for checked-out connections to come back).
    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }
}

/// A `LIKE … ESCAPE '\\'` pattern matching any text that contains `keyword` with its
/// whitespace removed (search boxes ignore the space between family and given name).
fn like_pattern(keyword: &str) -> String {
    let mut p = String::from("%");
    for c in keyword.chars().filter(|c| !c.is_whitespace()) {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// A database URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:****{}", &url[..scheme_end], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            super::redact_url("postgres://kessai:pw@db:5432/kessai"),
            "postgres://kessai:****@db:5432/kessai"
        );
        assert_eq!(
            super::redact_url("sqlite://data/kessai.db"),
            "sqlite://data/kessai.db"
        );
    }
}
