//! クレジット決済設定: choosing the providers in use, then one tab per provider rendered from
//! its [`ProviderSpec`]. Saving goes through [`crate::settings::Settings::save_provider`];
//! an invalid save re-renders the operator's input with each wrong field named and reports
//! the payment methods that were stopped.

use std::collections::BTreeSet;

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::auth::Admin;
use super::{page, redirect_with};
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::providers::schema::{Cond, FieldError, Input, ProviderSpec, Values};
use crate::providers::{self, validate, PROVIDERS};
use crate::secrets::mask;
use crate::settings::{invalid_message, ProviderSubmission, SaveResult, SAVED_MESSAGE};

#[derive(Serialize)]
struct ProviderChoice {
    key: &'static str,
    label: &'static str,
    in_use: bool,
}

/// GET /admin/settlement
pub async fn index(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let in_use = state.settings.providers_in_use().await?;
    let mut choices: Vec<ProviderChoice> = in_use
        .iter()
        .map(|p| ProviderChoice {
            key: p.key,
            label: p.label,
            in_use: true,
        })
        .collect();
    for p in PROVIDERS {
        if !in_use.iter().any(|u| u.key == p.key) {
            choices.push(ProviderChoice {
                key: p.key,
                label: p.label,
                in_use: false,
            });
        }
    }
    let tabs = tabs(&in_use, "");
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "settlement.html",
        "settlement",
        "クレジット決済設定",
        context! { choices, tabs, provider => (), sections => (), errors => Vec::<FieldError>::new(), banner => () },
    )
}

/// POST /admin/settlement — the providers in use, in the order submitted.
pub async fn choose_providers(
    State(state): State<SharedState>,
    admin: Admin,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let keys: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "provider")
        .map(|(_, v)| v.as_str())
        .collect();
    if let Some(unknown) = keys.iter().find(|k| providers::provider(k).is_none()) {
        return Err(HttpError::BadRequest(format!(
            "不明なクレジット決済会社です: {unknown}"
        )));
    }
    let stopped = state
        .settings
        .set_providers_in_use(&keys, admin.login())
        .await?;
    let mut message = "利用するクレジット決済会社を更新しました。".to_owned();
    if !stopped.is_empty() {
        let names: Vec<&str> = stopped.iter().map(|m| m.name.as_str()).collect();
        message.push_str(&format!(
            "利用しなくなった決済会社の支払方法（{}）を「停止」しました。",
            names.join(",")
        ));
    }
    let target = keys
        .first()
        .map(|k| format!("/admin/settlement/{k}"))
        .unwrap_or_else(|| "/admin/settlement".into());
    Ok(redirect_with(&target, "ok", &message))
}

#[derive(Serialize)]
struct Tab {
    key: &'static str,
    label: &'static str,
    active: bool,
}

fn tabs(in_use: &[&'static ProviderSpec], active: &str) -> Vec<Tab> {
    in_use
        .iter()
        .map(|p| Tab {
            key: p.key,
            label: p.label,
            active: p.key == active,
        })
        .collect()
}

#[derive(Serialize)]
struct ChoiceView {
    value: String,
    label: String,
    checked: bool,
}

#[derive(Serialize)]
struct FieldView {
    key: &'static str,
    label: &'static str,
    help: &'static str,
    kind: &'static str,
    value: String,
    masked: String,
    choices: Vec<ChoiceView>,
    required: bool,
    show_when: String,
    error: Option<String>,
    min: Option<i64>,
    max: Option<i64>,
}

#[derive(Serialize)]
struct SectionView {
    title: &'static str,
    fields: Vec<FieldView>,
}

/// Builds the tab's view. `stored` holds the saved values (for masked secrets and files),
/// `shown_values` what the inputs show (saved values, or the operator's rejected input).
fn sections(
    spec: &ProviderSpec,
    stored: &Values,
    shown_values: &Values,
    errors: &[FieldError],
    delivery: &[crate::store::DeliveryMethod],
) -> Vec<SectionView> {
    spec.sections
        .iter()
        .map(|section| SectionView {
            title: section.title,
            fields: section
                .fields
                .iter()
                .map(|f| {
                    let value = shown_values.get(f.key).cloned().unwrap_or_default();
                    let selected: BTreeSet<&str> =
                        value.split(',').filter(|v| !v.is_empty()).collect();
                    let choice = |v: &str, l: &str| ChoiceView {
                        value: v.to_owned(),
                        label: l.to_owned(),
                        checked: selected.contains(v),
                    };
                    let (kind, choices, min, max) = match &f.input {
                        Input::Text { .. } => ("text", vec![], None, None),
                        Input::Secret { .. } => ("secret", vec![], None, None),
                        Input::Integer { min, max } => ("integer", vec![], Some(*min), Some(*max)),
                        Input::Email => ("email", vec![], None, None),
                        Input::Url => ("url", vec![], None, None),
                        Input::Radio(cs) => (
                            "radio",
                            cs.iter().map(|c| choice(c.value, c.label)).collect(),
                            None,
                            None,
                        ),
                        Input::Checkboxes(cs) => (
                            "checkboxes",
                            cs.iter().map(|c| choice(c.value, c.label)).collect(),
                            None,
                            None,
                        ),
                        Input::File { .. } => ("file", vec![], None, None),
                        Input::Folder => ("folder", vec![], None, None),
                        Input::DeliveryMethods => (
                            "checkboxes",
                            delivery
                                .iter()
                                .map(|d| {
                                    let carrier = crate::domain::order::Carrier::parse(&d.carrier)
                                        .map(|c| c.label())
                                        .unwrap_or("");
                                    choice(&d.id.to_string(), &format!("{}（{}）", d.name, carrier))
                                })
                                .collect(),
                            None,
                            None,
                        ),
                    };
                    let stored_value = stored.get(f.key).cloned().unwrap_or_default();
                    let (value, masked) = match kind {
                        "secret" => (String::new(), mask(&stored_value)),
                        "file" => (String::new(), stored_value),
                        _ => (value, String::new()),
                    };
                    FieldView {
                        key: f.key,
                        label: f.label,
                        help: f.help,
                        kind,
                        value,
                        masked,
                        choices,
                        required: validate::holds(&f.required_when, shown_values),
                        show_when: cond_json(&f.shown_when).to_string(),
                        error: errors
                            .iter()
                            .find(|e| e.field == f.key)
                            .map(|e| e.message.clone()),
                        min,
                        max,
                    }
                })
                .collect(),
        })
        .collect()
}

/// A condition as JSON, evaluated by the page's script to show and hide fields.
fn cond_json(cond: &Cond) -> serde_json::Value {
    use serde_json::json;
    match cond {
        Cond::Always => json!(true),
        Cond::Never => json!(false),
        Cond::Eq(k, v) => json!({ "eq": [k, v] }),
        Cond::In(k, vs) => json!({ "in": [k, vs] }),
        Cond::All(cs) => json!({ "all": cs.iter().map(cond_json).collect::<Vec<_>>() }),
        Cond::Any(cs) => json!({ "any": cs.iter().map(cond_json).collect::<Vec<_>>() }),
    }
}

fn spec_of(key: &str) -> Result<&'static ProviderSpec, HttpError> {
    providers::provider(key).ok_or(HttpError::NotFound)
}

#[allow(clippy::too_many_arguments)]
async fn render_tab(
    state: &SharedState,
    admin: &Admin,
    headers: &HeaderMap,
    status: StatusCode,
    spec: &'static ProviderSpec,
    shown_values: Option<Values>,
    errors: Vec<FieldError>,
    banner: Option<String>,
) -> Result<Response, HttpError> {
    let in_use = state.settings.providers_in_use().await?;
    if !in_use.iter().any(|p| p.key == spec.key) {
        return Ok(redirect_with(
            "/admin/settlement",
            "error",
            &format!("{}は利用中のクレジット決済会社ではありません。先に利用するクレジット決済会社に追加してください。", spec.label),
        ));
    }
    let stored = state.settings.provider(spec).await?;
    let delivery = state.store.delivery_methods().await?;
    // A rejected form shows the operator's input; what it lacks shows the stored value,
    // except choices, whose absence means the operator selected none.
    let shown_values = match shown_values {
        None => stored.clone(),
        Some(mut input) => {
            for f in validate::fields(spec) {
                if !input.contains_key(f.key) {
                    let keep = match f.input {
                        Input::Radio(_) | Input::Checkboxes(_) | Input::DeliveryMethods => {
                            String::new()
                        }
                        _ => stored.get(f.key).cloned().unwrap_or_default(),
                    };
                    input.insert(f.key.to_owned(), keep);
                }
            }
            input
        }
    };
    let sections = sections(spec, &stored, &shown_values, &errors, &delivery);
    let provider = context! {
        key => spec.key,
        label => spec.label,
        save_button => spec.save_button,
        contract_notes => spec.contract_notes,
        registered_urls => providers::registered_urls(spec.key, &state.config.public_url),
    };
    let warnings = super::shop::warnings(state).await?;
    page(
        status,
        admin,
        headers,
        "settlement.html",
        "settlement",
        "クレジット決済設定",
        context! { choices => (), tabs => tabs(&in_use, spec.key), provider, sections, errors, banner, warnings },
    )
}

/// GET /admin/settlement/{provider}
pub async fn show(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Response, HttpError> {
    render_tab(
        &state,
        &admin,
        &headers,
        StatusCode::OK,
        spec_of(&key)?,
        None,
        vec![],
        None,
    )
    .await
}

/// POST /admin/settlement/{provider} (multipart: certificate files may be uploaded)
pub async fn save(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
    Path(key): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, HttpError> {
    let spec = spec_of(&key)?;
    let mut sub = ProviderSubmission::default();
    let bad = |e: axum::extract::multipart::MultipartError| {
        HttpError::BadRequest(format!("フォームを読み取れません: {e}"))
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        if let Some(key) = name.strip_prefix("clear_") {
            sub.clear.insert(key.to_owned());
            continue;
        }
        let is_file =
            validate::fields(spec).any(|f| f.key == name && matches!(f.input, Input::File { .. }));
        if is_file {
            let file_name = field.file_name().unwrap_or("").to_owned();
            let bytes = field.bytes().await.map_err(bad)?;
            if !file_name.is_empty() && !bytes.is_empty() {
                sub.uploads.insert(name, (file_name, bytes.to_vec()));
            }
            continue;
        }
        let text = field.text().await.map_err(bad)?;
        sub.values
            .entry(name)
            .and_modify(|v: &mut String| {
                v.push(',');
                v.push_str(&text);
            })
            .or_insert(text);
    }
    sub.values.remove("csrf");
    let mut echoed = sub.values.clone();
    match state
        .settings
        .save_provider(spec, sub, admin.login())
        .await?
    {
        SaveResult::Saved => Ok(redirect_with(
            &format!("/admin/settlement/{}", spec.key),
            "ok",
            SAVED_MESSAGE,
        )),
        SaveResult::Invalid { errors, stopped } => {
            // Secrets are never echoed back into the page.
            for f in validate::fields(spec).filter(|f| matches!(f.input, Input::Secret { .. })) {
                echoed.remove(f.key);
            }
            let banner = invalid_message(&stopped);
            render_tab(
                &state,
                &admin,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                spec,
                Some(echoed),
                errors,
                Some(banner),
            )
            .await
        }
    }
}
