//! Members (会員): buyers with an account. Stored cards are kept at the provider; the shop
//! keeps only references (`stored_cards`).

use chrono::{DateTime, Utc};

use super::audit::{insert_audit, AuditNote};
use super::{on_pool, Store, StoreError};
use crate::domain::buyer::Buyer;

/// A new member (input already validated, password already hashed).
#[derive(Clone, Debug)]
pub struct NewMember {
    pub buyer: Buyer,
    pub password_hash: String,
}

/// A stored member.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct Member {
    pub id: i64,
    #[serde(skip)]
    pub password_hash: String,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub buyer: Buyer,
    pub created_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// The members a keyword selects (binds: keyword, LIKE pattern, 会員No or `NULL`).
const MATCHING: &str = "FROM members WHERE $1 = '' OR id = $3 OR LOWER(email) LIKE LOWER($2) ESCAPE '\\'
    OR (family_name || given_name) LIKE $2 ESCAPE '\\' OR (family_kana || given_kana) LIKE $2 ESCAPE '\\'";

/// The keyword as a 会員No, if it is one.
fn member_no(keyword: &str) -> Option<i64> {
    keyword.trim().parse().ok()
}

const COLUMNS: &str =
    "id, email, password_hash, family_name, given_name, family_kana, given_kana, postal_code,
    prefecture, address1, address2, phone, created_at, withdrawn_at";

impl Store {
    /// Registers a member; `None` when the e-mail address is already registered.
    pub async fn create_member(
        &self,
        m: &NewMember,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let sql = "INSERT INTO members (email, password_hash, family_name, given_name, family_kana, given_kana,
                   postal_code, prefecture, address1, address2, phone, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                   ON CONFLICT (email) DO NOTHING RETURNING id";
        Ok(on_pool!(self, p => sqlx::query_scalar(sql)
            .bind(&m.buyer.email).bind(&m.password_hash).bind(&m.buyer.family_name).bind(&m.buyer.given_name).bind(&m.buyer.family_kana)
            .bind(&m.buyer.given_kana).bind(&m.buyer.postal_code).bind(&m.buyer.prefecture).bind(&m.buyer.address1).bind(&m.buyer.address2)
            .bind(&m.buyer.phone).bind(now)
            .fetch_optional(p).await?))
    }

    /// A page of the members whose 会員No, name (漢字 or フリガナ, spaces ignored) or e-mail
    /// address matches `keyword` (all with an empty one), newest first.
    pub async fn members(
        &self,
        keyword: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Member>, StoreError> {
        let sql = format!("SELECT {COLUMNS} {MATCHING} ORDER BY id DESC LIMIT $4 OFFSET $5");
        Ok(
            on_pool!(self, p => sqlx::query_as(&sql).bind(keyword.trim()).bind(super::like_pattern(keyword))
            .bind(member_no(keyword)).bind(limit).bind(offset).fetch_all(p).await?),
        )
    }

    /// How many members match `keyword` as [`Store::members`] reads it.
    pub async fn member_count(&self, keyword: &str) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(*) {MATCHING}");
        Ok(
            on_pool!(self, p => sqlx::query_scalar(&sql).bind(keyword.trim()).bind(super::like_pattern(keyword))
            .bind(member_no(keyword)).fetch_one(p).await?),
        )
    }

    /// Saves an operator's edit of a member's details (input already validated) with its
    /// audit entry; `None` when another member already has the e-mail address (nothing is
    /// written then).
    pub async fn update_member(
        &self,
        id: i64,
        m: &Buyer,
        audit: &AuditNote<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<()>, StoreError> {
        let sql = "UPDATE members SET email = $2, family_name = $3, given_name = $4, family_kana = $5, given_kana = $6,
                   postal_code = $7, prefecture = $8, address1 = $9, address2 = $10, phone = $11 WHERE id = $1";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let updated = sqlx::query(sql)
                .bind(id).bind(&m.email).bind(&m.family_name).bind(&m.given_name).bind(&m.family_kana)
                .bind(&m.given_kana).bind(&m.postal_code).bind(&m.prefecture).bind(&m.address1).bind(&m.address2)
                .bind(&m.phone)
                .execute(&mut *tx).await;
            match updated {
                Ok(r) if r.rows_affected() == 1 => {}
                Ok(_) => return Err(StoreError::NotFound("member")),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(None),
                Err(e) => return Err(e.into()),
            }
            insert_audit!(tx, audit, now);
            tx.commit().await?;
            Ok(Some(()))
        })
    }

    /// One member.
    pub async fn member(&self, id: i64) -> Result<Option<Member>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM members WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// The member with that e-mail address.
    pub async fn member_by_email(&self, email: &str) -> Result<Option<Member>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM members WHERE email = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(email).fetch_optional(p).await?))
    }

    /// 会員情報編集 by the member: replaces their details (`password_hash` included: pass the
    /// current one to keep it); `false` when the new e-mail address belongs to another member.
    pub async fn update_own_profile(&self, id: i64, m: &NewMember) -> Result<bool, StoreError> {
        let sql = "UPDATE members SET email = $2, password_hash = $3, family_name = $4, given_name = $5,
                   family_kana = $6, given_kana = $7, postal_code = $8, prefecture = $9, address1 = $10,
                   address2 = $11, phone = $12 WHERE id = $1 AND withdrawn_at IS NULL";
        let updated = on_pool!(self, p => sqlx::query(sql)
            .bind(id).bind(&m.buyer.email).bind(&m.password_hash).bind(&m.buyer.family_name).bind(&m.buyer.given_name)
            .bind(&m.buyer.family_kana).bind(&m.buyer.given_kana).bind(&m.buyer.postal_code).bind(&m.buyer.prefecture)
            .bind(&m.buyer.address1).bind(&m.buyer.address2).bind(&m.buyer.phone)
            .execute(p).await.map(|r| r.rows_affected()));
        match updated {
            Ok(1) => Ok(true),
            Ok(_) => Err(StoreError::NotFound("active member")),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Marks a member withdrawn (退会) and ends their shop sessions, in one transaction; their
    /// orders stay.
    pub async fn withdraw_member(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        let sql = "UPDATE members SET withdrawn_at = $2 WHERE id = $1 AND withdrawn_at IS NULL";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(sql).bind(id).bind(now).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound("active member"));
            }
            sqlx::query("DELETE FROM shop_sessions WHERE member_id = $1").bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}
