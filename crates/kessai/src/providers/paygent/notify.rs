//! Paygent's payment notifications (決済情報差分通知, spec §8) and the difference inquiry
//! that fetches the same records (091, spec §7).
//!
//! A notification is keyed by Paygent's `payment_notice_id`, so a resent one — or the same
//! record fetched by 091 — has no second effect. With a 差分通知ハッシュ値生成キー its `hc`
//! is checked; without one its content cannot be believed, so the payment is asked for by
//! 094 instead, and a link-type-only shop (no telegrams at all) gets the spec's checks.

use std::collections::BTreeMap;

use super::map::{self, Service};
use super::{wire, Config, KEY};
use crate::providers::interface::{
    Ack, Fetched, MatchKey, NoticeHead, PaymentRef, ProviderError, Report, Verdict,
};

/// Paygent's acknowledgement: exactly `result=0` (anything else is sent again).
pub const ACK: Ack = Ack {
    status: 200,
    content_type: "text/plain; charset=Shift_JIS",
    body: "result=0",
};

/// A notification's items: Shift_JIS as Paygent sends them, UTF-8 as some relays re-encode.
fn decode(body: &[u8]) -> Result<BTreeMap<String, String>, wire::DecodeError> {
    wire::decode_form(body, wire::Charset::Cp932)
        .or_else(|_| wire::decode_form(body, wire::Charset::Utf8))
        .map_err(wire::DecodeError::from)
}

/// The payment a notification's `trading_id` names.
fn match_key(trading_id: &str) -> MatchKey {
    match trading_id {
        "" => MatchKey::Nothing,
        id => MatchKey::TradingId(id.to_owned()),
    }
}

impl Config {
    /// The dedup key of Paygent's difference record `notice_id`, pushed or fetched by 091.
    fn notice_key(&self, notice_id: &str) -> String {
        format!("{KEY}:{}:{notice_id}", self.merchant_id)
    }

    /// Reads a notification: keyed by merchant and notice id, about its trading id, and
    /// trusted when its hash matches.
    pub fn read_notice(&self, body: &[u8]) -> NoticeHead {
        let items = decode(body).unwrap_or_default();
        let get = |name: &str| items.get(name).map(String::as_str).unwrap_or("");
        let about = match_key(get("trading_id"));
        let notice_id = get("payment_notice_id");
        if notice_id.is_empty() || get("payment_status").is_empty() {
            return NoticeHead::malformed(
                KEY,
                body,
                about,
                "通知の形式が正しくありません(payment_notice_id または payment_status がありません)"
                    .to_owned(),
            );
        }
        let genuine_key = self.notice_key(notice_id);
        if self.notice_hash_key.is_empty() {
            let verdict = if self.module_contract() {
                Verdict::Inquire(
                    "差分通知ハッシュ値生成キーが未設定のため、決済情報照会で確認します".to_owned(),
                )
            } else {
                Verdict::Checked(
                    "差分通知ハッシュ値生成キーが未設定で照会もできないため、金額と決済の状態を確かめて反映します"
                        .to_owned(),
                )
            };
            return NoticeHead {
                dedup_key: genuine_key,
                about,
                verdict,
            };
        }
        let expected = wire::notice_hash(
            notice_id,
            get("payment_id"),
            get("trading_id"),
            get("payment_type"),
            get("payment_amount"),
            self.notice_hash_key.expose(),
        );
        if wire::hash_matches(get("hc"), &expected) {
            NoticeHead {
                dedup_key: genuine_key,
                about,
                verdict: Verdict::Trusted,
            }
        } else {
            // Keyed apart from the genuine notice, so a forgery cannot shadow it.
            NoticeHead {
                dedup_key: format!(
                    "{KEY}:forged:{}",
                    wire::sha256_hex(&[&String::from_utf8_lossy(body)])
                ),
                about,
                verdict: Verdict::Rejected(
                    "ハッシュ値(hc)が一致しないため、通知を反映しませんでした".to_owned(),
                ),
            }
        }
    }

    /// The status a stored notification reports about `payment`; refused when it is about
    /// another service than the payment's.
    pub fn notice_report(&self, stored: &str, payment: &PaymentRef) -> Result<Report, String> {
        let items =
            decode(stored.as_bytes()).map_err(|e| format!("決済通知を読み取れません: {e}"))?;
        let get = |name: &str| items.get(name).map(String::as_str).unwrap_or("");
        let service = Service::from_kind(&payment.kind);
        if service.map(Service::payment_type) != Some(get("payment_type")) {
            return Err(format!(
                "決済種別が一致しません(通知: {})",
                get("payment_type")
            ));
        }
        Ok(map::report(
            get("payment_id"),
            &payment.kind,
            get("payment_status"),
            get("payment_amount").parse().ok(),
        ))
    }

    /// 091: the next difference record not fetched yet, as a notification; `None` when
    /// Paygent has none left, or when the shop has no module contract to ask with. It is
    /// keyed like the pushed notification of the same record, so the two count once.
    pub async fn fetch_notice(&self) -> Result<Option<Fetched>, ProviderError> {
        if !self.module_contract() || self.merchant_id.is_empty() {
            return Ok(None);
        }
        let Some(record) = self.client()?.next_notice().await? else {
            return Ok(None);
        };
        let items: Vec<(&str, &str)> = record
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body = wire::encode_form(&items, wire::Charset::Cp932)
            .or_else(|_| wire::encode_form(&items, wire::Charset::Utf8))
            .map_err(|e| ProviderError::Unknown(e.to_string()))?;
        let get = |name: &str| record.get(name).map(String::as_str).unwrap_or("");
        let head = NoticeHead {
            dedup_key: self.notice_key(get("payment_notice_id")),
            about: match_key(get("trading_id")),
            verdict: Verdict::Trusted,
        };
        Ok(Some(Fetched { body, head }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(hc_key: &str) -> Vec<u8> {
        let hc = wire::notice_hash("12345", "123456789", "TRADE12345", "02", "1000", hc_key);
        format!(
            "payment_notice_id=12345&payment_id=123456789&trading_id=TRADE12345&payment_type=02&payment_amount=1000&payment_status=20&hc={hc}"
        )
        .into_bytes()
    }

    #[test]
    fn a_notice_with_the_right_hash_is_trusted_and_one_with_another_is_rejected() {
        let c = super::super::config(&[
            ("merchant_id", "111"),
            ("notice_hash_key", "abcdefg1234567"),
        ]);

        let genuine = c.read_notice(&body("abcdefg1234567"));
        let forged = c.read_notice(&body("other"));

        assert_eq!(genuine.verdict, Verdict::Trusted);
        assert_eq!(genuine.dedup_key, "paygent:111:12345");
        assert_eq!(genuine.about, MatchKey::TradingId("TRADE12345".to_owned()));
        assert!(matches!(forged.verdict, Verdict::Rejected(_)));
        assert_ne!(forged.dedup_key, genuine.dedup_key);
    }

    #[test]
    fn without_a_hash_key_a_notice_is_inquired_or_with_link_type_alone_checked() {
        let module = super::super::config(&[("connect_id", "c1")]);
        let link_only = super::super::config(&[("card", "link")]);

        assert!(matches!(
            module.read_notice(&body("")).verdict,
            Verdict::Inquire(_)
        ));
        assert!(matches!(
            link_only.read_notice(&body("")).verdict,
            Verdict::Checked(_)
        ));
    }
}
