//! 基本設定: the shop's own information, with the warnings a provider needs answered first
//! (a provider whose manual sends 会社名 with every payment fails while it is empty).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use minijinja::context;

use super::auth::Admin;
use super::{page, redirect_with};
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::settings::ShopInfo;

/// Problems in 基本設定 that will make a provider fail.
pub async fn warnings(state: &SharedState) -> Result<Vec<String>, HttpError> {
    let shop = state.settings.shop().await?;
    let mut warnings = Vec::new();
    if shop.company_name.trim().is_empty() {
        for provider in state.settings.providers_in_use().await? {
            if let Some(why) = provider.requires_company_name {
                warnings.push(format!(
                    "会社名が未設定です。{}は会社名を全ての決済で使用するため、未設定のままでは決済できません（{why}）。基本設定で会社名を入力してください。",
                    provider.label
                ));
            }
        }
    }
    Ok(warnings)
}

/// GET /admin/shop
pub async fn show(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let shop = state.settings.shop().await?;
    let warnings = warnings(&state).await?;
    let errors: Vec<crate::domain::input::Invalid> = Vec::new();
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "shop.html",
        "shop",
        "基本設定",
        context! { shop, warnings, errors },
    )
}

/// POST /admin/shop
pub async fn save(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Form(form): Form<ShopInfo>,
) -> Result<Response, HttpError> {
    match ShopInfo::parse(&form) {
        Ok(info) => {
            state.settings.save_shop(&info, admin.login()).await?;
            Ok(redirect_with(
                "/admin/shop",
                "ok",
                "基本設定を更新しました。",
            ))
        }
        Err(errors) => {
            let warnings = warnings(&state).await?;
            page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &admin,
                &headers,
                "shop.html",
                "shop",
                "基本設定",
                context! { shop => form, warnings, errors },
            )
        }
    }
}
