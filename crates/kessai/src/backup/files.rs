//! The data dir's part of a backup: the secret key and the folders of uploaded
//! certificates, and the file operations backup and restore share (private modes, writes
//! through a temporary file and a rename).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{io_error, BackupError};

/// The key file in the data dir (see [`crate::secrets`]).
pub const KEY_FILE: &str = "secret.key";

/// The folder uploaded certificates go to unless a provider's settings name another.
pub const CERT_FOLDER: &str = "certs";

/// The files of the data dir a backup holds, as `/`-separated paths below it, in order:
/// the key file if there is one, and every file under `certs/` and under the certificate
/// folders the providers' settings name. Names starting with `.` are skipped: they are
/// uploads still being written.
pub fn data_dir_files(data_dir: &Path, folders: &[String]) -> Result<Vec<String>, BackupError> {
    let mut out = BTreeSet::new();
    if data_dir.join(KEY_FILE).is_file() {
        out.insert(KEY_FILE.to_owned());
    }
    let mut roots: BTreeSet<&str> = folders.iter().map(String::as_str).collect();
    roots.insert(CERT_FOLDER);
    for root in roots {
        if !super::manifest::relative_path_ok(root) {
            continue;
        }
        walk(&super::manifest::below(data_dir, root), root, &mut out)?;
    }
    Ok(out.into_iter().collect())
}

fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) -> Result<(), BackupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io_error(dir))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(io_error(&entry.path()))?;
        let path = format!("{prefix}/{name}");
        if kind.is_dir() {
            walk(&entry.path(), &path, out)?;
        } else if kind.is_file() {
            out.insert(path);
        }
    }
    Ok(())
}

/// Creates `dir` (and its parents) readable only by this user.
pub fn create_private_dir(dir: &Path) -> Result<(), BackupError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io_error(dir))
}

/// A temporary name next to `path`, in the same folder so a rename is atomic.
pub fn temporary_next_to(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.{}.tmp",
        crate::secrets::random_token(6).replace(['-', '_'], "x")
    ))
}

/// Copies `from` to a new file `to` readable only by this user, synced to disk.
pub fn copy_private(from: &Path, to: &Path) -> Result<(), BackupError> {
    if let Some(parent) = to.parent() {
        create_private_dir(parent)?;
    }
    let mut source = std::fs::File::open(from).map_err(io_error(from))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut target = options.open(to).map_err(io_error(to))?;
    std::io::copy(&mut source, &mut target).map_err(io_error(to))?;
    target.sync_all().map_err(io_error(to))
}

/// Writes `bytes` to `path` through a temporary file and a rename, readable only by this
/// user.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BackupError> {
    use std::io::Write as _;
    let tmp = temporary_next_to(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(io_error(&tmp))?;
    file.write_all(bytes).map_err(io_error(&tmp))?;
    file.sync_all().map_err(io_error(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_error(path))
}

/// Makes an existing file readable only by this user.
pub fn make_private(path: &Path) -> Result<(), BackupError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_error(path))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Whether `dir` is missing or an empty folder.
pub fn is_missing_or_empty(dir: &Path) -> Result<bool, BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(io_error(dir)(e)),
    }
}

/// Removes a file if it exists.
pub fn remove_if_present(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(path)(e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_and_every_certificate_folder_are_listed_but_not_partial_uploads() {
        let dir = std::env::temp_dir().join(format!(
            "kessai-backup-files-{}",
            crate::secrets::random_token(6)
        ));
        for file in [
            "secret.key",
            "kessai.db",
            "certs/a1/client.pem",
            "certs/a1/.upload.tmp",
            "mine/ca.pem",
            "mail/1.eml",
        ] {
            let path = super::super::manifest::below(&dir, file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"x").unwrap();
        }

        let files = data_dir_files(&dir, &["mine".into(), "../escape".into()]).unwrap();

        assert_eq!(files, ["certs/a1/client.pem", "mine/ca.pem", "secret.key"]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
