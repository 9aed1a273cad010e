//! The member pages under `/member`: ログイン / ログアウト, 新規会員登録, マイページ (member
//! information, 購入履歴 and the stored card), 会員情報編集 and 退会. The card pages are in
//! `member_card`.
//!
//! Logging in, logging out and withdrawing replace the session under a new token, so a token
//! known before the login is worth nothing after it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::session::{SessionData, ShopSession};
use super::{page, redirect_setting, SharedState};
use crate::domain::input::{Invalid, PREFECTURES};
use crate::domain::order::OrderStatus;
use crate::http::error::HttpError;
use crate::members::{self, LoginError, MemberError, MemberForm, WithdrawError};
use crate::store::Member;

/// How many orders 購入履歴 lists.
const HISTORY_LIMIT: i64 = 100;

/// The logged-in member, or the login page for a buyer who is not.
pub(super) async fn member(
    state: &SharedState,
    session: &ShopSession,
    here: &str,
) -> Result<Member, HttpError> {
    let found = match session.member_id {
        Some(id) => state.store.member(id).await?,
        None => None,
    };
    found
        .filter(|m| m.withdrawn_at.is_none())
        .ok_or_else(|| HttpError::MemberLoginRequired {
            next: here.to_owned(),
        })
}

/// Only pages of this shop may be returned to after logging in.
fn safe_next(next: &str) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains("://")
        && !next.contains('\\')
        && !next.starts_with("/admin");
    if local {
        next.to_owned()
    } else {
        "/member".to_owned()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    #[serde(skip_serializing)]
    password: String,
    next: String,
}

async fn render_login(
    state: &SharedState,
    session: &mut ShopSession,
    status: StatusCode,
    email: &str,
    next: &str,
    error: Option<String>,
) -> Result<Response, HttpError> {
    page(
        state,
        session,
        status,
        "member_login.html",
        "ログイン",
        context! { email, next, error },
    )
    .await
}

/// GET /member/login
pub async fn login_form(
    State(state): State<SharedState>,
    mut session: ShopSession,
    Query(query): Query<NextQuery>,
) -> Result<Response, HttpError> {
    let next = safe_next(&query.next);
    if session.member_id.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    render_login(&state, &mut session, StatusCode::OK, "", &next, None).await
}

/// POST /member/login
pub async fn login(
    State(state): State<SharedState>,
    mut session: ShopSession,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Result<Response, HttpError> {
    let next = safe_next(&form.next);
    let client = client.ip().to_string();
    match members::authenticate(
        &state.store,
        &state.clock,
        &form.email,
        &form.password,
        &client,
    )
    .await
    {
        Ok(m) => {
            let cookie = log_in(&state, &mut session, m.id, "ログインしました。").await?;
            Ok(redirect_setting(&next, cookie))
        }
        Err(LoginError::Store(e)) => Err(e.into()),
        Err(e) => {
            let locked = matches!(e, LoginError::TooManyAttempts);
            let status = if locked {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            let mut response = render_login(
                &state,
                &mut session,
                status,
                &form.email,
                &next,
                Some(e.to_string()),
            )
            .await?;
            if locked {
                response.headers_mut().insert(
                    RETRY_AFTER,
                    HeaderValue::from(members::LOCKOUT_MINUTES * 60),
                );
            }
            Ok(response)
        }
    }
}

/// Logs a member into the session under a new token. The cart stays; お客様情報 entered as
/// a guest is dropped so the member's own details fill the form.
async fn log_in(
    state: &SharedState,
    session: &mut ShopSession,
    member_id: i64,
    notice: &str,
) -> Result<axum::http::HeaderValue, HttpError> {
    let mut data = std::mem::take(&mut session.data);
    data.customer = None;
    data.notices.push(notice.to_owned());
    Ok(session.rotate(state, Some(member_id), data).await?)
}

/// Ends the session and starts an empty one with `notice`.
async fn start_afresh(
    state: &SharedState,
    session: &mut ShopSession,
    notice: &str,
) -> Result<Response, HttpError> {
    let data = SessionData {
        notices: vec![notice.to_owned()],
        ..SessionData::default()
    };
    let cookie = session.rotate(state, None, data).await?;
    Ok(redirect_setting("/", cookie))
}

/// POST /member/logout
pub async fn logout(
    State(state): State<SharedState>,
    mut session: ShopSession,
) -> Result<Response, HttpError> {
    start_afresh(&state, &mut session, "ログアウトしました。").await
}

/// The two pages with the member form.
#[derive(Clone, Copy)]
enum MemberPage {
    /// 新規会員登録
    Register,
    /// 会員情報編集
    Edit,
}

async fn render_member_form(
    state: &SharedState,
    session: &mut ShopSession,
    status: StatusCode,
    which: MemberPage,
    form: MemberForm,
    errors: Vec<Invalid>,
    next: &str,
) -> Result<Response, HttpError> {
    let (template, title) = match which {
        MemberPage::Register => ("member_register.html", "新規会員登録"),
        MemberPage::Edit => ("member_edit.html", "会員情報編集"),
    };
    page(
        state,
        session,
        status,
        template,
        title,
        context! { form, errors, next, prefectures => &PREFECTURES[..] },
    )
    .await
}

/// The registration form: the member fields and where to go afterwards.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    #[serde(flatten)]
    member: MemberForm,
    next: String,
}

/// GET /member/register
pub async fn register_form(
    State(state): State<SharedState>,
    mut session: ShopSession,
    Query(query): Query<NextQuery>,
) -> Result<Response, HttpError> {
    if session.member_id.is_some() {
        return Ok(Redirect::to("/member").into_response());
    }
    let next = safe_next(&query.next);
    render_member_form(
        &state,
        &mut session,
        StatusCode::OK,
        MemberPage::Register,
        MemberForm::default(),
        Vec::new(),
        &next,
    )
    .await
}

/// POST /member/register: registers and logs the new member in.
pub async fn register(
    State(state): State<SharedState>,
    mut session: ShopSession,
    Form(form): Form<RegisterForm>,
) -> Result<Response, HttpError> {
    let next = safe_next(&form.next);
    match members::register(&state.store, &state.clock, &form.member).await {
        Ok(id) => {
            let cookie = log_in(&state, &mut session, id, "会員登録が完了しました。").await?;
            Ok(redirect_setting(&next, cookie))
        }
        Err(MemberError::Invalid(errors)) => {
            render_member_form(
                &state,
                &mut session,
                StatusCode::UNPROCESSABLE_ENTITY,
                MemberPage::Register,
                form.member,
                errors,
                &next,
            )
            .await
        }
        Err(MemberError::Store(e)) => Err(e.into()),
    }
}

/// An order in 購入履歴.
#[derive(Serialize)]
struct HistoryRow {
    order_number: String,
    created_at: String,
    payment_method_name: String,
    total: i64,
    status: &'static str,
}

/// GET /member: マイページ.
pub async fn home(
    State(state): State<SharedState>,
    mut session: ShopSession,
) -> Result<Response, HttpError> {
    let m = member(&state, &session, "/member").await?;
    let orders: Vec<HistoryRow> = state
        .store
        .member_orders(m.id, HISTORY_LIMIT)
        .await?
        .into_iter()
        .map(|o| HistoryRow {
            status: OrderStatus::parse(&o.order_status).map_or("", OrderStatus::label),
            order_number: o.order_number,
            created_at: crate::clock::format_jst(o.created_at),
            payment_method_name: o.payment_method_name,
            total: o.total,
        })
        .collect();
    let keeper = super::member_card::card_keeper(&state).await?;
    let cards_enabled = keeper.is_some();
    let cards = match &keeper {
        Some(keeper) => state.payments.member_cards(m.id, keeper).await?,
        None => Vec::new(),
    };
    let joined = crate::clock::format_date_ja(
        m.created_at
            .with_timezone(&crate::clock::jst())
            .date_naive(),
    );
    page(
        &state,
        &mut session,
        StatusCode::OK,
        "member_home.html",
        "マイページ",
        context! { member => m, joined, orders, cards_enabled, cards },
    )
    .await
}

/// GET /member/edit: 会員情報編集.
pub async fn edit_form(
    State(state): State<SharedState>,
    mut session: ShopSession,
) -> Result<Response, HttpError> {
    let m = member(&state, &session, "/member/edit").await?;
    render_member_form(
        &state,
        &mut session,
        StatusCode::OK,
        MemberPage::Edit,
        MemberForm::of(&m),
        Vec::new(),
        "/member",
    )
    .await
}

/// POST /member/edit
pub async fn edit(
    State(state): State<SharedState>,
    mut session: ShopSession,
    Form(form): Form<MemberForm>,
) -> Result<Response, HttpError> {
    let m = member(&state, &session, "/member/edit").await?;
    match members::update(&state.store, &m, &form).await {
        Ok(()) => {
            session.notify(&state, "会員情報を更新しました。").await?;
            Ok(Redirect::to("/member").into_response())
        }
        Err(MemberError::Invalid(errors)) => {
            render_member_form(
                &state,
                &mut session,
                StatusCode::UNPROCESSABLE_ENTITY,
                MemberPage::Edit,
                form,
                errors,
                "/member",
            )
            .await
        }
        Err(MemberError::Store(e)) => Err(e.into()),
    }
}

async fn render_withdraw(
    state: &SharedState,
    session: &mut ShopSession,
    status: StatusCode,
    refusal: Option<String>,
) -> Result<Response, HttpError> {
    page(
        state,
        session,
        status,
        "member_withdraw.html",
        "退会",
        context! { refusal },
    )
    .await
}

/// GET /member/withdraw: 退会, with the reason when the member may not withdraw now.
pub async fn withdraw_form(
    State(state): State<SharedState>,
    mut session: ShopSession,
) -> Result<Response, HttpError> {
    let m = member(&state, &session, "/member/withdraw").await?;
    let refusal = members::withdrawal_refusal(&state.store, m.id).await?;
    render_withdraw(&state, &mut session, StatusCode::OK, refusal).await
}

/// POST /member/withdraw: withdraws the member and logs them out.
pub async fn withdraw(
    State(state): State<SharedState>,
    mut session: ShopSession,
) -> Result<Response, HttpError> {
    let m = member(&state, &session, "/member/withdraw").await?;
    match members::withdraw(&state.payments, m.id).await {
        Ok(()) => {
            start_afresh(
                &state,
                &mut session,
                "退会手続きが完了しました。ご利用ありがとうございました。",
            )
            .await
        }
        Err(WithdrawError::Refused(reason)) => {
            render_withdraw(&state, &mut session, StatusCode::CONFLICT, Some(reason)).await
        }
        Err(WithdrawError::Store(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_shop_pages_are_returned_to_after_login() {
        assert_eq!(safe_next("/cart/customer"), "/cart/customer");
        assert_eq!(safe_next("https://evil.example/"), "/member");
        assert_eq!(safe_next("//evil.example"), "/member");
        assert_eq!(safe_next("/\\evil.example"), "/member");
        assert_eq!(safe_next("/admin"), "/member");
        assert_eq!(safe_next(""), "/member");
    }
}
