//! 受注リスト出力 and 受注明細リスト出力: the orders of the list's current filter (every
//! page) as CP932 CSV.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{order_status_label, receipt_status_label, ListQuery};
use crate::clock::jst;
use crate::domain::order::Carrier;
use crate::http::admin::auth::Admin;
use crate::http::admin::csv::{Cell, Csv};
use crate::http::admin::redirect_with;
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::providers;
use crate::store::{Order, OrderRow};

/// `?list=` of the export: `orders` (受注リスト出力) or `items` (受注明細リスト出力).
#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    list: String,
}

const ORDER_CSV_HEADER: [&str; 29] = [
    "注文番号",
    "受注日時",
    "対応状況",
    "入金状況",
    "支払方法",
    "決済種別",
    "決済ID",
    "決済状況",
    "決済金額",
    "商品合計金額",
    "送料",
    "手数料",
    "値引き",
    "総合計金額",
    "配送方法",
    "配送会社名",
    "送り状番号",
    "会員No",
    "姓",
    "名",
    "セイ",
    "メイ",
    "メールアドレス",
    "郵便番号",
    "都道府県",
    "住所",
    "建物名",
    "電話番号",
    "備考",
];

const ITEM_CSV_HEADER: [&str; 11] = [
    "注文番号",
    "受注日時",
    "対応状況",
    "姓",
    "名",
    "商品コード",
    "商品名",
    "単価",
    "数量",
    "金額",
    "総合計金額",
];

/// A time as the CSV files show it: Asia/Tokyo, to the second.
fn csv_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst())
        .format("%Y/%m/%d %H:%M:%S")
        .to_string()
}

fn order_csv_row(row: &OrderRow) -> Vec<Cell> {
    let o = &row.order;
    vec![
        o.order_number.as_str().into(),
        csv_time(o.created_at).into(),
        order_status_label(&o.order_status).into(),
        receipt_status_label(&o.receipt_status).into(),
        o.payment_method_name.as_str().into(),
        providers::service_label(&o.settlement_kind).into(),
        row.provider_payment_id.clone().into(),
        row.provider_status_label.clone().into(),
        row.payment_amount.into(),
        o.subtotal.into(),
        o.shipping_fee.into(),
        o.fee.into(),
        o.discount.into(),
        o.total.into(),
        o.delivery_name.as_str().into(),
        Carrier::parse(&o.carrier).map_or("", Carrier::label).into(),
        o.tracking_number.clone().into(),
        o.member_id.into(),
        o.buyer.family_name.as_str().into(),
        o.buyer.given_name.as_str().into(),
        o.buyer.family_kana.as_str().into(),
        o.buyer.given_kana.as_str().into(),
        o.buyer.email.as_str().into(),
        o.buyer.postal_code.as_str().into(),
        o.buyer.prefecture.as_str().into(),
        o.buyer.address1.as_str().into(),
        o.buyer.address2.as_str().into(),
        o.buyer.phone.as_str().into(),
        o.note.as_str().into(),
    ]
}

/// GET /admin/orders/export: the orders of the current filter (every page) as CSV.
pub async fn export(
    State(state): State<SharedState>,
    _admin: Admin,
    Query(query): Query<ListQuery>,
    Query(export): Query<ExportQuery>,
) -> Result<Response, HttpError> {
    let (filter, errors) = query.filter();
    if let Some(e) = errors.first() {
        return Ok(redirect_with(&query.list_url(), "error", &e.message));
    }
    let orders = state.store.orders(&filter, i64::MAX, 0).await?;
    let day = state.clock.now().with_timezone(&jst()).format("%Y%m%d");
    match export.list.as_str() {
        "items" => {
            let by_id: HashMap<i64, &Order> =
                orders.iter().map(|r| (r.order.id, &r.order)).collect();
            let mut csv = Csv::with_header(&ITEM_CSV_HEADER);
            for item in state.store.order_items_matching(&filter).await? {
                // An order created between the two reads has no row here; it is not exported.
                let Some(o) = by_id.get(&item.order_id) else {
                    continue;
                };
                csv.row([
                    o.order_number.as_str().into(),
                    csv_time(o.created_at).into(),
                    order_status_label(&o.order_status).into(),
                    o.buyer.family_name.as_str().into(),
                    o.buyer.given_name.as_str().into(),
                    item.product_code.into(),
                    item.product_name.into(),
                    item.unit_price.into(),
                    item.quantity.into(),
                    (item.unit_price * item.quantity).into(),
                    o.total.into(),
                ]);
            }
            Ok(csv.into_download(&format!("order_items_{day}.csv")))
        }
        _ => {
            let mut csv = Csv::with_header(&ORDER_CSV_HEADER);
            for row in &orders {
                csv.row(order_csv_row(row));
            }
            Ok(csv.into_download(&format!("orders_{day}.csv")))
        }
    }
}
