//! 配送設定: the shop's delivery methods and their carriers (a provider that captures on
//! shipment works with its carrier's methods), with the 配達希望日 and 配達時間帯
//! the storefront offers for each.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::auth::Admin;
use super::{page, redirect_with};
use crate::domain::input::{self, Invalid};
use crate::domain::order::Carrier;
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::store::NewDeliveryMethod;

const LIST: &str = "/admin/delivery";

/// The form fields of a delivery method.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct DeliveryForm {
    name: String,
    carrier: String,
    date_earliest_days: String,
    date_range_days: String,
    time_slots: String,
}

/// Most 配達時間帯 a method may offer.
const MAX_TIME_SLOTS: usize = 12;

#[derive(Serialize)]
struct CarrierOption {
    value: &'static str,
    label: &'static str,
}

fn carriers() -> Vec<CarrierOption> {
    Carrier::ALL
        .iter()
        .map(|c| CarrierOption {
            value: c.as_str(),
            label: c.label(),
        })
        .collect()
}

/// A number of days from 0 to 60 (empty means 0).
fn days(field: &str, label: &str, value: &str) -> Result<i64, Invalid> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(0);
    }
    v.parse::<i64>()
        .ok()
        .filter(|n| v.bytes().all(|b| b.is_ascii_digit()) && (0..=60).contains(n))
        .ok_or_else(|| {
            Invalid::new(
                field,
                format!("{label}は0から60までの半角数字で入力してください"),
            )
        })
}

/// One slot per line: each named like a text field, no duplicates, at most [`MAX_TIME_SLOTS`].
fn time_slots(value: &str) -> Result<String, Invalid> {
    let field = "time_slots";
    let mut slots: Vec<String> = Vec::new();
    for line in value.lines().filter(|l| !l.trim().is_empty()) {
        let slot = input::text(field, "配達時間帯", line, 20)?;
        input::provider_safe(field, "配達時間帯", &slot)?;
        if slots.contains(&slot) {
            return Err(Invalid::new(
                field,
                format!("配達時間帯「{slot}」が重複しています"),
            ));
        }
        slots.push(slot);
    }
    if slots.len() > MAX_TIME_SLOTS {
        return Err(Invalid::new(
            field,
            format!("配達時間帯は{MAX_TIME_SLOTS}件以内で入力してください"),
        ));
    }
    Ok(slots.join("\n"))
}

fn parse(form: &DeliveryForm) -> Result<NewDeliveryMethod, Vec<Invalid>> {
    let name = input::text("name", "配送方法名", &form.name, 60);
    let carrier = Carrier::parse(form.carrier.trim())
        .ok_or_else(|| Invalid::new("carrier", "配送業者を選択してください"));
    let earliest = days(
        "date_earliest_days",
        "配達希望日の最短日数",
        &form.date_earliest_days,
    );
    let range = days(
        "date_range_days",
        "配達希望日の選択日数",
        &form.date_range_days,
    );
    let slots = time_slots(&form.time_slots);
    match (name, carrier, earliest, range, slots) {
        (Ok(name), Ok(carrier), Ok(date_earliest_days), Ok(date_range_days), Ok(time_slots)) => {
            Ok(NewDeliveryMethod {
                name,
                carrier: carrier.as_str().to_owned(),
                date_earliest_days,
                date_range_days,
                time_slots,
            })
        }
        (name, carrier, earliest, range, slots) => Err([
            name.err(),
            carrier.err(),
            earliest.err(),
            range.err(),
            slots.err(),
        ]
        .into_iter()
        .flatten()
        .collect()),
    }
}

#[derive(Serialize)]
struct DeliveryView {
    id: i64,
    name: String,
    carrier_label: &'static str,
    /// 配達希望日 in words: 「注文日の2日後から7日間」 or 「指定不可」.
    dates: String,
    /// 配達時間帯 joined, or 「指定不可」.
    times: String,
}

async fn render_index(
    state: &SharedState,
    admin: &Admin,
    headers: &HeaderMap,
    status: StatusCode,
    form: DeliveryForm,
    errors: Vec<Invalid>,
) -> Result<Response, HttpError> {
    let methods: Vec<DeliveryView> = state
        .store
        .delivery_methods()
        .await?
        .into_iter()
        .map(|d| DeliveryView {
            id: d.id,
            carrier_label: Carrier::parse(&d.carrier)
                .map(Carrier::label)
                .unwrap_or("不明"),
            dates: if d.date_range_days > 0 {
                format!(
                    "注文日の{}日後から{}日間",
                    d.date_earliest_days, d.date_range_days
                )
            } else {
                "指定不可".to_owned()
            },
            times: match d.time_slot_list().join("、") {
                slots if slots.is_empty() => "指定不可".to_owned(),
                slots => slots,
            },
            name: d.name,
        })
        .collect();
    page(
        status,
        admin,
        headers,
        "delivery.html",
        "delivery",
        "配送設定",
        context! { methods, carriers => carriers(), form, errors },
    )
}

/// GET /admin/delivery
pub async fn index(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    render_index(
        &state,
        &admin,
        &headers,
        StatusCode::OK,
        DeliveryForm::default(),
        vec![],
    )
    .await
}

/// POST /admin/delivery
pub async fn create(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Form(form): Form<DeliveryForm>,
) -> Result<Response, HttpError> {
    match parse(&form) {
        Ok(method) => {
            let now = state.clock.now();
            let id = state.store.create_delivery_method(&method, now).await?;
            state
                .store
                .audit(
                    admin.login(),
                    "配送方法を追加",
                    &method.name,
                    &format!("id {id}, {}", method.carrier),
                    now,
                )
                .await?;
            Ok(redirect_with(
                LIST,
                "ok",
                &format!("配送方法「{}」を追加しました。", method.name),
            ))
        }
        Err(errors) => {
            render_index(
                &state,
                &admin,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
            )
            .await
        }
    }
}

/// GET /admin/delivery/{id}
pub async fn edit(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let d = state
        .store
        .delivery_method(id)
        .await?
        .ok_or(HttpError::NotFound)?;
    let form = DeliveryForm {
        date_earliest_days: d.date_earliest_days.to_string(),
        date_range_days: d.date_range_days.to_string(),
        time_slots: d.time_slots,
        name: d.name,
        carrier: d.carrier,
    };
    let errors: Vec<Invalid> = vec![];
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "delivery_edit.html",
        "delivery",
        "配送方法の編集",
        context! { id, form, carriers => carriers(), errors },
    )
}

/// POST /admin/delivery/{id}
pub async fn update(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<DeliveryForm>,
) -> Result<Response, HttpError> {
    state
        .store
        .delivery_method(id)
        .await?
        .ok_or(HttpError::NotFound)?;
    match parse(&form) {
        Ok(method) => {
            let now = state.clock.now();
            state.store.update_delivery_method(id, &method).await?;
            state
                .store
                .audit(
                    admin.login(),
                    "配送方法を更新",
                    &method.name,
                    &format!("id {id}, {}", method.carrier),
                    now,
                )
                .await?;
            Ok(redirect_with(
                LIST,
                "ok",
                &format!("配送方法「{}」を更新しました。", method.name),
            ))
        }
        Err(errors) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &admin,
            &headers,
            "delivery_edit.html",
            "delivery",
            "配送方法の編集",
            context! { id, form, carriers => carriers(), errors },
        ),
    }
}

/// POST /admin/delivery/{id}/delete
pub async fn delete(
    State(state): State<SharedState>,
    admin: Admin,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let d = state
        .store
        .delivery_method(id)
        .await?
        .ok_or(HttpError::NotFound)?;
    let used = state.store.orders_using_delivery_method(id).await?;
    if used > 0 {
        return Ok(redirect_with(
            LIST,
            "error",
            &format!(
                "配送方法「{}」は{used}件の受注で使用されているため削除できません。",
                d.name
            ),
        ));
    }
    let now = state.clock.now();
    state.store.delete_delivery_method(id).await?;
    state
        .store
        .audit(
            admin.login(),
            "配送方法を削除",
            &d.name,
            &format!("id {id}"),
            now,
        )
        .await?;
    Ok(redirect_with(
        LIST,
        "ok",
        &format!("配送方法「{}」を削除しました。", d.name),
    ))
}
