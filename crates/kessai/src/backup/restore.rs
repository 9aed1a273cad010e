//! `kessai restore`: checks a backup against its manifest, stages every file next to where
//! it goes, checks the staged database, and only then renames the files into place,
//! moving the database and key they replace aside.

use std::path::{Path, PathBuf};

use chrono::Utc;

use super::files::{self, KEY_FILE};
use super::manifest::{below, FileEntry, Manifest};
use super::{blocking, database, io_error, BackupError};
use crate::clock::Clock;
use crate::config::Config;
use crate::secrets::SecretBox;
use crate::settings::Settings;
use crate::store::{Backend, Store, StoreError};

/// What a restore did.
#[derive(Clone, Debug)]
pub struct Restored {
    /// The manifest of the backup put back.
    pub manifest: Manifest,
    /// Where the database and key that were replaced now are.
    pub set_aside: Vec<PathBuf>,
}

/// What a staged file replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Database,
    Key,
    Certificate,
}

/// A file copied next to where it goes, not yet renamed into place.
struct StagedFile {
    tmp: PathBuf,
    target: PathBuf,
    role: Role,
}

/// The staged files; those not renamed into place are removed when this is dropped, so a
/// restore that stops early leaves nothing behind.
struct Staged(Vec<StagedFile>);

impl Drop for Staged {
    fn drop(&mut self) {
        for file in &self.0 {
            let _ = std::fs::remove_file(&file.tmp);
        }
    }
}

/// Puts the backup in the folder `src` back into the configured instance. Stop kessai
/// first: on SQLite a database another process has open is refused. `env_key` is
/// `KESSAI_SECRET_KEY`, which opens the stored secrets in place of the key file when set.
pub async fn restore(
    config: &Config,
    env_key: Option<&str>,
    src: &Path,
) -> Result<Restored, BackupError> {
    let src_dir = src.to_owned();
    let manifest = blocking(move || Manifest::read(&src_dir)).await?;
    let url = config.database_url.expose();
    let backend = if url.starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    let live_db = match (backend, &manifest.database) {
        (Backend::Sqlite, None) => return Err(BackupError::NoDatabaseInBackup),
        (Backend::Postgres, Some(_)) => return Err(BackupError::NotSqlite),
        (Backend::Sqlite, Some(_)) => Some(database::sqlite_file(url)?),
        (Backend::Postgres, None) => None,
    };
    let known = database::known_migrations(backend);
    let unknown: Vec<i64> = manifest
        .migrations
        .iter()
        .copied()
        .filter(|v| !known.contains(v))
        .collect();
    if !unknown.is_empty() {
        return Err(BackupError::NewerBackup(unknown));
    }

    let staged = {
        let (manifest, src, data_dir, live_db) = (
            manifest.clone(),
            src.to_owned(),
            config.data_dir.clone(),
            live_db.clone(),
        );
        blocking(move || stage(&manifest, &src, &data_dir, live_db.as_deref())).await?
    };
    if let Some(live) = &live_db {
        let copy = staged
            .0
            .iter()
            .find(|f| f.role == Role::Database)
            .map(|f| f.tmp.clone())
            .expect("a SQLite backup stages its database");
        check_staged_database(&copy, &manifest.migrations).await?;
        database::ensure_unused(live).await?;
    }

    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let set_aside = blocking(move || put_in_place(staged, &stamp)).await?;
    verify_restored(config, env_key, &manifest, backend).await?;
    Ok(Restored {
        manifest,
        set_aside,
    })
}

/// Copies every file of the backup next to where it goes and checks each copy against the
/// manifest.
fn stage(
    manifest: &Manifest,
    src: &Path,
    data_dir: &Path,
    live_db: Option<&Path>,
) -> Result<Staged, BackupError> {
    let mut staged = Staged(Vec::new());
    for entry in &manifest.files {
        let (target, role) = match live_db {
            Some(live) if manifest.database.as_deref() == Some(entry.path.as_str()) => {
                (live.to_owned(), Role::Database)
            }
            _ if entry.path == KEY_FILE => (data_dir.join(KEY_FILE), Role::Key),
            _ => (below(data_dir, &entry.path), Role::Certificate),
        };
        let from = below(src, &entry.path);
        if !from.is_file() {
            return Err(BackupError::Damaged {
                path: from,
                what: "is missing",
            });
        }
        let tmp = files::temporary_next_to(&target);
        staged.0.push(StagedFile {
            tmp: tmp.clone(),
            target,
            role,
        });
        files::copy_private(&from, &tmp)?;
        let copied = FileEntry::of(&tmp, &entry.path)?;
        if copied.size != entry.size || copied.sha256 != entry.sha256 {
            return Err(BackupError::Damaged {
                path: from,
                what: "does not match its size and SHA-256 in the manifest",
            });
        }
    }
    Ok(staged)
}

/// The staged database passes SQLite's integrity check and has the backup's migrations.
async fn check_staged_database(copy: &Path, expected: &[i64]) -> Result<(), BackupError> {
    let store = database::open_sqlite(copy, true).await?;
    let read = async {
        database::check_integrity(&store, copy).await?;
        database::migrations(&store).await
    }
    .await;
    store.close().await;
    let found = read?;
    if found != expected {
        return Err(BackupError::MigrationsDiffer {
            expected: expected.to_vec(),
            found,
        });
    }
    Ok(())
}

/// Renames the staged files into place. The database and a different key they replace are
/// first moved aside (`<name>.pre-restore-<time>`), and the old database's WAL and journal
/// removed so SQLite cannot replay them into the restored file. Returns where the replaced
/// files went.
fn put_in_place(staged: Staged, stamp: &str) -> Result<Vec<PathBuf>, BackupError> {
    let mut set_aside = Vec::new();
    // On an error the temporaries not yet renamed are removed when `staged` is dropped.
    for file in &staged.0 {
        let keep_old = match file.role {
            Role::Database => file.target.exists(),
            Role::Key => {
                file.target.exists()
                    && std::fs::read(&file.target).ok() != std::fs::read(&file.tmp).ok()
            }
            Role::Certificate => false,
        };
        if keep_old {
            let aside = with_suffix(&file.target, &format!(".pre-restore-{stamp}"));
            std::fs::rename(&file.target, &aside).map_err(io_error(&file.target))?;
            set_aside.push(aside);
        }
        if file.role == Role::Database {
            for suffix in ["-wal", "-shm", "-journal"] {
                files::remove_if_present(&with_suffix(&file.target, suffix))?;
            }
        }
        std::fs::rename(&file.tmp, &file.target).map_err(io_error(&file.target))?;
    }
    Ok(set_aside)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The restored instance opens: its database has the backup's migrations and its key opens
/// every stored provider secret.
async fn verify_restored(
    config: &Config,
    env_key: Option<&str>,
    manifest: &Manifest,
    backend: Backend,
) -> Result<(), BackupError> {
    let store = Store::connect(config.database_url.expose()).await?;
    let checked = async {
        if backend == Backend::Sqlite {
            let found = database::migrations(&store).await?;
            if found != manifest.migrations {
                return Err(BackupError::MigrationsDiffer {
                    expected: manifest.migrations.clone(),
                    found,
                });
            }
        }
        check_key_opens_secrets(&store, &config.data_dir, env_key).await
    }
    .await;
    store.close().await;
    checked
}

/// Every provider's stored secrets open with the instance's key (`KESSAI_SECRET_KEY` or the
/// key file). Without either, any stored secret is an error.
pub(super) async fn check_key_opens_secrets(
    store: &Store,
    data_dir: &Path,
    env_key: Option<&str>,
) -> Result<(), BackupError> {
    let secrets = if env_key.is_some() || data_dir.join(KEY_FILE).is_file() {
        SecretBox::load(data_dir, env_key)
            .map_err(|e| BackupError::KeyDoesNotOpen(e.to_string()))?
    } else {
        SecretBox::from_key(&rand::random::<[u8; 32]>()).expect("32 bytes make a key")
    };
    let settings = Settings::new(store.clone(), secrets, Clock::system(), data_dir.to_owned());
    for spec in crate::providers::PROVIDERS {
        settings.provider(spec).await.map_err(|e| match e {
            StoreError::Corrupt(message) => BackupError::KeyDoesNotOpen(message),
            other => BackupError::Store(other),
        })?;
    }
    Ok(())
}
