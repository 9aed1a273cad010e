//! The Paygent (ペイジェント) connector: its settings tab ([`settings`]), its wire format and
//! telegram structs ([`wire`]), its status codes, capabilities and reports ([`map`]), the
//! module-type client ([`client`], with [`tls`]), the buyer's hand-off ([`handoff`] for the
//! card, [`services`] for convenience store, ATM, net banking and Paidy), notifications and
//! the 091 poll ([`notify`]), kept cards ([`cards`]) and the operator's operations
//! ([`operations`]). [`Config`] is the operator's settings resolved into what a checkout or an
//! operation needs (hosts, keys, card options).
//!
//! Stateless: it never touches the database. `payments` and `checkout` persist before and
//! after every call.

pub mod cards;
pub mod client;
pub mod handoff;
pub mod map;
pub mod notify;
pub mod operations;
pub mod services;
pub mod settings;
pub mod tls;
pub mod wire;

use std::sync::{Arc, OnceLock};

use super::interface::{BrowserOrigins, Environment, ProviderError, RegisteredUrl};
use super::schema::Values;
use super::Context;
use crate::secrets::Secret;
use client::{Client, Credentials, PaygentError};

pub use handoff::{Call, Submission};

/// The provider's key (settings, payments, notification route).
pub const KEY: &str = "paygent";

/// Paygent's production link-type host.
pub const LINK_PRODUCTION_URL: &str = "https://link.paygent.co.jp";
/// Paygent's production token host (PaygentToken.js).
pub const TOKEN_PRODUCTION_URL: &str = "https://token.paygent.co.jp";
/// Paygent's production host of hosted screens (the bank ASP's bank selection).
pub const SERVICE_PRODUCTION_URL: &str = "https://service.paygent.co.jp";

/// How the card service, or the convenience store service, is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardType {
    /// Redirect to Paygent's payment page (リンクタイプ).
    Link,
    /// In the shop, by module telegrams (モジュールタイプ): card entry with a token, or the
    /// convenience store number issued by 030.
    Module,
    /// Not offered.
    Off,
}

impl CardType {
    fn of(value: &str) -> CardType {
        match value {
            "link" => CardType::Link,
            "module" => CardType::Module,
            _ => CardType::Off,
        }
    }
}

/// Paidy Checkout's script, which the widget page loads with the public key.
pub const PAIDY_SCRIPT_URL: &str = "https://apps.paidy.com/";

/// Days to pay a convenience store payment when neither 支払期間 is set (the manual).
pub const CONV_DEFAULT_DAYS: u32 = 5;
/// Days to pay an ATM payment when 支払期限日 is empty (the manual: Paygent's default).
pub const ATM_DEFAULT_DAYS: u32 = 30;

/// The Paygent settings a checkout or an operation needs, with the hosts resolved for the
/// environment (built-in sandbox, another test URL, Paygent's test environment, or
/// production).
#[derive(Clone, Debug)]
pub struct Config {
    pub merchant_id: String,
    pub connect_id: String,
    pub connect_password: Secret,
    pub link_hash_key: Secret,
    pub notice_hash_key: Secret,
    pub token_key: String,
    pub token_hash_key: Secret,
    pub card: CardType,
    /// 支払区分: `once`, `all` or `no_bonus`.
    pub payment_class: String,
    /// カード確認番号利用フラグ.
    pub security_code: bool,
    /// カード情報お預りモード.
    pub stored_cards: bool,
    /// 同時売上モード 売上.
    pub capture_on_authorize: bool,
    /// 3Dセキュア 契約.
    pub three_d_secure: bool,
    /// コンビニ決済(番号方式).
    pub conv: CardType,
    /// 支払期間(日指定) of the convenience store.
    pub conv_days: Option<u32>,
    /// 支払期間(分指定) of the convenience store (link type only).
    pub conv_minutes: Option<u32>,
    /// 支払種別 後払い (else 前払い).
    pub conv_postpay: bool,
    /// 申込コンビニ (setting values: `seicomart`, `lawson`, `seveneleven`, `familymart`).
    pub conv_stores: Vec<String>,
    /// ATM決済(ペイジー) 利用する.
    pub atm: bool,
    /// 支払期限日 of the ATM payment (days).
    pub atm_days: Option<u32>,
    /// 銀行ネット決済(ネットバンキング) 利用する.
    pub netbank: bool,
    /// 支払期間 of net banking (a choice of the settings tab, e.g. `5d`).
    pub netbank_term: String,
    /// Paidy 利用する.
    pub paidy: bool,
    /// Paidy's パブリックキー.
    pub paidy_public_key: String,
    /// Paidy Checkout's script (the sandbox's stand-in in a test environment of ours).
    pub paidy_script_url: String,
    pub three_d_hash_key: Secret,
    /// チャージバックリスク回避 優先する: an authentication whose chargeback risk stays with
    /// the shop (attempt_kbn = 1) counts as failed.
    pub avoid_chargeback_risk: bool,
    /// Base URL of the module telegrams (no trailing slash).
    pub module_url: String,
    /// Base URL of the link-type pages.
    pub link_url: String,
    /// Base URL of the token service (PaygentToken.js and the token API).
    pub token_url: String,
    pub environment: Environment,
    /// Whether the built-in sandbox answers (no client certificate needed then).
    pub builtin_sandbox: bool,
    /// Client certificate and CA file paths, when uploaded.
    pub client_cert: Option<std::path::PathBuf>,
    pub ca_file: Option<std::path::PathBuf>,
    /// The client, built on first use and shared by clones (so connections are reused).
    client: Arc<OnceLock<Client>>,
}

impl Config {
    /// Resolves the saved settings; the context locates the built-in sandbox and the
    /// uploaded certificates.
    pub fn from_values(values: &Values, context: &Context) -> Config {
        let get = |key: &str| values.get(key).cloned().unwrap_or_default();
        let on = |key: &str, yes: &str| values.get(key).map(String::as_str) == Some(yes);
        let production = on("env", "production");
        let target = get("test_target");
        let builtin_sandbox = !production && !matches!(target.as_str(), "provider" | "url");
        let (module_url, link_url, token_url) = if production {
            (
                client::PRODUCTION_URL.to_owned(),
                LINK_PRODUCTION_URL.to_owned(),
                TOKEN_PRODUCTION_URL.to_owned(),
            )
        } else if target == "provider" {
            let test = client::TEST_URL.to_owned();
            (test.clone(), test.clone(), test)
        } else {
            // The built-in sandbox, or another one (`kessai sandbox` on its own port): it
            // serves the telegrams, the link pages and the token service under one base.
            let base = if target == "url" {
                get("test_url").trim_end_matches('/').to_owned()
            } else {
                format!(
                    "{}/sandbox/paygent",
                    context.public_url.trim_end_matches('/')
                )
            };
            (base.clone(), base.clone(), base)
        };
        let file = |key: &str| {
            let name = get(key);
            (!name.is_empty()).then(|| context.data_dir.join(get("cert_dir")).join(name))
        };
        let paidy_script_url = if production || target == "provider" {
            PAIDY_SCRIPT_URL.to_owned()
        } else {
            format!("{module_url}/paidy/paidy.js")
        };
        Config {
            merchant_id: get("merchant_id"),
            connect_id: get("connect_id"),
            connect_password: Secret::new(get("connect_password")),
            link_hash_key: Secret::new(get("link_hash_key")),
            notice_hash_key: Secret::new(get("notice_hash_key")),
            token_key: get("token_key"),
            token_hash_key: Secret::new(get("token_hash_key")),
            card: CardType::of(&get("card")),
            conv: CardType::of(&get("conv")),
            conv_days: get("conv_days").trim().parse().ok(),
            conv_minutes: get("conv_minutes").trim().parse().ok(),
            conv_postpay: on("conv_sales_type", "postpay"),
            conv_stores: get("conv_stores")
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            atm: on("atm", "on"),
            atm_days: get("atm_limit_days").trim().parse().ok(),
            netbank: on("netbank", "on"),
            paidy: on("paidy", "on"),
            netbank_term: get("netbank_term"),
            paidy_public_key: get("paidy_public_key"),
            paidy_script_url,
            payment_class: get("payment_class"),
            security_code: on("card_conf", "on"),
            stored_cards: on("stock_card", "on"),
            capture_on_authorize: on("sales_mode", "capture"),
            three_d_secure: on("three_d_secure", "on"),
            three_d_hash_key: Secret::new(get("three_d_hash_key")),
            avoid_chargeback_risk: !on("chargeback", "off"),
            module_url,
            link_url,
            token_url,
            environment: if production {
                Environment::Production
            } else {
                Environment::Test
            },
            builtin_sandbox,
            client_cert: file("client_cert"),
            ca_file: file("ca_file"),
            client: Arc::default(),
        }
    }

    /// A module-type client for these settings: with the uploaded client certificate and CA
    /// file when talking to anything but the built-in sandbox (which needs neither).
    pub fn client(&self) -> Result<Client, PaygentError> {
        if let Some(client) = self.client.get() {
            return Ok(client.clone());
        }
        let tls = match (&self.client_cert, self.builtin_sandbox) {
            (Some(cert), false) => Some(tls::Tls::from_files(cert, self.ca_file.as_deref())?),
            _ => None,
        };
        let built = Client::new(
            &self.module_url,
            Credentials {
                merchant_id: self.merchant_id.clone(),
                connect_id: self.connect_id.clone(),
                connect_password: self.connect_password.clone(),
            },
            client::TIMEOUT,
            tls.as_ref(),
        )?;
        Ok(self.client.get_or_init(|| built).clone())
    }

    /// What the buyer's browser reaches from Paygent's pages on kessai's site, for the
    /// services in use: PaygentToken.js (module-type cards) and Paidy Checkout, with what
    /// they call and frame; the link-type page and the bank ASP's hosted page forms go to
    /// (in a test environment the module host serves that one).
    pub fn browser_origins(&self) -> BrowserOrigins {
        let hosted = if self.environment == Environment::Production {
            SERVICE_PRODUCTION_URL
        } else {
            &self.module_url
        };
        let link = self.card == CardType::Link || self.conv == CardType::Link;
        let scripts = [
            (self.card == CardType::Module).then_some(&*self.token_url),
            self.paidy.then_some(&*self.paidy_script_url),
        ];
        let pages = [
            link.then_some(&*self.link_url),
            self.netbank.then_some(hosted),
        ];
        BrowserOrigins {
            scripts: BrowserOrigins::origins(scripts.into_iter().flatten()),
            pages: BrowserOrigins::origins(pages.into_iter().flatten()),
        }
    }

    /// Whether the shop has the module-type contract (a 接続ID). Without it only link type
    /// works: no telegram can be sent, so there is no operation from the admin, no status
    /// inquiry (094) and no difference inquiry (091); the manual says the admin's operations
    /// need the module contract.
    pub fn module_contract(&self) -> bool {
        !self.connect_id.trim().is_empty()
    }

    /// The `payment_class` codes (and instalment counts) the buyer may choose, per 支払区分.
    pub fn payment_choices(&self) -> &'static [(&'static str, &'static str)] {
        const ONCE: &[(&str, &str)] = &[("10", "一括払い")];
        const NO_BONUS: &[(&str, &str)] = &[
            ("10", "一括払い"),
            ("61-3", "分割払い(3回)"),
            ("61-6", "分割払い(6回)"),
            ("61-10", "分割払い(10回)"),
            ("61-12", "分割払い(12回)"),
            ("80", "リボ払い"),
        ];
        const ALL: &[(&str, &str)] = &[
            ("10", "一括払い"),
            ("23", "ボーナス一括払い"),
            ("61-3", "分割払い(3回)"),
            ("61-6", "分割払い(6回)"),
            ("61-10", "分割払い(10回)"),
            ("61-12", "分割払い(12回)"),
            ("80", "リボ払い"),
        ];
        match self.payment_class.as_str() {
            "all" => ALL,
            "no_bonus" => NO_BONUS,
            _ => ONCE,
        }
    }

    /// Whether a settlement kind is offered now (its service is on in the settings); the
    /// card and the convenience store in either integration.
    pub fn offers(&self, kind: &str) -> bool {
        match map::Service::from_kind(kind) {
            Some(map::Service::Card) => self.card != CardType::Off,
            Some(map::Service::Conv) => self.conv != CardType::Off,
            Some(map::Service::Atm) => self.atm,
            Some(map::Service::Netbank) => self.netbank,
            Some(map::Service::Paidy) => self.paidy,
            None => false,
        }
    }

    /// Days to pay a module-type convenience store payment (支払期間(日指定), else 5).
    pub fn conv_limit_days(&self) -> u32 {
        self.conv_days.unwrap_or(CONV_DEFAULT_DAYS)
    }

    /// The stores the buyer may choose for a module-type convenience store payment:
    /// `cvs_company_id` and name, in the settings tab's order.
    pub fn conv_store_choices(&self) -> Vec<(&'static str, &'static str)> {
        map::CONV_STORES
            .iter()
            .filter(|(key, _, _)| self.conv_stores.iter().any(|s| s == key))
            .map(|(_, company, name)| (*company, *name))
            .collect()
    }

    /// Paygent's `asp_payment_term` for net banking's 支払期間: `0` (add to now) then
    /// days, hours and minutes, two digits each (spec §6.9); five days by default.
    pub fn asp_payment_term(&self) -> &'static str {
        match self.netbank_term.as_str() {
            "30m" => "0000030",
            "1h" => "0000100",
            "2h" => "0000200",
            "3h" => "0000300",
            "6h" => "0000600",
            "24h" => "0010000",
            "2d" => "0020000",
            "3d" => "0030000",
            "7d" => "0070000",
            "14d" => "0140000",
            _ => "0050000",
        }
    }

    /// The payment deadline line of the 内容確認 page for a settlement kind, as the manual
    /// shows it (「お支払いの有効期限はご注文日から7日間となっております。」); `None` for a
    /// service paid on the spot (card, Paidy).
    pub fn deadline_notice(&self, kind: &str) -> Option<String> {
        let term = match map::Service::from_kind(kind)? {
            map::Service::Card | map::Service::Paidy => return None,
            map::Service::Conv => match (self.conv, self.conv_minutes) {
                (CardType::Link, Some(minutes)) => format!("ご注文から{minutes}分間"),
                _ => format!("ご注文日から{}日間", self.conv_limit_days()),
            },
            map::Service::Atm => match self.atm_days.unwrap_or(ATM_DEFAULT_DAYS) {
                0 => "ご注文日の当日中".to_owned(),
                days => format!("ご注文日から{days}日間"),
            },
            map::Service::Netbank => settings::choice_label("netbank_term", &self.netbank_term)
                .unwrap_or("購入後5日以内")
                .to_owned(),
        };
        Some(format!("お支払いの有効期限は{term}となっております。"))
    }
}

/// The URLs the operator registers at Paygent: the manual's 「ペイジェントに申告する URL」 is
/// the site address followed by `/` (決済情報差分照会URL); Paidy's webhook goes to the
/// same notification.
pub fn registered_urls(public_url: &str) -> Vec<RegisteredUrl> {
    let base = public_url.trim_end_matches('/');
    vec![
        RegisteredUrl {
            label: "決済情報差分通知URL(ペイジェントに申告する URL)",
            url: format!("{base}/"),
            note: "コンビニ決済を利用しない場合も必ず申請してください。試験環境と本番環境で別々に申請します。",
        },
        RegisteredUrl {
            label: "決済情報差分通知URL(kessai専用)",
            url: format!("{base}/notify/{KEY}"),
            note: "上のURLの代わりに申請することもできます。どちらに届いても同じように処理します。",
        },
    ]
}

/// Welcart's notification addresses (`/index.php?acting=paygent…`): a shop moving from
/// Welcart keeps what it registered at Paygent.
pub fn is_legacy_acting(acting: &str) -> bool {
    acting.starts_with("paygent")
}

/// Splits a payment choice (`61-3`) into Paygent's `payment_class` and `split_count`.
pub fn split_payment_choice(choice: &str) -> (&str, Option<u8>) {
    match choice.split_once('-') {
        Some((class, count)) => (class, count.parse().ok()),
        None => (choice, None),
    }
}

/// A refusal, an unknown outcome or a missing payment, as the core sees a failed telegram.
impl From<PaygentError> for ProviderError {
    fn from(e: PaygentError) -> Self {
        match e {
            PaygentError::Transport(_) | PaygentError::Protocol(_) => {
                ProviderError::Unknown(e.to_string())
            }
            PaygentError::Rejected { code, .. } if map::is_not_found(&code) => {
                ProviderError::NoSuchPayment
            }
            PaygentError::Rejected { code, detail, .. } if map::is_timeout(&code) => {
                ProviderError::Unknown(format!("{code}: {detail}"))
            }
            PaygentError::Rejected { code, detail, .. } => ProviderError::Refused {
                message: map::error_message(&code, &detail),
                code,
                detail,
            },
            PaygentError::Certificate(e) => ProviderError::NotConfigured(e.to_string()),
            PaygentError::Encode(e) => ProviderError::Refused {
                code: String::new(),
                message: format!(
                    "{}に決済会社へ送れない文字が含まれています: {}",
                    e.field, e.chars
                ),
                detail: e.to_string(),
            },
        }
    }
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
    fn the_deadline_notice_follows_each_services_setting_and_the_manuals_defaults() {
        let notice = |pairs: &[(&str, &str)], kind: &str| config(pairs).deadline_notice(kind);

        assert_eq!(
            notice(&[("conv", "module"), ("conv_days", "7")], "paygent_conv").as_deref(),
            Some("お支払いの有効期限はご注文日から7日間となっております。")
        );
        assert_eq!(
            notice(&[("conv", "module")], "paygent_conv").as_deref(),
            Some("お支払いの有効期限はご注文日から5日間となっております。")
        );
        assert_eq!(
            notice(&[("conv", "link"), ("conv_minutes", "90")], "paygent_conv").as_deref(),
            Some("お支払いの有効期限はご注文から90分間となっております。")
        );
        assert_eq!(
            notice(&[], "paygent_atm").as_deref(),
            Some("お支払いの有効期限はご注文日から30日間となっております。")
        );
        assert_eq!(
            notice(&[("atm_limit_days", "0")], "paygent_atm").as_deref(),
            Some("お支払いの有効期限はご注文日の当日中となっております。")
        );
        assert_eq!(
            notice(&[("netbank_term", "30m")], "paygent_netbank").as_deref(),
            Some("お支払いの有効期限は即日購入後30分以内となっております。")
        );
        assert_eq!(notice(&[], "paygent_card"), None);
        assert_eq!(notice(&[], "paygent_paidy"), None);
    }

    #[test]
    fn net_banking_terms_become_paygents_asp_payment_term() {
        assert_eq!(
            config(&[("netbank_term", "30m")]).asp_payment_term(),
            "0000030"
        );
        assert_eq!(
            config(&[("netbank_term", "14d")]).asp_payment_term(),
            "0140000"
        );
        assert_eq!(config(&[]).asp_payment_term(), "0050000");
    }

    #[test]
    fn the_buyer_chooses_among_the_stores_the_shop_applied_for() {
        let c = config(&[("conv_stores", "seveneleven,familymart")]);

        assert_eq!(
            c.conv_store_choices(),
            [("00C001", "セブンイレブン"), ("00C005", "ファミリーマート")]
        );
    }

    #[test]
    fn paidy_checkout_comes_from_the_sandbox_in_the_test_environment() {
        assert_eq!(
            config(&[]).paidy_script_url,
            "http://localhost/sandbox/paygent/paidy/paidy.js"
        );
        assert_eq!(
            config(&[("env", "production")]).paidy_script_url,
            PAIDY_SCRIPT_URL
        );
    }

    #[test]
    fn the_browser_reaches_the_hosts_of_the_services_in_use_in_its_environment() {
        let all = [
            ("card", "module"),
            ("paidy", "on"),
            ("conv", "link"),
            ("netbank", "on"),
        ];
        let production = [&all[..], &[("env", "production")]].concat();
        assert_eq!(
            config(&production).browser_origins(),
            BrowserOrigins {
                scripts: vec![TOKEN_PRODUCTION_URL.into(), "https://apps.paidy.com".into()],
                pages: vec![LINK_PRODUCTION_URL.into(), SERVICE_PRODUCTION_URL.into()],
            }
        );
        let sandbox = config(&all).browser_origins();
        assert_eq!(sandbox.scripts, ["http://localhost"]);
        assert_eq!(sandbox.pages, ["http://localhost"]);
        let link_cards_only = config(&[("card", "link"), ("env", "production")]);
        assert_eq!(
            link_cards_only.browser_origins(),
            BrowserOrigins {
                scripts: vec![],
                pages: vec![LINK_PRODUCTION_URL.into()],
            }
        );
    }

    #[test]
    fn a_test_url_points_every_host_at_a_sandbox_running_on_its_own() {
        let c = config(&[
            ("test_target", "url"),
            ("test_url", "https://127.0.0.1:8443/sandbox/paygent/"),
        ]);

        assert_eq!(c.module_url, "https://127.0.0.1:8443/sandbox/paygent");
        assert_eq!(c.link_url, c.module_url);
        assert_eq!(c.token_url, c.module_url);
        assert!(
            !c.builtin_sandbox,
            "another sandbox gets the client certificate"
        );
        assert_eq!(c.environment, Environment::Test);
    }

    #[test]
    fn the_site_root_is_the_notification_url_the_manual_asks_to_register() {
        let urls = registered_urls("https://shop.example.jp");

        assert_eq!(urls[0].url, "https://shop.example.jp/");
        assert_eq!(urls[1].url, "https://shop.example.jp/notify/paygent");
    }
}
