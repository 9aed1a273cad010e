//! 会員リスト and 会員データ with the stored-card block (下4桁, 有効期限, 登録あり) and the
//! provider's 解除 (the card is deleted at the provider, then its reference here).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::Deserialize;

use super::auth::Admin;
use super::{page, redirect_with};
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::payments::PaymentsError;

/// GET /admin/members
pub async fn index(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let members = state.store.members(500).await?;
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "members.html",
        "members",
        "会員リスト",
        context! { members },
    )
}

/// GET /admin/members/{id}
pub async fn show(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let member = state.store.member(id).await?.ok_or(HttpError::NotFound)?;
    let cards = state.store.stored_cards(id, "paygent").await?;
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "member.html",
        "members",
        "会員データ",
        context! { member, cards },
    )
}

/// The 解除 form.
#[derive(Debug, Deserialize)]
pub struct RemoveCard {
    card_id: i64,
}

/// POST /admin/members/{id}/cards/remove
pub async fn remove_card(
    State(state): State<SharedState>,
    admin: Admin,
    Path(id): Path<i64>,
    Form(form): Form<RemoveCard>,
) -> Result<Response, HttpError> {
    let back = format!("/admin/members/{id}");
    let owned = state
        .store
        .stored_card(form.card_id)
        .await?
        .is_some_and(|c| c.member_id == id);
    if !owned {
        return Ok(redirect_with(
            &back,
            "error",
            "この会員の登録カードではありません。",
        ));
    }
    match state
        .payments
        .remove_stored_card(form.card_id, admin.login())
        .await
    {
        Ok(()) => Ok(redirect_with(&back, "ok", "登録カードを解除しました。")),
        Err(PaymentsError::Store(e)) => Err(e.into()),
        Err(e) => Ok(redirect_with(&back, "error", &e.to_string())),
    }
}
