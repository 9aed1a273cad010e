//! The figures of the admin's ダッシュボード: sales in a period, the orders waiting for the
//! operator, authorizations left uncaptured, and payment errors. Each is one aggregate query
//! over indexed columns, so the page stays fast with many orders.

use chrono::{DateTime, Utc};

use super::{on_pool, Store, StoreError};

/// Orders and their total in a period (キャンセル not counted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sales {
    pub count: i64,
    pub amount: i64,
}

/// Orders waiting for the operator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Waiting {
    /// 対応状況 新規受付.
    pub new: i64,
    /// 入金状況 未入金 (not cancelled).
    pub unpaid: i64,
    /// Not shipped yet, nor cancelled or 保留, with nothing left to pay (発送待ち).
    pub to_ship: i64,
}

impl Store {
    /// Sales of orders made from `from` until before `until`.
    pub async fn sales_between(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Sales, StoreError> {
        let sql = "SELECT COUNT(*), CAST(COALESCE(SUM(total), 0) AS BIGINT) FROM orders
                   WHERE created_at >= $1 AND created_at < $2 AND order_status <> 'cancelled'";
        let (count, amount): (i64, i64) =
            on_pool!(self, p => sqlx::query_as(sql).bind(from).bind(until).fetch_one(p).await?);
        Ok(Sales { count, amount })
    }

    /// The orders waiting for the operator, by what they wait for.
    pub async fn orders_waiting(&self) -> Result<Waiting, StoreError> {
        let sql = "SELECT
                     CAST(COALESCE(SUM(CASE WHEN order_status = 'new' THEN 1 ELSE 0 END), 0) AS BIGINT),
                     CAST(COALESCE(SUM(CASE WHEN receipt_status = 'unpaid' AND order_status <> 'cancelled' THEN 1 ELSE 0 END), 0) AS BIGINT),
                     CAST(COALESCE(SUM(CASE WHEN order_status IN ('new', 'backordered') AND receipt_status <> 'unpaid' THEN 1 ELSE 0 END), 0) AS BIGINT)
                   FROM orders WHERE order_status IN ('new', 'backordered', 'on_hold') OR receipt_status = 'unpaid'";
        let (new, unpaid, to_ship): (i64, i64, i64) =
            on_pool!(self, p => sqlx::query_as(sql).fetch_one(p).await?);
        Ok(Waiting {
            new,
            unpaid,
            to_ship,
        })
    }

    /// Payments of orders still only authorized since before `before` (an authorization
    /// lapses at the card company after some weeks).
    pub async fn authorized_since(&self, before: DateTime<Utc>) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM payments
                   WHERE state = 'authorized' AND order_id IS NOT NULL AND updated_at < $1";
        Ok(on_pool!(self, p => sqlx::query_scalar(sql).bind(before).fetch_one(p).await?))
    }

    /// Payment errors logged since `since`.
    pub async fn payment_errors_since(&self, since: DateTime<Utc>) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM payment_errors WHERE at >= $1";
        Ok(on_pool!(self, p => sqlx::query_scalar(sql).bind(since).fetch_one(p).await?))
    }
}
