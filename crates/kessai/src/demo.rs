//! The demo shop loaded by `serve --demo`: a few products, two delivery methods (one
//! クロネコヤマト), every provider in use in the test environment pointed at the built-in
//! sandboxes with sandbox credentials, and a payment method for every enabled service.
//!
//! The demo is loaded once per database: the first instance to claim the `demo_loaded`
//! marker loads it, so restarts and several instances starting together never duplicate or
//! overwrite what the operator changed.

use anyhow::{bail, Context as _};

use crate::clock::Clock;
use crate::domain::order::Carrier;
use crate::providers::{validate, PROVIDERS};
use crate::settings::{ProviderSubmission, SaveResult, Settings, ShopInfo};
use crate::store::{NewDeliveryMethod, NewPaymentMethod, Store};

const ACTOR: &str = "demo";

/// Demo credentials per provider: the values the built-in sandboxes accept.
const CREDENTIALS: &[(&str, &[(&str, &str)])] = &[
    (
        "paygent",
        &[
            ("merchant_id", "123456789"),
            ("connect_id", "sandboxconnect"),
            ("connect_password", "sandboxpassword"),
            ("link_hash_key", "sandboxlinkhashkey"),
            ("notice_hash_key", "sandboxnoticehashkey"),
            ("card", "module"),
            ("token_key", "sandboxtokenkey"),
            ("token_hash_key", "sandboxtokenhashkey"),
            ("stock_card", "on"),
            ("conv", "module"),
            ("atm", "on"),
            ("netbank", "on"),
            ("paidy", "on"),
            ("paidy_public_key", "pk_test_123456789"),
        ],
    ),
    (
        "remise",
        &[
            ("shop_code", "RMS00001"),
            ("host_id", "SBX01001"),
            ("card", "on"),
            ("payquick", "on"),
            ("extset", "on"),
            ("extset_host_id", "SBX02001"),
            ("multi", "on"),
            ("multi_show_destination", "on"),
        ],
    ),
    (
        "atone",
        &[
            ("public_key", "sandbox_public_key"),
            ("secret_key", "sandbox_secret_key"),
        ],
    ),
    (
        "yamato",
        &[
            ("trader_code", "888888709"),
            ("access_key", "1234567"),
            ("stored_card", "on"),
        ],
    ),
];

const PRODUCTS: &[(&str, &str, &str, i64)] = &[
    (
        "DEMO-TEA-01",
        "静岡産 深蒸し煎茶 100g",
        "香り高い深蒸し煎茶です。",
        1_080,
    ),
    (
        "DEMO-CUP-01",
        "有田焼 湯呑み",
        "手描きの藍色が映える湯呑みです。",
        3_300,
    ),
    (
        "DEMO-TOWEL-01",
        "今治タオル フェイスタオル 2枚組",
        "やわらかく吸水性に優れたタオルです。",
        2_200,
    ),
    (
        "DEMO-BOOK-01",
        "月刊 デモ通信（定期購読）",
        "毎月お届けする定期購読の雑誌です。",
        880,
    ),
];

/// Loads the demo shop unless it was loaded before.
pub async fn load(store: &Store, settings: &Settings, clock: &Clock) -> anyhow::Result<()> {
    let now = clock.now();
    if !store
        .claim_setting(
            "demo_loaded",
            &serde_json::to_string(&now).expect("serializable"),
            now,
        )
        .await?
    {
        return Ok(());
    }
    for (code, name, description, price) in PRODUCTS {
        store
            .upsert_product(code, name, description, *price, now)
            .await?;
    }
    if store.delivery_methods().await?.is_empty() {
        for (name, carrier, slots) in [
            (
                "宅急便",
                Carrier::Yamato,
                "午前中\n14時～16時\n16時～18時\n18時～20時\n19時～21時",
            ),
            (
                "ゆうパック",
                Carrier::JapanPost,
                "午前中\n12時～14時\n14時～16時\n16時～18時\n18時～20時\n19時～21時",
            ),
        ] {
            let method = NewDeliveryMethod {
                name: name.to_owned(),
                carrier: carrier.as_str().to_owned(),
                date_earliest_days: 2,
                date_range_days: 7,
                time_slots: slots.to_owned(),
            };
            store.create_delivery_method(&method, now).await?;
        }
    }
    if settings.shop().await?.shop_name.is_empty() {
        let shop = ShopInfo {
            shop_name: "kessai デモショップ".into(),
            company_name: "株式会社ケッサイデモ".into(),
            postal_code: "100-0005".into(),
            address1: "東京都千代田区丸の内1-1-1".into(),
            address2: "デモビル3F".into(),
            phone: "03-1234-5678".into(),
            order_email: "shop@example.com".into(),
            sender_email: "noreply@example.com".into(),
            conversion_tag: String::new(),
        };
        settings.save_shop(&shop, ACTOR).await?;
    }
    if settings.providers_in_use().await?.is_empty() {
        let keys: Vec<&str> = PROVIDERS.iter().map(|p| p.key).collect();
        settings.set_providers_in_use(&keys, ACTOR).await?;
    }
    let yamato_delivery: Vec<String> = store
        .delivery_methods()
        .await?
        .iter()
        .filter(|d| d.carrier == Carrier::Yamato.as_str())
        .map(|d| d.id.to_string())
        .collect();
    for spec in PROVIDERS {
        if settings.provider_saved(spec).await? {
            continue;
        }
        let mut values = validate::defaults(spec);
        let credentials = CREDENTIALS
            .iter()
            .find(|(k, _)| *k == spec.key)
            .map(|(_, c)| *c)
            .unwrap_or(&[]);
        for (key, value) in credentials {
            values.insert((*key).to_owned(), (*value).to_owned());
        }
        if spec.key == "yamato" {
            values.insert("yamato_delivery".into(), yamato_delivery.join(","));
        }
        match settings
            .save_provider(
                spec,
                ProviderSubmission {
                    values,
                    ..Default::default()
                },
                ACTOR,
            )
            .await?
        {
            SaveResult::Saved => {}
            SaveResult::Invalid { errors, .. } => {
                bail!("demo settings for {} are invalid: {errors:?}", spec.key)
            }
        }
    }
    if store.payment_methods().await?.is_empty() {
        for (kind, label) in settings
            .enabled_kinds()
            .await
            .context("reading enabled services")?
        {
            // The 2022 edition's name stays for shops that still have such methods; the demo
            // shows the current one.
            if kind == "remise_conv" {
                continue;
            }
            let method = NewPaymentMethod {
                name: label.to_owned(),
                description_html: format!(
                    "<p>{label}でお支払いいただけます（テスト環境・内蔵サンドボックス）。</p>"
                ),
                settlement_kind: kind.to_owned(),
                active: true,
            };
            store.create_payment_method(&method, now).await?;
        }
    }
    Ok(())
}
