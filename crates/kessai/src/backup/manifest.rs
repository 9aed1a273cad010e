//! The manifest of a backup (`manifest.json`): what the backup holds, each file's size and
//! SHA-256, the migrations of its database, the kessai version that made it and when.
//!
//! The manifest is written last, so a folder without one is a backup that did not finish;
//! restore checks every file against it before anything is put back.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::{io_error, BackupError};

/// The name of the manifest inside a backup folder.
pub const MANIFEST: &str = "manifest.json";

/// The manifest layout this kessai writes and reads.
pub const FORMAT: u32 = 1;

/// Where the secret key of the backed-up instance came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// `<data dir>/secret.key`, which the backup holds.
    File,
    /// `KESSAI_SECRET_KEY`, which the backup does not hold.
    Environment,
    /// Neither existed: no secret was ever stored.
    None,
}

/// One file of a backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path inside the backup, `/`-separated; the same path under the data dir, except
    /// for the database.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
}

/// What a backup holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version of this file ([`FORMAT`]).
    pub format: u32,
    /// Version of the kessai that made the backup.
    pub kessai_version: String,
    /// When the backup was made (UTC).
    pub created_at: DateTime<Utc>,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Path of the database copy inside the backup; `None` for PostgreSQL, whose database
    /// is backed up with `pg_dump` or continuous archiving.
    pub database: Option<String>,
    /// Versions of the migrations applied to the backed-up database.
    pub migrations: Vec<i64>,
    /// Where the instance's secret key came from.
    pub secret_key: KeySource,
    /// Every file of the backup except this manifest, in path order.
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// Writes the manifest into `dir`, through a temporary file so it appears whole.
    pub fn write(&self, dir: &Path) -> Result<(), BackupError> {
        let text = serde_json::to_string_pretty(self).expect("a manifest serializes");
        super::files::write_atomically(&dir.join(MANIFEST), text.as_bytes())
    }

    /// Reads the manifest of the backup in `dir`.
    pub fn read(dir: &Path) -> Result<Manifest, BackupError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                BackupError::NoManifest(dir.to_owned())
            } else {
                io_error(&path)(e)
            }
        })?;
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| BackupError::Manifest(format!("{}: {e}", path.display())))?;
        if manifest.format != FORMAT {
            return Err(BackupError::Manifest(format!(
                "format {} is not known to this kessai (it reads format {FORMAT})",
                manifest.format
            )));
        }
        for entry in &manifest.files {
            if !relative_path_ok(&entry.path) {
                return Err(BackupError::Manifest(format!(
                    "the file path {:?} leaves the backup",
                    entry.path
                )));
            }
        }
        if let Some(db) = &manifest.database {
            if manifest.entry(db).is_none() {
                return Err(BackupError::Manifest(format!(
                    "the database {db} is not among the files"
                )));
            }
        }
        Ok(manifest)
    }

    /// The entry of `path`, if the backup holds it.
    pub fn entry(&self, path: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.path == path)
    }
}

impl FileEntry {
    /// Size and hash of the file at `file`, recorded as `path`.
    pub fn of(file: &Path, path: &str) -> Result<FileEntry, BackupError> {
        let mut reader = std::fs::File::open(file).map_err(io_error(file))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = reader.read(&mut buf).map_err(io_error(file))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            hasher.update(&buf[..n]);
        }
        Ok(FileEntry {
            path: path.to_owned(),
            size,
            sha256: hex::encode(hasher.finalize()),
        })
    }
}

/// Whether `path` names a file below a folder: relative, `/`-separated, no `.`/`..` parts.
pub fn relative_path_ok(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// `path` below `root`, for a path [`relative_path_ok`] accepted.
pub fn below(root: &Path, path: &str) -> PathBuf {
    path.split('/')
        .fold(root.to_owned(), |p, part| p.join(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_folder_are_refused() {
        assert!(relative_path_ok("certs/abc/client.pem"));
        assert!(relative_path_ok("secret.key"));
        assert!(!relative_path_ok("../secret.key"));
        assert!(!relative_path_ok("certs/../../etc/passwd"));
        assert!(!relative_path_ok("/etc/passwd"));
        assert!(!relative_path_ok("certs//a"));
        assert!(!relative_path_ok("certs\\..\\a"));
        assert!(!relative_path_ok(""));
    }
}
