//! The buyer (お客様情報): the one name-and-address type that checkouts, orders, members, the
//! admin's forms and the API share, and its validation.

use serde::{Deserialize, Serialize};

use super::input::{self, Email, Invalid, Kana, Phone, PostalCode};

/// A buyer's name, address and contact.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(deny_unknown_fields)]
pub struct Buyer {
    pub email: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    pub postal_code: String,
    pub prefecture: String,
    pub address1: String,
    #[serde(default)]
    pub address2: String,
    pub phone: String,
}

impl Buyer {
    /// Validates the buyer's details and returns them cleaned (postal code as `123-4567`), or
    /// every error, each naming its field as `{prefix}{field}`. Names and addresses must be
    /// text a provider can carry ([`input::provider_safe`]), so a 機種依存文字 is refused here
    /// rather than by the provider after the hand-off.
    pub fn parse(&self, prefix: &str) -> Result<Buyer, Vec<Invalid>> {
        let mut errors = Vec::new();
        let field = |name: &str| format!("{prefix}{name}");
        let mut keep = |r: Result<String, Invalid>| match r {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                String::new()
            }
        };
        let carried = |name: &str, label: &str, value: &str, max: usize| {
            let v = input::text(&field(name), label, value, max)?;
            input::provider_safe(&field(name), label, &v)?;
            Ok(v)
        };
        let buyer = Buyer {
            email: keep(Email::parse(&field("email"), &self.email).map(|e| e.as_str().to_owned())),
            family_name: keep(carried("family_name", "姓", &self.family_name, 30)),
            given_name: keep(carried("given_name", "名", &self.given_name, 30)),
            family_kana: keep(
                Kana::parse(&field("family_kana"), "セイ", &self.family_kana)
                    .map(|k| k.as_str().to_owned()),
            ),
            given_kana: keep(
                Kana::parse(&field("given_kana"), "メイ", &self.given_kana)
                    .map(|k| k.as_str().to_owned()),
            ),
            postal_code: keep(
                PostalCode::parse(&field("postal_code"), &self.postal_code)
                    .map(|p| p.as_str().to_owned()),
            ),
            prefecture: keep(input::prefecture(&field("prefecture"), &self.prefecture)),
            address1: keep(carried("address1", "住所", &self.address1, 100)),
            address2: if self.address2.trim().is_empty() {
                String::new()
            } else {
                keep(carried("address2", "建物名", &self.address2, 100))
            },
            phone: keep(Phone::parse(&field("phone"), &self.phone).map(|p| p.as_str().to_owned())),
        };
        if errors.is_empty() {
            Ok(buyer)
        } else {
            Err(errors)
        }
    }

    /// The labels of the groups of details that differ in `after` (for the audit log):
    /// メールアドレス, 氏名, フリガナ, 住所, 電話番号.
    pub fn changed_labels(&self, after: &Buyer) -> Vec<&'static str> {
        [
            ("メールアドレス", self.email != after.email),
            (
                "氏名",
                (&self.family_name, &self.given_name) != (&after.family_name, &after.given_name),
            ),
            (
                "フリガナ",
                (&self.family_kana, &self.given_kana) != (&after.family_kana, &after.given_kana),
            ),
            (
                "住所",
                (
                    &self.postal_code,
                    &self.prefecture,
                    &self.address1,
                    &self.address2,
                ) != (
                    &after.postal_code,
                    &after.prefecture,
                    &after.address1,
                    &after.address2,
                ),
            ),
            ("電話番号", self.phone != after.phone),
        ]
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(label, _)| label)
        .collect()
    }

    /// A buyer as a form submitted it, each field read by its name (unchecked: see
    /// [`Buyer::parse`]).
    pub fn from_fields(get: impl Fn(&str) -> String) -> Buyer {
        Buyer {
            email: get("email"),
            family_name: get("family_name"),
            given_name: get("given_name"),
            family_kana: get("family_kana"),
            given_kana: get("given_kana"),
            postal_code: get("postal_code"),
            prefecture: get("prefecture"),
            address1: get("address1"),
            address2: get("address2"),
            phone: get("phone"),
        }
    }

    /// 姓 and 名 with a space between.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.family_name, self.given_name)
    }

    /// The phone number's digits.
    pub fn phone_digits(&self) -> String {
        self.phone.chars().filter(char::is_ascii_digit).collect()
    }
}
