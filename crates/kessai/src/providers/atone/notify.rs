//! atone's 決済 webhook (spec §8): the transaction object as JSON, sent when atone has
//! decided. It is not signed, so it is only a hint: kessai asks atone (取引参照) about the
//! transaction it names before anything is applied, which also recovers an order whose
//! buyer closed the browser after atone said OK.

use super::map::status_of;
use super::wire::Transaction;
use super::Config;
use crate::providers::interface::{Ack, MatchKey, NoticeHead, PaymentRef, Report, Verdict};

/// What atone gets back once the webhook is stored.
pub const ACK: Ack = Ack {
    status: 200,
    content_type: "application/json",
    body: "{}",
};

impl Config {
    /// Reads a webhook's raw body.
    pub fn read_notice(&self, body: &[u8]) -> NoticeHead {
        match serde_json::from_slice::<Transaction>(body) {
            Ok(t) => NoticeHead {
                dedup_key: format!(
                    "webhook:{}:{}:{}:{}:{}",
                    t.id,
                    t.authorization_result,
                    t.amount,
                    t.sales_settled_datetime.as_deref().unwrap_or(""),
                    t.amount_refund_total.unwrap_or(0)
                ),
                about: match t.shop_transaction_no.as_str() {
                    "" => MatchKey::PaymentId(t.id.clone()),
                    no => MatchKey::TradingId(no.to_owned()),
                },
                verdict: Verdict::Inquire(
                    "atoneのWebhookには署名がないため、取引参照で確かめてから反映します。"
                        .to_owned(),
                ),
            },
            Err(e) => NoticeHead::malformed(
                super::KEY,
                body,
                MatchKey::Nothing,
                format!("atoneの取引として読めない通知です: {e}"),
            ),
        }
    }

    /// What a stored webhook says about `payment` (the inquiry decides what is applied).
    pub fn notice_report(&self, stored: &str, payment: &PaymentRef) -> Result<Report, String> {
        let body = percent_decoded(stored);
        let t: Transaction = serde_json::from_slice(&body)
            .map_err(|e| format!("atoneの取引として読めない通知です: {e}"))?;
        if !t.shop_transaction_no.is_empty()
            && !t.shop_transaction_no.starts_with(&payment.trading_id)
        {
            return Err("加盟店取引番号がこの決済のものではありません。".to_owned());
        }
        if let Some(id) = payment
            .provider_payment_id
            .as_deref()
            .filter(|id| *id != t.id)
        {
            return Err(format!(
                "取引ID({})がこの決済の取引ID({id})と一致しません(取引修正前の取引か、偽の通知です)。",
                t.id
            ));
        }
        Ok(status_of(&t).report(&t.id, t.amount))
    }
}

/// The inbox keeps bytes outside printable ASCII percent-escaped; JSON needs them back.
fn percent_decoded(stored: &str) -> Vec<u8> {
    let bytes = stored.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&stored[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_is_a_hint_to_ask_about_and_names_its_checkout() {
        let c = super::super::config(&[]);
        let body = br#"{"id":"tr_abc","shop_transaction_no":"KEY1","amount":1080,"authorization_result":1}"#;
        let head = c.read_notice(body);
        assert_eq!(head.about, MatchKey::TradingId("KEY1".to_owned()));
        assert!(matches!(head.verdict, Verdict::Inquire(_)));
        assert!(matches!(
            c.read_notice(b"not json").verdict,
            Verdict::Rejected(_)
        ));
    }

    #[test]
    fn escaped_bytes_of_a_stored_webhook_read_back() {
        assert_eq!(
            percent_decoded("{\"a\":\"%E3%81%82\"}"),
            "{\"a\":\"あ\"}".as_bytes()
        );
    }
}
