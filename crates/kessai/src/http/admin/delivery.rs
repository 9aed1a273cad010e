//! 配送設定: the shop's delivery methods and their carriers (a クロネコヤマト method is what
//! Kuroneko Web Collect's capture-on-shipment works with).

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

const LIST: &str = "/admin/delivery";

/// The form fields of a delivery method.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct DeliveryForm {
    name: String,
    carrier: String,
}

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

fn parse(form: &DeliveryForm) -> Result<(String, Carrier), Vec<Invalid>> {
    let mut errors = Vec::new();
    let name = input::text("name", "配送方法名", &form.name, 60)
        .map_err(|e| errors.push(e))
        .ok();
    let carrier = Carrier::parse(form.carrier.trim());
    if carrier.is_none() {
        errors.push(Invalid::new("carrier", "配送業者を選択してください"));
    }
    match (name, carrier) {
        (Some(n), Some(c)) if errors.is_empty() => Ok((n, c)),
        _ => Err(errors),
    }
}

#[derive(Serialize)]
struct DeliveryView {
    id: i64,
    name: String,
    carrier_label: &'static str,
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
        Ok((name, carrier)) => {
            let now = state.clock.now();
            let id = state
                .store
                .create_delivery_method(&name, carrier.as_str(), now)
                .await?;
            state
                .store
                .audit(
                    admin.login(),
                    "配送方法を追加",
                    &name,
                    &format!("id {id}, {}", carrier.as_str()),
                    now,
                )
                .await?;
            Ok(redirect_with(
                LIST,
                "ok",
                &format!("配送方法「{name}」を追加しました。"),
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
        Ok((name, carrier)) => {
            let now = state.clock.now();
            state
                .store
                .update_delivery_method(id, &name, carrier.as_str())
                .await?;
            state
                .store
                .audit(
                    admin.login(),
                    "配送方法を更新",
                    &name,
                    &format!("id {id}, {}", carrier.as_str()),
                    now,
                )
                .await?;
            Ok(redirect_with(
                LIST,
                "ok",
                &format!("配送方法「{name}」を更新しました。"),
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
