//! The Remise (ルミーズ) settings tab, written as data.
//!
//! This file owns what the operator sees and may enter on the ルミーズ tab of the
//! クレジット決済設定 screen, as the Remise operation manual (2024 edition, 設定方法 … ルミーズ
//! の設定の更新) lists it: the 基本設定, クレジットカード決済 and マルチ決済 groups with each
//! setting's label, initial value, options, character rule and the conditions under which
//! it is shown and required. It also owns the settlement kinds (決済種別) the tab enables,
//! including the 2022 edition's コンビニ決済(ルミーズ) kind that payment methods registered
//! before the rename to マルチ決済 still carry, and the few rules that involve more than one
//! field. The generic renderer and validator read this data; nothing here talks to Remise.
//!
//! Remise keeps test and production apart per service: the card group and the multi-payment
//! group each have their own 稼働環境 and 本番URL(PC). The card group's environment uses the
//! common keys `env` / `test_target`; the multi-payment group has `multi_env` /
//! `multi_test_target`.

use crate::providers::schema::{
    Chars, Choice, Cond, Field, FieldError, Input, ProviderSpec, Section, Service, Values,
};

/// The Remise settings tab: sections and fields in the manual's screen order.
pub static SETTINGS: ProviderSpec = ProviderSpec {
    key: "remise",
    label: "ルミーズ",
    save_button: "ルミーズの設定を更新する",
    sections: &[
        Section {
            title: "基本設定",
            fields: BASIC,
        },
        Section {
            title: "クレジットカード決済",
            fields: CARD,
        },
        Section {
            title: "マルチ決済",
            fields: MULTI,
        },
    ],
    services: &[
        Service {
            kind: "remise_card",
            label: "カード決済(ルミーズ)",
            paid_after_order: false,
            enabled_when: CARD_ON,
            replaced_by: None,
        },
        Service {
            kind: "remise_multi",
            label: "マルチ決済(ルミーズ)",
            paid_after_order: true,
            enabled_when: MULTI_ON,
            replaced_by: None,
        },
        // The 2022 edition's kind for convenience store / e-money payment. Welcart 2.9.8 renamed
        // the service to マルチ決済 and tells operators to keep (stop, not delete) the old
        // payment method so past orders stay linked, so the old kind lives on wherever the
        // multi-payment service is switched on.
        Service {
            kind: "remise_conv",
            label: "コンビニ決済(ルミーズ)",
            paid_after_order: true,
            enabled_when: MULTI_ON,
            replaced_by: Some("remise_multi"),
        },
    ],
    check,
    contract_notes: &[],
    kept_card: "ペイクイック",
    requires_company_name: None,
};

/// Remise's production card page, as published; the contract sheet may name another one.
const CARD_PRODUCTION_URL: &str = "https://ssl01.remise.jp/rpgw2/pc/card/paycard.aspx";

/// Remise's production multi-payment page, as published; the contract sheet may name another.
const MULTI_PRODUCTION_URL: &str = "https://ssl01.remise.jp/rpgw2/pc/cvs/paycvs.aspx";

/// Remise's test host. A production URL on this host would send real orders to test.
const TEST_HOST: &str = "test.remise.jp";

const CARD_ON: Cond = Cond::Eq("card", "on");
const MULTI_ON: Cond = Cond::Eq("multi", "on");
const ANY_SERVICE: Cond = Cond::Any(&[CARD_ON, MULTI_ON]);

const USE_OR_NOT: &[Choice] = &[
    Choice {
        value: "on",
        label: "利用する",
    },
    Choice {
        value: "off",
        label: "利用しない",
    },
];

const ENVIRONMENTS: &[Choice] = &[
    Choice {
        value: "test",
        label: "テスト環境",
    },
    Choice {
        value: "production",
        label: "本番環境",
    },
];

const TEST_TARGETS: &[Choice] = &[
    Choice {
        value: "sandbox",
        label: "内蔵サンドボックス",
    },
    Choice {
        value: "provider",
        label: "ルミーズのテスト環境",
    },
];

const TEST_TARGET_HELP: &str = "内蔵サンドボックスはネットワークに接続せずに動作します（契約は不要です）。「ルミーズのテスト環境」を選ぶと、ルミーズが提供する実際のテスト環境に接続します。";

// The manual shows every field of the tab whether or not its service is used (the 2022
// screenshot has 利用しない selected and the card fields still on screen), so every manual
// field is shown always and only `required_when` depends on the service switches.

const BASIC: &[Field] = &[
    Field {
        key: "shop_code",
        label: "加盟店コード",
        help: "契約時に発行された加盟店コードを半角英数で入力してください。",
        input: Input::Text { chars: Chars::Alphanumeric, max: 8 },
        default: "",
        shown_when: Cond::Always,
        // Not marked 必須 in the manual, but every request to Remise carries it (SHOPCO).
        required_when: ANY_SERVICE,
    },
    Field {
        key: "host_id",
        label: "ホスト番号",
        // The manual says 半角数字, but host numbers issued since 2018 are five letters or
        // digits followed by three digits (Remise's own EC-CUBE plugin); digits-only numbers
        // still fit the wider rule, newer ones would be refused by the narrower one.
        help: "契約時に割り当てられたホスト番号を入力してください。2018年以降に割り当てられたホスト番号には英字が含まれることがあります（半角英数字8桁まで）。",
        input: Input::Text { chars: Chars::Alphanumeric, max: 8 },
        default: "",
        shown_when: Cond::Always,
        // Sent with every request (HOSTID) next to the merchant code.
        required_when: ANY_SERVICE,
    },
];

const CARD: &[Field] = &[
    Field {
        key: "card",
        label: "クレジットカード決済",
        help: "クレジットカード決済を利用する場合は、「利用する」を選択してください。",
        input: Input::Radio(USE_OR_NOT),
        default: "off",
        shown_when: Cond::Always,
        required_when: Cond::Always,
    },
    Field {
        key: "card_job",
        label: "ジョブコード",
        help: "決済の種類を選択してください。仮売上処理の場合は、ルミーズの加盟店バックヤードシステムで売上計上を行ってください。",
        input: Input::Radio(&[
            Choice { value: "auth", label: "仮売上処理" },
            Choice { value: "capture", label: "売上処理" },
        ]),
        // The manual's initial value is 未選択 (nothing chosen), which a radio here cannot
        // hold. 仮売上処理 is the manual's first option and the reversible one: an unwanted
        // authorization lapses, a capture has to be refunded.
        default: "auth",
        shown_when: Cond::Always,
        required_when: CARD_ON,
    },
    Field {
        key: "payquick",
        label: "ペイクイック機能",
        help: "「利用する」を選択した場合、ログインして一度購入した会員は、次回購入時にカード番号を入力する必要がなくなります。カード情報の保存機能を利用する場合は、クレジットカードのご契約を複数サイトで共有しないでください（共有している他サイトの会員のカード情報も共有されます）。",
        input: Input::Radio(USE_OR_NOT),
        // 未選択 in the manual; not storing cards is the choice that needs no further thought
        // about shared contracts.
        default: "off",
        shown_when: Cond::Always,
        required_when: CARD_ON,
    },
    Field {
        key: "card_method",
        label: "お客様の支払方法",
        help: "クレジットカードでの支払いで、「一括払いのみ」か「分割払いに対応する」かを選択できます。分割払いに対応する場合は、ルミーズ側の設定が必要です。",
        input: Input::Radio(&[
            Choice { value: "split", label: "分割払いに対応する" },
            Choice { value: "lump", label: "一括払いのみ" },
        ]),
        // 未選択 in the manual; instalments need a matching setting at Remise, lump sum
        // works with every contract.
        default: "lump",
        shown_when: Cond::Always,
        required_when: CARD_ON,
    },
    Field {
        key: "env",
        label: "稼働環境",
        help: "クレジットカード決済のテスト環境と本番環境を切り替えます。接続テストの時は「テスト環境」を選択してください。",
        input: Input::Radio(ENVIRONMENTS),
        // 未選択 in the manual; kessai always starts in test.
        default: "test",
        shown_when: Cond::Always,
        required_when: Cond::Always,
    },
    Field {
        key: "test_target",
        label: "テスト環境の接続先",
        help: TEST_TARGET_HELP,
        input: Input::Radio(TEST_TARGETS),
        default: "sandbox",
        shown_when: Cond::Eq("env", "test"),
        required_when: Cond::Always,
    },
    Field {
        key: "card_send_url",
        label: "本番URL(PC)",
        help: "クレジットカード決済の本番環境(PC)で接続するURLです。「ルミーズ本番環境設定情報連絡票」の「決済情報送信先URL(PC用)」に記載されているURLを入力してください。",
        input: Input::Url,
        // The manual's initial value is 空白; kessai fills in Remise's published production
        // page so that only a contract naming another page needs an edit.
        default: CARD_PRODUCTION_URL,
        shown_when: Cond::Always,
        required_when: Cond::All(&[CARD_ON, Cond::Eq("env", "production")]),
    },
    // Not in the manual (which sends the operator to Remise's back office for 売上 / 取消 /
    // 返品): Remise's 拡張セット option lets kessai send them itself (its own host number and
    // URL on the 設定情報連絡票).
    Field {
        key: "extset",
        label: "拡張セット",
        help: "ルミーズの拡張セット(オプション)を契約している場合は「利用する」を選択してください。受注編集の決済情報から売上処理・取消・返品をルミーズへ送信できます。利用しない場合は、加盟店バックヤードシステムで処理し、その結果を記録します。",
        input: Input::Radio(USE_OR_NOT),
        default: "off",
        shown_when: Cond::Always,
        required_when: CARD_ON,
    },
    Field {
        key: "extset_host_id",
        label: "拡張セット用ホスト番号",
        help: "拡張セット用に割り当てられたホスト番号を入力してください。",
        input: Input::Text { chars: Chars::Alphanumeric, max: 8 },
        default: "",
        shown_when: Cond::Eq("extset", "on"),
        required_when: Cond::All(&[CARD_ON, Cond::Eq("extset", "on")]),
    },
    Field {
        key: "extset_url",
        label: "拡張セット送信先URL",
        help: "「ルミーズ設定情報連絡票」の「カード決済情報送信先URL-拡張セット用」を入力してください。内蔵サンドボックスに接続している間は使われません。",
        input: Input::Url,
        default: "",
        shown_when: Cond::Eq("extset", "on"),
        required_when: Cond::All(&[
            CARD_ON,
            Cond::Eq("extset", "on"),
            Cond::Any(&[Cond::Eq("env", "production"), Cond::Eq("test_target", "provider")]),
        ]),
    },
];

const MULTI: &[Field] = &[
    Field {
        key: "multi",
        label: "マルチ決済",
        help: "コンビニ決済・電子マネー決済・キャリア決済・PayPayオンライン決済を利用する場合は、「利用する」を選択してください。別途ルミーズへのお申し込みが必要です（旧名称：コンビニ・電子マネー決済）。",
        input: Input::Radio(USE_OR_NOT),
        default: "off",
        shown_when: Cond::Always,
        required_when: Cond::Always,
    },
    Field {
        key: "multi_pay_days",
        label: "支払期限",
        help: "2日以上30日以内の日数（日）を半角数字で設定してください。空白の場合、契約時に指定の支払期日日数より支払期限日が算出されます。WebMoney決済の場合は設定に関係なく発行日の翌日になります。支払期限日を過ぎると受注はキャンセル扱いになります。",
        input: Input::Integer { min: 2, max: 30 },
        default: "",
        shown_when: Cond::Always,
        // Blank is a documented choice: Remise then uses the contract's number of days.
        required_when: Cond::Never,
    },
    Field {
        key: "multi_env",
        label: "稼働環境",
        help: "マルチ決済のテスト環境と本番環境を切り替えます。接続テストの時は「テスト環境」を選択してください。",
        input: Input::Radio(ENVIRONMENTS),
        // 未選択 in the manual; kessai always starts in test.
        default: "test",
        shown_when: Cond::Always,
        required_when: Cond::Always,
    },
    Field {
        key: "multi_test_target",
        label: "テスト環境の接続先",
        help: TEST_TARGET_HELP,
        input: Input::Radio(TEST_TARGETS),
        default: "sandbox",
        shown_when: Cond::Eq("multi_env", "test"),
        required_when: Cond::Always,
    },
    Field {
        key: "multi_send_url",
        label: "本番URL(PC)",
        help: "マルチ決済の本番環境(PC)で接続するURLです。「ルミーズ本番環境設定情報連絡票」の「決済情報送信先URL(PC用)」に記載されているURLを入力してください。",
        input: Input::Url,
        // 空白 in the manual; see `card_send_url`.
        default: MULTI_PRODUCTION_URL,
        shown_when: Cond::Always,
        required_when: Cond::All(&[MULTI_ON, Cond::Eq("multi_env", "production")]),
    },
    Field {
        key: "multi_show_destination",
        label: "マルチ決済支払先表示",
        help: "お客様が実際にどのコンビニや決済を使用したかを各種メール・PDFに表示する場合は「表示する」を選択してください。支払方法名の後ろに「マルチ決済 (ヤマザキデイリーストア)」のように表示されます。",
        input: Input::Radio(&[
            Choice { value: "on", label: "表示する" },
            Choice { value: "off", label: "表示しない" },
        ]),
        // 未選択 in the manual; not showing keeps mails and PDFs as they were before the
        // setting existed.
        default: "off",
        shown_when: Cond::Always,
        required_when: MULTI_ON,
    },
];

/// Rules that need more than one field: a service used in production must not point at
/// Remise's test host, and the two services must not share one production page.
fn check(v: &Values) -> Vec<FieldError> {
    let get = |key: &str| v.get(key).map(String::as_str).unwrap_or("");
    let mut errors = Vec::new();

    let card_live = get("card") == "on" && get("env") == "production";
    let multi_live = get("multi") == "on" && get("multi_env") == "production";

    if card_live && is_test_host(get("card_send_url")) {
        errors.push(FieldError::new(
            "card_send_url",
            "稼働環境が「本番環境」のため、クレジットカード決済の本番URL(PC)にテスト環境のURL（test.remise.jp）は入力できません。「ルミーズ本番環境設定情報連絡票」の「決済情報送信先URL(PC用)」を入力してください。",
        ));
    }
    if multi_live && is_test_host(get("multi_send_url")) {
        errors.push(FieldError::new(
            "multi_send_url",
            "稼働環境が「本番環境」のため、マルチ決済の本番URL(PC)にテスト環境のURL（test.remise.jp）は入力できません。「ルミーズ本番環境設定情報連絡票」の「決済情報送信先URL(PC用)」を入力してください。",
        ));
    }
    // Card and multi payment are different pages at Remise; the same URL in both is a
    // copy-and-paste slip that would send convenience-store orders to the card page or back.
    let card_url = get("card_send_url").trim();
    if card_live && multi_live && !card_url.is_empty() && card_url == get("multi_send_url").trim() {
        errors.push(FieldError::new(
            "multi_send_url",
            "マルチ決済の本番URL(PC)にクレジットカード決済の本番URL(PC)と同じURLが入力されています。「ルミーズ本番環境設定情報連絡票」に記載されているマルチ決済の「決済情報送信先URL(PC用)」を入力してください。",
        ));
    }
    errors
}

/// Whether an absolute URL's host is Remise's test host (any letter case, any port). The
/// generic validator has already checked the URL's form; this only looks at the host.
fn is_test_host(url: &str) -> bool {
    let Some((_, rest)) = url.trim().split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    host.eq_ignore_ascii_case(TEST_HOST)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> impl Iterator<Item = &'static Field> {
        crate::providers::validate::fields(&SETTINGS)
    }

    fn field(key: &str) -> &'static Field {
        fields()
            .find(|f| f.key == key)
            .unwrap_or_else(|| panic!("no field {key}"))
    }

    /// Evaluates a condition the way the generic renderer does, for the tests below.
    fn holds(cond: &Cond, v: &Values) -> bool {
        let get = |key: &str| v.get(key).map(String::as_str).unwrap_or("");
        match cond {
            Cond::Always => true,
            Cond::Never => false,
            Cond::Eq(key, value) => get(key) == *value,
            Cond::In(key, values) => values.contains(&get(key)),
            Cond::All(conds) => conds.iter().all(|c| holds(c, v)),
            Cond::Any(conds) => conds.iter().any(|c| holds(c, v)),
        }
    }

    fn defaults() -> Values {
        crate::providers::validate::defaults(&SETTINGS)
    }

    fn with(pairs: &[(&str, &str)]) -> Values {
        let mut v = defaults();
        for (key, value) in pairs {
            v.insert((*key).to_owned(), (*value).to_owned());
        }
        v
    }

    #[test]
    fn a_fresh_tab_enables_no_kind_and_passes_the_cross_field_rules() {
        let v = defaults();
        assert!(SETTINGS
            .services
            .iter()
            .all(|s| !holds(&s.enabled_when, &v)));
        assert_eq!(check(&v), vec![]);
    }

    #[test]
    fn the_old_convenience_store_kind_is_enabled_exactly_when_multi_payment_is() {
        let kind = |k: &str| SETTINGS.services.iter().find(|s| s.kind == k).expect(k);
        for multi in ["on", "off"] {
            let v = with(&[("multi", multi)]);
            assert_eq!(
                holds(&kind("remise_conv").enabled_when, &v),
                holds(&kind("remise_multi").enabled_when, &v),
            );
        }
        assert!(holds(
            &kind("remise_conv").enabled_when,
            &with(&[("multi", "on")])
        ));
    }

    #[test]
    fn the_merchant_code_and_host_number_are_required_once_either_service_is_used() {
        for service in ["card", "multi"] {
            let v = with(&[(service, "on")]);
            assert!(holds(&field("shop_code").required_when, &v));
            assert!(holds(&field("host_id").required_when, &v));
        }
        assert!(!holds(&field("shop_code").required_when, &defaults()));
    }

    #[test]
    fn a_card_service_in_production_pointing_at_the_test_host_is_refused() {
        let v = with(&[
            ("card", "on"),
            ("env", "production"),
            (
                "card_send_url",
                "https://TEST.remise.jp/rpgw2/pc/card/paycard.aspx",
            ),
        ]);
        let errors = check(&v);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "card_send_url");
        assert!(errors[0].message.contains("本番URL(PC)"));
    }

    #[test]
    fn the_test_host_is_accepted_while_the_service_is_in_test_or_unused() {
        let url = "https://test.remise.jp/rpgw2/pc/cvs/paycvs.aspx";
        assert_eq!(
            check(&with(&[("multi", "on"), ("multi_send_url", url)])),
            vec![]
        );
        assert_eq!(
            check(&with(&[
                ("multi_env", "production"),
                ("multi_send_url", url)
            ])),
            vec![]
        );
    }

    #[test]
    fn both_services_in_production_on_the_same_url_are_refused_on_the_multi_field() {
        let v = with(&[
            ("card", "on"),
            ("env", "production"),
            ("multi", "on"),
            ("multi_env", "production"),
            ("multi_send_url", CARD_PRODUCTION_URL),
        ]);
        let errors = check(&v);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "multi_send_url");
    }

    #[test]
    fn hosts_are_found_behind_ports_credentials_and_queries() {
        assert!(is_test_host("https://test.remise.jp:443/x"));
        assert!(is_test_host("https://u:p@Test.Remise.jp?x=1"));
        assert!(!is_test_host(
            "https://ssl01.remise.jp/rpgw2/pc/card/paycard.aspx"
        ));
        assert!(!is_test_host("https://test.remise.jp.example.com/"));
        assert!(!is_test_host("test.remise.jp"));
    }
}
