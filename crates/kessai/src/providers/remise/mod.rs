//! The Remise (ルミーズ) connector: its settings tab ([`settings`]), its fields on the wire
//! ([`wire`]), its statuses and messages ([`map`]), the buyer's hand-off to Remise's card
//! and multi-payment pages and their return ([`handoff`]), the 結果通知 and 収納情報通知
//! ([`notify`]), PayQuick cards ([`cards`]) and the operator's operations through 拡張セット
//! ([`operations`]).
//! [`Config`] is the operator's settings resolved into what a checkout or an operation needs.
//!
//! Remise is link type only: the buyer enters the card or picks the store on Remise's
//! pages. Nothing Remise sends is signed and Remise has no status inquiry, so results are
//! believed only after the spec's checks (the trading id, the echoed amount, the merchant
//! code, a payment still waiting).
//!
//! Stateless: it never touches the database.

pub mod cards;
pub mod handoff;
pub mod map;
pub mod notify;
pub mod operations;
pub mod settings;
pub mod wire;

use chrono::NaiveDate;

use super::interface::{
    BrowserOrigins, Capabilities, Environment, PaymentRef, RegisteredUrl, Report,
};
use super::schema::Values;
use super::Context;
use crate::domain::payment::Operation;

pub use handoff::Submission;

/// The provider's key (settings, payments, notification route).
pub const KEY: &str = "remise";

/// Remise's test card page (spec §1.2).
pub const CARD_TEST_URL: &str = "https://test.remise.jp/rpgw2/pc/card/paycard.aspx";
/// Remise's test multi-payment page (spec §1.2).
pub const MULTI_TEST_URL: &str = "https://test.remise.jp/rpgw2/pc/cvs/paycvs.aspx";

/// The built-in sandbox's paths below `/sandbox/remise`.
const SANDBOX_CARD_PATH: &str = "/rpgw2/pc/card/paycard.aspx";
const SANDBOX_MULTI_PATH: &str = "/rpgw2/pc/cvs/paycvs.aspx";
const SANDBOX_EXTSET_PATH: &str = "/rpgw2/extset/card.aspx";

/// Days Remise gives a multi payment when 支払期限 is blank (the contract's default is not
/// known to kessai; this is only for the 内容確認 line and the local deadline until Remise
/// names the date).
pub const CONTRACT_DEFAULT_DAYS: u32 = 14;

/// Remise's 拡張セット: server-side SALES / VOID / RETURN with its own host number.
#[derive(Clone, Debug)]
pub struct Extset {
    pub host_id: String,
    pub url: String,
}

/// The Remise settings a checkout or an operation needs, with the pages resolved for each
/// service's environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// 加盟店コード (SHOPCO).
    pub shop_code: String,
    /// ホスト番号 (HOSTID).
    pub host_id: String,
    /// クレジットカード決済 利用する.
    pub card: bool,
    /// ジョブコード 売上処理 (else 仮売上処理).
    pub capture: bool,
    /// ペイクイック機能 利用する.
    pub payquick: bool,
    /// お客様の支払方法 分割払いに対応する.
    pub installments: bool,
    /// The card page for the card service's environment.
    pub card_url: String,
    pub card_environment: Environment,
    /// マルチ決済 利用する.
    pub multi: bool,
    /// 支払期限 (days), blank for the contract's default.
    pub pay_days: Option<u32>,
    /// The multi-payment page for its environment.
    pub multi_url: String,
    pub multi_environment: Environment,
    /// マルチ決済支払先表示 表示する.
    pub show_destination: bool,
    /// 拡張セット, when the shop has it.
    pub extset: Option<Extset>,
}

impl Config {
    /// Resolves the saved settings; the context locates the built-in sandbox.
    pub fn from_values(values: &Values, context: &Context) -> Config {
        let get = |key: &str| values.get(key).map(String::as_str).unwrap_or("").trim();
        let on = |key: &str| get(key) == "on";
        let sandbox = format!(
            "{}/sandbox/remise",
            context.public_url.trim_end_matches('/')
        );
        let resolve = |env: &str, target: &str, production: &str, test: &str, path: &str| match (
            get(env),
            get(target),
        ) {
            ("production", _) => (production.to_owned(), Environment::Production),
            (_, "provider") => (test.to_owned(), Environment::Test),
            _ => (format!("{sandbox}{path}"), Environment::Test),
        };
        let (card_url, card_environment) = resolve(
            "env",
            "test_target",
            get("card_send_url"),
            CARD_TEST_URL,
            SANDBOX_CARD_PATH,
        );
        let (multi_url, multi_environment) = resolve(
            "multi_env",
            "multi_test_target",
            get("multi_send_url"),
            MULTI_TEST_URL,
            SANDBOX_MULTI_PATH,
        );
        let builtin = card_environment == Environment::Test && get("test_target") != "provider";
        let extset = on("extset").then(|| Extset {
            host_id: get("extset_host_id").to_owned(),
            url: if builtin {
                format!("{sandbox}{SANDBOX_EXTSET_PATH}")
            } else {
                get("extset_url").to_owned()
            },
        });
        Config {
            shop_code: get("shop_code").to_owned(),
            host_id: get("host_id").to_owned(),
            card: on("card"),
            capture: get("card_job") == "capture",
            payquick: on("payquick"),
            installments: get("card_method") == "split",
            card_url,
            card_environment,
            multi: on("multi"),
            pay_days: get("multi_pay_days").parse().ok(),
            multi_url,
            multi_environment,
            show_destination: on("multi_show_destination"),
            extset,
        }
    }

    /// What the buyer's browser reaches from Remise's pages on kessai's site: no script,
    /// only the card and multi-payment pages in use, which its forms post to.
    pub fn browser_origins(&self) -> BrowserOrigins {
        let card = self.card.then_some(self.card_url.as_str());
        let multi = self.multi.then_some(self.multi_url.as_str());
        BrowserOrigins {
            scripts: Vec::new(),
            pages: BrowserOrigins::origins(card.into_iter().chain(multi)),
        }
    }

    /// Whether a settlement kind is offered now. The 2022 edition's コンビニ決済 kind runs
    /// on the multi payment (its payment methods keep working after the rename).
    pub fn offers(&self, kind: &str) -> bool {
        match map::Service::from_kind(kind) {
            Some(map::Service::Card) => self.card,
            Some(map::Service::Multi) => self.multi,
            None => false,
        }
    }

    /// The environment a payment of `kind` is made in (card and multi payment switch
    /// separately at Remise).
    pub fn environment_of(&self, kind: &str) -> Environment {
        match map::Service::from_kind(kind) {
            Some(map::Service::Multi) => self.multi_environment,
            _ => self.card_environment,
        }
    }

    /// The operations a payment in status `code` offers: with 拡張セット the card's 売上 /
    /// 取消 / 返品 go to Remise; without it, the operator does them in Remise's back office
    /// and records them here. A multi payment has no operation (Remise offers none), and
    /// nothing has a status inquiry.
    pub fn capabilities(&self, kind: &str, code: Option<&str>) -> Capabilities {
        const AUTH_EXTSET: &[Operation] = &[Operation::Capture, Operation::Cancel];
        const SALES_EXTSET: &[Operation] = &[Operation::Cancel, Operation::Refund];
        const AUTH_RECORD: &[Operation] = &[
            Operation::Capture,
            Operation::ChangeAmount,
            Operation::Cancel,
        ];
        const SALES_RECORD: &[Operation] = &[
            Operation::ChangeAmount,
            Operation::Cancel,
            Operation::Refund,
        ];
        if map::Service::from_kind(kind) != Some(map::Service::Card) {
            return Capabilities::NONE;
        }
        let status = code.map(map::Status::parse);
        let operations = match (status, self.extset.is_some()) {
            (Some(map::Status::Auth), true) => AUTH_EXTSET,
            (Some(map::Status::Sales), true) => SALES_EXTSET,
            (Some(map::Status::Auth), false) => AUTH_RECORD,
            (Some(map::Status::Sales), false) => SALES_RECORD,
            _ => &[],
        };
        Capabilities {
            operations,
            partial_refund: false,
        }
    }

    /// The 内容確認 line about the payment deadline of a multi payment (the manual's
    /// 「お支払いの有効期限はご注文日から14日間となっております。」).
    pub fn deadline_notice(&self, kind: &str) -> Option<String> {
        (map::Service::from_kind(kind)? == map::Service::Multi).then(|| {
            let days = self.pay_days.unwrap_or(CONTRACT_DEFAULT_DAYS);
            format!(
                "お支払いの有効期限はご注文日から{days}日間となっております。(WebMoneyは発行日の翌日まで)"
            )
        })
    }

    /// `S_PAYDATE` of a multi payment ordered on `today` (Japan): today plus 支払期限 days,
    /// blank when the contract's default applies.
    pub fn pay_date(&self, today: NaiveDate) -> String {
        self.pay_days
            .map(|days| {
                (today + chrono::Days::new(u64::from(days)))
                    .format("%Y%m%d")
                    .to_string()
            })
            .unwrap_or_default()
    }

    /// Remise sends no word when a multi payment's deadline passes: the payment lapses on
    /// kessai's side (the manual: 「支払い期限日を過ぎると受注はキャンセル扱いになります」).
    pub fn lapse(&self, p: &PaymentRef) -> Option<Report> {
        (map::Service::from_kind(&p.kind) == Some(map::Service::Multi)
            && map::Status::parse(p.status_code.as_deref().unwrap_or("")) == map::Status::Issued)
            .then(|| {
                map::Status::Expired
                    .report(p.provider_payment_id.as_deref().unwrap_or(""), p.amount)
            })
    }
}

/// The payment method's name with the multi payment's destination appended, when
/// マルチ決済支払先表示 is on (the manual's 「マルチ決済 (ヤマザキデイリーストア)」).
pub fn method_label(
    values: &Values,
    kind: &str,
    name: &str,
    details: &[(String, String)],
) -> String {
    let shown = values.get("multi_show_destination").map(String::as_str) == Some("on");
    let destination = details
        .iter()
        .find(|(label, _)| label == handoff::DESTINATION)
        .map(|(_, name)| name);
    match destination {
        Some(destination)
            if shown && map::Service::from_kind(kind) == Some(map::Service::Multi) =>
        {
            format!("{name} ({destination})")
        }
        _ => name.to_owned(),
    }
}

/// The URLs the operator registers in Remise's 加盟店バックヤードシステム (the manual's
/// ルミーズ・バックヤードでの設定に必要な情報).
pub fn registered_urls(public_url: &str) -> Vec<RegisteredUrl> {
    let base = public_url.trim_end_matches('/');
    vec![
        RegisteredUrl {
            label: "カード決済 結果通知URL",
            url: format!("{base}/index.php?acting=remise_card"),
            note: "各種設定 → ホスト設定 → カード決済設定の「結果通知URL」に登録します。",
        },
        RegisteredUrl {
            label: "マルチ決済 収納情報通知URL",
            url: format!("{base}/index.php?acting=remise_conv"),
            note: "マルチ決済設定 → 収納情報通知サービスの「収納情報通知URL」に登録します。",
        },
        RegisteredUrl {
            label: "結果通知URL・収納情報通知URL(kessai専用)",
            url: format!("{base}/notify/{KEY}"),
            note: "上の2つの代わりにどちらにも登録できます。どこに届いても同じように処理します。各種連絡用メールアドレスには、結果通知などを受け取りたいメールアドレスを登録してください。",
        },
    ]
}

/// Welcart's notification addresses (`/index.php?acting=remise_card`, `…remise_conv`).
pub fn is_legacy_acting(acting: &str) -> bool {
    matches!(acting, "remise_card" | "remise_conv")
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
    fn each_service_resolves_its_own_environment() {
        let c = config(&[
            ("env", "production"),
            (
                "card_send_url",
                "https://ssl01.remise.jp/rpgw2/pc/card/paycard.aspx",
            ),
            ("multi_test_target", "provider"),
        ]);
        assert_eq!(c.card_environment, Environment::Production);
        assert_eq!(
            c.card_url,
            "https://ssl01.remise.jp/rpgw2/pc/card/paycard.aspx"
        );
        assert_eq!(c.multi_url, MULTI_TEST_URL);
        assert_eq!(c.environment_of("remise_conv"), Environment::Test);

        let sandbox = config(&[]);
        assert_eq!(
            sandbox.card_url,
            "http://localhost/sandbox/remise/rpgw2/pc/card/paycard.aspx"
        );
    }

    #[test]
    fn the_extset_goes_to_the_sandbox_while_the_card_uses_it() {
        let c = config(&[("extset", "on"), ("extset_host_id", "ABCDE123")]);
        let extset = c.extset.expect("extset");
        assert_eq!(
            extset.url,
            "http://localhost/sandbox/remise/rpgw2/extset/card.aspx"
        );
        assert_eq!(extset.host_id, "ABCDE123");
    }

    #[test]
    fn operations_are_made_through_the_extset_or_recorded() {
        let with = config(&[("extset", "on")]);
        let without = config(&[]);
        assert_eq!(
            with.capabilities("remise_card", Some("AUTH")).operations,
            [Operation::Capture, Operation::Cancel]
        );
        assert!(without
            .capabilities("remise_card", Some("SALES"))
            .allows(Operation::ChangeAmount));
        assert_eq!(
            with.capabilities("remise_multi", Some("ISSUED")),
            Capabilities::NONE
        );
        assert!(!with
            .capabilities("remise_card", Some("AUTH"))
            .allows(Operation::Refresh));
    }

    #[test]
    fn the_pay_date_is_counted_in_days_from_the_order() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 30).unwrap();
        assert_eq!(
            config(&[("multi_pay_days", "7")]).pay_date(today),
            "20270106"
        );
        assert_eq!(config(&[]).pay_date(today), "");
    }

    #[test]
    fn the_registered_urls_are_welcarts_and_kessais_own() {
        let urls = registered_urls("https://shop.example.jp/");
        assert_eq!(
            urls[0].url,
            "https://shop.example.jp/index.php?acting=remise_card"
        );
        assert_eq!(
            urls[1].url,
            "https://shop.example.jp/index.php?acting=remise_conv"
        );
        assert!(is_legacy_acting("remise_conv"));
    }
}
