//! Orders (受注) with their items, their payment, and the payment operations history
//! (決済情報: 処理日時, 決済ID, 処理区分, 金額, 処理結果).
//!
//! A payment operation row is written before the provider is called and completed after,
//! so a crash in between leaves a `pending` row that a status inquiry can settle.

use chrono::{DateTime, NaiveDate, Utc};

use super::audit::{insert_audit, AuditNote};
use super::{on_pool, Store, StoreError};
use crate::domain::payment::PaymentState;

/// A new order as checkout or recovery creates it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct NewOrder {
    pub order_number: String,
    pub member_id: Option<i64>,
    pub email: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    pub postal_code: String,
    pub prefecture: String,
    pub address1: String,
    pub address2: String,
    pub phone: String,
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
    /// Part of the 注文番号, the name (漢字 or フリガナ, spaces ignored), the e-mail address or
    /// the 決済ID.
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

/// The orders an [`OrderFilter`] selects (binds `$1`-`$7`), each with its latest payment `p`.
const FILTERED_ORDERS: &str = "FROM orders o
    LEFT JOIN payments p ON p.id = (SELECT MAX(id) FROM payments WHERE order_id = o.id)
    WHERE ($1 = '' OR o.order_number LIKE $2 ESCAPE '\\' OR (o.family_name || o.given_name) LIKE $2 ESCAPE '\\'
           OR (o.family_kana || o.given_kana) LIKE $2 ESCAPE '\\' OR LOWER(o.email) LIKE LOWER($2) ESCAPE '\\'
           OR p.provider_payment_id LIKE $2 ESCAPE '\\')
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
    pub email: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    pub postal_code: String,
    pub prefecture: String,
    pub address1: String,
    pub address2: String,
    pub phone: String,
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
    pub email: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    pub postal_code: String,
    pub prefecture: String,
    pub address1: String,
    pub address2: String,
    pub phone: String,
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

/// A payment at a provider.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct Payment {
    pub id: i64,
    pub order_id: Option<i64>,
    pub provider: String,
    pub settlement_kind: String,
    pub link_key: String,
    pub provider_payment_id: Option<String>,
    pub provider_status_code: Option<String>,
    pub provider_status_label: Option<String>,
    pub state: String,
    pub amount: i64,
    /// Scratch data of the hand-off between browser steps (JSON, never card numbers).
    pub handoff_json: String,
    /// What the buyer needs to pay (payment number, ATM numbers…) as JSON `[[label,
    /// value], …]`; empty when there is nothing to tell. Read it with
    /// [`crate::checkout::payment_details`].
    pub details_json: String,
    /// The deadline to pay, for payments made after ordering.
    pub deadline: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Payment {
    /// The normalized state.
    pub fn state(&self) -> PaymentState {
        PaymentState::parse(&self.state).unwrap_or(PaymentState::Pending)
    }
}

/// A payment about to be handed to a provider.
#[derive(Clone, Debug)]
pub struct NewPayment<'a> {
    pub order_id: Option<i64>,
    pub provider: &'a str,
    pub settlement_kind: &'a str,
    pub link_key: &'a str,
    pub state: &'a str,
    pub amount: i64,
}

/// What a provider reported about a payment.
#[derive(Clone, Debug)]
pub struct PaymentStatusUpdate<'a> {
    /// The provider's payment id, when it gave one (a new id replaces the old).
    pub provider_payment_id: Option<&'a str>,
    pub status_code: &'a str,
    pub status_label: &'a str,
    pub state: &'a str,
    pub amount: i64,
}

/// One call to a provider about a payment.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct PaymentOperation {
    pub id: i64,
    pub payment_id: i64,
    /// An [`crate::domain::payment::Operation`] stored form, or `status` for a status row.
    pub operation: String,
    /// 処理区分 as the history shows it.
    pub label: String,
    pub amount: i64,
    pub provider_payment_id: Option<String>,
    pub outcome: String,
    pub result_code: Option<String>,
    pub result_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
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
            .bind(&o.order_number).bind(o.member_id).bind(&o.email).bind(&o.family_name).bind(&o.given_name)
            .bind(&o.family_kana).bind(&o.given_kana).bind(&o.postal_code).bind(&o.prefecture)
            .bind(&o.address1).bind(&o.address2).bind(&o.phone).bind(o.delivery_method_id)
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

const PAYMENT_COLUMNS: &str =
    "id, order_id, provider, settlement_kind, link_key, provider_payment_id,
    provider_status_code, provider_status_label, state, amount, handoff_json, details_json, deadline,
    created_at, updated_at";

/// Inserts a payment (binds: order_id, provider, settlement_kind, link_key, state, amount,
/// now) and returns its id.
pub(super) const INSERT_PAYMENT: &str =
    "INSERT INTO payments (order_id, provider, settlement_kind, link_key, state,
    amount, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id";

/// The `operation` of a history row that records a status the provider reported.
pub const STATUS_ROW: &str = "status";

const OPERATION_COLUMNS: &str =
    "id, payment_id, operation, label, amount, provider_payment_id, outcome, result_code,
    result_message, created_at, completed_at";

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
                .bind(id).bind(&e.email).bind(&e.family_name).bind(&e.given_name).bind(&e.family_kana)
                .bind(&e.given_kana).bind(&e.postal_code).bind(&e.prefecture).bind(&e.address1).bind(&e.address2)
                .bind(&e.phone).bind(e.delivery_method_id).bind(&e.delivery_name).bind(&e.carrier)
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

    /// Creates a payment (before anything is sent to the provider).
    pub async fn create_payment(
        &self,
        p: &NewPayment<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(INSERT_PAYMENT)
            .bind(p.order_id).bind(p.provider).bind(p.settlement_kind).bind(p.link_key).bind(p.state).bind(p.amount).bind(now)
            .fetch_one(pool).await?))
    }

    /// One payment.
    pub async fn payment(&self, id: i64) -> Result<Option<Payment>, StoreError> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// Records what the provider says about a payment.
    pub async fn update_payment_status(
        &self,
        id: i64,
        u: &PaymentStatusUpdate<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE payments SET provider_payment_id = COALESCE($2, provider_payment_id), provider_status_code = $3,
                   provider_status_label = $4, state = $5, amount = $6, updated_at = $7 WHERE id = $1";
        on_pool!(self, p => sqlx::query(sql).bind(id).bind(u.provider_payment_id).bind(u.status_code).bind(u.status_label)
            .bind(u.state).bind(u.amount).bind(now).execute(p).await?.rows_affected());
        Ok(())
    }

    /// One payment by its link key.
    pub async fn payment_by_link_key(&self, link_key: &str) -> Result<Option<Payment>, StoreError> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE link_key = $1");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(link_key).fetch_optional(p).await?))
    }

    /// An order's payment (the latest one, should there be several).
    pub async fn payment_of_order(&self, order_id: i64) -> Result<Option<Payment>, StoreError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = $1 ORDER BY id DESC LIMIT 1"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(order_id).fetch_optional(p).await?))
    }

    /// Keeps (or, with an empty string, clears) a payment's hand-off scratch data.
    pub async fn set_payment_handoff(
        &self,
        id: i64,
        handoff_json: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE payments SET handoff_json = $2, updated_at = $3 WHERE id = $1";
        on_pool!(self, p => sqlx::query(sql).bind(id).bind(handoff_json).bind(now).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Keeps what the buyer needs to pay a payment (JSON `[[label, value], …]`) and the
    /// deadline to pay it.
    pub async fn set_payment_details(
        &self,
        id: i64,
        details_json: &str,
        deadline: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql =
            "UPDATE payments SET details_json = $2, deadline = $3, updated_at = $4 WHERE id = $1";
        on_pool!(self, p => sqlx::query(sql).bind(id).bind(details_json).bind(deadline).bind(now).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Writes a `pending` operation row before the provider is called and returns its id, or
    /// `None` when another operation on the payment is still waiting for its answer.
    pub async fn begin_payment_operation(
        &self,
        payment_id: i64,
        operation: &str,
        label: &str,
        amount: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let sql = "INSERT INTO payment_operations (payment_id, operation, label, amount, outcome, created_at)
                   VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id";
        let inserted = on_pool!(self, p => sqlx::query_scalar(sql).bind(payment_id).bind(operation).bind(label)
            .bind(amount).bind(now).fetch_one(p).await);
        match inserted {
            Ok(id) => Ok(Some(id)),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Completes a successful call that replaced the provider's payment id: the replaced id's
    /// final status row goes first, then the call's row (moved after it), in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_payment_operation_after_status(
        &self,
        id: i64,
        status_label: &str,
        old_amount: i64,
        old_payment_id: &str,
        new_payment_id: &str,
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let take = format!("DELETE FROM payment_operations WHERE id = $1 AND outcome = 'pending' RETURNING {OPERATION_COLUMNS}");
        let status = "INSERT INTO payment_operations (payment_id, operation, label, amount, provider_payment_id, outcome,
                      created_at, completed_at) VALUES ($1, $2, $3, $4, $5, 'succeeded', $6, $6)";
        let call = "INSERT INTO payment_operations (payment_id, operation, label, amount, provider_payment_id, outcome,
                    created_at, completed_at) VALUES ($1, $2, $3, $4, $5, 'succeeded', $6, $7)";
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let row: Option<PaymentOperation> = sqlx::query_as(&take).bind(id).fetch_optional(&mut *tx).await?;
            let Some(row) = row else {
                return Err(StoreError::NotFound("pending payment operation"));
            };
            sqlx::query(status).bind(row.payment_id).bind(STATUS_ROW).bind(status_label).bind(old_amount)
                .bind(old_payment_id).bind(now).execute(&mut *tx).await?;
            sqlx::query(call).bind(row.payment_id).bind(&row.operation).bind(label).bind(row.amount)
                .bind(new_payment_id).bind(row.created_at).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Removes a pending row whose call was never made.
    pub async fn abandon_payment_operation(&self, id: i64) -> Result<(), StoreError> {
        let sql = "DELETE FROM payment_operations WHERE id = $1 AND outcome = 'pending'";
        on_pool!(self, p => sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Adds a status row to a payment's history (a status the provider reported).
    pub async fn record_payment_status(
        &self,
        payment_id: i64,
        label: &str,
        amount: i64,
        provider_payment_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO payment_operations (payment_id, operation, label, amount, provider_payment_id, outcome,
                   created_at, completed_at) VALUES ($1, $2, $3, $4, $5, 'succeeded', $6, $6) RETURNING id";
        Ok(
            on_pool!(self, p => sqlx::query_scalar(sql).bind(payment_id).bind(STATUS_ROW).bind(label).bind(amount)
            .bind(provider_payment_id).bind(now).fetch_one(p).await?),
        )
    }

    /// Completes an operation row with the provider's answer (`succeeded` or `failed`);
    /// `label` replaces the row's 処理区分 when the provider's name for the call is known.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_payment_operation(
        &self,
        id: i64,
        outcome: &str,
        provider_payment_id: Option<&str>,
        result_code: Option<&str>,
        result_message: Option<&str>,
        label: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE payment_operations SET outcome = $2, provider_payment_id = $3, result_code = $4,
                   result_message = $5, label = COALESCE($6, label), completed_at = $7 WHERE id = $1 AND outcome = 'pending'";
        let n = on_pool!(self, p => sqlx::query(sql).bind(id).bind(outcome).bind(provider_payment_id).bind(result_code)
            .bind(result_message).bind(label).bind(now).execute(p).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound("pending payment operation"));
        }
        Ok(())
    }

    /// A payment's operations, oldest first.
    pub async fn payment_operations(
        &self,
        payment_id: i64,
    ) -> Result<Vec<PaymentOperation>, StoreError> {
        let sql = format!(
            "SELECT {OPERATION_COLUMNS} FROM payment_operations WHERE payment_id = $1 ORDER BY id"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(payment_id).fetch_all(p).await?))
    }

    /// Operation rows still waiting for an answer whose call started before `before`, oldest
    /// first (a crash or a timeout left them; a status inquiry settles them).
    pub async fn stale_payment_operations(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Vec<PaymentOperation>, StoreError> {
        let sql = format!(
            "SELECT {OPERATION_COLUMNS} FROM payment_operations WHERE outcome = 'pending'
                           AND created_at < $1 ORDER BY id"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(before).fetch_all(p).await?))
    }
}
