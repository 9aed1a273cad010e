//! Cards kept at Paygent (カード情報お預り, spec §6.5): the member page's form (the
//! checkout's token script), 025 to keep a card given as a token, 026 to delete one. A member
//! is Paygent customer `kessai<member id>`; kessai keeps only Paygent's card id, the last
//! four digits and the expiry.

use super::client::PaygentError;
use super::handoff::{token_receipt, CARD_UNREADABLE};
use super::{CardType, Config};
use crate::providers::interface::{
    CardPage, CardRef, Fields, FormError, NewCard, Page, ProviderError,
};

/// A card to keep: a token of it, already checked to be Paygent's.
#[derive(Clone, Debug)]
pub struct CardSubmission {
    pub token: String,
}

/// The Paygent customer id of a member.
pub fn customer_id(member_id: i64) -> String {
    format!("kessai{member_id}")
}

impl Config {
    /// Whether members may keep a card: カード情報お預りモード with the card form in the shop
    /// (module type), which is also where 025 and 026 can be sent.
    pub fn keeps_cards(&self) -> bool {
        self.stored_cards && self.card == CardType::Module && self.module_contract()
    }

    /// クレジットカード登録 (変更 when a card is kept): the checkout's card script.
    pub fn card_page(&self, view: &CardPage) -> Page {
        let (months, years) = super::handoff::expiry_choices(view.year);
        Page::Template {
            template: "paygent/member_card.html",
            title: if view.cards.is_empty() {
                "クレジットカード登録".to_owned()
            } else {
                "クレジットカード変更".to_owned()
            },
            context: serde_json::json!({
                "action": view.action,
                "cards": view.cards,
                "merchant_id": self.merchant_id,
                "token_key": self.token_key,
                "token_script": format!("{}/js/PaygentToken.js", self.token_url),
                "security_code": self.security_code,
                "months": months,
                "years": years,
                "error": view.error,
            }),
        }
    }

    /// Reads the card page's token receipt and checks it is the one Paygent issued.
    pub fn card_submission(&self, fields: &Fields) -> Result<CardSubmission, FormError> {
        match token_receipt(fields, "card_json")? {
            Some(r) if self.token_is_genuine(&r) => Ok(CardSubmission { token: r.token }),
            _ => Err(FormError::Invalid(CARD_UNREADABLE.to_owned())),
        }
    }

    /// 025: keeps the member's card at Paygent.
    pub async fn register_card(
        &self,
        member_id: i64,
        card: &CardSubmission,
    ) -> Result<NewCard, ProviderError> {
        let customer_id = customer_id(member_id);
        let kept = self.client()?.store_card(&customer_id, &card.token).await?;
        let masked = kept.masked_card_number;
        Ok(NewCard {
            customer_id,
            card_ref: kept.customer_card_id,
            last4: masked
                .get(masked.len().saturating_sub(4)..)
                .unwrap_or("")
                .to_owned(),
            expiry: kept.card_valid_term,
            brand: kept.card_brand,
        })
    }

    /// 026: deletes a kept card. A card Paygent no longer has (P022, P025, P026) counts as
    /// deleted.
    pub async fn delete_card(&self, card: &CardRef) -> Result<(), ProviderError> {
        match self
            .client()?
            .delete_card(&card.customer_id, &card.card_ref)
            .await
        {
            Ok(()) => Ok(()),
            Err(PaygentError::Rejected { code, .. })
                if matches!(code.as_str(), "P022" | "P025" | "P026") =>
            {
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }
}
