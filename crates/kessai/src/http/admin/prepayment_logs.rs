//! 決済直前ログ一覧 and 決済直前ログ詳細, shown only while システム設定 「決済直前ログより
//! 受注データ再作成」 is 「利用する」. The list searches by リンクキー, 氏名 and 登録日 and
//! deletes logs that did not become orders; the detail shows the whole logged checkout and
//! registers its order (受注データ登録) with 受注日時 set to the log's time or to now,
//! exactly once through the same path as the buyer's confirmation.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::auth::Admin;
use super::list::{self, Page, PageQuery};
use super::{page, redirect_with};
use crate::checkout;
use crate::domain::input::Invalid;
use crate::domain::order::{Carrier, OrderStatus, ReceiptStatus};
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::payments::orders::{self, OrderTime};
use crate::providers;
use crate::store::{LogFilter, OrderFromLog, PrepaymentLog, StoreError};

const LIST: &str = "/admin/prepayment-logs";
const PAGE_SIZE: i64 = 50;

/// Refuses every page of this module while the setting is off.
async fn require_enabled(state: &SharedState) -> Result<(), HttpError> {
    if state.settings.system().await?.prepayment_log_recovery {
        Ok(())
    } else {
        Err(HttpError::NotFound)
    }
}

/// ログ検索: the list's search form.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct LogQuery {
    /// リンクキー or 氏名.
    keyword: String,
    /// 登録日 from, `YYYY-MM-DD`.
    from: String,
    /// 登録日 to, inclusive.
    to: String,
}

impl LogQuery {
    fn filter(&self) -> (LogFilter, Vec<Invalid>) {
        let mut errors = Vec::new();
        let (from, until) = list::day_range(
            list::jst_day("from", "登録日の開始日", &self.from, false),
            list::jst_day("to", "登録日の終了日", &self.to, true),
            "to",
            &mut errors,
        );
        let filter = LogFilter {
            keyword: self.keyword.trim().to_owned(),
            from,
            until,
        };
        (filter, errors)
    }

    fn to_query(&self) -> String {
        list::query_string(&[
            ("keyword", &self.keyword),
            ("from", &self.from),
            ("to", &self.to),
        ])
    }
}

fn log_view(log: &PrepaymentLog) -> Value {
    context! {
        kind_label => providers::service_label(&log.settlement_kind),
        ..Value::from_serialize(log)
    }
}

/// GET /admin/prepayment-logs
pub async fn index(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Query(query): Query<LogQuery>,
    Query(at): Query<PageQuery>,
) -> Result<Response, HttpError> {
    require_enabled(&state).await?;
    let (filter, errors) = query.filter();
    let at = Page::parse(&at.page, PAGE_SIZE);
    let total = state.store.prepayment_log_count(&filter).await?;
    let logs: Vec<Value> = state
        .store
        .search_prepayment_logs(&filter, at.size, at.offset())
        .await?
        .iter()
        .map(log_view)
        .collect();
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "prepayment_logs.html",
        "orders",
        "決済直前ログ一覧",
        context! { query, errors, logs, paging => at.pager(total, query.to_query()) },
    )
}

/// GET /admin/prepayment-logs/{link_key}: 決済直前ログ詳細.
pub async fn show(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(link_key): Path<String>,
) -> Result<Response, HttpError> {
    require_enabled(&state).await?;
    let pending = checkout::load(&state.payments, &link_key)
        .await?
        .ok_or(HttpError::NotFound)?;
    let order = &pending.checkout.order;
    let order_number = match pending.log.order_id {
        Some(id) => state.store.order(id).await?.map(|o| o.order_number),
        None => None,
    };
    let lines: Vec<Value> = order
        .items
        .iter()
        .map(|i| context! { amount => i.unit_price * i.quantity, ..Value::from_serialize(i) })
        .collect();
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "prepayment_log.html",
        "orders",
        "決済直前ログ詳細",
        context! {
            log => log_view(&pending.log),
            checkout => order,
            lines,
            subtotal => order.subtotal(),
            total => order.total(),
            return_url => pending.checkout.return_url,
            carrier_label => Carrier::parse(&order.carrier).map_or("", Carrier::label),
            order_status_label => OrderStatus::parse(&order.order_status).map_or("", OrderStatus::label),
            receipt_status_label => ReceiptStatus::parse(&order.receipt_status).map_or("", ReceiptStatus::label),
            payment => pending.payment,
            provider_label => providers::provider(&pending.log.provider).map_or("", |p| p.label),
            order_number,
        },
    )
}

/// POST /admin/prepayment-logs/{link_key}/register: 受注データ登録.
pub async fn register(
    State(state): State<SharedState>,
    admin: Admin,
    Path(link_key): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    require_enabled(&state).await?;
    let time = match list::value(&pairs, "order_time") {
        "logged" => OrderTime::Logged,
        "now" => OrderTime::Now,
        _ => {
            return Ok(redirect_with(
                &format!("{LIST}/{link_key}"),
                "error",
                "受注日時に登録日を設定するか現在の時刻を設定するかを選択してください。",
            ))
        }
    };
    match orders::register_from_log(&state.payments, &link_key, time, admin.login()).await {
        Ok(OrderFromLog::Created(id)) => Ok(redirect_with(
            &format!("/admin/orders/{id}"),
            "ok",
            "決済直前ログから受注データを登録しました。サンキューメールは送信されません。",
        )),
        Ok(OrderFromLog::Existing(id)) => Ok(redirect_with(
            &format!("/admin/orders/{id}"),
            "error",
            "この決済直前ログの受注データは登録済みです。",
        )),
        Err(StoreError::NotFound(_)) => Err(HttpError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// POST /admin/prepayment-logs/delete: ログ削除 of the ticked logs; logs that became orders
/// stay.
pub async fn delete(
    State(state): State<SharedState>,
    admin: Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    require_enabled(&state).await?;
    let keys: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "link_key")
        .map(|(_, v)| v.as_str())
        .collect();
    if keys.is_empty() {
        return Ok(redirect_with(
            LIST,
            "error",
            "削除する決済直前ログにチェックを入れてください。",
        ));
    }
    let mut deleted = Vec::new();
    for key in &keys {
        if state.store.delete_prepayment_log(key).await? {
            deleted.push(*key);
        }
    }
    if !deleted.is_empty() {
        state
            .store
            .audit(
                admin.login(),
                "決済直前ログを削除",
                "prepayment_logs",
                &deleted.join(", "),
                state.clock.now(),
            )
            .await?;
    }
    let kept = keys.len() - deleted.len();
    let message = if kept == 0 {
        format!("決済直前ログを{}件削除しました。", deleted.len())
    } else {
        format!(
            "決済直前ログを{}件削除しました。受注データが登録されたログ{}件は削除できません。",
            deleted.len(),
            kept
        )
    };
    Ok(redirect_with(
        LIST,
        if kept == 0 { "ok" } else { "error" },
        &message,
    ))
}
