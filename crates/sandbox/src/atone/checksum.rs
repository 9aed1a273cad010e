//! The checksum of the payment data a shop hands to the widget (spec §6), and the Base64
//! the checksum and the `Authorization` header are written in.
//!
//! The canonical text is the shop's secret key, a comma, then the values of the payment
//! object without `checksum`, with no keys and no separators: at every object level (the
//! top, `customer`, each element of `dest_customers` and `items`, any other object) keys
//! are taken in ascending byte order, arrays in their own order, descending depth first.
//! Strings contribute their text (an empty string nothing), integers their decimal text,
//! booleans `true` / `false`, `null` nothing (the spec leaves `null` open; the sandbox
//! chose nothing, as for an empty string). Every key but `checksum` is hashed, including
//! `transaction_options` and `user_no` (open in the spec's §11). The checksum is plain
//! SHA-256 (not HMAC) of the UTF-8 text, written in standard Base64 with padding.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The text the checksum of `payment` is the hash of, for the shop with `secret_key`.
pub fn canonical(secret_key: &str, payment: &Value) -> String {
    let mut out = format!("{secret_key},");
    match payment {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().filter(|k| *k != "checksum").collect();
            keys.sort();
            for key in keys {
                append(&mut out, &map[key.as_str()]);
            }
        }
        other => append(&mut out, other),
    }
    out
}

fn append(out: &mut String, value: &Value) {
    match value {
        Value::Null => {}
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => out.push_str(text),
        Value::Array(values) => values.iter().for_each(|v| append(out, v)),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                append(out, &map[key.as_str()]);
            }
        }
    }
}

/// The checksum of `payment` for the shop with `secret_key`.
pub fn checksum(secret_key: &str, payment: &Value) -> String {
    base64(&Sha256::digest(canonical(secret_key, payment).as_bytes()))
}

/// Whether `payment` carries the checksum it should for the shop with `secret_key`.
pub fn verify(secret_key: &str, payment: &Value) -> bool {
    payment
        .get("checksum")
        .and_then(Value::as_str)
        .is_some_and(|sent| sent == checksum(secret_key, payment))
}

/// Standard Base64 (RFC 4648 §4) with `=` padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A payment whose keys are out of order at every level, with an empty string, a
    /// boolean, a negative price and multi-byte text.
    fn payment() -> Value {
        json!({
            "shop_transaction_no": "ord-1",
            "sales_settled": false,
            "items": [
                { "shop_item_id": "A1", "item_price": 1200, "item_name": "本", "item_count": 1 },
                { "item_name": "値引", "shop_item_id": "D1", "item_count": 1, "item_price": -200 }
            ],
            "description_trans": "",
            "customer": { "tel": "0312345678", "customer_name": "山田太郎", "email": "a@example.com" },
            "checksum": "ignored",
            "amount": 1000
        })
    }

    #[test]
    fn the_canonical_text_is_the_key_then_sorted_values_depth_first() {
        assert_eq!(
            canonical("sandbox_secret_key", &payment()),
            "sandbox_secret_key,1000山田太郎a@example.com03123456781本1200A11値引-200D1falseord-1"
        );
    }

    #[test]
    fn the_checksum_is_base64_of_the_sha256_of_the_canonical_text() {
        // Computed apart from this code:
        // printf '%s' '<the canonical text above>' | sha256sum | xxd -r -p | base64
        assert_eq!(
            checksum("sandbox_secret_key", &payment()),
            "iCOiIzz+QSrqgLfEIpvtPinX81df1vr63cng+CLEZvY="
        );
    }

    #[test]
    fn verify_needs_the_same_checksum_and_key() {
        let mut signed = payment();
        signed["checksum"] = json!("iCOiIzz+QSrqgLfEIpvtPinX81df1vr63cng+CLEZvY=");

        assert!(verify("sandbox_secret_key", &signed));
        assert!(!verify("another_secret", &signed));
        signed["amount"] = json!(1001);
        assert!(!verify("sandbox_secret_key", &signed));
        assert!(!verify("sandbox_secret_key", &payment()));
    }

    #[test]
    fn base64_pads_as_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"sandbox_secret_key"), "c2FuZGJveF9zZWNyZXRfa2V5");
        assert_eq!(
            base64(&Sha256::digest(b"")),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
