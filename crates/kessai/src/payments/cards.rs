//! Members' cards kept at a provider (カード情報お預かり): kept through the provider's
//! connector, recorded here with the environment they were kept in, and never offered in
//! another environment (a card kept in the test environment does not exist in production).

use super::{Authorizing, Payments, PaymentsError, SYSTEM_ACTOR};
use crate::domain::payment::{OperationOutcome, PaymentOrigin, PaymentState};
use crate::providers::{
    self, Authorized, CardRef, CardSubmission, Charge, Connector, NewCard, ProviderError,
};
use crate::store::{NewPayment, NewStoredCard, Payment, StoreError, StoredCard};

/// A kept card as the provider's connector sees it.
pub fn card_ref(card: &StoredCard) -> CardRef {
    CardRef {
        id: card.id,
        customer_id: card.customer_id.clone(),
        card_ref: card.card_ref.clone(),
        last4: card.last4.clone(),
        expiry: card.expiry.clone(),
        brand: card.brand.clone(),
    }
}

impl Payments {
    /// The provider that keeps members' cards with its current settings, if any does.
    pub async fn card_keeper(&self) -> Result<Option<Connector>, StoreError> {
        for spec in providers::PROVIDERS {
            if let Some(connector) = self.connector_of(spec.key).await? {
                if connector.keeps_cards() {
                    return Ok(Some(connector));
                }
            }
        }
        Ok(None)
    }

    /// A member's cards kept at `connector`'s provider in its current environment.
    pub async fn member_cards(
        &self,
        member_id: i64,
        connector: &Connector,
    ) -> Result<Vec<StoredCard>, StoreError> {
        self.store
            .stored_cards(
                member_id,
                connector.provider(),
                connector.environment().as_str(),
            )
            .await
    }

    /// Keeps a member's card at the provider and its reference here.
    pub async fn keep_card(
        &self,
        member_id: i64,
        connector: &Connector,
        card: &CardSubmission,
    ) -> Result<StoredCard, PaymentsError> {
        let kept = connector.register_card(member_id, card).await?;
        // A card the provider kept already and kessai knows as it is (paid with again).
        let known = self
            .member_cards(member_id, connector)
            .await?
            .into_iter()
            .find(|c| {
                c.customer_id == kept.customer_id
                    && c.card_ref == kept.card_ref
                    && c.last4 == kept.last4
                    && c.expiry == kept.expiry
            });
        if let Some(card) = known {
            return Ok(card);
        }
        Ok(self
            .store
            .add_stored_card(
                &NewStoredCard {
                    member_id,
                    provider: connector.provider(),
                    customer_id: &kept.customer_id,
                    card_ref: &kept.card_ref,
                    last4: &kept.last4,
                    expiry: &kept.expiry,
                    brand: &kept.brand,
                    environment: connector.environment().as_str(),
                },
                self.clock.now(),
            )
            .await?)
    }

    /// Remembers a card the provider kept through its own page with a payment (PayQuick):
    /// it replaces the member's other cards kept at that provider in that environment, as
    /// such a provider keeps one card per member. The same card again changes nothing.
    pub async fn remember_card(
        &self,
        member_id: i64,
        connector: &Connector,
        card: &NewCard,
    ) -> Result<(), StoreError> {
        let kept = self.member_cards(member_id, connector).await?;
        let same = |c: &StoredCard| {
            c.card_ref == card.card_ref && c.last4 == card.last4 && c.expiry == card.expiry
        };
        if kept.iter().any(same) {
            return Ok(());
        }
        let now = self.clock.now();
        let stored = self
            .store
            .add_stored_card(
                &NewStoredCard {
                    member_id,
                    provider: connector.provider(),
                    customer_id: &card.customer_id,
                    card_ref: &card.card_ref,
                    last4: &card.last4,
                    expiry: &card.expiry,
                    brand: &card.brand,
                    environment: connector.environment().as_str(),
                },
                now,
            )
            .await?;
        for old in kept.iter().filter(|c| c.id != stored.id) {
            self.store.delete_stored_card(old.id).await?;
        }
        self.store
            .audit(
                SYSTEM_ACTOR,
                "カード情報を登録",
                &format!("member:{member_id}"),
                &format!("下4桁 {}", card.last4),
                now,
            )
            .await
    }

    /// Removes a member's kept card: at the provider, then the reference here. A card the
    /// provider no longer has, or one kept in the environment the settings no longer point
    /// at (it cannot be reached from here), is only forgotten here.
    pub async fn remove_stored_card(&self, card_id: i64, actor: &str) -> Result<(), PaymentsError> {
        let card = self
            .store
            .stored_card(card_id)
            .await?
            .ok_or(PaymentsError::NotFound)?;
        let connector = self.connector_of(&card.provider).await?.ok_or_else(|| {
            ProviderError::NotConfigured("この決済会社のカード登録は解除できません。".to_owned())
        })?;
        let reachable = connector.environment().as_str() == card.environment;
        if reachable {
            connector.delete_card(&card_ref(&card)).await?;
        }
        self.store.delete_stored_card(card.id).await?;
        let detail = if reachable {
            format!("下4桁 {}", card.last4)
        } else {
            format!(
                "下4桁 {}(別の稼働環境で登録されたカードのため記録のみ削除)",
                card.last4
            )
        };
        self.store
            .audit(
                actor,
                "登録カードを解除",
                &format!("member:{}", card.member_id),
                &detail,
                self.clock.now(),
            )
            .await?;
        Ok(())
    }
}

/// A charge kessai starts itself on a member's kept card (a recurring charge).
#[derive(Clone, Debug)]
pub struct ChargeRequest<'a> {
    /// The order the charge belongs to, if any.
    pub order_id: Option<i64>,
    /// The kept card (its id in kessai).
    pub card_id: i64,
    /// The settlement kind charged (the provider's card kind).
    pub kind: &'a str,
    pub amount: i64,
    /// The charge's own trading id: the same id is the same charge, however often asked.
    pub trading_id: &'a str,
}

impl Payments {
    /// Charges a kept card, exactly once per trading id: the payment (origin `charge`) is
    /// written first, then the provider's call goes through the one "authorize once" step.
    /// Asked again with the same trading id, it answers the charge already made (settling a
    /// call a crash left without an answer by an inquiry first); a charge the provider
    /// refused is tried again.
    pub async fn charge(&self, request: &ChargeRequest<'_>) -> Result<Payment, PaymentsError> {
        let card = self
            .store
            .stored_card(request.card_id)
            .await?
            .ok_or(PaymentsError::NotFound)?;
        let connector = self.connector(&card.provider).await?;
        if connector.environment().as_str() != card.environment {
            return Err(ProviderError::NotConfigured(
                "このカードは別の稼働環境で登録されたため、現在の稼働環境では請求できません。"
                    .to_owned(),
            )
            .into());
        }
        if providers::service(request.kind).is_none_or(|(p, _)| p.key != card.provider) {
            return Err(PaymentsError::Amount(format!(
                "決済種別「{}」はこのカードの決済会社のものではありません。",
                request.kind
            )));
        }
        if request.amount < 1 {
            return Err(PaymentsError::Amount(
                "請求金額は1円以上にしてください。".to_owned(),
            ));
        }
        let now = self.clock.now();
        let created = self
            .store
            .create_payment(
                &NewPayment {
                    order_id: request.order_id,
                    provider: &card.provider,
                    settlement_kind: request.kind,
                    link_key: request.trading_id,
                    state: PaymentState::Pending.as_str(),
                    amount: request.amount,
                    environment: &card.environment,
                    origin: PaymentOrigin::Charge.as_str(),
                },
                now,
            )
            .await;
        let payment_id = match created {
            Ok(id) => id,
            // The same charge was asked for before: carry on with it.
            Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                let existing = self
                    .store
                    .payment_by_link_key(request.trading_id)
                    .await?
                    .ok_or(PaymentsError::NotFound)?;
                if existing.origin != PaymentOrigin::Charge.as_str()
                    || existing.amount != request.amount
                {
                    return Err(PaymentsError::Amount(format!(
                        "取引ID「{}」は別の決済で使われています。",
                        request.trading_id
                    )));
                }
                let pending = self
                    .store
                    .payment_operations(existing.id)
                    .await?
                    .iter()
                    .any(|row| row.outcome == OperationOutcome::Pending.as_str());
                if pending {
                    self.settle_by_inquiry(&existing).await?;
                    return self
                        .store
                        .payment(existing.id)
                        .await?
                        .ok_or(PaymentsError::NotFound);
                }
                existing.id
            }
            Err(e) => return Err(e.into()),
        };
        let payment = self
            .store
            .payment(payment_id)
            .await?
            .ok_or(PaymentsError::NotFound)?;
        let reference = card_ref(&card);
        let call = async {
            let done = connector
                .charge(&Charge {
                    trading_id: request.trading_id,
                    kind: request.kind,
                    amount: request.amount,
                    card: &reference,
                })
                .await?;
            Ok(Authorized::done(done))
        };
        match self.authorize_once(&payment, "継続課金", call).await? {
            Authorizing::Failed(e) => Err(e.into()),
            _ => Ok(self
                .store
                .payment(payment_id)
                .await?
                .ok_or(PaymentsError::NotFound)?),
        }
    }
}
