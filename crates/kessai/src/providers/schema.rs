//! The declarative description of each provider's settings tab (クレジット決済設定).
//!
//! Every provider describes its settings as data: sections of fields with the manual's
//! labels, initial values, input rules and the conditions under which a field is shown and
//! required, plus the settlement kinds (決済種別) the settings enable. One renderer and one
//! validator serve all providers, so a rule such as "half-width digits" is written once.

use std::collections::BTreeMap;

/// The values of one provider's settings, keyed by field key. Multi-choice fields hold their
/// chosen values joined by `,`; secrets are included in clear text only while in memory.
pub type Values = BTreeMap<String, String>;

/// One provider's settings tab.
pub struct ProviderSpec {
    /// Key used in URLs, storage and settlement-kind codes (`paygent`).
    pub key: &'static str,
    /// Tab label in the admin, as the manual names the provider (`ペイジェント`).
    pub label: &'static str,
    /// Text of the save button (`ペイジェントの設定を更新する`).
    pub save_button: &'static str,
    /// The tab's sections, in screen order.
    pub sections: &'static [Section],
    /// The settlement kinds this provider offers and when each is enabled.
    pub services: &'static [Service],
    /// Cross-field rules that the per-field `required_when`/input rules cannot express.
    pub check: fn(&Values) -> Vec<FieldError>,
    /// When the provider's manual has every payment carry 基本設定's 会社名, the error it
    /// answers while that is empty (`P006`); 基本設定 warns about it.
    pub requires_company_name: Option<&'static str>,
    /// What each contract with the provider allows, shown at the top of its tab.
    pub contract_notes: &'static [&'static str],
    /// What the manual calls the registration of a card the provider keeps, as 会員データ編集
    /// offers to release it (「カード情報の登録を解除する」, 「ペイクイックを解除する」).
    pub kept_card: &'static str,
}

/// A titled group of fields on a settings tab.
pub struct Section {
    /// Heading shown above the fields (`基本設定`).
    pub title: &'static str,
    /// The fields, in screen order.
    pub fields: &'static [Field],
}

/// One setting.
pub struct Field {
    /// Stable key (`merchant_id`); never shown to the operator.
    pub key: &'static str,
    /// The manual's label (`マーチャントID`).
    pub label: &'static str,
    /// The manual's explanation, shortened to what the operator needs next to the input.
    pub help: &'static str,
    /// What kind of input and which values are accepted.
    pub input: Input,
    /// The manual's initial value (初期値); for checkboxes the values joined by `,`.
    pub default: &'static str,
    /// When the field is shown (and therefore validated and saved).
    pub shown_when: Cond,
    /// When a shown field must not be empty.
    pub required_when: Cond,
}

/// The accepted input of a field.
pub enum Input {
    /// Free text limited to a character class, at most `max` characters.
    Text { chars: Chars, max: usize },
    /// Like `Text`, but encrypted at rest and masked in the UI and logs.
    Secret { chars: Chars, max: usize },
    /// A whole number within bounds (inclusive); empty is allowed unless required.
    Integer { min: i64, max: i64 },
    /// An e-mail address.
    Email,
    /// An absolute `http://` or `https://` URL.
    Url,
    /// Exactly one of the choices.
    Radio(&'static [Choice]),
    /// Any subset of the choices (stored joined by `,`).
    Checkboxes(&'static [Choice]),
    /// A file the operator uploads (certificate, CA file); stored under the data dir.
    File {
        /// File name extensions accepted, without the dot (`pem`).
        extensions: &'static [&'static str],
    },
    /// A folder under the data dir; its initial value is a random name made on first load.
    Folder,
    /// Any subset of the shop's delivery methods (配送方法), stored as ids joined by `,`.
    DeliveryMethods,
}

/// Character classes the manuals ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chars {
    /// 半角数字
    Digits,
    /// 半角英数字
    Alphanumeric,
    /// Printable ASCII without spaces (keys and passwords that may contain symbols).
    Ascii,
    /// Anything printable, including full-width text.
    Any,
}

/// One option of a radio or checkbox field.
pub struct Choice {
    /// The stored value.
    pub value: &'static str,
    /// The manual's wording.
    pub label: &'static str,
}

/// A condition on other fields' values.
pub enum Cond {
    /// Always true.
    Always,
    /// Never true.
    Never,
    /// The field `.0` has the value `.1`.
    Eq(&'static str, &'static str),
    /// The field `.0` has one of the values `.1`.
    In(&'static str, &'static [&'static str]),
    /// Every condition holds.
    All(&'static [Cond]),
    /// At least one condition holds.
    Any(&'static [Cond]),
}

/// A settlement kind (決済種別) offered by a provider.
pub struct Service {
    /// Code stored on payment methods and payments (`paygent_card`).
    pub kind: &'static str,
    /// The manual's name for it in the 決済種別 list (`カード決済(ペイジェント)`).
    pub label: &'static str,
    /// When the provider settings enable this kind.
    pub enabled_when: Cond,
    /// Whether the buyer pays after ordering (convenience store, ATM, net banking): the
    /// order starts 未入金 until the provider reports the payment.
    pub paid_after_order: bool,
    /// The kind that replaced this one under a new name (the 2022 edition's
    /// コンビニ決済(ルミーズ), renamed マルチ決済(ルミーズ)): its payment methods keep working,
    /// and the admin offers the manual's migration (stop the old method, add the new kind).
    pub replaced_by: Option<&'static str>,
}

/// A validation failure, naming the field by key and by its label.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field's key.
    pub field: String,
    /// A sentence for the operator that names the field by its label.
    pub message: String,
}

impl FieldError {
    /// An error on `field` with `message`.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}
