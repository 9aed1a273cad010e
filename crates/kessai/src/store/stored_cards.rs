//! Stored card references (カード情報お預かり): the provider keeps the card; kessai keeps
//! the provider's customer and card ids, the last four digits and the expiry, never more.

use chrono::{DateTime, Utc};

use super::{on_pool, Store, StoreError};

/// A member's card kept at a provider.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct StoredCard {
    pub id: i64,
    pub member_id: i64,
    pub provider: String,
    /// The provider's customer id.
    pub customer_id: String,
    /// The provider's card id.
    pub card_ref: String,
    pub last4: String,
    /// `MMYY`.
    pub expiry: String,
    pub brand: String,
    /// The provider environment the card was kept in (`test`, `production`): a card kept
    /// in one is never offered in the other.
    pub environment: String,
    pub created_at: DateTime<Utc>,
}

/// A card reference about to be kept.
#[derive(Clone, Debug)]
pub struct NewStoredCard<'a> {
    pub member_id: i64,
    pub provider: &'a str,
    pub customer_id: &'a str,
    pub card_ref: &'a str,
    pub last4: &'a str,
    pub expiry: &'a str,
    pub brand: &'a str,
    pub environment: &'a str,
}

const COLUMNS: &str =
    "id, member_id, provider, customer_id, card_ref, last4, expiry, brand, environment, created_at";

impl Store {
    /// Keeps a card reference and returns it. The same provider card twice is kept once,
    /// with the details the provider gave last (a card it renewed under the same reference).
    pub async fn add_stored_card(
        &self,
        c: &NewStoredCard<'_>,
        now: DateTime<Utc>,
    ) -> Result<StoredCard, StoreError> {
        let sql = "INSERT INTO stored_cards (member_id, provider, customer_id, card_ref, last4, expiry, brand, created_at, environment)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (provider, customer_id, card_ref)
                   DO UPDATE SET last4 = excluded.last4, expiry = excluded.expiry, brand = excluded.brand";
        let kept = format!(
            "SELECT {COLUMNS} FROM stored_cards WHERE provider = $1 AND customer_id = $2 AND card_ref = $3"
        );
        on_pool!(self, p => {
            sqlx::query(sql).bind(c.member_id).bind(c.provider).bind(c.customer_id).bind(c.card_ref)
                .bind(c.last4).bind(c.expiry).bind(c.brand).bind(now).bind(c.environment).execute(p).await?;
            Ok(sqlx::query_as(&kept).bind(c.provider).bind(c.customer_id).bind(c.card_ref).fetch_one(p).await?)
        })
    }

    /// A member's cards at a provider in one of its environments, newest first.
    pub async fn stored_cards(
        &self,
        member_id: i64,
        provider: &str,
        environment: &str,
    ) -> Result<Vec<StoredCard>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM stored_cards WHERE member_id = $1 AND provider = $2 AND environment = $3 ORDER BY id DESC"
        );
        Ok(
            on_pool!(self, p => sqlx::query_as(&sql).bind(member_id).bind(provider).bind(environment).fetch_all(p).await?),
        )
    }

    /// Every card a member keeps, at any provider and in any environment, newest first.
    pub async fn member_cards(&self, member_id: i64) -> Result<Vec<StoredCard>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM stored_cards WHERE member_id = $1 ORDER BY id DESC");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(member_id).fetch_all(p).await?))
    }

    /// One card reference.
    pub async fn stored_card(&self, id: i64) -> Result<Option<StoredCard>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM stored_cards WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// Forgets a card reference.
    pub async fn delete_stored_card(&self, id: i64) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("DELETE FROM stored_cards WHERE id = $1").bind(id).execute(p).await?.rows_affected());
        Ok(())
    }
}
