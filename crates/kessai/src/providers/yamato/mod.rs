//! The Kuroneko Web Collect (Yamato) connector: its settings tab ([`settings`]), its wire
//! format ([`wire`]: function addresses, the `<return>` XML, check sums, the 送り状番号
//! rule), its 取引状況 ([`map`]), the API client ([`client`]: A03, A05–A09, E01, E02, E04),
//! the token card checkout with 3-D Secure ([`handoff`]), the operator's 売上確定 / 取消 /
//! 利用額変更 / 状態更新 ([`operations`]), kept cards ([`cards`]) and the B2 CSV ([`b2`]: the
//! file to print slips with and the file of 送り状番号 B2 gives back). [`Config`] is the
//! operator's settings resolved into hosts and keys.
//!
//! Stateless: it never touches the database. kessai's link key is Web Collect's 受注番号
//! (`order_no`) and the payment's 決済ID.

pub mod b2;
pub mod cards;
pub mod client;
pub mod handoff;
pub mod map;
pub mod operations;
pub mod settings;
pub mod wire;

use std::sync::{Arc, OnceLock};

use super::interface::{BrowserOrigins, Environment, RegisteredUrl};
use super::schema::Values;
use super::Context;
use crate::secrets::Secret;

pub use handoff::{Call, Submission};

/// The provider's key (settings, payments).
pub const KEY: &str = "yamato";

/// Settlement kinds of which a shop may have only one payment method (the manual:
/// 「クロネコ Web コレクトの決済種別で複数の支払方法を登録することは出来ません。」).
pub const SINGLE_METHOD_KINDS: &[&str] = &["yamato_card"];

/// The one settlement kind.
pub const CARD: &str = "yamato_card";

/// Web Collect's production host (spec §1: `…/api/<name>`).
pub const PRODUCTION_URL: &str = "https://api.kuronekoyamato.co.jp";
/// Web Collect's test host (spec §1: `…/test_gateway/<name>.api`).
pub const TEST_URL: &str = "https://ptwebcollect.jp";

/// The Kuroneko Web Collect settings a checkout or an operation needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// 加盟店コード.
    pub trader_code: String,
    /// アクセスキー: mixed into the check sums, never sent by itself.
    pub access_key: Secret,
    /// The host (no trailing slash), and whether its functions are the test gateway's.
    pub base: String,
    pub test_gateway: bool,
    pub environment: Environment,
    /// 3Dセキュア.
    pub three_d_secure: bool,
    /// セキュアコード: the security code is asked for.
    pub security_code: bool,
    /// カードお預かり機能, and whether every member's card is kept (常に登録する).
    pub stored_card: bool,
    pub register_always: bool,
    /// 処理区分 与信売上確定 (else 与信).
    pub capture_at_once: bool,
    /// 支払回数 分割払いを有効にする.
    pub installments: bool,
    /// クロネコヤマト配送: the delivery methods whose orders are captured by their 送り状番号.
    pub yamato_delivery: Vec<i64>,
    client: Arc<OnceLock<client::Client>>,
}

impl Config {
    /// Resolves the saved settings; the context locates the built-in sandbox, which mirrors
    /// the test gateway's addresses.
    pub fn from_values(values: &Values, context: &Context) -> Config {
        let get = |key: &str| values.get(key).map(String::as_str).unwrap_or("").trim();
        let production = get("env") == "production";
        let (base, test_gateway) = if production {
            (PRODUCTION_URL.to_owned(), false)
        } else if get("test_target") == "provider" {
            (TEST_URL.to_owned(), true)
        } else {
            let public = context.public_url.trim_end_matches('/');
            (format!("{public}/sandbox/yamato"), true)
        };
        Config {
            trader_code: get("trader_code").to_owned(),
            access_key: Secret::new(get("access_key")),
            base,
            test_gateway,
            environment: if production {
                Environment::Production
            } else {
                Environment::Test
            },
            three_d_secure: get("three_d_secure") == "on",
            security_code: get("security_code") != "off",
            stored_card: get("stored_card") == "on",
            register_always: get("stored_card_register") == "always",
            capture_at_once: get("capture") == "auth_capture",
            installments: get("installments") == "split",
            yamato_delivery: get("yamato_delivery")
                .split(',')
                .filter_map(|id| id.trim().parse().ok())
                .collect(),
            client: Arc::default(),
        }
    }

    /// The API client, built on first use and shared by clones.
    pub fn client(&self) -> &client::Client {
        self.client
            .get_or_init(|| client::Client::new(&self.base, self.test_gateway, &self.trader_code))
    }

    /// The token JS (spec §6).
    pub fn token_script(&self) -> String {
        if self.test_gateway {
            format!("{}/test_gateway/token/js/embeddedTokenLib.js", self.base)
        } else {
            format!("{}/api/token/js/embeddedTokenLib.js", self.base)
        }
    }

    /// What the buyer's browser reaches from Web Collect's card page on kessai's site: the
    /// token script on its host, with what it calls (3-D Secure is its own page's HTML).
    pub fn browser_origins(&self) -> BrowserOrigins {
        BrowserOrigins {
            scripts: BrowserOrigins::origins([&*self.token_script()]),
            pages: Vec::new(),
        }
    }

    /// The card kind is offered once the 加盟店コード and アクセスキー are saved.
    pub fn offers(&self, kind: &str) -> bool {
        kind == CARD && !self.trader_code.is_empty() && !self.access_key.is_empty()
    }

    /// The built-in sandbox's stand-in for B2 (an exported file in, the file with 送り状番号
    /// out), when the calls go to the built-in sandbox.
    pub fn b2_sandbox(&self) -> Option<String> {
        let built_in = self.environment == Environment::Test && self.base != TEST_URL;
        built_in.then(|| format!("{}/b2", self.base))
    }

    /// Whether orders of this delivery method are delivered by Yamato (クロネコヤマト配送):
    /// always 与信 at checkout, captured by their 送り状番号.
    pub fn delivered_by_yamato(&self, delivery_method_id: Option<i64>) -> bool {
        delivery_method_id.is_some_and(|id| self.yamato_delivery.contains(&id))
    }
}

/// Web Collect's card payments need no address registered in its back office: results come
/// back in the answers and through the buyer's browser (3-D Secure).
pub fn registered_urls(_public_url: &str) -> Vec<RegisteredUrl> {
    Vec::new()
}

/// The settings at `pairs` resolved as the unit tests use them.
#[cfg(test)]
pub(crate) fn config(pairs: &[(&str, &str)]) -> Config {
    let (values, context) = super::test_settings(pairs);
    Config::from_values(&values, &context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_environment_has_its_host() {
        let sandbox = config(&[]);
        assert_eq!(sandbox.base, "http://localhost/sandbox/yamato");
        assert!(sandbox.test_gateway);
        assert_eq!(
            sandbox.token_script(),
            "http://localhost/sandbox/yamato/test_gateway/token/js/embeddedTokenLib.js"
        );
        let test = config(&[("test_target", "provider")]);
        assert_eq!(test.base, TEST_URL);
        let live = config(&[("env", "production")]);
        assert_eq!(
            live.token_script(),
            "https://api.kuronekoyamato.co.jp/api/token/js/embeddedTokenLib.js"
        );
        assert_eq!(live.environment, Environment::Production);
        assert_eq!(
            sandbox.b2_sandbox().as_deref(),
            Some("http://localhost/sandbox/yamato/b2")
        );
        assert_eq!(test.b2_sandbox(), None);
        assert_eq!(live.b2_sandbox(), None);
    }

    #[test]
    fn yamato_delivery_lists_delivery_method_ids() {
        let c = config(&[("yamato_delivery", "3, 5")]);
        assert!(c.delivered_by_yamato(Some(5)));
        assert!(!c.delivered_by_yamato(Some(4)));
        assert!(!c.delivered_by_yamato(None));
    }
}
