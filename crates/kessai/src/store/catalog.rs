//! The shop's catalog-level records: products, delivery methods (配送方法) and payment
//! methods (支払方法) with their display order and 使用/停止 state.

use chrono::{DateTime, NaiveDate, Utc};

use super::{on_pool, Store, StoreError};

/// A product for sale.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct Product {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub active: bool,
}

/// A delivery method (配送方法), its carrier, and what the buyer may choose with it.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct DeliveryMethod {
    pub id: i64,
    pub name: String,
    pub carrier: String,
    pub sort_order: i64,
    /// 配達希望日: the first date offered is this many days after the order date.
    pub date_earliest_days: i64,
    /// 配達希望日: how many dates are offered (0: the buyer cannot choose a date).
    pub date_range_days: i64,
    /// 配達時間帯: one slot per line (empty: the buyer cannot choose a time).
    pub time_slots: String,
}

/// The editable fields of a delivery method (already validated).
#[derive(Clone, Debug, Default)]
pub struct NewDeliveryMethod {
    pub name: String,
    pub carrier: String,
    pub date_earliest_days: i64,
    pub date_range_days: i64,
    /// One slot per line.
    pub time_slots: String,
}

impl DeliveryMethod {
    /// The 配達希望日 a buyer ordering on `order_date` (Japan time) may choose, earliest first.
    pub fn date_choices(&self, order_date: NaiveDate) -> Vec<NaiveDate> {
        let first = order_date + chrono::Days::new(self.date_earliest_days.max(0) as u64);
        (0..self.date_range_days.max(0) as u64)
            .map(|n| first + chrono::Days::new(n))
            .collect()
    }

    /// The 配達時間帯 a buyer may choose.
    pub fn time_slot_list(&self) -> Vec<&str> {
        self.time_slots
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// A payment method (支払方法) as the storefront offers it.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct PaymentMethod {
    pub id: i64,
    pub name: String,
    pub description_html: String,
    pub settlement_kind: String,
    pub active: bool,
    pub sort_order: i64,
}

/// The editable fields of a payment method (already validated and sanitized).
#[derive(Clone, Debug)]
pub struct NewPaymentMethod {
    pub name: String,
    pub description_html: String,
    pub settlement_kind: String,
    pub active: bool,
}

const DELIVERY_COLUMNS: &str =
    "id, name, carrier, sort_order, date_earliest_days, date_range_days, time_slots";

impl Store {
    /// Creates a product unless one with that code exists.
    pub async fn upsert_product(
        &self,
        code: &str,
        name: &str,
        description: &str,
        price: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO products (code, name, description, price, active, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                   ON CONFLICT (code) DO NOTHING";
        on_pool!(self, p => sqlx::query(sql).bind(code).bind(name).bind(description).bind(price).bind(true).bind(now).execute(p).await?.rows_affected());
        Ok(())
    }

    /// One product by its code (active or not).
    pub async fn product(&self, code: &str) -> Result<Option<Product>, StoreError> {
        let sql = "SELECT id, code, name, description, price, active FROM products WHERE code = $1";
        Ok(on_pool!(self, p => sqlx::query_as(sql).bind(code).fetch_optional(p).await?))
    }

    /// Products in code order.
    pub async fn products(&self) -> Result<Vec<Product>, StoreError> {
        let sql = "SELECT id, code, name, description, price, active FROM products ORDER BY code";
        Ok(on_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// Delivery methods in display order.
    pub async fn delivery_methods(&self) -> Result<Vec<DeliveryMethod>, StoreError> {
        let sql =
            format!("SELECT {DELIVERY_COLUMNS} FROM delivery_methods ORDER BY sort_order, id");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// One delivery method.
    pub async fn delivery_method(&self, id: i64) -> Result<Option<DeliveryMethod>, StoreError> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM delivery_methods WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// Adds a delivery method at the end of the list.
    pub async fn create_delivery_method(
        &self,
        d: &NewDeliveryMethod,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO delivery_methods (name, carrier, date_earliest_days, date_range_days, time_slots, sort_order, created_at)
                   VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM delivery_methods), $6) RETURNING id";
        Ok(on_pool!(self, p => sqlx::query_scalar(sql)
            .bind(&d.name).bind(&d.carrier).bind(d.date_earliest_days).bind(d.date_range_days).bind(&d.time_slots).bind(now)
            .fetch_one(p).await?))
    }

    /// Replaces a delivery method's editable fields.
    pub async fn update_delivery_method(
        &self,
        id: i64,
        d: &NewDeliveryMethod,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE delivery_methods SET name = $2, carrier = $3, date_earliest_days = $4, date_range_days = $5,
                   time_slots = $6 WHERE id = $1";
        let n = on_pool!(self, p => sqlx::query(sql)
            .bind(id).bind(&d.name).bind(&d.carrier).bind(d.date_earliest_days).bind(d.date_range_days).bind(&d.time_slots)
            .execute(p).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound("delivery method"));
        }
        Ok(())
    }

    /// How many orders use a delivery method.
    pub async fn orders_using_delivery_method(&self, id: i64) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM orders WHERE delivery_method_id = $1";
        Ok(on_pool!(self, p => sqlx::query_scalar(sql).bind(id).fetch_one(p).await?))
    }

    /// Deletes a delivery method no order uses.
    pub async fn delete_delivery_method(&self, id: i64) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("DELETE FROM delivery_methods WHERE id = $1").bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Payment methods in display order.
    pub async fn payment_methods(&self) -> Result<Vec<PaymentMethod>, StoreError> {
        let sql = "SELECT id, name, description_html, settlement_kind, active, sort_order FROM payment_methods ORDER BY sort_order, id";
        Ok(on_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// One payment method.
    pub async fn payment_method(&self, id: i64) -> Result<Option<PaymentMethod>, StoreError> {
        let sql = "SELECT id, name, description_html, settlement_kind, active, sort_order FROM payment_methods WHERE id = $1";
        Ok(on_pool!(self, p => sqlx::query_as(sql).bind(id).fetch_optional(p).await?))
    }

    /// Adds a payment method at the end of the list.
    pub async fn create_payment_method(
        &self,
        m: &NewPaymentMethod,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO payment_methods (name, description_html, settlement_kind, active, sort_order, created_at, updated_at)
                   VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM payment_methods), $5, $5) RETURNING id";
        Ok(on_pool!(self, p => sqlx::query_scalar(sql)
            .bind(&m.name).bind(&m.description_html).bind(&m.settlement_kind).bind(m.active).bind(now)
            .fetch_one(p).await?))
    }

    /// Replaces a payment method's editable fields.
    pub async fn update_payment_method(
        &self,
        id: i64,
        m: &NewPaymentMethod,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE payment_methods SET name = $2, description_html = $3, settlement_kind = $4, active = $5, updated_at = $6
                   WHERE id = $1";
        let n = on_pool!(self, p => sqlx::query(sql)
            .bind(id).bind(&m.name).bind(&m.description_html).bind(&m.settlement_kind).bind(m.active).bind(now)
            .execute(p).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound("payment method"));
        }
        Ok(())
    }

    /// How many orders reference a payment method.
    pub async fn orders_using_payment_method(&self, id: i64) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM orders WHERE payment_method_id = $1";
        Ok(on_pool!(self, p => sqlx::query_scalar(sql).bind(id).fetch_one(p).await?))
    }

    /// Deletes a payment method no order references (the caller checks first; the foreign
    /// key refuses it anyway).
    pub async fn delete_payment_method(&self, id: i64) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("DELETE FROM payment_methods WHERE id = $1").bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Sets the display order: `ids` in their new order (ids not listed keep their place after them).
    pub async fn reorder_payment_methods(
        &self,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE payment_methods SET sort_order = $2, updated_at = $3 WHERE id = $1";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for (position, id) in ids.iter().enumerate() {
                sqlx::query(sql).bind(id).bind(position as i64 + 1).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Sets 停止 on every active payment method of the given settlement kinds; returns the
    /// methods that were stopped.
    pub async fn stop_payment_methods(
        &self,
        kinds: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Vec<PaymentMethod>, StoreError> {
        let active: Vec<PaymentMethod> = self
            .payment_methods()
            .await?
            .into_iter()
            .filter(|m| m.active && kinds.contains(&m.settlement_kind.as_str()))
            .collect();
        let sql = "UPDATE payment_methods SET active = $2, updated_at = $3 WHERE id = $1";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for m in &active {
                sqlx::query(sql).bind(m.id).bind(false).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(active)
    }
}
