//! The Paygent (ペイジェント) settings tab, written as data.
//!
//! This file owns what the operator sees and may enter on the ペイジェント tab of the
//! クレジット決済設定 screen: every setting of the Paygent operation manual (設定方法 …
//! ペイジェントの設定の更新) with its label, initial value, options, character rule and the
//! conditions under which it is shown and required, plus the five settlement kinds
//! (決済種別) the tab enables and the few rules that involve more than one field. The one
//! generic renderer and validator read this data for every provider; nothing here talks to
//! Paygent.

use crate::providers::schema::{
    Chars, Choice, Cond, Field, FieldError, Input, ProviderSpec, Section, Service, Values,
};

/// The Paygent settings tab: sections and fields in the manual's screen order.
pub static SETTINGS: ProviderSpec = ProviderSpec {
    key: "paygent",
    label: "ペイジェント",
    save_button: "ペイジェントの設定を更新する",
    sections: &[
        Section {
            title: "基本設定",
            fields: BASIC,
        },
        Section {
            title: "クレジットカード決済設定",
            fields: CARD,
        },
        Section {
            title: "コンビニ決済設定",
            fields: CONV,
        },
        Section {
            title: "ATM決済(ペイジー)設定",
            fields: ATM,
        },
        Section {
            title: "銀行ネット決済(ネットバンキング)設定",
            fields: NETBANK,
        },
        Section {
            title: "Paidy 設定",
            fields: PAIDY,
        },
    ],
    services: &[
        Service {
            kind: "paygent_card",
            label: "カード決済(ペイジェント)",
            paid_after_order: false,
            enabled_when: CARD_ON,
            replaced_by: None,
        },
        Service {
            kind: "paygent_conv",
            label: "コンビニ決済(ペイジェント)",
            paid_after_order: true,
            enabled_when: CONV_ON,
            replaced_by: None,
        },
        Service {
            kind: "paygent_atm",
            label: "ATM決済(ペイジェント)",
            paid_after_order: true,
            enabled_when: Cond::Eq("atm", "on"),
            replaced_by: None,
        },
        Service {
            kind: "paygent_netbank",
            label: "銀行ネット決済(ペイジェント)",
            paid_after_order: true,
            enabled_when: Cond::Eq("netbank", "on"),
            replaced_by: None,
        },
        Service {
            kind: "paygent_paidy",
            label: "Paidy(ペイジェント)",
            paid_after_order: false,
            enabled_when: Cond::Eq("paidy", "on"),
            replaced_by: None,
        },
    ],
    check,
    kept_card: "カード情報の登録",
    contract_notes: &[
        "モジュールタイプの契約(接続ID・接続パスワード)があると、管理画面からの売上処理・金額変更・キャンセル処理・返金処理・状態更新、決済情報差分照会による通知の補完、カード情報お預かりが使えます。",
        "リンクタイプのみの契約(接続IDなし)では、お支払いはペイジェントの画面で行い、受注は決済通知で確定します。管理画面からの決済操作と状態更新はできません。差分通知ハッシュ値生成キーを設定すると通知の改ざんを確かめられます。未設定の場合は金額と決済の状態を確かめてから反映します。",
    ],
    requires_company_name: Some("P006"),
};

/// Paygent does not publish a length for its hash keys, token keys or the Paidy key; this
/// bound only stops absurd input and must never reject a key Paygent issued.
const KEY_MAX: usize = 128;

const CARD_ON: Cond = Cond::In("card", &["link", "module"]);
const CONV_ON: Cond = Cond::In("conv", &["link", "module"]);

/// Every use that goes through Paygent's module-type connection (server-to-server telegrams
/// with the client certificate). ATM, net banking and Paidy exist only in module type: the
/// manual says each needs the module-type contract and cannot be used with link type alone.
const MODULE_USE: Cond = Cond::Any(&[
    Cond::Eq("card", "module"),
    Cond::Eq("conv", "module"),
    Cond::Eq("atm", "on"),
    Cond::Eq("netbank", "on"),
    Cond::Eq("paidy", "on"),
]);

/// Module-type use against the real Paygent (production, or its test environment). The
/// built-in sandbox serves module telegrams without a client certificate, so a shop trying
/// kessai offline needs no certificate files; `kessai sandbox --tls` exercises them.
const MODULE_USE_AT_PAYGENT: Cond = Cond::All(&[
    MODULE_USE,
    Cond::Any(&[
        Cond::Eq("env", "production"),
        Cond::Eq("test_target", "provider"),
    ]),
]);

const LINK_USE: Cond = Cond::Any(&[Cond::Eq("card", "link"), Cond::Eq("conv", "link")]);

const ANY_SERVICE: Cond = Cond::Any(&[
    CARD_ON,
    CONV_ON,
    Cond::Eq("atm", "on"),
    Cond::Eq("netbank", "on"),
    Cond::Eq("paidy", "on"),
]);

/// The manual shows the certificate fields when card payment is used in either type. They
/// are also mandatory for every module-type use, and a mandatory field must be visible, so
/// they also appear when only convenience store (module), ATM, net banking or Paidy is used.
const CERT_SHOWN: Cond = Cond::Any(&[CARD_ON, MODULE_USE]);

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

const LINK_MODULE_OFF: &[Choice] = &[
    Choice {
        value: "link",
        label: "リンクタイプで利用する",
    },
    Choice {
        value: "module",
        label: "モジュールタイプで利用する",
    },
    Choice {
        value: "off",
        label: "利用しない",
    },
];

const BASIC: &[Field] = &[
    Field {
        key: "merchant_id",
        label: "マーチャントID",
        help: "契約時にペイジェントから発行されたマーチャントIDです。試験環境と本番環境で異なります。",
        input: Input::Text { chars: Chars::Digits, max: 9 },
        default: "",
        shown_when: Cond::Always,
        // Not marked 必須 in the manual, but every link request and every telegram carries it.
        required_when: ANY_SERVICE,
    },
    Field {
        key: "connect_id",
        label: "接続ID",
        help: "契約時に発行された接続IDです。モジュールタイプ(ATM決済・銀行ネット決済・Paidyを含む)で利用するときは必須です。",
        input: Input::Text { chars: Chars::Alphanumeric, max: 32 },
        default: "",
        shown_when: Cond::Always,
        required_when: MODULE_USE,
    },
    Field {
        key: "connect_password",
        label: "接続パスワード",
        help: "契約時に発行された接続パスワードです。モジュールタイプ(ATM決済・銀行ネット決済・Paidyを含む)で利用するときは必須です。",
        input: Input::Secret { chars: Chars::Alphanumeric, max: 32 },
        default: "",
        shown_when: Cond::Always,
        required_when: MODULE_USE,
    },
    Field {
        key: "link_hash_key",
        label: "リンクタイプハッシュ生成キー",
        help: "契約時に発行されたリンクタイプハッシュ生成キーです。リンクタイプで利用するときは必須です。",
        input: Input::Secret { chars: Chars::Alphanumeric, max: KEY_MAX },
        default: "",
        shown_when: Cond::Always,
        required_when: LINK_USE,
    },
    Field {
        key: "notice_hash_key",
        label: "差分通知ハッシュ値生成キー",
        help: "決済通知(差分通知)が改ざんされていないかを確かめるキーです。別途「差分通知オプション」のお申し込みが必要です。",
        input: Input::Secret { chars: Chars::Alphanumeric, max: KEY_MAX },
        default: "",
        shown_when: Cond::Always,
        required_when: Cond::Never,
    },
    Field {
        key: "env",
        label: "稼働環境",
        help: "テスト環境と本番環境のどちらを利用するかを選択します。接続テストはテスト環境で行ってください。",
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
        help: "内蔵サンドボックスはネットワークに接続せずに動作します。「ペイジェントの試験環境」を選ぶと、ペイジェントが提供する実際の試験環境に接続します。「URLを指定」は別に起動したサンドボックス(kessai sandbox)などに接続します。",
        input: Input::Radio(&[
            Choice { value: "sandbox", label: "内蔵サンドボックス" },
            Choice { value: "provider", label: "ペイジェントの試験環境" },
            Choice { value: "url", label: "URLを指定" },
        ]),
        default: "sandbox",
        shown_when: Cond::Eq("env", "test"),
        required_when: Cond::Always,
    },
    Field {
        key: "test_url",
        label: "テスト環境のURL",
        help: "モジュール電文・リンクタイプ・トークンの接続先の共通部分です(例: https://127.0.0.1:8443/sandbox/paygent)。",
        input: Input::Url,
        default: "",
        shown_when: Cond::All(&[Cond::Eq("env", "test"), Cond::Eq("test_target", "url")]),
        required_when: Cond::Always,
    },
];

const CARD: &[Field] = &[
    Field {
        key: "card",
        label: "クレジットカード決済",
        help: "リンクタイプは決済会社の画面でカード番号を入力し、モジュールタイプはサイト内で決済が完結します。管理画面からの売上・金額変更・キャンセルにはモジュールタイプの契約が必要です。",
        input: Input::Radio(LINK_MODULE_OFF),
        default: "off",
        shown_when: Cond::Always,
        required_when: Cond::Always,
    },
    Field {
        key: "cert_dir",
        label: "証明書ファイルパス",
        help: "クライアント証明書ファイルを格納するフォルダです。初期値はランダムな名前で、フォルダがなければ自動的に作成されます。",
        input: Input::Folder,
        default: "",
        shown_when: CERT_SHOWN,
        required_when: MODULE_USE,
    },
    Field {
        key: "client_cert",
        label: "クライアント証明書ファイル",
        help: "ペイジェントから届くZIPを解凍し、クライアント証明書ファイル(pemファイル)だけをアップロードします。試験環境と本番環境で異なります。",
        input: Input::File { extensions: &["pem"] },
        default: "",
        shown_when: CERT_SHOWN,
        required_when: MODULE_USE_AT_PAYGENT,
    },
    Field {
        key: "ca_file",
        label: "CAファイル",
        help: "ペイジェントから届くZIPを解凍し、CAファイル(certファイル)だけをアップロードします。リンクタイプでも管理画面から決済連携するときは必要です。",
        input: Input::File { extensions: &["cert", "crt", "pem"] },
        default: "",
        shown_when: CERT_SHOWN,
        required_when: MODULE_USE_AT_PAYGENT,
    },
    Field {
        key: "token_key",
        label: "トークン生成鍵",
        help: "契約時に発行されたトークン生成鍵です。購入者のブラウザでカード情報をトークン化するときに使います。試験環境と本番環境で異なります。",
        input: Input::Text { chars: Chars::Alphanumeric, max: KEY_MAX },
        default: "",
        shown_when: Cond::Eq("card", "module"),
        required_when: Cond::Always,
    },
    Field {
        key: "token_hash_key",
        label: "トークン受取ハッシュ鍵",
        help: "契約時に発行されたトークン受取ハッシュ鍵です。試験環境と本番環境で異なります。",
        // The manual says 半角英数字, but Paygent's own token specification shows a receipt
        // key with an underscore (`ch_…`); refusing a key Paygent issued would block the shop.
        input: Input::Secret { chars: Chars::Ascii, max: KEY_MAX },
        default: "",
        shown_when: Cond::Eq("card", "module"),
        required_when: Cond::Always,
    },
    Field {
        key: "payment_class",
        label: "支払区分",
        help: "加盟店ごとに設定された支払可能回数から、購入者に提示する支払回数をさらに絞り込みます。",
        input: Input::Radio(&[
            Choice { value: "once", label: "1回払いのみ" },
            Choice { value: "all", label: "全て" },
            Choice { value: "no_bonus", label: "ボーナス一括以外全て" },
        ]),
        default: "once",
        shown_when: CARD_ON,
        required_when: Cond::Always,
    },
    Field {
        key: "card_conf",
        label: "カード確認番号利用フラグ",
        help: "カード確認番号(セキュリティコード)の入力を必須にするかを指定します。実際に使われるかはカード発行会社によります。",
        input: Input::Radio(USE_OR_NOT),
        default: "off",
        shown_when: CARD_ON,
        required_when: Cond::Always,
    },
    Field {
        key: "stock_card",
        // The screen spells it お預り; the manual's headings also write お預かり.
        label: "カード情報お預りモード",
        help: "「利用する」にすると、ログインして一度購入した会員は次回からカード番号の入力が不要になります。ペイジェントへの別途お申し込みが必要です。",
        input: Input::Radio(USE_OR_NOT),
        default: "off",
        shown_when: CARD_ON,
        required_when: Cond::Always,
    },
    Field {
        key: "sales_mode",
        label: "同時売上モード",
        help: "決済時にオーソリ(与信)のみ行うか、オーソリ後に売上処理まで行うかを指定します。",
        input: Input::Radio(&[
            Choice { value: "capture", label: "売上" },
            Choice { value: "auth", label: "オーソリのみ" },
        ]),
        default: "auth",
        shown_when: Cond::Eq("card", "module"),
        required_when: Cond::Always,
    },
    Field {
        key: "three_d_secure",
        label: "3Dセキュア",
        help: "3Dセキュアを契約した場合のみ「契約」を選択してください。",
        input: Input::Radio(&[
            Choice { value: "on", label: "契約" },
            Choice { value: "off", label: "未契約／利用しない" },
        ]),
        default: "off",
        shown_when: CARD_ON,
        required_when: Cond::Always,
    },
    Field {
        key: "three_d_hash_key",
        label: "3Dセキュア結果受付ハッシュ鍵",
        help: "契約時に発行された3Dセキュア結果受付ハッシュ鍵です。3Dセキュアを利用するときは必須です。",
        // 半角英数字 in the manual; Paygent's 3-D Secure examples use a key with `_`.
        input: Input::Secret { chars: Chars::Ascii, max: KEY_MAX },
        default: "",
        // The manual lists this field (and the next) as appearing on 「契約」 in the
        // module-type screen only; in link type Paygent's own pages run 3-D Secure.
        shown_when: Cond::All(&[Cond::Eq("card", "module"), Cond::Eq("three_d_secure", "on")]),
        required_when: Cond::Always,
    },
    Field {
        key: "chargeback",
        label: "チャージバックリスク回避",
        help: "「優先する」にすると、チャージバックリスクが加盟店にある3Dセキュア認証を認証エラー(決済エラー)とします。",
        input: Input::Radio(&[
            Choice { value: "on", label: "優先する" },
            Choice { value: "off", label: "優先しない" },
        ]),
        default: "on",
        shown_when: Cond::All(&[Cond::Eq("card", "module"), Cond::Eq("three_d_secure", "on")]),
        required_when: Cond::Always,
    },
];

const CONV: &[Field] = &[
    Field {
        key: "conv",
        label: "コンビニ決済(番号方式)",
        help: "リンクタイプは決済会社の画面で、モジュールタイプはサイト内で払込番号を発行します。モジュールタイプでは払込番号がサンキューメールに記載されます。",
        input: Input::Radio(LINK_MODULE_OFF),
        default: "off",
        shown_when: Cond::Always,
        required_when: Cond::Always,
    },
    Field {
        key: "conv_days",
        label: "支払期間(日指定)",
        help: "支払期限を2日以上60日以内の日数で指定します。支払期間(分指定)と同時には指定できず、どちらも空欄なら5日として扱います。",
        input: Input::Integer { min: 2, max: 60 },
        default: "",
        shown_when: CONV_ON,
        required_when: Cond::Never,
    },
    Field {
        key: "conv_minutes",
        label: "支払期間(分指定)",
        help: "支払期限を5分以上2,880分以内の分数で指定します。支払期間(日指定)と同時には指定できません。",
        input: Input::Integer { min: 5, max: 2880 },
        default: "",
        shown_when: Cond::Eq("conv", "link"),
        required_when: Cond::Never,
    },
    Field {
        key: "conv_sales_type",
        label: "支払種別",
        help: "「前払い」か「後払い」かを表す種別です。",
        input: Input::Radio(&[
            Choice { value: "prepay", label: "前払い" },
            Choice { value: "postpay", label: "後払い" },
        ]),
        default: "prepay",
        shown_when: Cond::Eq("conv", "module"),
        required_when: Cond::Always,
    },
    Field {
        key: "conv_stores",
        label: "申込コンビニ",
        help: "契約時に利用を申し込んだコンビニを選択します。",
        input: Input::Checkboxes(&[
            Choice { value: "seicomart", label: "セイコーマート" },
            Choice { value: "lawson", label: "ローソン/ミニストップ/デイリーヤマザキ" },
            Choice { value: "seveneleven", label: "セブンイレブン" },
            Choice { value: "familymart", label: "ファミリーマート" },
        ]),
        default: "seicomart,lawson,seveneleven,familymart",
        shown_when: Cond::Eq("conv", "module"),
        // Not marked 必須, but with no store chosen no payment number can be issued.
        required_when: Cond::Always,
    },
];

const ATM: &[Field] = &[
    Field {
        key: "atm",
        label: "ATM決済(ペイジー)",
        help: "利用するにはモジュールタイプの契約が必要です。リンクタイプのみの契約では利用できません。",
        input: Input::Radio(USE_OR_NOT),
        default: "off",
        shown_when: Cond::Always,
        required_when: Cond::Always,
    },
    Field {
        key: "atm_limit_days",
        label: "支払期限日",
        help: "取引発生日から0日〜60日で指定します(0日は当日中)。空欄のときは30日になります。",
        input: Input::Integer { min: 0, max: 60 },
        default: "",
        shown_when: Cond::Eq("atm", "on"),
        required_when: Cond::Never,
    },
];

const NETBANK: &[Field] = &[
    Field {
        key: "netbank",
        label: "銀行ネット決済(ネットバンキング)",
        help: "利用するにはモジュールタイプの契約が必要です。リンクタイプのみの契約では利用できません。",
        input: Input::Radio(USE_OR_NOT),
        default: "off",
        shown_when: Cond::Always,
        required_when: Cond::Always,
    },
    Field {
        key: "netbank_term",
        label: "支払期間",
        help: "銀行選択画面(ASP画面)の有効期限です。すぐに支払ってほしい場合は30分程度を選び、長くても7日程度が一般的です。",
        // The manual names only the initial choice; the list is the one its screen offers.
        // The connector turns a value into Paygent's `asp_payment_term` (spec §6.9).
        input: Input::Radio(&[
            Choice { value: "30m", label: "即日購入後30分以内" },
            Choice { value: "1h", label: "即日購入後1時間以内" },
            Choice { value: "2h", label: "即日購入後2時間以内" },
            Choice { value: "3h", label: "即日購入後3時間以内" },
            Choice { value: "6h", label: "即日購入後6時間以内" },
            Choice { value: "24h", label: "購入後24時間以内" },
            Choice { value: "2d", label: "購入後2日以内" },
            Choice { value: "3d", label: "購入後3日以内" },
            Choice { value: "5d", label: "購入後5日以内" },
            Choice { value: "7d", label: "購入後7日以内" },
            Choice { value: "14d", label: "購入後14日以内" },
        ]),
        default: "5d",
        shown_when: Cond::Eq("netbank", "on"),
        required_when: Cond::Always,
    },
];

const PAIDY: &[Field] = &[
    Field {
        key: "paidy",
        label: "Paidy",
        help: "利用するには、ペイジェントとは別にPaidyへのお申し込みと、モジュールタイプの契約が必要です。",
        input: Input::Radio(USE_OR_NOT),
        default: "off",
        shown_when: Cond::Always,
        required_when: Cond::Always,
    },
    Field {
        key: "paidy_public_key",
        label: "パブリックキー",
        help: "Paidyから発行されるパブリックキーです。試験環境と本番環境で異なります。",
        // Public by nature: it is handed to Paidy Checkout in the buyer's browser. Paidy keys
        // carry a prefix with `_`, hence printable ASCII rather than alphanumerics.
        input: Input::Text { chars: Chars::Ascii, max: KEY_MAX },
        default: "",
        shown_when: Cond::Eq("paidy", "on"),
        // Not marked 必須, but Paidy Checkout cannot open without it.
        required_when: Cond::Always,
    },
];

/// Rules that span fields. `v` holds only the shown fields; a missing key means empty.
fn check(v: &Values) -> Vec<FieldError> {
    let mut errors = Vec::new();

    // Only link type shows the minutes field, so module type never trips this.
    if filled(v, "conv_days") && filled(v, "conv_minutes") {
        errors.push(FieldError::new(
            "conv_minutes",
            "支払期間(日指定)と支払期間(分指定)の両方を指定することはできません。",
        ));
    }

    // Link type may still use the admin-side operations (capture, amount change, cancel)
    // when the shop also has the module-type contract; then the manual makes the
    // certificate files mandatory. Uploading either file is how the operator says so. When
    // another service already uses module type, `required_when` covers these fields.
    let wants_admin_link = is(v, "card", "link")
        && !module_use(v)
        && (filled(v, "client_cert") || filled(v, "ca_file"));
    if wants_admin_link {
        for key in [
            "cert_dir",
            "client_cert",
            "ca_file",
            "connect_id",
            "connect_password",
        ] {
            if !filled(v, key) {
                errors.push(FieldError::new(
                    key,
                    format!(
                        "リンクタイプで管理画面から決済連携機能を利用するときは、{}は必須です。",
                        label_of(key)
                    ),
                ));
            }
        }
    }

    errors
}

/// The label of a radio choice of a field (e.g. 支払期間's `5d` → 購入後5日以内).
pub fn choice_label(key: &str, value: &str) -> Option<&'static str> {
    let field = SETTINGS
        .sections
        .iter()
        .flat_map(|s| s.fields)
        .find(|f| f.key == key)?;
    match field.input {
        Input::Radio(choices) => choices.iter().find(|c| c.value == value).map(|c| c.label),
        _ => None,
    }
}

fn filled(v: &Values, key: &str) -> bool {
    v.get(key).is_some_and(|s| !s.trim().is_empty())
}

fn is(v: &Values, key: &str, value: &str) -> bool {
    v.get(key).is_some_and(|s| s == value)
}

/// Mirrors [`MODULE_USE`] for the values at hand.
fn module_use(v: &Values) -> bool {
    is(v, "card", "module")
        || is(v, "conv", "module")
        || is(v, "atm", "on")
        || is(v, "netbank", "on")
        || is(v, "paidy", "on")
}

fn label_of(key: &str) -> &'static str {
    SETTINGS
        .sections
        .iter()
        .flat_map(|s| s.fields)
        .find(|f| f.key == key)
        .map_or("", |f| f.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn assert_no_errors(v: &Values) {
        let errors = check(v);
        assert!(errors.is_empty(), "unexpected errors: {errors:?}");
    }

    fn fields() -> impl Iterator<Item = &'static Field> {
        crate::providers::validate::fields(&SETTINGS)
    }

    #[test]
    fn days_and_minutes_together_are_refused() {
        let v = values(&[
            ("conv", "link"),
            ("conv_days", "10"),
            ("conv_minutes", "60"),
        ]);

        let errors = check(&v);

        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "conv_minutes");
        assert!(errors[0].message.contains("支払期間(日指定)"));
        assert!(errors[0].message.contains("支払期間(分指定)"));
    }

    #[test]
    fn days_or_minutes_alone_are_accepted() {
        for v in [
            values(&[("conv", "link"), ("conv_days", "10")]),
            values(&[("conv", "link"), ("conv_minutes", "60")]),
            values(&[("conv", "link")]),
            values(&[("conv", "module"), ("conv_days", "10")]),
        ] {
            assert_no_errors(&v);
        }
    }

    #[test]
    fn blank_days_and_minutes_count_as_not_given() {
        let v = values(&[("conv", "link"), ("conv_days", " "), ("conv_minutes", "60")]);

        assert_no_errors(&v);
    }

    #[test]
    fn link_type_with_a_client_certificate_needs_the_rest_of_the_module_connection() {
        let v = values(&[
            ("card", "link"),
            ("cert_dir", "a8f3k2"),
            ("client_cert", "client.pem"),
            ("connect_id", "abc"),
        ]);

        let errors = check(&v);

        let keys: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(keys, ["ca_file", "connect_password"]);
        assert!(errors[0].message.contains("CAファイル"));
    }

    #[test]
    fn link_type_without_certificates_needs_nothing_more() {
        let v = values(&[
            ("card", "link"),
            ("cert_dir", "a8f3k2"),
            ("link_hash_key", "k"),
        ]);

        assert_no_errors(&v);
    }

    #[test]
    fn link_type_leaves_certificates_to_the_field_rules_when_module_type_is_used_elsewhere() {
        let v = values(&[
            ("card", "link"),
            ("atm", "on"),
            ("client_cert", "client.pem"),
        ]);

        assert_no_errors(&v);
    }

    #[test]
    fn the_initial_values_pass_the_cross_field_rules() {
        let v: Values = fields()
            .map(|f| (f.key.to_owned(), f.default.to_owned()))
            .collect();

        assert_no_errors(&v);
    }

    #[test]
    fn every_service_is_listed_with_the_manuals_name() {
        let listed: Vec<(&str, &str)> = SETTINGS
            .services
            .iter()
            .map(|s| (s.kind, s.label))
            .collect();

        assert_eq!(
            listed,
            [
                ("paygent_card", "カード決済(ペイジェント)"),
                ("paygent_conv", "コンビニ決済(ペイジェント)"),
                ("paygent_atm", "ATM決済(ペイジェント)"),
                ("paygent_netbank", "銀行ネット決済(ペイジェント)"),
                ("paygent_paidy", "Paidy(ペイジェント)"),
            ]
        );
    }
}
