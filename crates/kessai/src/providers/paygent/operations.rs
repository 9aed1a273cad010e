//! The operator's operations on a Paygent payment (spec §6.2, §6.3, §6.10, §6.11), the
//! capability table that decides which of them a payment offers, and charges on a kept card
//! that kessai starts itself.

use super::client::PaygentError;
use super::map::{self, report, Service};
use super::{split_payment_choice, wire, Config};
use crate::domain::payment::PaymentState;
use crate::providers::interface::{
    Capabilities, Charge, Done, PaymentRef, ProviderError, Report, Shipment,
};

impl Config {
    /// Which operations a payment of `kind` in status `code` offers. Every operation is a
    /// module telegram, so a link-type-only contract offers none (the manual: the admin's
    /// operations need the module contract), not even 状態更新.
    pub fn capabilities(&self, kind: &str, code: Option<&str>) -> Capabilities {
        if !self.module_contract() {
            return Capabilities::NONE;
        }
        let service = map::service_of(kind);
        match code {
            Some(code) => map::Status::parse(code).allowed(service),
            None => Capabilities {
                operations: &[crate::domain::payment::Operation::Refresh],
                partial_refund: false,
            },
        }
    }

    /// 022 売上 (card), 341 Paidy売上. Paygent captures carry no shipment.
    pub async fn capture(
        &self,
        p: &PaymentRef,
        _shipment: Option<&Shipment>,
    ) -> Result<Done, ProviderError> {
        let id = payment_id_of(p)?;
        let client = self.client()?;
        let telegram = match map::service_of(&p.kind) {
            Service::Card => client.capture(id).await.map(|()| "022")?,
            Service::Paidy => client.paidy_capture(id).await.map(|()| "341")?,
            other => return Err(not_offered(other, "売上処理")),
        };
        Ok(map::done(telegram, id, &p.kind, "40", Some(p.amount)))
    }

    /// Card: 021 オーソリキャンセル before capture, 023 売上キャンセル after. Paidy: 340
    /// オーソリキャンセル (a captured Paidy payment is refunded instead).
    pub async fn cancel(&self, p: &PaymentRef) -> Result<Done, ProviderError> {
        let id = payment_id_of(p)?;
        let client = self.client()?;
        let (telegram, code) = match (map::service_of(&p.kind), captured(p)) {
            (Service::Card, true) => client.cancel_sale(id).await.map(|()| ("023", "60"))?,
            (Service::Card, false) => client
                .cancel_authorization(id)
                .await
                .map(|()| ("021", "32"))?,
            (Service::Paidy, false) => client.paidy_cancel(id).await.map(|()| ("340", "32"))?,
            (other, _) => return Err(not_offered(other, "キャンセル処理")),
        };
        Ok(map::done(telegram, id, &p.kind, code, Some(p.amount)))
    }

    /// 028 補正オーソリ before capture, 029 補正売上 after: Paygent replaces the payment by
    /// a new one for `amount`; the old one ends as オーソリ取消済 or 売上取消済. Cards only.
    pub async fn change_amount(&self, p: &PaymentRef, amount: i64) -> Result<Done, ProviderError> {
        let id = payment_id_of(p)?;
        let service = map::service_of(&p.kind);
        if service != Service::Card {
            return Err(not_offered(service, "金額変更"));
        }
        let captured = captured(p);
        let new_id = self.client()?.change_amount(id, captured, amount).await?;
        let (telegram, old_code, new_code) = if captured {
            ("029", "60", "40")
        } else {
            ("028", "32", "20")
        };
        Ok(Done {
            replaced: Some(report(id, &p.kind, old_code, Some(p.amount))),
            note: None,
            ..map::done(telegram, &new_id, &p.kind, new_code, Some(amount))
        })
    }

    /// Refunds `amount`. A card is refunded by cancelling the sale (whole) or by an amount
    /// change (part). Paidy: 342 返金 — the whole payment ends 売上取消済; a part leaves the
    /// rest under a new payment id (消込済) and the old id 売上取消済 (spec §6.11).
    pub async fn refund(&self, p: &PaymentRef, amount: i64) -> Result<Done, ProviderError> {
        match map::service_of(&p.kind) {
            Service::Card if amount >= p.amount => self.cancel(p).await,
            Service::Card => self.change_amount(p, p.amount - amount).await,
            Service::Paidy => {
                let id = payment_id_of(p)?;
                let whole = amount >= p.amount;
                let new_id = self
                    .client()?
                    .paidy_refund(id, (!whole).then_some(amount))
                    .await?;
                if whole {
                    return Ok(map::done("342", id, &p.kind, "60", Some(p.amount)));
                }
                Ok(Done {
                    replaced: Some(report(id, &p.kind, "60", Some(p.amount))),
                    note: None,
                    ..map::done("342", &new_id, &p.kind, "40", Some(p.amount - amount))
                })
            }
            other => Err(not_offered(other, "返金処理")),
        }
    }

    /// 094 決済情報照会 (by trading id while Paygent has not given a payment id yet). A net
    /// banking application whose buyer has not chosen a bank yet has no payment at Paygent:
    /// it stays 申込中 (the manual's FAQ).
    pub async fn refresh(&self, p: &PaymentRef) -> Result<Report, ProviderError> {
        if !self.module_contract() {
            return Err(ProviderError::NotConfigured(
                "リンクタイプのみの契約では状態更新(決済情報照会)はできません。".to_owned(),
            ));
        }
        let id = p.provider_payment_id.as_deref().unwrap_or("");
        let service = map::service_of(&p.kind);
        let inquiry = match self
            .client()?
            .inquiry(id, &p.trading_id, service.payment_type())
            .await
        {
            Err(PaygentError::Rejected { code, .. })
                if id.is_empty() && service == Service::Netbank && map::is_not_found(&code) =>
            {
                return Ok(report("", &p.kind, "", Some(p.amount)));
            }
            other => other?,
        };
        let id = if inquiry.payment_id.is_empty() {
            id
        } else {
            &inquiry.payment_id
        };
        Ok(report(id, &p.kind, &inquiry.status_code, inquiry.amount))
    }

    /// 020 on a kept card without the buyer (a recurring charge): no token, no 3-D Secure,
    /// one-time payment, captured when the settings capture on authorization. The trading id
    /// is the charge's own, so Paygent refuses a second charge under it.
    pub async fn charge(&self, charge: &Charge<'_>) -> Result<Done, ProviderError> {
        if map::Service::from_kind(charge.kind) != Some(Service::Card) {
            return Err(not_offered(map::service_of(charge.kind), "継続課金"));
        }
        let (payment_class, split_count) = split_payment_choice("10");
        let authorized = self
            .client()?
            .authorize(&wire::Authorize {
                trading_id: charge.trading_id,
                amount: charge.amount,
                card_token: "",
                payment_class,
                split_count,
                capture: self.capture_on_authorize,
                skip_3ds: true,
                three_ds_auth_id: None,
                security_code_use: false,
                stored_card: Some(wire::StoredCard {
                    customer_id: &charge.card.customer_id,
                    customer_card_id: &charge.card.card_ref,
                }),
            })
            .await?;
        Ok(self.authorized(&authorized.payment_id, charge.kind, charge.amount))
    }

    /// What a successful 020 left: the payment authorized, or captured as well in
    /// 同時売上モード 売上.
    pub(super) fn authorized(&self, payment_id: &str, kind: &str, amount: i64) -> Done {
        let code = if self.capture_on_authorize {
            "40"
        } else {
            "20"
        };
        map::done("020", payment_id, kind, code, Some(amount))
    }
}

/// The provider's payment id, or a refusal when Paygent never gave one.
fn payment_id_of(p: &PaymentRef) -> Result<&str, ProviderError> {
    p.provider_payment_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            ProviderError::NotConfigured(
                "この決済にはペイジェントの決済IDがありません。".to_owned(),
            )
        })
}

/// The refusal of an operation a service does not have (the capability table never offers
/// it, so this only answers a direct call).
fn not_offered(service: Service, operation: &str) -> ProviderError {
    ProviderError::NotConfigured(format!("{}では{operation}はできません。", service.label()))
}

/// Whether the payment has been captured (売上) at Paygent.
fn captured(p: &PaymentRef) -> bool {
    p.state == PaymentState::Captured
}

#[cfg(test)]
mod tests {
    use crate::domain::payment::Operation;

    #[test]
    fn a_link_type_only_contract_offers_no_operation() {
        let link_only = super::super::config(&[("card", "link")]);
        let module = super::super::config(&[("card", "link"), ("connect_id", "c1")]);

        assert!(link_only
            .capabilities("paygent_card", Some("20"))
            .operations
            .is_empty());
        assert!(module
            .capabilities("paygent_card", Some("20"))
            .allows(Operation::Capture));
        assert!(module
            .capabilities("paygent_card", None)
            .allows(Operation::Refresh));
    }

    #[test]
    fn a_cancellation_paygent_has_not_finished_may_be_sent_again() {
        let module = super::super::config(&[("connect_id", "c1")]);
        for code in ["31", "42", "50"] {
            assert!(
                module
                    .capabilities("paygent_card", Some(code))
                    .allows(Operation::Cancel),
                "{code}"
            );
        }
    }
}
