//! The shop's settings as the operator edits them: 基本設定 (shop information), which
//! providers are in use, and each provider's settings (validated against its spec, secrets
//! sealed at rest, uploaded certificates stored under the data dir).
//!
//! An invalid provider save changes nothing of the stored settings but stops (停止) every
//! payment method of that provider, as the manuals describe.

mod rotation;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::domain::input::{self, Invalid};
use crate::providers::schema::{FieldError, Input, ProviderSpec, Values};
use crate::providers::{self, validate};
use crate::secrets::SecretBox;
use crate::store::{Order, Payment, PaymentMethod, Store, StoreError};

/// Message after a valid provider save (the manuals' wording).
pub const SAVED_MESSAGE: &str =
    "オプションを更新しました。利用する支払方法を「使用」に更新してください。";

/// 基本設定: what the shop tells buyers and providers about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShopInfo {
    /// ショップ名
    pub shop_name: String,
    /// 会社名 (some providers send it with every payment and refuse payments while empty).
    pub company_name: String,
    /// 郵便番号
    pub postal_code: String,
    /// 住所1
    pub address1: String,
    /// 住所2
    pub address2: String,
    /// 電話番号
    pub phone: String,
    /// 受注メールアドレス (where order mails to the shop go)
    pub order_email: String,
    /// 送信元メールアドレス (sender of mails to buyers)
    pub sender_email: String,
    /// コンバージョンタグ（購入完了ページ）: HTML the operator trusts (an advertiser's or
    /// analytics tag), shown once per order on 購入完了 with [`ShopInfo::conversion_snippet`].
    pub conversion_tag: String,
}

/// Longest コンバージョンタグ.
const MAX_CONVERSION_TAG_CHARS: usize = 20_000;

impl ShopInfo {
    /// Validates operator input; returns the cleaned info or every error.
    pub fn parse(raw: &ShopInfo) -> Result<ShopInfo, Vec<Invalid>> {
        let mut errors = Vec::new();
        let mut keep =
            |r: Result<String, Invalid>| r.map_err(|e| errors.push(e)).unwrap_or_default();
        let optional = |field: &str, label: &str, v: &str, max: usize| {
            if v.trim().is_empty() {
                Ok(String::new())
            } else {
                input::text(field, label, v, max)
            }
        };
        // What providers are sent (the shop and company name on their pages and slips, the
        // address on B2's ご依頼主) must be text they can carry.
        let carried = |r: Result<String, Invalid>, field: &str, label: &str| {
            r.and_then(|v| input::provider_safe(field, label, &v).map(|()| v))
        };
        let info = ShopInfo {
            shop_name: keep(carried(
                input::text("shop_name", "ショップ名", &raw.shop_name, 100),
                "shop_name",
                "ショップ名",
            )),
            company_name: keep(carried(
                optional("company_name", "会社名", &raw.company_name, 100),
                "company_name",
                "会社名",
            )),
            postal_code: keep(if raw.postal_code.trim().is_empty() {
                Ok(String::new())
            } else {
                input::PostalCode::parse("postal_code", &raw.postal_code)
                    .map(|p| p.as_str().to_owned())
            }),
            address1: keep(carried(
                optional("address1", "住所1", &raw.address1, 200),
                "address1",
                "住所1",
            )),
            address2: keep(carried(
                optional("address2", "住所2", &raw.address2, 200),
                "address2",
                "住所2",
            )),
            phone: keep(if raw.phone.trim().is_empty() {
                Ok(String::new())
            } else {
                input::Phone::parse("phone", &raw.phone).map(|p| p.as_str().to_owned())
            }),
            order_email: keep(shop_email(
                "order_email",
                "受注メールアドレス",
                &raw.order_email,
            )),
            sender_email: keep(shop_email(
                "sender_email",
                "送信元メールアドレス",
                &raw.sender_email,
            )),
            conversion_tag: raw.conversion_tag.trim().to_owned(),
        };
        if info.conversion_tag.chars().count() > MAX_CONVERSION_TAG_CHARS {
            errors.push(Invalid::new(
                "conversion_tag",
                format!("コンバージョンタグは{MAX_CONVERSION_TAG_CHARS}文字以内で入力してください"),
            ));
        }
        if errors.is_empty() {
            Ok(info)
        } else {
            Err(errors)
        }
    }

    /// The conversion tag for one order, its placeholders filled: `{order_number}` (注文番号)
    /// and `{total}` (総合計金額 in yen, digits only). Only letters, digits and hyphens of the
    /// values go in, so nothing an order holds can change the operator's HTML. `None` when
    /// no tag is set.
    pub fn conversion_snippet(&self, order_number: &str, total: i64) -> Option<String> {
        if self.conversion_tag.is_empty() {
            return None;
        }
        let digits: String = order_number
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        Some(
            self.conversion_tag
                .replace("{order_number}", &digits)
                .replace("{total}", &total.to_string()),
        )
    }
}

/// One of the shop's mail addresses: valid for us and for the mail transport, so every mail
/// composed from it can be sent; the message names the field, as the page has two.
fn shop_email(field: &str, label: &str, value: &str) -> Result<String, Invalid> {
    input::Email::parse(field, value)
        .ok()
        .filter(|e| e.as_str().parse::<lettre::Address>().is_ok())
        .map(|e| e.as_str().to_owned())
        .ok_or_else(|| Invalid::new(field, format!("{label}を正しく入力してください")))
}

/// システム設定: switches of the admin console.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SystemSettings {
    /// 決済直前ログより受注データ再作成: the 決済直前ログ一覧 and its 受注データ登録 (off
    /// until the operator turns it on, as in Welcart).
    pub prepayment_log_recovery: bool,
}

/// A provider settings form as submitted.
#[derive(Debug, Default)]
pub struct ProviderSubmission {
    /// Submitted values; an empty secret means "keep the stored one".
    pub values: Values,
    /// Secret fields the operator asked to erase.
    pub clear: BTreeSet<String>,
    /// Uploaded files: field key → (original file name, contents).
    pub uploads: BTreeMap<String, (String, Vec<u8>)>,
}

/// The result of saving a provider's settings.
#[derive(Debug)]
pub enum SaveResult {
    /// Stored.
    Saved,
    /// Nothing stored; these payment methods were stopped.
    Invalid {
        errors: Vec<FieldError>,
        stopped: Vec<PaymentMethod>,
    },
}

/// The manuals' message after an invalid save, naming the stopped methods.
pub fn invalid_message(stopped: &[PaymentMethod]) -> String {
    if stopped.is_empty() {
        "データに不備があります。設定を完了して、支払方法を「使用」に更新してください。".to_owned()
    } else {
        let names: Vec<&str> = stopped.iter().map(|m| m.name.as_str()).collect();
        format!(
            "データに不備があります。支払方法の{}を「停止」しました。設定を完了して、支払方法を「使用」に更新してください。",
            names.join(",")
        )
    }
}

/// Reads and writes settings.
#[derive(Clone, Debug)]
pub struct Settings {
    store: Store,
    secrets: SecretBox,
    clock: Clock,
    data_dir: PathBuf,
    /// Counts provider-settings saves made by this instance, so caches can tell they are stale.
    generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// 基本設定 as last read (when, and at which generation): every page and hand-off step
    /// reads it, so it is read again only after [`SETTINGS_TTL`] or a save here.
    shop: std::sync::Arc<std::sync::Mutex<Option<(std::time::Instant, u64, ShopInfo)>>>,
}

/// How long settings read from the database are reused before they are read again: a
/// change saved on another instance takes effect within that time, one saved here at once.
pub const SETTINGS_TTL: std::time::Duration = std::time::Duration::from_secs(2);

const SHOP: &str = "shop";
const SYSTEM: &str = "system";
const PROVIDERS_IN_USE: &str = "providers_in_use";

impl Settings {
    /// A settings service over the store.
    pub fn new(store: Store, secrets: SecretBox, clock: Clock, data_dir: PathBuf) -> Self {
        Self {
            store,
            secrets,
            clock,
            data_dir,
            generation: Default::default(),
            shop: Default::default(),
        }
    }

    /// Changes whenever this instance saves provider settings or 基本設定.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// 基本設定 (empty until saved), read at most every [`SETTINGS_TTL`].
    pub async fn shop(&self) -> Result<ShopInfo, StoreError> {
        let generation = self.generation();
        let lock = || {
            self.shop
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((at, seen, info)) = lock().as_ref() {
            if at.elapsed() < SETTINGS_TTL && *seen == generation {
                return Ok(info.clone());
            }
        }
        let info = match self.store.setting(SHOP).await? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("shop settings: {e}")))?,
            None => ShopInfo::default(),
        };
        *lock() = Some((std::time::Instant::now(), generation, info.clone()));
        Ok(info)
    }

    /// Saves 基本設定 (already validated).
    pub async fn save_shop(&self, info: &ShopInfo, actor: &str) -> Result<(), StoreError> {
        let now = self.clock.now();
        self.store
            .put_setting(
                SHOP,
                &serde_json::to_string(info).expect("serializable"),
                now,
            )
            .await?;
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.store
            .audit(actor, "基本設定を更新", "shop", "", now)
            .await
    }

    /// システム設定 (defaults until saved).
    pub async fn system(&self) -> Result<SystemSettings, StoreError> {
        match self.store.setting(SYSTEM).await? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("system settings: {e}"))),
            None => Ok(SystemSettings::default()),
        }
    }

    /// Saves システム設定.
    pub async fn save_system(
        &self,
        system: &SystemSettings,
        actor: &str,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let json = serde_json::to_string(system).expect("serializable");
        self.store.put_setting(SYSTEM, &json, now).await?;
        self.store
            .audit(actor, "システム設定を更新", "system", &json, now)
            .await
    }

    /// The providers in use, in the operator's order.
    pub async fn providers_in_use(&self) -> Result<Vec<&'static ProviderSpec>, StoreError> {
        let keys: Vec<String> = match self.store.setting(PROVIDERS_IN_USE).await? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("providers in use: {e}")))?,
            None => Vec::new(),
        };
        Ok(keys.iter().filter_map(|k| providers::provider(k)).collect())
    }

    /// Sets the providers in use; payment methods of providers taken out of use are stopped
    /// and returned.
    pub async fn set_providers_in_use(
        &self,
        keys: &[&str],
        actor: &str,
    ) -> Result<Vec<PaymentMethod>, StoreError> {
        let now = self.clock.now();
        let before = self.providers_in_use().await?;
        let kept: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| providers::provider(k).is_some())
            .collect();
        self.store
            .put_setting(
                PROVIDERS_IN_USE,
                &serde_json::to_string(&kept).expect("serializable"),
                now,
            )
            .await?;
        let removed: Vec<&str> = before
            .iter()
            .filter(|p| !kept.contains(&p.key))
            .flat_map(|p| p.services.iter().map(|s| s.kind))
            .collect();
        let stopped = self.store.stop_payment_methods(&removed, now).await?;
        self.store
            .audit(
                actor,
                "利用するクレジット決済会社を更新",
                "providers",
                &kept.join(","),
                now,
            )
            .await?;
        Ok(stopped)
    }

    /// Whether a provider's settings were ever saved.
    pub async fn provider_saved(&self, spec: &ProviderSpec) -> Result<bool, StoreError> {
        Ok(self.store.provider_settings(spec.key).await?.is_some())
    }

    /// A provider's current values: defaults, overlaid with what is stored, secrets opened.
    pub async fn provider(&self, spec: &ProviderSpec) -> Result<Values, StoreError> {
        Ok(self
            .saved_provider(spec)
            .await?
            .unwrap_or_else(|| validate::defaults(spec)))
    }

    /// The payment method's name of an order as its mails and pages show it (with what the
    /// buyer chose on the provider's page, where the provider's settings say so).
    pub async fn payment_method_label(
        &self,
        order: &Order,
        payment: Option<&Payment>,
    ) -> Result<String, StoreError> {
        let name = &order.payment_method_name;
        let Some((payment, spec)) =
            payment.and_then(|p| Some((p, providers::provider(&p.provider)?)))
        else {
            return Ok(name.clone());
        };
        Ok(providers::method_label(
            spec.key,
            &self.provider(spec).await?,
            &payment.settlement_kind,
            name,
            &payment.details(),
        ))
    }

    /// `plain` encrypted for `context` with the application key, safe to hand out (a token
    /// in an address a provider sends the buyer back to).
    pub fn seal(&self, context: &str, plain: &str) -> String {
        self.secrets.seal(context, plain)
    }

    /// What [`Settings::seal`] sealed for `context`; `None` for anything else.
    pub fn open(&self, context: &str, sealed: &str) -> Option<String> {
        self.secrets
            .open(context, sealed)
            .ok()
            .map(|s| s.expose().to_owned())
    }

    /// A provider's values as [`Settings::provider`] gives them, or `None` if never saved.
    async fn saved_provider(&self, spec: &ProviderSpec) -> Result<Option<Values>, StoreError> {
        let Some(stored) = self.store.provider_settings(spec.key).await? else {
            return Ok(None);
        };
        let mut values = validate::defaults(spec);
        let plain: Values = serde_json::from_str(&stored.values_json)
            .map_err(|e| StoreError::Corrupt(format!("{} settings: {e}", spec.key)))?;
        let sealed: Values = serde_json::from_str(&stored.secrets_json)
            .map_err(|e| StoreError::Corrupt(format!("{} secrets: {e}", spec.key)))?;
        values.extend(plain);
        for (key, sealed) in sealed {
            let secret = self
                .secrets
                .open(&secret_context(spec, &key), &sealed)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            values.insert(key, secret.expose().to_owned());
        }
        Ok(Some(values))
    }

    /// The settlement kinds (決済種別) currently enabled: services of providers in use whose
    /// settings enable them.
    pub async fn enabled_kinds(&self) -> Result<Vec<(&'static str, &'static str)>, StoreError> {
        let mut kinds = Vec::new();
        for spec in self.providers_in_use().await? {
            let Some(values) = self.saved_provider(spec).await? else {
                continue;
            };
            kinds.extend(validate::enabled_services(spec, &values).map(|s| (s.kind, s.label)));
        }
        Ok(kinds)
    }

    /// Where a provider's file field is stored, if it has a file.
    pub fn file_path(&self, values: &Values, folder_key: &str, file_name: &str) -> PathBuf {
        self.data_dir
            .join(
                values
                    .get(folder_key)
                    .map(String::as_str)
                    .unwrap_or("certs"),
            )
            .join(file_name)
    }

    /// Validates and saves a provider's settings. On errors nothing is stored and every
    /// payment method of the provider is stopped.
    pub async fn save_provider(
        &self,
        spec: &ProviderSpec,
        sub: ProviderSubmission,
        actor: &str,
    ) -> Result<SaveResult, StoreError> {
        let now = self.clock.now();
        let current = self.provider(spec).await?;
        let mut values = sub.values;
        let mut errors = Vec::new();
        let mut files_present = BTreeSet::new();
        for field in validate::fields(spec) {
            let key = field.key.to_owned();
            match field.input {
                Input::Secret { .. } => {
                    let typed = values
                        .get(&key)
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_default();
                    let value = if sub.clear.contains(&key) {
                        String::new()
                    } else if typed.is_empty() {
                        current.get(&key).cloned().unwrap_or_default()
                    } else {
                        typed
                    };
                    values.insert(key, value);
                }
                Input::File { .. } => {
                    let stored = current.get(&key).cloned().unwrap_or_default();
                    if let Some((name, bytes)) = sub.uploads.get(&key) {
                        match validate::check_upload(field, name, bytes) {
                            Ok(()) => {
                                files_present.insert(key.clone());
                                values.insert(key.clone(), stored_file_name(&key, name));
                                continue;
                            }
                            Err(message) => errors.push(FieldError::new(field.key, message)),
                        }
                    } else if !stored.is_empty() {
                        files_present.insert(key.clone());
                    }
                    values.insert(key, stored);
                }
                // A choice left unselected is absent from a browser's form: it means "none".
                Input::Radio(_) | Input::Checkboxes(_) | Input::DeliveryMethods => {
                    values.entry(key).or_default();
                }
                // A text input is always submitted, even empty; absent means the form did not
                // contain it (an API client or an older page), so the current value stays.
                _ => {
                    let keep = current.get(&key).cloned().unwrap_or_default();
                    values.entry(key).or_insert(keep);
                }
            }
        }
        let delivery_method_ids = self
            .store
            .delivery_methods()
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        let context = validate::Context {
            delivery_method_ids,
            files_present,
        };
        for error in validate::validate(spec, &values, &context) {
            if !errors.iter().any(|e| e.field == error.field) {
                errors.push(error);
            }
        }
        if !errors.is_empty() {
            let kinds: Vec<&str> = spec.services.iter().map(|s| s.kind).collect();
            let stopped = self.store.stop_payment_methods(&kinds, now).await?;
            let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            self.store
                .audit(
                    actor,
                    "決済設定の更新に失敗",
                    spec.key,
                    &format!("errors: {}", fields.join(",")),
                    now,
                )
                .await?;
            return Ok(SaveResult::Invalid { errors, stopped });
        }
        self.store_uploads(spec, &mut values, &sub.uploads).await?;
        let mut plain = Values::new();
        let mut sealed = Values::new();
        for field in validate::fields(spec) {
            let value = values
                .get(field.key)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default();
            if let Input::Secret { .. } = field.input {
                if !value.is_empty() {
                    sealed.insert(
                        field.key.to_owned(),
                        self.secrets.seal(&secret_context(spec, field.key), &value),
                    );
                }
            } else {
                plain.insert(field.key.to_owned(), value);
            }
        }
        let changed: Vec<&str> = validate::fields(spec)
            .filter(|f| current.get(f.key).map(|v| v.trim()) != values.get(f.key).map(|v| v.trim()))
            .map(|f| f.key)
            .collect();
        self.store
            .put_provider_settings(
                spec.key,
                &serde_json::to_string(&plain).expect("serializable"),
                &serde_json::to_string(&sealed).expect("serializable"),
                now,
            )
            .await?;
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.store
            .audit(
                actor,
                "決済設定を更新",
                spec.key,
                &format!("changed: {}", changed.join(",")),
                now,
            )
            .await?;
        Ok(SaveResult::Saved)
    }

    async fn store_uploads(
        &self,
        spec: &ProviderSpec,
        values: &mut Values,
        uploads: &BTreeMap<String, (String, Vec<u8>)>,
    ) -> Result<(), StoreError> {
        let Some(folder_key) = validate::fields(spec)
            .find(|f| matches!(f.input, Input::Folder))
            .map(|f| f.key)
        else {
            return Ok(());
        };
        for (key, (name, bytes)) in uploads {
            let file_name = stored_file_name(key, name);
            let path = self.file_path(values, folder_key, &file_name);
            write_private(&path, bytes).await.map_err(|e| {
                StoreError::Corrupt(format!("cannot store {}: {e}", path.display()))
            })?;
            values.insert(key.clone(), file_name);
        }
        Ok(())
    }
}

/// The name an uploaded file is stored under: the field key plus the uploaded extension.
fn stored_file_name(key: &str, uploaded_name: &str) -> String {
    let ext = uploaded_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    format!("{key}.{ext}")
}

fn secret_context(spec: &ProviderSpec, key: &str) -> String {
    format!("provider:{}:{}", spec.key, key)
}

/// Writes a file readable only by this user, atomically (temporary file, then rename).
async fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let path = path.to_owned();
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let dir = path.parent().expect("file paths have a folder");
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{}.tmp", crate::secrets::random_token(6)));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    })
    .await
    .expect("blocking write does not panic")
}
