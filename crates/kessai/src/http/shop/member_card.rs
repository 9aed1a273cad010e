//! クレジットカード登録 / 変更 / 更新 on the member's page: the card-keeping provider's own
//! page (the shop's card form with a token, or the provider's page it sends the member to),
//! keeping the card, and deleting it.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::Value;
use serde::Deserialize;

use super::member::member;
use super::session::ShopSession;
use super::{page, SharedState};
use crate::http::error::HttpError;
use crate::http::security::Csp;
use crate::payments::PaymentsError;
use crate::providers::{CardPage, Connector, FormError, Page};
use crate::store::{Member, StoredCard};

/// What seals the member id into a provider page's return address.
const RETURN_TOKEN: &str = "member-card-return";
/// How long a return address stays good.
const RETURN_TOKEN_MINUTES: i64 = 60;

/// The provider members keep cards at, while its settings keep them with the card form in
/// the shop; the card pages exist only then.
pub(super) async fn card_keeper(state: &SharedState) -> Result<Option<Connector>, HttpError> {
    Ok(state.payments.card_keeper().await?)
}

/// The logged-in member on the card page, and the provider that keeps the card.
async fn card_member(
    state: &SharedState,
    session: &ShopSession,
) -> Result<(Member, Connector), HttpError> {
    let m = member(state, session, "/member/card").await?;
    let keeper = card_keeper(state).await?.ok_or(HttpError::NotFound)?;
    Ok((m, keeper))
}

/// The member's kept card whose id a form posted; none when the id is not a number or
/// the card is not the member's.
async fn own_card(
    state: &SharedState,
    m: &Member,
    card_id: &str,
) -> Result<Option<StoredCard>, HttpError> {
    Ok(match card_id.trim().parse::<i64>() {
        Ok(id) => state
            .store
            .stored_card(id)
            .await?
            .filter(|c| c.member_id == m.id),
        Err(_) => None,
    })
}

async fn render_card(
    state: &SharedState,
    session: &mut ShopSession,
    m: &Member,
    keeper: &Connector,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, HttpError> {
    let cards = state
        .payments
        .member_cards(m.id, keeper)
        .await?
        .iter()
        .map(crate::payments::cards::card_ref)
        .collect();
    let year = state.clock.year_in_japan();
    let base = state.config.public_url.trim_end_matches('/');
    let expires = state.clock.now() + chrono::Duration::minutes(RETURN_TOKEN_MINUTES);
    let token = state
        .settings
        .seal(RETURN_TOKEN, &format!("{}:{}", m.id, expires.timestamp()));
    let token: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let view = CardPage {
        member_id: m.id,
        email: m.buyer.email.clone(),
        cards,
        action: "/member/card".to_owned(),
        return_url: format!("{base}/member/card/return?t={token}"),
        back_url: format!("{base}/member"),
        year,
        error,
    };
    let origins = keeper.browser_origins();
    match keeper.card_page(&view) {
        Page::Template {
            template,
            title,
            context,
        } => {
            let response = page(
                state,
                session,
                status,
                template,
                &title,
                Value::from_serialize(&context),
            )
            .await?;
            Ok(Csp::provider(&origins).on(response))
        }
        Page::Redirect(url) => Ok(Redirect::to(&url).into_response()),
        Page::Html(html) => Ok(Csp::foreign(&origins).on(Html(html).into_response())),
        Page::RedirectForm { .. } => Err(HttpError::NotFound),
    }
}

/// How the provider's own card page ended (`?updated=1`, `?failed=1`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CardOutcome {
    updated: Option<String>,
    failed: Option<String>,
}

/// GET /member/card: クレジットカード登録はこちら (or 変更 when a card is kept).
pub async fn card_form(
    State(state): State<SharedState>,
    mut session: ShopSession,
    Query(outcome): Query<CardOutcome>,
) -> Result<Response, HttpError> {
    let (m, keeper) = card_member(&state, &session).await?;
    if outcome.updated.is_some() {
        session
            .notify(&state, "クレジットカードを更新しました。")
            .await?;
        return Ok(Redirect::to("/member").into_response());
    }
    let error = outcome
        .failed
        .map(|_| "カード情報を更新できませんでした。もう一度お試しください。".to_owned());
    render_card(&state, &mut session, &m, &keeper, StatusCode::OK, error).await
}

/// POST /member/card: keeps the card at the provider and, when it replaces one (the form's
/// `replace_card_id`), deletes the old one.
pub async fn save_card(
    State(state): State<SharedState>,
    mut session: ShopSession,
    Form(fields): Form<BTreeMap<String, String>>,
) -> Result<Response, HttpError> {
    let (m, keeper) = card_member(&state, &session).await?;
    let submission = match keeper.card_submission(&fields) {
        Ok(submission) => submission,
        Err(FormError::Invalid(message)) => {
            tracing::warn!(
                member_id = m.id,
                "member card form with a missing or forged token"
            );
            return render_card(
                &state,
                &mut session,
                &m,
                &keeper,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(message),
            )
            .await;
        }
        Err(FormError::UnknownStep) => return Err(HttpError::NotFound),
    };
    let replace_card_id = fields.get("replace_card_id").map_or("", String::as_str);
    let replaced = own_card(&state, &m, replace_card_id).await?;
    let kept = match state.payments.keep_card(m.id, &keeper, &submission).await {
        Ok(kept) => kept,
        Err(PaymentsError::Store(e)) => return Err(e.into()),
        Err(e) => {
            tracing::info!(member_id = m.id, error = %e, "member card not kept");
            return render_card(
                &state,
                &mut session,
                &m,
                &keeper,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(format!("カードを登録できませんでした。{e}")),
            )
            .await;
        }
    };
    let actor = format!("会員{}", m.id);
    let notice = match replaced.filter(|old| old.id != kept.id) {
        None => "クレジットカードを登録しました。".to_owned(),
        Some(old) => match state.payments.remove_stored_card(old.id, &actor).await {
            Ok(()) => "クレジットカードを変更しました。".to_owned(),
            Err(PaymentsError::Store(e)) => return Err(e.into()),
            Err(e) => format!(
                "新しいクレジットカードを登録しましたが、以前のカード(下4桁 {})を削除できませんでした。{e}",
                old.last4
            ),
        },
    };
    session.notify(&state, &notice).await?;
    Ok(Redirect::to("/member").into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteCardForm {
    card_id: String,
}

/// POST /member/card/delete: deletes a kept card at the provider and here.
pub async fn delete_card(
    State(state): State<SharedState>,
    mut session: ShopSession,
    Form(form): Form<DeleteCardForm>,
) -> Result<Response, HttpError> {
    let m = member(&state, &session, "/member").await?;
    let Some(old) = own_card(&state, &m, &form.card_id).await? else {
        return Err(HttpError::NotFound);
    };
    let notice = match state
        .payments
        .remove_stored_card(old.id, &format!("会員{}", m.id))
        .await
    {
        Ok(()) => "クレジットカードを削除しました。".to_owned(),
        Err(PaymentsError::Store(e)) => return Err(e.into()),
        Err(e) => format!("クレジットカードを削除できませんでした。{e}"),
    };
    session.notify(&state, &notice).await?;
    Ok(Redirect::to("/member").into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReturnToken {
    t: String,
}

/// POST /member/card/return?t=…: the provider's own card page sends the member back with
/// the card it keeps now (a PayQuick クレジットカード更新). The post comes from the provider's
/// page, without the shop's cookie: the sealed token names the member.
pub async fn card_return(
    State(state): State<SharedState>,
    Query(token): Query<ReturnToken>,
    body: axum::body::Bytes,
) -> Result<Response, HttpError> {
    let member_id = state
        .settings
        .open(RETURN_TOKEN, &token.t)
        .and_then(|plain| {
            let (id, expires) = plain.split_once(':')?;
            let expires = expires.parse::<i64>().ok()?;
            (state.clock.now().timestamp() <= expires).then_some(id.parse::<i64>().ok()?)
        })
        .ok_or(HttpError::NotFound)?;
    let keeper = card_keeper(&state).await?.ok_or(HttpError::NotFound)?;
    let fields = crate::providers::form::decode_form(&body, keeper.form_charset())
        .map_err(|_| HttpError::NotFound)?;
    let submission = match keeper.card_submission(&fields) {
        Ok(submission) => submission,
        Err(FormError::Invalid(message)) => {
            tracing::info!(member_id, %message, "member card not renewed");
            return Ok(Redirect::to("/member/card?failed=1").into_response());
        }
        Err(FormError::UnknownStep) => return Err(HttpError::NotFound),
    };
    match state
        .payments
        .keep_card(member_id, &keeper, &submission)
        .await
    {
        Ok(_) => Ok(Redirect::to("/member/card?updated=1").into_response()),
        Err(PaymentsError::Store(e)) => Err(e.into()),
        Err(e) => {
            tracing::info!(member_id, error = %e, "member card not kept");
            Ok(Redirect::to("/member/card?failed=1").into_response())
        }
    }
}
