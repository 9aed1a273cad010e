//! The atone (Net Protections 翌月後払い) connector: its settings tab ([`settings`]), the
//! payment object, checksum and transaction object on the wire ([`wire`]), its statuses
//! ([`map`]), the REST client ([`client`]), the in-page widget checkout and its result
//! ([`handoff`]), the 決済 webhook ([`notify`]) and the operator's 売上計上 / 取消 / 取引修正 /
//! 取引参照 ([`operations`]). [`Config`] is the operator's settings resolved into hosts and
//! keys.
//!
//! Stateless: it never touches the database.

pub mod client;
pub mod handoff;
pub mod map;
pub mod notify;
pub mod operations;
pub mod settings;
pub mod wire;

use std::sync::{Arc, OnceLock};

use super::interface::{BrowserOrigins, Environment};
use super::schema::Values;
use super::Context;
use crate::secrets::Secret;

pub use handoff::Submission;

/// The provider's key (settings, payments, notification route).
pub const KEY: &str = "atone";

/// atone's production API and widget (spec §1).
pub const API_PRODUCTION_URL: &str = "https://api.atone.be/v1";
pub const WIDGET_PRODUCTION_URL: &str = "https://auth.atone.be/v1/atone.js";
/// atone's test ("CT") environment (spec §1).
pub const API_TEST_URL: &str = "https://ct-api.a-to-ne.jp/v1";
pub const WIDGET_TEST_URL: &str = "https://ct-auth.a-to-ne.jp/v1/atone.js";

/// The atone settings a checkout or an operation needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// 公開鍵 (店舗公開可能鍵), written into the checkout page.
    pub public_key: String,
    /// 秘密鍵 (店舗秘密鍵): Basic auth and the checksum.
    pub secret_key: Secret,
    /// 仮売上機能 即時売上確定 (else 仮売上).
    pub capture_at_once: bool,
    /// The REST API base (no trailing slash).
    pub api_url: String,
    /// atone.js.
    pub widget_url: String,
    pub environment: Environment,
    client: Arc<OnceLock<client::Client>>,
}

impl Config {
    /// Resolves the saved settings; the context locates the built-in sandbox.
    pub fn from_values(values: &Values, context: &Context) -> Config {
        let get = |key: &str| values.get(key).map(String::as_str).unwrap_or("").trim();
        let production = get("env") == "production";
        let (api_url, widget_url) = if production {
            (
                API_PRODUCTION_URL.to_owned(),
                WIDGET_PRODUCTION_URL.to_owned(),
            )
        } else if get("test_target") == "provider" {
            (API_TEST_URL.to_owned(), WIDGET_TEST_URL.to_owned())
        } else {
            let base = format!(
                "{}/sandbox/atone/v1",
                context.public_url.trim_end_matches('/')
            );
            (base.clone(), format!("{base}/atone.js"))
        };
        Config {
            public_key: get("public_key").to_owned(),
            secret_key: Secret::new(get("secret_key")),
            capture_at_once: get("sale_mode") != "auth",
            api_url,
            widget_url,
            environment: if production {
                Environment::Production
            } else {
                Environment::Test
            },
            client: Arc::default(),
        }
    }

    /// The REST client, built on first use and shared by clones.
    pub fn client(&self) -> &client::Client {
        self.client
            .get_or_init(|| client::Client::new(&self.api_url, self.secret_key.clone()))
    }

    /// What the buyer's browser reaches from atone's page on kessai's site: atone.js, with
    /// what it frames and calls; no form goes to atone.
    pub fn browser_origins(&self) -> BrowserOrigins {
        BrowserOrigins {
            scripts: BrowserOrigins::origins([&*self.widget_url]),
            pages: Vec::new(),
        }
    }

    /// atone's one settlement kind is offered once its keys are saved.
    pub fn offers(&self, kind: &str) -> bool {
        kind == KEY && !self.public_key.is_empty() && !self.secret_key.is_empty()
    }
}

/// The URL the operator registers as atone's 決済Webhook in atone's merchant console.
pub fn registered_urls(public_url: &str) -> Vec<super::interface::RegisteredUrl> {
    vec![super::interface::RegisteredUrl {
        label: "決済Webhook URL",
        url: format!("{}/notify/{KEY}", public_url.trim_end_matches('/')),
        note: "atoneの加盟店管理システムで決済Webhookを設定すると、購入者がatoneの画面を閉じて戻らなかった注文も、atoneへの取引参照で確かめてから受注になります。",
    }]
}

/// The settings at `pairs` resolved as the test suites use them.
#[cfg(test)]
pub(crate) fn config(pairs: &[(&str, &str)]) -> Config {
    let (values, context) = super::test_settings(pairs);
    Config::from_values(&values, &context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_environment_has_its_hosts() {
        let sandbox = config(&[]);
        assert_eq!(sandbox.api_url, "http://localhost/sandbox/atone/v1");
        assert_eq!(
            sandbox.widget_url,
            "http://localhost/sandbox/atone/v1/atone.js"
        );
        let test = config(&[("test_target", "provider")]);
        assert_eq!(test.api_url, API_TEST_URL);
        let live = config(&[("env", "production")]);
        assert_eq!(live.widget_url, WIDGET_PRODUCTION_URL);
        assert_eq!(live.environment, Environment::Production);
        assert!(config(&[("sale_mode", "capture")]).capture_at_once);
        assert!(!config(&[("sale_mode", "auth")]).capture_at_once);
    }
}
