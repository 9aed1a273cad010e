//! Backups: `kessai backup <DEST>` and `kessai restore <SRC>`.
//!
//! A backup is a folder: a consistent copy of the SQLite database taken while kessai runs,
//! the data dir's secret key and certificate folders, and a `manifest.json` naming every
//! file with its size and SHA-256, the database's migrations, the kessai version and the
//! time (UTC). On PostgreSQL the database is left to `pg_dump` or continuous archiving and
//! the backup holds the data dir's files only. Restore checks every file against the
//! manifest and the database copy against SQLite's integrity check before anything is
//! replaced, refuses while another process has the database open, moves the database and
//! key it replaces aside, renames the new files into place and checks that the result opens
//! with the backup's migrations and that the key opens the stored provider secrets.
//!
//! `kessai rotate-key` (in `rotate`) replaces that key: the secrets a backup holds are only
//! as good as the key kept with them.

mod database;
mod files;
mod manifest;
mod restore;
mod rotate;

use std::path::{Path, PathBuf};

use chrono::{SubsecRound as _, Utc};

pub use manifest::{FileEntry, KeySource, Manifest, MANIFEST};
pub use restore::{restore, Restored};
pub use rotate::{rotate_key, Rotated, NEW_KEY_FILE};

use crate::config::Config;
use crate::store::{Store, StoreError};
use files::KEY_FILE;
use manifest::below;

/// The name of the database copy inside a backup.
pub const DATABASE: &str = "kessai.db";

/// Why a backup or restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "{0} is not empty: choose an empty folder, or add --force to replace the backup in it"
    )]
    NotEmpty(PathBuf),
    #[error("{0} is a file, not a folder")]
    NotAFolder(PathBuf),
    #[error("the SQLite database {0} does not exist")]
    NoDatabase(PathBuf),
    #[error("the database is in memory: there is nothing to back up or restore")]
    InMemory,
    #[error("{0} holds no manifest.json: it is not a backup, or one that did not finish")]
    NoManifest(PathBuf),
    #[error("the manifest cannot be used: {0}")]
    Manifest(String),
    #[error("{path} {what}: the backup is damaged or was changed; nothing was restored")]
    Damaged { path: PathBuf, what: &'static str },
    #[error("the database {0} is open in another process: stop kessai (serve and worker) first")]
    InUse(PathBuf),
    #[error("the backup holds no database (it was made on PostgreSQL, whose database is restored with pg_restore or from its archive), but the configured database is SQLite")]
    NoDatabaseInBackup,
    #[error("the backup holds a SQLite database, but the configured database is PostgreSQL")]
    NotSqlite,
    #[error("the backup's database has migrations this kessai does not know ({0:?}): restore it with the kessai that made it or a newer one")]
    NewerBackup(Vec<i64>),
    #[error("the restored database has the migrations {found:?}, the backup's had {expected:?}")]
    MigrationsDiffer { expected: Vec<i64>, found: Vec<i64> },
    #[error("the secret key does not open the stored provider secrets ({0}); was the backup made with KESSAI_SECRET_KEY set?")]
    KeyDoesNotOpen(String),
    #[error("there is no key to replace: {0} does not exist and KESSAI_SECRET_KEY is not set")]
    NoKey(PathBuf),
    #[error("{0} exists: an earlier key rotation did not finish; see docs/OPERATIONS.md before removing it")]
    RotationLeftOver(PathBuf),
    #[error("provider settings were saved during the key rotation; nothing was changed, stop kessai and try again")]
    SavedDuringRotation,
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Maps an I/O error on `path` into a [`BackupError`].
fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Runs file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(work)
        .await
        .expect("file work does not panic")
}

/// Writes a backup of the configured instance into the folder `dest` (created if missing).
/// A folder that is not empty is refused unless `force`, which replaces the backup in it
/// (its manifest is removed first, so a backup interrupted half-way never looks whole).
/// `env_key` is `KESSAI_SECRET_KEY`, recorded as the key's source when set.
pub async fn backup(
    config: &Config,
    env_key: Option<&str>,
    dest: &Path,
    force: bool,
) -> Result<Manifest, BackupError> {
    if dest.is_file() {
        return Err(BackupError::NotAFolder(dest.to_owned()));
    }
    if !force && !files::is_missing_or_empty(dest)? {
        return Err(BackupError::NotEmpty(dest.to_owned()));
    }
    files::create_private_dir(dest)?;
    files::remove_if_present(&dest.join(MANIFEST))?;

    let url = config.database_url.expose();
    let mut entries = Vec::new();
    let (backend, database, migrations, folders) = if url.starts_with("sqlite:") {
        let live = database::sqlite_file(url)?;
        if !live.is_file() {
            return Err(BackupError::NoDatabase(live));
        }
        let copy = dest.join(DATABASE);
        let (migrations, folders) = snapshot_into(&live, &copy).await?;
        let entry = blocking(move || FileEntry::of(&copy, DATABASE)).await?;
        entries.push(entry);
        ("sqlite", Some(DATABASE.to_owned()), migrations, folders)
    } else {
        let store = Store::connect(url).await?;
        let read = async {
            Ok::<_, BackupError>((
                database::migrations(&store).await?,
                database::certificate_folders(&store).await?,
            ))
        }
        .await;
        store.close().await;
        let (migrations, folders) = read?;
        ("postgres", None, migrations, folders)
    };

    let (data_dir, dest_dir) = (config.data_dir.clone(), dest.to_owned());
    let copied = blocking(move || copy_data_dir(&data_dir, &dest_dir, &folders)).await?;
    let has_key_file = copied.iter().any(|e| e.path == KEY_FILE);
    entries.extend(copied);
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        format: manifest::FORMAT,
        kessai_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: Utc::now().trunc_subsecs(0),
        backend: backend.to_owned(),
        database,
        migrations,
        secret_key: match (env_key, has_key_file) {
            (Some(_), _) => KeySource::Environment,
            (None, true) => KeySource::File,
            (None, false) => KeySource::None,
        },
        files: entries,
    };
    let dest = dest.to_owned();
    let written = manifest.clone();
    blocking(move || written.write(&dest)).await?;
    Ok(manifest)
}

/// Takes the consistent copy of the database at `live` into `copy` (through a temporary
/// file), checks it, and reads its migrations and the certificate folders its settings name.
async fn snapshot_into(live: &Path, copy: &Path) -> Result<(Vec<i64>, Vec<String>), BackupError> {
    let tmp = files::temporary_next_to(copy);
    let taken = async {
        database::snapshot(live, &tmp).await?;
        files::make_private(&tmp)?;
        let store = database::open_sqlite(&tmp, true).await?;
        let read = async {
            database::check_integrity(&store, &tmp).await?;
            Ok((
                database::migrations(&store).await?,
                database::certificate_folders(&store).await?,
            ))
        }
        .await;
        store.close().await;
        read
    }
    .await;
    match taken {
        Ok(read) => {
            std::fs::rename(&tmp, copy).map_err(io_error(copy))?;
            Ok(read)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Copies the data dir's key and certificate files into the backup folder; their entries.
fn copy_data_dir(
    data_dir: &Path,
    dest: &Path,
    folders: &[String],
) -> Result<Vec<FileEntry>, BackupError> {
    let mut entries = Vec::new();
    for path in files::data_dir_files(data_dir, folders)? {
        let to = below(dest, &path);
        let tmp = files::temporary_next_to(&to);
        files::copy_private(&below(data_dir, &path), &tmp)?;
        std::fs::rename(&tmp, &to).map_err(io_error(&to))?;
        entries.push(FileEntry::of(&to, &path)?);
    }
    Ok(entries)
}

/// Flags of `kessai backup`.
#[derive(Clone, Debug, clap::Args)]
pub struct BackupArgs {
    /// Folder to write the backup to; created if missing, and it must be empty.
    pub dest: PathBuf,
    /// Replace the backup in a folder that is not empty.
    #[arg(long)]
    pub force: bool,
}

/// Flags of `kessai restore`.
#[derive(Clone, Debug, clap::Args)]
pub struct RestoreArgs {
    /// Folder of a backup written by `kessai backup`.
    pub src: PathBuf,
}

/// `kessai backup`: writes the backup and lists what it holds on stdout.
pub async fn run_backup(config: Config, args: BackupArgs) -> anyhow::Result<()> {
    let env_key = std::env::var("KESSAI_SECRET_KEY").ok();
    let manifest = backup(&config, env_key.as_deref(), &args.dest, args.force).await?;
    println!("backup written to {}", args.dest.display());
    print_files(&manifest);
    if manifest.database.is_none() {
        eprintln!(
            "note: the PostgreSQL database is not in this backup; back it up with pg_dump or \
             continuous archiving (see docs/OPERATIONS.md)"
        );
    }
    if manifest.secret_key == KeySource::Environment {
        eprintln!(
            "note: the secret key comes from KESSAI_SECRET_KEY and is not in this backup; \
             keep it with the backup, the stored provider secrets need it"
        );
    }
    Ok(())
}

/// `kessai restore`: puts a backup back and says what was replaced.
pub async fn run_restore(config: Config, args: RestoreArgs) -> anyhow::Result<()> {
    let env_key = std::env::var("KESSAI_SECRET_KEY").ok();
    let restored = restore(&config, env_key.as_deref(), &args.src).await?;
    let m = &restored.manifest;
    println!(
        "restored the backup of {} (kessai {}, {} database)",
        m.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        m.kessai_version,
        m.backend
    );
    print_files(m);
    for path in &restored.set_aside {
        println!("replaced file kept as {}", path.display());
    }
    Ok(())
}

/// `kessai rotate-key`: seals the stored secrets with a new key and says where it is.
pub async fn run_rotate_key(config: Config) -> anyhow::Result<()> {
    let env_key = std::env::var("KESSAI_SECRET_KEY").ok();
    let rotated = rotate_key(&config, env_key.as_deref()).await?;
    println!(
        "{} stored secrets sealed with the new key in {}",
        rotated.secrets,
        rotated.key_file.display()
    );
    match &rotated.old_key_file {
        Some(old) => println!(
            "old key kept as {} (backups made before today need it; delete it with them)",
            old.display()
        ),
        None => println!(
            "set KESSAI_SECRET_KEY to the content of {} on every instance, start them, then \
             delete the file",
            rotated.key_file.display()
        ),
    }
    Ok(())
}

fn print_files(manifest: &Manifest) {
    for f in &manifest.files {
        println!("  {:<48} {:>12} bytes  sha256 {}", f.path, f.size, f.sha256);
    }
    if let (Some(first), Some(last)) = (manifest.migrations.first(), manifest.migrations.last()) {
        println!(
            "  migrations {first}..{last} ({} applied)",
            manifest.migrations.len()
        );
    }
}
