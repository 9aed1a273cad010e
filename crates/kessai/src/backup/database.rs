//! The database's part of a backup: where the SQLite file is, a consistent copy of it taken
//! while kessai runs (`VACUUM INTO`, one read transaction, so writers go on), the checks a
//! copy must pass, and whether another process has the file open.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::Connection as _;

use super::BackupError;
use crate::providers::schema::Input;
use crate::store::{on_pool, Backend, Pool, Store};

/// The file of a `sqlite:` database URL; an in-memory database has none.
pub fn sqlite_file(url: &str) -> Result<PathBuf, BackupError> {
    let options = SqliteConnectOptions::from_str(url).map_err(BackupError::Database)?;
    let file = options.get_filename();
    let name = file.to_string_lossy();
    if name == ":memory:" || name.starts_with("file:sqlx-in-memory") || url.contains("mode=memory")
    {
        return Err(BackupError::InMemory);
    }
    Ok(file.to_owned())
}

/// A store on the SQLite file at `path`, which must exist; one connection, read-only when
/// asked.
pub async fn open_sqlite(path: &Path, read_only: bool) -> Result<Store, BackupError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .read_only(read_only)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(BackupError::Database)?;
    Ok(Store {
        pool: Pool::Sqlite(pool),
    })
}

/// Copies the live database at `live` into the new file `copy`: a consistent snapshot in
/// one read transaction, taken while kessai goes on writing (the database is in WAL mode).
pub async fn snapshot(live: &Path, copy: &Path) -> Result<(), BackupError> {
    let store = open_sqlite(live, false).await?;
    let target = copy.to_str().ok_or_else(|| BackupError::Io {
        path: copy.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path is not UTF-8"),
    })?;
    let Pool::Sqlite(pool) = &store.pool else {
        unreachable!("opened as SQLite")
    };
    let result = sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(pool)
        .await;
    store.close().await;
    result.map(drop).map_err(BackupError::Database)
}

/// Versions of the migrations applied to a database, in order.
pub async fn migrations(store: &Store) -> Result<Vec<i64>, BackupError> {
    let sql = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
    on_pool!(store, p => sqlx::query_scalar(sql).fetch_all(p).await).map_err(BackupError::Database)
}

/// Versions of the migrations this kessai knows for a backend.
pub fn known_migrations(backend: Backend) -> Vec<i64> {
    let migrator = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    migrator.iter().map(|m| m.version).collect()
}

/// Whether SQLite finds nothing wrong in the file (`PRAGMA integrity_check`).
pub async fn check_integrity(store: &Store, path: &Path) -> Result<(), BackupError> {
    let answer: Vec<String> = on_pool!(store, p => sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(p)
        .await)
    .map_err(BackupError::Database)?;
    if answer == ["ok"] {
        Ok(())
    } else {
        Err(BackupError::Damaged {
            path: path.to_owned(),
            what: "fails SQLite's integrity check",
        })
    }
}

/// The certificate folders the providers' stored settings name (below the data dir).
pub async fn certificate_folders(store: &Store) -> Result<Vec<String>, BackupError> {
    let mut folders = Vec::new();
    for spec in crate::providers::PROVIDERS {
        let Some(stored) = store
            .provider_settings(spec.key)
            .await
            .map_err(BackupError::Store)?
        else {
            continue;
        };
        let values: crate::providers::schema::Values =
            serde_json::from_str(&stored.values_json).unwrap_or_default();
        for field in crate::providers::validate::fields(spec) {
            if matches!(field.input, Input::Folder) {
                folders.extend(values.get(field.key).cloned());
            }
        }
    }
    Ok(folders)
}

/// Fails with [`BackupError::InUse`] when another connection has the database at `path`
/// open — a running `kessai serve` keeps its pool's connections open. Leaving WAL mode
/// needs the only connection to the file, so it is the test; the file is about to be
/// replaced, and kessai puts it back into WAL mode when it opens it.
pub async fn ensure_unused(path: &Path) -> Result<(), BackupError> {
    if !path.exists() {
        return Ok(());
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(Duration::from_millis(500))
        .journal_mode(SqliteJournalMode::Delete);
    match sqlx::SqliteConnection::connect_with(&options).await {
        Ok(connection) => connection.close().await.map_err(BackupError::Database),
        Err(e) if is_busy(&e) => Err(BackupError::InUse(path.to_owned())),
        Err(e) => Err(BackupError::Database(e)),
    }
}

fn is_busy(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|code| code.parse::<i32>().ok())
        // SQLITE_BUSY and its extended codes.
        .is_some_and(|code| code & 0xff == 5)
}
