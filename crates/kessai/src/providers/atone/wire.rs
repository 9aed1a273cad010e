//! atone's JSON on the wire (spec §4–§6, §9): the payment object kessai gives the widget
//! (and posts for 取引修正), its checksum, the transaction object atone answers, and its
//! error body.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The payment object (spec §4).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Payment {
    pub amount: i64,
    pub shop_transaction_no: String,
    pub sales_settled: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description_trans: String,
    pub customer: Customer,
    pub dest_customers: Vec<DestCustomer>,
    pub items: Vec<Item>,
    /// The widget's payment carries it; a server-side 取引修正 needs none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// 取引修正: the buyer's 決済認証トークン.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_token: Option<String>,
    /// 取引修正: the transactions the new one replaces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub updated_transactions: Vec<String>,
}

/// The buyer (spec §4 `customer`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Customer {
    pub customer_name: String,
    pub customer_family_name: String,
    pub customer_given_name: String,
    /// Hiragana.
    pub customer_name_kana: String,
    pub customer_family_name_kana: String,
    pub customer_given_name_kana: String,
    pub zip_code: String,
    pub address: String,
    pub tel: String,
    pub email: String,
}

/// Where the goods go (spec §4 `dest_customers`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct DestCustomer {
    pub dest_customer_name: String,
    pub dest_customer_name_kana: String,
    pub dest_zip_code: String,
    pub dest_address: String,
    pub dest_tel: String,
}

/// One item line (spec §4 `items`); discounts are negative prices.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Item {
    pub shop_item_id: String,
    pub item_name: String,
    pub item_price: i64,
    pub item_count: i64,
}

impl Payment {
    /// The payment with its checksum (spec §6) computed with the secret key.
    pub fn signed(mut self, secret_key: &str) -> Payment {
        self.checksum = None;
        let value = serde_json::to_value(&self).expect("a payment serializes");
        self.checksum = Some(checksum(&value, secret_key));
        self
    }
}

/// The checksum of a payment object (spec §6): SHA-256 of the secret key, a comma, and every
/// value of the object without `checksum`, keys sorted at every level, arrays in order,
/// depth first; standard Base64 of the digest.
pub fn checksum(payment: &Value, secret_key: &str) -> String {
    let mut text = format!("{secret_key},");
    values_into(payment, &mut text, true);
    B64.encode(Sha256::digest(text.as_bytes()))
}

fn values_into(value: &Value, out: &mut String, top: bool) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                if top && key == "checksum" {
                    continue;
                }
                values_into(&map[key], out, false);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| values_into(v, out, false)),
        Value::String(s) => out.push_str(s),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => {}
    }
}

/// A transaction as atone answers it (spec §5); fields kessai does not read are ignored.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Transaction {
    pub id: String,
    #[serde(default)]
    pub shop_transaction_no: String,
    #[serde(default)]
    pub amount: i64,
    /// 1 OK, 2 NG.
    #[serde(default)]
    pub authorization_result: i64,
    /// When NG: 1 金額超過, 9 その他.
    #[serde(default)]
    pub authorization_result_ng_reason: Option<i64>,
    #[serde(default)]
    pub sales_settled_datetime: Option<String>,
    #[serde(default)]
    pub amount_refund_total: Option<i64>,
    #[serde(default)]
    pub authentication_token: Option<String>,
}

/// atone's error body (spec §5): `{name, message, errors: [{code, messages}]}`.
#[derive(Clone, Debug, Deserialize, Default)]
pub struct ErrorBody {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub errors: Vec<ErrorEntry>,
}

/// One error of an error body.
#[derive(Clone, Debug, Deserialize, Default)]
pub struct ErrorEntry {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub messages: Vec<String>,
}

impl ErrorBody {
    /// The first EATN code, or the error's name.
    pub fn code(&self) -> String {
        self.errors
            .first()
            .map(|e| e.code.clone())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| self.name.clone())
    }

    /// Every message, for the error log.
    pub fn detail(&self) -> String {
        let mut parts = vec![self.message.clone()];
        for e in &self.errors {
            parts.push(format!("{}: {}", e.code, e.messages.join(" ")));
        }
        parts.retain(|p| !p.trim().is_empty());
        parts.join(" / ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_takes_values_in_key_order_at_every_level_after_the_secret_key() {
        let payment = serde_json::json!({
            "shop_transaction_no": "T1",
            "amount": 1080,
            "sales_settled": false,
            "checksum": "ignored",
            "customer": {"email": "a@example.jp", "customer_name": "山田 太郎"},
            "items": [
                {"item_price": 1000, "shop_item_id": "A", "item_name": "茶", "item_count": 1},
                {"item_price": 80, "shop_item_id": "S", "item_name": "送料", "item_count": 1}
            ],
        });
        let expected_text = "secret,1080山田 太郎a@example.jp1茶1000A1送料80SfalseT1";
        assert_eq!(
            checksum(&payment, "secret"),
            B64.encode(Sha256::digest(expected_text.as_bytes()))
        );
    }

    #[test]
    fn a_signed_payment_carries_a_44_character_checksum_that_changes_with_the_amount() {
        let payment = Payment {
            amount: 100,
            shop_transaction_no: "T".into(),
            sales_settled: true,
            description_trans: String::new(),
            customer: Customer::default(),
            dest_customers: Vec::new(),
            items: vec![Item {
                shop_item_id: "A".into(),
                item_name: "x".into(),
                item_price: 100,
                item_count: 1,
            }],
            checksum: None,
            authentication_token: None,
            updated_transactions: Vec::new(),
        };
        let a = payment.clone().signed("k").checksum.unwrap();
        let b = Payment {
            amount: 101,
            ..payment
        }
        .signed("k")
        .checksum
        .unwrap();
        assert_eq!(a.len(), 44);
        assert_ne!(a, b);
    }

    #[test]
    fn an_error_body_names_its_first_code() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"name":"InvalidRequest","message":"bad","errors":[{"code":"EATN1102","messages":["合計が一致しません"]}]}"#,
        )
        .unwrap();
        assert_eq!(body.code(), "EATN1102");
        assert!(body.detail().contains("合計が一致しません"));
    }
}
