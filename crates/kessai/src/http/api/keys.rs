//! API keys: created by an operator in the admin (APIキー), shown once, kept only as a
//! SHA-256 hash and a prefix; revoked keys stop working at once.

use chrono::{DateTime, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::domain::input::{self, Invalid};
use crate::secrets::Secret;
use crate::store::{ApiKey, Store, StoreError};

/// What every key starts with (tells a leaked string for what it is).
pub const KEY_PREFIX: &str = "ks_live_";
/// Random base62 characters after the prefix (about 190 bits).
const RANDOM_CHARS: usize = 32;
/// Characters of the key kept in clear to tell keys apart.
const SHOWN_CHARS: usize = KEY_PREFIX.len() + 4;

/// A key just created: the only moment the full key exists.
#[derive(Debug)]
pub struct CreatedKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub key: Secret,
}

/// A fresh random key.
fn generate() -> String {
    let random: String = rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(RANDOM_CHARS)
        .map(char::from)
        .collect();
    format!("{KEY_PREFIX}{random}")
}

/// The stored form of a key.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Creates a key named `name` (validated: required, at most 60 characters) on behalf of
/// `actor`, and audits it.
pub async fn create(
    store: &Store,
    name: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Result<CreatedKey, Invalid>, StoreError> {
    let name = match input::text("name", "名前", name, 60) {
        Ok(name) => name,
        Err(e) => return Ok(Err(e)),
    };
    let key = generate();
    let prefix = key[..SHOWN_CHARS].to_owned();
    let id = store
        .create_api_key(&name, &prefix, &hash(&key), now)
        .await?;
    store
        .audit(
            actor,
            "APIキーを作成",
            &name,
            &format!("id {id}, {prefix}…"),
            now,
        )
        .await?;
    Ok(Ok(CreatedKey {
        id,
        name,
        prefix,
        key: Secret::new(key),
    }))
}

/// Revokes a key and audits it; `None` when there is no such key, `Some(false)` when it was
/// revoked already.
pub async fn revoke(
    store: &Store,
    id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<(ApiKey, bool)>, StoreError> {
    let Some(key) = store.api_key(id).await? else {
        return Ok(None);
    };
    let revoked = store.revoke_api_key(id, now).await?;
    if revoked {
        store
            .audit(
                actor,
                "APIキーを無効化",
                &key.name,
                &format!("id {id}, {}…", key.prefix),
                now,
            )
            .await?;
    }
    Ok(Some((key, revoked)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_base62_and_never_repeat() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert_eq!(a.len(), KEY_PREFIX.len() + RANDOM_CHARS);
        assert!(a.starts_with(KEY_PREFIX));
        assert!(a[KEY_PREFIX.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
    }
}
