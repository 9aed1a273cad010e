//! 会員リスト (searched by name, e-mail or 会員No) and 会員データ編集: every member detail
//! with the checkout's validators (the e-mail address must stay unique), and the stored-card
//! block (下4桁, 有効期限, 登録あり) whose 「カード情報の登録を解除する」 removes the card at
//! the provider, then its reference here.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::auth::Admin;
use super::list::{self, Page, PageQuery};
use super::{page, redirect_with};
use crate::domain::buyer::Buyer;
use crate::domain::input::{self, Invalid};
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::payments::PaymentsError;
use crate::store::{AuditNote, Member};

const LIST: &str = "/admin/members";
const PAGE_SIZE: i64 = 50;

/// The list's search form.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct MemberQuery {
    /// 会員No, 氏名 or メールアドレス.
    keyword: String,
}

/// GET /admin/members
pub async fn index(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Query(query): Query<MemberQuery>,
    Query(at): Query<PageQuery>,
) -> Result<Response, HttpError> {
    let at = Page::parse(&at.page, PAGE_SIZE);
    let keyword = query.keyword.trim();
    let total = state.store.member_count(keyword).await?;
    let members = state.store.members(keyword, at.size, at.offset()).await?;
    let query_string = list::query_string(&[("keyword", keyword)]);
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "members.html",
        "members",
        "会員リスト",
        context! { query, members, paging => at.pager(total, query_string) },
    )
}

/// The 会員データ編集 form: the details, and the cards ticked for 解除.
#[derive(Debug, Default, Serialize)]
struct MemberForm {
    #[serde(flatten)]
    details: Buyer,
    remove_card: Vec<i64>,
}

impl MemberForm {
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |k: &str| list::value(pairs, k).to_owned();
        Self {
            details: Buyer::from_fields(get),
            remove_card: list::ticked(pairs, "remove_card"),
        }
    }
}

/// Renders 会員データ編集 with `form` and its errors.
async fn render(
    state: &SharedState,
    admin: &Admin,
    headers: &HeaderMap,
    status: StatusCode,
    member: &Member,
    form: &MemberForm,
    errors: Vec<Invalid>,
) -> Result<Response, HttpError> {
    let cards: Vec<Value> = state
        .store
        .member_cards(member.id)
        .await?
        .iter()
        .map(|c| {
            context! {
                provider_label => crate::providers::provider(&c.provider).map_or("", |p| p.label),
                kept_card => crate::providers::provider(&c.provider).map_or("カード情報の登録", |p| p.kept_card),
                environment_label => crate::providers::Environment::parse(&c.environment)
                    .map_or("", crate::providers::Environment::label),
                ..Value::from_serialize(c)
            }
        })
        .collect();
    page(
        status,
        admin,
        headers,
        "member.html",
        "members",
        "会員データ編集",
        context! {
            member,
            form,
            cards,
            errors,
            prefectures => &input::PREFECTURES[..],
        },
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
    let form = MemberForm {
        details: member.buyer.clone(),
        remove_card: Vec::new(),
    };
    render(
        &state,
        &admin,
        &headers,
        StatusCode::OK,
        &member,
        &form,
        Vec::new(),
    )
    .await
}

/// POST /admin/members/{id}: 設定を更新. Nothing changes unless every field is valid; the
/// ticked cards are removed at the provider first, and the details are saved only if that
/// worked.
pub async fn update(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let member = state.store.member(id).await?.ok_or(HttpError::NotFound)?;
    let form = MemberForm::from_pairs(&pairs);
    // The checkout's rules, naming every wrong field.
    let parsed = form.details.parse("");
    let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
    if let Some(other) = state
        .store
        .member_by_email(form.details.email.trim())
        .await?
    {
        if other.id != id {
            errors.push(email_taken());
        }
    }
    let cards = state.store.member_cards(id).await?;
    if form
        .remove_card
        .iter()
        .any(|c| !cards.iter().any(|card| card.id == *c))
    {
        errors.push(Invalid::new(
            "remove_card",
            "この会員の登録カードではありません",
        ));
    }
    let details = match parsed {
        Ok(details) if errors.is_empty() => details,
        _ => {
            return render(
                &state,
                &admin,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                &member,
                &form,
                errors,
            )
            .await
        }
    };
    for card_id in &form.remove_card {
        match state
            .payments
            .remove_stored_card(*card_id, admin.login())
            .await
        {
            Ok(()) => {}
            Err(PaymentsError::Store(e)) => return Err(e.into()),
            Err(e) => {
                let errors = vec![Invalid::new(
                    "remove_card",
                    format!("カード情報の登録を解除できませんでした: {e}"),
                )];
                return render(
                    &state,
                    &admin,
                    &headers,
                    StatusCode::BAD_GATEWAY,
                    &member,
                    &form,
                    errors,
                )
                .await;
            }
        }
    }
    let back = format!("{LIST}/{id}");
    let removed = if form.remove_card.is_empty() {
        ""
    } else {
        "カード情報の登録を解除しました。"
    };
    let changed = member.buyer.changed_labels(&details);
    if changed.is_empty() {
        let message = if removed.is_empty() {
            "変更された項目はありません。"
        } else {
            removed
        };
        return Ok(redirect_with(&back, "ok", message));
    }
    let target = format!("member:{id}");
    let detail = changed.join(", ");
    let audit = AuditNote {
        actor: admin.login(),
        action: "会員データを更新",
        target: &target,
        detail: &detail,
    };
    match state
        .store
        .update_member(id, &details, &audit, state.clock.now())
        .await?
    {
        Some(()) => Ok(redirect_with(
            &back,
            "ok",
            &format!("会員データを更新しました。{removed}"),
        )),
        None => {
            let form = MemberForm {
                remove_card: Vec::new(),
                ..form
            };
            render(
                &state,
                &admin,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                &member,
                &form,
                vec![email_taken()],
            )
            .await
        }
    }
}

fn email_taken() -> Invalid {
    Invalid::new("email", "このメールアドレスは他の会員が登録しています")
}
