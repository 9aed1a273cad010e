//! `kessai rotate-key`: replaces the key that seals the provider secrets at rest.
//!
//! The new key is written to `<data dir>/secret.key.new` before anything else, so a crash
//! never leaves secrets sealed with a key that exists nowhere; then every stored secret is
//! sealed again in one transaction; then the key file is swapped, the old one kept as
//! `secret.key.old-<time>`. With `KESSAI_SECRET_KEY` the new key stays in
//! `secret.key.new` for the operator to move into the variable of every instance.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::Utc;

use super::files::KEY_FILE;
use super::{blocking, database, io_error, BackupError};
use crate::clock::Clock;
use crate::config::Config;
use crate::secrets::SecretBox;
use crate::settings::Settings;
use crate::store::{Store, StoreError};

/// Where the new key is written first.
pub const NEW_KEY_FILE: &str = "secret.key.new";

/// What a key rotation did.
#[derive(Clone, Debug)]
pub struct Rotated {
    /// How many stored secrets were sealed again.
    pub secrets: usize,
    /// Where the new key is: `secret.key`, or `secret.key.new` with `KESSAI_SECRET_KEY`.
    pub key_file: PathBuf,
    /// Where the old key file was moved (none with `KESSAI_SECRET_KEY`).
    pub old_key_file: Option<PathBuf>,
}

/// Seals every stored provider secret with a new key. Stop kessai first (every instance):
/// a running one keeps the old key and could not open the secrets any more; on SQLite a
/// database still open is refused. `env_key` is `KESSAI_SECRET_KEY`, the current key when set.
pub async fn rotate_key(config: &Config, env_key: Option<&str>) -> Result<Rotated, BackupError> {
    let data_dir = &config.data_dir;
    let key_file = data_dir.join(KEY_FILE);
    if env_key.is_none() && !key_file.is_file() {
        return Err(BackupError::NoKey(key_file));
    }
    let url = config.database_url.expose();
    if url.starts_with("sqlite:") {
        database::ensure_unused(&database::sqlite_file(url)?).await?;
    }
    let old = SecretBox::load(data_dir, env_key)
        .map_err(|e| BackupError::KeyDoesNotOpen(e.to_string()))?;
    let new_key: [u8; 32] = rand::random();
    let new_file = data_dir.join(NEW_KEY_FILE);
    write_new_key(&new_file, &new_key)?;

    let store = Store::connect(url).await?;
    let settings = Settings::new(store.clone(), old, Clock::system(), data_dir.clone());
    let new = SecretBox::from_key(&new_key).expect("32 bytes make a key");
    let resealed = settings.reseal_secrets(&new).await;
    let secrets = match resealed {
        Ok(Some(n)) => n,
        failed => {
            store.close().await;
            let _ = std::fs::remove_file(&new_file);
            return Err(match failed {
                Ok(_) => BackupError::SavedDuringRotation,
                Err(StoreError::Corrupt(message)) => BackupError::KeyDoesNotOpen(message),
                Err(e) => BackupError::Store(e),
            });
        }
    };
    if let Err(e) = store
        .audit(
            "rotate-key",
            "暗号鍵を更新",
            KEY_FILE,
            &format!("secrets: {secrets}"),
            Utc::now(),
        )
        .await
    {
        tracing::warn!(error = %e, "the key rotation is not in the audit log");
    }

    let (key_file, old_key_file) = if env_key.is_some() {
        (new_file, None)
    } else {
        let kept = data_dir.join(format!(
            "{KEY_FILE}.old-{}",
            Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        let (kept_moved, key, new_file) = (kept.clone(), key_file.clone(), new_file.clone());
        blocking(move || {
            std::fs::rename(&key, &kept_moved).map_err(io_error(&key))?;
            std::fs::rename(&new_file, &key).map_err(io_error(&key))
        })
        .await?;
        (key_file, Some(kept))
    };
    let new_b64 = B64.encode(new_key);
    let checked = super::restore::check_key_opens_secrets(&store, data_dir, Some(&new_b64)).await;
    store.close().await;
    checked?;
    Ok(Rotated {
        secrets,
        key_file,
        old_key_file,
    })
}

/// Writes the new key (base64, mode 0600), refusing to replace one a rotation left behind.
fn write_new_key(path: &Path, key: &[u8; 32]) -> Result<(), BackupError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::RotationLeftOver(path.to_owned())
        } else {
            io_error(path)(e)
        }
    })?;
    file.write_all(B64.encode(key).as_bytes())
        .map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}
