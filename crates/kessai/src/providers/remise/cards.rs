//! PayQuick (ペイクイック): Remise keeps a member's card and kessai keeps only its id, last 4
//! digits and expiry (spec §4). A card is kept with a purchase (`PAYQUICK=1` on the card
//! page, see [`super::handoff`]) or renewed from the member's page: クレジットカード更新 posts
//! a 0-yen validity check (`JOB=CHECK`, `ITEM=0000990`) with the current `PAYQUICKID` to
//! Remise's card page, and Remise's return names the card it now keeps. Remise offers no
//! deletion: ペイクイックを解除する forgets the card here.

use super::handoff::payquick_card;
use super::wire::{self, Fields};
use super::Config;
use crate::providers::form::Charset;
use crate::providers::interface::{CardPage, FormError, NewCard, Page};

/// `OPT` of a card update, echoed in the return.
pub const OPT_CARD_UPDATE: &str = "kessai-card-update";

/// The page template of クレジットカード更新.
pub const TEMPLATES: &[(&str, &str)] = &[(
    "remise/member_card.html",
    include_str!("templates/member_card.html"),
)];

impl Config {
    /// Whether members keep a card at Remise (ペイクイック機能 with the card service on).
    pub fn keeps_cards(&self) -> bool {
        self.card && self.payquick
    }

    /// クレジットカード更新: the kept card and the button to Remise's card page.
    pub fn card_page(&self, view: &CardPage) -> Page {
        let mut fields = vec![
            ("SHOPCO", self.shop_code.clone()),
            ("HOSTID", self.host_id.clone()),
            // Welcart's card update: the member id behind seven zeros.
            ("S_TORIHIKI_NO", format!("0000000{}", view.member_id)),
            ("JOB", "CHECK".to_owned()),
            ("ITEM", wire::ITEM_OTHER.to_owned()),
            ("MAIL", view.email.clone()),
            ("PAYQUICK", "1".to_owned()),
            ("RETURL", view.return_url.clone()),
            ("NG_RETURL", view.return_url.clone()),
            ("EXITURL", view.back_url.clone()),
            ("OPT", OPT_CARD_UPDATE.to_owned()),
        ];
        if let Some(card) = view.cards.first() {
            fields.push(("PAYQUICKID", card.card_ref.clone()));
        }
        let fields: Vec<(String, String)> = fields
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        Page::Template {
            template: "remise/member_card.html",
            title: "クレジットカード更新".to_owned(),
            context: serde_json::json!({
                "card": view.cards.first(),
                "action": self.card_url,
                "fields": fields,
                "charset": Charset::Cp932.html_name(),
                "back_url": view.back_url,
                "error": view.error,
            }),
        }
    }

    /// Reads Remise's return from the card update: the card it keeps now.
    pub fn card_submission(
        &self,
        fields: &std::collections::BTreeMap<String, String>,
    ) -> Result<NewCard, FormError> {
        let fields = Fields(fields.clone());
        let outcome = fields.outcome();
        if !outcome.succeeded() {
            return Err(FormError::Invalid(format!(
                "カード情報を更新できませんでした。{}",
                outcome.message()
            )));
        }
        payquick_card(&fields).ok_or_else(|| {
            FormError::Invalid(
                "ルミーズからペイクイックのIDが返されませんでした。もう一度お試しください。"
                    .to_owned(),
            )
        })
    }
}
