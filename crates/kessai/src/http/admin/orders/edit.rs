//! 受注データ編集: every order field and the item lines, saved with the checkout's
//! validators in one transaction with its audit entry, unless the order changed since the
//! form was loaded.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, Utc};
use minijinja::{context, Value};
use serde::Serialize;

use super::{order_status_label, receipt_options, receipt_status_label, status_options, LIST};
use crate::domain::buyer::Buyer;
use crate::domain::input::{self, Invalid};
use crate::domain::money::Yen;
use crate::domain::order::{Carrier, OrderStatus, ReceiptStatus};
use crate::domain::payment::PaymentState;
use crate::http::admin::auth::Admin;
use crate::http::admin::list;
use crate::http::admin::{page, redirect_with};
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::providers;
use crate::store::{
    AuditNote, DeliveryMethod, NewOrderItem, Order, OrderEdit, OrderItem, OrderUpdate, Product,
};

/// One item line of the edit form.
#[derive(Debug, Default, Clone, Serialize)]
struct LineForm {
    product_code: String,
    product_name: String,
    unit_price: String,
    quantity: String,
    /// 削除 ticked.
    remove: bool,
    /// 金額, when price and quantity are numbers.
    amount: Option<i64>,
}

impl LineForm {
    fn new(
        product_code: String,
        product_name: String,
        unit_price: String,
        quantity: String,
        remove: bool,
    ) -> Self {
        let amount = match (
            unit_price.trim().parse::<i64>(),
            quantity.trim().parse::<i64>(),
        ) {
            (Ok(p), Ok(q)) => p.checked_mul(q),
            _ => None,
        };
        Self {
            product_code,
            product_name,
            unit_price,
            quantity,
            remove,
            amount,
        }
    }
}

/// The 受注データ編集 form, as loaded or as submitted (and shown again with its errors).
#[derive(Debug, Default, Clone, Serialize)]
struct OrderForm {
    #[serde(flatten)]
    buyer: Buyer,
    /// A delivery method id, or empty to keep the order's (a method since deleted).
    delivery_method_id: String,
    carrier: String,
    tracking_number: String,
    order_status: String,
    receipt_status: String,
    shipping_fee: String,
    fee: String,
    discount: String,
    note: String,
    lines: Vec<LineForm>,
    /// 商品追加: a product code, or empty.
    new_product_code: String,
    new_quantity: String,
    /// The order's `updated_at` when the form was loaded (RFC 3339).
    loaded_at: String,
}

/// Item lines a form may carry.
const MAX_LINES: usize = 200;

impl OrderForm {
    fn of(o: &Order, items: &[OrderItem]) -> Self {
        Self {
            buyer: o.buyer.clone(),
            delivery_method_id: o
                .delivery_method_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            carrier: o.carrier.clone(),
            tracking_number: o.tracking_number.clone().unwrap_or_default(),
            order_status: o.order_status.clone(),
            receipt_status: o.receipt_status.clone(),
            shipping_fee: o.shipping_fee.to_string(),
            fee: o.fee.to_string(),
            discount: o.discount.to_string(),
            note: o.note.clone(),
            lines: items
                .iter()
                .map(|i| {
                    LineForm::new(
                        i.product_code.clone(),
                        i.product_name.clone(),
                        i.unit_price.to_string(),
                        i.quantity.to_string(),
                        false,
                    )
                })
                .collect(),
            new_product_code: String::new(),
            new_quantity: "1".into(),
            loaded_at: o.updated_at.to_rfc3339(),
        }
    }

    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |k: &str| list::value(pairs, k).to_owned();
        let lines = (0..MAX_LINES)
            .take_while(|i| {
                pairs
                    .iter()
                    .any(|(k, _)| *k == format!("items[{i}].product_code"))
            })
            .map(|i| {
                LineForm::new(
                    get(&format!("items[{i}].product_code")),
                    get(&format!("items[{i}].product_name")),
                    get(&format!("items[{i}].unit_price")),
                    get(&format!("items[{i}].quantity")),
                    !get(&format!("items[{i}].remove")).is_empty(),
                )
            })
            .collect();
        Self {
            buyer: Buyer::from_fields(get),
            delivery_method_id: get("delivery_method_id"),
            carrier: get("carrier"),
            tracking_number: get("tracking_number"),
            order_status: get("order_status"),
            receipt_status: get("receipt_status"),
            shipping_fee: get("shipping_fee"),
            fee: get("fee"),
            discount: get("discount"),
            note: get("note"),
            lines,
            new_product_code: get("new_product_code"),
            new_quantity: get("new_quantity"),
            loaded_at: get("loaded_at"),
        }
    }

    /// Validates the form against the order it edits with the checkout's rules; every wrong
    /// field is named.
    fn parse(
        &self,
        order: &Order,
        methods: &[DeliveryMethod],
        products: &[Product],
    ) -> Result<(OrderEdit, DateTime<Utc>), Vec<Invalid>> {
        let mut errors = Vec::new();
        // The checkout's rules, so a 機種依存文字 the provider cannot carry is refused here too.
        let buyer = match self.buyer.parse("") {
            Ok(buyer) => buyer,
            Err(e) => {
                errors.extend(e);
                Buyer::default()
            }
        };
        let mut keep =
            |r: Result<String, Invalid>| r.map_err(|e| errors.push(e)).unwrap_or_default();
        let tracking_number = if self.tracking_number.trim().is_empty() {
            None
        } else {
            Some(keep(input::tracking_number(
                "tracking_number",
                &self.tracking_number,
            )))
        };
        let note = keep(input::multiline_text("note", "備考", &self.note, 1000));
        let mut yen = |field: &str, label: &str, text: &str| -> i64 {
            Yen::parse(text).map(Yen::get).unwrap_or_else(|_| {
                errors.push(Invalid::new(
                    field,
                    format!("{label}は0以上の整数を半角数字で入力してください"),
                ));
                0
            })
        };
        let shipping_fee = yen("shipping_fee", "送料", &self.shipping_fee);
        let fee = yen("fee", "手数料", &self.fee);
        let discount = yen("discount", "値引き", &self.discount);

        let (delivery_method_id, delivery_name) = match self.delivery_method_id.trim() {
            "" => (order.delivery_method_id, order.delivery_name.clone()),
            id => match methods.iter().find(|m| m.id.to_string() == id) {
                Some(m) => (Some(m.id), m.name.clone()),
                None => {
                    errors.push(Invalid::new(
                        "delivery_method_id",
                        "配送方法を選択してください",
                    ));
                    (None, String::new())
                }
            },
        };
        let carrier = Carrier::parse(self.carrier.trim()).map(Carrier::as_str);
        if carrier.is_none() {
            errors.push(Invalid::new("carrier", "配送会社名を選択してください"));
        }
        let order_status = OrderStatus::parse(&self.order_status).map(OrderStatus::as_str);
        if order_status.is_none() {
            errors.push(Invalid::new("order_status", "対応状況を選択してください"));
        }
        let receipt_status = ReceiptStatus::parse(&self.receipt_status).map(ReceiptStatus::as_str);
        if receipt_status.is_none() {
            errors.push(Invalid::new("receipt_status", "入金状況を選択してください"));
        }

        let mut items = Vec::new();
        for (i, line) in self.lines.iter().enumerate().filter(|(_, l)| !l.remove) {
            let field = |name: &str| format!("items[{i}].{name}");
            let product_code =
                input::text(&field("product_code"), "商品コード", &line.product_code, 60)
                    .map_err(|e| errors.push(e))
                    .unwrap_or_default();
            // The checkout's rule: a provider carries the item names in Shift_JIS.
            let product_name =
                input::text(&field("product_name"), "商品名", &line.product_name, 200)
                    .and_then(|name| {
                        input::provider_safe(&field("product_name"), "商品名", &name).map(|()| name)
                    })
                    .map_err(|e| errors.push(e))
                    .unwrap_or_default();
            let unit_price = Yen::parse(&line.unit_price)
                .map(Yen::get)
                .unwrap_or_else(|_| {
                    errors.push(Invalid::new(
                        &field("unit_price"),
                        "単価は0以上の整数を半角数字で入力してください",
                    ));
                    0
                });
            let quantity = quantity(&field("quantity"), &line.quantity)
                .map_err(|e| errors.push(e))
                .unwrap_or(1);
            items.push(NewOrderItem {
                product_code,
                product_name,
                unit_price,
                quantity,
            });
        }
        if !self.new_product_code.trim().is_empty() {
            match products
                .iter()
                .find(|p| p.code == self.new_product_code.trim())
            {
                Some(p) => {
                    let quantity = quantity("new_quantity", &self.new_quantity)
                        .map_err(|e| errors.push(e))
                        .unwrap_or(1);
                    items.push(NewOrderItem {
                        product_code: p.code.clone(),
                        product_name: p.name.clone(),
                        unit_price: p.price,
                        quantity,
                    });
                }
                None => errors.push(Invalid::new(
                    "new_product_code",
                    "追加する商品が見つかりません",
                )),
            }
        }
        if items.is_empty() {
            errors.push(Invalid::new("items", "商品を1つ以上残してください"));
        }
        let loaded_at = DateTime::parse_from_rfc3339(&self.loaded_at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                errors.push(Invalid::new(
                    "loaded_at",
                    "受注データを読み込み直してから編集してください",
                ))
            })
            .ok();
        let edit = OrderEdit {
            buyer,
            delivery_method_id,
            delivery_name,
            carrier: carrier.unwrap_or_default().to_owned(),
            tracking_number,
            shipping_fee,
            fee,
            discount,
            order_status: order_status.unwrap_or_default().to_owned(),
            receipt_status: receipt_status.unwrap_or_default().to_owned(),
            note,
            items,
        };
        if errors.is_empty() && edit.total() < 0 {
            errors.push(Invalid::new(
                "discount",
                "値引きが商品合計・送料・手数料の合計を超えています",
            ));
        }
        match loaded_at {
            Some(t) if errors.is_empty() => Ok((edit, t)),
            _ => Err(errors),
        }
    }
}

/// 数量: 1 to 999, as at checkout.
fn quantity(field: &str, text: &str) -> Result<i64, Invalid> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|q| (1..=999).contains(q))
        .ok_or_else(|| Invalid::new(field, "数量は1から999までで入力してください"))
}

/// The 受注データ編集 labels of the fields an edit changes, for the audit log.
fn changes(o: &Order, items: &[OrderItem], e: &OrderEdit) -> Vec<String> {
    let before: Vec<(&str, &str, i64, i64)> = items
        .iter()
        .map(|i| {
            (
                i.product_code.as_str(),
                i.product_name.as_str(),
                i.unit_price,
                i.quantity,
            )
        })
        .collect();
    let after: Vec<(&str, &str, i64, i64)> = e
        .items
        .iter()
        .map(|i| {
            (
                i.product_code.as_str(),
                i.product_name.as_str(),
                i.unit_price,
                i.quantity,
            )
        })
        .collect();
    let mut changed: Vec<String> = o
        .buyer
        .changed_labels(&e.buyer)
        .into_iter()
        .map(str::to_owned)
        .collect();
    changed.extend(
        [
            ("配送方法", o.delivery_name != e.delivery_name),
            ("配送会社名", o.carrier != e.carrier),
            ("送り状番号", o.tracking_number != e.tracking_number),
            ("入金状況", o.receipt_status != e.receipt_status),
            ("送料", o.shipping_fee != e.shipping_fee),
            ("手数料", o.fee != e.fee),
            ("値引き", o.discount != e.discount),
            ("備考", o.note != e.note),
            ("商品", before != after),
        ]
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(label, _)| label.to_owned()),
    );
    if o.order_status != e.order_status {
        changed.push(format!(
            "対応状況 {}→{}",
            order_status_label(&o.order_status),
            order_status_label(&e.order_status)
        ));
    }
    if o.total != e.total() {
        changed.push(format!("総合計金額 {}円→{}円", o.total, e.total()));
    }
    changed
}

/// Renders the 受注データ編集 page with `form` (as loaded or as submitted) and its errors.
async fn render(
    state: &SharedState,
    admin: &Admin,
    headers: &HeaderMap,
    status: StatusCode,
    order: &Order,
    form: &OrderForm,
    errors: Vec<Invalid>,
) -> Result<Response, HttpError> {
    let payment = super::payment::block(state, order).await?;
    let payment_method = state
        .settings
        .payment_method_label(
            order,
            state.store.checkout_payment(order.id).await?.as_ref(),
        )
        .await?;
    let mails = crate::http::admin::mails::of_order(state, order.id).await?;
    let methods = state.store.delivery_methods().await?;
    let current_method_gone = !order
        .delivery_method_id
        .is_some_and(|id| methods.iter().any(|m| m.id == id));
    let carriers: Vec<Value> = Carrier::ALL
        .iter()
        .map(|c| context! { value => c.as_str(), label => c.label() })
        .collect();
    let products = state.store.products().await?;
    page(
        status,
        admin,
        headers,
        "order.html",
        "orders",
        "受注データ編集",
        context! {
            order_status => order_status_label(&order.order_status),
            receipt_status => receipt_status_label(&order.receipt_status),
            kind_label => providers::service_label(&order.settlement_kind),
            payment_method,
            order,
            form,
            errors,
            methods,
            current_method_gone,
            carriers,
            products,
            statuses => status_options(),
            receipts => receipt_options(),
            prefectures => &input::PREFECTURES[..],
            mails,
            ..payment
        },
    )
}

/// GET /admin/orders/{id}
pub async fn show(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let order = state.store.order(id).await?.ok_or(HttpError::NotFound)?;
    let items = state.store.order_items(id).await?;
    let form = OrderForm::of(&order, &items);
    render(
        &state,
        &admin,
        &headers,
        StatusCode::OK,
        &order,
        &form,
        Vec::new(),
    )
    .await
}

/// POST /admin/orders/{id}: 設定を更新. Nothing is written unless every field is valid
/// and the order has not changed since the form was loaded.
pub async fn update(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let order = state.store.order(id).await?.ok_or(HttpError::NotFound)?;
    let items = state.store.order_items(id).await?;
    let mut form = OrderForm::from_pairs(&pairs);
    let methods = state.store.delivery_methods().await?;
    let products = state.store.products().await?;
    let (edit, loaded_at) = match form.parse(&order, &methods, &products) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return render(
                &state,
                &admin,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                &order,
                &form,
                errors,
            )
            .await
        }
    };
    let back = format!("{LIST}/{id}");
    let changed = changes(&order, &items, &edit);
    if changed.is_empty() {
        return Ok(redirect_with(&back, "ok", "変更された項目はありません。"));
    }
    let detail = changed.join(", ");
    let target = format!("order:{id}");
    let audit = AuditNote {
        actor: admin.login(),
        action: "受注データを更新",
        target: &target,
        detail: &detail,
    };
    match state
        .store
        .update_order(id, &edit, loaded_at, &audit, state.clock.now())
        .await?
    {
        OrderUpdate::Saved => {
            // A capture registered the old 送り状番号 with the provider: a new one stays here.
            let captured = state
                .store
                .checkout_payment(id)
                .await?
                .is_some_and(|p| p.state() == PaymentState::Captured);
            let message = if captured && order.tracking_number != edit.tracking_number {
                "受注データを更新しました。売上確定済みの決済の送り状番号を変更しても、決済会社のデータは変わりません。決済会社の管理画面でも変更してください。"
            } else {
                "受注データを更新しました。"
            };
            Ok(redirect_with(&back, "ok", message))
        }
        OrderUpdate::Stale => {
            // Show the operator's input again; saving once more overwrites the newer data
            // knowingly.
            form.loaded_at = order.updated_at.to_rfc3339();
            let errors = vec![Invalid::new(
                "loaded_at",
                "編集中にこの受注が他の操作で更新されたため、保存していません。内容を確認し、入力内容で上書きする場合はもう一度[設定を更新]を押してください。",
            )];
            render(
                &state,
                &admin,
                &headers,
                StatusCode::CONFLICT,
                &order,
                &form,
                errors,
            )
            .await
        }
    }
}
