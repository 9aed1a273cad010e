//! Remise's notifications: the card 結果通知 (REC_TYPE `RET`, spec §2.2) and the
//! 収納情報通知 of a multi payment (spec §3.3), both Shift_JIS forms answered with exactly
//! `<SDBKDATA>STATUS=800</SDBKDATA>` once stored.
//!
//! Nothing in them is signed and Remise has no status inquiry, so they are `Checked`: the
//! core applies one only to a payment still waiting, and only when the merchant code, the
//! trading id and the echoed amount agree. A 結果通知 of a refused card leaves the payment
//! waiting (the buyer may try again on Remise's page) and goes to the payment error log.
//! The 結果通知 of a 拡張セット operation reports a call kessai made and recorded itself.

use super::handoff::{card_status, check_card_result};
use super::map::Status;
use super::wire::{Fields, Kind};
use super::Config;
use crate::providers::interface::{Ack, MatchKey, NoticeHead, PaymentRef, Report, Verdict};

/// The answer Remise expects to both notifications (spec §2.2, §3.3).
pub const ACK: Ack = Ack {
    status: 200,
    content_type: "text/html; charset=Shift_JIS",
    body: "<SDBKDATA>STATUS=800</SDBKDATA>",
};

const UNSIGNED: &str = "ルミーズの通知には署名がないため、加盟店コード・請求番号・金額を確かめて、決済を待っている注文にだけ反映します。";

impl Config {
    /// Reads a notification's raw body.
    pub fn read_notice(&self, body: &[u8]) -> NoticeHead {
        let Some(fields) = Fields::decode(body) else {
            return NoticeHead::malformed(
                super::KEY,
                body,
                MatchKey::Nothing,
                "Shift_JISとして読めない通知です。".to_owned(),
            );
        };
        let kind = fields.kind();
        let (dedup_key, trading_id) = match kind {
            Kind::Receipt => (
                format!(
                    "receipt:{}:{}:{}:{}",
                    fields.get("S_TORIHIKI_NO"),
                    fields.get("JOB_ID"),
                    fields.get("REC_FLG"),
                    fields.get("TOTAL")
                ),
                fields.get("S_TORIHIKI_NO"),
            ),
            Kind::CardResult | Kind::ExtsetResult => (
                format!(
                    "ret:{}:{}:{}:{}:{}",
                    fields.get("X-S_TORIHIKI_NO"),
                    fields.get("X-TRANID"),
                    fields.get("X-R_CODE"),
                    fields.get("X-ERRINFO"),
                    fields.get("X-TOTAL")
                ),
                fields.get("X-S_TORIHIKI_NO"),
            ),
            Kind::MultiReturn | Kind::Unknown => {
                return NoticeHead::malformed(
                    super::KEY,
                    body,
                    MatchKey::Nothing,
                    "ルミーズの結果通知・収納情報通知の項目がありません。".to_owned(),
                )
            }
        };
        let about = match trading_id.trim() {
            "" => MatchKey::Nothing,
            id => MatchKey::TradingId(id.to_owned()),
        };
        let shop_code = fields.get("SHOPCO");
        let verdict = if !shop_code.is_empty() && shop_code != self.shop_code {
            Verdict::Rejected(format!(
                "加盟店コード({shop_code})が設定({})と一致しません。",
                self.shop_code
            ))
        } else if fields.get("OPT") == super::cards::OPT_CARD_UPDATE {
            Verdict::Ignored(
                "ペイクイックのカード更新の結果通知です(会員ページへの戻りで反映します)。"
                    .to_owned(),
            )
        } else if kind == Kind::ExtsetResult {
            Verdict::Ignored("拡張セットの結果通知です(処理結果は操作時に記録済み)。".to_owned())
        } else {
            Verdict::Checked(UNSIGNED.to_owned())
        };
        NoticeHead {
            dedup_key,
            about,
            verdict,
        }
    }

    /// The status a stored notification reports about `payment`, or why it does not fit.
    pub fn notice_report(&self, stored: &str, payment: &PaymentRef) -> Result<Report, String> {
        let fields = Fields::decode(stored.as_bytes())
            .ok_or_else(|| "Shift_JISとして読めない通知です。".to_owned())?;
        match fields.kind() {
            Kind::Receipt => {
                if fields.get("REC_FLG") != "1" {
                    return Err(format!(
                        "収納フラグが入金済み(1)ではありません(REC_FLG={})。",
                        fields.get("REC_FLG")
                    ));
                }
                match fields.yen("TOTAL") {
                    Some(total) if total == payment.amount => {}
                    total => {
                        return Err(format!(
                            "金額が一致しません(通知: {}円、ご注文: {}円)。",
                            total.map_or("?".to_owned(), |t| t.to_string()),
                            payment.amount
                        ))
                    }
                }
                let job_id = match fields.get("JOB_ID") {
                    "" => payment.provider_payment_id.as_deref().unwrap_or(""),
                    id => id,
                };
                let mut report = Status::Received.report(job_id, payment.amount);
                let place = fields.get("REC_CVSNAME").trim();
                if !place.is_empty() {
                    report.label = format!("{}({place})", report.label);
                }
                Ok(report)
            }
            Kind::CardResult => {
                let outcome = fields.outcome();
                if !outcome.succeeded() {
                    return Ok(Report {
                        label: format!("{}: {}", Status::Error.label(), outcome.message()),
                        ..Status::Error.report(fields.get("X-TRANID"), payment.amount)
                    });
                }
                check_card_result(&fields, &payment.trading_id, payment.amount)?;
                Ok(card_status(&fields).report(fields.get("X-TRANID"), payment.amount))
            }
            Kind::ExtsetResult | Kind::MultiReturn | Kind::Unknown => {
                Err("反映する結果のない通知です。".to_owned())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::payment::PaymentState;
    use crate::providers::form::{encode_form, Charset};

    fn body(pairs: &[(&str, &str)]) -> Vec<u8> {
        encode_form(pairs, Charset::Cp932).unwrap()
    }

    fn payment(amount: i64) -> PaymentRef {
        PaymentRef {
            kind: "remise_card".to_owned(),
            trading_id: "1234567890".to_owned(),
            provider_payment_id: None,
            status_code: None,
            state: PaymentState::Pending,
            amount,
            scratch: String::new(),
        }
    }

    fn ret(total: &str, errcode: &str) -> Vec<u8> {
        body(&[
            ("X-TRANID", "2026120300000000000000000001"),
            ("X-S_TORIHIKI_NO", "1234567890"),
            ("X-TOTAL", total),
            ("X-R_CODE", "0:0000"),
            (
                "X-ERRLEVEL",
                if errcode.trim().is_empty() { "0" } else { "1" },
            ),
            ("X-ERRCODE", errcode),
            (
                "X-ERRINFO",
                if errcode.trim().is_empty() {
                    "000000000"
                } else {
                    "100000000"
                },
            ),
            ("X-PARTOFCARD", "1111"),
            ("REC_TYPE", "RET"),
            ("OPT", "kessai-capture"),
        ])
    }

    #[test]
    fn a_result_notification_is_checked_and_reports_the_job_it_answers() {
        let c = super::super::config(&[("shop_code", "RMS00001")]);
        let head = c.read_notice(&ret("1980", "   "));
        assert_eq!(head.about, MatchKey::TradingId("1234567890".to_owned()));
        assert!(matches!(head.verdict, Verdict::Checked(_)));

        let stored = String::from_utf8(ret("1980", "   ")).unwrap();
        let report = c.notice_report(&stored, &payment(1980)).unwrap();
        assert_eq!(report.code, "SALES");
        assert_eq!(report.state, PaymentState::Captured);
        assert_eq!(report.payment_id, "2026120300000000000000000001");
    }

    #[test]
    fn an_amount_that_differs_from_the_order_is_refused() {
        let c = super::super::config(&[]);
        let stored = String::from_utf8(ret("1", "   ")).unwrap();
        let why = c.notice_report(&stored, &payment(1980)).unwrap_err();
        assert!(why.contains("金額が一致しません"), "{why}");
    }

    #[test]
    fn a_refused_card_is_reported_as_an_error_that_leaves_the_payment_waiting() {
        let c = super::super::config(&[]);
        let stored = String::from_utf8(ret("1980", "G12")).unwrap();
        let report = c.notice_report(&stored, &payment(1980)).unwrap();
        assert_eq!(report.state, PaymentState::Failed);
        assert!(report.label.contains("G12"), "{}", report.label);
    }

    #[test]
    fn another_merchants_notification_is_rejected() {
        let c = super::super::config(&[("shop_code", "RMS00001")]);
        let head = c.read_notice(&body(&[
            ("SHOPCO", "RMS99999"),
            ("S_TORIHIKI_NO", "1234567890"),
            ("REC_FLG", "1"),
        ]));
        assert!(matches!(head.verdict, Verdict::Rejected(_)));
    }

    #[test]
    fn a_receipt_names_where_the_buyer_paid() {
        let c = super::super::config(&[("shop_code", "RMS00001")]);
        let raw = body(&[
            ("SHOPCO", "RMS00001"),
            ("S_TORIHIKI_NO", "1234567890"),
            ("JOB_ID", "J1"),
            ("TOTAL", "1980"),
            ("REC_FLG", "1"),
            ("REC_CVSNAME", "ローソン"),
        ]);
        let head = c.read_notice(&raw);
        assert_eq!(head.dedup_key, "receipt:1234567890:J1:1:1980");
        let report = c
            .notice_report(&String::from_utf8(raw).unwrap(), &payment(1980))
            .unwrap();
        assert_eq!(report.code, "RECEIVED");
        assert_eq!(report.label, "入金済み(ローソン)");
    }
}
