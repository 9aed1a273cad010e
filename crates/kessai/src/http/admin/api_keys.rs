//! APIキー: the keys headless shops call the JSON API with. A key is created with a name and
//! shown in full once, on the page that answers the creation; afterwards only its first
//! characters are shown. Revoking (無効化) stops it at once. Both are audited.

use axum::extract::{Path, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::auth::Admin;
use super::{page, redirect_with};
use crate::domain::input::Invalid;
use crate::http::api::keys;
use crate::http::error::HttpError;
use crate::http::SharedState;

const LIST: &str = "/admin/api-keys";

/// The creation form.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct KeyForm {
    name: String,
}

/// The key just created, for the one page that shows it.
#[derive(Serialize)]
struct Created {
    name: String,
    key: String,
}

async fn render(
    state: &SharedState,
    admin: &Admin,
    headers: &HeaderMap,
    status: StatusCode,
    form: KeyForm,
    errors: Vec<Invalid>,
    created: Option<Created>,
) -> Result<Response, HttpError> {
    let keys = state.store.api_keys().await?;
    page(
        status,
        admin,
        headers,
        "api_keys.html",
        "api_keys",
        "APIキー",
        context! { keys, form, errors, created },
    )
}

/// GET /admin/api-keys
pub async fn index(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    render(
        &state,
        &admin,
        &headers,
        StatusCode::OK,
        KeyForm::default(),
        vec![],
        None,
    )
    .await
}

/// POST /admin/api-keys: answers with the list and the new key, shown this once (not a
/// redirect: the key must not travel in a cookie or a URL).
pub async fn create(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Form(form): Form<KeyForm>,
) -> Result<Response, HttpError> {
    match keys::create(&state.store, &form.name, admin.login(), state.clock.now()).await? {
        Ok(created) => {
            let shown = Created {
                name: created.name,
                key: created.key.expose().to_owned(),
            };
            let mut response = render(
                &state,
                &admin,
                &headers,
                StatusCode::OK,
                KeyForm::default(),
                vec![],
                Some(shown),
            )
            .await?;
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(invalid) => {
            render(
                &state,
                &admin,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                vec![invalid],
                None,
            )
            .await
        }
    }
}

/// POST /admin/api-keys/{id}/revoke
pub async fn revoke(
    State(state): State<SharedState>,
    admin: Admin,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    match keys::revoke(&state.store, id, admin.login(), state.clock.now()).await? {
        None => Err(HttpError::NotFound),
        Some((key, true)) => Ok(redirect_with(
            LIST,
            "ok",
            &format!("APIキー「{}」を無効化しました。", key.name),
        )),
        Some((key, false)) => Ok(redirect_with(
            LIST,
            "error",
            &format!("APIキー「{}」は既に無効化されています。", key.name),
        )),
    }
}
