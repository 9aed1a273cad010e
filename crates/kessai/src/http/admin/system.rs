//! システム設定: switches of the admin console, today 「決済直前ログより受注データ再作成」
//! (利用する shows the 決済直前ログ一覧 on the 受注リスト).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::Deserialize;

use super::auth::Admin;
use super::{page, redirect_with};
use crate::domain::input::Invalid;
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::settings::SystemSettings;

fn render(
    admin: &Admin,
    headers: &HeaderMap,
    status: StatusCode,
    system: SystemSettings,
    errors: Vec<Invalid>,
) -> Result<Response, HttpError> {
    page(
        status,
        admin,
        headers,
        "system.html",
        "system",
        "システム設定",
        context! { system, errors },
    )
}

/// GET /admin/system
pub async fn show(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let system = state.settings.system().await?;
    render(&admin, &headers, StatusCode::OK, system, Vec::new())
}

/// The システム設定 form: each switch is `on` (利用する) or `off` (利用しない).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SystemForm {
    prepayment_log_recovery: String,
}

/// POST /admin/system
pub async fn save(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Form(form): Form<SystemForm>,
) -> Result<Response, HttpError> {
    let recovery = match form.prepayment_log_recovery.as_str() {
        "on" => true,
        "off" => false,
        _ => {
            let errors = vec![Invalid::new(
                "prepayment_log_recovery",
                "決済直前ログより受注データ再作成を選択してください",
            )];
            let system = state.settings.system().await?;
            return render(
                &admin,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                system,
                errors,
            );
        }
    };
    let system = SystemSettings {
        prepayment_log_recovery: recovery,
    };
    state.settings.save_system(&system, admin.login()).await?;
    Ok(redirect_with(
        "/admin/system",
        "ok",
        "システム設定を更新しました。",
    ))
}
