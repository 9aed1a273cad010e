//! 受注リスト and 受注データ編集.
//!
//! The list ([`self`]) searches (注文番号, 氏名, e-mail, 決済ID, 取引ID) and filters (期間,
//! 対応状況, 入金状況, 支払方法) through the query string, so paging and the CSV exports
//! ([`export`]: 受注リスト出力, 受注明細リスト出力) keep them; 一括操作 sets the 対応状況 of
//! the ticked orders at once, and [`b2`] exchanges the ticked orders and their 送り状番号
//! with the carrier's slip software B2 (B2 出荷データ出力 / 取込). [`edit`] saves every order
//! field with the checkout's validators; [`payment`] is its 決済情報 block and the
//! operations it sends.

mod b2;
mod edit;
mod export;
mod payment;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::auth::Admin;
use super::list::{self, Page, PageQuery};
use super::{page, redirect_with};
use crate::domain::input::Invalid;
use crate::domain::order::{OrderStatus, ReceiptStatus};
use crate::domain::payment::Operation;
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::payments::shipments::ShippedCapture;
use crate::store::OrderFilter;

pub use b2::{export as b2_export, import as b2_import};
pub use edit::{show, update};
pub use export::export;
pub use payment::operate;

const LIST: &str = "/admin/orders";
const PAGE_SIZE: i64 = 50;
/// The 受注リスト's search form, read from the query string.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct ListQuery {
    /// 注文番号, 氏名, メールアドレス or 決済ID.
    keyword: String,
    /// 期間 (受注日) from, `YYYY-MM-DD`.
    from: String,
    /// 期間 (受注日) to, inclusive.
    to: String,
    order_status: String,
    receipt_status: String,
    /// A payment method id.
    payment_method: String,
}

impl ListQuery {
    /// The filter, and the fields that could not be read (those do not filter).
    fn filter(&self) -> (OrderFilter, Vec<Invalid>) {
        let mut errors = Vec::new();
        let (from, until) = list::day_range(
            list::jst_day("from", "期間の開始日", &self.from, false),
            list::jst_day("to", "期間の終了日", &self.to, true),
            "to",
            &mut errors,
        );
        let order_status = match self.order_status.as_str() {
            "" => "",
            s => OrderStatus::parse(s).map_or_else(
                || {
                    errors.push(Invalid::new("order_status", "対応状況が正しくありません"));
                    ""
                },
                OrderStatus::as_str,
            ),
        };
        let receipt_status = match self.receipt_status.as_str() {
            "" => "",
            s => ReceiptStatus::parse(s).map_or_else(
                || {
                    errors.push(Invalid::new("receipt_status", "入金状況が正しくありません"));
                    ""
                },
                ReceiptStatus::as_str,
            ),
        };
        let payment_method_id = match self.payment_method.trim() {
            "" => None,
            s => s
                .parse()
                .map_err(|_| {
                    errors.push(Invalid::new("payment_method", "支払方法が正しくありません"))
                })
                .ok(),
        };
        let filter = OrderFilter {
            keyword: self.keyword.trim().to_owned(),
            from,
            until,
            order_status: order_status.to_owned(),
            receipt_status: receipt_status.to_owned(),
            payment_method_id,
        };
        (filter, errors)
    }

    /// The query string of the fields given (for paging, export and return links).
    fn to_query(&self) -> String {
        list::query_string(&[
            ("keyword", &self.keyword),
            ("from", &self.from),
            ("to", &self.to),
            ("order_status", &self.order_status),
            ("receipt_status", &self.receipt_status),
            ("payment_method", &self.payment_method),
        ])
    }

    /// The list URL with these filters.
    fn list_url(&self) -> String {
        match self.to_query() {
            q if q.is_empty() => LIST.to_owned(),
            q => format!("{LIST}?{q}"),
        }
    }
}

fn order_status_label(s: &str) -> &'static str {
    OrderStatus::parse(s).map_or("", OrderStatus::label)
}

fn receipt_status_label(s: &str) -> &'static str {
    ReceiptStatus::parse(s).map_or("", ReceiptStatus::label)
}

fn status_options() -> Vec<Value> {
    OrderStatus::ALL
        .iter()
        .map(|s| context! { value => s.as_str(), label => s.label() })
        .collect()
}

fn receipt_options() -> Vec<Value> {
    ReceiptStatus::ALL
        .iter()
        .map(|s| context! { value => s.as_str(), label => if s.label().is_empty() { "なし" } else { s.label() } })
        .collect()
}

/// GET /admin/orders
pub async fn index(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
    Query(at): Query<PageQuery>,
) -> Result<Response, HttpError> {
    let (filter, errors) = query.filter();
    let at = Page::parse(&at.page, PAGE_SIZE);
    let total = state.store.order_count(&filter).await?;
    let rows: Vec<Value> = state
        .store
        .orders(&filter, at.size, at.offset())
        .await?
        .into_iter()
        .map(|row| {
            context! {
                order_status => order_status_label(&row.order.order_status),
                receipt_status => receipt_status_label(&row.order.receipt_status),
                drift => row.drift(),
                ..Value::from_serialize(&row)
            }
        })
        .collect();
    let methods = state.store.payment_methods().await?;
    let recovery = state.settings.system().await?.prepayment_log_recovery;
    let (b2, b2_sandbox) = b2::offer(&state).await?;
    let query_string = query.to_query();
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "orders.html",
        "orders",
        "受注リスト",
        context! {
            query, errors, rows, methods, recovery, b2, b2_sandbox,
            statuses => status_options(),
            receipts => receipt_options(),
            paging => at.pager(total, query_string.clone()),
            query_string,
        },
    )
}

/// POST /admin/orders/bulk: 一括操作 — the 対応状況 of the ticked orders, in one
/// transaction with one audit entry; 発送済み then captures each authorized payment whose
/// delivery lets it be captured, and the message says what became of every one.
pub async fn bulk(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let back = serde_urlencoded::from_str::<ListQuery>(list::value(&pairs, "query"))
        .unwrap_or_default()
        .list_url();
    let ids = list::ticked(&pairs, "id");
    let Some(status) = OrderStatus::parse(list::value(&pairs, "bulk_status")) else {
        return Ok(redirect_with(
            &back,
            "error",
            "一括操作の対応状況を選択してください。",
        ));
    };
    if ids.is_empty() {
        return Ok(redirect_with(
            &back,
            "error",
            "一括操作する受注にチェックを入れてください。",
        ));
    }
    let numbers = state
        .store
        .set_order_statuses(
            &ids,
            status.as_str(),
            admin.login(),
            &format!("対応状況を一括変更（{}）", status.label()),
            state.clock.now(),
        )
        .await?;
    let mut message = format!(
        "{}件の受注の対応状況を「{}」に更新しました。",
        numbers.len(),
        status.label()
    );
    let results = match status {
        OrderStatus::Shipped => state.payments.capture_shipped(&ids, admin.login()).await?,
        _ => Vec::new(),
    };
    if !results.is_empty() {
        // Per-order results do not fit a flash message: they get a page of their own.
        let rows: Vec<Value> = results.iter().map(shipped_row).collect();
        return page(
            StatusCode::OK,
            &admin,
            &headers,
            "orders_bulk.html",
            "orders",
            "一括操作の結果",
            context! { message, rows, back },
        );
    }
    if status == OrderStatus::Cancelled {
        let mut still_open = Vec::new();
        for id in &ids {
            if let (Some(order), Some(payment)) = (
                state.store.order(*id).await?,
                state.store.checkout_payment(*id).await?,
            ) {
                if state
                    .payments
                    .capabilities(&payment)
                    .await?
                    .allows(Operation::Cancel)
                {
                    still_open.push(order.order_number);
                }
            }
        }
        if !still_open.is_empty() {
            message.push_str(&format!(
                " 決済は取り消されていません（注文番号 {}）。取り消す場合は各受注の決済情報で[キャンセル処理]を行ってください。",
                still_open.join(", ")
            ));
        }
    }
    Ok(redirect_with(&back, "ok", &message))
}

/// One row of 一括操作の結果: 注文番号, 売上確定 (成功 / 未処理 / 失敗) and what happened.
fn shipped_row(result: &ShippedCapture) -> Value {
    match result {
        ShippedCapture::Captured {
            order_number,
            status,
        } => {
            context! { order_number, outcome => "成功", kind => "ok", detail => format!("決済状況: {status}") }
        }
        ShippedCapture::Skipped { order_number, why } => {
            context! { order_number, outcome => "未処理", kind => "skipped", detail => why }
        }
        ShippedCapture::Failed {
            order_number,
            message,
        } => context! { order_number, outcome => "失敗", kind => "failed", detail => message },
    }
}
