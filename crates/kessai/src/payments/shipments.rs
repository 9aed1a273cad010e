//! Captures on shipment: the order's delivery (配送方法, 配送会社名, 送り状番号) goes with
//! every capture, so a provider that captures by registering the shipment has it, and a
//! provider may refuse a capture before any call when the delivery does not let it (an
//! order its shop delivers with the provider's own carrier needs that carrier's 送り状番号).
//!
//! 発送済み on many orders at once ([`Payments::capture_shipped`]) captures each order's
//! authorization in turn and reports every order: captured, left alone (with why) or
//! refused (with the provider's message). Each capture is persisted before its call like
//! any other, so a crash half-way leaves the remaining orders authorized, each offering
//! its capture on its page.
//!
//! [`b2_import`] does the same from the file of 送り状番号 B2 gives back: each order gets its
//! 送り状番号 and 発送済み, then its capture.

pub mod b2_import;

use super::{OperationRequest, Payments, PaymentsError};
use crate::domain::payment::Operation;
use crate::providers::Shipment;
use crate::store::{Order, Payment, StoreError};

/// An order's delivery as a capture sends it.
fn shipment(order: &Order) -> Shipment {
    Shipment {
        delivery_method_id: order.delivery_method_id,
        carrier: order.carrier.clone(),
        tracking_number: order
            .tracking_number
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// What 発送済み did to one order's payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShippedCapture {
    /// Captured: the provider's status now.
    Captured {
        order_number: String,
        status: String,
    },
    /// Not sent: the order's payment cannot or need not be captured (why).
    Skipped { order_number: String, why: String },
    /// The provider refused, or did not answer (its message).
    Failed {
        order_number: String,
        message: String,
    },
}

impl Payments {
    /// The delivery of `payment`'s order, as a capture sends it.
    pub(super) async fn shipment_of(
        &self,
        payment: &Payment,
    ) -> Result<Option<Shipment>, StoreError> {
        let Some(order_id) = payment.order_id else {
            return Ok(None);
        };
        Ok(self.store.order(order_id).await?.as_ref().map(shipment))
    }

    /// Whether `payment` can be captured with the delivery of its `order` as it is now (the
    /// provider's reason when not). Payments without a connector pass: the capability
    /// table refuses them anyway.
    pub async fn capture_check(
        &self,
        payment: &Payment,
        order: &Order,
    ) -> Result<Result<(), String>, StoreError> {
        let Some(connector) = self.connector_of(&payment.provider).await? else {
            return Ok(Ok(()));
        };
        Ok(connector.check_capture(&payment.settlement_kind, Some(&shipment(order))))
    }

    /// 発送済み on the orders `ids` (already set): captures the authorization of each
    /// whose payment allows it and whose delivery lets it be captured, one after the
    /// other, and says what became of every order.
    pub async fn capture_shipped(
        &self,
        ids: &[i64],
        actor: &str,
    ) -> Result<Vec<ShippedCapture>, StoreError> {
        let mut results = Vec::new();
        for id in ids {
            let (Some(order), Some(payment)) = (
                self.store.order(*id).await?,
                self.store.checkout_payment(*id).await?,
            ) else {
                continue;
            };
            if !self
                .capabilities(&payment)
                .await?
                .allows(Operation::Capture)
            {
                continue;
            }
            let check = self.capture_check(&payment, &order).await?;
            let order_number = order.order_number;
            if let Err(why) = check {
                results.push(ShippedCapture::Skipped { order_number, why });
                continue;
            }
            let request = OperationRequest::new(Operation::Capture, actor);
            results.push(match self.perform(payment.id, &request).await {
                Ok(p) => ShippedCapture::Captured {
                    order_number,
                    status: p.provider_status_label.unwrap_or_default(),
                },
                Err(PaymentsError::Store(e)) => return Err(e),
                Err(e) => ShippedCapture::Failed {
                    order_number,
                    message: e.to_string(),
                },
            });
        }
        Ok(results)
    }
}
