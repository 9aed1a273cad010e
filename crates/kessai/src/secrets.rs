//! Secrets: a string type that never prints itself, and the encryption of secrets at rest.
//!
//! The encryption key is 32 random bytes kept in `<data dir>/secret.key` (created on first
//! start with mode 0600) or given as base64 in `KESSAI_SECRET_KEY`, which every instance of a
//! multi-instance deployment must share. Values are sealed with XChaCha20-Poly1305 and bound
//! to a context string (e.g. `provider:<key>:<field>`) so a ciphertext cannot be moved to another
//! row unnoticed.

use std::fmt;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

/// A string that must not appear in logs, pages or debug output.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The clear value, for the one place that needs it (a provider call, a hash).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A masked rendering for screens: `********` plus the last two characters when the
    /// value is long enough that they reveal nothing useful.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks a secret value for display.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    match chars.len() {
        0 => String::new(),
        n if n >= 10 => format!("********{}", chars[n - 2..].iter().collect::<String>()),
        _ => "********".to_owned(),
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

/// Failures of the secret store.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read or create the key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("the secret key must be 32 bytes encoded in base64")]
    BadKey,
    #[error("a stored secret cannot be decrypted with this key (wrong KESSAI_SECRET_KEY or secret.key?)")]
    Decrypt,
}

/// Seals and opens secrets with the instance key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(********)")
    }
}

const KEY_FILE: &str = "secret.key";
const PREFIX: &str = "v1:";

impl SecretBox {
    /// Loads the key from `KESSAI_SECRET_KEY` if given, else from the data dir, creating it
    /// on first start.
    pub fn load(data_dir: &Path, env_key: Option<&str>) -> Result<Self, SecretError> {
        let key = match env_key {
            Some(b64) => B64.decode(b64.trim()).map_err(|_| SecretError::BadKey)?,
            None => read_or_create_key(&data_dir.join(KEY_FILE))?,
        };
        Self::from_key(&key)
    }

    /// A box around raw key bytes.
    pub fn from_key(key: &[u8]) -> Result<Self, SecretError> {
        let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| SecretError::BadKey)?;
        if key.len() != 32 {
            return Err(SecretError::BadKey);
        }
        Ok(Self { cipher })
    }

    /// Encrypts `plain`, bound to `context`.
    pub fn seal(&self, context: &str, plain: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("encryption with a valid key cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", B64.encode(out))
    }

    /// Decrypts a value sealed for `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<Secret, SecretError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| B64.decode(b).ok())
            .filter(|raw| raw.len() > 24)
            .ok_or(SecretError::Decrypt)?;
        let (nonce, body) = raw.split_at(24);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Decrypt)?;
        String::from_utf8(plain)
            .map(Secret)
            .map_err(|_| SecretError::Decrypt)
    }
}

fn read_or_create_key(path: &Path) -> Result<Vec<u8>, SecretError> {
    let io = |source| SecretError::KeyFile {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            return B64
                .decode(bytes.trim_ascii())
                .map_err(|_| SecretError::BadKey)
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        Err(_) => {}
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            use std::io::Write;
            file.write_all(B64.encode(key).as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok(key.to_vec())
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let bytes = std::fs::read(path).map_err(io)?;
            B64.decode(bytes.trim_ascii())
                .map_err(|_| SecretError::BadKey)
        }
        Err(e) => Err(io(e)),
    }
}

/// A random token of `bytes` random bytes, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Hashes a password with Argon2id and a random salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash password: {e}"))
}

/// Whether `password` matches an Argon2 `hash` (false for a hash that does not parse).
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// An Argon2 hash of a random string, verified against when an account does not exist so
/// unknown logins take as long as wrong passwords.
pub const DUMMY_PASSWORD_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Jq3p2mJx1n4Zs6dSx1fZy8oXx7PmrZ9C2r7t1XJ3w5E";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print_their_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s}"), "********");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.masked(), "********et");
        assert_eq!(Secret::new("short").masked(), "********");
    }

    #[test]
    fn sealed_values_open_only_in_their_context() {
        let sb = SecretBox::from_key(&[7u8; 32]).unwrap();
        let sealed = sb.seal("provider:alpha", "pass");
        assert!(!sealed.contains("pass"));
        assert_eq!(sb.open("provider:alpha", &sealed).unwrap().expose(), "pass");
        assert!(sb.open("provider:beta", &sealed).is_err());
        let other = SecretBox::from_key(&[8u8; 32]).unwrap();
        assert!(other.open("provider:alpha", &sealed).is_err());
    }

    #[test]
    fn key_file_is_created_once_with_private_mode() {
        let dir = std::env::temp_dir().join(format!("kessai-key-{}", random_token(6)));
        let a = read_or_create_key(&dir.join(KEY_FILE)).unwrap();
        let b = read_or_create_key(&dir.join(KEY_FILE)).unwrap();
        assert_eq!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
