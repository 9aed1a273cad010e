//! The operator's Web Collect operations (the manual's 決済情報 dialog): 売上確定 (E01, the
//! shipment registration: the order's 送り状番号 with a クロネコヤマト配送, else delivery code
//! `99`), 取消 (A06, after E02 where the shipment is registered), 利用額変更 (A07, the new
//! total) and 状態更新 (E04), with the capability table of each 取引状況. A call's history
//! row is named after Web Collect's function (出荷情報登録); the status it leads to follows
//! in the manual's word (売上確定).

use super::map::Status;
use super::wire::{check_slip, SlipError};
use super::Config;
use crate::domain::order::Carrier;
use crate::domain::payment::Operation;
use crate::providers::interface::{
    Ack, Capabilities, Done, PaymentRef, ProviderError, Report, Shipment,
};

/// Web Collect's card payments send no notification (spec §10 is for other methods):
/// anything posted to its address is kept and refused.
pub const ACK: Ack = Ack {
    status: 200,
    content_type: "text/plain; charset=utf-8",
    body: "OK",
};

/// 与信: 売上確定, 利用額変更, 取消.
const AUTHORIZED: &[Operation] = &[
    Operation::Capture,
    Operation::ChangeAmount,
    Operation::Cancel,
    Operation::Refresh,
];
/// 売上確定 before Yamato's settlement: 利用額変更 and 取消 still (spec §9).
const SHIPPED: &[Operation] = &[
    Operation::ChangeAmount,
    Operation::Cancel,
    Operation::Refresh,
];
const INQUIRY: &[Operation] = &[Operation::Refresh];

/// The 決済情報 dialog's button for an operation.
pub fn operation_label(operation: Operation) -> &'static str {
    match operation {
        Operation::Capture => "売上確定",
        Operation::ChangeAmount => "利用額変更",
        Operation::Cancel => "取消",
        Operation::Refresh => "状態更新",
        Operation::Refund => "返金",
        Operation::Authorize => "与信",
    }
}

/// The slip E01 registers for an order that Yamato does not deliver (delivery code `99`):
/// its 送り状番号 when it fits the spec's characters, else `0` (spec §3.4).
fn other_slip(shipment: Option<&Shipment>) -> String {
    shipment
        .map(|s| s.tracking_number.trim().to_uppercase())
        .filter(|n| check_slip(n, false).is_ok())
        .unwrap_or_else(|| "0".to_owned())
}

impl Config {
    /// The capability table: by 取引状況.
    pub fn capabilities(&self, _kind: &str, code: Option<&str>) -> Capabilities {
        let operations = match code.map(Status::parse) {
            Some(Status::Authorized | Status::Error(17)) => AUTHORIZED,
            Some(Status::ShipmentRegistered) => SHIPPED,
            _ => INQUIRY,
        };
        Capabilities {
            operations,
            partial_refund: false,
        }
    }

    /// Whether a capture can be sent with the order's delivery: an order of a クロネコヤマト
    /// 配送 delivery method needs 配送会社名 クロネコヤマト and a valid 送り状番号, and a Yamato
    /// 送り状番号 entered on any order must be valid.
    pub fn check_capture(&self, shipment: Option<&Shipment>) -> Result<(), String> {
        let yamato_carrier = shipment.is_some_and(|s| s.carrier == Carrier::Yamato.as_str());
        let tracking = shipment.map_or("", |s| s.tracking_number.trim());
        if self.delivered_by_yamato(shipment.and_then(|s| s.delivery_method_id)) {
            if !yamato_carrier || tracking.is_empty() {
                return Err("クロネコヤマト配送の受注は、配送会社名「クロネコヤマト」と送り状番号を登録してから売上確定してください(送り状番号)。".to_owned());
            }
        } else if !yamato_carrier || tracking.is_empty() {
            return Ok(());
        }
        check_slip(tracking, true).map_err(|e: SlipError| e.to_string())
    }

    /// 売上確定: E01 with the order's shipment.
    pub async fn capture(
        &self,
        p: &PaymentRef,
        shipment: Option<&Shipment>,
    ) -> Result<Done, ProviderError> {
        self.check_capture(shipment)
            .map_err(ProviderError::NotConfigured)?;
        let yamato = shipment.is_some_and(|s| {
            s.carrier == Carrier::Yamato.as_str() && !s.tracking_number.trim().is_empty()
        });
        let slip = if yamato {
            shipment.map_or(String::new(), |s| s.tracking_number.trim().to_owned())
        } else {
            other_slip(shipment)
        };
        match self.client().ship(&p.trading_id, &slip, yamato).await {
            Ok(()) => Ok(self.done(p, "出荷情報登録", "30", None)),
            // Registered already (an earlier call whose answer was lost): as it stands.
            Err(ProviderError::Refused { code, .. }) if code.starts_with("E013") => {
                let status = self.inquire(&p.trading_id).await?;
                Ok(Done {
                    label: "出荷情報登録",
                    payment_id: p.trading_id.clone(),
                    status,
                    replaced: None,
                    note: None,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// 利用額変更: A07 with the new total.
    pub async fn change_amount(&self, p: &PaymentRef, amount: i64) -> Result<Done, ProviderError> {
        self.client().change_price(&p.trading_id, amount).await?;
        let status = match p.status_code.as_deref().map(Status::parse) {
            Some(Status::ShipmentRegistered) => "30",
            _ => "4",
        };
        Ok(self.done(p, "クレジット金額変更", status, Some(amount)))
    }

    /// 取消: A06, after E02 (出荷情報取消) when the shipment is registered.
    pub async fn cancel(&self, p: &PaymentRef) -> Result<Done, ProviderError> {
        let trade = self.client().trade_info(&p.trading_id).await?;
        let status = Status::parse(trade.get("statusInfo").map_or("", String::as_str));
        if status == Status::ShipmentRegistered {
            let slip = trade.get("slipNo").map_or("", String::as_str);
            self.client().cancel_shipment(&p.trading_id, slip).await?;
        }
        match self.client().cancel(&p.trading_id).await {
            Ok(()) => Ok(self.done(p, "クレジット決済取消", "40", None)),
            // Cancelled already (an earlier call whose answer was lost).
            Err(ProviderError::Refused { code, .. }) if code == "A062000003" => {
                Ok(self.done(p, "クレジット決済取消", "40", None))
            }
            Err(e) => Err(e),
        }
    }

    /// Web Collect has no refund of its own: 利用額変更 lowers the amount, 取消 ends it.
    pub async fn refund(&self, _p: &PaymentRef, _amount: i64) -> Result<Done, ProviderError> {
        Err(ProviderError::NotConfigured(
            "クロネコwebコレクトの返金は「利用額変更」または「取消」で行ってください。".to_owned(),
        ))
    }

    /// 状態更新: E04.
    pub async fn refresh(&self, p: &PaymentRef) -> Result<Report, ProviderError> {
        self.inquire(&p.trading_id).await
    }

    /// E04 of `order_no` as a status report; an unknown 受注番号 is no payment.
    pub async fn inquire(&self, order_no: &str) -> Result<Report, ProviderError> {
        let trade = match self.client().trade_info(order_no).await {
            Err(ProviderError::Refused { code, .. }) if code == "E042000001" => {
                return Err(ProviderError::NoSuchPayment)
            }
            other => other?,
        };
        let get = |name: &str| trade.get(name).map_or("", String::as_str);
        let code = get("statusInfo");
        Ok(Status::parse(code)
            .info(code)
            .report(order_no, code, get("settlePrice").parse().ok()))
    }

    /// What an operation achieved: the payment is in 取引状況 `code` now.
    fn done(
        &self,
        p: &PaymentRef,
        label: &'static str,
        code: &'static str,
        amount: Option<i64>,
    ) -> Done {
        let status = Status::parse(code);
        Done {
            label,
            payment_id: p.trading_id.clone(),
            status: status
                .info(code)
                .report(&p.trading_id, code, Some(amount.unwrap_or(p.amount))),
            replaced: None,
            note: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::config;
    use super::*;

    fn shipment(method: i64, carrier: &str, number: &str) -> Shipment {
        Shipment {
            delivery_method_id: Some(method),
            carrier: carrier.to_owned(),
            tracking_number: number.to_owned(),
        }
    }

    #[test]
    fn a_yamato_delivered_order_needs_a_valid_yamato_slip() {
        let c = config(&[("yamato_delivery", "1")]);
        assert!(c.check_capture(Some(&shipment(1, "yamato", ""))).is_err());
        assert!(c
            .check_capture(Some(&shipment(1, "sagawa", "123456789013")))
            .is_err());
        let bad = c.check_capture(Some(&shipment(1, "yamato", "123456789012")));
        assert!(bad.unwrap_err().contains("送り状番号"));
        assert!(c
            .check_capture(Some(&shipment(1, "yamato", "123456789013")))
            .is_ok());
        // Another delivery method captures with or without a slip.
        assert!(c.check_capture(Some(&shipment(2, "sagawa", ""))).is_ok());
        assert!(c.check_capture(None).is_ok());
        assert!(c.check_capture(Some(&shipment(2, "yamato", "12"))).is_err());
    }

    #[test]
    fn other_carriers_slips_are_sent_when_they_fit_else_zero() {
        assert_eq!(
            other_slip(Some(&shipment(2, "sagawa", "abc-123"))),
            "ABC-123"
        );
        assert_eq!(other_slip(Some(&shipment(2, "sagawa", "あ"))), "0");
        assert_eq!(other_slip(None), "0");
    }

    #[test]
    fn the_dialog_offers_what_each_status_allows() {
        let c = config(&[]);
        assert!(c
            .capabilities("yamato_card", Some("4"))
            .allows(Operation::Capture));
        let shipped = c.capabilities("yamato_card", Some("30"));
        assert!(!shipped.allows(Operation::Capture) && shipped.allows(Operation::Cancel));
        assert_eq!(
            c.capabilities("yamato_card", Some("31")).operations,
            INQUIRY
        );
        assert_eq!(c.capabilities("yamato_card", None).operations, INQUIRY);
    }
}
