//! 受注リスト's B2 buttons (the Welcart manual's 「B2 出荷データ出力」 and 「B2 出荷データ取込」):
//! the ticked orders as the CSV that the carrier's slip software B2 takes in
//! ([`crate::providers::b2`]), and the CSV B2 gives back, with the 送り状番号 it issued,
//! imported ([`crate::payments::shipments::b2_import`]) with a page of per-row results.

use axum::extract::{Multipart, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::NaiveDate;
use minijinja::{context, Value};

use super::ListQuery;
use crate::clock::jst;
use crate::http::admin::auth::Admin;
use crate::http::admin::{list, page, redirect_with};
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::payments::shipments::b2_import::{ImportedRow, Summary};
use crate::providers::b2;
use crate::settings::ShopInfo;
use crate::store::{Order, OrderItem};

/// What the 受注リスト shows of B2: whether to offer the buttons (a delivery method is
/// carried by B2's carrier) and the built-in sandbox's stand-in for B2, when payments go to
/// the built-in sandbox.
pub(super) async fn offer(state: &SharedState) -> Result<(bool, Option<String>), HttpError> {
    let carrier = b2::CARRIER.as_str();
    let offered = state
        .store
        .delivery_methods()
        .await?
        .iter()
        .any(|d| d.carrier == carrier);
    let mut sandbox = None;
    if offered {
        for spec in state.settings.providers_in_use().await? {
            if let Some(page) = state
                .payments
                .connector_of(spec.key)
                .await?
                .and_then(|c| c.b2_sandbox())
            {
                sandbox = Some(page);
                break;
            }
        }
    }
    Ok((offered, sandbox))
}

/// The list URL the form came from (its `query` field).
fn back_to(query: &str) -> String {
    serde_urlencoded::from_str::<ListQuery>(query)
        .unwrap_or_default()
        .list_url()
}

/// A date as B2 takes it.
fn b2_date(date: NaiveDate) -> String {
    date.format("%Y/%m/%d").to_string()
}

/// One order as a B2 row: the buyer is お届け先, the shop (基本設定) ご依頼主, the first item
/// 品名１.
fn shipment(order: &Order, items: &[OrderItem], shop: &ShopInfo, ship_date: &str) -> b2::Shipment {
    let buyer = &order.buyer;
    b2::Shipment {
        order_number: order.order_number.clone(),
        ship_date: ship_date.to_owned(),
        delivery_date: order.delivery_date.map(b2_date).unwrap_or_default(),
        time_code: b2::time_code(&order.delivery_time),
        to_phone: buyer.phone.clone(),
        to_postal_code: buyer.postal_code.clone(),
        to_address: format!("{}{}", buyer.prefecture, buyer.address1),
        to_building: buyer.address2.clone(),
        to_name: format!("{} {}", buyer.family_name, buyer.given_name),
        to_kana: format!("{} {}", buyer.family_kana, buyer.given_kana),
        from_phone: shop.phone.clone(),
        from_postal_code: shop.postal_code.clone(),
        from_address: shop.address1.clone(),
        from_building: shop.address2.clone(),
        from_name: shop.shop_name.clone(),
        item_name: items
            .first()
            .map(|i| i.product_name.clone())
            .unwrap_or_default(),
    }
}

/// POST /admin/orders/b2/export: 「B2 出荷データ出力」 — the ticked orders as B2's CSV
/// (`b2_YYYYMMDD.csv`, Shift_JIS, CRLF), 出荷予定日 today in Japan.
pub async fn export(
    State(state): State<SharedState>,
    _admin: Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let back = back_to(list::value(&pairs, "query"));
    let ids = list::ticked(&pairs, "id");
    if ids.is_empty() {
        return Ok(redirect_with(
            &back,
            "error",
            "B2 出荷データ出力する受注にチェックを入れてから、[B2 出荷データ出力]を押してください。",
        ));
    }
    let shop = state.settings.shop().await?;
    let today = state.clock.now().with_timezone(&jst()).date_naive();
    let ship_date = b2_date(today);
    let mut shipments = Vec::with_capacity(ids.len());
    for id in ids {
        // An order removed since the list was shown is not exported.
        let Some(order) = state.store.order(id).await? else {
            continue;
        };
        let items = state.store.order_items(id).await?;
        shipments.push(shipment(&order, &items, &shop, &ship_date));
    }
    let bytes = match b2::export(&shipments) {
        Ok(bytes) => bytes,
        Err(message) => return Ok(redirect_with(&back, "error", &message)),
    };
    let file_name = format!("b2_{}.csv", today.format("%Y%m%d"));
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=Shift_JIS".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// POST /admin/orders/b2/import (multipart: `file`): 「B2 出荷データ取込」 — the file B2
/// gives back, each row's order shipped and captured; a page lists every row.
pub async fn import(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, HttpError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        HttpError::BadRequest(format!("フォームを読み取れません: {e}"))
    };
    let (mut file, mut query) = (Vec::new(), String::new());
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("file") => file = field.bytes().await.map_err(bad)?.to_vec(),
            Some("query") => query = field.text().await.map_err(bad)?,
            _ => {}
        }
    }
    let back = back_to(&query);
    if file.is_empty() {
        return Ok(redirect_with(
            &back,
            "error",
            "取り込むファイル(B2で送り状番号を発行したCSV)を選択してください。",
        ));
    }
    let rows = match state
        .payments
        .import_b2(&file, admin.login(), |_, _| {})
        .await
    {
        Ok(rows) => rows,
        Err(unreadable) => return Ok(redirect_with(&back, "error", &unreadable.0)),
    };
    let summary = Summary::of(&rows);
    let shown: Vec<Value> = rows.iter().map(result_row).collect();
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "orders_b2.html",
        "orders",
        "B2 出荷データ取込の結果",
        context! {
            message => summary.message(),
            failed => summary.failed,
            rows => shown,
            back,
        },
    )
}

/// One row of the results page: 行, 注文番号, 送り状番号, 結果, 内容.
fn result_row(row: &ImportedRow) -> Value {
    context! {
        line => row.line,
        order_number => row.order_number,
        slip_no => row.slip_no,
        outcome => row.outcome.label(),
        kind => row.outcome.kind(),
        detail => row.outcome.detail(),
    }
}
