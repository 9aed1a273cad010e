//! Key rotation for the provider secrets sealed at rest: every stored secret opened with
//! the current key and sealed again with a new one, in one transaction.

use super::{secret_context, Settings};
use crate::providers::{self, schema::Values};
use crate::secrets::SecretBox;
use crate::store::StoreError;

impl Settings {
    /// Seals every provider's stored secrets again with `new`, all in one transaction, and
    /// returns how many there were. `None` when settings were saved meanwhile: then
    /// nothing changed. A secret that does not open with the current key is an error and
    /// nothing changes either.
    pub async fn reseal_secrets(&self, new: &SecretBox) -> Result<Option<usize>, StoreError> {
        let mut changes = Vec::new();
        let mut count = 0;
        for spec in providers::PROVIDERS {
            let Some(stored) = self.store.provider_settings(spec.key).await? else {
                continue;
            };
            let sealed: Values = serde_json::from_str(&stored.secrets_json)
                .map_err(|e| StoreError::Corrupt(format!("{} secrets: {e}", spec.key)))?;
            let mut resealed = Values::new();
            for (key, value) in sealed {
                let context = secret_context(spec, &key);
                let plain = self
                    .secrets
                    .open(&context, &value)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                resealed.insert(key, new.seal(&context, plain.expose()));
                count += 1;
            }
            let resealed = serde_json::to_string(&resealed).expect("serializable");
            changes.push((spec.key.to_owned(), stored.secrets_json, resealed));
        }
        Ok(self
            .store
            .replace_provider_secrets(&changes)
            .await?
            .then_some(count))
    }
}
