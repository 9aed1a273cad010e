//! The クロネコWebコレクト (Yamato Kuroneko Web Collect) settings tab as data.
//!
//! This file owns what the operator can set for Kuroneko Web Collect on クレジット決済設定:
//! the fields of the tab in the manual's order and wording, their initial values (初期値),
//! input rules and visibility, the one settlement kind (決済種別) the tab enables, and the
//! rules between fields. Rendering, per-field validation and storage are generic and live
//! elsewhere; the connector reads the saved values by the keys defined here.
//!
//! Source: the Welcart operation manual for Kuroneko Web Collect (2021 edition), chapter
//! クロネコ Web コレクトの設定. Lengths the manual leaves open come from ../specs/yamato.md.

use crate::providers::schema::{
    Chars, Choice, Cond, Field, FieldError, Input, ProviderSpec, Section, Service, Values,
};

/// The Kuroneko Web Collect tab of クレジット決済設定.
pub static SETTINGS: ProviderSpec = ProviderSpec {
    key: "yamato",
    label: "クロネコWebコレクト",
    save_button: "クロネコWebコレクトの設定を更新する",
    sections: SECTIONS,
    services: SERVICES,
    check,
    contract_notes: &[],
    // The manual's 会員データ編集: 「クイック決済 登録あり」「クイック決済を解除する」.
    kept_card: "クイック決済",
    requires_company_name: None,
};

/// The manual's 利用する / 利用しない pair, shared by every on/off setting of the tab.
static USE_OR_NOT: &[Choice] = &[
    Choice {
        value: "on",
        label: "利用する",
    },
    Choice {
        value: "off",
        label: "利用しない",
    },
];

/// The manual shows every setting under a single heading, the provider's name.
static SECTIONS: &[Section] = &[Section {
    title: "クロネコWebコレクト",
    fields: &[
        Field {
            key: "trader_code",
            label: "加盟店コード",
            help: "契約時に発行される「加盟店コード」を入力してください。",
            // The manual gives no format; every known code is 9 half-width digits.
            input: Input::Text { chars: Chars::Digits, max: 9 },
            default: "",
            shown_when: Cond::Always,
            required_when: Cond::Always,
        },
        Field {
            key: "access_key",
            label: "アクセスキー",
            help: "契約時に発行される「アクセスキー」を入力してください。アクセスキーはクロネコwebコレクト登録完了書へ記載しているアクセスURLの末尾の数字です。",
            // "The digits at the end of the access URL": 6 or 7 digits on the contract sheet.
            input: Input::Secret { chars: Chars::Digits, max: 7 },
            default: "",
            shown_when: Cond::Always,
            // The card-entry token needs a checksum made with the access key on every payment.
            required_when: Cond::Always,
        },
        Field {
            key: "env",
            label: "動作環境",
            help: "テスト環境と本番環境を切り替えることができます。本稼働の際は「本番環境」に切り替えることを忘れないようご注意ください。本番環境では、テストカードは使えません。",
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
            help: "内蔵サンドボックスはネットワークに接続せず、契約なしで動作します。「クロネコwebコレクトのテスト環境」を選ぶと、ヤマト運輸の実際のテスト環境に接続します（テスト環境の利用には、申請時にヤマト運輸へのお申し込みが必要です）。",
            input: Input::Radio(&[
                Choice { value: "sandbox", label: "内蔵サンドボックス" },
                Choice { value: "provider", label: "クロネコwebコレクトのテスト環境" },
            ]),
            default: "sandbox",
            shown_when: Cond::Eq("env", "test"),
            required_when: Cond::Always,
        },
        Field {
            key: "three_d_secure",
            label: "3Dセキュア",
            help: "3Dセキュアを利用する場合は「利用する」を選択してください。カード会員が登録した暗証番号などで本人認証を行います。",
            input: Input::Radio(USE_OR_NOT),
            default: "off",
            shown_when: Cond::Always,
            required_when: Cond::Always,
        },
        Field {
            key: "security_code",
            // The manual's label really is セキュアコード, although it means the card's
            // security code (セキュリティコード).
            label: "セキュアコード",
            help: "セキュリティコード入力を必須とする場合は「利用する」を選択してください。購入の際、カード番号と同時に3桁ないし4桁のセキュリティコードの入力が必須となります。「利用しない」を選択される場合はヤマト運輸株式会社側で登録が必要となるため、クロネコwebコレクトカスタマーサービスセンター（電話：03-6671-8080 E-mail：payment@kuronekoyamato.co.jp、営業時間：9時-18時）へご連絡ください。",
            input: Input::Radio(USE_OR_NOT),
            default: "on",
            shown_when: Cond::Always,
            required_when: Cond::Always,
        },
        Field {
            key: "stored_card",
            label: "カードお預かり機能",
            help: "カードお預かり機能を利用する場合は「利用する」を選択してください。この機能を利用するにはオプション契約を申し込む必要があります。",
            input: Input::Radio(USE_OR_NOT),
            default: "off",
            shown_when: Cond::Always,
            required_when: Cond::Always,
        },
        Field {
            key: "stored_card_register",
            label: "カードお預かりの登録",
            help: "「会員が選択する」を選択すると、会員に対してクレジットカード情報を預けるかどうかのチェック項目が表示されます。「常に登録する」を選択すると、チェック項目は表示されません。",
            input: Input::Radio(&[
                Choice { value: "member", label: "会員が選択する" },
                Choice { value: "always", label: "常に登録する" },
            ]),
            // The manual names no initial value; the buyer choosing is the first option and
            // the one that stores nothing without consent.
            default: "member",
            // "カードお預かり機能を利用する場合に機能します。"
            shown_when: Cond::Eq("stored_card", "on"),
            required_when: Cond::Always,
        },
        Field {
            key: "capture",
            label: "処理区分",
            help: "「与信」は仮売上状態のため、最初から実売上にしたい場合は「与信売上確定」を選択します。ただし、配送方法がクロネコヤマト配送の受注は常に「与信」になり、送り状番号の登録で売上確定します。",
            input: Input::Radio(&[
                Choice { value: "auth", label: "与信" },
                Choice { value: "auth_capture", label: "与信売上確定" },
            ]),
            default: "auth",
            shown_when: Cond::Always,
            required_when: Cond::Always,
        },
        Field {
            key: "installments",
            label: "支払回数",
            help: "分割払いを許可するかどうかを選択します。カード会社によって分割できる回数が異なります。入力されたカード番号から利用できる支払回数を判定するため、カード番号を入力すると回数を選択できるようになります。",
            input: Input::Radio(&[
                Choice { value: "lump", label: "一括払いのみ" },
                Choice { value: "split", label: "分割払いを有効にする" },
            ]),
            default: "lump",
            shown_when: Cond::Always,
            required_when: Cond::Always,
        },
        Field {
            key: "yamato_delivery",
            label: "クロネコヤマト配送",
            help: "配送設定に登録されている配送方法のうち、宅配業者にクロネコヤマトを利用する配送方法を選択してください。チェックをいれた配送方法の受注はクロネコwebコレクトの配送として扱われます。何も表示されない場合は、まず配送設定を行ってください。クロネコヤマト以外の宅配業者だけを利用する場合は、この設定は必要ありません。",
            input: Input::DeliveryMethods,
            // Delivery-method ids belong to each shop, so nothing can be pre-checked here.
            default: "",
            shown_when: Cond::Always,
            required_when: Cond::Never,
        },
    ],
}];

/// The manual offers only card payment (「クレジットカード決済」のみ), and the tab has no
/// separate use switch: the kind is offered whenever Kuroneko Web Collect is the module in
/// use. Stored cards are an option of this kind, not a kind of their own.
static SERVICES: &[Service] = &[Service {
    kind: "yamato_card",
    label: "クロネコWebコレクト",
    paid_after_order: false,
    enabled_when: Cond::Always,
    replaced_by: None,
}];

/// Rules between fields.
///
/// The manual states none for this tab: every setting stands on its own, and the one
/// interaction it describes (orders shipped by クロネコヤマト配送 are always authorised only,
/// whatever 処理区分 says) is checkout behaviour, not a reason to refuse a save.
fn check(_v: &Values) -> Vec<FieldError> {
    Vec::new()
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

    fn defaults() -> Values {
        crate::providers::validate::defaults(&SETTINGS)
    }

    #[test]
    fn the_initial_values_are_those_the_manual_shows() {
        assert_eq!(field("three_d_secure").default, "off");
        assert_eq!(field("security_code").default, "on");
        assert_eq!(field("stored_card").default, "off");
        assert_eq!(field("capture").default, "auth");
        assert_eq!(field("installments").default, "lump");
    }

    #[test]
    fn the_access_key_is_kept_secret() {
        assert!(matches!(field("access_key").input, Input::Secret { .. }));
    }

    #[test]
    fn the_card_kind_is_the_only_service_and_is_named_as_in_the_manual() {
        assert_eq!(SETTINGS.services.len(), 1);
        assert_eq!(SETTINGS.services[0].kind, "yamato_card");
        assert_eq!(SETTINGS.services[0].label, "クロネコWebコレクト");
    }

    #[test]
    fn the_initial_values_pass_the_cross_field_check() {
        assert_eq!((SETTINGS.check)(&defaults()), Vec::new());
    }
}
