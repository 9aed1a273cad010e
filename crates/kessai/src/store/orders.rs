//! Orders (受注) with their items: created from a checkout, listed and searched for the
//! 受注リスト, edited by the operator. Their payments are in [`super::payments`].

use chrono::{DateTime, NaiveDate, Utc};

use super::audit::{insert_audit, AuditNote};
use super::{on_pool, Store, StoreError};
use crate::domain::buyer::Buyer;

/// A new order as checkout or recovery creates it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct NewOrder {
    pub order_number: String,
    pub member_id: Option<i64>,
    #[serde(flatten)]
    pub buyer: Buyer,
    pub delivery_method_id: Option<i64>,
    pub delivery_name: String,
    pub carrier: String,
    /// 配達希望日 (none when not chosen).
    #[serde(default)]
    pub delivery_date: Option<NaiveDate>,
    /// 配達時間帯 (empty when not chosen).
    #[serde(default)]
    pub delivery_time: String,
    pub shipping_fee: i64,
    pub fee: i64,
    pub discount: i64,
    pub order_status: String,
    pub receipt_status: String,
    pub payment_method_id: Option<i64>,
    pub payment_method_name: String,
    pub settlement_kind: String,
    pub note: String,
    pub items: Vec<NewOrderItem>,
}

/// An order with its payment's provider status, as the order list (受注リスト) and its
/// CSV exports show it.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct OrderRow {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub order: Order,
    /// 決済ID.
    pub provider_payment_id: Option<String>,
    /// The provider's status beside the 決済ID (`オーソリOK`).
    pub provider_status_label: Option<String>,
    /// What the provider holds; differs from the total when the two drifted apart.
    pub payment_amount: Option<i64>,
}

impl OrderRow {
    /// Whether the order's total and its payment's amount disagree.
    pub fn drift(&self) -> bool {
        self.payment_amount.is_some_and(|a| a != self.order.total)
    }
}

/// The 受注リスト's search and filters; empty fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    /// Part of the 注文番号, the name (漢字 or フリガナ, spaces ignored), the e-mail address,
    /// the 決済ID or the 取引ID (link key).
    pub keyword: String,
    /// Ordered at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Ordered before this instant.
    pub until: Option<DateTime<Utc>>,
    /// 対応状況 (stored form).
    pub order_status: String,
    /// 入金状況 (stored form).
    pub receipt_status: String,
    pub payment_method_id: Option<i64>,
}

/// The orders an [`OrderFilter`] selects (binds `$1`-`$7`), each with the payment of its
/// checkout `p` (one at most: a unique index says so).
const FILTERED_ORDERS: &str = "FROM orders o
    LEFT JOIN payments p ON p.order_id = o.id AND p.origin = 'checkout'
    WHERE ($1 = '' OR o.order_number LIKE $2 ESCAPE '\\' OR (o.family_name || o.given_name) LIKE $2 ESCAPE '\\'
           OR (o.family_kana || o.given_kana) LIKE $2 ESCAPE '\\' OR LOWER(o.email) LIKE LOWER($2) ESCAPE '\\'
           OR p.provider_payment_id LIKE $2 ESCAPE '\\' OR p.link_key LIKE $2 ESCAPE '\\')
      AND ($3 IS NULL OR o.created_at >= $3) AND ($4 IS NULL OR o.created_at < $4)
      AND ($5 = '' OR o.order_status = $5) AND ($6 = '' OR o.receipt_status = $6)
      AND ($7 IS NULL OR o.payment_method_id = $7)";

/// Binds an [`OrderFilter`] as [`FILTERED_ORDERS`] expects it.
macro_rules! bind_filter {
    ($query:expr, $f:expr) => {{
        let f: &OrderFilter = $f;
        $query
            .bind(f.keyword.trim().to_owned())
            .bind(super::like_pattern(&f.keyword))
            .bind(f.from)
            .bind(f.until)
            .bind(f.order_status.clone())
            .bind(f.receipt_status.clone())
            .bind(f.payment_method_id)
    }};
}

/// An operator's edit of an order (受注データ編集), already validated.
#[derive(Clone, Debug)]
pub struct OrderEdit {
    pub buyer: Buyer,
    pub delivery_method_id: Option<i64>,
    pub delivery_name: String,
    pub carrier: String,
    /// 送り状番号
    pub tracking_number: Option<String>,
    pub shipping_fee: i64,
    pub fee: i64,
    pub discount: i64,
    pub order_status: String,
    pub receipt_status: String,
    pub note: String,
    pub items: Vec<NewOrderItem>,
}

impl OrderEdit {
    /// What the buyer pays after the edit: items + shipping + fee − discount.
    pub fn total(&self) -> i64 {
        lines_total(&self.items) + self.shipping_fee + self.fee - self.discount
    }
}

/// Sum of item lines.
fn lines_total(items: &[NewOrderItem]) -> i64 {
    items.iter().map(|i| i.unit_price * i.quantity).sum()
}

/// What [`Store::update_order`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderUpdate {
    Saved,
    /// The order changed since the operator loaded it (another operator, a notification);
    /// nothing was written.
    Stale,
}

/// A line of a new order.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct NewOrderItem {
    pub product_code: String,
    pub product_name: String,
    pub unit_price: i64,
    pub quantity: i64,
}

impl NewOrder {
    /// Sum of the item lines.
    pub fn subtotal(&self) -> i64 {
        lines_total(&self.items)
    }

    /// What the buyer pays: items + shipping + fee − discount.
    pub fn total(&self) -> i64 {
        self.subtotal() + self.shipping_fee + self.fee - self.discount
    }
}

/// A stored order.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct Order {
    pub id: i64,
    pub order_number: String,
    pub member_id: Option<i64>,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub buyer: Buyer,
    pub delivery_method_id: Option<i64>,
    pub delivery_name: String,
    pub carrier: String,
    pub tracking_number: Option<String>,
    /// 配達希望日 (none when not chosen).
    pub delivery_date: Option<NaiveDate>,
    /// 配達時間帯 (empty when not chosen).
    pub delivery_time: String,
    pub subtotal: i64,
    pub shipping_fee: i64,
    pub fee: i64,
    pub discount: i64,
    pub total: i64,
    pub order_status: String,
    pub receipt_status: String,
    pub payment_method_id: Option<i64>,
    pub payment_method_name: String,
    pub settlement_kind: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored order line.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct OrderItem {
    pub id: i64,
    pub order_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub unit_price: i64,
    pub quantity: i64,
}

/// The columns of [`Order`] from `orders o`.
const ORDER_COLUMNS: &str = "o.id, o.order_number, o.member_id, o.email, o.family_name, o.given_name, o.family_kana,
    o.given_kana, o.postal_code, o.prefecture, o.address1, o.address2, o.phone, o.delivery_method_id, o.delivery_name,
    o.carrier, o.tracking_number, o.delivery_date, o.delivery_time, o.subtotal, o.shipping_fee, o.fee, o.discount, o.total,
    o.order_status, o.receipt_status, o.payment_method_id, o.payment_method_name, o.settlement_kind, o.note, o.created_at,
    o.updated_at";

/// The columns of [`OrderItem`] from `order_items i`.
const ITEM_COLUMNS: &str =
    "i.id, i.order_id, i.product_code, i.product_name, i.unit_price, i.quantity";

/// Inserts an order (ordered at `$created`, written at `$now`) and its items inside the
/// open transaction `$tx` (of either backend) and evaluates to the new order id.
macro_rules! insert_order {
    ($tx:ident, $o:expr, $created:expr, $now:expr) => {{
        let o: &$crate::store::NewOrder = $o;
        let order_sql = "INSERT INTO orders (order_number, member_id, email, family_name, given_name, family_kana,
            given_kana, postal_code, prefecture, address1, address2, phone, delivery_method_id, delivery_name, carrier,
            subtotal, shipping_fee, fee, discount, total, order_status, receipt_status, payment_method_id,
            payment_method_name, settlement_kind, note, created_at, updated_at, delivery_date, delivery_time)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30)
            RETURNING id";
        let id: i64 = sqlx::query_scalar(order_sql)
            .bind(&o.order_number).bind(o.member_id).bind(&o.buyer.email).bind(&o.buyer.family_name).bind(&o.buyer.given_name)
            .bind(&o.buyer.family_kana).bind(&o.buyer.given_kana).bind(&o.buyer.postal_code).bind(&o.buyer.prefecture)
            .bind(&o.buyer.address1).bind(&o.buyer.address2).bind(&o.buyer.phone).bind(o.delivery_method_id)
            .bind(&o.delivery_name).bind(&o.carrier).bind(o.subtotal()).bind(o.shipping_fee).bind(o.fee)
            .bind(o.discount).bind(o.total()).bind(&o.order_status).bind(&o.receipt_status)
            .bind(o.payment_method_id).bind(&o.payment_method_name).bind(&o.settlement_kind).bind(&o.note)
            .bind($created).bind($now).bind(o.delivery_date).bind(&o.delivery_time)
            .fetch_one(&mut *$tx).await?;
        $crate::store::orders::insert_items!($tx, id, &o.items);
        id
    }};
}
pub(crate) use insert_order;

/// Inserts an order's item lines inside the open transaction `$tx`.
macro_rules! insert_items {
    ($tx:ident, $order_id:expr, $items:expr) => {{
        let item_sql =
            "INSERT INTO order_items (order_id, product_code, product_name, unit_price, quantity)
                        VALUES ($1, $2, $3, $4, $5)";
        for item in $items {
            sqlx::query(item_sql)
                .bind($order_id)
                .bind(&item.product_code)
                .bind(&item.product_name)
                .bind(item.unit_price)
                .bind(item.quantity)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use insert_items;

impl Store {
    /// Creates an order and its items in one transaction; returns the order id.
    pub async fn create_order(&self, o: &NewOrder, now: DateTime<Utc>) -> Result<i64, StoreError> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let id = insert_order!(tx, o, now, now);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// A page of the orders a filter selects, newest first, each with its payment.
    pub async fn orders(
        &self,
        filter: &OrderFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<OrderRow>, StoreError> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS}, p.provider_payment_id, p.provider_status_label, p.amount AS payment_amount
             {FILTERED_ORDERS} ORDER BY o.id DESC LIMIT $8 OFFSET $9"
        );
        Ok(
            on_pool!(self, p => bind_filter!(sqlx::query_as(&sql), filter).bind(limit).bind(offset).fetch_all(p).await?),
        )
    }

    /// How many orders a filter selects.
    pub async fn order_count(&self, filter: &OrderFilter) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(*) {FILTERED_ORDERS}");
        Ok(on_pool!(self, p => bind_filter!(sqlx::query_scalar(&sql), filter).fetch_one(p).await?))
    }

    /// The item lines of every order a filter selects, newest order first (受注明細リスト).
    pub async fn order_items_matching(
        &self,
        filter: &OrderFilter,
    ) -> Result<Vec<OrderItem>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM order_items i WHERE i.order_id IN (SELECT o.id {FILTERED_ORDERS})
             ORDER BY i.order_id DESC, i.id"
        );
        Ok(on_pool!(self, p => bind_filter!(sqlx::query_as(&sql), filter).fetch_all(p).await?))
    }

    /// One order.
    pub async fn order(&self, id: i64) -> Result<Option<Order>, StoreError> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders o WHERE o.id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// The order of a 注文番号.
    pub async fn order_by_number(&self, order_number: &str) -> Result<Option<Order>, StoreError> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders o WHERE o.order_number = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(order_number).fetch_optional(p).await?))
    }

    /// A member's orders, newest first (購入履歴).
    pub async fn member_orders(
        &self,
        member_id: i64,
        limit: i64,
    ) -> Result<Vec<Order>, StoreError> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders o WHERE o.member_id = $1 ORDER BY o.id DESC LIMIT $2"
        );
        Ok(
            on_pool!(self, p => sqlx::query_as(&sql).bind(member_id).bind(limit).fetch_all(p).await?),
        )
    }

    /// Claims the one showing of the conversion tag for an order: true for the first caller
    /// only, however many pages (reloads, a second tab, several instances) ask.
    pub async fn claim_conversion(
        &self,
        order_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE orders SET conversion_shown_at = $2 WHERE id = $1 AND conversion_shown_at IS NULL";
        let n = on_pool!(self, p => sqlx::query(sql).bind(order_id).bind(now).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// An order's lines.
    pub async fn order_items(&self, order_id: i64) -> Result<Vec<OrderItem>, StoreError> {
        let sql =
            format!("SELECT {ITEM_COLUMNS} FROM order_items i WHERE i.order_id = $1 ORDER BY i.id");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(order_id).fetch_all(p).await?))
    }

    /// Saves an operator's edit of an order and its lines in one transaction, with its audit
    /// entry, unless the order changed since `loaded_at` (its `updated_at` when the operator
    /// opened it).
    pub async fn update_order(
        &self,
        id: i64,
        edit: &OrderEdit,
        loaded_at: DateTime<Utc>,
        audit: &AuditNote<'_>,
        now: DateTime<Utc>,
    ) -> Result<OrderUpdate, StoreError> {
        let sql = "UPDATE orders SET email = $2, family_name = $3, given_name = $4, family_kana = $5, given_kana = $6,
                   postal_code = $7, prefecture = $8, address1 = $9, address2 = $10, phone = $11, delivery_method_id = $12,
                   delivery_name = $13, carrier = $14, tracking_number = $15, subtotal = $16, shipping_fee = $17, fee = $18,
                   discount = $19, total = $20, order_status = $21, receipt_status = $22, note = $23, updated_at = $24
                   WHERE id = $1 AND updated_at = $25";
        let e = edit;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(sql)
                .bind(id).bind(&e.buyer.email).bind(&e.buyer.family_name).bind(&e.buyer.given_name).bind(&e.buyer.family_kana)
                .bind(&e.buyer.given_kana).bind(&e.buyer.postal_code).bind(&e.buyer.prefecture).bind(&e.buyer.address1).bind(&e.buyer.address2)
                .bind(&e.buyer.phone).bind(e.delivery_method_id).bind(&e.delivery_name).bind(&e.carrier)
                .bind(&e.tracking_number).bind(lines_total(&e.items)).bind(e.shipping_fee).bind(e.fee)
                .bind(e.discount).bind(e.total()).bind(&e.order_status).bind(&e.receipt_status).bind(&e.note)
                .bind(now).bind(loaded_at)
                .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                tx.rollback().await?;
                return Ok(OrderUpdate::Stale);
            }
            sqlx::query("DELETE FROM order_items WHERE order_id = $1").bind(id).execute(&mut *tx).await?;
            insert_items!(tx, id, &e.items);
            insert_audit!(tx, audit, now);
            tx.commit().await?;
            Ok(OrderUpdate::Saved)
        })
    }

    /// Sets the 対応状況 of several orders in one transaction with one audit entry naming
    /// them; returns the order numbers changed (unknown ids are skipped).
    pub async fn set_order_statuses(
        &self,
        ids: &[i64],
        status: &str,
        actor: &str,
        action: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let sql = "UPDATE orders SET order_status = $2, updated_at = $3 WHERE id = $1 RETURNING order_number";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let mut numbers = Vec::new();
            for id in ids {
                let number: Option<String> = sqlx::query_scalar(sql).bind(id).bind(status).bind(now)
                    .fetch_optional(&mut *tx).await?;
                numbers.extend(number);
            }
            let detail = numbers.join(", ");
            let audit = AuditNote { actor, action, target: "orders", detail: &detail };
            insert_audit!(tx, &audit, now);
            tx.commit().await?;
            Ok(numbers)
        })
    }

    /// Records an order's shipment — 配送会社名 (`carrier`, stored form), 送り状番号 and
    /// 対応状況 — in one transaction with its audit entry.
    pub async fn set_order_shipment(
        &self,
        id: i64,
        carrier: &str,
        tracking_number: &str,
        status: &str,
        audit: &AuditNote<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE orders SET carrier = $2, tracking_number = $3, order_status = $4, updated_at = $5
                   WHERE id = $1";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(sql).bind(id).bind(carrier).bind(tracking_number).bind(status).bind(now)
                .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                tx.rollback().await?;
                return Err(StoreError::NotFound("order"));
            }
            insert_audit!(tx, audit, now);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Sets an order's 対応状況.
    pub async fn set_order_status(
        &self,
        id: i64,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE orders SET order_status = $2, updated_at = $3 WHERE id = $1";
        let n = on_pool!(self, p => sqlx::query(sql).bind(id).bind(status).bind(now).execute(p).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound("order"));
        }
        Ok(())
    }

    /// Sets an order's 入金状況.
    pub async fn set_order_receipt_status(
        &self,
        id: i64,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE orders SET receipt_status = $2, updated_at = $3 WHERE id = $1";
        let n = on_pool!(self, p => sqlx::query(sql).bind(id).bind(status).bind(now).execute(p).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound("order"));
        }
        Ok(())
    }
}
