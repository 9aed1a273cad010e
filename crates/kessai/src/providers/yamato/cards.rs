//! Kept cards (カードお預かり, Web Collect's オプションサービス; spec §3.4, §5): a member's
//! cards are kept at Yamato under a `member_id` and an `authentication_key` the shop
//! chooses. kessai derives both from its member id: the id is `kessai-<member>`, the key
//! the first 20 hex digits of SHA-256 of the アクセスキー and that id — stable without being
//! stored, and not guessable from the id without the アクセスキー.
//!
//! Yamato's list (A03) is the truth: the card form shows it, since a kept card is paid with
//! by its `cardKey` and its `lastCreditDate`, which moves with every payment. Only the
//! operator removes a card (会員データ編集 「クイック決済を解除する」: A05).

use super::wire::{member_check_sum, sha256_hex};
use super::Config;
use crate::providers::interface::{CardRef, NewCard, ProviderError};

/// A member as Web Collect knows them: `member_id` and `authentication_key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub key: String,
}

/// A card kept at Yamato, as A03 lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KeptCard {
    pub card_key: String,
    /// `maskingCardNo`'s last four digits.
    pub last4: String,
    /// `MMYY`.
    pub expiry: String,
    pub brand: String,
    /// `lastCreditDate` (`YYYYMMDDHHMMSS`), which the token JS needs with the key.
    pub last_credit_date: String,
}

impl KeptCard {
    /// The card as kessai keeps its reference.
    pub fn new_card(&self, member: &Member) -> NewCard {
        NewCard {
            customer_id: member.id.clone(),
            card_ref: self.card_key.clone(),
            last4: self.last4.clone(),
            expiry: self.expiry.clone(),
            brand: self.brand.clone(),
        }
    }
}

/// The card brand of a `cardCodeApi` (spec §8).
pub fn brand(code: &str) -> &'static str {
    match code {
        "1" => "UC",
        "2" => "Diners",
        "3" => "JCB",
        "4" => "DC",
        "5" => "三井住友",
        "6" => "UFJ",
        "7" => "Saison",
        "8" => "NICOS",
        "9" => "VISA",
        "10" => "Mastercard",
        "11" => "AEON",
        "12" => "American Express",
        "13" => "TOP&card",
        _ => "",
    }
}

impl Config {
    /// The member `member_id` as Web Collect knows them.
    pub fn member(&self, member_id: i64) -> Member {
        let id = format!("kessai-{member_id}");
        let key = self.member_key_of(&id);
        Member { id, key }
    }

    /// Whether members may keep a card (カードお預かり機能).
    pub fn keeps_cards(&self) -> bool {
        self.stored_card
    }

    /// A03: the member's kept cards, newest payment first.
    pub async fn kept_cards(&self, member: &Member) -> Result<Vec<KeptCard>, ProviderError> {
        let sum = member_check_sum(&member.id, &member.key, self.access_key.expose());
        let answer = self
            .client()
            .call(
                super::wire::Function::CardList,
                &[
                    ("member_id", &member.id),
                    ("authentication_key", &member.key),
                    ("check_sum", &sum),
                ],
            )
            .await?;
        let mut cards: Vec<KeptCard> = answer
            .records("cardData")
            .map(|r| {
                let get = |name: &str| r.get(name).cloned().unwrap_or_default();
                let masked = get("maskingCardNo");
                KeptCard {
                    card_key: get("cardKey"),
                    last4: masked
                        .chars()
                        .rev()
                        .take(4)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect(),
                    expiry: get("cardExp"),
                    brand: brand(&get("cardCodeApi")).to_owned(),
                    last_credit_date: get("lastCreditDate"),
                }
            })
            .collect();
        cards.sort_by(|a, b| b.last_credit_date.cmp(&a.last_credit_date));
        Ok(cards)
    }

    /// A05: removes a kept card; a card Yamato no longer has counts as removed.
    pub async fn delete_card(&self, card: &CardRef) -> Result<(), ProviderError> {
        let member = Member {
            id: card.customer_id.clone(),
            key: self.member_key_of(&card.customer_id),
        };
        let kept = self.kept_cards(&member).await?;
        let Some(current) = kept.iter().find(|k| k.card_key == card.card_ref) else {
            return Ok(());
        };
        let sum = member_check_sum(&member.id, &member.key, self.access_key.expose());
        self.client()
            .call(
                super::wire::Function::CardDelete,
                &[
                    ("member_id", &member.id),
                    ("authentication_key", &member.key),
                    ("check_sum", &sum),
                    ("card_key", &current.card_key),
                    ("last_credit_date", &current.last_credit_date),
                ],
            )
            .await
            .map(drop)
    }

    /// The `authentication_key` of a Web Collect `member_id` kessai made.
    fn member_key_of(&self, member_id: &str) -> String {
        sha256_hex(&[self.access_key.expose(), ":", member_id])[..20].to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::super::config;

    #[test]
    fn a_member_has_a_stable_id_and_a_key_of_the_access_key() {
        let a = config(&[("access_key", "1234567")]);
        let b = config(&[("access_key", "7654321")]);
        assert_eq!(a.member(12).id, "kessai-12");
        assert_eq!(a.member(12), a.member(12));
        assert_eq!(a.member(12).key.len(), 20);
        assert_ne!(a.member(12).key, b.member(12).key);
        assert_ne!(a.member(12).key, a.member(13).key);
        assert_eq!(a.member_key_of("kessai-12"), a.member(12).key);
    }
}
