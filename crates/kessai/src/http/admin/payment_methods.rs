//! 支払方法: add, edit, delete, 使用/停止 and reorder the payment methods the storefront
//! offers. 決済種別 offers exactly the settlement kinds the provider settings enable; the
//! description accepts HTML, sanitized; a method that orders reference cannot be deleted
//! (stop it instead); some providers allow only one method of a kind
//! ([`crate::providers::single_method_kinds`]).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::auth::Admin;
use super::{page, redirect_with};
use crate::domain::input::{self, Invalid};
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::providers;
use crate::store::{NewPaymentMethod, PaymentMethod};

const LIST: &str = "/admin/payment-methods";

/// The form fields of a payment method.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct MethodForm {
    name: String,
    description: String,
    settlement_kind: String,
    /// `on` (使用) or `off` (停止).
    active: String,
}

#[derive(Serialize)]
struct MethodView {
    id: i64,
    name: String,
    description_html: String,
    settlement_kind: String,
    kind_label: String,
    active: bool,
    kind_enabled: bool,
    /// Whether buyers can pay with the kind (its provider's checkout exists); a method of
    /// a kind that is 未対応 is never offered to buyers.
    supported: bool,
    /// The label of the kind that replaced this one, while the method is still 使用: the
    /// list offers the manual's migration.
    replaced_by: Option<&'static str>,
}

#[derive(Serialize)]
struct KindOption {
    kind: String,
    label: String,
}

async fn enabled_kinds(state: &SharedState) -> Result<Vec<KindOption>, HttpError> {
    Ok(state
        .settings
        .enabled_kinds()
        .await?
        .into_iter()
        .map(|(kind, label)| KindOption {
            kind: kind.to_owned(),
            label: label.to_owned(),
        })
        .collect())
}

async fn views(
    state: &SharedState,
    methods: &[PaymentMethod],
) -> Result<Vec<MethodView>, HttpError> {
    let kinds = enabled_kinds(state).await?;
    Ok(methods
        .iter()
        .map(|m| MethodView {
            id: m.id,
            name: m.name.clone(),
            description_html: m.description_html.clone(),
            settlement_kind: m.settlement_kind.clone(),
            kind_label: providers::service_label(&m.settlement_kind).to_owned(),
            active: m.active,
            kind_enabled: kinds.iter().any(|k| k.kind == m.settlement_kind),
            supported: providers::has_checkout(&m.settlement_kind),
            replaced_by: replacement(&m.settlement_kind)
                .filter(|_| m.active)
                .map(|s| s.label),
        })
        .collect())
}

/// Validates a submission; `editing` is the method being edited (it may keep its kind even
/// if that kind is no longer offered for new methods, so old methods keep working).
async fn parse(
    state: &SharedState,
    form: &MethodForm,
    editing: Option<&PaymentMethod>,
) -> Result<Result<NewPaymentMethod, Vec<Invalid>>, HttpError> {
    let mut errors = Vec::new();
    let name = input::text("name", "支払方法名", &form.name, 60)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    if form.description.chars().count() > 10_000 {
        errors.push(Invalid::new(
            "description",
            "説明は10,000文字以内で入力してください",
        ));
    }
    let kinds = enabled_kinds(state).await?;
    let kind = form.settlement_kind.trim();
    let kind_enabled = kinds.iter().any(|k| k.kind == kind);
    let keeps_own_kind = editing.is_some_and(|m| m.settlement_kind == kind);
    if kind.is_empty() {
        errors.push(Invalid::new(
            "settlement_kind",
            "決済種別を選択してください",
        ));
    } else if !kind_enabled && !keeps_own_kind {
        errors.push(Invalid::new(
            "settlement_kind",
            "この決済種別は選択できません。先にクレジット決済設定で利用する設定にしてください",
        ));
    }
    let active = match form.active.as_str() {
        "on" => true,
        "off" => false,
        _ => {
            errors.push(Invalid::new("active", "使用・停止を選択してください"));
            false
        }
    };
    if active && !kind_enabled && !kind.is_empty() && keeps_own_kind {
        errors.push(Invalid::new(
            "active",
            "この決済種別はクレジット決済設定で利用しない設定のため「使用」にできません",
        ));
    }
    if providers::single_method_kinds().contains(&kind) {
        let others = state.store.payment_methods().await?;
        if others
            .iter()
            .any(|m| m.settlement_kind == kind && Some(m.id) != editing.map(|e| e.id))
        {
            errors.push(Invalid::new(
                "settlement_kind",
                format!(
                    "{}の決済種別で複数の支払方法を登録することは出来ません",
                    providers::service_label(kind)
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    Ok(Ok(NewPaymentMethod {
        name,
        description_html: sanitize(&form.description),
        settlement_kind: kind.to_owned(),
        active,
    }))
}

/// Keeps formatting, links and images; drops scripts, event handlers and styles.
pub fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(html)
        .to_string()
}

async fn render_index(
    state: &SharedState,
    admin: &Admin,
    headers: &HeaderMap,
    status: StatusCode,
    form: MethodForm,
    errors: Vec<Invalid>,
) -> Result<Response, HttpError> {
    let methods = views(state, &state.store.payment_methods().await?).await?;
    let kinds = enabled_kinds(state).await?;
    page(
        status,
        admin,
        headers,
        "payment_methods.html",
        "payment_methods",
        "支払方法",
        context! { methods, kinds, form, errors },
    )
}

/// GET /admin/payment-methods
pub async fn index(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let form = MethodForm {
        active: "on".into(),
        ..MethodForm::default()
    };
    render_index(&state, &admin, &headers, StatusCode::OK, form, vec![]).await
}

/// POST /admin/payment-methods
pub async fn create(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Form(form): Form<MethodForm>,
) -> Result<Response, HttpError> {
    match parse(&state, &form, None).await? {
        Ok(method) => {
            let now = state.clock.now();
            let id = state.store.create_payment_method(&method, now).await?;
            let detail = format!("id {id}, {}", method.settlement_kind);
            state
                .store
                .audit(admin.login(), "支払方法を追加", &method.name, &detail, now)
                .await?;
            Ok(redirect_with(
                LIST,
                "ok",
                &format!("支払方法「{}」を追加しました。", method.name),
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

async fn method(state: &SharedState, id: i64) -> Result<PaymentMethod, HttpError> {
    state
        .store
        .payment_method(id)
        .await?
        .ok_or(HttpError::NotFound)
}

async fn render_edit(
    state: &SharedState,
    admin: &Admin,
    headers: &HeaderMap,
    status: StatusCode,
    existing: &PaymentMethod,
    form: MethodForm,
    errors: Vec<Invalid>,
) -> Result<Response, HttpError> {
    let mut kinds = enabled_kinds(state).await?;
    if !kinds.iter().any(|k| k.kind == existing.settlement_kind) {
        kinds.push(KindOption {
            kind: existing.settlement_kind.clone(),
            label: format!(
                "{}（現在は利用しない設定）",
                providers::service_label(&existing.settlement_kind)
            ),
        });
    }
    page(
        status,
        admin,
        headers,
        "payment_method_edit.html",
        "payment_methods",
        "支払方法の編集",
        context! { id => existing.id, kinds, form, errors },
    )
}

/// GET /admin/payment-methods/{id}
pub async fn edit(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let m = method(&state, id).await?;
    let form = MethodForm {
        name: m.name.clone(),
        description: m.description_html.clone(),
        settlement_kind: m.settlement_kind.clone(),
        active: if m.active { "on" } else { "off" }.into(),
    };
    render_edit(&state, &admin, &headers, StatusCode::OK, &m, form, vec![]).await
}

/// POST /admin/payment-methods/{id}
pub async fn update(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<MethodForm>,
) -> Result<Response, HttpError> {
    let existing = method(&state, id).await?;
    match parse(&state, &form, Some(&existing)).await? {
        Ok(updated) => {
            let now = state.clock.now();
            state.store.update_payment_method(id, &updated, now).await?;
            let detail = format!(
                "id {id}, {}, {}",
                updated.settlement_kind,
                if updated.active { "使用" } else { "停止" }
            );
            state
                .store
                .audit(admin.login(), "支払方法を更新", &updated.name, &detail, now)
                .await?;
            Ok(redirect_with(
                LIST,
                "ok",
                &format!("支払方法「{}」を更新しました。", updated.name),
            ))
        }
        Err(errors) => {
            render_edit(
                &state,
                &admin,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                &existing,
                form,
                errors,
            )
            .await
        }
    }
}

/// POST /admin/payment-methods/{id}/delete
pub async fn delete(
    State(state): State<SharedState>,
    admin: Admin,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let m = method(&state, id).await?;
    let used = state.store.orders_using_payment_method(id).await?;
    if used > 0 {
        return Ok(redirect_with(
            LIST,
            "error",
            &format!(
                "支払方法「{}」は{used}件の受注で使用されているため削除できません。削除すると受注の支払方法が分からなくなります。削除せずに「停止」にしてください。",
                m.name
            ),
        ));
    }
    let now = state.clock.now();
    state.store.delete_payment_method(id).await?;
    state
        .store
        .audit(
            admin.login(),
            "支払方法を削除",
            &m.name,
            &format!("id {id}"),
            now,
        )
        .await?;
    Ok(redirect_with(
        LIST,
        "ok",
        &format!("支払方法「{}」を削除しました。", m.name),
    ))
}

/// The service that replaced a settlement kind under a new name, if one did.
fn replacement(kind: &str) -> Option<&'static providers::schema::Service> {
    providers::service(kind)
        .and_then(|(_, s)| s.replaced_by)
        .and_then(providers::service)
        .map(|(_, s)| s)
}

/// POST /admin/payment-methods/{id}/migrate: the manual's migration of a method whose kind
/// was renamed (コンビニ決済 → マルチ決済): the method is stopped, not deleted, so past
/// orders keep it, and a method of the new kind is added (unless one exists) with the old
/// method's description.
pub async fn migrate(
    State(state): State<SharedState>,
    admin: Admin,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let old = method(&state, id).await?;
    let Some(new_kind) = replacement(&old.settlement_kind) else {
        return Ok(redirect_with(
            LIST,
            "error",
            &format!(
                "支払方法「{}」の決済種別は移行の対象ではありません。",
                old.name
            ),
        ));
    };
    let now = state.clock.now();
    let stopped = NewPaymentMethod {
        name: old.name.clone(),
        description_html: old.description_html.clone(),
        settlement_kind: old.settlement_kind.clone(),
        active: false,
    };
    state.store.update_payment_method(id, &stopped, now).await?;
    state
        .store
        .audit(
            admin.login(),
            "支払方法を停止",
            &old.name,
            &format!("id {id}"),
            now,
        )
        .await?;
    let exists = state
        .store
        .payment_methods()
        .await?
        .iter()
        .any(|m| m.settlement_kind == new_kind.kind);
    if !exists {
        let added = NewPaymentMethod {
            name: new_kind.label.to_owned(),
            description_html: old.description_html.clone(),
            settlement_kind: new_kind.kind.to_owned(),
            active: true,
        };
        let new_id = state.store.create_payment_method(&added, now).await?;
        state
            .store
            .audit(
                admin.login(),
                "支払方法を追加",
                &added.name,
                &format!("id {new_id}, {}", added.settlement_kind),
                now,
            )
            .await?;
    }
    Ok(redirect_with(
        LIST,
        "ok",
        &format!(
            "支払方法「{}」を停止し、{}の支払方法を{}。",
            old.name,
            new_kind.label,
            if exists {
                "そのまま使います"
            } else {
                "追加しました"
            }
        ),
    ))
}

/// POST /admin/payment-methods/order — `id` fields in the new order (drag and drop).
pub async fn reorder(
    State(state): State<SharedState>,
    admin: Admin,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let existing: Vec<i64> = state
        .store
        .payment_methods()
        .await?
        .iter()
        .map(|m| m.id)
        .collect();
    let mut ids = Vec::new();
    for (k, v) in form.iter().filter(|(k, _)| k == "id") {
        let id: i64 = v
            .parse()
            .map_err(|_| HttpError::BadRequest(format!("{k} が正しくありません: {v}")))?;
        if !existing.contains(&id) || ids.contains(&id) {
            return Err(HttpError::BadRequest(format!(
                "支払方法の並び順が正しくありません (id {id})"
            )));
        }
        ids.push(id);
    }
    save_order(&state, &admin, ids).await
}

async fn save_order(
    state: &SharedState,
    admin: &Admin,
    ids: Vec<i64>,
) -> Result<Response, HttpError> {
    let now = state.clock.now();
    state.store.reorder_payment_methods(&ids, now).await?;
    let detail = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    state
        .store
        .audit(
            admin.login(),
            "支払方法の並び順を変更",
            "payment_methods",
            &detail,
            now,
        )
        .await?;
    Ok(redirect_with(
        LIST,
        "ok",
        "支払方法の並び順を更新しました。",
    ))
}

#[derive(Deserialize)]
pub struct MoveForm {
    /// `up` or `down`.
    dir: String,
}

/// POST /admin/payment-methods/{id}/move — one step up or down (works without JavaScript).
pub async fn move_one(
    State(state): State<SharedState>,
    admin: Admin,
    Path(id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> Result<Response, HttpError> {
    let mut ids: Vec<i64> = state
        .store
        .payment_methods()
        .await?
        .iter()
        .map(|m| m.id)
        .collect();
    let pos = ids
        .iter()
        .position(|m| *m == id)
        .ok_or(HttpError::NotFound)?;
    let target = match form.dir.as_str() {
        "up" => pos.checked_sub(1),
        "down" => (pos + 1 < ids.len()).then_some(pos + 1),
        other => {
            return Err(HttpError::BadRequest(format!(
                "dir は up または down です: {other}"
            )))
        }
    };
    if let Some(target) = target {
        ids.swap(pos, target);
    }
    save_order(&state, &admin, ids).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn descriptions_keep_markup_but_lose_scripts() {
        let clean = super::sanitize(
            r#"<p onclick="x()">コンビニ<img src="/a.png"><script>alert(1)</script></p>"#,
        );
        assert_eq!(clean, r#"<p>コンビニ<img src="/a.png"></p>"#);
    }
}
