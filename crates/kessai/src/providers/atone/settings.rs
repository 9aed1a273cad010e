//! The atone (deferred payment, 翌月後払い) settings tab, written as data.
//!
//! This file owns what the operator sees and may enter on the atone tab of クレジット決済設定:
//! every setting of the Welcart atone operation manual (設定方法 → atone の設定) in the
//! manual's order and wording, with initial values (初期値), input rules and the conditions
//! under which each is shown and required, plus the one settlement kind (決済種別) the tab
//! enables and the single rule that involves two fields. The generic renderer, validator
//! and settings store read this data; the atone connector reads the saved values by the
//! keys defined here. Nothing here talks to atone.
//!
//! Source: "atone 決済サービス Welcart 決済運用マニュアル Ver.1.0.4" (2020). The manual gives
//! no key format; the bound on key length comes from nothing more than prudence (see
//! `KEY_MAX`), and ../specs/atone.md confirms the two keys are the 店舗公開可能鍵 and the
//! 店舗秘密鍵 of the atone merchant console.

use crate::providers::schema::{
    Chars, Choice, Cond, Field, FieldError, Input, ProviderSpec, Section, Service, Values,
};

/// The atone tab of クレジット決済設定.
pub static SETTINGS: ProviderSpec = ProviderSpec {
    key: "atone",
    // The tab, the heading inside it and the 決済種別 entry are all plain "atone".
    label: "atone",
    save_button: "atoneの設定を更新する",
    sections: SECTIONS,
    services: SERVICES,
    check,
    contract_notes: &[],
    kept_card: "カード情報の登録",
    requires_company_name: None,
};

/// Neither the manual nor the protocol notes give a length or alphabet for the keys, and a
/// token-like key may well contain symbols such as `-` or `_`, so the rule is printable ASCII
/// and the bound only stops absurd input: it must never reject a key atone issued.
const KEY_MAX: usize = 128;

/// The manual's pair for both sale-mode settings (仮売上機能 and 自動継続課金処理区分).
static SALE_MODES: &[Choice] = &[
    Choice {
        value: "auth",
        label: "仮売上",
    },
    Choice {
        value: "capture",
        label: "即時売上確定",
    },
];

/// The manual shows every setting under one heading, the provider's name.
static SECTIONS: &[Section] = &[Section {
    title: "atone",
    fields: &[
        Field {
            key: "public_key",
            label: "公開鍵",
            help: "atone の加盟店管理システムで取得できる「店舗公開可能鍵」を入力してください。公開鍵は購入画面に埋め込まれ、購入者のブラウザから見える値です。",
            // The public key is shown to every buyer by design, so it is not a secret.
            input: Input::Text { chars: Chars::Ascii, max: KEY_MAX },
            default: "",
            shown_when: Cond::Always,
            // The checkout widget cannot start without it.
            required_when: Cond::Always,
        },
        Field {
            key: "secret_key",
            label: "秘密鍵",
            help: "atone の加盟店管理システムで取得できる「店舗秘密鍵」を入力してください。",
            input: Input::Secret { chars: Chars::Ascii, max: KEY_MAX },
            default: "",
            shown_when: Cond::Always,
            // Every server call (取引参照, 売上確定, 取消, 取引更新) authenticates with it, and the
            // built-in sandbox checks it the same way, so it is needed in every environment.
            required_when: Cond::Always,
        },
        Field {
            key: "env",
            label: "動作環境",
            help: "テスト環境と本番環境を切り替えることができます。テスト環境では atone から提供されたテスト会員情報を利用して購入テストを行ってください。購入テストが問題なく行えましたら「本番環境」に切り替えてください。",
            input: Input::Radio(&[
                Choice { value: "test", label: "テスト環境" },
                Choice { value: "production", label: "本番環境" },
            ]),
            default: "test",
            shown_when: Cond::Always,
            required_when: Cond::Always,
        },
        Field {
            key: "test_target",
            label: "テスト環境の接続先",
            help: "内蔵サンドボックスはネットワークに接続せず、atone との契約なしで動作します。「atoneのテスト環境」を選ぶと、株式会社ネットプロテクションズの実際のテスト環境に接続します（テスト環境用の公開鍵・秘密鍵とテスト会員情報が必要です）。",
            input: Input::Radio(&[
                Choice { value: "sandbox", label: "内蔵サンドボックス" },
                Choice { value: "provider", label: "atoneのテスト環境" },
            ]),
            default: "sandbox",
            shown_when: Cond::Eq("env", "test"),
            required_when: Cond::Always,
        },
        Field {
            key: "sale_mode",
            label: "仮売上機能",
            help: "受注があった際、仮売上状態もしくは即時売上確定状態のどちらにするか選択してください。仮売上の受注は、受注データ編集画面の「決済情報」から売上計上（実売上に更新）することができます。",
            input: Input::Radio(SALE_MODES),
            // The manual's screenshot has 仮売上 unselected, so 即時売上確定 is the initial
            // value (the mark of the selected option is lost in the text of the manual).
            default: "capture",
            shown_when: Cond::Always,
            required_when: Cond::Always,
        },
        Field {
            key: "recurring_sale_mode",
            label: "自動継続課金処理区分",
            help: "自動継続課金決済時の処理区分を設定できます。「仮売上」にした場合は、継続課金会員情報画面の「決済情報」から売上計上を行ってください。",
            input: Input::Radio(SALE_MODES),
            default: "capture",
            // The manual limits this option to shops with the WCEX DL Seller extension; kessai
            // has recurring billing built in, so the setting is always shown.
            shown_when: Cond::Always,
            required_when: Cond::Always,
        },
        Field {
            key: "recurring_mail",
            label: "自動継続課金完了メール",
            help: "自動継続課金決済時に、課金完了メールを契約者に送信するか否かを選択します。メールは自動継続課金の実施時（自動処理の実行時間）に送信されます。",
            input: Input::Radio(&[
                Choice { value: "on", label: "送信する" },
                Choice { value: "off", label: "送信しない" },
            ]),
            default: "on",
            shown_when: Cond::Always,
            required_when: Cond::Always,
        },
    ],
}];

/// atone offers one settlement kind. The tab has no use switch (利用する/利用しない): the
/// manual makes the kind available in 決済種別 as soon as atone is a module in use and its
/// settings are saved, so it is always enabled here; a failed save stops it as a whole.
static SERVICES: &[Service] = &[Service {
    kind: "atone",
    label: "atone",
    paid_after_order: false,
    enabled_when: Cond::Always,
    replaced_by: None,
}];

/// Rules between fields.
///
/// The manual states none. The one rule here protects the secret key: the public key is
/// written into every checkout page, so a secret key pasted into 公開鍵 as well as 秘密鍵
/// would be published to every buyer. Refusing identical keys catches that slip before
/// the first checkout.
fn check(v: &Values) -> Vec<FieldError> {
    let mut errors = Vec::new();

    let public = trimmed(v, "public_key");
    let secret = trimmed(v, "secret_key");
    if !public.is_empty() && public == secret {
        errors.push(FieldError::new(
            "public_key",
            "公開鍵と秘密鍵に同じ値が入力されています。公開鍵には「店舗公開可能鍵」を、秘密鍵には「店舗秘密鍵」を入力してください。",
        ));
    }

    errors
}

/// The value of `key` without surrounding blanks; a missing key counts as empty.
fn trimmed<'a>(v: &'a Values, key: &str) -> &'a str {
    v.get(key).map_or("", |s| s.trim())
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

    fn initial_values() -> Values {
        crate::providers::validate::defaults(&SETTINGS)
    }

    #[test]
    fn the_settings_are_those_of_the_manual_in_its_order_with_its_initial_values() {
        let labels: Vec<_> = fields()
            .filter(|f| f.key != "test_target")
            .map(|f| f.label)
            .collect();
        assert_eq!(
            labels,
            [
                "公開鍵",
                "秘密鍵",
                "動作環境",
                "仮売上機能",
                "自動継続課金処理区分",
                "自動継続課金完了メール"
            ]
        );
        assert_eq!(field("sale_mode").default, "capture");
        assert_eq!(field("recurring_sale_mode").default, "capture");
        assert_eq!(field("recurring_mail").default, "on");
    }

    #[test]
    fn the_secret_key_is_masked_and_the_public_key_is_plain_text() {
        assert!(matches!(field("secret_key").input, Input::Secret { .. }));
        assert!(matches!(field("public_key").input, Input::Text { .. }));
    }

    #[test]
    fn atone_is_the_only_settlement_kind_and_needs_no_switch() {
        assert_eq!(SETTINGS.services.len(), 1);
        assert_eq!(SETTINGS.services[0].kind, "atone");
        assert_eq!(SETTINGS.services[0].label, "atone");
        assert!(matches!(SETTINGS.services[0].enabled_when, Cond::Always));
    }

    #[test]
    fn the_initial_values_pass_the_cross_field_check() {
        assert_eq!((SETTINGS.check)(&initial_values()), Vec::new());
    }

    #[test]
    fn distinct_keys_pass_the_cross_field_check() {
        let mut v = initial_values();
        v.insert("public_key".into(), "pubKey123".into());
        v.insert("secret_key".into(), "secKey456".into());
        assert_eq!((SETTINGS.check)(&v), Vec::new());
    }

    #[test]
    fn the_same_key_in_both_fields_is_refused_on_the_public_key() {
        let mut v = initial_values();
        v.insert("public_key".into(), " sameKey ".into());
        v.insert("secret_key".into(), "sameKey".into());
        let errors = (SETTINGS.check)(&v);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "public_key");
        assert!(errors[0].message.contains("公開鍵"));
    }
}
