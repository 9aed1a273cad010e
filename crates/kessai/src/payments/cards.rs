//! Members' cards kept at a provider (カード情報お預かり): kept through the provider's
//! connector, recorded here with the environment they were kept in, and never offered in
//! another environment (a card kept in the test environment does not exist in production).

use super::{Payments, PaymentsError};
use crate::providers::{self, CardRef, CardSubmission, Connector, ProviderError};
use crate::store::{NewStoredCard, StoreError, StoredCard};

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
